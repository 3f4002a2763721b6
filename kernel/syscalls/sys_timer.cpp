// Timers: alarm, setitimer/getitimer (kernel/time/itimer.c) and the POSIX timers
// (kernel/time/posix-timers.c). Deadlines are kept in CLOCK_MONOTONIC on the kernel's timer
// list; a CLOCK_REALTIME (or other clock) absolute time is turned into one when it is set.
#include <time.h>

#include <algorithm>
#include <limits>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_timers.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr u64 kNsPerSec = 1'000'000'000;
constexpr u64 kNsPerUsec = 1000;

struct Timeval {
  i64 tv_sec;
  i64 tv_usec;
};
struct Itimerval {  // struct __kernel_old_itimerval
  Timeval it_interval;
  Timeval it_value;
};
struct Itimerspec {
  abi::Timespec it_interval;
  abi::Timespec it_value;
};
static_assert(sizeof(Itimerval) == 32 && sizeof(Itimerspec) == 32);

struct Sigevent {  // struct sigevent: 64 bytes
  u64 value;
  i32 signo;
  i32 notify;
  i32 thread_id;  // SIGEV_THREAD_ID's target (the union's first member)
  u8 rest[44];
};
static_assert(sizeof(Sigevent) == 64);

// Far-future values are held at about 292 years rather than wrapping.
constexpr u64 kMaxSec = std::numeric_limits<u64>::max() / kNsPerSec / 2;
u64 ns_of(const abi::Timespec& ts) {
  return std::min<u64>(static_cast<u64>(ts.tv_sec), kMaxSec) * kNsPerSec +
         static_cast<u64>(ts.tv_nsec);
}
abi::Timespec timespec_of(u64 ns) {
  return {static_cast<i64>(ns / kNsPerSec), static_cast<i64>(ns % kNsPerSec)};
}
Timeval timeval_of(u64 ns) {
  return {static_cast<i64>(ns / kNsPerSec), static_cast<i64>(ns % kNsPerSec / kNsPerUsec)};
}
bool valid(const Timeval& tv) {
  return tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1'000'000;
}
bool valid(const abi::Timespec& ts) {
  return ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < static_cast<i64>(kNsPerSec);
}
u64 ns_of(const Timeval& tv) {
  return std::min<u64>(static_cast<u64>(tv.tv_sec), kMaxSec) * kNsPerSec +
         static_cast<u64>(tv.tv_usec) * kNsPerUsec;
}

// --- setitimer / getitimer ---

struct ItimerValue {
  u64 value_ns = 0;
  u64 interval_ns = 0;
};

ItimerValue get_itimer(SyscallContext& ctx, int which) {
  Process& p = ctx.process;
  ProcessTimers& timers = ctx.kernel.timers_of(p);
  if (which == abi::kITIMER_REAL) {
    // itimer_get_remtime: an active timer whose time is up reads as 1 microsecond.
    ItimerValue v{0, timers.real_interval_ns};
    if (timers.real.armed()) {
      const u64 now = Kernel::monotonic_ns();
      const u64 at = timers.real.deadline_ns();
      v.value_ns = at > now ? at - now : kNsPerUsec;
    }
    return v;
  }
  const CpuItimer& it = which == abi::kITIMER_VIRTUAL ? timers.virt : timers.prof;
  ItimerValue v{0, it.interval_ns};
  if (it.expires_ns) {
    const u64 cpu = ctx.kernel.process_cpu_ns(p);
    v.value_ns = it.expires_ns > cpu ? it.expires_ns - cpu : kNsPerUsec;
  }
  return v;
}

ItimerValue set_itimer(SyscallContext& ctx, int which, const ItimerValue& fresh) {
  const ItimerValue old = get_itimer(ctx, which);
  ProcessTimers& timers = ctx.kernel.timers_of(ctx.process);
  if (which == abi::kITIMER_REAL) {
    if (fresh.value_ns) {
      timers.real_interval_ns = fresh.interval_ns;
      ctx.kernel.timers().arm(timers.real, Kernel::monotonic_ns() + fresh.value_ns,
                              fresh.interval_ns);
    } else {
      timers.real_interval_ns = 0;
      ctx.kernel.timers().disarm(timers.real);
    }
  } else {
    CpuItimer& it = which == abi::kITIMER_VIRTUAL ? timers.virt : timers.prof;
    it.expires_ns = fresh.value_ns ? ctx.kernel.process_cpu_ns(ctx.process) + fresh.value_ns : 0;
    it.interval_ns = fresh.interval_ns;
  }
  ctx.kernel.update_wakeup();
  return old;
}

Itimerval itimerval_of(const ItimerValue& v) {
  return {timeval_of(v.interval_ns), timeval_of(v.value_ns)};
}

bool valid_itimer(int which) {
  return which == abi::kITIMER_REAL || which == abi::kITIMER_VIRTUAL || which == abi::kITIMER_PROF;
}

}  // namespace

Result<i64> sys_getitimer(SyscallContext& ctx, const SyscallArgs& args) {
  const int which = static_cast<int>(args.a[0]);
  if (!valid_itimer(which)) return Errno::kEINVAL;
  TRY(mm::write_user(ctx.process.address_space(), args.a[1], itimerval_of(get_itimer(ctx, which))));
  return 0;
}

Result<i64> sys_setitimer(SyscallContext& ctx, const SyscallArgs& args) {
  const int which = static_cast<int>(args.a[0]);
  auto& as = ctx.process.address_space();
  ItimerValue fresh;
  if (args.a[1]) {
    const auto v = TRY(mm::read_user<Itimerval>(as, args.a[1]));
    if (!valid(v.it_value) || !valid(v.it_interval)) return Errno::kEINVAL;
    fresh = {ns_of(v.it_value), ns_of(v.it_interval)};
  }
  // A null new value disarms, as Linux still allows.
  if (!valid_itimer(which)) return Errno::kEINVAL;
  const ItimerValue old = set_itimer(ctx, which, fresh);
  if (args.a[2]) TRY(mm::write_user(as, args.a[2], itimerval_of(old)));
  return 0;
}

Result<i64> sys_alarm(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 seconds = args.a[0] & 0xffffffffu;
  const ItimerValue old = set_itimer(ctx, abi::kITIMER_REAL, {seconds * kNsPerSec, 0});
  // alarm_setitimer: a pending alarm never reads as 0; half a second or more rounds up.
  u64 sec = old.value_ns / kNsPerSec;
  const u64 nsec = old.value_ns % kNsPerSec;
  if ((!sec && nsec) || nsec >= kNsPerSec / 2) ++sec;
  return static_cast<i64>(sec);
}

// --- POSIX timers ---

namespace {

// The clocks a POSIX timer may run on: those with a time that moves with CLOCK_MONOTONIC.
Result<void> check_timer_clock(SyscallContext& ctx, int clock) {
  switch (clock) {
    case abi::kCLOCK_REALTIME:
    case abi::kCLOCK_MONOTONIC:
    case abi::kCLOCK_BOOTTIME:
    case 11 /* TAI */:
    case abi::kCLOCK_PROCESS_CPUTIME_ID:
      return {};
    case 8 /* REALTIME_ALARM */:
    case 9 /* BOOTTIME_ALARM */:
      if (!capable(ctx.process.creds(), cap::kWakeAlarm)) return Errno::kEPERM;
      return {};
    case abi::kCLOCK_MONOTONIC_RAW:
    case abi::kCLOCK_REALTIME_COARSE:
    case abi::kCLOCK_MONOTONIC_COARSE:
      return Errno::kEOPNOTSUPP;  // clocks without timers
    default:
      // Timers on a thread's CPU time, or another process's, are not offered.
      return Errno::kEINVAL;
  }
}

u64 clock_now_ns(int clock) {
  if (clock == 8) clock = abi::kCLOCK_REALTIME;
  if (clock == 9) clock = abi::kCLOCK_BOOTTIME;
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<u64>(now.tv_sec) * kNsPerSec + static_cast<u64>(now.tv_nsec);
}

PosixTimer* find_timer(SyscallContext& ctx, u64 id) {
  if (id > static_cast<u64>(std::numeric_limits<int>::max())) return nullptr;
  ProcessTimers* timers = ctx.process.timers().get();
  if (!timers) return nullptr;
  const auto it = timers->posix.find(static_cast<int>(id));
  return it == timers->posix.end() ? nullptr : it->second.get();
}

// common_timer_get: what is left and the interval.
Itimerspec timer_get(SyscallContext& ctx, PosixTimer& timer) {
  Itimerspec out{};
  out.it_interval = timespec_of(timer.period_ns);
  const bool sig_none = timer.notify == abi::kSIGEV_NONE;
  u64 expires = 0;
  const u64 now = timer.clock_now();
  (void)ctx;
  if (timer.armed()) {
    expires = timer.deadline_ns();
  } else if (timer.cpu_armed) {
    expires = timer.expires_ns;
  } else if (sig_none || (timer.period_ns && (timer.requeue_pending & 1))) {
    // Waiting for its signal to be taken, or never queued: moved past now.
    timer.forward(now);
    expires = timer.expires_ns;
  } else {
    return out;
  }
  if (!expires) return out;
  if (expires > now)
    out.it_value = timespec_of(expires - now);
  else if (!sig_none)
    out.it_value.tv_nsec = 1;
  return out;
}

}  // namespace

Result<i64> sys_timer_create(SyscallContext& ctx, const SyscallArgs& args) {
  const int clock = static_cast<int>(args.a[0]);
  auto& as = ctx.process.address_space();
  Sigevent event{};
  if (args.a[1]) event = TRY(mm::read_user<Sigevent>(as, args.a[1]));
  TRY(check_timer_clock(ctx, clock));
  ProcessTimers& timers = ctx.kernel.timers_of(ctx.process);
  if (timers.posix.size() >= ProcessTimers::kMaxPosixTimers) return Errno::kEAGAIN;
  // posix_timer_add: ids count up per process, skipping those in use.
  int id = timers.next_id;
  while (timers.posix.count(id)) id = id == std::numeric_limits<int>::max() ? 0 : id + 1;
  auto timer = std::make_unique<PosixTimer>(ctx.kernel, ctx.process);
  timer->id = id;
  timer->clock = clock;
  timer->cpu_clock = clock == abi::kCLOCK_PROCESS_CPUTIME_ID;
  if (args.a[1]) {
    // good_sigevent
    switch (event.notify) {
      case abi::kSIGEV_THREAD_ID: {
        Thread* t = ctx.kernel.find_thread(event.thread_id);
        if (!t || &t->process() != &ctx.process) return Errno::kEINVAL;
        timer->target_tid = event.thread_id;
        [[fallthrough]];
      }
      case abi::kSIGEV_SIGNAL:
      case abi::kSIGEV_THREAD:
        if (event.signo <= 0 || event.signo > abi::kNumSignals) return Errno::kEINVAL;
        break;
      case abi::kSIGEV_NONE:
        break;
      default:
        return Errno::kEINVAL;
    }
    timer->notify = event.notify == abi::kSIGEV_THREAD ? abi::kSIGEV_SIGNAL : event.notify;
    timer->signo = event.signo;
    timer->value = event.value;
  } else {
    timer->notify = abi::kSIGEV_SIGNAL;
    timer->signo = abi::kSIGALRM;
    timer->value = static_cast<u64>(id);
  }
  const i32 created = id;
  TRY(mm::write_user(as, args.a[2], created));
  timers.next_id = id == std::numeric_limits<int>::max() ? 0 : id + 1;
  timers.has_cpu_timers = timers.has_cpu_timers || timer->cpu_clock;
  timers.posix[id] = std::move(timer);
  return 0;
}

Result<i64> sys_timer_settime(SyscallContext& ctx, const SyscallArgs& args) {
  const int flags = static_cast<int>(args.a[1]);
  auto& as = ctx.process.address_space();
  if (!args.a[2]) return Errno::kEINVAL;
  const auto fresh = TRY(mm::read_user<Itimerspec>(as, args.a[2]));
  if (!valid(fresh.it_interval) || !valid(fresh.it_value)) return Errno::kEINVAL;
  PosixTimer* timer = find_timer(ctx, args.a[0]);
  if (!timer) return Errno::kEINVAL;
  Itimerspec old{};
  if (args.a[3]) old = timer_get(ctx, *timer);
  // common_timer_set: the timer stops, forgets a signal it waits to have taken, and starts
  // again unless the new value is zero.
  ctx.kernel.timers().disarm(*timer);
  timer->cpu_armed = false;
  timer->period_ns = 0;
  // A SIGEV_NONE timer keeps its old expiry: Linux's timer_gettime still counts down to it.
  if (timer->notify != abi::kSIGEV_NONE) timer->expires_ns = 0;
  timer->requeue_pending = (timer->requeue_pending + 2) & ~u32{1};
  timer->overrun_last = 0;
  const u64 value = ns_of(fresh.it_value);
  if (value && timer->cpu_clock) {
    // CPU time: relative to the process's time so far, or absolute on that clock.
    const u64 cpu = ctx.kernel.process_cpu_ns(ctx.process);
    timer->period_ns = ns_of(fresh.it_interval);
    timer->expires_ns = (flags & abi::kTIMER_ABSTIME) ? std::max<u64>(value, 1) : cpu + value;
    timer->cpu_armed = timer->notify != abi::kSIGEV_NONE;
  } else if (value) {
    const u64 now = Kernel::monotonic_ns();
    u64 deadline = now + value;
    if (flags & abi::kTIMER_ABSTIME) {
      const u64 clock_now = clock_now_ns(timer->clock);
      deadline = value > clock_now ? now + (value - clock_now) : now;
    }
    timer->period_ns = ns_of(fresh.it_interval);
    // Linux fires an expired absolute timer at once; the list fires at its next look.
    if (deadline == 0) deadline = 1;
    if (timer->notify == abi::kSIGEV_NONE)
      timer->expires_ns = deadline;
    else
      ctx.kernel.timers().arm(*timer, deadline, timer->period_ns);
  }
  ctx.kernel.update_wakeup();
  if (args.a[3]) TRY(mm::write_user(as, args.a[3], old));
  return 0;
}

Result<i64> sys_timer_gettime(SyscallContext& ctx, const SyscallArgs& args) {
  PosixTimer* timer = find_timer(ctx, args.a[0]);
  if (!timer) return Errno::kEINVAL;
  TRY(mm::write_user(ctx.process.address_space(), args.a[1], timer_get(ctx, *timer)));
  return 0;
}

Result<i64> sys_timer_getoverrun(SyscallContext& ctx, const SyscallArgs& args) {
  PosixTimer* timer = find_timer(ctx, args.a[0]);
  if (!timer) return Errno::kEINVAL;
  return std::clamp<i64>(timer->overrun_last, 0, std::numeric_limits<int>::max());
}

Result<i64> sys_timer_delete(SyscallContext& ctx, const SyscallArgs& args) {
  PosixTimer* timer = find_timer(ctx, args.a[0]);
  if (!timer) return Errno::kEINVAL;
  ctx.process.timers()->posix.erase(timer->id);  // leaves the timer list as it goes
  ctx.kernel.update_wakeup();
  return 0;
}

}  // namespace kernel::syscalls
