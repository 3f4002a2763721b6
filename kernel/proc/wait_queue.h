// A wait queue: the threads waiting for one thing to happen (data in a pipe, a child's
// exit, a futex word). A blocked thread may wait on several queues at once (poll), and is
// taken off all of them when it wakes, whatever woke it. Waking only makes a thread
// runnable: its syscall runs again and looks at the state for itself, so a wake-up that
// finds nothing is harmless.
#pragma once

#include <vector>

#include "kernel/base/types.h"

namespace kernel {

class Thread;

class WaitQueue {
 public:
  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  // A queue that goes away wakes its waiters: what they waited for cannot happen now.
  ~WaitQueue();

  void add(Thread& thread);
  void remove(Thread& thread);
  // Wakes every waiter. `key` says which poll events the change is about (Linux's wake-up
  // key: POLLIN for new data, POLLOUT for new room); epoll's edge-triggered items count
  // the wake-ups that concern them through generation().
  void wake_all(u32 key = ~0u);
  // Grows with every wake-up whose key shares a class (input, output) with `events`;
  // errors and hang-ups count for both.
  u64 generation(u32 events) const;
  // Wakes the first `n` waiters, oldest first; returns how many woke.
  int wake(int n);
  // Moves a waiter to another queue, where it waits last (FUTEX_REQUEUE).
  void move_to(Thread& thread, WaitQueue& other);
  bool empty() const { return m_waiters.empty(); }
  const std::vector<Thread*>& waiters() const { return m_waiters; }

 private:
  std::vector<Thread*> m_waiters;  // in the order they began to wait
  u64 m_input_wakes = 0;
  u64 m_output_wakes = 0;
};

}  // namespace kernel
