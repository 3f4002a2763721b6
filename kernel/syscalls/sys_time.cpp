// Clocks and sleeping: the guest reads the host's clocks (the clock ids are Linux's on
// both sides).
#include <time.h>

#include <cerrno>

#include "kernel/abi/linux.h"
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

// Sleeps on the host. A signal to emu interrupts the sleep; the guest sees EINTR with the
// time left, as a guest signal would give it.
Result<i64> host_sleep(SyscallContext& ctx, int clock, int flags, const abi::Timespec& req,
                       u64 rem_ptr) {
  timespec want{req.tv_sec, req.tv_nsec}, left{};
  const int rc = clock_nanosleep(clock, flags, &want, &left);
  if (rc == 0) return 0;
  if (rc == EINTR) {
    if (rem_ptr && !(flags & TIMER_ABSTIME))
      TRY(mm::write_user(ctx.process.address_space(), rem_ptr,
                         abi::Timespec{left.tv_sec, left.tv_nsec}));
    return Errno::kEINTR;
  }
  return Errno::kEINVAL;
}

}  // namespace

Result<i64> sys_clock_gettime(SyscallContext& ctx, const SyscallArgs& args) {
  const int id = static_cast<int>(args.a[0]);
  if (!clock_supported(id)) return Errno::kEINVAL;
  timespec now{};
  if (clock_gettime(id, &now) != 0) return Errno::kEINVAL;
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
  const abi::Timespec req = TRY(read_timespec(ctx, args.a[0]));
  return host_sleep(ctx, CLOCK_MONOTONIC, 0, req, args.a[1]);
}

Result<i64> sys_clock_nanosleep(SyscallContext& ctx, const SyscallArgs& args) {
  const int id = static_cast<int>(args.a[0]);
  const int flags = static_cast<int>(args.a[1]);
  if (id == abi::kCLOCK_THREAD_CPUTIME_ID) return Errno::kEINVAL;
  if (!clock_supported(id)) return Errno::kEINVAL;
  const abi::Timespec req = TRY(read_timespec(ctx, args.a[2]));
  return host_sleep(ctx, id, flags & TIMER_ABSTIME, req, args.a[3]);
}

}  // namespace kernel::syscalls
