// A set of pending signals with their siginfo (Linux's struct sigpending): one per thread,
// and one shared by the thread group. A standard signal (1-31) is pending at most once;
// real-time signals (32-64) queue, each instance with its own siginfo, oldest first.
// A queued siginfo may be charged to a user's count of queued signals (RLIMIT_SIGPENDING,
// Linux's ucounts): the count drops when the siginfo is taken or discarded.
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
  SigPending() = default;
  SigPending(const SigPending&) = delete;
  SigPending& operator=(const SigPending&) = delete;
  ~SigPending() { discard(~u64{0}); }

  u64 set() const { return m_set; }
  bool has(int sig) const { return m_set & sigbit(sig); }
  // Whether `sig` would be dropped as already pending (a standard signal).
  bool would_drop(int sig) const { return sig < kSigRtMin && has(sig); }
  // Queues `info`, charged to `*charge` when given. A standard signal already pending is
  // dropped (false).
  bool add(const abi::Siginfo& info, u64* charge = nullptr) {
    const int sig = info.si_signo;
    if (would_drop(sig)) return false;
    m_set |= sigbit(sig);
    m_queue.push_back({info, charge});
    if (charge) ++*charge;
    return true;
  }
  // Marks `sig` pending without a siginfo (Linux's lost information when no queue entry
  // could be had): it is taken as SI_USER from pid 0.
  void mark(int sig) { m_set |= sigbit(sig); }
  // Takes the oldest instance of `sig`, which must be pending.
  abi::Siginfo take(int sig) {
    abi::Siginfo out{};
    out.si_signo = sig;
    out.si_code = abi::kSI_USER;  // collect_signal's "it wasn't in the queue"
    bool more = false, found = false;
    for (auto it = m_queue.begin(); it != m_queue.end();) {
      if (it->info.si_signo != sig) {
        ++it;
        continue;
      }
      if (found) {
        more = true;
        break;
      }
      out = it->info;
      if (it->charge) --*it->charge;
      found = true;
      it = m_queue.erase(it);
    }
    if (!more) m_set &= ~sigbit(sig);
    return out;
  }
  // The queued siginfo of POSIX timer `timer_id`'s signal, or nullptr.
  abi::Siginfo* find_timer(int sig, int timer_id) {
    for (Entry& e : m_queue)
      if (e.info.si_signo == sig && e.info.si_code == abi::kSI_TIMER &&
          e.info.fields.rt.pid_or_tid == timer_id)
        return &e.info;
    return nullptr;
  }
  // Forgets every instance of the signals in `mask` (a handler set to SIG_IGN, SIGCONT
  // discarding stops).
  void discard(u64 mask) {
    if (!(m_set & mask)) return;
    m_set &= ~mask;
    std::erase_if(m_queue, [mask](const Entry& e) {
      if (!(mask & sigbit(e.info.si_signo))) return false;
      if (e.charge) --*e.charge;
      return true;
    });
  }
  u64 queued() const { return m_queue.size(); }

 private:
  struct Entry {
    abi::Siginfo info;
    u64* charge;
  };
  u64 m_set = 0;
  std::deque<Entry> m_queue;
};

}  // namespace kernel
