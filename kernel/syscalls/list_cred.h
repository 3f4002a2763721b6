// Credential syscalls: X(number, name, return kind, argument kinds...). Handlers: sys_cred.cpp.
#pragma once

#define EMU_SYSCALLS_CRED(X)            \
  X(102, getuid, Ret)                   \
  X(104, getgid, Ret)                   \
  X(105, setuid, Ret, Int)              \
  X(106, setgid, Ret, Int)              \
  X(107, geteuid, Ret)                  \
  X(108, getegid, Ret)                  \
  X(113, setreuid, Ret, Int, Int)       \
  X(114, setregid, Ret, Int, Int)       \
  X(115, getgroups, Ret, Int, Ptr)      \
  X(116, setgroups, Ret, Int, Ptr)      \
  X(117, setresuid, Ret, Int, Int, Int) \
  X(118, getresuid, Ret, Ptr, Ptr, Ptr) \
  X(119, setresgid, Ret, Int, Int, Int) \
  X(120, getresgid, Ret, Ptr, Ptr, Ptr) \
  X(122, setfsuid, Ret, Int)            \
  X(123, setfsgid, Ret, Int)            \
  X(125, capget, Ret, Ptr, Ptr)         \
  X(126, capset, Ret, Ptr, Ptr)
