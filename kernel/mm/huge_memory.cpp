// Transparent huge pages, after Linux 6.1's mm/huge_memory.c: the anonymous huge fault
// (do_huge_pmd_anonymous_page, with the huge zero page for reads), the huge entry of a
// shmem page (do_set_pmd), the write fault on a huge entry (do_huge_pmd_wp_page),
// splitting (split_huge_page and the PMD splits that VMA splits, partial unmaps and
// protection changes need), fork's copy_huge_pmd, and the page-table work of unmap and
// mprotect over huge entries.
//
// Accounting of a compound page (Linux keeps one count in the head; emu keeps one per
// 4 KiB frame, so the small-page paths need no compound case):
//   head record  PG_head, on the LRU; PG_anon for anonymous memory, owner and index for a
//                shmem page (as every frame of it); one reverse-map item per huge entry on
//                its chain (va = the 2 MiB aligned address)
//   first tail   its `prev` link (a tail is on no list) counts the huge entries
//                (compound_mapcount)
//   every frame  refcount = huge entries + its own small entries + the object's reference
//                for shmem + transient pins; mapcount = the length of its reverse-map
//                chain (the head's holds the huge entries' items besides its own)
//   tail records PG_tail, off the LRU
// One process splitting its huge entry (a COW write after fork, a partial munmap or
// mprotect) turns only that entry into 512 small ones over the same frames: the page stays
// compound while any huge entry maps it, and other processes keep their huge mappings, as
// with 6.1's __split_huge_pmd. When the last huge entry of an anonymous page goes the page
// becomes 512 ordinary pages at once (6.1 queues a partly mapped page for the
// deferred-split shrinker and keeps a wholly small-mapped one compound; emu splits it then,
// so no memory waits on pressure). A shmem page stays compound in its object until
// split_huge_page, as in 6.1.
#include "kernel/mm/huge_memory.h"

#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"

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

namespace {

// The huge entries mapping a compound page (Linux keeps compound_mapcount in the first tail
// page; emu keeps it in that record's LRU link, which a tail never uses).
u32& pmd_maps(MemoryManager& mm, Pfn head) {
  return mm.frame(nth(head, 1)).prev;
}

// One huge entry less: true when that was an anonymous page's last (it stops being
// compound then); a shmem page with none left leaves ShmemPmdMapped.
bool pmd_unmapped(MemoryManager& mm, Pfn head) {
  if (--pmd_maps(mm, head) != 0) return false;
  if (!mm.frame(head).owner) return true;
  --mm.stats().nr_shmem_pmdmapped;
  return false;
}

}  // namespace

u64 compound_mapcount(MemoryManager& mm, Pfn head) {
  const PageFrame& h = mm.frame(head);
  return h.test(PG_head) && !h.test(PG_reserved) ? pmd_maps(mm, head) : 0;
}

u32 page_mapcount(MemoryManager& mm, Pfn pfn) {
  const PageFrame& f = mm.frame(pfn);
  // The head's own chain already holds the huge entries' items.
  if (!f.test(PG_tail)) return f.mapcount;
  return f.mapcount + static_cast<u32>(compound_mapcount(mm, compound_head(mm, pfn)));
}

void prep_compound(MemoryManager& mm, Pfn head) {
  for (u64 i = 1; i < kHugePages; ++i) {
    PageFrame& tail = mm.frame(nth(head, i));
    tail.set(PG_tail);
    tail.refcount = 1;
  }
  mm.frame(head).set(PG_head);
  pmd_maps(mm, head) = 0;
}

void make_compound(MemoryManager& mm, Pfn head) {
  prep_compound(mm, head);
  mm.frame(head).set(PG_anon);
  pmd_maps(mm, head) = 1;
}

namespace {

// The compound page becomes 512 ordinary pages: an anonymous one when its last huge entry
// has gone, a shmem one when split_huge_page asks. When `drop_reference`, that last
// entry's reference on every frame goes too, and frames no one else holds are freed; the
// rest (mapped by small entries, in the object's page list, or pinned) join the LRU. An
// anonymous page nobody else holds any part of is simply freed whole, as 6.1 frees a
// compound page; one that lives on counts as split (thp_split_page).
void dissolve_compound(MemoryManager& mm, Pfn head, bool drop_reference) {
  PageFrame& h = mm.frame(head);
  VERIFY(h.test(PG_head) && pmd_maps(mm, head) == 0);
  FrameAllocator& frames = mm.frames();
  if (drop_reference && !h.owner) {
    bool sole = true;
    for (u64 i = 0; i < kHugePages && sole; ++i) sole = frames.refcount(nth(head, i)) == 1;
    if (sole) {
      for (u64 i = 0; i < kHugePages; ++i) mm.frame(nth(head, i)).flags &= ~(PG_head | PG_tail);
      frames.free(head, kHugeOrder);
      return;
    }
  }
  // Each frame of a shmem page already names its object and index.
  const u32 shared_flags = h.flags & (PG_anon | PG_dirty | PG_swapbacked);
  if (h.owner) --mm.stats().nr_shmem_thps;
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
  // emu keeps no anon_vma: an anonymous VMA that never faulted is eligible everywhere.
  const ThpSettings& thp = m_mm.thp();
  if (vma.flags & VM_NOHUGEPAGE) return false;
  // VM_NO_KHUGEPAGED: special mappings and hugetlb.
  if (vma.flags & (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP | VM_HUGETLB)) return false;
  // transhuge_vma_suitable() at the VMA's last 2 MiB: an aligned huge page must fit.
  if (!in_fault && ((vma.end - kHugePageSize) & ~kHugeMask) < vma.start) return false;
  if (!in_fault && vma.size() < kHugePageSize) return false;
  if (!vma.anonymous()) {
    // shmem_huge_enabled(), for smaps' THPeligible only: khugepaged and MADV_COLLAPSE
    // collapse private anonymous memory alone (6.1's collapse_file is not built). The
    // VMA must place object indices 2 MiB aligned where addresses are.
    if (!smaps || vma.object->kind() == ObjectKind::PageCache) return false;
    if (((vma.start >> kPageShift) - vma.page_index(vma.start)) & (kHugePages - 1)) return false;
    const u64 first = (vma.page_index(vma.start) + kHugePages - 1) & ~(kHugePages - 1);
    return vma.object->huge_allowed(first, vma.flags);
  }
  if (enforce_sysfs && (thp.enabled == ThpEnabled::Never ||
                        (!(vma.flags & VM_HUGEPAGE) && thp.enabled != ThpEnabled::Always)))
    return false;
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

}  // namespace

// A huge-page allocation's stall (alloc_hugepage_direct_gfpmask). emu has no compaction, so
// reclaim is the only stall there is:
//   always         reclaim, then fall back
//   defer          never stall: fall back at once (Linux wakes kswapd/kcompactd; emu's
//                  reclaim runs on its own when free memory is below the low watermark)
//   defer+madvise  reclaim for VM_HUGEPAGE regions, fall back at once elsewhere
//   madvise        the same as defer+madvise without the background wakeups
//   never          fall back at once
bool thp_may_stall(const ThpSettings& thp, u64 vm_flags) {
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
  auto block = thp_may_stall(m_mm.thp(), vma.flags) ? m_frames.allocate(kHugeOrder)
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

std::optional<FaultResult> AddressSpace::fault_huge_shmem(const Vma& vma, u64 addr, u32 error_code,
                                                          Pte* pde) {
  const bool write = error_code & kFaultWrite;
  // A private mapping's write copies one page (do_cow_fault).
  if (!vma.shared() && write) return std::nullopt;
  const u64 haddr = addr & ~kHugeMask;
  // transhuge_vma_suitable(): the 2 MiB lies inside the VMA and starts at an object index
  // that is itself 2 MiB aligned.
  if (haddr < vma.start || haddr + kHugePageSize > vma.end) return std::nullopt;
  if (vma.page_index(haddr) & (kHugePages - 1)) return std::nullopt;
  MemoryObject& object = *vma.object;
  const u64 index = vma.page_index(page_round_down(addr));
  if (index >= page_round_up(object.size()) >> kPageShift) return std::nullopt;  // SIGBUS
  // A page already there is mapped huge if it is part of a huge page; a hole is worth
  // bringing in here only when it would come in huge.
  const bool had_page = object.find_page(index).has_value();
  if (!had_page && !object.huge_allowed(index, vma.flags)) return std::nullopt;
  auto got = object.get_page(index, vma.flags);
  if (!got.ok()) return std::nullopt;  // the small path reports it
  const Pfn head = compound_head(m_mm, got.value());
  if (!m_mm.frame(head).test(PG_head) || m_mm.frame(head).index != vma.page_index(haddr))
    return std::nullopt;
  // Pinned while the deposit's allocation may reclaim (which then leaves it be); reclaim
  // never fills an empty directory entry.
  m_frames.get(head);
  const bool deposited = deposit_table().ok();
  m_frames.put(head);
  if (!deposited) return std::nullopt;
  VERIFY(pde->none() && m_mm.frame(head).test(PG_head));
  // Shared mappings write the object's page itself; private ones map it read-only.
  const bool writable = vma.shared() && (vma.flags & VM_WRITE) && may_map_writable(vma, write);
  Pte leaf = huge_leaf(leaf_for(vma, head, writable));
  if (writable && write) {
    leaf = leaf.mkdirty();
    m_mm.frame(head).set(PG_dirty);
  }
  for (u64 i = 0; i < kHugePages; ++i) m_frames.get(nth(head, i));
  if (pmd_maps(m_mm, head)++ == 0) ++m_mm.stats().nr_shmem_pmdmapped;
  m_mm.rmap().add(head, this, haddr);
  *pde = leaf;
  ++m_mm.stats().thp_file_mapped;
  FaultResult result;
  result.resolution = had_page ? FaultResolution::CacheHit : FaultResolution::ShmemPage;
  return result;
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
  if (!m_mm.is_huge_zero(head) && !m_mm.frame(head).owner && exclusive_huge(head)) {
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
    // The huge entry's reference on each frame becomes its small entry's; a dirty entry
    // leaves the page dirty (__split_huge_pmd_locked's SetPageDirty).
    if (old.dirty()) m_mm.frame(head).set(PG_dirty);
    m_mm.rmap().remove(head, this, haddr);
    for (u64 i = 0; i < kHugePages; ++i) {
      entries[i] = Pte::leaf(PhysAddr(nth(head, i)), bits);
      m_mm.rmap().add(nth(head, i), this, haddr + i * kPageSize);
    }
  }
  m_page_table.install_table(pde, PhysAddr(table));
  ++m_mm.stats().thp_split_pmd;
  // An anonymous page with no huge entry left stops being compound; a shmem page stays
  // one in its object until split_huge_page.
  if (!zero && pmd_unmapped(m_mm, head)) dissolve_compound(m_mm, head, false);
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
  if (h.test(PG_head)) dissolve_compound(mm, head, false);  // a shmem page
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
  if (pmd_unmapped(m_mm, head)) {
    dissolve_compound(m_mm, head, true);
    return true;
  }
  // Another process still maps the page huge, or its object holds it: no frame's count
  // reaches zero here.
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
  // A shmem page's huge entry in a private mapping is not copied: the child's fault maps
  // it again ("Skip if can be re-fill on fault").
  if (!vma.anonymous()) return {};
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
    ++pmd_maps(m_mm, head);
    m_mm.rmap().add(head, &child, haddr);
  }
  *slot = copy;
  return {};
}

}  // namespace kernel::mm
