#include "kernel/mm/reclaim.h"

#include "kernel/base/result.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {

Reclaimer::Reclaimer(MemoryManager& mm) : m_mm(mm) {}

u64 Reclaimer::reclaim(u64 target) {
  const VmStats before = m_mm.stats();
  const u64 freed = reclaim_lists(target);
  if (m_mm.tracing(kTraceReclaim)) {
    const VmStats& after = m_mm.stats();
    m_mm.emit("reclaim", {TraceField::dec("target", target), TraceField::dec("freed", freed),
                          TraceField::dec("scanned", after.pgscan - before.pgscan),
                          TraceField::dec("lazyfree", after.pglazyfreed - before.pglazyfreed),
                          TraceField::dec("swapped-out", after.pswpout - before.pswpout),
                          TraceField::dec("free-frames", m_mm.frames().free_frames())});
  }
  return freed;
}

u64 Reclaimer::reclaim_lists(u64 target) {
  u64 freed = shrink_inactive(LruList::InactiveFile, Pass::LazyFree, target);
  // A few rounds per kind: the first look at a recently used page only harvests its
  // Accessed bits; aging then brings cold pages from the active list to be freed.
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds && freed < target; ++round) {
    freed += shrink_inactive(LruList::InactiveFile, Pass::File, target - freed);
    if (freed < target) age_active(LruList::ActiveFile, LruList::InactiveFile);
  }
  if (!m_mm.swap().enabled()) return freed;
  for (int round = 0; round < kRounds && freed < target && m_mm.swap().free_slots() > 0; ++round) {
    freed += shrink_inactive(LruList::InactiveAnon, Pass::Anon, target - freed);
    if (freed < target) age_active(LruList::ActiveAnon, LruList::InactiveAnon);
  }
  return freed;
}

u64 Reclaimer::shrink_inactive(LruList list, Pass pass, u64 target) {
  LruLists& lru = m_mm.lru();
  u64 freed = 0;
  // Each page looked at moves to a list head or off the lists, so walking from the tail
  // for the list's length visits every page once.
  u64 budget = lru.size(list);
  std::optional<Pfn> next = lru.empty(list) ? std::nullopt : std::optional(lru.tail(list));
  while (next && budget-- > 0 && freed < target) {
    const Pfn pfn = *next;
    next = lru.newer(pfn);
    PageFrame& record = m_mm.frame(pfn);
    // On the file lists the lazy-free pass takes only MADV_FREE'd pages and the file pass
    // leaves them be; a lazily freed page still on an anon list is taken where it is.
    if (pass != Pass::Anon && (pass == Pass::LazyFree) != record.test(PG_lazyfree)) continue;
    ++m_mm.stats().pgscan;
    Verdict verdict = pinned(pfn) ? Verdict::Keep : check_references(pfn);
    // A huge page is split before it goes (emu's swap has no huge slots: Linux's
    // thp_swpout_fallback); its other 511 pages join the inactive list to be looked at.
    if (verdict == Verdict::Freed && record.test(PG_head)) {
      if (record.test(PG_swapbacked) && !record.test(PG_lazyfree))
        ++m_mm.stats().thp_swpout_fallback;
      split_huge_page(m_mm, pfn);
    }
    if (verdict == Verdict::Freed) verdict = free_page(pfn);
    switch (verdict) {
      case Verdict::Freed:
        ++freed;
        ++m_mm.stats().pgsteal;
        break;
      case Verdict::Keep:
        lru.rotate(pfn);
        break;
      case Verdict::Activate:
        if (record.test(PG_lru)) {
          lru.activate(pfn);
          ++m_mm.stats().pgactivate;
        }
        break;
    }
  }
  return freed;
}

void Reclaimer::age_active(LruList active, LruList inactive) {
  LruLists& lru = m_mm.lru();
  // Linux's inactive_is_low(): keep the inactive list at least as long as the active one
  // (and give it at least one batch to work on).
  u64 budget = lru.size(active);
  while (budget-- > 0 && !lru.empty(active) &&
         (lru.size(inactive) < lru.size(active) || lru.size(inactive) < kReclaimBatch)) {
    const Pfn pfn = lru.tail(active);
    bool exec = false;
    const u32 referenced = harvest_referenced(pfn, exec);
    // Referenced executable file pages stay active; everything else is deactivated, its
    // Accessed bits now clear, to prove itself on the inactive list.
    if (referenced > 0 && exec && !m_mm.frame(pfn).test(PG_swapbacked)) {
      lru.rotate(pfn);
      continue;
    }
    lru.deactivate(pfn);
    ++m_mm.stats().pgdeactivate;
  }
}

u32 Reclaimer::harvest_referenced(Pfn pfn, bool& exec) {
  u32 referenced = 0;
  m_mm.rmap().for_each(pfn, [&](ReverseMap::Mapping m) {
    if (m.as->clear_young(m.va, pfn)) {
      ++referenced;
      if (const Vma* vma = m.as->find_vma(m.va); vma && (vma->flags & VM_EXEC)) exec = true;
    }
  });
  // A cleared Accessed bit only counts once the MMU sees it: drop cached translations.
  if (referenced > 0) m_mm.flush_tlb("reclaim", 0, kTaskSize);
  return referenced;
}

bool Reclaimer::mapped_dirty(Pfn pfn) {
  bool dirty = false;
  m_mm.rmap().for_each(pfn, [&](ReverseMap::Mapping m) { dirty |= m.as->pte_dirty(m.va, pfn); });
  return dirty;
}

bool Reclaimer::pinned(Pfn pfn) {
  const PageFrame& record = m_mm.frame(pfn);
  const u32 expected =
      record.mapcount + (record.owner ? 1 : 0) + (record.test(PG_swapcache) ? 1 : 0);
  return record.refcount > expected;
}

Reclaimer::Verdict Reclaimer::check_references(Pfn pfn) {
  PageFrame& record = m_mm.frame(pfn);
  // A lazily freed page written since the advice goes straight to discard_lazyfree(),
  // which takes it back as ordinary anonymous memory.
  if (record.test(PG_lazyfree) && (record.test(PG_dirty) || mapped_dirty(pfn)))
    return Verdict::Freed;
  bool exec = false;
  const u32 referenced_ptes = harvest_referenced(pfn, exec);
  const bool referenced_page = record.test(PG_referenced);
  record.clear(PG_referenced);
  const bool swapbacked = record.test(PG_swapbacked);
  if (referenced_ptes > 0) {
    if (swapbacked) return Verdict::Activate;
    record.set(PG_referenced);
    if (referenced_page || referenced_ptes > 1 || exec) return Verdict::Activate;
    return Verdict::Keep;
  }
  return Verdict::Freed;
}

bool Reclaimer::page_out(Pfn pfn) {
  // A page of a huge page is split first (madvise_cold_or_pageout_pte_range).
  if (m_mm.frame(pfn).test(PG_head) || m_mm.frame(pfn).test(PG_tail))
    (void)split_huge_page(m_mm, compound_head(m_mm, pfn));
  if (pinned(pfn) || !m_mm.frame(pfn).test(PG_lru)) return false;
  bool exec = false;
  (void)harvest_referenced(pfn, exec);
  m_mm.frame(pfn).clear(PG_referenced);
  ++m_mm.stats().pgscan;
  const Verdict verdict = free_page(pfn);
  if (verdict == Verdict::Freed) {
    ++m_mm.stats().pgsteal;
    return true;
  }
  // What stays goes back where reclaim would look last.
  if (m_mm.frame(pfn).test(PG_lru)) m_mm.lru().rotate(pfn);
  return false;
}

Reclaimer::Verdict Reclaimer::free_page(Pfn pfn) {
  const PageFrame& record = m_mm.frame(pfn);
  if (record.test(PG_lazyfree)) return discard_lazyfree(pfn);
  if (record.owner) {
    if (record.owner->kind() == ObjectKind::PageCache) return drop_file_page(pfn);
    return swap_out_object_page(pfn);
  }
  return swap_out_anon_page(pfn);
}

Reclaimer::Verdict Reclaimer::discard_lazyfree(Pfn pfn) {
  PageFrame& record = m_mm.frame(pfn);
  if (record.test(PG_dirty) || mapped_dirty(pfn)) {
    // Written after MADV_FREE: the data is wanted again, and swap-backed once more.
    LruLists& lru = m_mm.lru();
    lru.remove(pfn);
    record.clear(PG_lazyfree);
    lru.add(pfn);
    return Verdict::Activate;
  }
  m_mm.unmap_everywhere(pfn);  // the last reference goes with the last entry
  ++m_mm.stats().pglazyfreed;
  return Verdict::Freed;
}

Reclaimer::Verdict Reclaimer::drop_file_page(Pfn pfn) {
  PageFrame& record = m_mm.frame(pfn);
  // A dirty page-cache page would need writing back first; emu has no writeback, so it
  // stays in RAM.
  if (record.test(PG_dirty) || mapped_dirty(pfn)) return Verdict::Activate;
  m_mm.unmap_everywhere(pfn);
  record.owner->evict_page(record.index, std::nullopt);
  return Verdict::Freed;
}

Reclaimer::Verdict Reclaimer::swap_out_object_page(Pfn pfn) {
  PageFrame& record = m_mm.frame(pfn);
  auto slot = m_mm.swap().allocate();
  if (!slot) return Verdict::Activate;
  // Mappers refault through the object, which finds the swap entry in its page list.
  m_mm.unmap_everywhere(pfn);
  m_mm.swap().write(*slot, m_mm.frame_bytes(pfn));
  ++m_mm.stats().pswpout;
  if (m_mm.tracing(kTraceSwap))
    m_mm.emit("swap-out", {TraceField::dec("pfn", pfn.value), TraceField::dec("slot", *slot),
                           TraceField::str("kind", object_kind_name(record.owner->kind())),
                           TraceField::dec("index", record.index)});
  record.owner->evict_page(record.index, *slot);
  return Verdict::Freed;
}

Reclaimer::Verdict Reclaimer::swap_out_anon_page(Pfn pfn) {
  PageFrame& record = m_mm.frame(pfn);
  SwapDevice& swap = m_mm.swap();
  bool dirty = record.test(PG_dirty);
  if (!record.test(PG_swapcache)) {
    // Into the swap cache first (add_to_swap): the slot's first reference is the cache's.
    auto slot = swap.allocate();
    if (!slot) return Verdict::Activate;
    swap.cache(*slot, pfn);
    record.set(PG_swapcache);
    record.index = *slot;
    m_mm.frames().get(pfn);
    dirty = true;
  }
  const u64 slot = record.index;
  bool flush = false;
  m_mm.rmap().for_each(pfn, [&](ReverseMap::Mapping m) {
    const auto was = m.as->swap_out_entry(m.va, pfn, slot);
    dirty |= was.dirty;
    flush |= was.present;
  });
  if (flush) m_mm.flush_tlb("reclaim", 0, kTaskSize);
  if (dirty) {
    swap.write(slot, m_mm.frame_bytes(pfn));
    ++m_mm.stats().pswpout;
  }
  if (m_mm.tracing(kTraceSwap))
    m_mm.emit("swap-out", {TraceField::dec("pfn", pfn.value), TraceField::dec("slot", slot),
                           TraceField::str("kind", "anon"),
                           TraceField::str("written", dirty ? "yes" : "no (clean in swap)")});
  // Only the swap cache holds the frame now: let it go (the slot keeps the data).
  VERIFY(record.refcount == 1 && record.mapcount == 0);
  record.clear(PG_dirty);
  swap.uncache(slot);
  record.clear(PG_swapcache);
  swap.put(slot);  // the cache's reference; the entries keep the slot alive
  m_mm.frames().put(pfn);
  return Verdict::Freed;
}

}  // namespace kernel::mm
