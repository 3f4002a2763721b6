// pidfd and remote-memory syscalls: X(number, name, return kind, argument kinds...).
// Handlers: sys_pidfd.cpp, sys_kcmp.cpp.
#pragma once

#define EMU_SYSCALLS_PIDFD(X)                                     \
  X(312, kcmp, Ret, Int, Int, Int, Hex, Hex)                      \
  X(424, pidfd_send_signal, Ret, Fd, Signal, Ptr, Hex)            \
  X(434, pidfd_open, Ret, Int, Hex)                               \
  X(438, pidfd_getfd, Ret, Fd, Fd, Hex)                           \
  X(440, process_madvise, Ret, Fd, AddrIovec, UInt, Madvise, Hex) \
  X(448, process_mrelease, Ret, Fd, Hex)
