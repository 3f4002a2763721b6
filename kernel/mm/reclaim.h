// Page reclaim (Linux's vmscan): frees frames when RAM runs short, oldest pages first.
//
// Order of preference, as the issue demands and close to Linux's defaults:
//   1. MADV_FREE'd anonymous pages that stayed clean are discarded (their entries cleared;
//      a write after MADV_FREE dirtied the entry and cancels the free);
//   2. clean page-cache pages are dropped (unmapped everywhere, removed from their object);
//   3. swap-backed pages go to swap: anonymous pages (every mapper's entry becomes a swap
//      entry) and shmem/tmpfs/memfd pages (their object's page list holds the swap entry).
// Each pass looks at the tail of an inactive list. A page whose entries were accessed since
// the last look (Accessed bits harvested through the reverse map and cleared, with one TLB
// flush) is activated or given a second chance, as folio_check_references() decides; the
// active lists are aged into the inactive ones when those run short.
//
// Pages with references beyond their mappings, object and swap cache are pinned by a
// kernel path that is using them (a copy-on-write in progress) and are skipped.
#pragma once

#include "kernel/base/types.h"
#include "kernel/mm/lru.h"

namespace kernel::mm {

class MemoryManager;

inline constexpr u64 kReclaimBatch = 32;  // Linux's SWAP_CLUSTER_MAX

class Reclaimer {
 public:
  explicit Reclaimer(MemoryManager& mm);

  // Frees up to `target` frames; returns how many it freed (0: nothing could go).
  u64 reclaim(u64 target);
  // MADV_PAGEOUT of one page: reclaimed now whatever its references (anonymous pages only
  // when swap has room). Returns whether its frame was freed.
  bool page_out(Pfn pfn);

 private:
  enum class Pass : u8 { LazyFree, File, Anon };
  enum class Verdict : u8 { Freed, Keep, Activate };

  u64 reclaim_lists(u64 target);
  u64 shrink_inactive(LruList list, Pass pass, u64 target);
  void age_active(LruList active, LruList inactive);
  // folio_check_references(): whether to reclaim, keep or activate.
  Verdict check_references(Pfn pfn);
  // Clears the Accessed bit of every entry mapping pfn; returns how many had it set.
  // `exec` tells whether one of them lies in an executable mapping.
  u32 harvest_referenced(Pfn pfn, bool& exec);
  bool mapped_dirty(Pfn pfn);
  bool pinned(Pfn pfn);
  Verdict free_page(Pfn pfn);
  Verdict discard_lazyfree(Pfn pfn);
  Verdict drop_file_page(Pfn pfn);
  Verdict swap_out_object_page(Pfn pfn);
  Verdict swap_out_anon_page(Pfn pfn);

  MemoryManager& m_mm;
};

}  // namespace kernel::mm
