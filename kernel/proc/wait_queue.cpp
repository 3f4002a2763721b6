#include "kernel/proc/wait_queue.h"

#include <algorithm>

#include "kernel/proc/scheduler.h"
#include "kernel/proc/thread.h"

namespace kernel {

WaitQueue::~WaitQueue() {
  wake_all();
}

void WaitQueue::add(Thread& thread) {
  m_waiters.push_back(&thread);
  thread.call().queues.push_back(this);
}

void WaitQueue::remove(Thread& thread) {
  std::erase(m_waiters, &thread);
}

namespace {

constexpr u32 kInputEvents = 0x1 | 0x2 | 0x40 | 0x80 | 0x2000;  // IN PRI RDNORM RDBAND RDHUP
constexpr u32 kOutputEvents = 0x4 | 0x100 | 0x200;              // OUT WRNORM WRBAND
constexpr u32 kBothEvents = 0x8 | 0x10;                         // ERR HUP

}  // namespace

void WaitQueue::wake_all(u32 key) {
  if (key & (kInputEvents | kBothEvents)) ++m_input_wakes;
  if (key & (kOutputEvents | kBothEvents)) ++m_output_wakes;
  while (!m_waiters.empty()) Scheduler::wake(*m_waiters.front(), WakeReason::Event);
}

u64 WaitQueue::generation(u32 events) const {
  const bool in = events & kInputEvents, out = events & kOutputEvents;
  if (!in && !out) return m_input_wakes + m_output_wakes;
  return (in ? m_input_wakes : 0) + (out ? m_output_wakes : 0);
}

int WaitQueue::wake(int n) {
  int woken = 0;
  while (woken < n && !m_waiters.empty()) {
    Scheduler::wake(*m_waiters.front(), WakeReason::Event);
    ++woken;
  }
  return woken;
}

void WaitQueue::move_to(Thread& thread, WaitQueue& other) {
  remove(thread);
  std::replace(thread.call().queues.begin(), thread.call().queues.end(), this, &other);
  other.m_waiters.push_back(&thread);
}

}  // namespace kernel
