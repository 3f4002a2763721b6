#include "kernel/fs/host_waits.h"

#include <poll.h>

#include <cerrno>

namespace kernel::fs {

HostWaits& HostWaits::instance() {
  static HostWaits waits;
  return waits;
}

bool HostWaits::any_waiting() const {
  for (const WaitQueue& q : m_queues)
    if (!q.empty()) return true;
  return false;
}

bool HostWaits::poll(u64 timeout_ns) {
  struct pollfd fds[kMaxFds];
  int n = 0;
  for (int fd = 0; fd < kMaxFds; ++fd)
    if (!m_queues[fd].empty()) fds[n++] = {fd, fd == 0 ? POLLIN : POLLOUT, 0};
  int timeout_ms = 0;
  if (timeout_ns == ~u64{0})
    timeout_ms = -1;
  else if (timeout_ns > 0)
    timeout_ms = static_cast<int>(std::min<u64>((timeout_ns + 999'999) / 1'000'000, 1'000'000));
  const int ready = ::poll(fds, static_cast<nfds_t>(n), timeout_ms);
  if (ready <= 0) return false;
  for (int i = 0; i < n; ++i)
    if (fds[i].revents) m_queues[fds[i].fd].wake_all();
  return true;
}

bool HostWaits::recheck(u64 now_ns) {
  if (now_ns - m_last_check_ns < kRecheckNs || !any_waiting()) return false;
  m_last_check_ns = now_ns;
  return poll(0);
}

}  // namespace kernel::fs
