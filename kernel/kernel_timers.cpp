// The Kernel's timers: the timer list that alarm, setitimer and POSIX timers put their
// deadlines on, CPU-time accounting for the CPU-time timers, and Kernel::tick, which the
// machine calls each time it comes back to its run loop.
#include <algorithm>
#include <cstring>

#include "kernel/abi/linux.h"
#include "kernel/fs/host_waits.h"
#include "kernel/kernel.h"
#include "kernel/mm/khugepaged.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_timers.h"
#include "kernel/proc/thread.h"

namespace kernel {

namespace {

// The CPU-time itimer's deadline passed: its signal, and the next deadline past `cpu`.
bool cpu_itimer_due(CpuItimer& timer, u64 cpu) {
  if (!timer.expires_ns || cpu < timer.expires_ns) return false;
  if (timer.interval_ns)
    timer.expires_ns +=
        intervals_elapsed(timer.expires_ns, timer.interval_ns, cpu) * timer.interval_ns;
  else
    timer.expires_ns = 0;
  return true;
}

}  // namespace

void RealItimer::expired(u64) {
  // it_real_fn: SIGALRM from the kernel (SEND_SIG_PRIV); missed expiries are not counted.
  m_kernel.signal_process(m_process, proc::siginfo_kernel(abi::kSIGALRM));
}

void PosixTimer::expired(u64 overruns) {
  // posix_timer_fn: a periodic timer stops until its signal is taken; the list already
  // moved its deadline past now (overruns + 1 intervals), which counts towards it_overrun.
  if (period_ns) {
    expires_ns = deadline_ns();
    m_kernel.timers().disarm(*this);
    overrun += static_cast<i64>(overruns) + 1;
    ++requeue_pending;
  }
  if (m_kernel.send_timer_signal(*this, m_process) || !period_ns) return;
  // Not sent (ignored): it goes on by itself (the list's forward already counted).
  ++requeue_pending;
  m_kernel.timers().arm(*this, expires_ns, period_ns);
}

i64 PosixTimer::rearm(u32 generation) {
  if (!period_ns || generation != requeue_pending || armed() || cpu_armed) return 0;
  forward(clock_now());
  if (cpu_clock)
    cpu_armed = true;
  else
    m_kernel.timers().arm(*this, expires_ns, period_ns);
  overrun_last = overrun;
  overrun = -1;
  ++requeue_pending;
  return overrun_last;
}

u64 PosixTimer::clock_now() {
  return cpu_clock ? m_kernel.process_cpu_ns(m_process) : Kernel::monotonic_ns();
}

void PosixTimer::cpu_expired(u64 cpu_ns) {
  cpu_armed = false;
  if (period_ns) {
    const u64 steps = intervals_elapsed(expires_ns, period_ns, cpu_ns);
    expires_ns += steps * period_ns;
    overrun += static_cast<i64>(steps);
    ++requeue_pending;
  }
  if (m_kernel.send_timer_signal(*this, m_process) || !period_ns) return;
  ++requeue_pending;
  cpu_armed = true;
}

void PosixTimer::forward(u64 now_ns) {
  if (!period_ns || !expires_ns) return;
  const u64 steps = intervals_elapsed(expires_ns, period_ns, now_ns);
  expires_ns += steps * period_ns;
  overrun += static_cast<i64>(steps);
}

bool Kernel::send_timer_signal(PosixTimer& timer, Process& process) {
  if (timer.notify == abi::kSIGEV_NONE) return true;
  Thread* thread = nullptr;
  if (timer.notify == abi::kSIGEV_THREAD_ID) {
    thread = find_thread(timer.target_tid);
    if (!thread || &thread->process() != &process) return false;
  }
  if (!process.alive() || process.exiting()) return false;
  const int sig = timer.signo;
  if (signal_ignored(process, thread, sig)) return false;
  SigPending& pending = thread ? thread->pending() : process.shared_pending();
  // send_sigqueue: the timer's one preallocated siginfo, if still queued, only counts.
  if (abi::Siginfo* queued = pending.find_timer(sig, timer.id)) {
    ++queued->fields.rt.uid_or_overrun;
    return true;
  }
  abi::Siginfo info{};
  info.si_signo = sig;
  info.si_code = abi::kSI_TIMER;
  info.fields.rt.pid_or_tid = timer.id;
  info.fields.rt.uid_or_overrun = 0;
  info.fields.rt.value = timer.value;
  const u32 generation = timer.period_ns ? timer.requeue_pending : 0;
  std::memcpy(info.fields.bytes + kTimerPrivateOffset, &generation, sizeof generation);
  if (!pending.add(info)) return true;  // a standard signal already pending
  complete_signal(process, thread, sig);
  return true;
}

ProcessTimers& Kernel::timers_of(Process& process) {
  if (!process.timers()) process.timers() = std::make_unique<ProcessTimers>(*this, process);
  return *process.timers();
}

void Kernel::exit_timers(Process& process, bool posix_only) {
  ProcessTimers* timers = process.timers().get();
  if (!timers) return;
  timers->posix.clear();  // each leaves the list as it goes
  if (!posix_only) {
    m_timers.disarm(timers->real);
    timers->virt = {};
    timers->prof = {};
  }
  update_wakeup();
}

void Kernel::account_cpu(u64 now_ns) {
  if (!m_running_since_ns || !m_current || m_current->state() == ThreadState::Dead) {
    m_running_since_ns = 0;
    return;
  }
  const u64 spent = now_ns > m_running_since_ns ? now_ns - m_running_since_ns : 0;
  m_running_since_ns = now_ns;
  Process& p = *m_current_process;
  m_current->cpu_ns() += spent;
  p.cpu_ns() += spent;
  ProcessTimers* timers = p.timers().get();
  if (!timers || !p.alive()) return;
  // Guest time and kernel time on the CPU are not told apart: ITIMER_VIRTUAL counts what
  // ITIMER_PROF counts.
  if (cpu_itimer_due(timers->virt, p.cpu_ns()))
    signal_process(p, proc::siginfo_kernel(abi::kSIGVTALRM));
  if (cpu_itimer_due(timers->prof, p.cpu_ns()))
    signal_process(p, proc::siginfo_kernel(abi::kSIGPROF));
  if (!timers->has_cpu_timers) return;
  // One due timer at a time: its signal may end the process, and its timers with it.
  for (bool fired = true; fired && p.alive() && !p.exiting();) {
    fired = false;
    for (auto& [id, timer] : timers->posix) {
      if (!timer->cpu_armed || p.cpu_ns() < timer->expires_ns) continue;
      timer->cpu_expired(p.cpu_ns());
      fired = true;
      break;
    }
  }
}

u64 Kernel::process_cpu_ns(Process& process) {
  if (&process == m_current_process) account_cpu(monotonic_ns());
  return process.cpu_ns();
}

void Kernel::tick() {
  if (m_exit.exited) return;
  const u64 now = monotonic_ns();
  account_cpu(now);
  if (m_timers.nearest() && m_timers.nearest() <= now) m_timers.expire(now);
  m_memory.ksm().tick(now);  // a ksmd step when one is due
  // A thread waiting for the host's stdio wakes here while another computes: no
  // schedule() comes until the running one makes a call that waits.
  if (fs::HostWaits& host = fs::HostWaits::instance();
      host.any_waiting() && host.recheck(now) && m_scheduler.runnable_count() > 1)
    m_need_resched = true;
  mm::khugepaged_step(m_memory, now);
  // A signal for the running thread is acted on before it runs on.
  if (m_current && m_current->state() == ThreadState::Runnable && signal_pending(*m_current))
    m_need_resched = true;
  update_wakeup();
}

void Kernel::update_wakeup() {
  u64 next = m_timers.nearest();
  if (const u64 ksmd = m_memory.ksm().next_scan_ns(); ksmd && (!next || ksmd < next)) next = ksmd;
  if (const u64 khugepaged = mm::khugepaged_next_scan_ns(m_memory);
      khugepaged && (!next || khugepaged < next))
    next = khugepaged;
  // The running process's CPU-time timers fall due after as much more time on the CPU.
  if (m_current_process && m_current_process->timers() && m_running_since_ns) {
    const ProcessTimers& t = *m_current_process->timers();
    const u64 cpu = m_current_process->cpu_ns();
    auto consider = [&](u64 expires) {
      const u64 at = m_running_since_ns + (expires > cpu ? expires - cpu : 0);
      if (!next || at < next) next = at;
    };
    for (const CpuItimer* c : {&t.virt, &t.prof})
      if (c->expires_ns) consider(c->expires_ns);
    if (t.has_cpu_timers)
      for (const auto& [id, timer] : t.posix)
        if (timer->cpu_armed) consider(timer->expires_ns);
  }
  // The host's stdio is looked at again after a while, for its waiters.
  if (const fs::HostWaits& host = fs::HostWaits::instance(); host.any_waiting()) {
    const u64 at = host.next_check_ns();
    if (!next || at < next) next = at;
  }
  if (next == m_wakeup_ns) return;
  m_wakeup_ns = next;
  m_cpu.set_wakeup(next);
}

}  // namespace kernel
