#include "kernel/mm/split_huge_pages.h"

#include <algorithm>
#include <vector>

#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {

using x86_64::Pte;

namespace {

// vma_not_suitable_for_thp_split(): vma_is_special_huge() (a PFN-mapped file; emu has no
// DAX), VM_IO and hugetlb.
bool not_suitable_for_thp_split(const Vma& vma) {
  return (vma.file && (vma.flags & (VM_PFNMAP | VM_MIXEDMAP))) ||
         (vma.flags & (VM_IO | VM_HUGETLB));
}

// is_transparent_hugepage() of what follow_page(FOLL_DUMP) gives for pfn: a part of a
// compound page other than the zero pages (FOLL_DUMP refuses those).
bool part_of_thp(MemoryManager& mm, Pfn pfn) {
  if (!mm.frames().manages(pfn) || pfn == mm.zero_page()) return false;
  const PageFrame& f = mm.frame(pfn);
  return (f.test(PG_head) || f.test(PG_tail)) && !f.test(PG_reserved);
}

// The heads of the THPs mapped in [start, end) of one VMA. follow_page() finds a page
// behind a huge entry, a present small entry or a PROT_NONE one (which keeps its frame);
// swap and poison entries have none.
void collect_heads(MemoryManager& mm, AddressSpace& as, u64 start, u64 end,
                   std::vector<Pfn>& heads) {
  x86_64::PageTable& table = as.page_table();
  table.for_each_huge(start, end, [&](u64, Pte& pde) {
    if (part_of_thp(mm, pde.pfn())) heads.push_back(compound_head(mm, pde.pfn()));
  });
  table.for_each_leaf(start, end, [&](u64, Pte& pte) {
    Pfn pfn;
    if (pte.present())
      pfn = pte.pfn();
    else if (pte.soft_type() == Pte::SoftType::ProtNone)
      pfn = Pfn(pte.soft_value());
    else
      return;
    if (part_of_thp(mm, pfn)) heads.push_back(compound_head(mm, pfn));
  });
}

}  // namespace

SplitCounts split_huge_pages_in_range(MemoryManager& mm, AddressSpace& as, u64 start, u64 end) {
  start &= ~(kPageSize - 1);
  end &= ~(kPageSize - 1);
  // 6.1 visits every page with vma_lookup() and follow_page(); the same pages are reached
  // here VMA by VMA through the entries that exist. The pages are found first and split
  // after: splitting changes no VMA and no other THP's mappings.
  std::vector<Pfn> heads;
  for (u64 addr = start; addr < end;) {
    const Vma* vma = as.find_vma(addr);
    if (!vma) break;
    if (not_suitable_for_thp_split(*vma)) {
      // 6.1 sets addr to vm_end and its loop then steps one page further.
      addr = vma->end + kPageSize;
      continue;
    }
    collect_heads(mm, as, addr, std::min(vma->end, end), heads);
    addr = vma->end;
  }
  std::sort(heads.begin(), heads.end());
  heads.erase(std::unique(heads.begin(), heads.end()), heads.end());
  SplitCounts counts;
  for (const Pfn head : heads) {
    ++counts.total;
    if (split_huge_page(mm, head)) ++counts.split;
  }
  return counts;
}

SplitCounts split_huge_pages_in_object(MemoryManager& mm, MemoryObject& object, u64 first,
                                       u64 last) {
  SplitCounts counts;
  for (u64 index = first; index < last;) {
    const auto next = object.next_page(index);  // skips holes a table at a time
    if (!next || *next >= last) break;
    index = *next;
    const auto pfn = object.find_page(index);  // nullopt: in swap
    if (!pfn || !(mm.frame(*pfn).test(PG_head) || mm.frame(*pfn).test(PG_tail))) {
      ++index;
      continue;
    }
    ++counts.total;
    if (split_huge_page(mm, compound_head(mm, *pfn))) ++counts.split;
    // A shmem huge page covers the aligned 512 indices around this one.
    index = (index | (kHugePages - 1)) + 1;
  }
  return counts;
}

SplitCounts split_huge_pages_all(MemoryManager& mm) {
  // A compound page is an order-9 block, aligned to its size in frame numbers, so only
  // those frames can head one.
  FrameAllocator& frames = mm.frames();
  const u64 first = (frames.first().value + kHugePages - 1) & ~(kHugePages - 1);
  const u64 end = frames.first().value + frames.total_frames();
  SplitCounts counts;
  for (u64 value = first; value < end; value += kHugePages) {
    const Pfn pfn(value);
    // get_page_unless_zero() passes over free frames; then PageHead, not hugetlb, PageLRU.
    if (frames.is_free(pfn)) continue;
    const PageFrame& f = mm.frame(pfn);
    if (!f.test(PG_head) || f.test(PG_reserved) || !f.test(PG_lru)) continue;
    ++counts.total;
    if (split_huge_page(mm, pfn)) ++counts.split;
  }
  return counts;
}

}  // namespace kernel::mm
