#include "kernel/fs/timerfd.h"

#include <time.h>

#include <cstring>

#include "kernel/fs/anon_inode.h"

namespace kernel::fs {

namespace {

constexpr u64 kNs = 1'000'000'000;

u64 clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<u64>(ts.tv_sec) * kNs + static_cast<u64>(ts.tv_nsec);
}

u64 to_ns(const abi::Timespec& ts) {
  return static_cast<u64>(ts.tv_sec) * kNs + static_cast<u64>(ts.tv_nsec);
}

abi::Timespec from_ns(u64 ns) {
  return {static_cast<i64>(ns / kNs), static_cast<i64>(ns % kNs)};
}

}  // namespace

TimerFd::TimerFd(int clock, u64 flags) : m_clock(clock) {
  status_flags = abi::kO_RDWR | (flags & abi::kO_NONBLOCK);
}

u64 TimerFd::now() const {
  switch (m_clock) {
    case abi::kCLOCK_REALTIME:
      return clock_ns(CLOCK_REALTIME);
    case abi::kCLOCK_BOOTTIME:
      return clock_ns(CLOCK_BOOTTIME);
    default:
      return clock_ns(CLOCK_MONOTONIC);
  }
}

void TimerFd::update() {
  if (!m_expiry) return;
  const u64 t = now();
  if (t < m_expiry) return;
  if (m_interval) {
    const u64 n = 1 + (t - m_expiry) / m_interval;
    m_ticks += n;
    m_expiry += n * m_interval;
  } else {
    m_ticks += 1;
    m_expiry = 0;
  }
}

Result<u64> TimerFd::read(std::span<u8> buf) {
  if (buf.size() < sizeof(u64)) return abi::Errno::kEINVAL;
  update();
  if (!m_ticks) return (status_flags & abi::kO_NONBLOCK) ? abi::Errno::kEAGAIN : abi::kEWAIT;
  const u64 ticks = m_ticks;
  m_ticks = 0;
  std::memcpy(buf.data(), &ticks, sizeof ticks);
  return sizeof(u64);
}

u32 TimerFd::poll_ready() {
  update();
  return m_ticks ? (abi::kPOLLIN | abi::kPOLLRDNORM) : 0;
}

u64 TimerFd::poll_deadline_ns() {
  update();
  if (!m_expiry) return 0;
  const u64 t = now();
  const u64 mono = clock_ns(CLOCK_MONOTONIC);
  return mono + (m_expiry > t ? m_expiry - t : 0);
}

Itimerspec TimerFd::get() {
  update();
  Itimerspec out{};
  out.interval = from_ns(m_interval);
  if (m_expiry) {
    const u64 t = now();
    // An expiry due now shows as 1 ns to go, never as disarmed (timerfd_get_remaining).
    out.value = from_ns(m_expiry > t ? m_expiry - t : 1);
  }
  return out;
}

Itimerspec TimerFd::set(u64 flags, const Itimerspec& spec) {
  const Itimerspec old = get();
  m_ticks = 0;
  m_interval = to_ns(spec.interval);
  const u64 value = to_ns(spec.value);
  if (!value) {
    m_expiry = 0;
  } else if (flags & kTFD_TIMER_ABSTIME) {
    m_expiry = value;
  } else {
    m_expiry = now() + value;
  }
  m_waiters.wake_all();
  return old;
}

Result<void> TimerFd::stat(abi::Stat& out) {
  fs::anon_inode_stat(out);
  return {};
}

}  // namespace kernel::fs
