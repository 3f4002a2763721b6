// The khugepaged step (khugepaged.cpp): Kernel::tick calls it; it scans up to
// pages_to_scan pages of eligible VMAs every scan_sleep_millisecs and collapses the ranges
// that pass the max_ptes_* limits.
#pragma once

#include "kernel/base/types.h"

namespace kernel::mm {

class MemoryManager;

void khugepaged_step(MemoryManager& mm, u64 now_ns);

}  // namespace kernel::mm
