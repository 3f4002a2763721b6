// Process and thread syscalls: X(number, name, return kind, argument kinds...).
// Handlers: sys_task.cpp, sys_wait.cpp, sys_futex.cpp, sys_exec.cpp.
#pragma once

#define EMU_SYSCALLS_TASK(X)                                      \
  X(24, sched_yield, Ret)                                         \
  X(39, getpid, Ret)                                              \
  X(56, clone, Ret, CloneFlags, Ptr, Ptr, Ptr, Hex)               \
  X(57, fork, Ret)                                                \
  X(58, vfork, Ret)                                               \
  X(59, execve, Ret, Path, StrArray, EnvArray)                    \
  X(60, exit, Ret, Int)                                           \
  X(61, wait4, Ret, Int, WaitStatus, WaitOptions, Rusage)         \
  X(109, setpgid, Ret, Int, Int)                                  \
  X(110, getppid, Ret)                                            \
  X(111, getpgrp, Ret)                                            \
  X(112, setsid, Ret)                                             \
  X(121, getpgid, Ret, Int)                                       \
  X(124, getsid, Ret, Int)                                        \
  X(186, gettid, Ret)                                             \
  X(202, futex, Ret, Ptr, FutexOp, UInt, Timespec, Ptr, Hex)      \
  X(218, set_tid_address, Ret, Ptr)                               \
  X(231, exit_group, Ret, Int)                                    \
  X(247, waitid, Ret, Int, Int, Ptr, WaitOptions, Ptr)            \
  X(273, set_robust_list, Ret, Ptr, UInt)                         \
  X(274, get_robust_list, Ret, Int, Ptr, Ptr)                     \
  X(322, execveat, Ret, DirFd, Path, StrArray, EnvArray, AtFlags) \
  X(435, clone3, Ret, CloneArgs, UInt)
