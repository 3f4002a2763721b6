// The khugepaged step (khugepaged.cpp): Kernel::tick calls it; it scans up to
// pages_to_scan pages of eligible VMAs every scan_sleep_millisecs and collapses the ranges
// that pass the max_ptes_* limits.
#pragma once

#include "kernel/base/types.h"

namespace kernel::mm {

class MemoryManager;

void khugepaged_step(MemoryManager& mm, u64 now_ns);

// When the next step is due (monotonic ns), so that a machine whose threads all sleep still
// wakes for it, as khugepaged's own thread does; 0 while it has no work (THP disabled, or
// madvise mode with no process that used MADV_HUGEPAGE).
u64 khugepaged_next_scan_ns(const MemoryManager& mm);

}  // namespace kernel::mm
