// A process's timers: setitimer's three (ITIMER_REAL on the kernel's timer list, the CPU-time
// ones checked as the process's CPU time grows) and its POSIX timers (timer_create), as
// Linux's kernel/time/itimer.c and posix-timers.c keep them in the signal struct.
#pragma once

#include <map>
#include <memory>

#include "kernel/base/types.h"
#include "kernel/proc/timers.h"

namespace kernel {

// Where a POSIX timer's queued siginfo keeps the generation it was sent with (Linux's
// si_sys_private, at siginfo offset 0x20), as an offset into Siginfo::fields.
inline constexpr u64 kTimerPrivateOffset = 16;

class Kernel;
class Process;

// ITIMER_REAL and alarm: SIGALRM to the process at each expiry (it_real_fn).
class RealItimer final : public KernelTimer {
 public:
  RealItimer(Kernel& kernel, Process& process) : m_kernel(kernel), m_process(process) {}

 protected:
  void expired(u64 overruns) override;

 private:
  Kernel& m_kernel;
  Process& m_process;
};

// ITIMER_VIRTUAL / ITIMER_PROF: a deadline in the process's CPU time.
struct CpuItimer {
  u64 expires_ns = 0;  // 0: disarmed
  u64 interval_ns = 0;
};

// One POSIX timer (struct k_itimer) on a CLOCK_MONOTONIC-based deadline. A periodic timer
// that sent its signal waits until the signal is taken to run again (posixtimer_rearm),
// and counts the intervals it missed meanwhile as overruns.
class PosixTimer final : public KernelTimer {
 public:
  PosixTimer(Kernel& kernel, Process& process) : m_kernel(kernel), m_process(process) {}

  int id = 0;
  int clock = 0;
  int notify = 0;  // SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID
  int signo = 0;
  u64 value = 0;       // sigev_value
  int target_tid = 0;  // SIGEV_THREAD_ID
  // Linux's it_overrun (from -1), it_overrun_last and it_requeue_pending.
  i64 overrun = -1;
  i64 overrun_last = 0;
  u32 requeue_pending = 0;
  // The next deadline of a periodic timer whose signal waits to be taken, or of a
  // SIGEV_NONE timer (never on the list); its interval.
  u64 expires_ns = 0;
  u64 period_ns = 0;
  // A CLOCK_PROCESS_CPUTIME_ID timer: expires_ns is in the process's CPU time, checked as
  // that grows (Kernel::account_cpu), never on the timer list.
  bool cpu_clock = false;
  bool cpu_armed = false;

  // The signal was taken with generation `generation`: a periodic timer runs again.
  // Returns the overruns the delivered siginfo reports.
  i64 rearm(u32 generation);
  // A CPU-time timer's deadline passed at CPU time `cpu_ns` (posix_timer_fn's work).
  void cpu_expired(u64 cpu_ns);
  // Now on the timer's clock: CLOCK_MONOTONIC, or the process's CPU time.
  u64 clock_now();
  // Moves a periodic timer's stored deadline past now, counting the overruns (timer_gettime
  // of a timer that is waiting for its signal to be taken, or of SIGEV_NONE).
  void forward(u64 now_ns);

 protected:
  void expired(u64 overruns) override;

 private:
  Kernel& m_kernel;
  Process& m_process;
};

struct ProcessTimers {
  ProcessTimers(Kernel& kernel, Process& process) : real(kernel, process) {}
  RealItimer real;
  u64 real_interval_ns = 0;  // it_real_incr: reported even while the timer is not armed
  CpuItimer virt;
  CpuItimer prof;
  std::map<int, std::unique_ptr<PosixTimer>> posix;
  int next_id = 0;
  bool has_cpu_timers = false;  // a CLOCK_PROCESS_CPUTIME_ID timer was made
  // How many POSIX timers a process may have (each holds a preallocated siginfo, which Linux
  // bounds by RLIMIT_SIGPENDING).
  static constexpr u64 kMaxPosixTimers = 4096;
};

}  // namespace kernel
