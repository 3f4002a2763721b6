#include "kernel/proc/scheduler.h"

#include <algorithm>

#include "kernel/proc/process.h"
#include "kernel/proc/wait_queue.h"

namespace kernel {

Scheduler*& scheduler_of(Thread& thread) {
  return thread.scheduler();
}

void Scheduler::add(Thread& thread) {
  thread.scheduler() = this;
  thread.state() = ThreadState::Runnable;
  if (std::find(m_runnable.begin(), m_runnable.end(), &thread) == m_runnable.end())
    m_runnable.push_back(&thread);
}

void Scheduler::remove(Thread& thread) {
  for (WaitQueue* q : thread.call().queues) q->remove(thread);
  thread.call().queues.clear();
  std::erase(m_runnable, &thread);
  std::erase(m_blocked, &thread);
  thread.state() = ThreadState::Dead;
}

void Scheduler::block(Thread& thread) {
  thread.state() = ThreadState::Blocked;
  thread.call().reason = WakeReason::None;
  std::erase(m_runnable, &thread);
  m_blocked.push_back(&thread);
  ++thread.voluntary_switches();
}

void Scheduler::wake(Thread& thread, WakeReason reason) {
  if (thread.scheduler()) thread.scheduler()->make_runnable(thread, reason);
}

void Scheduler::make_runnable(Thread& thread, WakeReason reason) {
  if (thread.state() != ThreadState::Blocked) return;
  for (WaitQueue* q : thread.call().queues) q->remove(thread);
  thread.call().queues.clear();
  thread.call().reason = reason;
  thread.state() = ThreadState::Runnable;
  std::erase(m_blocked, &thread);
  m_runnable.push_back(&thread);
  if (m_trace_sink) [[unlikely]] {
    // A deadline passing is nobody's doing; anything else is the running thread's.
    const TraceField fields[] = {
        TraceField::dec("tid", static_cast<u64>(thread.tid())),
        TraceField::str("reason", wake_reason_name(reason)),
        TraceField::dec("by", reason == WakeReason::Timeout ? 0 : static_cast<u64>(m_running_tid)),
    };
    m_trace_sink->event("sched-wake", fields);
  }
}

const char* wake_reason_name(WakeReason reason) {
  switch (reason) {
    case WakeReason::Event:
      return "event";
    case WakeReason::Timeout:
      return "timeout";
    case WakeReason::Signal:
      return "signal";
    case WakeReason::None:
      break;
  }
  return "none";
}

Thread* Scheduler::pick_next(Thread* prev) {
  // The running thread goes to the back of the line, behind everyone who waited.
  if (prev && prev->state() == ThreadState::Runnable && m_runnable.size() > 1 &&
      m_runnable.front() == prev) {
    m_runnable.pop_front();
    m_runnable.push_back(prev);
  }
  for (Thread* t : m_runnable) {
    if (t->process().stopped()) continue;
    if (t != prev) ++m_switches;
    // The chosen thread runs from the front, so that it goes back last next time.
    std::erase(m_runnable, t);
    m_runnable.push_front(t);
    return t;
  }
  return nullptr;
}

u64 Scheduler::expire(u64 now_ns) {
  u64 nearest = 0;
  // Deadlines that fall due together wake in the order they fell due (Linux's hrtimers
  // fire earliest first), so that the earliest runs first.
  u64 expired = 0;
  for (Thread* t : m_blocked) {
    const u64 deadline = t->call().deadline_ns;
    if (!deadline) continue;
    if (deadline <= now_ns) {
      ++expired;
    } else if (!nearest || deadline < nearest) {
      nearest = deadline;
    }
  }
  while (expired--) {
    Thread* earliest = nullptr;
    for (Thread* t : m_blocked) {
      const u64 deadline = t->call().deadline_ns;
      if (deadline && deadline <= now_ns && (!earliest || deadline < earliest->call().deadline_ns))
        earliest = t;
    }
    make_runnable(*earliest, WakeReason::Timeout);
  }
  return nearest;
}

}  // namespace kernel
