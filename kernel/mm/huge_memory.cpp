// Transparent huge pages of private anonymous memory, after Linux 6.1's mm/huge_memory.c:
// the huge fault (do_huge_pmd_anonymous_page, with the huge zero page for reads), the
// write fault on a huge entry (do_huge_pmd_wp_page), splitting (split_huge_page and the
// PMD splits that VMA splits, partial unmaps and protection changes need), fork's
// copy_huge_pmd, and the page-table work of unmap and mprotect over huge entries.
//
// Accounting of a compound page (Linux keeps one count in the head; emu keeps one per
// 4 KiB frame, so the small-page paths need no compound case):
//   head record  PG_head | PG_anon, on the LRU; `index` = huge entries mapping the page
//                (compound_mapcount), each with one reverse-map item on the head's chain
//                (va = the 2 MiB aligned address)
//   every frame  refcount = huge entries + its own small entries + transient pins;
//                mapcount = the length of its reverse-map chain (the head's holds the
//                huge entries' items besides its own small ones)
//   tail records PG_tail, off the LRU
// One process splitting its huge entry (a COW write after fork, a partial munmap or
// mprotect) turns only that entry into 512 small ones over the same frames: the page stays
// compound while any huge entry maps it, and other processes keep their huge mappings, as
// with 6.1's __split_huge_pmd. When the last huge entry goes the page becomes 512 ordinary
// pages at once (6.1 queues a partly mapped page for the deferred-split shrinker and keeps
// a wholly small-mapped one compound; emu splits it then, so no memory waits on pressure).
#include "kernel/mm/huge_memory.h"

#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;

namespace {

Pfn nth(Pfn head, u64 i) {
  return Pfn(head.value + i);
}

}  // namespace

std::optional<Pfn> MemoryManager::huge_zero_page() {
  if (m_huge_zero) return m_huge_zero;
  // get_huge_zero_page(): allocated once, on first use, with GFP_TRANSHUGE (may reclaim).
  auto block = m_frames.allocate(kHugeOrder);
  if (!block) {
    ++m_stats.thp_zero_page_alloc_failed;
    return std::nullopt;
  }
  for (u64 i = 0; i < kHugePages; ++i) {
    std::memset(m_ram.frame(nth(*block, i)), 0, kPageSize);
    m_frames.frame(nth(*block, i)).set(i == 0 ? PG_head : PG_tail);
    m_frames.frame(nth(*block, i)).set(PG_reserved);
  }
  ++m_stats.thp_zero_page_alloc;
  m_huge_zero = block;
  return block;
}

Pfn compound_head(MemoryManager& mm, Pfn pfn) {
  if (!mm.frame(pfn).test(PG_tail)) return pfn;
  // Order-9 blocks are aligned to their size in physical frame numbers.
  return Pfn(pfn.value & ~(kHugePages - 1));
}

u64 compound_mapcount(MemoryManager& mm, Pfn head) {
  const PageFrame& h = mm.frame(head);
  return h.test(PG_head) && !h.test(PG_reserved) ? h.index : 0;
}

u32 page_mapcount(MemoryManager& mm, Pfn pfn) {
  const PageFrame& f = mm.frame(pfn);
  // The head's own chain already holds the huge entries' items.
  if (!f.test(PG_tail)) return f.mapcount;
  return f.mapcount + static_cast<u32>(compound_mapcount(mm, compound_head(mm, pfn)));
}

void make_compound(MemoryManager& mm, Pfn head) {
  for (u64 i = 1; i < kHugePages; ++i) {
    PageFrame& tail = mm.frame(nth(head, i));
    tail.set(PG_tail);
    tail.refcount = 1;
  }
  PageFrame& h = mm.frame(head);
  h.set(PG_head);
  h.set(PG_anon);
  h.index = 1;
}

namespace {

// The last huge entry has gone: the compound page becomes 512 ordinary anonymous pages.
// When `drop_reference`, that entry's reference on every frame goes too, and frames no
// one else holds are freed; the rest (mapped by small entries, or pinned) join the LRU.
// A page nobody else holds any part of is simply freed whole, as 6.1 frees a compound
// page; one that lives on in part counts as split (thp_split_page).
void dissolve_compound(MemoryManager& mm, Pfn head, bool drop_reference) {
  PageFrame& h = mm.frame(head);
  VERIFY(h.test(PG_head) && h.index == 0);
  FrameAllocator& frames = mm.frames();
  if (drop_reference) {
    bool sole = true;
    for (u64 i = 0; i < kHugePages && sole; ++i) sole = frames.refcount(nth(head, i)) == 1;
    if (sole) {
      for (u64 i = 0; i < kHugePages; ++i) mm.frame(nth(head, i)).flags &= ~(PG_head | PG_tail);
      frames.free(head, kHugeOrder);
      return;
    }
  }
  const u32 shared_flags = h.flags & (PG_anon | PG_dirty | PG_swapbacked);
  h.clear(PG_head);
  for (u64 i = 1; i < kHugePages; ++i) mm.frame(nth(head, i)).flags = shared_flags;
  for (u64 i = 0; i < kHugePages; ++i) {
    const Pfn pfn = nth(head, i);
    if (drop_reference && frames.put(pfn)) continue;
    if (i) mm.lru().add(pfn);
  }
  ++mm.stats().thp_split_page;
}

}  // namespace

bool AddressSpace::thp_vma_allowed(const Vma& vma, bool in_fault, bool enforce_sysfs,
                                   bool smaps) const {
  (void)smaps;  // emu keeps no anon_vma: a VMA that never faulted is eligible everywhere
  const ThpSettings& thp = m_mm.thp();
  if (vma.flags & VM_NOHUGEPAGE) return false;
  // VM_NO_KHUGEPAGED: special mappings and hugetlb.
  if (vma.flags & (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP | VM_HUGETLB)) return false;
  // transhuge_vma_suitable() at the VMA's last 2 MiB: an aligned huge page must fit.
  if (!in_fault && ((vma.end - kHugePageSize) & ~kHugeMask) < vma.start) return false;
  if (!in_fault && vma.size() < kHugePageSize) return false;
  if (enforce_sysfs && (thp.enabled == ThpEnabled::Never ||
                        (!(vma.flags & VM_HUGEPAGE) && thp.enabled != ThpEnabled::Always)))
    return false;
  // Only private anonymous memory: file and shmem huge pages are not built.
  return vma.anonymous();
}

Result<void> AddressSpace::deposit_table() {
  auto table = m_frames.allocate();
  if (!table) return abi::Errno::kENOMEM;
  m_mm.frame(*table).index = m_deposit_head;
  m_deposit_head = table->value + 1;
  ++m_deposited;
  return {};
}

Pfn AddressSpace::withdraw_table() {
  VERIFY(m_deposited > 0 && m_deposit_head != 0);
  const Pfn table(m_deposit_head - 1);
  m_deposit_head = m_mm.frame(table).index;
  m_mm.frame(table).index = 0;
  --m_deposited;
  return table;
}

namespace {

Pte huge_leaf(Pte small) {
  return small.with(Pte::kPageSize);
}

// do_huge_pmd_anonymous_page's allocation: whether the fault may stall in direct reclaim
// for an order-9 block (alloc_hugepage_direct_gfpmask). emu has no compaction, so reclaim
// is the only stall there is:
//   always         reclaim, then fall back
//   defer          never stall: fall back at once (Linux wakes kswapd/kcompactd; emu's
//                  reclaim runs on its own when free memory is below the low watermark)
//   defer+madvise  reclaim for VM_HUGEPAGE regions, fall back at once elsewhere
//   madvise        the same as defer+madvise without the background wakeups
//   never          fall back at once
bool may_stall(const ThpSettings& thp, u64 vm_flags) {
  switch (thp.defrag) {
    case ThpDefrag::Always:
      return true;
    case ThpDefrag::DeferMadvise:
    case ThpDefrag::Madvise:
      return vm_flags & VM_HUGEPAGE;
    case ThpDefrag::Defer:
    case ThpDefrag::Never:
      return false;
  }
  return false;
}

}  // namespace

std::optional<FaultResult> AddressSpace::fault_huge_anonymous(const Vma& vma, u64 addr,
                                                              u32 error_code, Pte* pde) {
  const u64 haddr = addr & ~kHugeMask;
  if (haddr < vma.start || haddr + kHugePageSize > vma.end) return std::nullopt;
  FaultResult result;
  VmStats& stats = m_mm.stats();
  if (!(error_code & kFaultWrite) && m_mm.thp().use_zero_page) {
    // A read maps the huge zero page read-only; the first write splits it.
    auto zero = m_mm.huge_zero_page();
    if (!zero || !deposit_table().ok()) {
      ++stats.thp_fault_fallback;
      return std::nullopt;
    }
    *pde = huge_leaf(leaf_for(vma, *zero, false));
    result.resolution = FaultResolution::HugeZeroPage;
    return result;
  }
  auto block = may_stall(m_mm.thp(), vma.flags) ? m_frames.allocate(kHugeOrder)
                                                : m_frames.allocate_no_reclaim(kHugeOrder);
  if (!block) {
    ++stats.thp_fault_fallback;
    return std::nullopt;
  }
  if (!deposit_table().ok()) {
    m_frames.free(*block, kHugeOrder);
    ++stats.thp_fault_fallback;
    return std::nullopt;
  }
  // Allocating may have reclaimed, which rewrites entries but never fills an empty
  // directory entry: the slot is still ours.
  VERIFY(pde->none());
  for (u64 i = 0; i < kHugePages; ++i) std::memset(m_ram.frame(nth(*block, i)), 0, kPageSize);
  make_compound(m_mm, *block);
  *pde = huge_leaf(leaf_for(vma, *block, vma.flags & VM_WRITE)).mkdirty();
  m_mm.rmap().add(*block, this, haddr);
  m_mm.lru().add(*block);
  ++stats.thp_fault_alloc;
  result.resolution = FaultResolution::NewHugePage;
  return result;
}

bool AddressSpace::exclusive_huge(Pfn head) const {
  // This huge entry is the only holder of every frame: no other huge entry, no small
  // entry in another process, no pin.
  if (m_mm.frame(head).mapcount != 1) return false;
  for (u64 i = 0; i < kHugePages; ++i)
    if (m_frames.refcount(nth(head, i)) != 1) return false;
  return true;
}

std::optional<FaultResult> AddressSpace::fault_huge_present(const Vma& vma, u64 addr,
                                                            u32 error_code, Pte* pde) {
  FaultResult result;
  const Pte old = *pde;
  if (!(error_code & kFaultWrite) || old.writable()) {
    result.resolution = FaultResolution::Spurious;  // the entry allows it already
    return result;
  }
  const Pfn head = old.pfn();
  // do_huge_pmd_wp_page(): the huge zero page is split (its small entries map the small
  // zero page, and the write copies one page); a huge page only this entry holds is made
  // writable in place; a shared one (after fork) has this entry split, and the write
  // copies one page. The other mappers keep their huge entries.
  if (!m_mm.is_huge_zero(head) && exclusive_huge(head)) {
    *pde = huge_leaf(leaf_for(vma, head, true)).mkdirty();
    result.resolution = FaultResolution::CowReuse;
    return result;
  }
  split_huge_pmd(addr);
  return std::nullopt;
}

void AddressSpace::split_pmd_mapping(u64 haddr) {
  Pte* pde = m_page_table.entry(haddr, 2, x86_64::Allocate::No);
  VERIFY(pde && pde->present() && pde->huge());
  const Pte old = *pde;
  const Pfn head = old.pfn();
  const bool zero = m_mm.is_huge_zero(head);
  const Pfn table = withdraw_table();
  Pte* entries = reinterpret_cast<Pte*>(m_ram.frame(table));
  const u64 bits = old.raw() & (Pte::kWritable | Pte::kUser | Pte::kAccessed | Pte::kDirty |
                                Pte::kSoftDirty | Pte::kNoExecute);
  if (zero) {
    // The small zero page, read-only, never counted (__split_huge_zero_page_pmd).
    const Pte leaf = Pte::leaf(PhysAddr(m_zero_page), bits & ~(Pte::kWritable | Pte::kDirty));
    for (u64 i = 0; i < kHugePages; ++i) entries[i] = leaf;
  } else {
    // The huge entry's reference on each frame becomes its small entry's.
    m_mm.rmap().remove(head, this, haddr);
    for (u64 i = 0; i < kHugePages; ++i) {
      entries[i] = Pte::leaf(PhysAddr(nth(head, i)), bits);
      m_mm.rmap().add(nth(head, i), this, haddr + i * kPageSize);
    }
  }
  m_page_table.install_table(pde, PhysAddr(table));
  ++m_mm.stats().thp_split_pmd;
  if (!zero && --m_mm.frame(head).index == 0) dissolve_compound(m_mm, head, false);
}

bool AddressSpace::maps_huge(u64 va, Pfn head) {
  const Pte* pde = m_page_table.entry(va, 2, x86_64::Allocate::No);
  return pde && pde->present() && pde->huge() && pde->pfn() == head;
}

bool split_huge_page(MemoryManager& mm, Pfn head) {
  PageFrame& h = mm.frame(head);
  if (!h.test(PG_head) || h.test(PG_reserved)) return false;
  // The head's chain also holds the small entries of its first frame: only the huge
  // entries are split. The last split makes the page ordinary (split_pmd_mapping).
  mm.rmap().for_each(head, [&](ReverseMap::Mapping m) {
    if (m.as->maps_huge(m.va, head)) m.as->split_pmd_mapping(m.va);
  });
  VERIFY(!h.test(PG_head));
  return true;
}

void AddressSpace::split_huge_pmd(u64 va) {
  Pte* pde = m_page_table.entry(va, 2, x86_64::Allocate::No);
  if (!pde || !pde->present() || !pde->huge()) return;
  split_pmd_mapping(va & ~kHugeMask);
}

void AddressSpace::split_huge_range(u64 start, u64 end, bool whole_too) {
  m_page_table.for_each_huge(start, end, [&](u64 haddr, Pte&) {
    if (whole_too || haddr < start || haddr + kHugePageSize > end) split_huge_pmd(haddr);
  });
}

bool AddressSpace::drop_huge(Pte* pde, u64 haddr) {
  const Pte old = *pde;
  *pde = Pte();
  m_frames.free(withdraw_table());
  const Pfn head = old.pfn();
  if (m_mm.is_huge_zero(head)) return true;
  m_mm.rmap().remove(head, this, haddr);
  if (--m_mm.frame(head).index == 0) {
    dissolve_compound(m_mm, head, true);
    return true;
  }
  // Another process still maps the page huge, so no frame's count reaches zero here.
  for (u64 i = 0; i < kHugePages; ++i) VERIFY(!m_frames.put(nth(head, i)));
  return true;
}

bool AddressSpace::zap_huge_in(u64 start, u64 end) {
  bool flush = false;
  m_page_table.for_each_huge(start, end, [&](u64 haddr, Pte& pde) {
    // zap_huge_pmd() for a whole entry; __split_huge_pmd() when the range ends inside it.
    if (haddr >= start && haddr + kHugePageSize <= end)
      flush |= drop_huge(&pde, haddr);
    else
      split_huge_pmd(haddr);
  });
  return flush;
}

bool AddressSpace::protect_huge_in(u64 start, u64 end, u64 flags) {
  bool flush = false;
  const bool accessible = flags & kVmAccessFlags;
  m_page_table.for_each_huge(start, end, [&](u64 haddr, Pte& pde) {
    // change_huge_pmd() for a whole entry. PROT_NONE splits here (emu keeps PROT_NONE
    // entries at the small-page level only), as does a range ending inside the entry.
    if (!accessible || haddr < start || haddr + kHugePageSize > end) {
      split_huge_pmd(haddr);
      return;
    }
    const Pte old = pde;
    Pte fresh = Pte::leaf(old.address(),
                          Pte::kUser | Pte::kPageSize |
                              (old.raw() & (Pte::kAccessed | Pte::kDirty | Pte::kSoftDirty)));
    if (!(flags & VM_EXEC)) fresh = fresh.with(Pte::kNoExecute);
    // Write access comes back through a write fault, which re-checks sharing.
    if (old.writable() && (flags & VM_WRITE)) fresh = fresh.with(Pte::kWritable);
    pde = fresh;
    flush = true;
  });
  return flush;
}

Result<void> AddressSpace::copy_huge_pmd(AddressSpace& child, const Vma& vma, u64 haddr, Pte& pde) {
  // The child's deposit and directory slot first: allocating may reclaim, which may split
  // the parent's entry (then the small-page copy that follows takes its pages).
  TRY(child.deposit_table());
  Pte* slot = child.m_page_table.entry(haddr, 2, x86_64::Allocate::Yes);
  if (!slot) return abi::Errno::kENOMEM;  // the child's destructor frees the deposit
  if (!pde.present() || !pde.huge()) {
    child.m_frames.free(child.withdraw_table());
    return {};
  }
  VERIFY(slot->none());
  const Pfn head = pde.pfn();
  Pte copy = pde.without(Pte::kAccessed);
  if (!m_mm.is_huge_zero(head)) {
    // Both entries lose write access in a copy-on-write mapping (is_cow_mapping).
    if ((vma.flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE) {
      pde = pde.without(Pte::kWritable);
      copy = copy.without(Pte::kWritable);
    }
    for (u64 i = 0; i < kHugePages; ++i) m_frames.get(nth(head, i));
    ++m_mm.frame(head).index;
    m_mm.rmap().add(head, &child, haddr);
  }
  *slot = copy;
  return {};
}

}  // namespace kernel::mm
