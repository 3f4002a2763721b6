// timerfd (fs/timerfd.c): a timer on CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME
// whose expirations are counted and read as a u64. Expirations are worked out from the
// clock whenever the timer is looked at; a waiter sleeps until poll_deadline_ns(), the
// next expiry, so the scheduler wakes it then.
#pragma once

#include "kernel/fs/file.h"
#include "kernel/proc/wait_queue.h"

namespace kernel::fs {

inline constexpr u64 kTFD_TIMER_ABSTIME = 1, kTFD_TIMER_CANCEL_ON_SET = 2;

struct Itimerspec {
  abi::Timespec interval;
  abi::Timespec value;
};
static_assert(sizeof(Itimerspec) == 32);

class TimerFd final : public File {
 public:
  TimerFd(int clock, u64 flags);

  Result<u64> read(std::span<u8> buf) override;
  Result<void> stat(abi::Stat& out) override;
  u32 poll_ready() override;
  WaitQueue* poll_queue() override { return &m_waiters; }
  u64 poll_deadline_ns() override;

  // timerfd_settime: arms (a zero value disarms) and returns the old setting.
  Itimerspec set(u64 flags, const Itimerspec& spec);
  // timerfd_gettime: the time to the next expiry (0 when disarmed) and the interval.
  Itimerspec get();

 private:
  u64 now() const;
  // Counts the expirations up to now.
  void update();

  int m_clock;
  u64 m_expiry = 0;    // on m_clock, in ns; 0: disarmed
  u64 m_interval = 0;  // ns; 0: one expiry
  u64 m_ticks = 0;     // expirations not read yet
  WaitQueue m_waiters;
};

}  // namespace kernel::fs
