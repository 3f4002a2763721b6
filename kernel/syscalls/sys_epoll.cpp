// epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and epoll_pwait2, with
// fs/eventpoll.c's checks in its order.
#include <limits>
#include <vector>

#include "kernel/fs/epoll.h"
#include "kernel/fs/fd_table.h"
#include "kernel/syscalls/fs_args.h"
#include "kernel/syscalls/wait_args.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr u64 kEpMaxEvents = std::numeric_limits<i32>::max() / sizeof(fs::EpollEvent);

Result<i64> create_epoll(SyscallContext& ctx, u64 flags) {
  auto ep = std::make_shared<fs::Epoll>();
  const auto cloexec = (flags & abi::kO_CLOEXEC) ? fs::CloseOnExec::Yes : fs::CloseOnExec::No;
  return static_cast<i64>(TRY(ctx.process.fds().allocate(std::move(ep), cloexec)));
}

// do_epoll_wait + ep_poll. The deadline lives in scratch[0] (0: none).
Result<i64> epoll_wait_common(SyscallContext& ctx, u64 epfd, u64 events, u64 maxevents_arg) {
  const i32 maxevents = static_cast<i32>(maxevents_arg);
  if (maxevents <= 0 || static_cast<u64>(maxevents) > kEpMaxEvents) return Errno::kEINVAL;
  const u64 bytes = static_cast<u64>(maxevents) * sizeof(fs::EpollEvent);
  if (bytes > mm::kTaskSize || events > mm::kTaskSize - bytes) return Errno::kEFAULT;
  auto file = TRY(file_of(ctx, epfd));
  fs::Epoll* ep = fs::as_epoll(*file);
  if (!ep) return Errno::kEINVAL;
  const u64 deadline = ctx.thread.call().scratch[0];
  // At most a page's worth of events at a time is plenty for one wake-up.
  fs::EpollEvent out[256];
  const u64 want = std::min<u64>(static_cast<u64>(maxevents), std::size(out));
  const u64 n = ep->collect({out, want});
  if (n) {
    auto& as = ctx.process.address_space();
    for (u64 i = 0; i < n; ++i) {
      if (!mm::copy_to_user(as, events + i * sizeof(fs::EpollEvent), &out[i], sizeof out[i]))
        return i ? static_cast<i64>(i) : Result<i64>(Errno::kEFAULT);
    }
    return static_cast<i64>(n);
  }
  if (deadline && Kernel::monotonic_ns() >= deadline) return 0;
  const bool interrupted = ctx.resuming() ? ctx.wake_reason() == WakeReason::Signal
                                          : ctx.kernel.signal_pending(ctx.thread);
  if (interrupted) return Errno::kEINTR;
  PollWaits waits;
  waits.add(*ep);
  return ctx.block_on_list(waits.queues.data(), waits.queues.size(), waits.deadline(deadline),
                           Errno::kEINTR);
}

Result<void> start_ms_timeout(SyscallContext& ctx, i32 ms) {
  if (ctx.resuming()) return {};
  ctx.thread.call().scratch[0] =
      ms < 0 ? 0 : TRY(deadline_after(ms / 1000, i64{ms % 1000} * 1'000'000));
  return {};
}

}  // namespace

Result<i64> sys_epoll_create(SyscallContext& ctx, const SyscallArgs& args) {
  if (static_cast<i32>(args.a[0]) <= 0) return Errno::kEINVAL;
  return create_epoll(ctx, 0);
}

Result<i64> sys_epoll_create1(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 flags = static_cast<u32>(args.a[0]);
  if (flags & ~abi::kO_CLOEXEC) return Errno::kEINVAL;
  return create_epoll(ctx, flags);
}

Result<i64> sys_epoll_ctl(SyscallContext& ctx, const SyscallArgs& args) {
  const int op = static_cast<int>(args.a[1]);
  const bool has_event = op != fs::kEPOLL_CTL_DEL;
  fs::EpollEvent ev{};
  if (has_event) TRY(mm::copy_from_user(memory(ctx), &ev, args.a[3], sizeof ev));
  auto epfile = TRY(file_of(ctx, args.a[0]));
  auto target = TRY(file_of(ctx, args.a[2]));
  if (!target->pollable()) return Errno::kEPERM;
  // ep_take_care_of_epollwakeup: EPOLLWAKEUP needs CAP_BLOCK_SUSPEND, else it is dropped.
  if (has_event && !capable(ctx.process.creds(), cap::kBlockSuspend))
    ev.events &= ~fs::kEPOLLWAKEUP;
  fs::Epoll* ep = fs::as_epoll(*epfile);
  if (epfile == target || !ep) return Errno::kEINVAL;
  if (has_event && (ev.events & fs::kEPOLLEXCLUSIVE)) {
    constexpr u32 kExclusiveOk = fs::kEPOLLIN | fs::kEPOLLOUT | fs::kEPOLLERR | fs::kEPOLLHUP |
                                 fs::kEPOLLWAKEUP | fs::kEPOLLET | fs::kEPOLLEXCLUSIVE;
    if (op == fs::kEPOLL_CTL_MOD) return Errno::kEINVAL;
    if (op == fs::kEPOLL_CTL_ADD && (fs::as_epoll(*target) || (ev.events & ~kExclusiveOk)))
      return Errno::kEINVAL;
  }
  const int fd = fd_arg(args.a[2]);
  switch (op) {
    case fs::kEPOLL_CTL_ADD:
      TRY(ep->add(fd, target, ev.events, ev.data));
      return 0;
    case fs::kEPOLL_CTL_MOD:
      TRY(ep->modify(fd, *target, ev.events, ev.data));
      return 0;
    case fs::kEPOLL_CTL_DEL:
      TRY(ep->remove(fd, *target));
      return 0;
    default:
      return Errno::kEINVAL;
  }
}

Result<i64> sys_epoll_wait(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(start_ms_timeout(ctx, static_cast<i32>(args.a[3])));
  return epoll_wait_common(ctx, args.a[0], args.a[1], args.a[2]);
}

Result<i64> sys_epoll_pwait(SyscallContext& ctx, const SyscallArgs& args) {
  if (!ctx.resuming()) {
    TRY(swap_sigmask(ctx, args.a[4], args.a[5]));
    TRY(start_ms_timeout(ctx, static_cast<i32>(args.a[3])));
  }
  return epoll_wait_common(ctx, args.a[0], args.a[1], args.a[2]);
}

Result<i64> sys_epoll_pwait2(SyscallContext& ctx, const SyscallArgs& args) {
  if (!ctx.resuming()) {
    u64 deadline = 0;
    if (args.a[3]) {
      const auto ts = TRY(mm::read_user<abi::Timespec>(memory(ctx), args.a[3]));
      deadline = TRY(deadline_after(ts.tv_sec, ts.tv_nsec));
    }
    TRY(swap_sigmask(ctx, args.a[4], args.a[5]));
    ctx.thread.call().scratch[0] = deadline;
  }
  return epoll_wait_common(ctx, args.a[0], args.a[1], args.a[2]);
}

}  // namespace kernel::syscalls
