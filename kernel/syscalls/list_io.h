// Waiting on files, event files and sockets: X(number, name, return kind, argument kinds...).
// Handlers: sys_poll.cpp, sys_epoll.cpp, sys_eventfd.cpp, sys_socket.cpp.
#pragma once

#define EMU_SYSCALLS_IO(X)                                   \
  X(7, poll, Ret, PollFds, UInt, Int)                        \
  X(23, select, Ret, Int, Ptr, Ptr, Ptr, Ptr)                \
  X(213, epoll_create, Ret, Int)                             \
  X(232, epoll_wait, Ret, Fd, Ptr, Int, Int)                 \
  X(233, epoll_ctl, Ret, Fd, Int, Fd, Ptr)                   \
  X(270, pselect6, Ret, Int, Ptr, Ptr, Ptr, Ptr, Ptr)        \
  X(271, ppoll, Ret, PollFds, UInt, Timespec, SigMask, UInt) \
  X(281, epoll_pwait, Ret, Fd, Ptr, Int, Int, Ptr, UInt)     \
  X(282, signalfd, Ret, Fd, Ptr, UInt)                       \
  X(283, timerfd_create, Ret, ClockId, Hex)                  \
  X(284, eventfd, Ret, UInt)                                 \
  X(286, timerfd_settime, Ret, Fd, Hex, Ptr, Ptr)            \
  X(287, timerfd_gettime, Ret, Fd, Ptr)                      \
  X(289, signalfd4, Ret, Fd, Ptr, UInt, Hex)                 \
  X(290, eventfd2, Ret, UInt, Hex)                           \
  X(291, epoll_create1, Ret, Hex)                            \
  X(441, epoll_pwait2, Ret, Fd, Ptr, Int, Ptr, Ptr, UInt)    \
  X(41, socket, Ret, Int, Hex, Int)                          \
  X(42, connect, Ret, Fd, Ptr, UInt)                         \
  X(44, sendto, Ret, Fd, InBuf, UInt, Hex, Ptr, UInt)        \
  X(45, recvfrom, Ret, Fd, OutBuf, UInt, Hex, Ptr, Ptr)      \
  X(46, sendmsg, Ret, Fd, Ptr, Hex)                          \
  X(47, recvmsg, Ret, Fd, Ptr, Hex)                          \
  X(48, shutdown, Ret, Fd, Int)                              \
  X(51, getsockname, Ret, Fd, Ptr, Ptr)                      \
  X(52, getpeername, Ret, Fd, Ptr, Ptr)                      \
  X(53, socketpair, Ret, Int, Hex, Int, Ptr)                 \
  X(54, setsockopt, Ret, Fd, Int, Int, Ptr, UInt)            \
  X(55, getsockopt, Ret, Fd, Int, Int, Ptr, Ptr)
