// An address space: the VMAs of one process and the page table that backs them.
// Syscall handlers validate and decode; the work of mmap, munmap, mprotect, mremap, brk,
// madvise and page faults happens here.
#pragma once

#include <map>
#include <memory>

#include "kernel/arch/x86_64/page_table.h"
#include "kernel/base/result.h"
#include "kernel/hal.h"
#include "kernel/mm/fault.h"
#include "kernel/mm/vma.h"

namespace kernel::mm {

class FrameAllocator;
class MemoryManager;

// Where things go without address-space randomisation, as on Linux with ASLR off.
inline constexpr u64 kTaskSize = 0x7fff'ffff'f000;
inline constexpr u64 kStackTop = kTaskSize;
inline constexpr u64 kMmapMinAddr = 0x10000;
inline constexpr u64 kStackRlimit = 8 * 1024 * 1024;
inline constexpr u64 kStackGuardGap = 256 * kPageSize;

enum class MapPlacement : u8 { Hint, Fixed, FixedNoReplace };

struct MapRequest {
  u64 addr = 0;
  u64 length = 0;  // page aligned, non-zero
  u64 prot = 0;    // PROT_* bits
  bool shared = false;
  MapPlacement placement = MapPlacement::Hint;
  std::shared_ptr<fs::File> file;
  u64 offset = 0;       // page aligned
  u64 extra_flags = 0;  // VmFlag bits (VM_GROWSDOWN, VM_NORESERVE ...)
  VmaRole role = VmaRole::Mapping;
  bool may_write = true;  // VM_MAYWRITE: whether mprotect may add PROT_WRITE later
};

struct FaultCounters {
  u64 minor = 0;
  u64 major = 0;
  u64 by_resolution[static_cast<int>(FaultResolution::OutOfMemory) + 1] = {};
};

class AddressSpace {
 public:
  explicit AddressSpace(MemoryManager& mm);
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  x86_64::PageTable& page_table() { return m_page_table; }
  const hal::PhysMemory& ram() const { return m_ram; }
  FrameAllocator& frames() { return m_frames; }
  MemoryManager& memory() { return m_mm; }
  Pfn zero_page() const { return m_zero_page; }
  const std::map<u64, Vma>& vmas() const { return m_vmas; }
  const Vma* find_vma(u64 addr) const;

  Result<u64> map(const MapRequest& request);
  Result<void> unmap(u64 addr, u64 length);
  Result<void> protect(u64 addr, u64 length, u64 prot);
  Result<u64> remap(u64 old_addr, u64 old_length, u64 new_length, u64 flags, u64 new_addr);

  // The program break. set_brk_start is called once by the loader.
  void set_brk_start(u64 addr) { m_brk_start = m_brk = addr; }
  u64 brk() const { return m_brk; }
  u64 brk_start() const { return m_brk_start; }
  u64 set_brk(u64 requested);

  Result<void> madvise(u64 addr, u64 length, int advice);

  // Resolves a fault at addr with the x86 error code; see FaultResult.
  FaultResult handle_fault(u64 addr, u32 error_code);
  const FaultCounters& fault_counters() const { return m_fault_counters; }
  void flush_tlb() { m_cpu.flush_tlb(); }

  // The lowest free range of `length` bytes below `below`, searching top-down; 0 if none.
  u64 find_free_range(u64 length, u64 below) const;
  bool range_is_free(u64 start, u64 end) const;

 private:
  using VmaIterator = std::map<u64, Vma>::iterator;

  // The first VMA that ends above addr (the one containing it, or the next one).
  VmaIterator vma_from(u64 addr);
  // Splits VMAs so that `addr` is a VMA boundary (if a VMA spans it).
  void split_at(u64 addr);
  // Merges the VMA at `it` with equal neighbours; returns the merged VMA.
  VmaIterator merge_around(VmaIterator it);
  // Clears every leaf in [start, end) and drops the frames they mapped.
  void zap_range(u64 start, u64 end);
  // Rewrites the leaves of [start, end) for new VMA flags.
  void change_protection(u64 start, u64 end, u64 flags);
  void remove_vmas(u64 start, u64 end);
  bool try_grow_stack(u64 addr);

  FaultResult fault_anonymous(const Vma& vma, u64 page, u32 error_code);
  FaultResult fault_file(const Vma& vma, u64 page);
  FaultResult fault_write_protected(const Vma& vma, u64 page, x86_64::Pte* slot);
  x86_64::Pte leaf_for(const Vma& vma, Pfn frame, bool writable) const;

  MemoryManager& m_mm;
  hal::PhysMemory m_ram;
  FrameAllocator& m_frames;
  Pfn m_zero_page;
  hal::Cpu& m_cpu;
  x86_64::PageTable m_page_table;
  std::map<u64, Vma> m_vmas;  // keyed by start
  u64 m_brk_start = 0;
  u64 m_brk = 0;
  u64 m_mmap_base = kStackTop - 128 * 1024 * 1024;  // below the stack's gap, as Linux
  FaultCounters m_fault_counters;
};

}  // namespace kernel::mm
