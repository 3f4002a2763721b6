// The scheduler of the machine's one CPU: round robin over the runnable threads, and the
// deadlines of the blocked ones. It decides who runs; the kernel does the switch
// (registers, page-table root) and re-runs a woken thread's waiting syscall.
#pragma once

#include <deque>
#include <vector>

#include "kernel/proc/thread.h"
#include "kernel/trace_sink.h"

namespace kernel {

class Scheduler {
 public:
  // A thread that can run from now on (a new one, or one that was stopped).
  void add(Thread& thread);
  // A thread that will never run again (it exited): off every queue.
  void remove(Thread& thread);
  // The running thread begins to wait: its BlockedCall names the queues and the deadline.
  void block(Thread& thread);
  // Makes a blocked thread runnable, saying why; off every queue it waited on. A thread
  // that is not blocked stays as it is.
  static void wake(Thread& thread, WakeReason reason);
  void make_runnable(Thread& thread, WakeReason reason);

  // The next thread to run after `prev` (which is still runnable, or not): the oldest
  // runnable thread that may run, round robin. Null when none can.
  Thread* pick_next(Thread* prev);
  // Wakes, with WakeReason::Timeout, every blocked thread whose deadline is at or before
  // `now_ns`; returns the nearest deadline still ahead (0: none).
  u64 expire(u64 now_ns);
  // How many threads could run now (the running one included).
  u64 runnable_count() const { return m_runnable.size(); }
  const std::vector<Thread*>& blocked() const { return m_blocked; }

  // How often a thread gave up the CPU, or had it taken (/proc/PID/status).
  u64 switches() const { return m_switches; }

  // Wake-ups go to `sink` as sched-wake events (null: not traced), naming the thread on the
  // CPU as the waker.
  void set_tracing(TraceSink* sink) { m_trace_sink = sink; }
  void set_running(int tid) { m_running_tid = tid; }

 private:
  std::deque<Thread*> m_runnable;  // in the order they will run
  std::vector<Thread*> m_blocked;
  u64 m_switches = 0;
  TraceSink* m_trace_sink = nullptr;
  int m_running_tid = 0;
};

// "event", "timeout", "signal" (or "none").
const char* wake_reason_name(WakeReason reason);

// Which scheduler a thread belongs to, so that a wait queue can wake it.
Scheduler*& scheduler_of(Thread& thread);

}  // namespace kernel
