// mremap(2) on an address space: shrink, grow in place, or move the pages elsewhere, after
// Linux 6.1's mm/mremap.c. The VMA is looked up again after every step that can split or
// erase VMAs, so no reference to one is held across an unmap.
#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;

Result<u64> AddressSpace::remap(u64 addr, u64 old_len, u64 new_len, u64 flags, u64 new_addr,
                                LockLimit lock_limit) {
  if (!find_vma(addr)) return abi::Errno::kEFAULT;
  if (flags & (abi::kMREMAP_FIXED | abi::kMREMAP_DONTUNMAP))
    return remap_to(addr, old_len, new_addr, new_len, flags, lock_limit);

  // Shrinking always works: it only unmaps the tail.
  if (old_len >= new_len) {
    if (old_len != new_len) TRY(unmap(addr + new_len, old_len - new_len));
    return addr;
  }

  auto it = TRY(vma_to_resize(addr, old_len, new_len, flags, lock_limit));
  // Grow in place when old_len reaches the end of the VMA and the space after is free.
  Vma& vma = it->second;
  if (old_len == vma.end - addr) {
    const u64 delta = new_len - old_len;
    const u64 grown_end = vma.end + delta;
    if (grown_end > vma.end && grown_end <= kTaskSize && range_is_free(vma.end, grown_end)) {
      const u64 old_end = vma.end;
      const bool locked = (vma.flags & kVmLockedMask) == VM_LOCKED;
      vma.end = grown_end;
      merge_around(it);
      if (locked) (void)populate(old_end, grown_end, PopulateErrors::SkipVma);
      return addr;
    }
  }
  if (!(flags & abi::kMREMAP_MAYMOVE)) return abi::Errno::kENOMEM;
  const u64 dest = find_free_range(new_len, m_mmap_base);
  if (dest == 0) return abi::Errno::kENOMEM;
  return move_vma(addr, old_len, new_len, dest, flags);
}

Result<AddressSpace::VmaIterator> AddressSpace::vma_to_resize(u64 addr, u64 old_len, u64 new_len,
                                                              u64 flags, LockLimit lock_limit) {
  auto it = vma_from(addr);
  if (it == m_vmas.end() || it->second.start > addr) return abi::Errno::kEFAULT;
  const Vma& vma = it->second;
  // A zero old_len duplicates a shared mapping; a private one has nothing to duplicate.
  if (old_len == 0 && !(vma.flags & (VM_SHARED | VM_MAYSHARE))) return abi::Errno::kEINVAL;
  if ((flags & abi::kMREMAP_DONTUNMAP) && (vma.flags & VM_DONTEXPAND)) return abi::Errno::kEINVAL;
  // The old range may not run past its VMA (compared without adding: old_len may be huge).
  if (old_len > vma.end - addr) return abi::Errno::kEFAULT;
  if (new_len == old_len) return it;
  if (vma.file) {
    const u64 pgoff = vma.offset_of(addr) >> kPageShift;
    if (pgoff + (new_len >> kPageShift) < pgoff) return abi::Errno::kEINVAL;
  }
  if (vma.flags & VM_DONTEXPAND) return abi::Errno::kEFAULT;
  if ((vma.flags & VM_LOCKED) &&
      !lock_limit.allows(locked_pages() + ((new_len - old_len) >> kPageShift)))
    return abi::Errno::kEAGAIN;
  return it;
}

Result<u64> AddressSpace::remap_to(u64 addr, u64 old_len, u64 new_addr, u64 new_len, u64 flags,
                                   LockLimit lock_limit) {
  if (!page_aligned(new_addr)) return abi::Errno::kEINVAL;
  if (new_len > kTaskSize || new_addr > kTaskSize - new_len) return abi::Errno::kEINVAL;
  // The old and new ranges may not overlap (Linux's arithmetic, wrap-around included).
  if (addr + old_len > new_addr && new_addr + new_len > addr) return abi::Errno::kEINVAL;
  // Both ranges may split in three before the move: keep room below the limit.
  if (m_vmas.size() + 2 >= m_max_map_count - 3) return abi::Errno::kENOMEM;
  const bool fixed = flags & abi::kMREMAP_FIXED;
  if (fixed) TRY(unmap(new_addr, new_len));
  if (old_len > new_len) {
    TRY(unmap(addr + new_len, old_len - new_len));
    old_len = new_len;
  }
  (void)TRY(vma_to_resize(addr, old_len, new_len, flags, lock_limit));
  u64 dest = new_addr;
  if (!fixed) {
    // MREMAP_DONTUNMAP alone takes new_addr as a hint, as mmap does.
    const bool hint_fits = new_addr >= kMmapMinAddr && range_is_free(new_addr, new_addr + new_len);
    dest = hint_fits ? new_addr : find_free_range(new_len, m_mmap_base);
    if (dest == 0) return abi::Errno::kENOMEM;
  }
  return move_vma(addr, old_len, new_len, dest, flags);
}

Result<void> AddressSpace::move_page_tables(u64 from, u64 to, u64 length) {
  // move_huge_pmd(): a huge entry moves whole when the range covers it and lands on a
  // 2 MiB boundary; any other huge entry in the range is split first.
  const bool aligned = ((to - from) & kHugeMask) == 0;
  split_huge_range(from, from + length, !aligned);
  bool huge_moved = false;
  bool huge_failed = false;
  m_page_table.for_each_huge(from, from + length, [&](u64 haddr, Pte& pde) {
    if (huge_failed) return;
    Pte* target = m_page_table.entry(to + (haddr - from), 2, x86_64::Allocate::Yes);
    // The destination's directory slot must be empty (a leftover empty table is not).
    if (!target || !target->none()) {
      huge_failed = !target;
      if (target) split_huge_pmd(haddr);
      return;
    }
    *target = pde;
    pde = Pte();
    huge_moved = true;
    if (!m_mm.is_huge_zero(target->pfn()))
      m_mm.rmap().move(target->pfn(), this, haddr, to + (haddr - from));
  });
  if (huge_failed) return abi::Errno::kENOMEM;
  if (huge_moved) m_mm.flush_tlb("mremap", from, from + length);
  // The destination never overlaps the source, so creating its tables while walking the
  // source adds entries only outside the range being walked.
  bool allocated = true;
  m_page_table.for_each_leaf(from, from + length, [&](u64 va, Pte&) {
    if (allocated && !m_page_table.leaf_entry(to + (va - from), x86_64::Allocate::Yes))
      allocated = false;
  });
  if (!allocated) {
    m_page_table.free_empty_tables(to, to + length);
    return abi::Errno::kENOMEM;
  }
  bool moved = false;
  m_page_table.for_each_leaf(from, from + length, [&](u64 va, Pte& slot) {
    Pte* target = m_page_table.leaf_entry(to + (va - from), x86_64::Allocate::No);
    VERIFY(target != nullptr && target->none());
    // move_soft_dirty_pte(): a moved page is new data at its new address.
    *target = slot.none() ? slot : slot.with(Pte::kSoftDirty);
    moved |= slot.present();
    slot = Pte();
    const Pte entry = *target;
    const bool maps = entry.present() || entry.soft_type() == Pte::SoftType::ProtNone;
    const Pfn frame = entry.present() ? entry.pfn() : Pfn(entry.soft_value());
    if (maps && frame != m_zero_page) m_mm.rmap().move(frame, this, va, to + (va - from));
  });
  if (moved) m_mm.flush_tlb("mremap", from, from + length);
  m_page_table.free_empty_tables(from, from + length);
  return {};
}

Result<u64> AddressSpace::move_vma(u64 old_addr, u64 old_len, u64 new_len, u64 new_addr,
                                   u64 flags) {
  // Room for splitting the old VMA in three before it is unmapped.
  if (m_vmas.size() >= m_max_map_count - 3) return abi::Errno::kENOMEM;
  const bool dontunmap = flags & abi::kMREMAP_DONTUNMAP;
  auto it = vma_from(old_addr);
  VERIFY(it != m_vmas.end() && it->second.start <= old_addr);
  Vma moved = it->second;
  // A locked VMA is split first so that only the moved part loses VM_LOCKED.
  if (dontunmap && (moved.flags & VM_LOCKED)) {
    split_at(old_addr);
    split_at(old_addr + old_len);
  }
  moved.file_offset = moved.offset_of(old_addr);
  moved.start = new_addr;
  moved.end = new_addr + new_len;
  const u64 carried = std::min(old_len, new_len);
  TRY(move_page_tables(old_addr, new_addr, carried));
  auto [placed, inserted] = m_vmas.emplace(new_addr, std::move(moved));
  VERIFY(inserted);
  const u64 moved_flags = placed->second.flags;
  merge_around(placed);

  if (dontunmap) {
    // The old range stays mapped, empty, and no longer locked.
    auto old = vma_from(old_addr);
    old->second.flags &= ~kVmLockedMask;
    merge_around(old);
    return new_addr;
  }
  zap_range(old_addr, old_addr + old_len);
  remove_vmas(old_addr, old_addr + old_len);
  m_page_table.free_empty_tables(old_addr, old_addr + old_len);
  if ((moved_flags & kVmLockedMask) == VM_LOCKED && new_len > old_len)
    (void)populate(new_addr + old_len, new_addr + new_len, PopulateErrors::SkipVma);
  return new_addr;
}

}  // namespace kernel::mm
