// ksmd (Linux 6.1's mm/ksm.c): the scan list, the stable and unstable indexes, merging
// through the reverse map and unmerging by copy. See ksm.h for the model.
#include "kernel/mm/ksm.h"

#include <algorithm>
#include <cstring>

#include "kernel/abi/linux.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;

namespace {

// The addresses one scan step looks at in one go: a page table's span, so each chunk is
// one walk of one table.
constexpr u64 kChunk = u64{512} * kPageSize;
// A step with sleep_millisecs 0 still leaves the guest a millisecond between steps: ksmd
// shares the one emulated CPU with it.
constexpr u64 kMinStepGapNs = 1'000'000;
constexpr u64 kMaxChunks = 1024;

u64 rotl(u64 v, int s) {
  return (v << s) | (v >> (64 - s));
}

bool vma_scannable(const Vma& vma) {
  // KSM only ever sees VM_MERGEABLE VMAs, which madvise gives to private mappings alone.
  return (vma.flags & VM_MERGEABLE) && !(vma.flags & VM_SHARED);
}

// Four independent lanes of multiply-rotate mixing over the page's words, folded at the
// end: fast, and any single-bit change alters the result.
u64 hash_page_bytes(const u8* bytes) {
  u64 lane[4] = {0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9, 0x27d4eb2f165667c5};
  for (u64 i = 0; i < kPageSize; i += 32) {
    for (int l = 0; l < 4; ++l) {
      u64 w;
      std::memcpy(&w, bytes + i + 8 * l, 8);
      lane[l] = rotl(lane[l] + w * 0xc2b2ae3d27d4eb4f, 31) * 0x9e3779b97f4a7c15;
    }
  }
  u64 h = rotl(lane[0], 1) + rotl(lane[1], 7) + rotl(lane[2], 12) + rotl(lane[3], 18);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  return h;
}

}  // namespace

Ksm::Ksm(MemoryManager& mm) : m_mm(mm) {
  static const u8 zeros[kPageSize] = {};
  m_zero_hash = hash_page_bytes(zeros);
}

u64 Ksm::page_hash(Pfn pfn) const {
  return hash_page_bytes(m_mm.frame_bytes(pfn));
}

bool Ksm::same_contents(Pfn a, Pfn b) const {
  return std::memcmp(m_mm.frame_bytes(a), m_mm.frame_bytes(b), kPageSize) == 0;
}

std::optional<Pfn> Ksm::anon_page_at(AddressSpace& as, u64 va) const {
  const Pte* slot = as.m_page_table.leaf_entry(va, x86_64::Allocate::No);
  if (!slot || !slot->present() || slot->huge()) return std::nullopt;
  const Pfn pfn = slot->pfn();
  if (pfn == m_mm.zero_page() || !m_mm.frames().manages(pfn)) return std::nullopt;
  // PageAnon: private anonymous memory and the private copies of file pages (a small
  // entry may map a subpage of a huge page that another process maps huge).
  const PageFrame& record = m_mm.frame(compound_head(m_mm, pfn));
  if (record.owner || !record.test(PG_anon)) return std::nullopt;
  return pfn;
}

// --- settings ---

Result<void> Ksm::set_run(u32 run) {
  if (run > kRunUnmerge) return abi::Errno::kEINVAL;
  if (run == m_settings.run) return {};
  m_settings.run = run;
  if (run == kRunUnmerge) {
    // unmerge_and_remove_all_rmap_items: every KSM page of every process is copied back,
    // every rmap_item goes and the scan starts over.
    if (m_mm.tracing(kTraceKsm)) m_mm.emit("ksm-unmerge-all", {});
    for (Slot& slot : m_slots) {
      for (const auto& [start, vma] : slot.as->vmas()) {
        if (!vma_scannable(vma)) continue;
        if (auto r = unmerge_range(*slot.as, vma.start, vma.end); !r.ok()) {
          m_settings.run = kRunStop;
          return r.error();
        }
      }
      slot.items.clear();
    }
    m_unstable.clear();
    m_cursor_slot = 0;
    m_cursor_addr = 0;
    prune_stable();
  }
  m_next_scan_ns = 0;
  return {};
}

Result<void> Ksm::set_merge_across_nodes(u32 value) {
  if (value > 1) return abi::Errno::kEINVAL;
  if (value == m_settings.merge_across_nodes) return {};
  // One node: the setting changes nothing about which pages merge, but 6.1 refuses it
  // while KSM pages exist, since its trees would have to be rebuilt.
  if (counters().pages_shared) return abi::Errno::kEBUSY;
  m_settings.merge_across_nodes = value;
  return {};
}

Result<void> Ksm::set_max_page_sharing(u32 value) {
  if (value < 2) return abi::Errno::kEINVAL;
  if (value == m_settings.max_page_sharing) return {};
  if (counters().pages_shared) return abi::Errno::kEBUSY;
  m_settings.max_page_sharing = value;
  return {};
}

// --- the scan list ---

Ksm::Slot* Ksm::slot_of(const AddressSpace* as) {
  for (Slot& s : m_slots)
    if (s.as == as) return &s;
  return nullptr;
}

bool Ksm::entered(const AddressSpace* as) const {
  return std::any_of(m_slots.begin(), m_slots.end(), [&](const Slot& s) { return s.as == as; });
}

void Ksm::enter(AddressSpace* as) {
  if (entered(as)) return;
  // __ksm_enter puts the new mm just behind the scan cursor: at the start of a round that
  // is the end of the list (scanned this round), in the middle of one it is a slot already
  // passed (scanned from the next round).
  if (m_cursor_slot == 0 && m_cursor_addr == 0) {
    m_slots.push_back(Slot{as, {}});
  } else {
    m_slots.insert(m_slots.begin() + static_cast<std::ptrdiff_t>(m_cursor_slot), Slot{as, {}});
    ++m_cursor_slot;
  }
  if (m_mm.tracing(kTraceKsm)) m_mm.emit("ksm-enter", {TraceField::dec("slots", m_slots.size())});
}

void Ksm::fork(const AddressSpace* parent, AddressSpace* child) {
  if (entered(parent)) enter(child);
}

void Ksm::exit(AddressSpace* as) {
  for (size_t i = 0; i < m_slots.size(); ++i) {
    if (m_slots[i].as != as) continue;
    m_slots.erase(m_slots.begin() + static_cast<std::ptrdiff_t>(i));
    if (i < m_cursor_slot) {
      --m_cursor_slot;
    } else if (i == m_cursor_slot) {
      m_cursor_addr = 0;
    }
    break;
  }
  std::erase_if(m_unstable, [&](const auto& entry) { return entry.second.as == as; });
}

// --- ksmd ---

u64 Ksm::tick(u64 now_ns) {
  if (m_settings.run != kRunMerge || m_slots.empty()) {
    m_next_scan_ns = 0;
    return 0;
  }
  if (m_next_scan_ns && now_ns < m_next_scan_ns) return m_next_scan_ns;
  scan(m_settings.pages_to_scan);
  const u64 gap = std::max<u64>(u64{m_settings.sleep_millisecs} * 1'000'000, kMinStepGapNs);
  m_next_scan_ns = now_ns + gap;
  return m_next_scan_ns;
}

void Ksm::end_full_scan() {
  // The unstable tree is rebuilt every round (ksm_scan.seqnr).
  m_unstable.clear();
  m_cursor_slot = 0;
  m_cursor_addr = 0;
  ++m_full_scans;
  prune_stable();
  if (m_mm.tracing(kTraceKsm)) {
    const KsmCounters c = counters();
    m_mm.emit("ksm-full-scan", {TraceField::dec("full_scans", m_full_scans),
                                TraceField::dec("pages_shared", c.pages_shared),
                                TraceField::dec("pages_sharing", c.pages_sharing)});
  }
}

void Ksm::scan(u64 pages) {
  const bool trace = m_mm.tracing(kTraceKsm);
  const u64 merged_before = trace ? counters().pages_sharing : 0;
  const u64 first_slot = m_cursor_slot, first_addr = m_cursor_addr;
  u64 scanned = 0, chunks = 0;
  // Empty stretches of large sparse VMAs are skipped a table at a time, and a step looks at
  // no more than kMaxChunks tables, so a step's cost stays bounded whatever was mapped.
  while (scanned < pages && chunks++ < kMaxChunks) {
    if (m_slots.empty()) return;
    if (m_cursor_slot >= m_slots.size()) {
      end_full_scan();
      break;  // ksm_do_scan stops at the end of a round
    }
    Slot& slot = m_slots[m_cursor_slot];
    AddressSpace& as = *slot.as;
    // The next mergeable VMA at or after the cursor.
    const Vma* vma = nullptr;
    auto it = as.vmas().upper_bound(m_cursor_addr);
    if (it != as.vmas().begin() && std::prev(it)->second.end > m_cursor_addr) --it;
    for (; it != as.vmas().end(); ++it)
      if (vma_scannable(it->second)) {
        vma = &it->second;
        break;
      }
    if (!vma) {
      // Past the last mergeable VMA: this process's remaining rmap_items go (they name
      // pages no longer mapped or no longer mergeable), and the next process follows.
      slot.items.erase(slot.items.lower_bound(m_cursor_addr), slot.items.end());
      ++m_cursor_slot;
      m_cursor_addr = 0;
      continue;
    }
    const u64 from = std::max(m_cursor_addr, vma->start);
    // Items between the cursor and this VMA belong to pages no longer mergeable.
    slot.items.erase(slot.items.lower_bound(m_cursor_addr), slot.items.lower_bound(from));
    const u64 to = std::min(vma->end, (from & ~(kChunk - 1)) + kChunk);
    m_batch.clear();
    as.m_page_table.for_each_leaf(from, to, [&](u64 va, Pte& leaf) {
      if (leaf.present()) m_batch.push_back(va);
    });
    u64 cursor = to;
    u64 prev = from;
    for (const u64 va : m_batch) {
      if (scanned == pages) {
        cursor = va;
        break;
      }
      slot.items.erase(slot.items.lower_bound(prev), slot.items.lower_bound(va));
      prev = va + kPageSize;
      const auto page = anon_page_at(as, va);
      if (!page) {
        slot.items.erase(va);
        continue;
      }
      ++scanned;
      cmp_and_merge(slot, va, *page);
    }
    slot.items.erase(slot.items.lower_bound(prev), slot.items.lower_bound(cursor));
    m_cursor_addr = cursor;
  }
  if (trace)
    m_mm.emit("ksm-scan",
              {TraceField::dec("pages", scanned), TraceField::dec("from_slot", first_slot),
               TraceField::hex("from_addr", first_addr),
               TraceField::dec("merged", counters().pages_sharing - merged_before)});
}

void Ksm::cmp_and_merge(Slot& slot, u64 va, Pfn page) {
  AddressSpace& as = *slot.as;
  Item& item = slot.items[va];
  item.unstable = false;  // remove_rmap_item_from_tree: a new round's look decides again
  PageFrame& record = m_mm.frame(page);
  // Already a KSM page: this rmap_item joins its stable node if it is not there yet (a fork
  // child's mapping is counted from ksmd's first look at it, stable_tree_append).
  if (record.test(PG_ksm)) {
    item.kpfn = page.value;
    return;
  }
  item.kpfn = 0;  // whatever KSM page was here before has been copied away
  const u64 hash = page_hash(page);
  // The stable index first: a page equal to a KSM page merges at once.
  if (const auto kpage = stable_search(hash, page)) {
    if (write_protect(as, va, page) && same_contents(page, *kpage)) {
      replace(as, va, page, *kpage);
      item.kpfn = kpage->value;
      if (m_mm.tracing(kTraceKsm))
        m_mm.emit("ksm-merge",
                  {TraceField::str("into", "stable"), TraceField::hex("addr", va),
                   TraceField::dec("pfn", page.value), TraceField::dec("kpfn", kpage->value)});
    }
    return;
  }
  // A page that changed since the last look is volatile: remembered, not indexed.
  const bool unchanged = item.seen && item.checksum == hash;
  item.checksum = hash;
  item.seen = true;
  if (!unchanged) return;
  if (m_settings.use_zero_pages && hash == m_zero_hash) {
    // Merged with the zero page: the entry maps it like a never-written page.
    if (write_protect(as, va, page) && same_contents(page, m_mm.zero_page())) {
      replace(as, va, page, m_mm.zero_page());
      if (m_mm.tracing(kTraceKsm))
        m_mm.emit("ksm-merge", {TraceField::str("into", "zero-page"), TraceField::hex("addr", va),
                                TraceField::dec("pfn", page.value)});
      return;
    }
  }
  // The unstable index: another page seen unchanged this round with the same contents.
  auto [first, last] = m_unstable.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    const UnstableEntry entry = it->second;
    const auto tree_page = anon_page_at(*entry.as, entry.va);
    if (!tree_page || m_mm.frame(*tree_page).test(PG_ksm)) continue;
    // A page shared since fork is one page already: no KSM page for it.
    if (*tree_page == page) return;
    if (!same_contents(page, *tree_page)) continue;
    // try_to_merge_two_pages: this page becomes the KSM page in place, the tree's page is
    // replaced by it.
    if (!write_protect(as, va, page)) return;
    if (!write_protect(*entry.as, entry.va, *tree_page) || !same_contents(page, *tree_page)) return;
    m_unstable.erase(it);
    if (Slot* tree_slot = slot_of(entry.as))
      if (auto tree_item = tree_slot->items.find(entry.va); tree_item != tree_slot->items.end()) {
        tree_item->second.unstable = false;
        tree_item->second.kpfn = page.value;
      }
    item.kpfn = page.value;
    record.set(PG_ksm);
    replace(*entry.as, entry.va, *tree_page, page);
    stable_insert(hash, page);
    if (m_mm.tracing(kTraceKsm))
      m_mm.emit("ksm-merge",
                {TraceField::str("into", "new"), TraceField::hex("addr", va),
                 TraceField::hex("tree_addr", entry.va), TraceField::dec("kpfn", page.value)});
    return;
  }
  m_unstable.emplace(hash, UnstableEntry{&as, va});
  item.unstable = true;
}

bool Ksm::write_protect(AddressSpace& as, u64 va, Pfn page) {
  Pte* slot = as.m_page_table.leaf_entry(va, x86_64::Allocate::No);
  if (!slot || !slot->present() || slot->pfn() != page) return false;
  // try_to_merge_one_page(): a subpage of a huge page is merged once the huge page is
  // split (for every process that maps it huge).
  if (m_mm.frame(page).test(PG_head) || m_mm.frame(page).test(PG_tail))
    (void)split_huge_page(m_mm, compound_head(m_mm, page));
  PageFrame& record = m_mm.frame(page);
  // Anyone holding the page beyond its mappers (and the swap cache) might write it behind
  // KSM's back (write_protect_page's page_count check).
  if (record.refcount != record.mapcount + (record.test(PG_swapcache) ? 1u : 0u)) return false;
  if (!slot->writable() && !slot->dirty()) return true;
  // The data now lives only in this frame: a swap copy is stale.
  if (slot->dirty()) record.set(PG_dirty);
  *slot = slot->without(Pte::kWritable | Pte::kDirty);
  m_mm.flush_tlb("ksm", va, va + kPageSize);
  return true;
}

void Ksm::replace(AddressSpace& as, u64 va, Pfn page, Pfn kpage) {
  Pte* slot = as.m_page_table.leaf_entry(va, x86_64::Allocate::No);
  VERIFY(slot && slot->present() && slot->pfn() == page);
  const Vma* vma = as.find_vma(va);
  VERIFY(vma);
  // The zero page is never counted (as in Linux); a KSM page gains this entry's reference.
  if (kpage != m_mm.zero_page()) m_mm.frames().get(kpage);
  as.drop_leaf(slot, va);  // may free `page`
  as.set_leaf(slot, va, as.leaf_for(*vma, kpage, false));
  m_mm.flush_tlb("ksm", va, va + kPageSize);
}

std::optional<Pfn> Ksm::stable_search(u64 hash, Pfn page) {
  auto [first, last] = m_stable.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    const Pfn kpage = it->second;
    if (!m_mm.frame(kpage).test(PG_ksm)) continue;  // freed since: pruned later
    // A stable node full at max_page_sharing takes no more (a new dup forms instead).
    if (m_mm.frame(kpage).mapcount >= m_settings.max_page_sharing) continue;
    if (kpage != page && same_contents(page, kpage)) return kpage;
  }
  return std::nullopt;
}

void Ksm::stable_insert(u64 hash, Pfn kpage) {
  // The frame may have been a KSM page before, freed and handed out again.
  if (auto old = m_stable_hash.find(kpage.value); old != m_stable_hash.end()) {
    auto [first, last] = m_stable.equal_range(old->second);
    for (auto it = first; it != last; ++it)
      if (it->second == kpage) {
        m_stable.erase(it);
        break;
      }
  }
  m_stable.emplace(hash, kpage);
  m_stable_hash[kpage.value] = hash;
}

void Ksm::prune_stable() {
  for (auto it = m_stable_hash.begin(); it != m_stable_hash.end();) {
    const Pfn kpage(it->first);
    if (m_mm.frame(kpage).test(PG_ksm)) {
      ++it;
      continue;
    }
    auto [first, last] = m_stable.equal_range(it->second);
    for (auto s = first; s != last; ++s)
      if (s->second == kpage) {
        m_stable.erase(s);
        break;
      }
    it = m_stable_hash.erase(it);
  }
}

// --- unmerging ---

Result<void> Ksm::break_cow(AddressSpace& as, u64 va) {
  Pte* slot = as.m_page_table.leaf_entry(va, x86_64::Allocate::No);
  const Vma* vma = as.find_vma(va);
  VERIFY(slot && vma);
  const Pfn kpage = slot->pfn();
  // break_ksm's write fault: a private copy, writable only where the VMA allows writing.
  m_mm.frames().get(kpage);  // pinned while the allocation may reclaim
  auto copy = m_mm.frames().allocate();
  if (!copy) {
    m_mm.frames().put(kpage);
    return abi::Errno::kENOMEM;
  }
  // Reclaim may have swapped the KSM page meanwhile: then the entry is a swap entry and
  // there is nothing left to break here.
  slot = as.m_page_table.leaf_entry(va, x86_64::Allocate::No);
  if (!slot || !slot->present() || slot->pfn() != kpage) {
    m_mm.frames().put(*copy);
    m_mm.frames().put(kpage);
    return {};
  }
  std::memcpy(m_mm.frame_bytes(*copy), m_mm.frame_bytes(kpage), kPageSize);
  m_mm.frames().put(kpage);
  m_mm.frame(*copy).set(PG_anon);
  as.drop_leaf(slot, va);
  as.set_leaf(slot, va, as.leaf_for(*vma, *copy, vma->flags & VM_WRITE).mkdirty());
  m_mm.flush_tlb("ksm-unmerge", va, va + kPageSize);
  if (m_mm.tracing(kTraceKsm))
    m_mm.emit("ksm-unmerge", {TraceField::hex("addr", va), TraceField::dec("kpfn", kpage.value),
                              TraceField::dec("pfn", copy->value)});
  return {};
}

Result<void> Ksm::unmerge_range(AddressSpace& as, u64 start, u64 end) {
  std::vector<u64> targets;
  as.m_page_table.for_each_leaf(start, end, [&](u64 va, Pte& leaf) {
    if (!leaf.present() || leaf.huge() || leaf.pfn() == m_mm.zero_page()) return;
    if (m_mm.frames().manages(leaf.pfn()) && m_mm.frame(leaf.pfn()).test(PG_ksm))
      targets.push_back(va);
  });
  for (const u64 va : targets) TRY(break_cow(as, va));
  return {};
}

// --- counters ---

bool Ksm::counted(AddressSpace& as, u64 va, const Item& item) const {
  if (!item.kpfn) return false;
  const Pfn kpage(item.kpfn);
  const Pte* leaf = as.m_page_table.leaf_entry(va, x86_64::Allocate::No);
  return leaf && leaf->present() && leaf->pfn() == kpage && m_mm.frame(kpage).test(PG_ksm);
}

KsmCounters Ksm::counters() {
  prune_stable();
  KsmCounters c;
  c.full_scans = m_full_scans;
  // 6.1 counts rmap_items in stable nodes: per KSM page, the first is pages_shared and the
  // others pages_sharing. An entry ksmd has not looked at yet (a fork child's) is not
  // counted; one that no longer maps its KSM page (copied on write, unmerged) is not either.
  // (6.1 keeps counting the latter until ksmd comes back to the address.)
  std::unordered_map<u64, u64> per_kpage;
  u64 items = 0;
  for (Slot& s : m_slots) {
    items += s.items.size();
    for (const auto& [va, item] : s.items) {
      c.pages_unshared += item.unstable ? 1 : 0;
      if (counted(*s.as, va, item)) ++per_kpage[item.kpfn];
    }
  }
  for (const auto& [kpfn, n] : per_kpage) {
    ++c.pages_shared;
    c.pages_sharing += n - 1;
  }
  // Chains: contents held by more than one KSM page (a node that reached max_page_sharing).
  for (auto it = m_stable.begin(); it != m_stable.end();) {
    const u64 n = m_stable.count(it->first);
    if (n > 1) {
      ++c.stable_node_chains;
      c.stable_node_dups += n;
    }
    std::advance(it, static_cast<std::ptrdiff_t>(n));
  }
  const u64 accounted = c.pages_shared + c.pages_sharing + c.pages_unshared;
  // As 6.1: rmap_items in no tree, never below zero.
  c.pages_volatile = items > accounted ? items - accounted : 0;
  return c;
}

u64 Ksm::merging_pages(AddressSpace& as) {
  // mm->ksm_merging_pages: this process's rmap_items in stable nodes.
  const Slot* slot = slot_of(&as);
  if (!slot) return 0;
  u64 n = 0;
  for (const auto& [va, item] : slot->items) n += counted(as, va, item) ? 1 : 0;
  return n;
}

u64 Ksm::rmap_items(const AddressSpace& as) const {
  for (const Slot& s : m_slots)
    if (s.as == &as) return s.items.size();
  return 0;
}

}  // namespace kernel::mm
