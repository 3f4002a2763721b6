// The Kernel's signal half: signals are queued when raised and acted on when the process
// returns to user mode (after a syscall or a fault), as Linux's signal delivery does.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_timers.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {

namespace {

constexpr u64 kUnblockable = sigbit(abi::kSIGKILL) | sigbit(abi::kSIGSTOP);
// The faults' signals, taken before any other pending one (SYNCHRONOUS_MASK).
constexpr u64 kSynchronous = sigbit(abi::kSIGSEGV) | sigbit(abi::kSIGBUS) | sigbit(abi::kSIGILL) |
                             sigbit(abi::kSIGTRAP) | sigbit(abi::kSIGFPE) | sigbit(abi::kSIGSYS);
constexpr u64 kEflagsRF = u64{1} << 16;
// rt_sigreturn loads every register from the frame, and Linux leaves it by IRET: %rcx and
// %r11 keep the restored values instead of what `syscall` put there.
constexpr u64 kSysRtSigreturn = 15;

// The job-control stops: their default action stops the thread group.
bool stops(int sig) {
  return sig == abi::kSIGSTOP || sig == 20 || sig == 21 || sig == 22;
}

// next_signal(): the lowest-numbered synchronous signal, else the lowest-numbered one.
int next_signal(u64 ready) {
  if (ready & kSynchronous) ready &= kSynchronous;
  return __builtin_ctzll(ready) + 1;
}

// The siginfo forms that carry a fault address (siginfo_layout() == SIL_FAULT*).
bool has_fault_address(const abi::Siginfo& info) {
  const int sig = info.si_signo;
  return info.si_code > 0 && info.si_code < abi::kSI_KERNEL &&
         (sig == abi::kSIGSEGV || sig == abi::kSIGBUS || sig == abi::kSIGILL ||
          sig == abi::kSIGFPE || sig == abi::kSIGTRAP);
}

}  // namespace

void Kernel::send_signal(int sig, int si_code) {
  if (sig <= 0 || sig > abi::kNumSignals) return;
  const abi::Siginfo info = proc::siginfo_kill(sig, si_code, m_current_process->pid(), 0);
  // tkill and the kernel's own SIGPIPE go to the calling thread; kill to the group.
  if (si_code == abi::kSI_TKILL || sig == abi::kSIGPIPE)
    signal_thread(*m_current, info);
  else
    signal_process(*m_current_process, info);
}

void Kernel::force_signal(int sig) {
  force_signal_info(proc::siginfo_kernel(sig), ResetHandler::IfBlockedOrIgnored);
}

bool Kernel::signal_pending(Thread& thread) {
  const u64 pending = thread.pending().set() | thread.process().shared_pending().set();
  return pending & ~thread.signal_mask();
}

abi::Errno Kernel::signal_process(Process& target, const abi::Siginfo& info) {
  return queue_signal_to(target, nullptr, info);
}

abi::Errno Kernel::signal_thread(Thread& target, const abi::Siginfo& info) {
  return queue_signal_to(target.process(), &target, info);
}

void Kernel::queue_signal(const abi::Siginfo& info) {
  (void)queue_signal_to(*m_current_process, m_current, info);
}

bool Kernel::signal_ignored(Process& p, Thread* thread, int sig) {
  // A blocked signal is never ignored when sent: its action may change before it is
  // unblocked. A group signal counts as blocked only if every thread blocks it.
  const u64 bit = sigbit(sig);
  bool blocked = false;
  if (thread) {
    blocked = thread->signal_mask() & bit;
  } else {
    blocked = !p.threads().empty();
    for (Thread* t : p.threads()) blocked = blocked && (t->signal_mask() & bit);
  }
  return !blocked && proc::handler_ignores(p.signal_actions()[sig], sig);
}

abi::Errno Kernel::queue_signal_to(Process& p, Thread* thread, const abi::Siginfo& info) {
  const int sig = info.si_signo;
  if (!p.alive() || p.exiting()) return abi::Errno::None;
  // prepare_signal: a stop signal discards pending SIGCONTs and the reverse; SIGCONT (and
  // SIGKILL) resume a stopped group at once, whatever the handler.
  if (stops(sig)) {
    p.shared_pending().discard(sigbit(abi::kSIGCONT));
    for (Thread* t : p.threads()) t->pending().discard(sigbit(abi::kSIGCONT));
  } else if (sig == abi::kSIGCONT || sig == abi::kSIGKILL) {
    const u64 stop_mask = sigbit(abi::kSIGSTOP) | sigbit(20) | sigbit(21) | sigbit(22);
    p.shared_pending().discard(stop_mask);
    for (Thread* t : p.threads()) t->pending().discard(stop_mask);
    if (sig == abi::kSIGCONT && p.stopped()) continue_process(p);
  }
  if (signal_ignored(p, thread, sig)) {
    if (tracing(kTraceSignal)) [[unlikely]]
      trace_signal_generate(p, thread, info, "ignored");
    // A traced process ignores nothing (sig_ignored): strace -f shows the signal arrive.
    if (m_options.strace && m_sink) [[unlikely]]
      strace_note_ignored(p, info);
    return abi::Errno::None;
  }
  SigPending& pending = thread ? thread->pending() : p.shared_pending();
  if (pending.would_drop(sig)) {
    if (tracing(kTraceSignal)) [[unlikely]]
      trace_signal_generate(p, thread, info, "already-pending");
    return abi::Errno::None;
  }
  // __sigqueue_alloc: each queued siginfo counts against the receiving user's
  // RLIMIT_SIGPENDING. A standard signal from kill (si_code >= 0) or the kernel may go
  // over it; past it, sigqueue's real-time signals fail with EAGAIN, anything else is
  // marked pending without its siginfo.
  u64& count = sigqueue_count(p.creds().uid);
  const bool override_limit = sig < kSigRtMin && info.si_code >= 0;
  if (!override_limit && count >= p.rlimits()[abi::kRLIMIT_SIGPENDING].cur) {
    if (sig >= kSigRtMin && info.si_code != abi::kSI_USER) return abi::Errno::kEAGAIN;
    pending.mark(sig);
  } else {
    pending.add(info, &count);
  }
  if (tracing(kTraceSignal)) [[unlikely]]
    trace_signal_generate(p, thread, info, "queued");
  p.signal_wait().wake_all(abi::kPOLLIN);  // signalfd_notify
  complete_signal(p, thread, sig);
  return abi::Errno::None;
}

void Kernel::complete_signal(Process& p, Thread* chosen, int sig) {
  const u64 bit = sigbit(sig);
  // Who takes it: the named thread, else (wants_signal) the current thread of the group,
  // the leader or any thread that does not block it.
  if (!chosen) {
    if (m_current && &m_current->process() == &p && m_current->wants(sig)) {
      chosen = m_current;
    } else {
      for (Thread* t : p.threads())
        if (t->wants(sig)) {
          chosen = t;
          break;
        }
    }
    if (!chosen) return;  // every thread blocks it: it waits in the shared set
  } else if (!chosen->wants(sig)) {
    return;
  }
  // rt_sigtimedwait takes it: no default action (Linux checks real_blocked).
  const bool waited_for = chosen->signal_mask() & bit;
  const SignalAction& action = p.signal_actions()[sig];
  // A fatal signal kills the whole group at once (sig_fatal), without waiting for the
  // chosen thread to run.
  const bool fatal = sig == abi::kSIGKILL || (action.handler == abi::kSIG_DFL &&
                                              !proc::default_ignored(sig) && !stops(sig));
  if (fatal && !waited_for && chosen != m_current) {
    // The sender's own group ends within the sending call; another dies when its threads
    // next run, as they would on their way back to user mode.
    if (&p == m_current_process)
      zap_process(p, fatal_status(p, sig));
    else
      begin_group_exit(p, fatal_status(p, sig));
    return;
  }
  if (stops(sig) && !waited_for && action.handler == abi::kSIG_DFL && chosen != m_current) {
    if (chosen->pending().has(sig))
      chosen->pending().take(sig);
    else
      p.shared_pending().take(sig);
    stop_process(p, sig);
    return;
  }
  // signal_wake_up: a thread waiting in a syscall wakes to take it.
  if (chosen->blocked() && chosen->call().on_signal != abi::Errno::None)
    m_scheduler.make_runnable(*chosen, WakeReason::Signal);
  if (chosen != m_current) m_need_resched = m_need_resched || m_scheduler.runnable_count() > 1;
}

abi::Siginfo Kernel::dequeue_signal(Thread& t, u64 allowed) {
  Process& p = t.process();
  const u64 mine = t.pending().set() & allowed;
  const u64 shared = p.shared_pending().set() & allowed;
  if (!mine && !shared) return {};
  const int sig = next_signal(mine ? mine : shared);
  abi::Siginfo info = mine ? t.pending().take(sig) : p.shared_pending().take(sig);
  if (info.si_code == abi::kSI_TIMER) {
    // posixtimer_rearm: the generation the timer sent with rides in si_sys_private, which
    // the guest never sees.
    u32 generation = 0;
    std::memcpy(&generation, info.fields.bytes + kTimerPrivateOffset, sizeof generation);
    std::memset(info.fields.bytes + kTimerPrivateOffset, 0, sizeof generation);
    if (generation && p.timers()) {
      auto it = p.timers()->posix.find(info.fields.rt.pid_or_tid);
      if (it != p.timers()->posix.end()) {
        const i64 overrun = it->second->rearm(generation);
        const i64 sum = overrun + static_cast<i64>(info.fields.rt.uid_or_overrun);
        info.fields.rt.uid_or_overrun = static_cast<u32>(std::min<i64>(sum, 0x7fffffff));
        update_wakeup();
      }
    }
  }
  return info;
}

int Kernel::fatal_status(Process& p, int sig) {
  const bool core_signal = sig == abi::kSIGQUIT || sig == abi::kSIGILL || sig == abi::kSIGTRAP ||
                           sig == abi::kSIGABRT || sig == abi::kSIGBUS || sig == abi::kSIGFPE ||
                           sig == abi::kSIGSEGV || sig == 24 /* SIGXCPU */ ||
                           sig == 25 /* SIGXFSZ */ || sig == abi::kSIGSYS;
  // do_coredump gives up below the ELF core writer's minimum of a page, or when the
  // process is not dumpable. No core file is written: the status says one would be.
  const bool dumps =
      core_signal && p.prctl_state().dumpable && p.rlimits()[abi::kRLIMIT_CORE].cur >= kPageSize;
  return (sig & 0x7f) | (dumps ? 0x80 : 0);
}

void Kernel::stop_process(Process& p, int sig) {
  if (p.stopped() || !p.alive()) return;
  p.stopped() = true;
  p.stop_report() = sig;
  p.continue_report() = false;
  notify_parent(p, abi::kCLD_STOPPED, sig);
  m_need_resched = true;
  m_cpu.request_stop();
}

void Kernel::continue_process(Process& p) {
  p.stopped() = false;
  p.stop_report() = 0;
  p.continue_report() = true;
  notify_parent(p, abi::kCLD_CONTINUED, abi::kSIGCONT);
}

void Kernel::force_signal_info(const abi::Siginfo& info, ResetHandler reset) {
  const int sig = info.si_signo;
  Thread& t = *m_current;
  SignalAction& action = t.process().signal_actions()[sig];
  const bool blocked = t.signal_mask() & sigbit(sig);
  if (blocked || action.handler == abi::kSIG_IGN || reset == ResetHandler::Yes) {
    action.handler = abi::kSIG_DFL;
    t.signal_mask() &= ~sigbit(sig);
  }
  // A fault's signal goes to the thread that faulted.
  if (!t.pending().add(info)) return;
}

void Kernel::return_to_user(UserReturn how) {
  using hal::Reg;
  Thread& t = *m_current;
  Process& p = t.process();
  // The restart code of an interrupted syscall. rt_sigreturn's result is the restored
  // %rax, whatever it is (Linux's orig_ax = -1).
  abi::Errno restart = abi::Errno::None;
  if (how.from_syscall && how.nr != kSysRtSigreturn) {
    const i64 err = -how.ret;
    if (err == static_cast<i64>(abi::kERESTARTSYS) ||
        err == static_cast<i64>(abi::kERESTARTNOINTR) ||
        err == static_cast<i64>(abi::kERESTARTNOHAND) ||
        err == static_cast<i64>(abi::kERESTART_RESTARTBLOCK))
      restart = static_cast<abi::Errno>(err);
    // What `syscall` leaves in %rcx and %r11 on hardware (Unicorn does not write them),
    // so a frame saves them as Linux's pt_regs has them.
    m_cpu.set_reg(Reg::Rcx, m_cpu.reg(Reg::Rip));
    m_cpu.set_reg(Reg::R11, m_cpu.reg(Reg::Rflags) & ~kEflagsRF);
  }
  while (!m_exit.exited && p.alive() && !p.exiting() && !p.stopped()) {
    const abi::Siginfo info = dequeue_signal(t, ~t.signal_mask());
    if (!info.si_signo) break;
    const int sig = info.si_signo;
    trace_signal(info);
    SignalAction& slot = p.signal_actions()[sig];
    const SignalAction action = slot;
    if (tracing(kTraceSignal)) [[unlikely]]
      trace_signal_deliver(t, sig, action);
    if (action.handler == abi::kSIG_IGN) continue;
    if (action.handler == abi::kSIG_DFL) {
      if (proc::default_ignored(sig)) continue;
      if (stops(sig)) {
        stop_process(p, sig);
        break;
      }
      kill_process(sig, info.si_code, has_fault_address(info) ? info.fields.fault.addr : 0);
      return;
    }
    if (action.flags & abi::kSA_RESETHAND) slot.handler = abi::kSIG_DFL;
    // A syscall the signal interrupted fails with EINTR, or starts again (SA_RESTART) once
    // the handler returns.
    const abi::Errno interrupted = std::exchange(restart, abi::Errno::None);
    if (interrupted == abi::kERESTARTNOHAND || interrupted == abi::kERESTART_RESTARTBLOCK ||
        (interrupted == abi::kERESTARTSYS && !(action.flags & abi::kSA_RESTART))) {
      m_cpu.set_reg(Reg::Rax, static_cast<u64>(-static_cast<i64>(abi::Errno::kEINTR)));
    } else if (interrupted != abi::Errno::None) {
      m_cpu.set_reg(Reg::Rax, how.nr);
      m_cpu.set_reg(Reg::Rip, m_cpu.reg(Reg::Rip) - 2);
    }
    const u64 saved_mask = t.saved_sigmask().value_or(t.signal_mask());
    if (!proc::setup_rt_frame(t, m_cpu, sig, info, action, saved_mask).ok()) {
      // force_sigsegv(): no frame, no handler. SIGSEGV's own frame failing is fatal.
      force_signal_info(
          proc::siginfo_kernel(abi::kSIGSEGV),
          sig == abi::kSIGSEGV ? ResetHandler::Yes : ResetHandler::IfBlockedOrIgnored);
      continue;
    }
    // signal_delivered(): the handler runs with sa_mask and the signal itself blocked.
    t.saved_sigmask().reset();
    u64 blocked = t.signal_mask() | action.mask;
    if (!(action.flags & abi::kSA_NODEFER)) blocked |= sigbit(sig);
    t.signal_mask() = blocked & ~kUnblockable;
    if (t.alt_stack().flags & abi::kSS_AUTODISARM) t.alt_stack() = {};
  }
  if (m_exit.exited || t.state() == ThreadState::Dead) return;
  // No handler ran for the interrupted syscall: it starts again, with the mask it changed
  // (rt_sigsuspend) put back. restart_syscall's restart block is the call itself here.
  if (restart != abi::Errno::None) {
    m_cpu.set_reg(Reg::Rax, how.nr);
    m_cpu.set_reg(Reg::Rip, m_cpu.reg(Reg::Rip) - 2);
  }
  if (t.saved_sigmask()) {
    t.signal_mask() = *t.saved_sigmask();
    t.saved_sigmask().reset();
  }
}

}  // namespace kernel
