#include "kernel/proc/timers.h"

namespace kernel {

KernelTimer::~KernelTimer() {
  if (m_list) m_list->disarm(*this);
}

TimerList::~TimerList() {
  for (const Entry& e : m_queue) {
    e.timer->m_list = nullptr;
    e.timer->m_deadline = 0;
  }
}

u64 intervals_elapsed(u64 deadline, u64 interval, u64 now) {
  if (now < deadline) return 0;
  if (interval == 0) return 1;
  return (now - deadline) / interval + 1;
}

void TimerList::insert(KernelTimer& timer) {
  timer.m_sequence = m_sequence++;
  m_queue.insert(Entry{timer.m_deadline, timer.m_sequence, &timer});
  timer.m_list = this;
}

void TimerList::arm(KernelTimer& timer, u64 deadline_ns, u64 interval_ns) {
  if (timer.m_list) timer.m_list->disarm(timer);
  timer.m_deadline = deadline_ns;
  timer.m_interval = interval_ns;
  insert(timer);
}

void TimerList::disarm(KernelTimer& timer) {
  if (timer.m_list != this) return;
  m_queue.erase(Entry{timer.m_deadline, timer.m_sequence, &timer});
  timer.m_list = nullptr;
  timer.m_deadline = 0;
}

u64 TimerList::expire(u64 now_ns) {
  u64 fired = 0;
  while (!m_queue.empty() && m_queue.begin()->first <= now_ns) {
    const Entry first = *m_queue.begin();
    m_queue.erase(m_queue.begin());
    KernelTimer& timer = *first.timer;
    u64 overruns = 0;
    if (timer.m_interval) {
      // Forward past now: the deadlines missed in between count as overruns.
      const u64 steps = intervals_elapsed(timer.m_deadline, timer.m_interval, now_ns);
      overruns = steps - 1;
      timer.m_deadline += steps * timer.m_interval;
      insert(timer);
    } else {
      timer.m_list = nullptr;
      timer.m_deadline = 0;
    }
    ++fired;
    timer.expired(overruns);
  }
  return fired;
}

}  // namespace kernel
