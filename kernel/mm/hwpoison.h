// Hardware poison: Linux 6.1's mm/memory-failure.c for emu's page kinds. memory_failure()
// marks a frame HWPoison, takes it away from every mapper through the reverse map and
// handles it by what the page is (free, kernel, anonymous, swap cache, page cache, shmem,
// huge, KSM); soft_offline() moves a page's contents to a fresh frame first, so nothing is
// lost. Which processes hear of it (SIGBUS BUS_MCEERR_AR / AO) is the kernel's part
// (kernel_poison.cpp): this layer reports every mapper it took the page from.
#pragma once

#include <vector>

#include "kernel/base/result.h"
#include "kernel/base/types.h"

namespace kernel::mm {

class AddressSpace;
class MemoryManager;

// memory_failure()'s flags (include/linux/mm.h MF_*).
inline constexpr u32 kMfCountIncreased = 1u << 0;  // the caller holds a reference (madvise)
inline constexpr u32 kMfActionRequired = 1u << 1;  // the CPU consumed the poison (an access)
inline constexpr u32 kMfSwSimulated = 1u << 5;     // injected by software (MADV_HWPOISON)

// What the failed page was (6.1's error_states, MF_MSG_*).
enum class PoisonedPage : u8 {
  Free,            // in the buddy allocator: taken off for good
  Kernel,          // reserved (the zero page), a page table, a frame the kernel keeps
  Anon,            // private anonymous memory
  Ksm,             // a KSM-merged page: 6.1 cannot handle it
  Huge,            // part of a compound page
  SwapCacheDirty,  // anonymous, in the swap cache, newer than its slot
  SwapCacheClean,  // anonymous, in the swap cache, its slot holds the same data
  FileDirty,       // page cache of a file, with data not yet written back
  FileClean,       // page cache of a file, the same as on disk
  Shmem,           // tmpfs, memfd, shared anonymous memory: RAM is the only copy
  Unknown,         // allocated, but owned by nothing memory_failure knows
};
const char* poisoned_page_name(PoisonedPage kind);

// How it ended (MF_IGNORED, MF_FAILED, MF_DELAYED, MF_RECOVERED).
enum class PoisonOutcome : u8 { Ignored, Failed, Delayed, Recovered };
const char* poison_outcome_name(PoisonOutcome outcome);

// One page-table entry that mapped the page, and what replaced it.
struct PoisonMapper {
  AddressSpace* as;
  u64 va;
  bool hwpoison_entry;  // a hwpoison entry (the data is gone) rather than no entry / swap
};

struct MemoryFailure {
  bool already_poisoned = false;  // PG_hwpoison was set before: nothing more is done
  PoisonedPage kind = PoisonedPage::Unknown;
  PoisonOutcome outcome = PoisonOutcome::Ignored;
  // The mappers lose data and must be told (kill_procs' forcekill): dirty or anonymous
  // pages. A clean file page is re-read instead, and nobody hears of it.
  bool kill = false;
  std::vector<PoisonMapper> mappers;  // collected before the unmap (collect_procs)

  // What memory_failure() returns: 0 once recovered or delayed, EHWPOISON for a page
  // already poisoned, EBUSY otherwise.
  int error() const;
};

// Linux's memory_failure(pfn, flags) up to kill_procs: sets PG_hwpoison (HardwareCorrupted
// grows by a page), unmaps the page from every mapper and handles it by kind. Frames the
// frame allocator does not manage (frame 0, the kernel's records) count as kernel pages.
MemoryFailure memory_failure(MemoryManager& mm, Pfn pfn, u32 flags);

// soft_offline_page(): the page's contents move to a fresh frame that every mapper (and the
// page's object or swap-cache slot) takes over; the old frame is retired as HWPoison. A
// free frame is simply taken off the free lists. Returns the new frame (the same frame for
// a free one). EBUSY for pages that cannot move (kernel, KSM, huge), ENOMEM without a frame.
struct SoftOffline {
  Pfn to;
  u32 mappers = 0;  // entries remapped
  bool was_free = false;
  bool already_poisoned = false;
};
Result<SoftOffline> soft_offline(MemoryManager& mm, Pfn pfn);

}  // namespace kernel::mm
