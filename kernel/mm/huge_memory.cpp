// Transparent huge pages of private anonymous memory, after Linux 6.1's mm/huge_memory.c:
// the huge fault (do_huge_pmd_anonymous_page, with the huge zero page for reads), the
// write fault on a huge entry (do_huge_pmd_wp_page), splitting (split_huge_page and the
// PMD splits that VMA splits, partial unmaps and protection changes need), fork's
// copy_huge_pmd, and the page-table work of unmap and mprotect over huge entries.
//
// Accounting of a compound page while huge entries map it:
//   head record  PG_head | PG_anon, on the LRU; refcount = huge entries + transient pins;
//                mapcount = huge entries, each with one reverse-map item (va = the 2 MiB
//                aligned address)
//   tail records PG_tail, refcount 0, mapcount 0, no reverse-map items
// A compound page is never mapped by small entries: splitting turns it into 512 ordinary
// pages at once, for every mapper (see split_huge_page).
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
  for (u64 i = 0; i < kHugePages; ++i) {
    std::memset(m_ram.frame(nth(*block, i)), 0, kPageSize);
    if (i) m_mm.frame(nth(*block, i)).set(PG_tail);
  }
  PageFrame& head = m_mm.frame(*block);
  head.set(PG_head);
  head.set(PG_anon);
  *pde = huge_leaf(leaf_for(vma, *block, vma.flags & VM_WRITE)).mkdirty();
  m_mm.rmap().add(*block, this, haddr);
  m_mm.lru().add(*block);
  ++stats.thp_fault_alloc;
  result.resolution = FaultResolution::NewHugePage;
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
  // writable in place; a shared one (after fork) is split and the write copies one page.
  if (!m_mm.is_huge_zero(head) && m_frames.refcount(head) == 1 && m_mm.frame(head).mapcount == 1) {
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
    m_mm.rmap().remove(head, this, haddr);
    for (u64 i = 0; i < kHugePages; ++i) {
      entries[i] = Pte::leaf(PhysAddr(nth(head, i)), bits);
      // The huge entry's reference becomes the first page's; the others gain one each.
      if (i) m_frames.get(nth(head, i));
      m_mm.rmap().add(nth(head, i), this, haddr + i * kPageSize);
    }
  }
  m_page_table.install_table(pde, PhysAddr(table));
  ++m_mm.stats().thp_split_pmd;
}

bool split_huge_page(MemoryManager& mm, Pfn head) {
  PageFrame& h = mm.frame(head);
  if (!h.test(PG_head) || h.test(PG_reserved)) return false;
  mm.rmap().for_each(head, [&](ReverseMap::Mapping m) { m.as->split_pmd_mapping(m.va); });
  // The compound page is now 512 ordinary anonymous pages. A tail nobody maps (only a
  // pin held the head) is free at once.
  const u32 shared_flags = h.flags & (PG_anon | PG_dirty | PG_swapbacked);
  for (u64 i = 1; i < kHugePages; ++i) {
    const Pfn pfn = nth(head, i);
    PageFrame& f = mm.frame(pfn);
    f.flags = shared_flags;
    if (f.refcount == 0) {
      f.refcount = 1;
      mm.frames().put(pfn);
      continue;
    }
    mm.lru().add(pfn);
  }
  h.clear(PG_head);
  ++mm.stats().thp_split_page;
  return true;
}

void AddressSpace::split_huge_pmd(u64 va) {
  Pte* pde = m_page_table.entry(va, 2, x86_64::Allocate::No);
  if (!pde || !pde->present() || !pde->huge()) return;
  if (m_mm.is_huge_zero(pde->pfn()))
    split_pmd_mapping(va & ~kHugeMask);
  else
    VERIFY(split_huge_page(m_mm, pde->pfn()));
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
  m_frames.put(head);
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
    m_frames.get(head);
    m_mm.rmap().add(head, &child, haddr);
  }
  *slot = copy;
  return {};
}

}  // namespace kernel::mm
