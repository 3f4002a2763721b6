// Kernel samepage merging (Linux 6.1's mm/ksm.c): ksmd scans the private anonymous pages of
// MERGEABLE VMAs and merges pages with identical contents into one write-protected frame
// marked PG_ksm; every mapper is rewritten through the reverse map. A write to such a frame
// copies it (the fault path never reuses a KSM page in place).
//
// The trees are content indexes keyed by a 64-bit hash of the page, every match confirmed
// with a full comparison:
//   stable index    hash -> the KSM frames with that content (several when one reached
//                   max_page_sharing: Linux's stable_node chain with its dups)
//   unstable index  hash -> (address space, address) of pages seen unchanged since the last
//                   scan and not merged yet; emptied at the end of every full scan
// A page enters the unstable index only when its hash equals the one recorded for its
// address on the previous pass (Linux's rmap_item oldchecksum), so pages being written are
// left alone.
//
// Processes enter the scan list (mm_slots) when they first madvise MADV_MERGEABLE, a fork
// child of one enters with it, and an address space leaves when it is destroyed.
//
// Counting: as 6.1, by rmap_items in stable nodes: an item joins its KSM page's node when
// ksmd merges it or first finds the page there (a fork child's entries count once ksmd has
// visited them). pages_shared is the number of KSM pages with items, pages_sharing the
// further items. An item whose entry no longer maps the page (copied on write, unmerged)
// stops counting at once; 6.1 drops it when ksmd next visits the address.
//
// Swap: KSM frames stay on the LRU lists and reclaim may swap them like any anonymous page
// mapped by several entries (every mapper gets the swap entry through the reverse map). They
// come back as ordinary anonymous pages that ksmd may merge again, as in Linux.
#pragma once

#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/base/types.h"

namespace kernel::mm {

class AddressSpace;
class MemoryManager;

// /sys/kernel/mm/ksm's settings, with 6.1's defaults.
struct KsmSettings {
  u32 run = 0;  // KSM_RUN_STOP 0, KSM_RUN_MERGE 1, KSM_RUN_UNMERGE 2
  u32 pages_to_scan = 100;
  u32 sleep_millisecs = 20;
  u32 max_page_sharing = 256;
  u32 merge_across_nodes = 1;
  bool use_zero_pages = false;
  u32 stable_node_chains_prune_millisecs = 2000;
};

struct KsmCounters {
  u64 pages_shared = 0;
  u64 pages_sharing = 0;
  u64 pages_unshared = 0;
  u64 pages_volatile = 0;
  u64 full_scans = 0;
  u64 stable_node_chains = 0;
  u64 stable_node_dups = 0;
};

class Ksm {
 public:
  static constexpr u32 kRunStop = 0, kRunMerge = 1, kRunUnmerge = 2;

  explicit Ksm(MemoryManager& mm);
  Ksm(const Ksm&) = delete;
  Ksm& operator=(const Ksm&) = delete;

  const KsmSettings& settings() const { return m_settings; }
  // The sysfs writers, with 6.1's rules. run: 0..2 (EINVAL otherwise); 2 unmerges every
  // KSM page now (ENOMEM leaves run at 0). merge_across_nodes and max_page_sharing: EBUSY
  // while pages are shared; max_page_sharing below 2 is EINVAL.
  Result<void> set_run(u32 run);
  void set_pages_to_scan(u32 pages) { m_settings.pages_to_scan = pages; }
  void set_sleep_millisecs(u32 ms) { m_settings.sleep_millisecs = ms; }
  Result<void> set_merge_across_nodes(u32 value);
  Result<void> set_max_page_sharing(u32 value);
  void set_use_zero_pages(bool on) { m_settings.use_zero_pages = on; }
  void set_stable_node_chains_prune_millisecs(u32 ms) {
    m_settings.stable_node_chains_prune_millisecs = ms;
  }

  // mm_slots: __ksm_enter (idempotent), ksm_fork, __ksm_exit.
  void enter(AddressSpace* as);
  void fork(const AddressSpace* parent, AddressSpace* child);
  void exit(AddressSpace* as);
  bool entered(const AddressSpace* as) const;

  // ksmd's timing: called from Kernel::tick() with CLOCK_MONOTONIC; runs one scan step when
  // one is due and returns the time of the next (0 while ksmd sleeps: run is not 1 or no
  // process is on the scan list).
  u64 tick(u64 now_ns);
  // When the next step is due (a time already past when one is due now), or 0.
  u64 next_scan_ns() const {
    if (m_settings.run != kRunMerge || m_slots.empty()) return 0;
    return m_next_scan_ns ? m_next_scan_ns : 1;
  }
  // One ksm_do_scan(): up to `pages` pages of the scan list, ending early at the end of a
  // full scan (as ksmd does).
  void scan(u64 pages);

  // break_ksm over [start, end) of `as`: every KSM page mapped there is copied into a
  // private page (MADV_UNMERGEABLE, run=2). ENOMEM when RAM runs out.
  Result<void> unmerge_range(AddressSpace& as, u64 start, u64 end);

  KsmCounters counters();
  u64 full_scans() const { return m_full_scans; }
  // /proc/PID/ksm_merging_pages and ksm_stat's ksm_rmap_items for one address space.
  u64 merging_pages(AddressSpace& as);
  u64 rmap_items(const AddressSpace& as) const;

 private:
  struct Item {
    u64 checksum = 0;       // the page's hash when last scanned (Linux's oldchecksum)
    bool seen = false;      // scanned before: checksum means something
    bool unstable = false;  // in the unstable tree (counts in pages_unshared until the
                            // scan comes back to it, as 6.1's rmap_items do)
    u64 kpfn = 0;           // the KSM frame whose stable node holds this item (0: none)
  };
  struct Slot {
    AddressSpace* as;
    std::map<u64, Item> items;  // rmap_items: one per scanned address holding a page
  };
  struct UnstableEntry {
    AddressSpace* as;
    u64 va;
  };

  u64 page_hash(Pfn pfn) const;
  bool same_contents(Pfn a, Pfn b) const;
  // The anonymous frame mapped present at va, or nullopt (zero page, object pages, none).
  std::optional<Pfn> anon_page_at(AddressSpace& as, u64 va) const;
  Slot* slot_of(const AddressSpace* as);
  // Whether the item counts in its KSM page's stable node: it names one, and the entry at
  // va still maps it.
  bool counted(AddressSpace& as, u64 va, const Item& item) const;

  // Looks at one page (cmp_and_merge_page).
  void cmp_and_merge(Slot& slot, u64 va, Pfn page);
  // write_protect_page: the entry at va (mapping page) loses write access, once no one but
  // mappers and the swap cache holds the page. False when it cannot be.
  bool write_protect(AddressSpace& as, u64 va, Pfn page);
  // replace_page: the entry at va maps kpage (read-only) instead of page.
  void replace(AddressSpace& as, u64 va, Pfn page, Pfn kpage);
  // The KSM frame to merge `page` into, from the stable index, or nullopt.
  std::optional<Pfn> stable_search(u64 hash, Pfn page);
  void stable_insert(u64 hash, Pfn kpage);
  // Drops index entries of frames that are no longer KSM (freed since).
  void prune_stable();
  // Copies the KSM page at va into a private page (break_ksm's write fault).
  Result<void> break_cow(AddressSpace& as, u64 va);
  void end_full_scan();

  MemoryManager& m_mm;
  KsmSettings m_settings;
  u64 m_zero_hash;
  std::vector<Slot> m_slots;
  size_t m_cursor_slot = 0;
  u64 m_cursor_addr = 0;
  std::unordered_multimap<u64, Pfn> m_stable;  // hash -> KSM frame
  std::unordered_map<u64, u64> m_stable_hash;  // KSM frame (pfn) -> its hash
  std::unordered_multimap<u64, UnstableEntry> m_unstable;
  u64 m_full_scans = 0;
  u64 m_next_scan_ns = 0;
  std::vector<u64> m_batch;  // addresses of one scan chunk (reused)
};

}  // namespace kernel::mm
