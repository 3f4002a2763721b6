// mremap(2) on an address space: shrink, grow in place, or move the pages elsewhere.
#include "kernel/mm/address_space.h"

namespace kernel::mm {

using x86_64::Pte;

Result<u64> AddressSpace::remap(u64 old_addr, u64 old_length, u64 new_length, u64 flags,
                                u64 new_addr) {
  old_length = page_round_up(old_length);
  new_length = page_round_up(new_length);
  const Vma* vma = find_vma(old_addr);
  if (!vma || old_addr + old_length > vma->end) return abi::Errno::kEFAULT;
  const bool fixed = flags & abi::kMREMAP_FIXED;

  if (!fixed && new_length <= old_length) {
    if (new_length < old_length) TRY(unmap(old_addr + new_length, old_length - new_length));
    return old_addr;
  }
  // Grow in place when the range right after is free and the VMA ends where we do.
  if (!fixed && vma->end == old_addr + old_length) {
    const u64 grow_end = old_addr + new_length;
    if (grow_end <= kTaskSize && grow_end > old_addr &&
        range_is_free(old_addr + old_length, grow_end)) {
      auto it = m_vmas.find(vma->start);
      it->second.end = grow_end;
      merge_around(it);
      return old_addr;
    }
  }
  if (!(flags & abi::kMREMAP_MAYMOVE)) return abi::Errno::kENOMEM;

  // Move: a new VMA elsewhere, the page-table entries carried over, the old range dropped.
  u64 dest = 0;
  if (fixed) {
    dest = new_addr;
    TRY(unmap(dest, new_length));
  } else {
    dest = find_free_range(new_length, m_mmap_base);
    if (dest == 0) return abi::Errno::kENOMEM;
  }
  Vma moved = *vma;
  moved.file_offset = vma->offset_of(old_addr);
  moved.start = dest;
  moved.end = dest + new_length;
  const u64 carry = std::min(old_length, new_length);
  for (u64 off = 0; off < carry; off += kPageSize) {
    Pte* from = m_page_table.leaf_entry(old_addr + off, x86_64::Allocate::No);
    if (!from || from->none()) continue;
    Pte* to = m_page_table.leaf_entry(dest + off, x86_64::Allocate::Yes);
    if (!to) return abi::Errno::kENOMEM;
    *to = *from;
    *from = Pte();
  }
  m_cpu.flush_tlb();
  // What was not carried (a shrinking move) is dropped with the old range.
  zap_range(old_addr, old_addr + old_length);
  remove_vmas(old_addr, old_addr + old_length);
  m_page_table.free_empty_tables(old_addr, old_addr + old_length);
  auto [it, inserted] = m_vmas.emplace(dest, std::move(moved));
  VERIFY(inserted);
  merge_around(it);
  return dest;
}

}  // namespace kernel::mm
