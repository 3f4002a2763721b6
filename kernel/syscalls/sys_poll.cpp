// poll, ppoll, select and pselect6 (fs/select.c): every pass asks each file for its
// readiness; with nothing ready the thread waits on all the files' queues at once, and the
// call runs again on any change, at its deadline or at a signal.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/fs/fd_table.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/wait_args.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

struct PollFd {
  i32 fd;
  std::int16_t events;
  std::int16_t revents;
};
static_assert(sizeof(PollFd) == 8);

constexpr u64 kNrOpen = u64{1} << 20;  // sysctl_nr_open

// The call's deadline across passes: scratch[0] (0: none).
u64& call_deadline(SyscallContext& ctx) {
  return ctx.thread.call().scratch[0];
}

bool timed_out(u64 deadline) {
  return deadline && Kernel::monotonic_ns() >= deadline;
}

// poll_select_finish(): the time left is written back to a timeout that was not zero.
Result<i64> finish_timeout(SyscallContext& ctx, u64 addr, bool timeval, u64 start_deadline_ns,
                           bool zero_timeout, Result<i64> ret) {
  if (!addr || zero_timeout) return ret;
  const u64 now = Kernel::monotonic_ns();
  const u64 left = start_deadline_ns > now ? start_deadline_ns - now : 0;
  const i64 sec = static_cast<i64>(left / kNsPerSec);
  const i64 sub = static_cast<i64>(left % kNsPerSec);
  const abi::Timespec ts{sec, timeval ? sub / 1000 : sub};
  if (!mm::write_user(ctx.process.address_space(), addr, ts).ok()) {
    // The result stands; a call that cannot say how long is left cannot restart.
    if (!ret.ok() && ret.error() == abi::kERESTARTNOHAND) return Errno::kEINTR;
  }
  return ret;
}

// One pass of do_sys_poll over the guest's array: fills revents, returns how many are
// non-zero; queues the files to wait on when `waits` is given.
Result<i64> poll_pass(SyscallContext& ctx, std::vector<PollFd>& fds, PollWaits* waits) {
  i64 count = 0;
  for (PollFd& p : fds) {
    p.revents = 0;
    if (p.fd < 0) continue;
    auto file = ctx.process.fds().get(p.fd);
    if (!file.ok() || (file.value()->status_flags & abi::kO_PATH)) {
      p.revents = static_cast<std::int16_t>(abi::kPOLLNVAL);
      ++count;
      continue;
    }
    const u32 want = static_cast<u16>(p.events) | abi::kPOLLERR | abi::kPOLLHUP;
    const u32 mask = file.value()->poll_ready() & want;
    p.revents = static_cast<std::int16_t>(mask);
    if (mask) ++count;
    if (waits) waits->add(*file.value());
  }
  return count;
}

Result<i64> do_poll(SyscallContext& ctx, u64 ufds, u64 nfds, abi::Errno on_signal) {
  if (nfds > ctx.process.rlimits()[abi::kRLIMIT_NOFILE].cur || nfds > kNrOpen)
    return Errno::kEINVAL;
  auto& as = ctx.process.address_space();
  std::vector<PollFd> fds(nfds);
  TRY(mm::copy_from_user(as, fds.data(), ufds, nfds * sizeof(PollFd)));
  const u64 deadline = call_deadline(ctx);
  PollWaits waits;
  const i64 count = TRY(poll_pass(ctx, fds, &waits));
  const bool done = count > 0 || timed_out(deadline);
  const bool interrupted = !done && (ctx.resuming() ? ctx.wake_reason() == WakeReason::Signal
                                                    : ctx.kernel.signal_pending(ctx.thread));
  if (done || interrupted) {
    // Linux copies every revents back, also when a signal ends the wait.
    TRY(mm::copy_to_user(as, ufds, fds.data(), nfds * sizeof(PollFd)));
    if (done) return count;
    return on_signal;
  }
  return ctx.block_on_list(waits.queues.data(), waits.queues.size(), waits.deadline(deadline),
                           on_signal);
}

// The fd_set bits of select: three sets of n bits each.
struct FdSets {
  std::vector<u64> in, out, ex, res_in, res_out, res_ex;
};

Result<void> get_fd_set(SyscallContext& ctx, u64 addr, u64 words, std::vector<u64>& out) {
  out.assign(words, 0);
  if (addr) TRY(mm::copy_from_user(ctx.process.address_space(), out.data(), addr, words * 8));
  return {};
}

constexpr u32 kPollInSet =
    abi::kPOLLRDNORM | abi::kPOLLRDBAND | abi::kPOLLIN | abi::kPOLLHUP | abi::kPOLLERR;
constexpr u32 kPollOutSet = abi::kPOLLWRBAND | abi::kPOLLWRNORM | abi::kPOLLOUT | abi::kPOLLERR;
constexpr u32 kPollExSet = abi::kPOLLPRI;

// The size of Linux's fd array (fdt->max_fds), to which select clamps n: 64 slots, grown to
// 128 times a power of two once a higher descriptor is used.
u64 max_fds(const fs::FdTable& table) {
  const auto open = table.open_fds();
  const u64 highest = open.empty() ? 0 : static_cast<u64>(open.back());
  if (highest < 64) return 64;
  return 128 * std::bit_ceil(highest / 128 + 1);
}

// core_sys_select + do_select. args: n, inp, outp, exp.
Result<i64> do_select(SyscallContext& ctx, const SyscallArgs& args) {
  const i64 n_arg = static_cast<i32>(args.a[0]);
  if (n_arg < 0) return Errno::kEINVAL;
  fs::FdTable& table = ctx.process.fds();
  const u64 n = std::min<u64>(static_cast<u64>(n_arg), max_fds(table));
  const u64 words = (n + 63) / 64;
  FdSets s;
  TRY(get_fd_set(ctx, args.a[1], words, s.in));
  TRY(get_fd_set(ctx, args.a[2], words, s.out));
  TRY(get_fd_set(ctx, args.a[3], words, s.ex));
  auto bit = [](const std::vector<u64>& v, u64 fd) { return (v[fd / 64] >> (fd % 64)) & 1; };
  // max_select_fd(): every fd named must be open.
  for (u64 fd = 0; fd < n; ++fd)
    if ((bit(s.in, fd) || bit(s.out, fd) || bit(s.ex, fd)) && !table.get(static_cast<int>(fd)).ok())
      return Errno::kEBADF;
  s.res_in.assign(words, 0);
  s.res_out.assign(words, 0);
  s.res_ex.assign(words, 0);
  const u64 deadline = call_deadline(ctx);
  PollWaits waits;
  i64 count = 0;
  for (u64 fd = 0; fd < n; ++fd) {
    const bool want_in = bit(s.in, fd), want_out = bit(s.out, fd), want_ex = bit(s.ex, fd);
    if (!want_in && !want_out && !want_ex) continue;
    auto file = table.get(static_cast<int>(fd));
    if (!file.ok() || (file.value()->status_flags & abi::kO_PATH)) continue;
    const u32 mask = file.value()->poll_ready();
    const u64 b = u64{1} << (fd % 64);
    if (want_in && (mask & kPollInSet)) s.res_in[fd / 64] |= b, ++count;
    if (want_out && (mask & kPollOutSet)) s.res_out[fd / 64] |= b, ++count;
    if (want_ex && (mask & kPollExSet)) s.res_ex[fd / 64] |= b, ++count;
    waits.add(*file.value());
  }
  const bool done = count > 0 || timed_out(deadline);
  if (!done) {
    const bool interrupted = ctx.resuming() ? ctx.wake_reason() == WakeReason::Signal
                                            : ctx.kernel.signal_pending(ctx.thread);
    if (interrupted) return abi::kERESTARTNOHAND;
    return ctx.block_on_list(waits.queues.data(), waits.queues.size(), waits.deadline(deadline),
                             abi::kERESTARTNOHAND);
  }
  auto& as = ctx.process.address_space();
  if (args.a[1]) TRY(mm::copy_to_user(as, args.a[1], s.res_in.data(), words * 8));
  if (args.a[2]) TRY(mm::copy_to_user(as, args.a[2], s.res_out.data(), words * 8));
  if (args.a[3]) TRY(mm::copy_to_user(as, args.a[3], s.res_ex.data(), words * 8));
  return count;
}

// The start of a call with a timeout: scratch[0] the deadline (0: none), scratch[1] whether
// the timeout was zero (no wait, and nothing written back).
void start_call(SyscallContext& ctx, u64 deadline, bool zero) {
  ctx.thread.call().scratch[0] = deadline;
  ctx.thread.call().scratch[1] = zero;
}

// A call resumed keeps the deadline it began with; a new one reads its timeout.
template <typename Begin>
Result<void> begin_once(SyscallContext& ctx, Begin begin) {
  if (ctx.resuming()) return {};
  return begin();
}

}  // namespace

Result<i64> sys_poll(SyscallContext& ctx, const SyscallArgs& args) {
  const i32 ms = static_cast<i32>(args.a[2]);
  const Result<void> begun = begin_once(ctx, [&]() -> Result<void> {
    if (ms < 0) {
      start_call(ctx, 0, false);
    } else {
      start_call(ctx, TRY(deadline_after(ms / 1000, i64{ms % 1000} * 1'000'000)), ms == 0);
    }
    return {};
  });
  if (!begun.ok()) return begun.error();
  // With a timeout the call cannot restart as it was (Linux's restart block).
  return do_poll(ctx, args.a[0], args.a[1],
                 ms < 0 ? abi::kERESTARTNOHAND : abi::kERESTART_RESTARTBLOCK);
}

Result<i64> sys_ppoll(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 tsp = args.a[2];
  const Result<void> begun = begin_once(ctx, [&]() -> Result<void> {
    if (tsp) {
      const auto ts = TRY(mm::read_user<abi::Timespec>(ctx.process.address_space(), tsp));
      start_call(ctx, TRY(deadline_after(ts.tv_sec, ts.tv_nsec)), !ts.tv_sec && !ts.tv_nsec);
    } else {
      start_call(ctx, 0, false);
    }
    TRY(swap_sigmask(ctx, args.a[3], args.a[4]));
    return {};
  });
  if (!begun.ok()) return begun.error();
  const u64 deadline = ctx.thread.call().scratch[0];
  const bool zero = ctx.thread.call().scratch[1];
  Result<i64> r = do_poll(ctx, args.a[0], args.a[1], abi::kERESTARTNOHAND);
  if (!r.ok() && r.error() == abi::kEWAIT) return r;
  return finish_timeout(ctx, tsp, false, deadline, zero, r);
}

Result<i64> sys_select(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 tvp = args.a[4];
  const Result<void> begun = begin_once(ctx, [&]() -> Result<void> {
    if (tvp) {
      const auto tv = TRY(mm::read_user<abi::Timespec>(ctx.process.address_space(), tvp));
      // kern_select folds whole seconds of tv_usec into tv_sec.
      const i64 sec = tv.tv_sec + tv.tv_nsec / 1'000'000;
      const i64 nsec = (tv.tv_nsec % 1'000'000) * 1000;
      start_call(ctx, TRY(deadline_after(sec, nsec)), sec == 0 && nsec == 0);
    } else {
      start_call(ctx, 0, false);
    }
    return {};
  });
  if (!begun.ok()) return begun.error();
  const u64 deadline = ctx.thread.call().scratch[0];
  const bool zero = ctx.thread.call().scratch[1];
  Result<i64> r = do_select(ctx, args);
  if (!r.ok() && r.error() == abi::kEWAIT) return r;
  return finish_timeout(ctx, tvp, true, deadline, zero, r);
}

Result<i64> sys_pselect6(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 tsp = args.a[4];
  const Result<void> begun = begin_once(ctx, [&]() -> Result<void> {
    auto& as = ctx.process.address_space();
    if (tsp) {
      const auto ts = TRY(mm::read_user<abi::Timespec>(as, tsp));
      start_call(ctx, TRY(deadline_after(ts.tv_sec, ts.tv_nsec)), !ts.tv_sec && !ts.tv_nsec);
    } else {
      start_call(ctx, 0, false);
    }
    if (args.a[5]) {
      // struct { const sigset_t *ss; size_t ss_len; }
      struct {
        u64 ss;
        u64 len;
      } sig{};
      TRY(mm::copy_from_user(as, &sig, args.a[5], sizeof sig));
      TRY(swap_sigmask(ctx, sig.ss, sig.len));
    }
    return {};
  });
  if (!begun.ok()) return begun.error();
  const u64 deadline = ctx.thread.call().scratch[0];
  const bool zero = ctx.thread.call().scratch[1];
  Result<i64> r = do_select(ctx, args);
  if (!r.ok() && r.error() == abi::kEWAIT) return r;
  return finish_timeout(ctx, tsp, false, deadline, zero, r);
}

}  // namespace kernel::syscalls
