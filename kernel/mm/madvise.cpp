// madvise(2) on an address space. The range has been validated by the syscall layer
// (aligned start, length rounded, no overflow); here every page must be mapped.
#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"

namespace kernel::mm {

namespace {

// Advice that only sets or clears VMA flags: {set, clear}.
struct FlagAdvice {
  u64 set;
  u64 clear;
};

bool flag_advice(int advice, FlagAdvice& out) {
  switch (advice) {
    case abi::kMADV_NORMAL:
      out = {0, VM_SEQ_READ | VM_RAND_READ};
      return true;
    case abi::kMADV_RANDOM:
      out = {VM_RAND_READ, VM_SEQ_READ};
      return true;
    case abi::kMADV_SEQUENTIAL:
      out = {VM_SEQ_READ, VM_RAND_READ};
      return true;
    case abi::kMADV_DONTFORK:
      out = {VM_DONTCOPY, 0};
      return true;
    case abi::kMADV_DOFORK:
      out = {0, VM_DONTCOPY};
      return true;
    case abi::kMADV_DONTDUMP:
      out = {VM_DONTDUMP, 0};
      return true;
    case abi::kMADV_DODUMP:
      out = {0, VM_DONTDUMP};
      return true;
    case abi::kMADV_WIPEONFORK:
      out = {VM_WIPEONFORK, 0};
      return true;
    case abi::kMADV_KEEPONFORK:
      out = {0, VM_WIPEONFORK};
      return true;
    // Huge-page and merge advice is recorded on the VMA; khugepaged and ksmd act on it.
    case abi::kMADV_HUGEPAGE:
      out = {VM_HUGEPAGE, VM_NOHUGEPAGE};
      return true;
    case abi::kMADV_NOHUGEPAGE:
      out = {VM_NOHUGEPAGE, VM_HUGEPAGE};
      return true;
    case abi::kMADV_MERGEABLE:
      out = {VM_MERGEABLE, 0};
      return true;
    case abi::kMADV_UNMERGEABLE:
      out = {0, VM_MERGEABLE};
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<void> AddressSpace::madvise(u64 addr, u64 length, int advice) {
  const u64 end = addr + length;
  // Linux walks the VMAs and returns ENOMEM when part of the range was unmapped, after
  // applying the advice to the mapped parts.
  bool hole = false;
  for (u64 cursor = addr; cursor < end;) {
    const Vma* vma = find_vma(cursor);
    if (!vma) {
      auto next = m_vmas.upper_bound(cursor);
      hole = true;
      if (next == m_vmas.end() || next->second.start >= end) break;
      cursor = next->second.start;
      continue;
    }
    cursor = vma->end;
  }

  FlagAdvice flags{};
  if (flag_advice(advice, flags)) {
    if (advice == abi::kMADV_WIPEONFORK) {
      for (auto it = vma_from(addr); it != m_vmas.end(); ++it) {
        if (it->second.start >= end) break;
        if (!it->second.anonymous() || it->second.shared()) return abi::Errno::kEINVAL;
      }
    }
    split_at(addr);
    split_at(end);
    for (auto it = m_vmas.lower_bound(addr); it != m_vmas.end() && it->second.start < end; ++it)
      it->second.flags = (it->second.flags | flags.set) & ~flags.clear;
    for (auto it = m_vmas.lower_bound(addr); it != m_vmas.end() && it->second.start < end;) {
      it = merge_around(it);
      ++it;
    }
    return hole ? Result<void>(abi::Errno::kENOMEM) : Result<void>();
  }

  switch (advice) {
    case abi::kMADV_WILLNEED:
      // Read-ahead of file pages into a page cache; with no page cache there is nothing
      // to start early, and anonymous memory ignores it as Linux does.
      break;
    case abi::kMADV_COLD:
      // Moves pages to the inactive list, which only matters when reclaim runs; with no
      // memory pressure Linux shows nothing either.
      break;
    case abi::kMADV_PAGEOUT: {
      // Reclaim now. Clean file pages are dropped (a later access reads the file again);
      // anonymous and dirty pages need a swap device, and with none they stay, as on Linux.
      for (u64 page = addr; page < end; page += kPageSize) {
        const Vma* vma = find_vma(page);
        if (!vma || vma->anonymous()) continue;
        x86_64::Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::No);
        if (slot && slot->present() && !slot->dirty() && !slot->writable())
          zap_range(page, page + kPageSize);
      }
      break;
    }
    case abi::kMADV_REMOVE:
      // Punching a hole needs a shared mapping; private ones get EINVAL.
      for (auto it = vma_from(addr); it != m_vmas.end(); ++it) {
        if (it->second.start >= end) break;
        if (!it->second.shared()) return abi::Errno::kEINVAL;
      }
      zap_range(addr, end);
      break;
    case abi::kMADV_DONTNEED_LOCKED:
    case abi::kMADV_DONTNEED:
    case abi::kMADV_FREE: {
      // Private anonymous pages read back as zeros afterwards; file pages are re-read.
      // MADV_FREE may drop the pages at any time; dropping them now is one valid outcome.
      for (u64 cursor = addr; cursor < end;) {
        const Vma* vma = find_vma(cursor);
        if (!vma) {
          auto next = m_vmas.upper_bound(cursor);
          if (next == m_vmas.end() || next->second.start >= end) break;
          cursor = next->second.start;
          continue;
        }
        if ((vma->flags & VM_LOCKED) && advice != abi::kMADV_DONTNEED_LOCKED)
          return abi::Errno::kEINVAL;
        if (advice == abi::kMADV_FREE && !vma->anonymous()) return abi::Errno::kEINVAL;
        const u64 stop = std::min(end, vma->end);
        zap_range(cursor, stop);
        cursor = stop;
      }
      break;
    }
    case abi::kMADV_POPULATE_READ:
    case abi::kMADV_POPULATE_WRITE: {
      if (hole) return abi::Errno::kENOMEM;
      const u32 ec = kFaultUser | (advice == abi::kMADV_POPULATE_WRITE ? kFaultWrite : 0);
      for (u64 page = addr; page < end; page += kPageSize) {
        const Vma* vma = find_vma(page);
        if (!vma) return abi::Errno::kENOMEM;
        x86_64::Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::No);
        const bool write = ec & kFaultWrite;
        if (slot && slot->present() && (!write || slot->writable())) continue;
        u32 code = ec | (slot && slot->present() ? kFaultPresent : 0);
        const FaultResult r = handle_fault(page, code);
        if (r.replaced_present) m_cpu.flush_tlb();
        if (!r.handled()) {
          if (r.resolution == FaultResolution::OutOfMemory) return abi::Errno::kENOMEM;
          if (r.resolution == FaultResolution::SegvAccErr) return abi::Errno::kEINVAL;
          return abi::Errno::kEFAULT;
        }
      }
      return {};
    }
    default:
      // MADV_COLLAPSE, MADV_HWPOISON and MADV_SOFT_OFFLINE: Linux built without
      // transparent huge pages or memory-failure support answers EINVAL, as emu does
      // until those subsystems exist.
      return abi::Errno::kEINVAL;
  }
  return hole ? Result<void>(abi::Errno::kENOMEM) : Result<void>();
}

}  // namespace kernel::mm
