#include "emu/quantum_timer.h"

#include <algorithm>

namespace emu {

namespace {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as the kernel's deadlines

Clock::time_point at_ns(u64 ns) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

}  // namespace

QuantumTimer::QuantumTimer(std::chrono::microseconds quantum) : m_quantum(quantum) {}

QuantumTimer::~QuantumTimer() {
  {
    std::lock_guard lock(m_mutex);
    m_quit = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void QuantumTimer::arm(bool on) {
  if (m_armed.load(std::memory_order_relaxed) == on) return;
  {
    std::lock_guard lock(m_mutex);
    m_armed.store(on, std::memory_order_relaxed);
    if (!on) m_expired.store(false, std::memory_order_relaxed);
    // The thread starts with the first quantum it is needed for: a program that never
    // makes a second thread never has one.
    if (on && !m_thread.joinable()) m_thread = std::thread([this] { run(); });
  }
  m_cv.notify_all();
}

void QuantumTimer::wake_at(u64 deadline_ns) {
  if (m_deadline.load(std::memory_order_relaxed) == deadline_ns) return;
  {
    std::lock_guard lock(m_mutex);
    m_deadline.store(deadline_ns, std::memory_order_relaxed);
    if (deadline_ns && !m_thread.joinable()) m_thread = std::thread([this] { run(); });
  }
  m_cv.notify_all();
}

void QuantumTimer::run() {
  std::unique_lock lock(m_mutex);
  bool was_armed = false;
  Clock::time_point quantum_end{};
  while (!m_quit) {
    const bool armed = m_armed.load(std::memory_order_relaxed);
    const u64 deadline = m_deadline.load(std::memory_order_relaxed);
    if (armed && !was_armed) quantum_end = Clock::now() + m_quantum;
    was_armed = armed;
    if (!armed && !deadline) {
      m_cv.wait(lock);
      continue;
    }
    Clock::time_point until = armed ? quantum_end : at_ns(deadline);
    if (armed && deadline) until = std::min(until, at_ns(deadline));
    // Woken early (a new deadline, disarmed, quit): look again.
    if (m_cv.wait_until(lock, until) == std::cv_status::no_timeout) continue;
    const Clock::time_point now = Clock::now();
    if (m_quit) break;
    if (armed && m_armed.load(std::memory_order_relaxed) && now >= quantum_end) {
      m_expired.store(true, std::memory_order_release);
      quantum_end = now + m_quantum;
    }
    if (deadline && m_deadline.load(std::memory_order_relaxed) == deadline &&
        now >= at_ns(deadline)) {
      m_deadline.store(0, std::memory_order_relaxed);
      m_woken.store(true, std::memory_order_release);
    }
  }
}

}  // namespace emu
