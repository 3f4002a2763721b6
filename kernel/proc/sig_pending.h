// A set of pending signals with their siginfo (Linux's struct sigpending): one per thread,
// and one shared by the thread group. A standard signal (1-31) is pending at most once;
// real-time signals (32-64) queue, each instance with its own siginfo, oldest first.
#pragma once

#include <deque>

#include "kernel/proc/signal_frame.h"

namespace kernel {

constexpr u64 sigbit(int sig) {
  return u64{1} << (sig - 1);
}
inline constexpr int kSigRtMin = 32;

class SigPending {
 public:
  u64 set() const { return m_set; }
  bool has(int sig) const { return m_set & sigbit(sig); }
  // Queues `info`. A standard signal already pending is dropped (false).
  bool add(const abi::Siginfo& info) {
    const int sig = info.si_signo;
    if (sig < kSigRtMin && has(sig)) return false;
    m_set |= sigbit(sig);
    m_queue.push_back(info);
    return true;
  }
  // Takes the oldest instance of `sig`, which must be pending.
  abi::Siginfo take(int sig) {
    abi::Siginfo out{};
    bool more = false, found = false;
    for (auto it = m_queue.begin(); it != m_queue.end();) {
      if (it->si_signo != sig) {
        ++it;
        continue;
      }
      if (found) {
        more = true;
        break;
      }
      out = *it;
      found = true;
      it = m_queue.erase(it);
    }
    if (!more) m_set &= ~sigbit(sig);
    return out;
  }
  // Forgets every instance of the signals in `mask` (a handler set to SIG_IGN, SIGCONT
  // discarding stops).
  void discard(u64 mask) {
    if (!(m_set & mask)) return;
    m_set &= ~mask;
    std::erase_if(m_queue, [mask](const abi::Siginfo& i) { return mask & sigbit(i.si_signo); });
  }
  u64 queued() const { return m_queue.size(); }

 private:
  u64 m_set = 0;
  std::deque<abi::Siginfo> m_queue;
};

}  // namespace kernel
