// Signal frames, as Linux 6.1 builds them for a 64-bit x86 process (arch/x86/kernel/signal.c):
// what a handler finds on its stack, and what rt_sigreturn restores from it.
//
//   higher addresses
//   ┌──────────────────────────┐ ← interrupted %rsp (or the top of the alternate stack)
//   │ 128-byte red zone        │   (skipped when switching to the alternate stack)
//   ├──────────────────────────┤
//   │ FXSAVE area, 512 bytes   │ ← 64-byte aligned; sigcontext.fpstate points here
//   ├──────────────────────────┤
//   │ struct siginfo  (128)    │ ← %rsi at handler entry (written only with SA_SIGINFO)
//   │ struct ucontext (304)    │ ← %rdx
//   │ pretcode = sa_restorer   │ ← %rsp at handler entry: (%rsp + 8) % 16 == 0, as after a call
//   └──────────────────────────┘
//
// The emulated CPU does not advertise XSAVE (Unicorn's qemu64 model), so the frame is the one
// Linux writes on an FXSR-only CPU: uc_flags without UC_FP_XSTATE, a 512-byte fxsave image
// whose software-reserved bytes carry FP_XSTATE_MAGIC1 (extended_size 516, no xfeatures), and
// no FP_XSTATE_MAGIC2 trailer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/abi/linux.h"
#include "kernel/base/result.h"
#include "kernel/hal.h"

namespace kernel {
class Process;
class Thread;
struct SignalAction;
}  // namespace kernel

// The signal ABI that goes with the frame (uapi asm/signal.h, asm/sigcontext.h,
// asm/ucontext.h, asm-generic/siginfo.h).
namespace kernel::abi {

inline constexpr u64 kSA_NOCLDSTOP = 0x1, kSA_NOCLDWAIT = 0x2, kSA_SIGINFO = 0x4;
inline constexpr u64 kSA_EXPOSE_TAGBITS = 0x800, kSA_RESTORER = 0x04000000;
inline constexpr u64 kSA_ONSTACK = 0x08000000, kSA_RESTART = 0x10000000;
inline constexpr u64 kSA_NODEFER = 0x40000000, kSA_RESETHAND = 0x80000000;
// The flags rt_sigaction keeps (UAPI_SA_FLAGS); others read back as 0.
inline constexpr u64 kSA_UAPI_FLAGS = kSA_NOCLDSTOP | kSA_NOCLDWAIT | kSA_SIGINFO |
                                      kSA_EXPOSE_TAGBITS | kSA_RESTORER | kSA_ONSTACK |
                                      kSA_RESTART | kSA_NODEFER | kSA_RESETHAND;

inline constexpr i32 kSS_ONSTACK = 1, kSS_DISABLE = 2;
inline constexpr i32 kSS_AUTODISARM = static_cast<i32>(1u << 31);
inline constexpr u64 kMINSIGSTKSZ = 2048;

inline constexpr u64 kUC_FP_XSTATE = 0x1, kUC_SIGCONTEXT_SS = 0x2, kUC_STRICT_RESTORE_SS = 0x4;
inline constexpr u32 kFP_XSTATE_MAGIC1 = 0x46505853, kFP_XSTATE_MAGIC2 = 0x46505845;
inline constexpr u16 kUSER_CS = 0x33, kUSER_DS = 0x2b;  // __USER_CS, __USER_DS

// x86 exception vectors (X86_TRAP_*), as sigcontext.trapno shows them.
inline constexpr int kX86_TRAP_DE = 0, kX86_TRAP_DB = 1, kX86_TRAP_BP = 3, kX86_TRAP_UD = 6;
inline constexpr int kX86_TRAP_NM = 7, kX86_TRAP_GP = 13, kX86_TRAP_PF = 14;
inline constexpr int kX86_TRAP_MF = 16, kX86_TRAP_AC = 17, kX86_TRAP_XF = 19;

// Internal restart codes a syscall returns when a signal interrupts it; never seen by the guest.
inline constexpr Errno kERESTARTSYS = static_cast<Errno>(512);
inline constexpr Errno kERESTARTNOINTR = static_cast<Errno>(513);
inline constexpr Errno kERESTARTNOHAND = static_cast<Errno>(514);
inline constexpr Errno kERESTART_RESTARTBLOCK = static_cast<Errno>(516);

struct StackT {  // stack_t
  u64 ss_sp;
  i32 ss_flags;
  i32 pad;
  u64 ss_size;
};
static_assert(sizeof(StackT) == 24);

struct Sigcontext {  // struct sigcontext (64-bit)
  u64 r8, r9, r10, r11, r12, r13, r14, r15;
  u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
  u64 rip, eflags;
  u16 cs, gs, fs, ss;
  u64 err, trapno, oldmask, cr2;
  u64 fpstate;  // guest address of the FXSAVE area, or 0
  u64 reserved1[8];
};
static_assert(sizeof(Sigcontext) == 256);
static_assert(offsetof(Sigcontext, rdi) == 64 && offsetof(Sigcontext, rip) == 128);
static_assert(offsetof(Sigcontext, cs) == 144 && offsetof(Sigcontext, err) == 152);
static_assert(offsetof(Sigcontext, fpstate) == 184 && offsetof(Sigcontext, reserved1) == 192);

struct Ucontext {  // struct ucontext
  u64 uc_flags;
  u64 uc_link;
  StackT uc_stack;
  Sigcontext uc_mcontext;
  u64 uc_sigmask;
};
static_assert(sizeof(Ucontext) == 304);
static_assert(offsetof(Ucontext, uc_stack) == 16 && offsetof(Ucontext, uc_mcontext) == 40);
static_assert(offsetof(Ucontext, uc_sigmask) == 296);

// siginfo_t: signo, errno, code, then a union of which emu fills the kill form (pid, uid) or
// the fault form (addr, addr_lsb). The kernel copies all 128 bytes; what no field uses is 0.
struct Siginfo {
  i32 si_signo;
  i32 si_errno;
  i32 si_code;
  i32 pad;
  union {
    struct {
      i32 pid;
      u32 uid;
    } kill;
    struct {
      u64 addr;
      std::int16_t addr_lsb;  // BUS_MCEERR_*: log2 of the poisoned extent
    } fault;
    struct {  // SIGCHLD
      i32 pid;
      u32 uid;
      i32 status;
      i32 pad;
      i64 utime;
      i64 stime;
    } child;
    struct {  // rt_sigqueueinfo, POSIX timers
      i32 pid_or_tid;
      u32 uid_or_overrun;
      u64 value;
    } rt;
    u8 bytes[112];
  } fields;
};
static_assert(sizeof(Siginfo) == 128);
static_assert(offsetof(Siginfo, fields.kill.pid) == 0x10 &&
              offsetof(Siginfo, fields.kill.uid) == 0x14);
static_assert(offsetof(Siginfo, fields.fault.addr) == 0x10);
static_assert(offsetof(Siginfo, fields.fault.addr_lsb) == 0x18);
static_assert(offsetof(Siginfo, fields.child.status) == 0x18 &&
              offsetof(Siginfo, fields.child.utime) == 0x20);
static_assert(offsetof(Siginfo, fields.rt.value) == 0x18);

struct RtSigframe {  // struct rt_sigframe (64-bit); the FP state follows, 64-byte aligned
  u64 pretcode;
  Ucontext uc;
  Siginfo info;
};
static_assert(sizeof(RtSigframe) == 440);
static_assert(offsetof(RtSigframe, uc) == 8 && offsetof(RtSigframe, info) == 312);

struct FpxSwBytes {  // struct _fpx_sw_bytes, in the FXSAVE area's software-reserved bytes
  u32 magic1;
  u32 extended_size;
  u64 xfeatures;
  u32 xstate_size;
  u32 padding[7];
};
static_assert(sizeof(FpxSwBytes) == 48);

}  // namespace kernel::abi

namespace kernel::proc {

// sig_kernel_ignore(): signals whose default action is to do nothing (SIGCHLD, SIGCONT,
// SIGURG, SIGWINCH).
bool default_ignored(int sig);
// sig_handler_ignored(): the action discards the signal (SIG_IGN, or SIG_DFL of the above).
bool handler_ignores(const SignalAction& action, int sig);

// siginfo as the kernel fills it for each source (clear_siginfo, then the fields).
abi::Siginfo siginfo_kill(int sig, int code, int pid, u32 uid);  // kill, tkill, SIGPIPE
abi::Siginfo siginfo_fault(int sig, int code, u64 addr);         // force_sig_fault
abi::Siginfo siginfo_mceerr(int code, u64 addr, int lsb);        // force_sig_mceerr
abi::Siginfo siginfo_kernel(int sig);                            // force_sig: SI_KERNEL

// Where the frame goes and what it holds, fixed by get_sigframe for the interrupted %rsp.
struct FrameLayout {
  u64 frame = 0;    // struct rt_sigframe: the handler's %rsp
  u64 fpstate = 0;  // the FXSAVE area
  bool ok = false;  // false: the frame would overflow the alternate stack
};
FrameLayout sigframe_layout(const Thread& thread, const SignalAction& action, u64 rsp);

// Builds the frame for a handler of `sig` on the guest stack and points the CPU at the
// handler, as x64_setup_rt_frame and handle_signal do: registers, FP state, the mask
// `saved_mask` (what sigreturn restores) and the alternate stack are saved; the handler
// starts with %rdi = sig, %rsi = &info, %rdx = &uc, %rax = 0, DF/RF/TF clear and the FPU in
// its initial state. EFAULT (nothing changed) when the frame cannot be written: no
// SA_RESTORER, a bad stack, an alternate stack that would overflow. The caller then forces
// SIGSEGV; the signal mask and the action are the caller's business.
Result<void> setup_rt_frame(Thread& thread, hal::Cpu& cpu, int sig, const abi::Siginfo& info,
                            const SignalAction& action, u64 saved_mask);

// rt_sigreturn: restores the signal mask, the registers, the FP state and the alternate stack
// from the frame at %rsp - 8 and returns the restored %rax. EFAULT for a bad frame, possibly
// after part of the state was restored (as on Linux); the caller then forces SIGSEGV.
Result<u64> restore_rt_frame(Thread& thread, hal::Cpu& cpu);

// do_sigaltstack's change of the alternate stack, for a thread whose stack pointer is sp:
// EPERM while running on it, EINVAL for unknown flags, ENOMEM below MINSIGSTKSZ.
Result<void> set_alt_stack(Thread& thread, const abi::StackT& ss, u64 sp);

// The x87/SSE state a handler starts with (Linux's init_fpstate for FXSR): FCW 0x37f,
// MXCSR 0x1f80, every register empty and zero.
hal::FpuState initial_fpu_state();

}  // namespace kernel::proc
