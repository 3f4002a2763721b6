// The Kernel's signal half: signals are queued when raised and acted on when the process
// returns to user mode (after a syscall or a fault), as Linux's signal delivery does.
#include <cstdio>
#include <string>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {

namespace {

constexpr u64 sigbit(int sig) {
  return u64{1} << (sig - 1);
}
constexpr u64 kUnblockable = sigbit(abi::kSIGKILL) | sigbit(abi::kSIGSTOP);
// The faults' signals, taken before any other pending one (SYNCHRONOUS_MASK).
constexpr u64 kSynchronous = sigbit(abi::kSIGSEGV) | sigbit(abi::kSIGBUS) | sigbit(abi::kSIGILL) |
                             sigbit(abi::kSIGTRAP) | sigbit(abi::kSIGFPE) | sigbit(abi::kSIGSYS);
constexpr u64 kEflagsRF = u64{1} << 16;
// rt_sigreturn loads every register from the frame, and Linux leaves it by IRET: %rcx and
// %r11 keep the restored values instead of what `syscall` put there.
constexpr u64 kSysRtSigreturn = 15;

// The job-control stops. emu has no job control: their default action does nothing.
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
  queue_signal(proc::siginfo_kill(sig, si_code, m_process->pid(), getuid()));
}

void Kernel::force_signal(int sig) {
  force_signal_info(proc::siginfo_kernel(sig), ResetHandler::IfBlockedOrIgnored);
}

void Kernel::queue_signal(const abi::Siginfo& info) {
  const int sig = info.si_signo;
  const u64 bit = sigbit(sig);
  Process& p = *m_process;
  // A blocked signal is never ignored when sent: its action may change before it is unblocked.
  if (!(p.signal_mask() & bit) && proc::handler_ignores(p.signal_actions()[sig], sig)) return;
  // Standard signals do not queue. Real-time ones (32 and up) would; emu keeps one of each.
  if (p.pending_signals() & bit) return;
  p.pending_signals() |= bit;
  p.pending_info(sig) = info;
}

void Kernel::force_signal_info(const abi::Siginfo& info, ResetHandler reset) {
  const int sig = info.si_signo;
  Process& p = *m_process;
  SignalAction& action = p.signal_actions()[sig];
  const bool blocked = p.signal_mask() & sigbit(sig);
  if (blocked || action.handler == abi::kSIG_IGN || reset == ResetHandler::Yes) {
    action.handler = abi::kSIG_DFL;
    p.signal_mask() &= ~sigbit(sig);
  }
  queue_signal(info);
}

void Kernel::return_to_user(UserReturn how) {
  using hal::Reg;
  Process& p = *m_process;
  // The restart code of an interrupted syscall. rt_sigreturn's result is the restored
  // %rax, whatever it is (Linux's orig_ax = -1).
  abi::Errno restart = abi::Errno::None;
  if (how.from_syscall && how.nr != kSysRtSigreturn) {
    const i64 err = -how.ret;
    if (err == static_cast<i64>(abi::kERESTARTSYS) ||
        err == static_cast<i64>(abi::kERESTARTNOINTR) ||
        err == static_cast<i64>(abi::kERESTARTNOHAND))
      restart = static_cast<abi::Errno>(err);
    // What `syscall` leaves in %rcx and %r11 on hardware (Unicorn does not write them),
    // so a frame saves them as Linux's pt_regs has them.
    m_cpu.set_reg(Reg::Rcx, m_cpu.reg(Reg::Rip));
    m_cpu.set_reg(Reg::R11, m_cpu.reg(Reg::Rflags) & ~kEflagsRF);
  }
  while (!m_exit.exited) {
    const u64 ready = p.pending_signals() & ~p.signal_mask();
    if (!ready) break;
    const int sig = next_signal(ready);
    p.pending_signals() &= ~sigbit(sig);
    const abi::Siginfo info = p.pending_info(sig);
    trace_signal(info);
    SignalAction& slot = p.signal_actions()[sig];
    const SignalAction action = slot;
    if (action.handler == abi::kSIG_IGN) continue;
    if (action.handler == abi::kSIG_DFL) {
      if (proc::default_ignored(sig) || stops(sig)) continue;
      kill_process(sig, info.si_code, has_fault_address(info) ? info.fields.fault.addr : 0);
      return;
    }
    if (action.flags & abi::kSA_RESETHAND) slot.handler = abi::kSIG_DFL;
    // A syscall the signal interrupted fails with EINTR, or starts again (SA_RESTART) once
    // the handler returns.
    const abi::Errno interrupted = std::exchange(restart, abi::Errno::None);
    if (interrupted == abi::kERESTARTNOHAND ||
        (interrupted == abi::kERESTARTSYS && !(action.flags & abi::kSA_RESTART))) {
      m_cpu.set_reg(Reg::Rax, static_cast<u64>(-static_cast<i64>(abi::Errno::kEINTR)));
    } else if (interrupted != abi::Errno::None) {
      m_cpu.set_reg(Reg::Rax, how.nr);
      m_cpu.set_reg(Reg::Rip, m_cpu.reg(Reg::Rip) - 2);
    }
    const u64 saved_mask = p.saved_sigmask().value_or(p.signal_mask());
    if (!proc::setup_rt_frame(p, m_cpu, sig, info, action, saved_mask).ok()) {
      // force_sigsegv(): no frame, no handler. SIGSEGV's own frame failing is fatal.
      force_signal_info(
          proc::siginfo_kernel(abi::kSIGSEGV),
          sig == abi::kSIGSEGV ? ResetHandler::Yes : ResetHandler::IfBlockedOrIgnored);
      continue;
    }
    // signal_delivered(): the handler runs with sa_mask and the signal itself blocked.
    p.saved_sigmask().reset();
    u64 blocked = p.signal_mask() | action.mask;
    if (!(action.flags & abi::kSA_NODEFER)) blocked |= sigbit(sig);
    p.signal_mask() = blocked & ~kUnblockable;
    if (p.alt_stack().flags & abi::kSS_AUTODISARM) p.alt_stack() = {};
  }
  if (m_exit.exited) return;
  // No handler ran for the interrupted syscall: it starts again, with the mask it changed
  // (rt_sigsuspend) put back.
  if (restart != abi::Errno::None) {
    m_cpu.set_reg(Reg::Rax, how.nr);
    m_cpu.set_reg(Reg::Rip, m_cpu.reg(Reg::Rip) - 2);
  }
  if (p.saved_sigmask()) {
    p.signal_mask() = *p.saved_sigmask();
    p.saved_sigmask().reset();
  }
}

void Kernel::trace_signal(const abi::Siginfo& info) {
  if (!m_options.strace || !m_sink) return;
  const char* name = abi::signal_name(info.si_signo);
  const std::string sig = name ? name : std::to_string(info.si_signo);
  const char* code_name = abi::si_code_name(info.si_signo, info.si_code);
  std::string line = "--- " + sig + " {si_signo=" + sig +
                     ", si_code=" + (code_name ? code_name : std::to_string(info.si_code));
  if (has_fault_address(info) || info.si_code == abi::kSI_KERNEL) {
    char addr[32] = "NULL";
    if (info.fields.fault.addr)
      std::snprintf(addr, sizeof addr, "%#llx",
                    static_cast<unsigned long long>(info.fields.fault.addr));
    line += std::string(", si_addr=") + addr;
  } else {
    line += ", si_pid=" + std::to_string(info.fields.kill.pid) +
            ", si_uid=" + std::to_string(info.fields.kill.uid);
  }
  m_sink->strace_line(line + "} ---");
}

}  // namespace kernel
