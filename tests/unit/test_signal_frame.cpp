// Signal frames: Linux 6.1's x86-64 rt_sigframe layout, where it goes on the stack, the
// registers a handler starts with, and rt_sigreturn putting everything back. Then delivery
// through the kernel, driven by a fake CPU.
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <cstring>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/proc/thread.h"

using namespace kernel;
using hal::FpuState;
using hal::Reg;

namespace {

constexpr u64 kHandler = 0x401000, kRestorer = 0x402000;
constexpr u64 kDF = 1u << 10, kTF = 1u << 8, kRF = 1u << 16, kCF = 1u << 0, kIF = 1u << 9;
constexpr u64 kBit = u64{1} << (abi::kSIGUSR1 - 1);

constexpr u64 round_down(u64 v, u64 a) {
  return v & ~(a - 1);
}

struct Fixture : test::MemoryFixture {
  std::shared_ptr<Process> owner = std::make_shared<Process>(100, new_address_space());
  Thread thread{100, owner};
  mm::AddressSpace& as = owner->address_space();
  u64 stack = map(16 * kPageSize);
  u64 top = stack + 16 * kPageSize;
  SignalAction action{kHandler, abi::kSA_SIGINFO | abi::kSA_RESTORER, kRestorer, 0};
  abi::Siginfo info = proc::siginfo_kill(abi::kSIGUSR1, abi::kSI_TKILL, 100, 1000);

  Fixture() {
    // Distinct values in every register; a stack pointer aligned to nothing in particular.
    for (int r = 0; r < static_cast<int>(Reg::Count); ++r)
      cpu.regs[r] = 0x1111'0000'0000'0000 + static_cast<u64>(r) * 0x0101;
    cpu.set_reg(Reg::Rsp, top - 0x100 - 3);
    cpu.set_reg(Reg::Rip, 0x4005a7);
    cpu.set_reg(Reg::Rflags, 0x2 | kIF | kDF | kTF | kRF | kCF);
    for (u64 i = 0; i < sizeof cpu.fpu.bytes; ++i) cpu.fpu.bytes[i] = static_cast<u8>(i * 7 + 1);
    const u32 mxcsr = 0x3f80;  // valid: FXRSTOR would refuse reserved bits
    std::memcpy(cpu.fpu.bytes + FpuState::kMxcsr, &mxcsr, 4);
    thread.signal_mask() = 0x5;
    thread.trap_state() = {abi::kX86_TRAP_PF, 7, 0xdead000};
  }
  u64 map(u64 len, u64 prot = abi::kPROT_READ | abi::kPROT_WRITE) {
    mm::MapRequest req;
    req.length = len;
    req.prot = prot;
    auto r = as.map(req);
    REQUIRE(r.ok());
    return r.value();
  }
  Result<void> setup(u64 saved_mask = 0x5) {
    return proc::setup_rt_frame(thread, cpu, abi::kSIGUSR1, info, action, saved_mask);
  }
  abi::RtSigframe frame_at(u64 addr) {
    abi::RtSigframe f;
    REQUIRE(mm::copy_from_user(as, &f, addr, sizeof f).ok());
    return f;
  }
  // What the handler's `ret` into the restorer leaves: %rsp just above pretcode.
  Result<u64> sigreturn_from(u64 frame) {
    cpu.set_reg(Reg::Rsp, frame + 8);
    return proc::restore_rt_frame(thread, cpu);
  }
};

}  // namespace

TEST_CASE("the frame structures have Linux's x86-64 sizes and offsets", "[signal]") {
  STATIC_REQUIRE(sizeof(abi::RtSigframe) == 440);
  STATIC_REQUIRE(sizeof(abi::Ucontext) == 304);
  STATIC_REQUIRE(sizeof(abi::Sigcontext) == 256);
  STATIC_REQUIRE(sizeof(abi::Siginfo) == 128);
  STATIC_REQUIRE(sizeof(abi::StackT) == 24);
  STATIC_REQUIRE(sizeof(abi::FpxSwBytes) == 48);
  STATIC_REQUIRE(offsetof(abi::RtSigframe, uc) == 8);
  STATIC_REQUIRE(offsetof(abi::RtSigframe, info) == 312);
  STATIC_REQUIRE(offsetof(abi::Ucontext, uc_mcontext) == 40);
  STATIC_REQUIRE(offsetof(abi::Ucontext, uc_sigmask) == 296);
  STATIC_REQUIRE(offsetof(abi::Sigcontext, rsp) == 120);
  STATIC_REQUIRE(offsetof(abi::Sigcontext, eflags) == 136);
  STATIC_REQUIRE(offsetof(abi::Sigcontext, ss) == 150);
  STATIC_REQUIRE(offsetof(abi::Sigcontext, cr2) == 176);
  STATIC_REQUIRE(offsetof(abi::Siginfo, fields.kill.uid) == 0x14);
  STATIC_REQUIRE(offsetof(abi::Siginfo, fields.fault.addr_lsb) == 0x18);
  STATIC_REQUIRE(FpuState::kMxcsr == 24 && FpuState::kSt0 == 32 && FpuState::kXmm0 == 160);
  STATIC_REQUIRE(FpuState::kSwReserved == 464);
}

TEST_CASE("the frame goes below the red zone with the FP state 64-byte aligned", "[signal]") {
  Fixture f;
  const u64 rsp = f.cpu.reg(Reg::Rsp);
  REQUIRE(f.setup().ok());
  const u64 fpstate = round_down(rsp - 128 - 512, 64);
  const u64 frame = round_down(fpstate - 440, 16) - 8;
  REQUIRE(f.cpu.reg(Reg::Rsp) == frame);
  REQUIRE((f.cpu.reg(Reg::Rsp) + 8) % 16 == 0);  // as if the handler had been called
  REQUIRE(f.frame_at(frame).uc.uc_mcontext.fpstate == fpstate);
  REQUIRE(frame + sizeof(abi::RtSigframe) <= fpstate);
  REQUIRE(fpstate + 512 <= rsp - 128);
}

TEST_CASE("a handler starts with its arguments, DF/TF/RF clear and a fresh FPU", "[signal]") {
  Fixture f;
  REQUIRE(f.setup().ok());
  const u64 frame = f.cpu.reg(Reg::Rsp);
  REQUIRE(f.cpu.reg(Reg::Rip) == kHandler);
  REQUIRE(f.cpu.reg(Reg::Rdi) == abi::kSIGUSR1);
  REQUIRE(f.cpu.reg(Reg::Rsi) == frame + 312);
  REQUIRE(f.cpu.reg(Reg::Rdx) == frame + 8);
  REQUIRE(f.cpu.reg(Reg::Rax) == 0);
  REQUIRE(f.cpu.reg(Reg::Rflags) == (0x2 | kIF | kCF));
  const FpuState fresh = proc::initial_fpu_state();
  REQUIRE(std::memcmp(f.cpu.fpu.bytes, fresh.bytes, sizeof fresh.bytes) == 0);
  u16 fcw;
  u32 mxcsr;
  std::memcpy(&fcw, fresh.bytes + FpuState::kFcw, 2);
  std::memcpy(&mxcsr, fresh.bytes + FpuState::kMxcsr, 4);
  REQUIRE(fcw == 0x037f);
  REQUIRE(mxcsr == 0x1f80);
}

TEST_CASE("the frame holds the interrupted registers, masks, stacks and trap", "[signal]") {
  Fixture f;
  const Fixture before;  // the same starting values
  f.thread.alt_stack() = {0x10000, abi::kSS_AUTODISARM, 0x4000};
  REQUIRE(f.setup(0x9).ok());
  const abi::RtSigframe fr = f.frame_at(f.cpu.reg(Reg::Rsp));
  const abi::Sigcontext& sc = fr.uc.uc_mcontext;
  REQUIRE(fr.pretcode == kRestorer);
  REQUIRE(fr.uc.uc_flags == (abi::kUC_SIGCONTEXT_SS | abi::kUC_STRICT_RESTORE_SS));
  REQUIRE(fr.uc.uc_link == 0);
  REQUIRE(fr.uc.uc_stack.ss_sp == 0x10000);
  REQUIRE(fr.uc.uc_stack.ss_flags == abi::kSS_AUTODISARM);
  REQUIRE(fr.uc.uc_stack.ss_size == 0x4000);
  REQUIRE(sc.rax == before.cpu.reg(Reg::Rax));
  REQUIRE(sc.rbx == before.cpu.reg(Reg::Rbx));
  REQUIRE(sc.rcx == before.cpu.reg(Reg::Rcx));
  REQUIRE(sc.rdi == before.cpu.reg(Reg::Rdi));
  REQUIRE(sc.r8 == before.cpu.reg(Reg::R8));
  REQUIRE(sc.r15 == before.cpu.reg(Reg::R15));
  REQUIRE(sc.rsp == before.cpu.reg(Reg::Rsp));
  REQUIRE(sc.rip == 0x4005a7);
  REQUIRE(sc.eflags == before.cpu.reg(Reg::Rflags));
  REQUIRE(sc.cs == 0x33);
  REQUIRE(sc.ss == 0x2b);
  REQUIRE(sc.fs == 0);
  REQUIRE(sc.gs == 0);
  REQUIRE(sc.trapno == abi::kX86_TRAP_PF);
  REQUIRE(sc.err == 7);
  REQUIRE(sc.cr2 == 0xdead000);
  REQUIRE(sc.oldmask == 0x9);
  REQUIRE(fr.uc.uc_sigmask == 0x9);
  REQUIRE(fr.info.si_signo == abi::kSIGUSR1);
  REQUIRE(fr.info.si_code == abi::kSI_TKILL);
  REQUIRE(fr.info.fields.kill.pid == 100);
  REQUIRE(fr.info.fields.kill.uid == 1000);
  // The FXSAVE image, then Linux's software-reserved bytes for a CPU without XSAVE.
  u8 fx[512];
  REQUIRE(mm::copy_from_user(f.as, fx, sc.fpstate, sizeof fx).ok());
  REQUIRE(std::memcmp(fx, before.cpu.fpu.bytes, FpuState::kSaved) == 0);
  abi::FpxSwBytes sw;
  std::memcpy(&sw, fx + FpuState::kSwReserved, sizeof sw);
  REQUIRE(sw.magic1 == abi::kFP_XSTATE_MAGIC1);
  REQUIRE(sw.extended_size == 516);
  REQUIRE(sw.xfeatures == 0);
  REQUIRE(sw.xstate_size == 512);
}

TEST_CASE("without SA_SIGINFO the siginfo bytes are left as the stack had them", "[signal]") {
  Fixture f;
  f.action.flags = abi::kSA_RESTORER;
  std::vector<u8> junk(f.top - 0x200 - f.stack, 0x5a);
  REQUIRE(mm::copy_to_user(f.as, f.stack, junk.data(), junk.size()).ok());
  REQUIRE(f.setup().ok());
  const abi::RtSigframe fr = f.frame_at(f.cpu.reg(Reg::Rsp));
  u8 expected[sizeof fr.info];
  std::memset(expected, 0x5a, sizeof expected);
  REQUIRE(std::memcmp(&fr.info, expected, sizeof expected) == 0);
  // So are the stack_t padding and sigcontext.reserved1, which Linux does not write.
  REQUIRE(fr.uc.uc_stack.pad == 0x5a5a5a5a);
  REQUIRE(fr.uc.uc_mcontext.reserved1[0] == 0x5a5a5a5a5a5a5a5a);
}

TEST_CASE("rt_sigreturn restores registers, FP state, mask and alternate stack", "[signal]") {
  Fixture f;
  const Fixture before;
  f.thread.alt_stack() = {0x10000, 0, 0x4000};
  REQUIRE(f.setup(0x5).ok());
  const u64 frame = f.cpu.reg(Reg::Rsp);
  // The handler runs: registers, FPU, mask and alternate stack all change.
  for (int r = 0; r < static_cast<int>(Reg::Count); ++r)
    if (r != static_cast<int>(Reg::Rflags)) f.cpu.regs[r] ^= 0xffff;
  std::memset(f.cpu.fpu.bytes, 0, sizeof f.cpu.fpu.bytes);
  f.thread.signal_mask() = 0xffff;
  f.thread.alt_stack() = {};
  auto r = f.sigreturn_from(frame);
  REQUIRE(r.ok());
  REQUIRE(r.value() == before.cpu.reg(Reg::Rax));
  for (Reg reg : {Reg::Rax, Reg::Rbx, Reg::Rcx, Reg::Rdx, Reg::Rsi, Reg::Rdi, Reg::Rbp, Reg::Rsp,
                  Reg::R8, Reg::R9, Reg::R10, Reg::R11, Reg::R12, Reg::R13, Reg::R14, Reg::R15,
                  Reg::Rip, Reg::Rflags}) {
    INFO("register " << static_cast<int>(reg));
    REQUIRE(f.cpu.reg(reg) == before.cpu.reg(reg));
  }
  REQUIRE(std::memcmp(f.cpu.fpu.bytes, before.cpu.fpu.bytes, FpuState::kSaved) == 0);
  REQUIRE(f.thread.signal_mask() == 0x5);
  REQUIRE(f.thread.alt_stack().sp == 0x10000);
  REQUIRE(f.thread.alt_stack().size == 0x4000);
}

TEST_CASE("a handler may change the context it returns to", "[signal]") {
  Fixture f;
  REQUIRE(f.setup().ok());
  const u64 frame = f.cpu.reg(Reg::Rsp);
  const u64 mc = frame + 8 + offsetof(abi::Ucontext, uc_mcontext);
  REQUIRE(mm::write_user<u64>(f.as, mc + offsetof(abi::Sigcontext, rip), 0x4005a9).ok());
  REQUIRE(mm::write_user<u64>(f.as, mc + offsetof(abi::Sigcontext, rax), 77).ok());
  // Only FIX_EFLAGS come from the frame: IF and IOPL stay; DF can be set, CF cleared.
  REQUIRE(mm::write_user<u64>(f.as, mc + offsetof(abi::Sigcontext, eflags), 0x3000 | kDF).ok());
  const u64 mask_with_kill = (u64{1} << (abi::kSIGKILL - 1)) | 0x2;
  REQUIRE(mm::write_user<u64>(f.as, frame + 8 + offsetof(abi::Ucontext, uc_sigmask), mask_with_kill)
              .ok());
  const u64 flags_in_handler = f.cpu.reg(Reg::Rflags);
  REQUIRE(f.sigreturn_from(frame).value() == 77);
  REQUIRE(f.cpu.reg(Reg::Rip) == 0x4005a9);
  REQUIRE(f.cpu.reg(Reg::Rflags) == ((flags_in_handler & ~(kCF | kDF)) | kDF));
  REQUIRE(f.thread.signal_mask() == 0x2);  // SIGKILL cannot be blocked
}

TEST_CASE("rt_sigreturn with a NULL fpstate resets the FPU", "[signal]") {
  Fixture f;
  REQUIRE(f.setup().ok());
  const u64 frame = f.cpu.reg(Reg::Rsp);
  const u64 mc = frame + 8 + offsetof(abi::Ucontext, uc_mcontext);
  REQUIRE(mm::write_user<u64>(f.as, mc + offsetof(abi::Sigcontext, fpstate), 0).ok());
  std::memset(f.cpu.fpu.bytes, 0xee, sizeof f.cpu.fpu.bytes);
  REQUIRE(f.sigreturn_from(frame).ok());
  const FpuState fresh = proc::initial_fpu_state();
  REQUIRE(std::memcmp(f.cpu.fpu.bytes, fresh.bytes, sizeof fresh.bytes) == 0);
}

TEST_CASE("rt_sigreturn refuses a bad frame", "[signal]") {
  Fixture f;
  SECTION("unmapped") {
    f.cpu.set_reg(Reg::Rsp, 0x1000);
    REQUIRE(proc::restore_rt_frame(f.thread, f.cpu).error() == abi::Errno::kEFAULT);
    REQUIRE(f.thread.signal_mask() == 0x5);  // nothing read, nothing changed
  }
  SECTION("beyond user space") {
    f.cpu.set_reg(Reg::Rsp, mm::kTaskSize - 100);
    REQUIRE(proc::restore_rt_frame(f.thread, f.cpu).error() == abi::Errno::kEFAULT);
  }
  SECTION("reserved MXCSR bits, which FXRSTOR would fault on") {
    REQUIRE(f.setup().ok());
    const u64 frame = f.cpu.reg(Reg::Rsp);
    const u64 fpstate = f.frame_at(frame).uc.uc_mcontext.fpstate;
    REQUIRE(mm::write_user<u32>(f.as, fpstate + FpuState::kMxcsr, 0x10000).ok());
    REQUIRE(f.sigreturn_from(frame).error() == abi::Errno::kEFAULT);
  }
  SECTION("a misaligned FP state") {
    REQUIRE(f.setup().ok());
    const u64 frame = f.cpu.reg(Reg::Rsp);
    const u64 mc = frame + 8 + offsetof(abi::Ucontext, uc_mcontext);
    REQUIRE(mm::write_user<u64>(f.as, mc + offsetof(abi::Sigcontext, fpstate), frame + 12).ok());
    REQUIRE(f.sigreturn_from(frame).error() == abi::Errno::kEFAULT);
  }
}

TEST_CASE("a frame that cannot be written fails and changes nothing", "[signal]") {
  Fixture f;
  const Fixture before;
  SECTION("unmapped stack") {
    f.cpu.set_reg(Reg::Rsp, 0x200000);
  }
  SECTION("read-only stack") {
    const u64 ro = f.map(4 * kPageSize, abi::kPROT_READ);
    f.cpu.set_reg(Reg::Rsp, ro + 4 * kPageSize);
  }
  SECTION("no SA_RESTORER") {
    f.action.flags &= ~abi::kSA_RESTORER;
  }
  const u64 rsp = f.cpu.reg(Reg::Rsp);
  REQUIRE(f.setup().error() == abi::Errno::kEFAULT);
  REQUIRE(f.cpu.reg(Reg::Rsp) == rsp);
  REQUIRE(f.cpu.reg(Reg::Rip) == before.cpu.reg(Reg::Rip));
  REQUIRE(f.cpu.reg(Reg::Rdi) == before.cpu.reg(Reg::Rdi));
}

TEST_CASE("SA_ONSTACK moves to the top of the alternate stack, once", "[signal]") {
  Fixture f;
  const u64 alt = f.map(4 * kPageSize);
  f.thread.alt_stack() = {alt, 0, 4 * kPageSize};
  f.action.flags |= abi::kSA_ONSTACK;
  REQUIRE(f.setup().ok());
  const u64 first = f.cpu.reg(Reg::Rsp);
  REQUIRE(first == round_down(round_down(alt + 4 * kPageSize - 512, 64) - 440, 16) - 8);
  // A second signal while on the alternate stack nests below the first frame.
  REQUIRE(f.setup().ok());
  const u64 second = f.cpu.reg(Reg::Rsp);
  REQUIRE(second == round_down(round_down(first - 128 - 512, 64) - 440, 16) - 8);
  REQUIRE(f.thread.alt_stack().state(second) == abi::kSS_ONSTACK);
  // Without SA_ONSTACK the current stack is used even when an alternate one is set.
  Fixture g;
  g.thread.alt_stack() = {alt, 0, 4 * kPageSize};
  REQUIRE(g.setup().ok());
  REQUIRE(g.cpu.reg(Reg::Rsp) > g.stack);
}

TEST_CASE("a frame that would overflow the alternate stack fails", "[signal]") {
  Fixture f;
  const u64 alt = f.map(4 * kPageSize);
  f.thread.alt_stack() = {alt + 3 * kPageSize, 0, 512};  // smaller than a frame
  f.action.flags |= abi::kSA_ONSTACK;
  REQUIRE(f.setup().error() == abi::Errno::kEFAULT);
}

// ---- Delivery through the kernel, driven by a fake CPU ----

namespace {

constexpr const char* kProgram = test::BootedKernel::kProgram;

struct Booted : test::BootedKernel {
  u64 mem = 0;  // a scratch page
  u64 stack = 0;

  bool start() {
    if (!BootedKernel::start()) return false;
    mem = static_cast<u64>(call(9, 0, 8 * kPageSize, abi::kPROT_READ | abi::kPROT_WRITE,
                                abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS, ~u64{0}, 0));
    stack = cpu.reg(Reg::Rsp);
    return true;
  }
  void sigaction(int sig, u64 handler, u64 flags, u64 mask = 0) {
    const u64 act[4] = {handler, flags | abi::kSA_RESTORER, kRestorer, mask};
    REQUIRE(mm::copy_to_user(as(), mem, act, sizeof act).ok());
    REQUIRE(call(13, static_cast<u64>(sig), mem, 0, 8) == 0);
  }
  i64 tkill(int sig) {
    return call(200, static_cast<u64>(kernel.current_thread().tid()), static_cast<u64>(sig));
  }
  // The handler returns: `ret` pops pretcode and the restorer calls rt_sigreturn.
  i64 sigreturn() {
    cpu.set_reg(Reg::Rsp, cpu.reg(Reg::Rsp) + 8);
    return call(15);
  }
};

}  // namespace

TEST_CASE("a signal sent to oneself runs its handler when the syscall returns", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  b.sigaction(abi::kSIGUSR1, kHandler, abi::kSA_SIGINFO, u64{1} << (abi::kSIGUSR2 - 1));
  b.cpu.set_reg(Reg::Rip, 0x400100);  // just after the `syscall` instruction
  b.cpu.set_reg(Reg::Rbx, 0x1234);
  REQUIRE(b.tkill(abi::kSIGUSR1) == 0);
  REQUIRE(b.cpu.reg(Reg::Rip) == kHandler);
  REQUIRE(b.cpu.reg(Reg::Rdi) == abi::kSIGUSR1);
  const auto fr = mm::read_user<abi::RtSigframe>(b.as(), b.cpu.reg(Reg::Rsp)).value();
  REQUIRE(fr.uc.uc_mcontext.rip == 0x400100);
  REQUIRE(fr.uc.uc_mcontext.rcx == 0x400100);  // as `syscall` leaves it
  REQUIRE(fr.uc.uc_mcontext.rax == 0);         // tkill's result
  REQUIRE(fr.info.si_code == abi::kSI_TKILL);
  REQUIRE(fr.info.fields.kill.pid == b.kernel.current().pid());
  // The handler runs with sa_mask and the signal itself blocked; sigreturn unblocks them.
  REQUIRE(b.kernel.current_thread().signal_mask() == (kBit | (u64{1} << (abi::kSIGUSR2 - 1))));
  b.cpu.set_reg(Reg::Rbx, 0);
  REQUIRE(b.sigreturn() == 0);
  REQUIRE(b.cpu.reg(Reg::Rip) == 0x400100);
  REQUIRE(b.cpu.reg(Reg::Rbx) == 0x1234);
  REQUIRE(b.kernel.current_thread().signal_mask() == 0);
  REQUIRE_FALSE(b.kernel.exited());
}

TEST_CASE("a blocked signal waits, and runs when rt_sigprocmask unblocks it", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  b.sigaction(abi::kSIGUSR1, kHandler, 0);
  REQUIRE(mm::write_user<u64>(b.as(), b.mem + 64, kBit).ok());
  REQUIRE(b.call(14, abi::kSIG_BLOCK, b.mem + 64, 0, 8) == 0);
  b.cpu.set_reg(Reg::Rip, 0x400200);
  REQUIRE(b.tkill(abi::kSIGUSR1) == 0);
  REQUIRE(b.cpu.reg(Reg::Rip) == 0x400200);
  REQUIRE(b.call(127, b.mem + 72, 8) == 0);  // rt_sigpending
  REQUIRE(mm::read_user<u64>(b.as(), b.mem + 72).value() == kBit);
  REQUIRE(b.call(14, abi::kSIG_UNBLOCK, b.mem + 64, 0, 8) == 0);
  REQUIRE(b.cpu.reg(Reg::Rip) == kHandler);
}

TEST_CASE("SA_RESETHAND runs the handler once, then the default action", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  b.sigaction(abi::kSIGUSR1, kHandler, abi::kSA_RESETHAND);
  REQUIRE(b.tkill(abi::kSIGUSR1) == 0);
  REQUIRE(b.cpu.reg(Reg::Rip) == kHandler);
  REQUIRE(b.kernel.current().signal_actions()[abi::kSIGUSR1].handler == abi::kSIG_DFL);
  b.sigreturn();
  b.tkill(abi::kSIGUSR1);
  REQUIRE(b.kernel.exited());
  REQUIRE(b.kernel.exit_state().signal == abi::kSIGUSR1);
}

TEST_CASE("a fault with a handler runs it, and the handler returns to the fault", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  b.sigaction(abi::kSIGSEGV, kHandler, abi::kSA_SIGINFO);
  b.cpu.set_reg(Reg::Rip, 0x400300);  // the faulting instruction
  mm::FaultResult fault;
  fault.resolution = mm::FaultResolution::SegvAccErr;
  b.kernel.fault_signal(fault, 0x7000'1234, mm::kFaultWrite | mm::kFaultPresent);
  REQUIRE(b.cpu.reg(Reg::Rip) == kHandler);
  const auto fr = mm::read_user<abi::RtSigframe>(b.as(), b.cpu.reg(Reg::Rsp)).value();
  REQUIRE(fr.info.si_signo == abi::kSIGSEGV);
  REQUIRE(fr.info.si_code == abi::kSEGV_ACCERR);
  REQUIRE(fr.info.fields.fault.addr == 0x7000'1234);
  REQUIRE(fr.uc.uc_mcontext.trapno == abi::kX86_TRAP_PF);
  REQUIRE(fr.uc.uc_mcontext.err == (mm::kFaultWrite | mm::kFaultPresent | mm::kFaultUser));
  REQUIRE(fr.uc.uc_mcontext.cr2 == 0x7000'1234);
  b.sigreturn();
  REQUIRE(b.cpu.reg(Reg::Rip) == 0x400300);  // runs the instruction again
}

TEST_CASE("a fault whose signal is blocked or ignored kills the process", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  SECTION("blocked") {
    b.sigaction(abi::kSIGFPE, kHandler, 0);
    REQUIRE(mm::write_user<u64>(b.as(), b.mem + 64, u64{1} << (abi::kSIGFPE - 1)).ok());
    REQUIRE(b.call(14, abi::kSIG_BLOCK, b.mem + 64, 0, 8) == 0);
  }
  SECTION("ignored") {
    b.sigaction(abi::kSIGFPE, abi::kSIG_IGN, 0);
  }
  b.kernel.cpu_exception(abi::kX86_TRAP_DE, abi::kSIGFPE, abi::kFPE_INTDIV, 0x400400);
  REQUIRE(b.kernel.exited());
  REQUIRE(b.kernel.exit_state().signal == abi::kSIGFPE);
  REQUIRE(b.kernel.exit_state().si_code == abi::kFPE_INTDIV);
}

TEST_CASE("a handler whose frame cannot be written ends the process with SIGSEGV", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  b.sigaction(abi::kSIGUSR1, kHandler, 0);
  SECTION("no SIGSEGV handler") {}
  SECTION("a SIGSEGV handler on the same bad stack") {
    b.sigaction(abi::kSIGSEGV, kHandler, 0);
  }
  b.cpu.set_reg(Reg::Rsp, 0x1000);  // nothing mapped there
  b.tkill(abi::kSIGUSR1);
  REQUIRE(b.kernel.exited());
  REQUIRE(b.kernel.exit_state().signal == abi::kSIGSEGV);
}

TEST_CASE("a bad stack still reaches a SIGSEGV handler on the alternate stack", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  const abi::StackT ss{b.mem + kPageSize, 0, 0, 4 * kPageSize};
  REQUIRE(mm::write_user(b.as(), b.mem, ss).ok());
  REQUIRE(b.call(131, b.mem, 0) == 0);  // sigaltstack
  b.sigaction(abi::kSIGUSR1, kHandler, 0);
  b.sigaction(abi::kSIGSEGV, kHandler + 0x10, abi::kSA_ONSTACK | abi::kSA_SIGINFO);
  b.cpu.set_reg(Reg::Rsp, 0x1000);
  b.tkill(abi::kSIGUSR1);
  REQUIRE_FALSE(b.kernel.exited());
  REQUIRE(b.cpu.reg(Reg::Rip) == kHandler + 0x10);
  REQUIRE(b.cpu.reg(Reg::Rsp) > b.mem + kPageSize);
  REQUIRE(b.cpu.reg(Reg::Rsp) < b.mem + 5 * kPageSize);
  const auto fr = mm::read_user<abi::RtSigframe>(b.as(), b.cpu.reg(Reg::Rsp)).value();
  REQUIRE(fr.info.si_code == abi::kSI_KERNEL);
}

TEST_CASE("rt_sigreturn from a bad frame raises SIGSEGV", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  b.cpu.set_reg(Reg::Rsp, 0x1000);
  b.call(15);
  REQUIRE(b.kernel.exited());
  REQUIRE(b.kernel.exit_state().signal == abi::kSIGSEGV);
  REQUIRE(b.kernel.exit_state().si_code == abi::kSI_KERNEL);
}

TEST_CASE("rt_sigsuspend returns EINTR after the handler of a pending signal", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  b.sigaction(abi::kSIGUSR1, kHandler, 0);
  REQUIRE(mm::write_user<u64>(b.as(), b.mem + 64, kBit).ok());
  REQUIRE(mm::write_user<u64>(b.as(), b.mem + 72, 0).ok());
  REQUIRE(b.call(14, abi::kSIG_BLOCK, b.mem + 64, 0, 8) == 0);
  REQUIRE(b.tkill(abi::kSIGUSR1) == 0);
  b.cpu.set_reg(Reg::Rip, 0x400500);
  b.call(130, b.mem + 72, 8);
  REQUIRE(b.cpu.reg(Reg::Rip) == kHandler);
  const auto fr = mm::read_user<abi::RtSigframe>(b.as(), b.cpu.reg(Reg::Rsp)).value();
  REQUIRE(static_cast<i64>(fr.uc.uc_mcontext.rax) == -static_cast<i64>(abi::Errno::kEINTR));
  REQUIRE(fr.uc.uc_sigmask == kBit);  // the mask from before the suspend comes back
  b.sigreturn();
  REQUIRE(b.kernel.current_thread().signal_mask() == kBit);
  REQUIRE(b.cpu.reg(Reg::Rip) == 0x400500);
}

TEST_CASE("a pending signal that turns out ignored restarts rt_sigsuspend", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  REQUIRE(mm::write_user<u64>(b.as(), b.mem + 64, u64{1} << (abi::kSIGCHLD - 1)).ok());
  REQUIRE(mm::write_user<u64>(b.as(), b.mem + 72, 0).ok());
  REQUIRE(b.call(14, abi::kSIG_BLOCK, b.mem + 64, 0, 8) == 0);
  REQUIRE(b.tkill(abi::kSIGCHLD) == 0);  // blocked, so queued though ignored by default
  b.cpu.set_reg(Reg::Rip, 0x400502);
  REQUIRE(b.call(130, b.mem + 72, 8) == 130);  // %rax is the syscall number again
  REQUIRE(b.cpu.reg(Reg::Rip) == 0x400500);    // back on the `syscall` instruction
  REQUIRE(b.kernel.current_thread().signal_mask() == u64{1} << (abi::kSIGCHLD - 1));
}

TEST_CASE("sigaltstack reports SS_ONSTACK while running on the stack", "[signal]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  const abi::StackT ss{b.mem + kPageSize, 0, 0, 4 * kPageSize};
  REQUIRE(mm::write_user(b.as(), b.mem, ss).ok());
  REQUIRE(b.call(131, b.mem, b.mem + 32) == 0);
  REQUIRE(mm::read_user<abi::StackT>(b.as(), b.mem + 32).value().ss_flags == abi::kSS_DISABLE);
  b.cpu.set_reg(Reg::Rsp, b.mem + 3 * kPageSize);
  REQUIRE(b.call(131, 0, b.mem + 32) == 0);
  REQUIRE(mm::read_user<abi::StackT>(b.as(), b.mem + 32).value().ss_flags == abi::kSS_ONSTACK);
  // Changing it while on it is refused.
  REQUIRE(b.call(131, b.mem, 0) == -static_cast<i64>(abi::Errno::kEPERM));
  b.cpu.set_reg(Reg::Rsp, b.stack);
  REQUIRE(b.call(131, 0, b.mem + 32) == 0);
  REQUIRE(mm::read_user<abi::StackT>(b.as(), b.mem + 32).value().ss_flags == 0);
}
