// Transparent huge pages (Linux 6.1's mm/huge_memory.c), anonymous and shmem: the
// entry points other parts of the kernel call. The fault, split and collapse work itself
// lives in AddressSpace (huge_memory.cpp, khugepaged.cpp).
#pragma once

#include "kernel/base/types.h"

namespace kernel::mm {

class MemoryManager;
struct ThpSettings;

inline constexpr unsigned kHugeOrder = 9;
inline constexpr u64 kHugePages = u64{1} << kHugeOrder;  // HPAGE_PMD_NR
inline constexpr u64 kHugeMask = kHugePageSize - 1;

// split_huge_page(): every huge entry mapping the compound page headed by `head` becomes a
// page table of 512 small entries, and the page becomes 512 order-0 pages. False when
// `head` heads no huge page (already split, or the huge zero page, which is never split
// as a page). Memory failure, reclaim and KSM call it; a single process's need (a COW
// write, a partial unmap) splits only its own entry (AddressSpace::split_huge_pmd).
bool split_huge_page(MemoryManager& mm, Pfn head);

// The head of the compound page that holds pfn (pfn itself when it heads one or is a
// small page).
Pfn compound_head(MemoryManager& mm, Pfn pfn);

// Whether a huge-page allocation for a VMA with `vm_flags` may stall in direct reclaim
// (the `defrag` setting; alloc_hugepage_direct_gfpmask).
bool thp_may_stall(const ThpSettings& thp, u64 vm_flags);

// Marks the order-9 block at `head` a compound page: PG_head and PG_tail, every tail with
// one reference (its holder's: the huge entry or the object), no huge entry yet.
void prep_compound(MemoryManager& mm, Pfn head);

// Marks the order-9 block at `head` a compound anonymous page held by the one huge entry
// about to map it: every frame gets that entry's reference (the allocation gave the head
// its own).
void make_compound(MemoryManager& mm, Pfn head);

// The huge entries mapping the compound page headed by `head` (Linux's compound_mapcount).
u64 compound_mapcount(MemoryManager& mm, Pfn head);

// The entries mapping pfn, small and huge (Linux's page_mapcount): a subpage of a compound
// page counts the huge entries that map the whole page besides its own small entries.
u32 page_mapcount(MemoryManager& mm, Pfn pfn);

}  // namespace kernel::mm
