#include "kernel/kernel.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "kernel/abi/linux.h"
#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/strace.h"
#include "kernel/syscalls/syscall.h"

namespace kernel {

namespace {

constexpr int kFirstPid = 100;

// strace's view of guest memory: reads only what is already mapped, never faults.
bool peek_guest(void* ctx, u64 addr, void* dst, u64 len) {
  auto& as = *static_cast<mm::AddressSpace*>(ctx);
  auto* out = static_cast<u8*>(dst);
  while (len > 0) {
    if (addr >= mm::kTaskSize) return false;
    const auto found = as.page_table().lookup(addr);
    if (!found.pte.present() || !found.pte.user()) return false;
    const u64 page_mask = (u64{1} << (kPageShift + 9 * (found.level - 1))) - 1;
    const PhysAddr pa((found.pte.address().value & ~page_mask) | (addr & page_mask));
    const u64 chunk = std::min(len, kPageSize - (addr & kPageMask));
    if (!as.ram().contains(pa, chunk)) return false;
    std::memcpy(out, as.ram().at(pa), chunk);
    out += chunk;
    addr += chunk;
    len -= chunk;
  }
  return true;
}

}  // namespace

Kernel::Kernel(const hal::PhysMemory& ram, hal::Cpu& cpu, KernelOptions options, TraceSink* sink)
    : m_ram(ram),
      m_cpu(cpu),
      m_options(std::move(options)),
      m_sink(sink),
      // Frame 0 is never handed out, so a zero PTE can never map real memory.
      m_frames(Pfn(1), ram.frame_count() - 1) {
  auto zero = m_frames.allocate();
  VERIFY(zero.has_value());
  m_zero_page = *zero;
  std::memset(m_ram.frame(m_zero_page), 0, kPageSize);
  m_vfs = std::make_unique<fs::Vfs>(m_options.root);
}

Kernel::~Kernel() = default;

Result<void> Kernel::start(const std::string& path, const std::vector<std::string>& argv,
                           const std::vector<std::string>& envp, std::string& why) {
  auto as = std::make_unique<mm::AddressSpace>(m_ram, m_frames, m_zero_page, m_cpu);
  m_process = std::make_unique<Process>(kFirstPid, std::move(as));
  // The guest starts where emu was started, seen through its root ("/" when that lies
  // outside the root).
  m_process->fs().cwd =
      m_options.host_cwd.empty() ? std::string("/") : m_vfs->guest_path_of_host(m_options.host_cwd);
  m_process->fds().install_stdio();

  auto opened = m_vfs->open_executable(m_process->fs(), path);
  if (!opened.ok()) {
    why = abi::errno_message(static_cast<int>(opened.error()));
    return opened.error();
  }
  m_process->set_exe_path(m_vfs->absolute_path(m_process->fs(), path));
  m_process->comm() = path.substr(path.rfind('/') + 1, 15);
  proc::ExecRequest request{opened.value(), path, argv, envp};
  auto& address_space = m_process->address_space();
  m_cpu.set_page_table_root(address_space.page_table().root());
  TRY(proc::load_program(address_space, m_cpu, request, why));
  return {};
}

void Kernel::warn_unimplemented(u64 nr) {
  if (nr < m_warned.size()) {
    if (m_warned.test(nr)) return;
    m_warned.set(nr);
  } else if (!m_warned_other.insert(nr).second) {
    return;
  }
  if (!m_sink) return;
  const char* name = syscalls::syscall_name(nr);
  std::string msg = "unimplemented syscall ";
  if (name) {
    msg += name;
  } else {
    msg += '#';
    msg += std::to_string(nr);
  }
  msg += " returns ENOSYS";
  m_sink->warning(msg);
}

void Kernel::syscall() {
  using hal::Reg;
  syscalls::SyscallArgs args;
  args.nr = m_cpu.reg(Reg::Rax);
  args.a[0] = m_cpu.reg(Reg::Rdi);
  args.a[1] = m_cpu.reg(Reg::Rsi);
  args.a[2] = m_cpu.reg(Reg::Rdx);
  args.a[3] = m_cpu.reg(Reg::R10);
  args.a[4] = m_cpu.reg(Reg::R8);
  args.a[5] = m_cpu.reg(Reg::R9);

  const syscalls::SyscallInfo* info = syscalls::lookup_syscall(args.nr);
  const syscalls::StraceReader reader{&peek_guest, &m_process->address_space()};
  const bool noreturn = args.nr == 60 || args.nr == 231;  // exit, exit_group
  if (m_options.strace && noreturn && m_sink)
    m_sink->strace_line(syscalls::format_noreturn(info, args, reader));

  i64 ret;
  if (info) {
    syscalls::SyscallContext ctx{*this, *m_process, m_cpu};
    Result<i64> r = info->handler(ctx, args);
    ret = r.ok() ? r.value() : -static_cast<i64>(r.error());
  } else {
    warn_unimplemented(args.nr);
    ret = -static_cast<i64>(abi::Errno::kENOSYS);
  }
  if (m_exit.exited) return;
  m_cpu.set_reg(Reg::Rax, static_cast<u64>(ret));
  if (m_options.strace && m_sink)
    m_sink->strace_line(syscalls::format_syscall(info, args, ret, reader));
  if (m_process->pending_signals() & ~m_process->signal_mask()) [[unlikely]]
    return_to_user({true, args.nr, ret});
}

mm::FaultResult Kernel::page_fault(u64 addr, u32 error_code) {
  return m_process->address_space().handle_fault(addr, error_code);
}

void Kernel::fault_signal(const mm::FaultResult& fault, u64 addr, u32 error_code) {
  if (m_exit.exited) return;
  if (fault.resolution == mm::FaultResolution::OutOfMemory) {
    m_exit.out_of_memory = true;
    kill_process(fault.signal(), fault.si_code(), addr);
    return;
  }
  // set_signal_archinfo(): what the frame shows as trapno, err and cr2. Addresses in the
  // kernel half read as protection faults (sanitize_error_code).
  u32 code = error_code | mm::kFaultUser;
  if (addr >= mm::kTaskSize) code |= mm::kFaultPresent;
  m_process->trap_state() = {abi::kX86_TRAP_PF, code, addr};
  force_signal_info(proc::siginfo_fault(fault.signal(), fault.si_code(), addr),
                    ResetHandler::IfBlockedOrIgnored);
  return_to_user({});
}

void Kernel::cpu_exception(int vector, int signal, int si_code, u64 addr) {
  if (m_exit.exited) return;
  if (signal == abi::kSIGKILL) {
    kill_process(signal, si_code, addr);
    return;
  }
  if (vector != kNoVector) {
    // Unicorn does not pass on an error code; user-mode #UD, #DE and #BP push none, and the
    // #GPs of privileged instructions push 0.
    m_process->trap_state().trapno = static_cast<u64>(vector);
    m_process->trap_state().error_code = 0;
  }
  abi::Siginfo info = proc::siginfo_fault(signal, si_code, addr);
  if (si_code == abi::kSI_KERNEL) info = proc::siginfo_kernel(signal);
  if (signal == abi::kSIGBUS && (si_code == abi::kBUS_MCEERR_AR || si_code == abi::kBUS_MCEERR_AO))
    info = proc::siginfo_mceerr(si_code, addr, kPageShift);
  force_signal_info(info, ResetHandler::IfBlockedOrIgnored);
  return_to_user({});
}

void Kernel::exit_process(int status) {
  if (m_exit.exited) return;
  m_exit.exited = true;
  m_exit.status = status & 0xff;
  m_cpu.request_stop();
}

void Kernel::kill_process(int signal, int si_code, u64 fault_addr) {
  if (m_exit.exited) return;
  m_exit.exited = true;
  m_exit.signal = signal;
  m_exit.si_code = si_code;
  m_exit.fault_addr = fault_addr;
  m_exit.rip = m_cpu.reg(hal::Reg::Rip);
  m_cpu.request_stop();
}

}  // namespace kernel

// Signals: queued when raised, acted on when the process returns to user mode.
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
