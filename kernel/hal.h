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

  u64 frame_count() const { return size >> kPageShift; }
  u8* frame(Pfn pfn) const { return base + (pfn.value << kPageShift); }
  u8* at(PhysAddr pa) const { return base + pa.value; }
  bool contains(PhysAddr pa, u64 len = 1) const {
    return pa.value < size && len <= size - pa.value;
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

// One hardware thread of the machine.
class Cpu {
 public:
  virtual ~Cpu() = default;
  virtual u64 reg(Reg r) const = 0;
  virtual void set_reg(Reg r, u64 value) = 0;
  // CR3: the physical address of the top-level page table the MMU walks.
  virtual void set_page_table_root(PhysAddr root) = 0;
  // Drops every cached translation. Required before the guest runs again after any
  // page-table entry loses a permission, changes frame or becomes non-present.
  virtual void flush_tlb() = 0;
  // Asks the machine to return control to its run loop after the current instruction.
  virtual void request_stop() = 0;
};

}  // namespace kernel::hal
