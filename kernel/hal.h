// The kernel's whole view of the machine. emu/ implements it with Unicorn; unit tests
// implement it with a fake. Nothing here names Unicorn, Capstone or spdlog.
#pragma once

#include "kernel/base/types.h"

namespace kernel::hal {

// Emulated physical RAM: one contiguous host mapping, frame N at base + N * 4096.
// Host memory behind it is reserved lazily by the host kernel.
struct PhysMemory {
  u8* base = nullptr;
  u64 size = 0;  // bytes, a multiple of the page size
  // The RAM's hardware-poison bits, one per frame (bit N % 8 of byte N / 8): a set bit
  // makes every access to the frame a machine check. Null when the RAM has none.
  u8* poison = nullptr;

  u64 frame_count() const { return size >> kPageShift; }
  u8* frame(Pfn pfn) const { return base + (pfn.value << kPageShift); }
  u8* at(PhysAddr pa) const { return base + pa.value; }
  bool contains(PhysAddr pa, u64 len = 1) const {
    return pa.value < size && len <= size - pa.value;
  }
  bool poisoned(Pfn pfn) const {
    return poison && pfn.value < frame_count() &&
           (poison[pfn.value >> 3] & (1u << (pfn.value & 7)));
  }
  void set_poisoned(Pfn pfn, bool on) const {
    if (!poison || pfn.value >= frame_count()) return;
    const u8 bit = static_cast<u8>(1u << (pfn.value & 7));
    if (on)
      poison[pfn.value >> 3] |= bit;
    else
      poison[pfn.value >> 3] &= static_cast<u8>(~bit);
  }
};

enum class Reg : u8 {
  Rax,
  Rbx,
  Rcx,
  Rdx,
  Rsi,
  Rdi,
  Rbp,
  Rsp,
  R8,
  R9,
  R10,
  R11,
  R12,
  R13,
  R14,
  R15,
  Rip,
  Rflags,
  FsBase,
  GsBase,
  Count
};

// The x87, MMX and SSE state, in the 512-byte image FXSAVE64 writes (Intel SDM vol. 1,
// 10.5.1): control, status and abridged tag words, last-instruction pointers, MXCSR, ST0-ST7
// (stack order, 16 bytes each) and XMM0-XMM15. Bytes from kSaved on are not processor state.
struct FpuState {
  static constexpr u64 kFcw = 0, kFsw = 2, kFtw = 4, kFop = 6, kFip = 8, kFdp = 16;
  static constexpr u64 kMxcsr = 24, kMxcsrMask = 28, kSt0 = 32, kXmm0 = 160;
  static constexpr u64 kSaved = 416;              // the bytes FXSAVE writes
  static constexpr u64 kSwReserved = 464;         // left to software (Linux's _fpx_sw_bytes)
  static constexpr u32 kMxcsrMaskValue = 0xffff;  // MXCSR bits the CPU supports

  alignas(16) u8 bytes[512] = {};
};

// Everything a context switch moves: the general registers, rip, rflags, the FS and GS
// bases, and the x87/SSE state.
struct CpuContext {
  u64 regs[static_cast<int>(Reg::Count)] = {};
  FpuState fpu;
};

// One hardware thread of the machine.
class Cpu {
 public:
  virtual ~Cpu() = default;
  // While the kernel handles a syscall, Rip is the address after the `syscall` instruction
  // (Linux's regs->ip), and setting it makes the guest resume there (signal delivery,
  // rt_sigreturn, syscall restart).
  u64 reg(Reg r) const { return r == Reg::Rip ? rip() : read_reg(r); }
  void set_reg(Reg r, u64 value) {
    if (r == Reg::Rip)
      set_rip(value);
    else
      write_reg(r, value);
  }
  // What reg() and set_reg() reach. Rip has its own pair so that a machine can treat it
  // specially during a syscall at no cost to the syscall path's other registers.
  virtual u64 read_reg(Reg r) const = 0;  // any register but Rip
  virtual void write_reg(Reg r, u64 value) = 0;
  virtual u64 rip() const = 0;
  virtual void set_rip(u64 value) = 0;
  // The x87/SSE state, as FXSAVE64 / FXRSTOR64 would move it (signal frames).
  virtual void save_fpu(FpuState& out) const = 0;
  virtual void restore_fpu(const FpuState& in) = 0;
  // CR3: the physical address of the top-level page table the MMU walks.
  virtual void set_page_table_root(PhysAddr root) = 0;
  // Drops every cached translation. Required before the guest runs again after any
  // page-table entry loses a permission, changes frame or becomes non-present.
  virtual void flush_tlb() = 0;
  // Asks the machine to return control to its run loop after the current instruction.
  virtual void request_stop() = 0;
  // Whether the machine should interrupt the running thread at the end of each time
  // quantum (the kernel asks for it while more than one thread is runnable).
  virtual void set_preemption(bool on) { (void)on; }
  // Asks the machine to come back to its run loop, where Kernel::tick() runs, once
  // CLOCK_MONOTONIC reaches `deadline_ns`, even while the guest computes (a timer is due);
  // 0 cancels. One wake-up at a time: a new deadline replaces the last.
  virtual void set_wakeup(u64 deadline_ns) { (void)deadline_ns; }

  // A context switch's save and restore. Only between runs, never inside a hook.
  void save_context(CpuContext& out) const {
    for (int i = 0; i < static_cast<int>(Reg::Count); ++i) out.regs[i] = reg(static_cast<Reg>(i));
    save_fpu(out.fpu);
  }
  void restore_context(const CpuContext& in) {
    for (int i = 0; i < static_cast<int>(Reg::Count); ++i) set_reg(static_cast<Reg>(i), in.regs[i]);
    restore_fpu(in.fpu);
  }
};

}  // namespace kernel::hal
