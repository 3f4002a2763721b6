// /proc/PID/clear_refs on an address space, after Linux 6.1's fs/proc/task_mmu.c.
//
// Soft-dirty tracking rests on write faults: clearing it write-protects every present
// entry, so that the next write to each page faults and the fault path marks the entry
// soft-dirty again (Pte::mkdirty), while VM_SOFTDIRTY goes from every VMA so that pages
// not yet mapped read clean too. A new mapping, a moved page and a page swapped out and
// back keep or regain the mark as Linux's do.
#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;

void AddressSpace::clear_refs(ClearRefs type) {
  // reset_mm_hiwater_rss(): emu reports VmHWM as the RSS of the moment (it keeps no peak),
  // so the reset leaves nothing to change.
  if (type == ClearRefs::HiwaterRss) return;
  bool flush = false;
  for (auto& [start, vma] : m_vmas) {
    // clear_refs_test_walk(): shared anonymous memory has a file in Linux (shmem), as
    // every VMA with a memory object has here.
    const bool file_backed = vma.object != nullptr;
    if (type == ClearRefs::Anon && file_backed) continue;
    if (type == ClearRefs::Mapped && !file_backed) continue;
    if (type == ClearRefs::SoftDirty) vma.flags &= ~u64{VM_SOFTDIRTY};
    m_page_table.for_each_leaf(vma.start, vma.end, [&](u64, Pte& slot) {
      if (type == ClearRefs::SoftDirty) {
        // clear_soft_dirty(): present entries lose write access and the mark; swap (and
        // the other software) entries the mark alone.
        if (slot.present() && (slot.writable() || slot.soft_dirty())) flush = true;
        slot = slot.present() ? slot.without(Pte::kWritable | Pte::kSoftDirty)
                              : slot.without(Pte::kSoftDirty);
        return;
      }
      // The young bits: the entry's Accessed and the page's referenced flag.
      if (!slot.present()) return;
      if (slot.accessed()) flush = true;
      slot = slot.without(Pte::kAccessed);
      if (slot.pfn() != m_zero_page) m_mm.frame(slot.pfn()).clear(PG_referenced);
    });
    // Huge entries alike (clear_soft_dirty_pmd, pmdp_test_and_clear_young).
    m_page_table.for_each_huge(vma.start, vma.end, [&](u64, Pte& pde) {
      if (type == ClearRefs::SoftDirty) {
        if (pde.writable() || pde.soft_dirty()) flush = true;
        pde = pde.without(Pte::kWritable | Pte::kSoftDirty);
        return;
      }
      if (pde.accessed()) flush = true;
      pde = pde.without(Pte::kAccessed);
      if (!m_mm.is_huge_zero(pde.pfn())) m_mm.frame(pde.pfn()).clear(PG_referenced);
    });
  }
  // Linux flushes after a soft-dirty clear only; emu also flushes after clearing Accessed
  // bits, since its TLB outlives what a hardware TLB would hold and a cached translation
  // would never set the bit again.
  if (flush) m_mm.flush_tlb("clear_refs", 0, kTaskSize);
}

}  // namespace kernel::mm
