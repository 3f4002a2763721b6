// What debugfs's split_huge_pages does (Linux 6.1's mm/huge_memory.c, CONFIG_DEBUG_FS):
// split the transparent huge pages one process maps in a range, or every one in RAM, with
// split_huge_page(). The file itself (parsing, permissions) is in fs/sysfs/debugfs.cpp.
#pragma once

#include "kernel/base/types.h"

namespace kernel::mm {

class AddressSpace;
class MemoryManager;
class MemoryObject;

// THPs found and THPs split (6.1's pr_debug "%lu of %lu THP split").
struct SplitCounts {
  u64 total = 0;
  u64 split = 0;
};

// split_huge_pages_pid()'s walk of [start, end) (both rounded down to pages): every THP
// that a page of the range maps, huge or through small entries, is split for all its
// mappers. As 6.1's page-by-page walk, it stops at the first address no VMA holds and skips
// special (VM_IO, PFN-mapped file, hugetlb) VMAs together with the page after each; the
// zero pages are left alone. Its cost follows the VMAs and the entries in the range.
SplitCounts split_huge_pages_in_range(MemoryManager& mm, AddressSpace& as, u64 start, u64 end);

// split_huge_pages_in_file()'s walk of pages [first, last) of an object: each huge page
// found is split. Its cost follows the pages the object holds there.
SplitCounts split_huge_pages_in_object(MemoryManager& mm, MemoryObject& object, u64 first,
                                       u64 last);

// split_huge_pages_all(): every THP in RAM (a compound head on the LRU; not the huge zero
// page).
SplitCounts split_huge_pages_all(MemoryManager& mm);

}  // namespace kernel::mm
