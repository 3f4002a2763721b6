// The time quantum: while armed, a host thread marks the end of each quantum, and the CPU
// gives the running guest thread's place up at the next block boundary (Machine's block
// hook stops emulation there). The host thread never stops Unicorn itself: an
// asynchronous uc_emu_stop leaves rip stale inside a chain of blocks (Unicorn skips its
// pc fix-up when a stop is pending), and the guest would resume at the wrong instruction.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace emu {

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

 private:
  void run();

  std::chrono::microseconds m_quantum;
  std::atomic<bool> m_armed{false};
  std::atomic<bool> m_expired{false};
  bool m_quit = false;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::thread m_thread;
};

}  // namespace emu
