// The MMU: a hardware page walker over x86-64 4-level tables in emulated RAM. It checks
// P, R/W, U/S and NX at every level, understands PS leaves (2 MiB, 1 GiB), and sets the
// Accessed and Dirty bits as the hardware does. All guest accesses are user-mode (CPL 3).
#pragma once

#include "kernel/arch/x86_64/pte.h"
#include "kernel/hal.h"

namespace emu {

using kernel::PhysAddr;
using kernel::u32;
using kernel::u64;

enum class Access : kernel::u8 { Read, Write, Fetch };

// x86 page-fault error code bits.
inline constexpr u32 kPfPresent = 1u << 0;  // protection violation on a present page
inline constexpr u32 kPfWrite = 1u << 1;
inline constexpr u32 kPfUser = 1u << 2;
inline constexpr u32 kPfReserved = 1u << 3;
inline constexpr u32 kPfFetch = 1u << 4;

struct WalkStep {
  PhysAddr entry_address;  // where the entry lives in RAM
  u64 entry = 0;           // its value as read (before A/D updates)
};

struct Walk {
  enum class Status : kernel::u8 { Ok, PageFault, MachineCheck, BusError };
  Status status = Status::PageFault;
  PhysAddr frame;         // the 4 KiB physical page va falls in (Ok, MachineCheck)
  bool writable = false;  // what the TLB may grant for this page
  bool executable = false;
  u32 error_code = 0;  // PageFault: x86 error code
  int leaf_level = 0;  // 1 for a 4 KiB page, 2 for 2 MiB, 3 for 1 GiB
  int steps = 0;       // entries read, top level first
  WalkStep step[kernel::x86_64::kLevels];
};

class Mmu {
 public:
  // poison: one bit per frame, or nullptr when no frame is ever poisoned.
  Mmu(const kernel::hal::PhysMemory& ram, const kernel::u8* poison)
      : m_ram(ram), m_poison(poison) {}

  // Translates va for `access`. On success the A bit is set on every entry used, and D on
  // the leaf for a write. A read or fetch grants write only when the leaf is already dirty,
  // so the first write comes back as a write fill and D stays exact.
  Walk walk(PhysAddr cr3, u64 va, Access access) const;

  // Reads guest memory through the page tables without touching A/D bits or faulting:
  // for disassembling and tracing. False where any byte is not mapped.
  bool peek(PhysAddr cr3, u64 va, void* dst, u64 len) const;

 private:
  kernel::hal::PhysMemory m_ram;
  const kernel::u8* m_poison;
};

}  // namespace emu
