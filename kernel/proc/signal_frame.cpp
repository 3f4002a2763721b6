#include "kernel/proc/signal_frame.h"

#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"

namespace kernel::proc {

using abi::Errno;
using hal::FpuState;
using hal::Reg;

namespace {

constexpr u64 kRedZone = 128;
// xstate_sigframe_size() on a CPU without XSAVE: the bare FXSAVE image, no MAGIC2 trailer.
constexpr u64 kFpuFrameSize = sizeof(FpuState::bytes);
constexpr u64 kFpuFrameAlign = 64;

constexpr u64 kEflagsCF = 1u << 0, kEflagsPF = 1u << 2, kEflagsAF = 1u << 4;
constexpr u64 kEflagsZF = 1u << 6, kEflagsSF = 1u << 7, kEflagsTF = 1u << 8;
constexpr u64 kEflagsDF = 1u << 10, kEflagsOF = 1u << 11, kEflagsRF = 1u << 16;
constexpr u64 kEflagsAC = 1u << 18;
// The flags sigreturn takes from the frame (FIX_EFLAGS); the rest (IF, IOPL ...) stay.
constexpr u64 kFixEflags = kEflagsAC | kEflagsOF | kEflagsDF | kEflagsTF | kEflagsSF | kEflagsZF |
                           kEflagsAF | kEflagsPF | kEflagsCF | kEflagsRF;

constexpr u64 kUnblockable = (u64{1} << (abi::kSIGKILL - 1)) | (u64{1} << (abi::kSIGSTOP - 1));

constexpr u64 round_down(u64 v, u64 align) {
  return v & ~(align - 1);
}

// access_ok(): the whole range lies in the user half.
bool user_range(u64 addr, u64 len) {
  return addr <= mm::kTaskSize && len <= mm::kTaskSize - addr;
}

// The byte ranges of the frame Linux's x64_setup_rt_frame writes field by field: all of
// pretcode and the ucontext except the stack_t padding and sigcontext.reserved1, which keep
// whatever the stack held.
constexpr u64 kUc = offsetof(abi::RtSigframe, uc);
constexpr u64 kStackPad = kUc + offsetof(abi::Ucontext, uc_stack) + offsetof(abi::StackT, pad);
constexpr u64 kStackSize = kUc + offsetof(abi::Ucontext, uc_stack) + offsetof(abi::StackT, ss_size);
constexpr u64 kMcontext = kUc + offsetof(abi::Ucontext, uc_mcontext);
constexpr u64 kReserved1 = kMcontext + offsetof(abi::Sigcontext, reserved1);
constexpr u64 kSigmask = kUc + offsetof(abi::Ucontext, uc_sigmask);
constexpr u64 kInfo = offsetof(abi::RtSigframe, info);
struct Span {
  u64 from, to;
};
constexpr Span kWritten[] = {{0, kStackPad}, {kStackSize, kReserved1}, {kSigmask, kInfo}};

abi::Sigcontext save_sigcontext(const Thread& thread, const hal::Cpu& cpu, u64 fpstate, u64 mask) {
  abi::Sigcontext sc{};
  sc.r8 = cpu.reg(Reg::R8);
  sc.r9 = cpu.reg(Reg::R9);
  sc.r10 = cpu.reg(Reg::R10);
  sc.r11 = cpu.reg(Reg::R11);
  sc.r12 = cpu.reg(Reg::R12);
  sc.r13 = cpu.reg(Reg::R13);
  sc.r14 = cpu.reg(Reg::R14);
  sc.r15 = cpu.reg(Reg::R15);
  sc.rdi = cpu.reg(Reg::Rdi);
  sc.rsi = cpu.reg(Reg::Rsi);
  sc.rbp = cpu.reg(Reg::Rbp);
  sc.rbx = cpu.reg(Reg::Rbx);
  sc.rdx = cpu.reg(Reg::Rdx);
  sc.rax = cpu.reg(Reg::Rax);
  sc.rcx = cpu.reg(Reg::Rcx);
  sc.rsp = cpu.reg(Reg::Rsp);
  sc.rip = cpu.reg(Reg::Rip);
  sc.eflags = cpu.reg(Reg::Rflags);
  sc.cs = abi::kUSER_CS;
  sc.ss = abi::kUSER_DS;  // gs and fs are always written as 0
  const Thread::TrapState& trap = thread.trap_state();
  sc.err = trap.error_code;
  sc.trapno = trap.trapno;
  sc.oldmask = mask;
  sc.cr2 = trap.cr2;
  sc.fpstate = fpstate;
  return sc;
}

void restore_registers(hal::Cpu& cpu, const abi::Sigcontext& sc) {
  cpu.set_reg(Reg::Rbx, sc.rbx);
  cpu.set_reg(Reg::Rcx, sc.rcx);
  cpu.set_reg(Reg::Rdx, sc.rdx);
  cpu.set_reg(Reg::Rsi, sc.rsi);
  cpu.set_reg(Reg::Rdi, sc.rdi);
  cpu.set_reg(Reg::Rbp, sc.rbp);
  cpu.set_reg(Reg::Rax, sc.rax);
  cpu.set_reg(Reg::Rsp, sc.rsp);
  cpu.set_reg(Reg::Rip, sc.rip);
  cpu.set_reg(Reg::R8, sc.r8);
  cpu.set_reg(Reg::R9, sc.r9);
  cpu.set_reg(Reg::R10, sc.r10);
  cpu.set_reg(Reg::R11, sc.r11);
  cpu.set_reg(Reg::R12, sc.r12);
  cpu.set_reg(Reg::R13, sc.r13);
  cpu.set_reg(Reg::R14, sc.r14);
  cpu.set_reg(Reg::R15, sc.r15);
  const u64 flags = cpu.reg(Reg::Rflags);
  cpu.set_reg(Reg::Rflags, (flags & ~kFixEflags) | (sc.eflags & kFixEflags));
  // Linux also loads sc.cs | 3 and sc.ss | 3. emu's CPU only runs 64-bit user code with
  // CS 0x33 and SS 0x2b, so the selectors are not taken from the frame.
}

// fpu__restore_sig() without XSAVE: FXRSTOR from the frame. FXRSTOR faults on a misaligned
// image or reserved MXCSR bits, which fails the sigreturn; any failure leaves the FPU in its
// initial state. A NULL pointer just resets the FPU.
Result<void> restore_fpu(mm::AddressSpace& as, hal::Cpu& cpu, u64 fpstate) {
  if (fpstate == 0) {
    cpu.restore_fpu(initial_fpu_state());
    return {};
  }
  FpuState fpu;
  u32 mxcsr = 0;
  bool ok = fpstate % 16 == 0 && user_range(fpstate, kFpuFrameSize) &&
            mm::copy_from_user(as, fpu.bytes, fpstate, kFpuFrameSize).ok();
  if (ok) {
    std::memcpy(&mxcsr, fpu.bytes + FpuState::kMxcsr, sizeof mxcsr);
    ok = (mxcsr & ~FpuState::kMxcsrMaskValue) == 0;
  }
  if (!ok) {
    cpu.restore_fpu(initial_fpu_state());
    return Errno::kEFAULT;
  }
  cpu.restore_fpu(fpu);
  return {};
}

}  // namespace

bool default_ignored(int sig) {
  return sig == abi::kSIGCHLD || sig == abi::kSIGCONT || sig == 23 /* SIGURG */ ||
         sig == 28 /* SIGWINCH */;
}

bool handler_ignores(const SignalAction& action, int sig) {
  return action.handler == abi::kSIG_IGN ||
         (action.handler == abi::kSIG_DFL && default_ignored(sig));
}

abi::Siginfo siginfo_kill(int sig, int code, int pid, u32 uid) {
  abi::Siginfo info{};
  info.si_signo = sig;
  info.si_code = code;
  info.fields.kill.pid = pid;
  info.fields.kill.uid = uid;
  return info;
}

abi::Siginfo siginfo_fault(int sig, int code, u64 addr) {
  abi::Siginfo info{};
  info.si_signo = sig;
  info.si_code = code;
  info.fields.fault.addr = addr;
  return info;
}

abi::Siginfo siginfo_mceerr(int code, u64 addr, int lsb) {
  abi::Siginfo info = siginfo_fault(abi::kSIGBUS, code, addr);
  info.fields.fault.addr_lsb = static_cast<std::int16_t>(lsb);
  return info;
}

abi::Siginfo siginfo_kernel(int sig) {
  abi::Siginfo info{};
  info.si_signo = sig;
  info.si_code = abi::kSI_KERNEL;
  return info;
}

hal::FpuState initial_fpu_state() {
  FpuState fpu;
  const u16 fcw = 0x037f;
  const u32 mxcsr = 0x1f80;
  std::memcpy(fpu.bytes + FpuState::kFcw, &fcw, sizeof fcw);
  std::memcpy(fpu.bytes + FpuState::kMxcsr, &mxcsr, sizeof mxcsr);
  return fpu;
}

FrameLayout sigframe_layout(const Thread& thread, const SignalAction& action, u64 rsp) {
  const Thread::AltStack& alt = thread.alt_stack();
  const bool nested = alt.on(rsp);
  bool entering = false;
  u64 sp = rsp - kRedZone;
  if ((action.flags & abi::kSA_ONSTACK) && alt.state(sp) == 0) {
    sp = alt.sp + alt.size;
    entering = true;
  }
  FrameLayout layout;
  layout.fpstate = round_down(sp - kFpuFrameSize, kFpuFrameAlign);
  // align_sigframe(): as if the handler had been called, (%rsp + 8) % 16 == 0.
  layout.frame = round_down(layout.fpstate - sizeof(abi::RtSigframe), 16) - 8;
  // Running off the alternate stack would trample whatever lies below it.
  layout.ok = !((nested || entering) && !alt.contains(layout.frame));
  return layout;
}

Result<void> setup_rt_frame(Thread& thread, hal::Cpu& cpu, int sig, const abi::Siginfo& info,
                            const SignalAction& action, u64 saved_mask) {
  // "x86-64 should always use SA_RESTORER": without one there is nowhere to return to.
  if (!(action.flags & abi::kSA_RESTORER)) return Errno::kEFAULT;
  const FrameLayout where = sigframe_layout(thread, action, cpu.reg(Reg::Rsp));
  if (!where.ok) return Errno::kEFAULT;
  auto& as = thread.process().address_space();

  // The FP state first, as get_sigframe() does: what FXSAVE writes, then Linux's
  // software-reserved bytes (MAGIC1 is written even without XSAVE).
  FpuState fpu;
  cpu.save_fpu(fpu);
  abi::FpxSwBytes sw{};
  sw.magic1 = abi::kFP_XSTATE_MAGIC1;
  sw.extended_size = kFpuFrameSize + sizeof(abi::kFP_XSTATE_MAGIC2);
  sw.xfeatures = 0;  // fpstate->user_xfeatures: only set up on XSAVE CPUs
  sw.xstate_size = kFpuFrameSize;
  TRY(mm::copy_to_user(as, where.fpstate, fpu.bytes, FpuState::kSaved));
  TRY(mm::write_user(as, where.fpstate + FpuState::kSwReserved, sw));

  abi::RtSigframe frame{};
  frame.pretcode = action.restorer;
  frame.uc.uc_flags = abi::kUC_SIGCONTEXT_SS | abi::kUC_STRICT_RESTORE_SS;
  frame.uc.uc_link = 0;
  const Thread::AltStack& alt = thread.alt_stack();
  frame.uc.uc_stack = {alt.sp, alt.flags, 0, alt.size};
  frame.uc.uc_mcontext = save_sigcontext(thread, cpu, where.fpstate, saved_mask);
  frame.uc.uc_sigmask = saved_mask;
  frame.info = info;
  const auto* bytes = reinterpret_cast<const u8*>(&frame);
  for (const Span& span : kWritten)
    TRY(mm::copy_to_user(as, where.frame + span.from, bytes + span.from, span.to - span.from));
  // Without SA_SIGINFO the handler is not meant to look at siginfo, and Linux does not write it.
  if (action.flags & abi::kSA_SIGINFO)
    TRY(mm::copy_to_user(as, where.frame + kInfo, bytes + kInfo, sizeof(abi::Siginfo)));

  cpu.set_reg(Reg::Rdi, static_cast<u64>(sig));
  cpu.set_reg(Reg::Rax, 0);  // for handlers declared without a prototype (varargs)
  cpu.set_reg(Reg::Rsi, where.frame + kInfo);
  cpu.set_reg(Reg::Rdx, where.frame + kUc);
  cpu.set_reg(Reg::Rip, action.handler);
  cpu.set_reg(Reg::Rsp, where.frame);
  // The ABI's function entry has DF clear; RF and TF would make the handler trap.
  cpu.set_reg(Reg::Rflags, cpu.reg(Reg::Rflags) & ~(kEflagsDF | kEflagsRF | kEflagsTF));
  cpu.restore_fpu(initial_fpu_state());
  return {};
}

Result<u64> restore_rt_frame(Thread& thread, hal::Cpu& cpu) {
  auto& as = thread.process().address_space();
  // The handler's `ret` into the restorer popped pretcode.
  const u64 frame = cpu.reg(Reg::Rsp) - sizeof(u64);
  if (!user_range(frame, sizeof(abi::RtSigframe))) return Errno::kEFAULT;
  const u64 uc = frame + kUc;
  const u64 mask = TRY(mm::read_user<u64>(as, uc + offsetof(abi::Ucontext, uc_sigmask)));
  // uc_flags only matters for 16/32-bit SS fix-ups, which emu's 64-bit CPU never needs.
  TRY(mm::read_user<u64>(as, uc + offsetof(abi::Ucontext, uc_flags)));
  thread.signal_mask() = mask & ~kUnblockable;

  abi::Sigcontext sc{};
  TRY(mm::copy_from_user(as, &sc, frame + kMcontext, offsetof(abi::Sigcontext, reserved1)));
  restore_registers(cpu, sc);
  TRY(restore_fpu(as, cpu, sc.fpstate));

  // restore_altstack(): only an unreadable stack_t fails; refusals are squashed.
  const auto stack = TRY(mm::read_user<abi::StackT>(as, uc + offsetof(abi::Ucontext, uc_stack)));
  (void)set_alt_stack(thread, stack, sc.rsp);
  return sc.rax;
}

Result<void> set_alt_stack(Thread& thread, const abi::StackT& ss, u64 sp) {
  Thread::AltStack& alt = thread.alt_stack();
  if (alt.on(sp)) return Errno::kEPERM;
  const i32 mode = ss.ss_flags & ~abi::kSS_AUTODISARM;
  if (mode != abi::kSS_DISABLE && mode != abi::kSS_ONSTACK && mode != 0) return Errno::kEINVAL;
  if (alt.sp == ss.ss_sp && alt.size == ss.ss_size && alt.flags == ss.ss_flags) return {};
  if (mode == abi::kSS_DISABLE) {
    alt = {0, ss.ss_flags, 0};
    return {};
  }
  if (ss.ss_size < abi::kMINSIGSTKSZ) return Errno::kENOMEM;
  alt = {ss.ss_sp, ss.ss_flags, ss.ss_size};
  return {};
}

}  // namespace kernel::proc
