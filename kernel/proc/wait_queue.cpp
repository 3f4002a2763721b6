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

void WaitQueue::wake_all() {
  while (!m_waiters.empty()) Scheduler::wake(*m_waiters.front(), WakeReason::Event);
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
