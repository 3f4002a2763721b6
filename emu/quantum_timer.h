// The time quantum: while armed, a host thread marks the end of each quantum, and the CPU
// gives the running guest thread's place up at the next block boundary (Machine's block
// hook stops emulation there). The same thread marks a one-shot wake-up at a deadline (a
// kernel timer is due), which stops emulation the same way. The host thread never stops Unicorn
// itself: an asynchronous uc_emu_stop leaves rip stale inside a chain of blocks (Unicorn skips its
// pc fix-up when a stop is pending), and the guest would resume at the wrong instruction.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "kernel/base/types.h"

namespace emu {

using kernel::u64;

class QuantumTimer {
 public:
  explicit QuantumTimer(std::chrono::microseconds quantum);
  ~QuantumTimer();
  QuantumTimer(const QuantumTimer&) = delete;
  QuantumTimer& operator=(const QuantumTimer&) = delete;

  // Armed only while the kernel has more than one runnable thread.
  void arm(bool on);
  bool armed() const { return m_armed.load(std::memory_order_relaxed); }
  // Whether the quantum has ended (the block hook's cheap look).
  bool ended() const { return m_expired.load(std::memory_order_relaxed); }
  // Whether a quantum ended since the last call, forgetting it.
  bool expired() { return m_expired.exchange(false, std::memory_order_acq_rel); }

  // A wake-up at a CLOCK_MONOTONIC deadline in nanoseconds (0: none), replacing the last.
  void wake_at(u64 deadline_ns);
  bool wakeup_armed() const { return m_deadline.load(std::memory_order_relaxed) != 0; }
  // Whether the wake-up's deadline came (the block hook's cheap look).
  bool woken() const { return m_woken.load(std::memory_order_relaxed); }
  // Whether it came since the last call, forgetting it.
  bool take_wakeup() { return m_woken.exchange(false, std::memory_order_acq_rel); }

 private:
  void run();

  std::chrono::microseconds m_quantum;
  std::atomic<bool> m_armed{false};
  std::atomic<bool> m_expired{false};
  std::atomic<u64> m_deadline{0};
  std::atomic<bool> m_woken{false};
  bool m_quit = false;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::thread m_thread;
};

}  // namespace emu
