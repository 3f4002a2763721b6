// What the waiting file calls share (poll, select, epoll_wait): the signal mask a call
// swaps in for its wait, timeouts and the queues to wait on.
#pragma once

#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/fs/file.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

inline constexpr u64 kNsPerSec = 1'000'000'000;

// set_user_sigmask(): the mask to wait with, in place of the thread's until the call
// returns (return_to_user puts the saved one back, after any handler's frame saved it).
// A null mask leaves the thread's as it is; a size other than 8 is EINVAL.
inline Result<void> swap_sigmask(SyscallContext& ctx, u64 mask_addr, u64 size) {
  if (!mask_addr) return {};
  if (size != 8) return abi::Errno::kEINVAL;
  const u64 set = TRY(mm::read_user<u64>(ctx.process.address_space(), mask_addr));
  constexpr u64 kUnblockable = sigbit(abi::kSIGKILL) | sigbit(abi::kSIGSTOP);
  ctx.thread.saved_sigmask() = ctx.thread.signal_mask();
  ctx.thread.signal_mask() = set & ~kUnblockable;
  return {};
}

// A relative timeout as a CLOCK_MONOTONIC deadline (poll_select_set_timeout); EINVAL for a
// negative or unnormalized one. {0, 0} gives `now` itself: look once, never wait.
inline Result<u64> deadline_after(i64 sec, i64 nsec) {
  if (sec < 0 || nsec < 0 || nsec >= static_cast<i64>(kNsPerSec)) return abi::Errno::kEINVAL;
  const u64 now = Kernel::monotonic_ns();
  const u64 max_sec = (~u64{0} - now) / kNsPerSec - 1;
  if (static_cast<u64>(sec) >= max_sec) return ~u64{0} - 1;  // as good as forever
  return now + static_cast<u64>(sec) * kNsPerSec + static_cast<u64>(nsec);
}

// Every queue and the nearest self-timed change (timerfd) of the files a poller looks at.
struct PollWaits {
  std::vector<WaitQueue*> queues;
  u64 deadline_ns = 0;
  void add(fs::File& file) {
    file.poll_queues(queues);
    const u64 d = file.poll_deadline_ns();
    if (d && (!deadline_ns || d < deadline_ns)) deadline_ns = d;
  }
  // The wait's deadline: the caller's (0: none) or a file's, whichever is first.
  u64 deadline(u64 caller_deadline) const {
    if (!deadline_ns) return caller_deadline;
    if (!caller_deadline) return deadline_ns;
    return std::min(deadline_ns, caller_deadline);
  }
};

}  // namespace kernel::syscalls
