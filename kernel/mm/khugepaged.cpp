// Collapsing small pages into huge ones, after Linux 6.1's mm/khugepaged.c: the scan of one
// aligned 2 MiB range (hpage_collapse_scan_pmd), the collapse itself (collapse_huge_page),
// MADV_COLLAPSE (madvise_collapse, with its "best effort" errno rules) and the khugepaged
// step that Kernel::tick runs (khugepaged_do_scan, paced by the sysfs knobs).
#include "kernel/mm/khugepaged.h"

#include <algorithm>
#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;
using Scan = AddressSpace::ScanResult;

AddressSpace::ScanResult AddressSpace::collapse_scan_pmd(u64 haddr, bool khugepaged) {
  const ThpSettings& thp = m_mm.thp();
  VmStats& stats = m_mm.stats();
  // The limits apply to khugepaged only; MADV_COLLAPSE takes any range it can.
  const u32 max_none = khugepaged ? thp.max_ptes_none : kHugePages;
  const u32 max_swap = khugepaged ? thp.max_ptes_swap : kHugePages;
  const u32 max_shared = khugepaged ? thp.max_ptes_shared : kHugePages;

  // One pass over the page table: `final` is the check after the allocation (Linux's
  // __collapse_huge_page_isolate), when no swap entry may be left and nothing is counted.
  auto scan = [&](bool final, u32& unmapped) -> Scan {
    const Vma* vma = find_vma(haddr);
    if (!vma || haddr < vma->start || haddr + kHugePageSize > vma->end ||
        !thp_vma_allowed(*vma, false, khugepaged, false))
      return Scan::VmaCheck;
    Pte* pde = m_page_table.entry(haddr, 2, x86_64::Allocate::No);
    if (!pde || pde->none()) return Scan::PmdNull;
    if (pde->huge()) return Scan::PmdMapped;
    const Pte* ptes = reinterpret_cast<const Pte*>(m_ram.at(pde->address()));
    u32 none_or_zero = 0, shared = 0, referenced = 0;
    bool writable = false;
    unmapped = 0;
    for (u64 i = 0; i < kHugePages; ++i) {
      const Pte pte = ptes[i];
      if (pte.soft_type() == Pte::SoftType::Swap) {
        if (final) return Scan::PageNull;
        if (++unmapped <= max_swap) continue;
        ++stats.thp_scan_exceed_swap_pte;
        return Scan::ExceedSwapPte;
      }
      if (pte.none() || (pte.present() && pte.pfn() == m_zero_page)) {
        if (++none_or_zero <= max_none) continue;
        if (!final) ++stats.thp_scan_exceed_none_pte;
        return Scan::ExceedNonePte;
      }
      // PROT_NONE, poison and migration entries: no page to take.
      if (!pte.present()) return Scan::PageNull;
      if (pte.writable()) writable = true;
      const PageFrame& record = m_mm.frame(pte.pfn());
      if (record.owner || record.test(PG_ksm)) return Scan::PageNull;
      // A subpage of a huge page another process maps huge counts that mapping too.
      const u32 mapcount = page_mapcount(m_mm, pte.pfn());
      if (mapcount > 1 && ++shared > max_shared) {
        if (!final) ++stats.thp_scan_exceed_share_pte;
        return Scan::ExceedSharedPte;
      }
      // A compound page is on the LRU by its head.
      if (!m_mm.frame(compound_head(m_mm, pte.pfn())).test(PG_lru)) return Scan::PageLru;
      // is_refcount_suitable(): no reference beyond the mappers and the swap cache.
      if (record.refcount != mapcount + (record.test(PG_swapcache) ? 1u : 0u))
        return Scan::PageCount;
      if (pte.accessed() || record.test(PG_referenced)) ++referenced;
    }
    if (!writable) return Scan::PageRo;
    if (khugepaged && (!referenced || (unmapped && referenced < kHugePages / 2)))
      return Scan::LackReferencedPage;
    return Scan::Succeed;
  };

  u32 unmapped = 0;
  const Scan first = scan(false, unmapped);
  if (first != Scan::Succeed) return first;
  // __collapse_huge_page_swapin(): swapped pages come back first.
  if (unmapped) {
    for (u64 i = 0; i < kHugePages; ++i) {
      const u64 va = haddr + i * kPageSize;
      if (m_page_table.lookup(va).pte.soft_type() != Pte::SoftType::Swap) continue;
      const FaultResult r = handle_fault(va, kFaultUser);
      if (r.resolution == FaultResolution::OutOfMemory) return Scan::AllocHugePageFail;
      if (!r.handled()) return Scan::PageNull;
    }
  }
  // alloc_charge_hpage(): khugepaged stalls in reclaim only when its defrag knob says so;
  // MADV_COLLAPSE always may.
  const bool may_reclaim = !khugepaged || thp.khugepaged_defrag;
  auto block =
      may_reclaim ? m_frames.allocate(kHugeOrder) : m_frames.allocate_no_reclaim(kHugeOrder);
  if (!block) {
    ++stats.thp_collapse_alloc_failed;
    return Scan::AllocHugePageFail;
  }
  ++stats.thp_collapse_alloc;
  // Reclaim may have changed the range meanwhile: check it again.
  const Scan again = scan(true, unmapped);
  if (again != Scan::Succeed) {
    m_frames.free(*block, kHugeOrder);
    return again;
  }
  const Vma& vma = *find_vma(haddr);
  Pte* pde = m_page_table.entry(haddr, 2, x86_64::Allocate::No);
  Pte* ptes = reinterpret_cast<Pte*>(m_ram.at(pde->address()));
  // __collapse_huge_page_copy(): each page copied (absent and zero pages as zeros) and
  // its small entry dropped.
  for (u64 i = 0; i < kHugePages; ++i) {
    const Pfn dst(block->value + i);
    const Pte pte = ptes[i];
    if (pte.present() && pte.pfn() != m_zero_page)
      std::memcpy(m_ram.frame(dst), m_ram.frame(pte.pfn()), kPageSize);
    else
      std::memset(m_ram.frame(dst), 0, kPageSize);
    if (!pte.none()) drop_leaf(&ptes[i], haddr + i * kPageSize);
  }
  // The emptied page table becomes the huge entry's deposit.
  const Pfn table = m_page_table.remove_table(pde).pfn();
  m_mm.frame(table).index = m_deposit_head;
  m_deposit_head = table.value + 1;
  ++m_deposited;
  make_compound(m_mm, *block);
  *pde = leaf_for(vma, *block, vma.flags & VM_WRITE).with(Pte::kPageSize).mkdirty();
  m_mm.rmap().add(*block, this, haddr);
  m_mm.lru().add(*block);
  m_mm.flush_tlb("collapse", haddr, haddr + kHugePageSize);
  ++m_mm.khugepaged().pages_collapsed;
  return Scan::Succeed;
}

Result<void> AddressSpace::collapse_range(u64 start, u64 end) {
  const Vma* vma = find_vma(start);
  if (!vma || !thp_vma_allowed(*vma, false, false, false)) return abi::Errno::kEINVAL;
  const u64 hstart = (start + kHugeMask) & ~kHugeMask;
  const u64 hend = end & ~kHugeMask;
  u64 thps = 0;
  Scan last_fail = Scan::VmaCheck;  // SCAN_FAIL: EINVAL when no range was looked at
  bool stop = false;
  for (u64 addr = hstart; addr < hend && !stop; addr += kHugePageSize) {
    const Scan result = collapse_scan_pmd(addr, false);
    switch (result) {
      case Scan::Succeed:
      case Scan::PmdMapped:
        ++thps;
        break;
      // madvise_collapse's list of results after which it goes on to the next range.
      case Scan::PmdNull:
      case Scan::PageRo:
      case Scan::LackReferencedPage:
      case Scan::PageNull:
      case Scan::PageCount:
      case Scan::PageLru:
        last_fail = result;
        break;
      default:
        last_fail = result;
        stop = true;
        break;
    }
  }
  // A range holding no aligned huge page: nothing to do when it ends at its first boundary,
  // EINVAL when it lies inside one huge page (6.1's arithmetic on hend - hstart).
  if (hend >= hstart && thps == (hend - hstart) / kHugePageSize) return {};
  // madvise_collapse_errno().
  switch (last_fail) {
    case Scan::AllocHugePageFail:
      return abi::Errno::kENOMEM;
    case Scan::PageCount:
    case Scan::PageLru:
      return abi::Errno::kEAGAIN;
    default:
      return abi::Errno::kEINVAL;
  }
}

u64 khugepaged_next_scan_ns(const MemoryManager& mm) {
  // khugepaged_has_work(): in madvise mode only processes that used MADV_HUGEPAGE are on
  // its list; in always mode every process with anonymous memory is.
  const ThpEnabled enabled = mm.thp().enabled;
  if (enabled == ThpEnabled::Never) return 0;
  const std::vector<AddressSpace*>& spaces = mm.address_spaces();
  if (enabled == ThpEnabled::Madvise &&
      std::none_of(spaces.begin(), spaces.end(),
                   [](const AddressSpace* as) { return as->khugepaged_entered(); }))
    return 0;
  const u64 next = mm.khugepaged_state().next_scan_ns;
  return next ? next : 1;
}

void khugepaged_step(MemoryManager& mm, u64 now_ns) {
  const ThpSettings& thp = mm.thp();
  MemoryManager::KhugepagedState& state = mm.khugepaged();
  // khugepaged runs while THP is enabled at all (hugepage_flags_enabled()).
  if (thp.enabled == ThpEnabled::Never || now_ns < state.next_scan_ns) return;
  constexpr u64 kMs = 1'000'000;
  // khugepaged_scan_mm_slot(): a range scanned costs HPAGE_PMD_NR pages of the budget, a
  // VMA skipped one.
  u64 progress = 0;
  const std::vector<AddressSpace*>& spaces = mm.address_spaces();
  while (progress < thp.pages_to_scan) {
    if (state.space_index >= spaces.size()) {
      ++state.full_scans;
      state.space_index = 0;
      state.address = 0;
      break;
    }
    AddressSpace& as = *spaces[state.space_index];
    bool finished = true;
    for (auto it = as.vmas().upper_bound(state.address);;) {
      // The VMA holding state.address, or the next one.
      if (it != as.vmas().begin() && std::prev(it)->second.end > state.address) --it;
      if (it == as.vmas().end()) break;
      const Vma& vma = it->second;
      const u64 vma_end = vma.end;
      if (!as.thp_vma_allowed(vma, false, true, false)) {
        ++progress;
        state.address = vma_end;
      } else {
        u64 haddr = std::max((vma.start + kHugeMask) & ~kHugeMask,
                             (state.address + kHugeMask) & ~kHugeMask);
        const u64 hend = vma_end & ~kHugeMask;
        bool alloc_failed = false;
        for (; haddr < hend && progress < thp.pages_to_scan; haddr += kHugePageSize) {
          const auto result = as.collapse_scan_pmd(haddr, true);
          progress += kHugePages;
          if (result == AddressSpace::ScanResult::AllocHugePageFail) {
            alloc_failed = true;
            haddr += kHugePageSize;
            break;
          }
        }
        state.address = haddr >= hend ? vma_end : haddr;
        if (alloc_failed) {
          // khugepaged_alloc_sleep(): back off for alloc_sleep_millisecs.
          state.next_scan_ns = now_ns + thp.alloc_sleep_millisecs * kMs;
          return;
        }
      }
      if (progress >= thp.pages_to_scan) {
        finished = false;
        break;
      }
      it = as.vmas().upper_bound(state.address);
    }
    if (!finished) break;
    ++state.space_index;
    state.address = 0;
  }
  state.next_scan_ns = now_ns + thp.scan_sleep_millisecs * kMs;
}

}  // namespace kernel::mm
