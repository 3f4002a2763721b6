// memory_failure() and soft_offline_page() after Linux 6.1's mm/memory-failure.c: one
// handler per kind of page (error_states), each doing what 6.1's me_* function and
// hwpoison_user_mappings() do for that kind.
#include "kernel/mm/hwpoison.h"

#include <cstring>

#include "kernel/abi/linux.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {

const char* poisoned_page_name(PoisonedPage kind) {
  switch (kind) {
    case PoisonedPage::Free:
      return "free buddy page";
    case PoisonedPage::Kernel:
      return "reserved kernel page";
    case PoisonedPage::Anon:
      return "anonymous page";
    case PoisonedPage::Ksm:
      return "KSM page";
    case PoisonedPage::Huge:
      return "huge page";
    case PoisonedPage::SwapCacheDirty:
      return "dirty swapcache page";
    case PoisonedPage::SwapCacheClean:
      return "clean swapcache page";
    case PoisonedPage::FileDirty:
      return "dirty LRU page";
    case PoisonedPage::FileClean:
      return "clean LRU page";
    case PoisonedPage::Shmem:
      return "shmem page";
    case PoisonedPage::Unknown:
      return "unknown page";
  }
  return "?";
}

const char* poison_outcome_name(PoisonOutcome outcome) {
  switch (outcome) {
    case PoisonOutcome::Ignored:
      return "Ignored";
    case PoisonOutcome::Failed:
      return "Failed";
    case PoisonOutcome::Delayed:
      return "Delayed";
    case PoisonOutcome::Recovered:
      return "Recovered";
  }
  return "?";
}

int MemoryFailure::error() const {
  if (already_poisoned) return static_cast<int>(abi::Errno::kEHWPOISON);
  if (outcome == PoisonOutcome::Recovered || outcome == PoisonOutcome::Delayed) return 0;
  return static_cast<int>(abi::Errno::kEBUSY);
}

namespace {

bool is_shmem(const MemoryObject& object) {
  return object.kind() != ObjectKind::PageCache;
}

// Whether some mapper's entry is dirty (page_mkclean's answer), or the page itself is.
bool page_dirty(MemoryManager& mm, Pfn pfn) {
  if (mm.frame(pfn).test(PG_dirty)) return true;
  bool dirty = false;
  mm.rmap().for_each(pfn, [&](ReverseMap::Mapping m) { dirty |= m.as->pte_dirty(m.va, pfn); });
  return dirty;
}

// try_to_unmap(TTU_HWPOISON): every entry mapping pfn becomes a hwpoison entry.
void unmap_to_hwpoison(MemoryManager& mm, Pfn pfn, MemoryFailure& report) {
  mm.rmap().for_each(pfn, [&](ReverseMap::Mapping m) {
    report.mappers.push_back({m.as, m.va, true});
    m.as->poison_entry(m.va, pfn);
  });
}

// try_to_unmap() without TTU_HWPOISON: entries simply go (a clean file page is read again
// on the next fault), or become swap entries for a page in the swap cache.
void unmap_plain(MemoryManager& mm, Pfn pfn, MemoryFailure& report) {
  PageFrame& record = mm.frame(pfn);
  const bool swapcache = record.test(PG_swapcache);
  const u64 slot = record.index;
  mm.rmap().for_each(pfn, [&](ReverseMap::Mapping m) {
    report.mappers.push_back({m.as, m.va, false});
    if (swapcache) {
      const auto swapped = m.as->swap_out_entry(m.va, pfn, slot);
      if (swapped.present) m.as->flush_tlb("hwpoison", m.va, m.va + kPageSize);
    } else {
      m.as->unmap_page(m.va, pfn);
    }
  });
}

// --- One handler per kind of page ---

void poison_free(MemoryManager& mm, Pfn pfn, MemoryFailure& report) {
  // take_page_off_buddy: the frame is never handed out again.
  report.outcome =
      mm.frames().take_off_free(pfn) ? PoisonOutcome::Recovered : PoisonOutcome::Failed;
  if (report.outcome == PoisonOutcome::Recovered) mm.frame(pfn).set(PG_hwpoison);
}

void poison_kernel(MemoryFailure& report) {
  // me_kernel: nothing can be done for the kernel's own pages.
  report.outcome = PoisonOutcome::Ignored;
}

void poison_ksm(MemoryFailure& report) {
  // hwpoison_user_mappings: "can't handle KSM pages": the page stays mapped, and each
  // access is another machine check (the accessor gets BUS_MCEERR_AR then).
  report.outcome = PoisonOutcome::Ignored;
}

void poison_huge(MemoryFailure& report) {
  // A compound page memory_failure could not split (the huge zero page): it stays mapped
  // (6.1's try_to_split_thp_page failure, "unsplit thp").
  report.outcome = PoisonOutcome::Ignored;
}

void poison_anon(MemoryManager& mm, Pfn pfn, MemoryFailure& report) {
  // me_pagecache_dirty/clean for PageAnon: the mappers keep hwpoison entries and learn of
  // the loss (anonymous memory has no other copy).
  report.kill = true;
  unmap_to_hwpoison(mm, pfn, report);
  mm.lru().remove(pfn);
  report.outcome = PoisonOutcome::Recovered;
}

void poison_swapcache(MemoryManager& mm, Pfn pfn, bool dirty, MemoryFailure& report) {
  // hwpoison_user_mappings keeps a swap-cache page in the swap cache: mappers get swap
  // entries, not hwpoison ones. Dirty (me_swapcache_dirty): the page stays cached and
  // poisoned, so a swap-in finds it and faults with VM_FAULT_HWPOISON; the mappers hear
  // of it now. Clean (me_swapcache_clean): the page leaves the swap cache and the slot's
  // copy is read back on the next fault; nobody is told.
  report.kill = dirty;
  unmap_plain(mm, pfn, report);
  PageFrame& record = mm.frame(pfn);
  mm.lru().remove(pfn);
  if (dirty) {
    record.clear(PG_dirty);
    report.outcome = PoisonOutcome::Delayed;
    return;
  }
  const u64 slot = record.index;
  mm.swap().uncache(slot);
  record.clear(PG_swapcache);
  mm.swap().put(slot);
  mm.frames().put(pfn);  // the swap cache's reference; memory_failure keeps its own
  report.outcome = PoisonOutcome::Recovered;
}

void poison_file(MemoryManager& mm, Pfn pfn, bool dirty, MemoryFailure& report) {
  PageFrame& record = mm.frame(pfn);
  MemoryObject& object = *record.owner;
  const u64 index = record.index;
  if (dirty) {
    // me_pagecache_dirty: the data is lost; the file's next fsync says so (EIO), and the
    // mappers keep hwpoison entries and are told.
    object.set_write_error();
    report.kill = true;
    unmap_to_hwpoison(mm, pfn, report);
  } else {
    // "corrupted page was clean: dropped without side effects".
    unmap_plain(mm, pfn, report);
  }
  mm.lru().remove(pfn);
  // truncate_error_page: the page leaves the page cache, so the file is read again.
  object.remove_error_page(index, pfn);
  report.outcome = PoisonOutcome::Recovered;
}

void poison_shmem(MemoryManager& mm, Pfn pfn, bool dirty, MemoryFailure& report) {
  // mapping_can_writeback is false for shmem: the mappers get hwpoison entries, and are
  // told when the page was dirty. shmem_error_remove_page keeps the page in its object,
  // so later faults and read() on it fail (SIGBUS, EIO) instead of reading zeros.
  MemoryObject& object = *mm.frame(pfn).owner;
  if (dirty) object.set_write_error();
  report.kill = dirty;
  unmap_to_hwpoison(mm, pfn, report);
  mm.lru().remove(pfn);
  report.outcome = PoisonOutcome::Recovered;
}

PoisonedPage classify(MemoryManager& mm, Pfn pfn, bool& dirty) {
  FrameAllocator& frames = mm.frames();
  if (!frames.manages(pfn)) return PoisonedPage::Kernel;
  if (frames.is_free(pfn)) return PoisonedPage::Free;
  const PageFrame& record = mm.frame(pfn);
  if (record.test(PG_reserved) || record.test(PG_pagetable)) return PoisonedPage::Kernel;
  if (record.test(PG_head) || record.test(PG_tail)) return PoisonedPage::Huge;
  if (record.test(PG_ksm)) return PoisonedPage::Ksm;
  dirty = page_dirty(mm, pfn);
  if (record.test(PG_swapcache))
    return dirty ? PoisonedPage::SwapCacheDirty : PoisonedPage::SwapCacheClean;
  if (record.owner) {
    if (is_shmem(*record.owner)) return PoisonedPage::Shmem;
    return dirty ? PoisonedPage::FileDirty : PoisonedPage::FileClean;
  }
  if (record.test(PG_anon)) return PoisonedPage::Anon;
  return PoisonedPage::Unknown;
}

}  // namespace

MemoryFailure memory_failure(MemoryManager& mm, Pfn pfn, u32 flags) {
  (void)flags;
  MemoryFailure report;
  FrameAllocator& frames = mm.frames();
  const bool managed = frames.manages(pfn);
  if (managed ? mm.frame(pfn).test(PG_hwpoison) : mm.unmanaged_poisoned(pfn)) {
    report.already_poisoned = true;
    return report;
  }
  // try_to_split_thp_page(): a transparent huge page is split first, so that only the
  // poisoned 4 KiB page is lost; one that cannot be split (the huge zero page) stays
  // mapped, as 6.1 leaves an unsplit THP.
  if (managed && (mm.frame(pfn).test(PG_head) || mm.frame(pfn).test(PG_tail)))
    (void)split_huge_page(mm, compound_head(mm, pfn));
  bool dirty = false;
  report.kind = classify(mm, pfn, dirty);
  // TestSetPageHWPoison and num_poisoned_pages_inc come first, whatever the page is.
  mm.ram().set_poisoned(pfn, true);
  mm.count_poisoned(pfn);
  if (report.kind == PoisonedPage::Free) {
    poison_free(mm, pfn, report);
    return report;
  }
  if (managed) {
    mm.frame(pfn).set(PG_hwpoison);
    // memory_failure's own reference (get_hwpoison_page): the frame is never freed again.
    if (report.kind != PoisonedPage::Kernel) frames.get(pfn);
  }
  switch (report.kind) {
    case PoisonedPage::Free:
    case PoisonedPage::Kernel:
    case PoisonedPage::Unknown:
      poison_kernel(report);
      break;
    case PoisonedPage::Ksm:
      poison_ksm(report);
      break;
    case PoisonedPage::Huge:
      poison_huge(report);
      break;
    case PoisonedPage::Anon:
      poison_anon(mm, pfn, report);
      break;
    case PoisonedPage::SwapCacheDirty:
    case PoisonedPage::SwapCacheClean:
      poison_swapcache(mm, pfn, report.kind == PoisonedPage::SwapCacheDirty, report);
      break;
    case PoisonedPage::FileDirty:
    case PoisonedPage::FileClean:
      poison_file(mm, pfn, report.kind == PoisonedPage::FileDirty, report);
      break;
    case PoisonedPage::Shmem:
      poison_shmem(mm, pfn, dirty, report);
      break;
  }
  return report;
}

Result<SoftOffline> soft_offline(MemoryManager& mm, Pfn pfn) {
  FrameAllocator& frames = mm.frames();
  SoftOffline result{pfn};
  if (!frames.manages(pfn)) return abi::Errno::kEBUSY;
  if (mm.frame(pfn).test(PG_hwpoison)) {
    // "page already poisoned": nothing to do, and no error.
    result.already_poisoned = true;
    return result;
  }
  if (frames.is_free(pfn)) {
    // page_handle_poison(hugepage_or_freepage): taken off the free lists.
    if (!frames.take_off_free(pfn)) return abi::Errno::kEBUSY;
    mm.frame(pfn).set(PG_hwpoison);
    mm.count_poisoned(pfn);
    result.was_free = true;
    return result;
  }
  PageFrame& old_record = mm.frame(pfn);
  if (old_record.test(PG_reserved) || old_record.test(PG_pagetable) || old_record.test(PG_ksm) ||
      old_record.test(PG_head) || old_record.test(PG_tail) ||
      !(old_record.owner || old_record.test(PG_anon)))
    return abi::Errno::kEBUSY;
  frames.get(pfn);  // held while the fresh frame is allocated (which may reclaim)
  auto fresh = frames.allocate();
  if (!fresh) {
    frames.put(pfn);
    return abi::Errno::kENOMEM;
  }
  const Pfn to = *fresh;
  std::memcpy(mm.frame_bytes(to), mm.frame_bytes(pfn), kPageSize);
  PageFrame& old_frame = mm.frame(pfn);
  PageFrame& new_frame = mm.frame(to);
  // migrate_page_states: what the page was moves with its contents.
  constexpr u32 kMoved =
      PG_anon | PG_dirty | PG_swapcache | PG_swapbacked | PG_lazyfree | PG_unevictable;
  new_frame.flags |= old_frame.flags & kMoved;
  new_frame.index = old_frame.index;
  new_frame.owner = old_frame.owner;
  // The page's owner takes the new frame: its object page list, or its swap-cache slot.
  if (old_frame.owner) {
    old_frame.owner->replace_page(old_frame.index, pfn, to);
  } else if (old_frame.test(PG_swapcache)) {
    mm.swap().uncache(old_frame.index);
    mm.swap().cache(old_frame.index, to);
    frames.get(to);
    frames.put(pfn);
  }
  // Every mapper's entry moves to the new frame (remove_migration_ptes).
  mm.rmap().for_each(pfn, [&](ReverseMap::Mapping m) {
    m.as->replace_frame(m.va, pfn, to);
    ++result.mappers;
  });
  if (!mm.frame(to).test(PG_lru)) mm.lru().add(to);
  frames.put(to);  // the allocation's reference: the mappers and the owner hold theirs
  // The old frame: off the LRU, poisoned, and kept for ever (page_handle_poison).
  mm.lru().remove(pfn);
  old_frame.flags &= ~kMoved;
  old_frame.owner = nullptr;
  old_frame.set(PG_hwpoison);
  mm.count_poisoned(pfn);
  result.to = to;
  return result;
}

}  // namespace kernel::mm
