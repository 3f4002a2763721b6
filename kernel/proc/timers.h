// Kernel timers: things that happen at a CLOCK_MONOTONIC deadline, once or every interval
// (alarm, setitimer's ITIMER_REAL, POSIX timers). The kernel keeps one list of them ordered
// by deadline. Its nearest deadline is how long an idle CPU may sleep, and when the machine
// must come back to the kernel while a guest thread computes (hal::Cpu::set_wakeup).
#pragma once

#include <set>
#include <utility>

#include "kernel/base/types.h"

namespace kernel {

class TimerList;

class KernelTimer {
 public:
  KernelTimer() = default;
  KernelTimer(const KernelTimer&) = delete;
  KernelTimer& operator=(const KernelTimer&) = delete;
  // A timer that goes away leaves its list.
  virtual ~KernelTimer();

  bool armed() const { return m_list != nullptr; }
  u64 deadline_ns() const { return m_deadline; }  // 0 when not armed
  u64 interval_ns() const { return m_interval; }  // 0: fires once

 protected:
  // The deadline passed. A periodic timer is already armed for its next deadline after
  // `now`; `overruns` deadlines in between were skipped. The timer may arm or disarm
  // itself (or others) from here.
  virtual void expired(u64 overruns) = 0;

 private:
  friend class TimerList;
  TimerList* m_list = nullptr;
  u64 m_deadline = 0;
  u64 m_interval = 0;
  u64 m_sequence = 0;  // its place among timers with the same deadline
};

class TimerList {
 public:
  TimerList() = default;
  TimerList(const TimerList&) = delete;
  TimerList& operator=(const TimerList&) = delete;
  ~TimerList();

  // Arms `timer` for `deadline_ns` (> 0), then every `interval_ns` (0: once); an armed
  // timer moves to its new deadline.
  void arm(KernelTimer& timer, u64 deadline_ns, u64 interval_ns);
  void disarm(KernelTimer& timer);
  // The nearest deadline, 0 when no timer is armed.
  u64 nearest() const { return m_queue.empty() ? 0 : m_queue.begin()->first; }
  // Fires every timer whose deadline is at or before `now_ns`, earliest first (timers
  // with one deadline in the order they were armed); returns how many fired.
  u64 expire(u64 now_ns);
  u64 size() const { return m_queue.size(); }

 private:
  // (deadline, arming sequence): equal deadlines fire in arming order.
  struct Entry {
    u64 first;
    u64 sequence;
    KernelTimer* timer;
    bool operator<(const Entry& o) const {
      return first != o.first ? first < o.first : sequence < o.sequence;
    }
  };
  void insert(KernelTimer& timer);
  std::set<Entry> m_queue;
  u64 m_sequence = 0;
};

// The number of whole intervals from `deadline` to `now` (hrtimer_forward): how far a
// periodic timer moves past `now`, at least 1 when `now` >= `deadline`, 0 otherwise.
u64 intervals_elapsed(u64 deadline, u64 interval, u64 now);

}  // namespace kernel
