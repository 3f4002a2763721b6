// Page-level operations of an address space for reclaim, swap and the advice that drives
// them (MADV_COLD, PAGEOUT, FREE, WILLNEED), and the usage counts the OOM killer reads.
#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {

using x86_64::Pte;

template <typename Fn>
void AddressSpace::for_each_leaf(u64 start, u64 end, Fn&& fn) {
  for (u64 va = start; va < end;) {
    if (!m_page_table.entry(va, 2, x86_64::Allocate::No)) {
      va = (va | (kHugePageSize - 1)) + 1;
      continue;
    }
    Pte* leaf = m_page_table.leaf_entry(va, x86_64::Allocate::No);
    if (leaf && !leaf->none()) fn(va, leaf);
    va += kPageSize;
  }
}

namespace {

// The present entry at `slot` maps pfn.
bool maps(const Pte* slot, Pfn pfn) {
  return slot && slot->present() && slot->pfn() == pfn;
}

}  // namespace

namespace {

// The entry at va: the small leaf, or the huge directory entry that maps va.
Pte* entry_at(x86_64::PageTable& table, u64 va) {
  if (Pte* leaf = table.leaf_entry(va, x86_64::Allocate::No)) return leaf;
  Pte* pde = table.entry(va, 2, x86_64::Allocate::No);
  return pde && pde->present() && pde->huge() ? pde : nullptr;
}

}  // namespace

bool AddressSpace::clear_young(u64 va, Pfn pfn) {
  Pte* slot = entry_at(m_page_table, va);
  if (!maps(slot, pfn) || !slot->accessed()) return false;
  *slot = slot->without(Pte::kAccessed);
  return true;
}

bool AddressSpace::pte_dirty(u64 va, Pfn pfn) {
  const Pte* slot = entry_at(m_page_table, va);
  return maps(slot, pfn) && slot->dirty();
}

AddressSpace::SwappedEntry AddressSpace::swap_out_entry(u64 va, Pfn pfn, u64 slot_number) {
  Pte* slot = m_page_table.leaf_entry(va, x86_64::Allocate::No);
  VERIFY(slot);
  const Pte old = *slot;
  const bool protnone = old.soft_type() == Pte::SoftType::ProtNone;
  VERIFY(maps(slot, pfn) || (protnone && old.soft_value() == pfn.value));
  m_mm.swap().dup(slot_number);
  *slot = Pte::soft(Pte::SoftType::Swap, slot_number).with(old.raw() & Pte::kSoftDirty);
  m_mm.rmap().remove(pfn, this, va);
  m_frames.put(pfn);
  return {old.present(), old.present() && old.dirty()};
}

FaultResult AddressSpace::fault_swap(const Vma& vma, u64 page, u32 error_code) {
  FaultResult result;
  const Pte swap_entry = m_page_table.lookup(page).pte;
  const u64 swap_slot = swap_entry.soft_value();
  SwapDevice& swap = m_mm.swap();
  std::optional<Pfn> cached = swap.cached(swap_slot);
  Pfn frame;
  if (cached && m_mm.frame(*cached).test(PG_hwpoison)) {
    // A dirty swap-cache page memory_failure() kept poisoned (me_swapcache_dirty).
    result.resolution = FaultResolution::BusMceErr;
    return result;
  }
  if (cached) {
    frame = *cached;
  } else {
    // Read into the swap cache, so other entries naming the slot find it there.
    auto fresh = m_frames.allocate();
    if (!fresh) {
      result.resolution = FaultResolution::OutOfMemory;
      return result;
    }
    frame = *fresh;
    swap.read(swap_slot, m_ram.frame(frame));
    swap.dup(swap_slot);
    swap.cache(swap_slot, frame);
    PageFrame& record = m_mm.frame(frame);
    record.set(PG_anon);
    record.set(PG_swapcache);
    record.index = swap_slot;
    m_mm.lru().add(frame);
    ++m_mm.stats().pswpin;
    ++m_mm.stats().pgmajfault;
    if (m_mm.tracing(kTraceSwap))
      m_mm.emit("swap-in", {TraceField::hex("addr", page), TraceField::dec("slot", swap_slot),
                            TraceField::dec("pfn", frame.value), TraceField::str("kind", "anon")});
    result.major = true;
  }
  // The allocation may have reclaimed, which never frees page tables: look the slot up
  // again all the same, since reclaim rewrote entries.
  Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::No);
  VERIFY(slot && slot->soft_type() == Pte::SoftType::Swap && slot->soft_value() == swap_slot);
  m_frames.get(frame);
  *slot = Pte();
  m_mm.free_swap_entry(swap_slot);
  // Exclusive once nobody else names the slot: writable in place. Otherwise read-only, and
  // a write copies it (the other entries still expect the swapped data).
  const PageFrame& record = m_mm.frame(frame);
  // A KSM page read back from the swap cache stays read-only: a write copies it.
  const bool exclusive = !record.test(PG_swapcache) && !record.test(PG_ksm) && record.refcount == 1;
  const bool write = error_code & kFaultWrite;
  const bool writable = exclusive && (vma.flags & VM_WRITE) && may_map_writable(vma, write);
  // do_swap_page(): a soft-dirty swap entry gives a soft-dirty page.
  Pte leaf = leaf_for(vma, frame, writable).with(swap_entry.raw() & Pte::kSoftDirty);
  if (writable && write) leaf = leaf.mkdirty();
  set_leaf(slot, page, leaf);
  result.resolution = FaultResolution::SwapIn;
  if ((error_code & kFaultWrite) && !writable) {
    const FaultResult cow = fault_write_protected(vma, page, slot);
    if (!cow.handled()) return cow;
    result.replaced_present = true;
  }
  return result;
}

void AddressSpace::deactivate_range(u64 start, u64 end) {
  bool flush = false;
  // madvise_cold_or_pageout_pte_range(): a huge page the range covers whole is deactivated
  // as one; one it covers in part is split first.
  split_huge_range(start, end, false);
  m_page_table.for_each_huge(start, end, [&](u64, Pte& pde) {
    const Pfn head = pde.pfn();
    if (m_mm.is_huge_zero(head)) return;
    PageFrame& record = m_mm.frame(head);
    if (record.mapcount != 1 || !record.test(PG_lru)) return;
    if (pde.accessed()) {
      pde = pde.without(Pte::kAccessed);
      flush = true;
    }
    m_mm.lru().deactivate(head);
    ++m_mm.stats().pgdeactivate;
  });
  for_each_leaf(start, end, [&](u64, Pte* slot) {
    if (!slot->present() || slot->pfn() == m_zero_page) return;
    const Pfn pfn = slot->pfn();
    PageFrame& record = m_mm.frame(pfn);
    if (page_mapcount(m_mm, pfn) != 1 || !record.test(PG_lru)) return;
    if (slot->accessed()) {
      *slot = slot->without(Pte::kAccessed);
      flush = true;
    }
    m_mm.lru().deactivate(pfn);
    ++m_mm.stats().pgdeactivate;
  });
  if (flush) m_mm.flush_tlb("madvise-cold", start, end);
}

u64 AddressSpace::pageout_range(u64 start, u64 end) {
  u64 freed = 0;
  // Huge pages are split before they are reclaimed (emu's swap has no huge slots).
  split_huge_range(start, end, true);
  for_each_leaf(start, end, [&](u64, Pte* slot) {
    if (!slot->present() || slot->pfn() == m_zero_page) return;
    const Pfn pfn = slot->pfn();
    // A subpage of a huge page that another process maps huge is shared: left alone.
    if (page_mapcount(m_mm, pfn) != 1) return;
    if (m_mm.reclaimer().page_out(pfn)) ++freed;
  });
  return freed;
}

void AddressSpace::lazyfree_range(u64 start, u64 end) {
  bool flush = false;
  // Huge pages are split first: emu frees lazily page by page (Linux 6.1 keeps a huge
  // page the range covers whole as one lazily freed huge page).
  split_huge_range(start, end, true);
  for_each_leaf(start, end, [&](u64 va, Pte* slot) {
    if (slot->soft_type() == Pte::SoftType::Swap) {
      // The data in swap is not wanted any more (free_swap_and_cache).
      const u64 swap_slot = slot->soft_value();
      *slot = Pte();
      m_mm.free_swap_entry(swap_slot);
      return;
    }
    if (!slot->present() || slot->pfn() == m_zero_page) return;
    const Pfn pfn = slot->pfn();
    PageFrame& record = m_mm.frame(pfn);
    if (record.owner || page_mapcount(m_mm, pfn) != 1) return;
    // A page also in the swap cache first lets go of its swap copy.
    if (record.test(PG_swapcache)) {
      const u64 swap_slot = record.index;
      if (m_mm.swap().count(swap_slot) != 1) return;  // other entries still name it
      m_mm.drop_swap_cache(swap_slot);
    }
    if (slot->accessed() || slot->dirty()) {
      *slot = slot->without(Pte::kAccessed | Pte::kDirty);
      flush = true;
    }
    record.clear(PG_dirty);
    m_mm.lru().mark_lazyfree(pfn);
    (void)va;
  });
  if (flush) m_mm.flush_tlb("madvise-free", start, end);
}

Result<void> AddressSpace::willneed_range(u64 start, u64 end) {
  for (u64 cursor = start; cursor < end;) {
    const Vma* vma = find_vma(cursor);
    if (!vma) break;
    const u64 stop = std::min(end, vma->end);
    if (vma->anonymous()) {
      for_each_leaf(cursor, stop, [&](u64, Pte* slot) {
        if (slot->soft_type() != Pte::SoftType::Swap) return;
        const u64 swap_slot = slot->soft_value();
        if (m_mm.swap().cached(swap_slot)) return;
        // read_swap_cache_async(): into the swap cache, the entry left as it is.
        auto frame = m_frames.allocate();
        if (!frame) return;
        m_mm.swap().read(swap_slot, m_ram.frame(*frame));
        m_mm.swap().dup(swap_slot);
        m_mm.swap().cache(swap_slot, *frame);
        PageFrame& record = m_mm.frame(*frame);
        record.set(PG_anon);
        record.set(PG_swapcache);
        record.index = swap_slot;
        m_mm.lru().add(*frame);
        ++m_mm.stats().pswpin;
      });
    } else if (vma->object->kind() != ObjectKind::PageCache) {
      // Shmem: swapped pages come back into the object (shmem_swapin_range).
      MemoryObject& object = *vma->object;
      for (u64 page = cursor; page < stop; page += kPageSize) {
        const u64 index = vma->page_index(page);
        if (object.page_swapped(index)) TRY(object.get_page(index));
      }
    }
    cursor = stop;
  }
  return {};
}

AddressSpace::Usage AddressSpace::usage() {
  Usage usage;
  usage.page_tables = m_page_table.table_pages();
  for (const auto& [vma_start, vma] : m_vmas) {
    usage.total_vm += vma.size() >> kPageShift;
    m_page_table.for_each_huge(vma.start, vma.end, [&](u64, Pte& pde) {
      if (m_mm.is_huge_zero(pde.pfn())) return;
      (m_mm.frame(pde.pfn()).owner ? usage.shmem_rss : usage.anon_rss) += kHugePages;
    });
    for_each_leaf(vma.start, vma.end, [&](u64, Pte* slot) {
      if (slot->soft_type() == Pte::SoftType::Swap) {
        ++usage.swap_entries;
        return;
      }
      Pfn pfn;
      if (slot->present())
        pfn = slot->pfn();
      else if (slot->soft_type() == Pte::SoftType::ProtNone)
        pfn = Pfn(slot->soft_value());
      else
        return;
      if (pfn == m_zero_page) return;
      const PageFrame& record = m_mm.frame(pfn);
      if (!record.owner)
        ++usage.anon_rss;
      else if (record.owner->kind() == ObjectKind::PageCache)
        ++usage.file_rss;
      else
        ++usage.shmem_rss;
    });
  }
  return usage;
}

}  // namespace kernel::mm
