// /proc/kpageflags and /proc/kpagecount (Linux 6.1's fs/proc/page.c): one u64 per physical
// frame, indexed by frame number, read straight from the frame records. Only the frames a
// read asks for are looked at, so a read costs what it returns.
#pragma once

#include <span>

#include "kernel/base/result.h"
#include "kernel/base/types.h"

namespace kernel::mm {
class MemoryManager;
}

namespace kernel::fs::procfs {

// get_max_dump_pfn(): RAM's frames rounded up to a whole memory section (x86-64's sparse
// memory model, 128 MiB). The frames past RAM in the last section are the unavailable range
// 6.1's memmap_init() marks reserved; a read stops at the section's end.
u64 kpage_dump_frames(const mm::MemoryManager& mm);

// stable_page_flags(): the KPF_* bits (abi::kKPF_*) of frame pfn, which must lie below
// kpage_dump_frames().
u64 stable_page_flags(mm::MemoryManager& mm, Pfn pfn);

// kpagecount's value: page_mapcount() of the frame (a part of a compound page counts the
// huge entries mapping the whole page too); 0 for free, page-table and reserved frames.
u64 kpage_mapcount(mm::MemoryManager& mm, Pfn pfn);

// The entries of frames [first, first + out.size()) into out; how many there were (fewer
// at the end of the dump range, none past it).
u64 read_kpageflags(mm::MemoryManager& mm, u64 first, std::span<u64> out);
u64 read_kpagecount(mm::MemoryManager& mm, u64 first, std::span<u64> out);

}  // namespace kernel::fs::procfs
