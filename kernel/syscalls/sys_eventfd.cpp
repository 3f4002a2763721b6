// eventfd, eventfd2, signalfd, signalfd4, timerfd_create, timerfd_settime and
// timerfd_gettime: the anonymous files that turn events into reads.
#include "kernel/fs/eventfd.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/timerfd.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/signalfd.h"
#include "kernel/syscalls/fs_args.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr int kCLOCK_REALTIME_ALARM = 8, kCLOCK_BOOTTIME_ALARM = 9;

Result<i64> install(SyscallContext& ctx, std::shared_ptr<fs::File> file, u64 flags) {
  const auto cloexec = (flags & abi::kO_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No;
  return static_cast<i64>(TRY(ctx.process.fds().allocate(std::move(file), cloexec)));
}

Result<i64> do_eventfd(SyscallContext& ctx, u64 count, u64 flags) {
  if (flags & ~(fs::kEFD_SEMAPHORE | abi::kO_CLOEXEC | abi::kO_NONBLOCK)) return Errno::kEINVAL;
  return install(ctx, std::make_shared<fs::EventFd>(count, flags), flags);
}

Result<i64> do_signalfd(SyscallContext& ctx, u64 fd_in, u64 mask_addr, u64 size, u64 flags) {
  if (size != 8) return Errno::kEINVAL;
  u64 mask = TRY(mm::read_user<u64>(memory(ctx), mask_addr));
  if (flags & ~(kSFD_CLOEXEC | kSFD_NONBLOCK)) return Errno::kEINVAL;
  mask &= ~(sigbit(abi::kSIGKILL) | sigbit(abi::kSIGSTOP));
  const int fd = static_cast<int>(fd_in);
  if (fd == -1) return install(ctx, std::make_shared<SignalFd>(ctx.kernel, mask, flags), flags);
  auto file = TRY(file_of(ctx, fd_in));
  SignalFd* sfd = as_signalfd(*file);
  if (!sfd) return Errno::kEINVAL;
  sfd->set_mask(mask);
  return fd;
}

bool valid_timespec(const abi::Timespec& ts) {
  return ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1'000'000'000;
}

Result<fs::TimerFd*> timerfd_of(SyscallContext& ctx, u64 fd, std::shared_ptr<fs::File>& keep) {
  keep = TRY(file_of(ctx, fd));
  auto* t = dynamic_cast<fs::TimerFd*>(keep.get());
  if (!t) return Errno::kEINVAL;
  return t;
}

}  // namespace

Result<i64> sys_eventfd(SyscallContext& ctx, const SyscallArgs& args) {
  return do_eventfd(ctx, static_cast<u32>(args.a[0]), 0);
}

Result<i64> sys_eventfd2(SyscallContext& ctx, const SyscallArgs& args) {
  return do_eventfd(ctx, static_cast<u32>(args.a[0]), static_cast<u32>(args.a[1]));
}

Result<i64> sys_signalfd(SyscallContext& ctx, const SyscallArgs& args) {
  return do_signalfd(ctx, args.a[0], args.a[1], args.a[2], 0);
}

Result<i64> sys_signalfd4(SyscallContext& ctx, const SyscallArgs& args) {
  return do_signalfd(ctx, args.a[0], args.a[1], args.a[2], static_cast<u32>(args.a[3]));
}

Result<i64> sys_timerfd_create(SyscallContext& ctx, const SyscallArgs& args) {
  int clock = static_cast<i32>(args.a[0]);
  const u64 flags = static_cast<u32>(args.a[1]);
  if ((flags & ~(abi::kO_CLOEXEC | abi::kO_NONBLOCK)) ||
      (clock != abi::kCLOCK_MONOTONIC && clock != abi::kCLOCK_REALTIME &&
       clock != kCLOCK_REALTIME_ALARM && clock != abi::kCLOCK_BOOTTIME &&
       clock != kCLOCK_BOOTTIME_ALARM))
    return Errno::kEINVAL;
  if (clock == kCLOCK_REALTIME_ALARM || clock == kCLOCK_BOOTTIME_ALARM) {
    if (!capable(ctx.process.creds(), cap::kWakeAlarm)) return Errno::kEPERM;
    // No suspend to wake from: an alarm clock is its plain clock here.
    clock = clock == kCLOCK_REALTIME_ALARM ? abi::kCLOCK_REALTIME : abi::kCLOCK_BOOTTIME;
  }
  return install(ctx, std::make_shared<fs::TimerFd>(clock, flags), flags);
}

Result<i64> sys_timerfd_settime(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 flags = static_cast<u32>(args.a[1]);
  const auto spec = TRY(mm::read_user<fs::Itimerspec>(memory(ctx), args.a[2]));
  if ((flags & ~(fs::kTFD_TIMER_ABSTIME | fs::kTFD_TIMER_CANCEL_ON_SET)) ||
      !valid_timespec(spec.value) || !valid_timespec(spec.interval))
    return Errno::kEINVAL;
  std::shared_ptr<fs::File> keep;
  fs::TimerFd* t = TRY(timerfd_of(ctx, args.a[0], keep));
  // TFD_TIMER_CANCEL_ON_SET watches for the realtime clock being set, which the guest
  // cannot do: it never cancels.
  const fs::Itimerspec old = t->set(flags, spec);
  if (args.a[3]) TRY(mm::write_user(memory(ctx), args.a[3], old));
  return 0;
}

Result<i64> sys_timerfd_gettime(SyscallContext& ctx, const SyscallArgs& args) {
  std::shared_ptr<fs::File> keep;
  fs::TimerFd* t = TRY(timerfd_of(ctx, args.a[0], keep));
  TRY(mm::write_user(memory(ctx), args.a[1], t->get()));
  return 0;
}

}  // namespace kernel::syscalls
