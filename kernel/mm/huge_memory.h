// Transparent huge pages of private anonymous memory (Linux 6.1's mm/huge_memory.c): the
// entry points other parts of the kernel call. The fault, split and collapse work itself
// lives in AddressSpace (huge_memory.cpp, khugepaged.cpp).
#pragma once

#include "kernel/base/types.h"

namespace kernel::mm {

class MemoryManager;

inline constexpr unsigned kHugeOrder = 9;
inline constexpr u64 kHugePages = u64{1} << kHugeOrder;  // HPAGE_PMD_NR
inline constexpr u64 kHugeMask = kHugePageSize - 1;

// split_huge_page(): every huge entry mapping the compound page headed by `head` becomes a
// page table of 512 small entries, and the page becomes 512 order-0 pages, each with one
// reference and one reverse-map item per mapper. False when `head` heads no huge page
// (already split, or the huge zero page, which is never split as a page). Memory failure,
// reclaim and the fault path call it.
bool split_huge_page(MemoryManager& mm, Pfn head);

// The head of the compound page that holds pfn (pfn itself when it heads one or is a
// small page).
Pfn compound_head(MemoryManager& mm, Pfn pfn);

}  // namespace kernel::mm
