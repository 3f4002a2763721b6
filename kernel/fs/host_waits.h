// Guest threads that wait for the host's stdio (a read of the inherited stdin with nothing
// typed yet, a poll on it). The guest must not block the host while other guest threads can
// run, so such a wait is an ordinary guest wait on the host fd's queue, and the scheduler
// asks the host which of these fds are ready: a blocking host poll when no guest thread can
// run (up to the nearest deadline), and a quick look now and then while others run.
#pragma once

#include <array>

#include "kernel/base/types.h"
#include "kernel/proc/wait_queue.h"

namespace kernel::fs {

class HostWaits {
 public:
  static constexpr int kMaxFds = 3;  // the inherited stdin, stdout and stderr

  // The queue of host fd `fd` (0-2); null for any other.
  WaitQueue* queue(int fd) { return fd >= 0 && fd < kMaxFds ? &m_queues[fd] : nullptr; }
  // Whether any guest thread waits on a host fd.
  bool any_waiting() const;
  // Polls the host fds someone waits on, for at most timeout_ns (0: just look; ~0: no
  // limit), and wakes the waiters of each fd that is ready. Returns whether any woke.
  bool poll(u64 timeout_ns);
  // While guest threads run: polls without waiting, at most once per kRecheckNs. Returns
  // whether any waiter woke.
  bool recheck(u64 now_ns);
  // When the next recheck is due (CLOCK_MONOTONIC ns): the kernel has the CPU stop then, so
  // that a waiter wakes even while another thread computes without a system call.
  u64 next_check_ns() const { return m_last_check_ns + kRecheckNs; }

  // The emulator's one set (the host's stdio is one per emulator process).
  static HostWaits& instance();

 private:
  static constexpr u64 kRecheckNs = 10'000'000;  // 10 ms
  std::array<WaitQueue, kMaxFds> m_queues;
  u64 m_last_check_ns = 0;
};

}  // namespace kernel::fs
