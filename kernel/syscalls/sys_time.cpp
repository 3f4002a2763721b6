// Clocks and sleeping: the guest reads the host's clocks (the clock ids are Linux's on
// both sides).
#include <time.h>

#include <cerrno>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr i64 kNsPerSec = 1'000'000'000;

bool clock_supported(int id) {
  switch (id) {
    case abi::kCLOCK_REALTIME:
    case abi::kCLOCK_MONOTONIC:
    case abi::kCLOCK_PROCESS_CPUTIME_ID:
    case abi::kCLOCK_THREAD_CPUTIME_ID:
    case abi::kCLOCK_MONOTONIC_RAW:
    case abi::kCLOCK_REALTIME_COARSE:
    case abi::kCLOCK_MONOTONIC_COARSE:
    case abi::kCLOCK_BOOTTIME:
    case 8 /* REALTIME_ALARM */:
    case 9 /* BOOTTIME_ALARM */:
    case 11 /* TAI */:
      return true;
    default:
      return false;
  }
}

Result<abi::Timespec> read_timespec(SyscallContext& ctx, u64 addr) {
  const auto ts = TRY(mm::read_user<abi::Timespec>(ctx.process.address_space(), addr));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= kNsPerSec) return Errno::kEINVAL;
  return ts;
}

u64 clock_ns(int clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<u64>(now.tv_sec) * kNsPerSec + static_cast<u64>(now.tv_nsec);
}

// The calling thread sleeps until a CLOCK_MONOTONIC deadline while others run. A signal
// that is handled ends the sleep with EINTR and, for a relative sleep, the time left.
Result<i64> guest_sleep(SyscallContext& ctx, int clock, bool absolute, const abi::Timespec& req,
                        u64 rem_ptr) {
  BlockedCall& call = ctx.thread.call();
  const u64 now = Kernel::monotonic_ns();
  if (ctx.resuming()) {
    const u64 deadline = call.deadline_ns;
    if (ctx.wake_reason() != WakeReason::Signal) {
      if (now >= deadline) return 0;
      return ctx.block({}, deadline, abi::kERESTART_RESTARTBLOCK);
    }
    if (absolute) return abi::kERESTARTNOHAND;
    if (rem_ptr) {
      const u64 left = deadline > now ? deadline - now : 0;
      TRY(mm::write_user(
          ctx.process.address_space(), rem_ptr,
          abi::Timespec{static_cast<i64>(left / kNsPerSec), static_cast<i64>(left % kNsPerSec)}));
    }
    return abi::kERESTART_RESTARTBLOCK;
  }
  const u64 want = static_cast<u64>(req.tv_sec) * kNsPerSec + static_cast<u64>(req.tv_nsec);
  u64 deadline;
  if (absolute) {
    const u64 clock_now = clock_ns(clock);
    if (want <= clock_now) return 0;
    deadline = now + (want - clock_now);
  } else {
    if (want == 0) return 0;
    deadline = now + want;
  }
  return ctx.block({}, deadline, absolute ? abi::kERESTARTNOHAND : abi::kERESTART_RESTARTBLOCK);
}

}  // namespace

Result<i64> sys_clock_gettime(SyscallContext& ctx, const SyscallArgs& args) {
  const int id = static_cast<int>(args.a[0]);
  if (!clock_supported(id)) return Errno::kEINVAL;
  timespec now{};
  if (id == abi::kCLOCK_PROCESS_CPUTIME_ID || id == abi::kCLOCK_THREAD_CPUTIME_ID) {
    // The guest's own time on the CPU, as the CPU-time itimers count it.
    const u64 process_ns = ctx.kernel.process_cpu_ns(ctx.process);
    const u64 ns = id == abi::kCLOCK_PROCESS_CPUTIME_ID ? process_ns : ctx.thread.cpu_ns();
    now.tv_sec = static_cast<time_t>(ns / kNsPerSec);
    now.tv_nsec = static_cast<long>(ns % kNsPerSec);
  } else if (clock_gettime(id, &now) != 0) {
    return Errno::kEINVAL;
  }
  TRY(mm::write_user(ctx.process.address_space(), args.a[1],
                     abi::Timespec{now.tv_sec, now.tv_nsec}));
  return 0;
}

Result<i64> sys_clock_getres(SyscallContext& ctx, const SyscallArgs& args) {
  const int id = static_cast<int>(args.a[0]);
  if (!clock_supported(id)) return Errno::kEINVAL;
  timespec res{};
  if (clock_getres(id, &res) != 0) return Errno::kEINVAL;
  if (args.a[1])
    TRY(mm::write_user(ctx.process.address_space(), args.a[1],
                       abi::Timespec{res.tv_sec, res.tv_nsec}));
  return 0;
}

Result<i64> sys_gettimeofday(SyscallContext& ctx, const SyscallArgs& args) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  if (args.a[0])
    TRY(mm::write_user(ctx.process.address_space(), args.a[0],
                       abi::Timespec{now.tv_sec, now.tv_nsec / 1000}));
  if (args.a[1]) {
    const u64 tz[1] = {0};  // struct timezone: minutes west and dst, both 0 (UTC)
    TRY(mm::copy_to_user(ctx.process.address_space(), args.a[1], tz, 8));
  }
  return 0;
}

Result<i64> sys_time(SyscallContext& ctx, const SyscallArgs& args) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const i64 seconds = now.tv_sec;
  if (args.a[0]) TRY(mm::write_user(ctx.process.address_space(), args.a[0], seconds));
  return seconds;
}

Result<i64> sys_nanosleep(SyscallContext& ctx, const SyscallArgs& args) {
  abi::Timespec req{};
  if (!ctx.resuming()) req = TRY(read_timespec(ctx, args.a[0]));
  return guest_sleep(ctx, CLOCK_MONOTONIC, false, req, args.a[1]);
}

Result<i64> sys_clock_nanosleep(SyscallContext& ctx, const SyscallArgs& args) {
  const int id = static_cast<int>(args.a[0]);
  const int flags = static_cast<int>(args.a[1]);
  if (id == abi::kCLOCK_THREAD_CPUTIME_ID) return Errno::kEINVAL;
  if (!clock_supported(id)) return Errno::kEINVAL;
  abi::Timespec req{};
  if (!ctx.resuming()) req = TRY(read_timespec(ctx, args.a[2]));
  return guest_sleep(ctx, id, flags & TIMER_ABSTIME, req, args.a[3]);
}

}  // namespace kernel::syscalls
