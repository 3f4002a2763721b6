// Process, identity, time and signal syscalls: X(number, name, return kind, argument kinds...).
// Handlers: sys_process.cpp, sys_time.cpp, sys_signal.cpp.
#pragma once

#define EMU_SYSCALLS_MISC(X)                           \
  X(13, rt_sigaction, Ret, Signal, Ptr, Ptr, UInt)     \
  X(14, rt_sigprocmask, Ret, Int, Ptr, Ptr, UInt)      \
  X(15, rt_sigreturn, Ret)                             \
  X(34, pause, Ret)                                    \
  X(35, nanosleep, Ret, Ptr, Ptr)                      \
  X(62, kill, Ret, Int, Signal)                        \
  X(63, uname, Ret, Ptr)                               \
  X(95, umask, Ret, Mode)                              \
  X(96, gettimeofday, Ret, Ptr, Ptr)                   \
  X(97, getrlimit, Ret, Int, Ptr)                      \
  X(98, getrusage, Ret, Int, Ptr)                      \
  X(99, sysinfo, Ret, Ptr)                             \
  X(127, rt_sigpending, Ret, Ptr, UInt)                \
  X(130, rt_sigsuspend, Ret, Ptr, UInt)                \
  X(131, sigaltstack, Ret, Ptr, Ptr)                   \
  X(157, prctl, Ret, Int, Hex, Hex, Hex, Hex)          \
  X(158, arch_prctl, Ret, ArchPrctl, Hex)              \
  X(160, setrlimit, Ret, Int, Ptr)                     \
  X(200, tkill, Ret, Int, Signal)                      \
  X(201, time, Ret, Ptr)                               \
  X(204, sched_getaffinity, Ret, Int, UInt, Ptr)       \
  X(228, clock_gettime, Ret, ClockId, Ptr)             \
  X(229, clock_getres, Ret, ClockId, Ptr)              \
  X(230, clock_nanosleep, Ret, ClockId, Int, Ptr, Ptr) \
  X(234, tgkill, Ret, Int, Int, Signal)                \
  X(302, prlimit64, Ret, Int, Int, Ptr, Ptr)           \
  X(318, getrandom, Ret, OutBuf, UInt, Hex)            \
  X(334, rseq, Ret, Ptr, UInt, Hex, Hex)
