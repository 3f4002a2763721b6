// Signal waiting and queueing, timers and scheduling attributes: X(number, name, return kind,
// argument kinds...). Handlers: sys_signal.cpp, sys_timer.cpp, sys_sched.cpp.
#pragma once

#define EMU_SYSCALLS_SIGTIME(X)                     \
  X(36, getitimer, Ret, Int, Ptr)                   \
  X(37, alarm, Ret, UInt)                           \
  X(38, setitimer, Ret, Int, Ptr, Ptr)              \
  X(128, rt_sigtimedwait, Ret, Ptr, Ptr, Ptr, UInt) \
  X(129, rt_sigqueueinfo, Ret, Int, Signal, Ptr)    \
  X(140, getpriority, Ret, Int, Int)                \
  X(141, setpriority, Ret, Int, Int, Int)           \
  X(142, sched_setparam, Ret, Int, Ptr)             \
  X(143, sched_getparam, Ret, Int, Ptr)             \
  X(144, sched_setscheduler, Ret, Int, Int, Ptr)    \
  X(145, sched_getscheduler, Ret, Int)              \
  X(146, sched_get_priority_max, Ret, Int)          \
  X(147, sched_get_priority_min, Ret, Int)          \
  X(148, sched_rr_get_interval, Ret, Int, Ptr)      \
  X(203, sched_setaffinity, Ret, Int, UInt, Ptr)    \
  X(222, timer_create, Ret, ClockId, Ptr, Ptr)      \
  X(223, timer_settime, Ret, Int, Int, Ptr, Ptr)    \
  X(224, timer_gettime, Ret, Int, Ptr)              \
  X(225, timer_getoverrun, Ret, Int)                \
  X(226, timer_delete, Ret, Int)                    \
  X(297, rt_tgsigqueueinfo, Ret, Int, Int, Signal, Ptr)
