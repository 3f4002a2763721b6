// /proc/PID/maps, smaps, smaps_rollup, statm and pagemap, laid out as Linux 6.1's
// fs/proc/task_mmu.c writes them, from what an MmView reports.
#pragma once

#include <span>
#include <string>

#include "kernel/fs/procfs/mm_view.h"
#include "kernel/fs/procfs/seq.h"

namespace kernel::proc {
struct ProgramLayout;
}

namespace kernel::fs::procfs {

std::string render_maps(const MmView& mm);
std::string render_smaps(const MmView& mm);
std::string render_smaps_rollup(const MmView& mm);
std::string render_statm(const MmView& mm, const proc::ProgramLayout& layout);
// The Vm* and Rss* lines of /proc/PID/status (Linux's task_mem).
void render_task_mem(SeqBuf& out, const MmCounters& counters, const proc::ProgramLayout& layout);

// pagemap entry bits.
inline constexpr u64 kPmPfnMask = (u64{1} << 55) - 1;
inline constexpr u64 kPmSoftDirty = u64{1} << 55;
inline constexpr u64 kPmMmapExclusive = u64{1} << 56;
inline constexpr u64 kPmFile = u64{1} << 61;
inline constexpr u64 kPmSwap = u64{1} << 62;
inline constexpr u64 kPmPresent = u64{1} << 63;

// Fills `out` with the pagemap entries of the pages from index `first` on (one per 4 KiB
// page of the address space), stopping at the end of user space. Returns how many were
// filled. PFNs show only when `show_pfn` (Linux: the reader has CAP_SYS_ADMIN).
u64 render_pagemap(const MmView& mm, u64 first, std::span<u64> out, bool show_pfn);

}  // namespace kernel::fs::procfs
