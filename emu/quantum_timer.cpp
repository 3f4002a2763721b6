#include "emu/quantum_timer.h"

namespace emu {

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

void QuantumTimer::run() {
  std::unique_lock lock(m_mutex);
  while (!m_quit) {
    if (!m_armed.load(std::memory_order_relaxed)) {
      m_cv.wait(lock, [this] { return m_quit || m_armed.load(std::memory_order_relaxed); });
      continue;
    }
    m_cv.wait_for(lock, m_quantum);
    if (m_quit || !m_armed.load(std::memory_order_relaxed)) continue;
    m_expired.store(true, std::memory_order_release);
  }
}

}  // namespace emu
