// The settings of /sys/kernel/mm/transparent_hugepage and its khugepaged directory, as
// Linux 6.1's mm/huge_memory.c and mm/khugepaged.c keep them. The kernel's tunables own
// one instance; the memory manager reads it on every decision.
#pragma once

#include "kernel/base/types.h"

namespace kernel::mm {

enum class ThpEnabled : u8 { Always, Madvise, Never };
enum class ThpDefrag : u8 { Always, Defer, DeferMadvise, Madvise, Never };
enum class ShmemHuge : u8 { Always, WithinSize, Advise, Never, Deny, Force };

struct ThpSettings {
  // Linux's default is the build's choice (CONFIG_TRANSPARENT_HUGEPAGE_MADVISE here).
  ThpEnabled enabled = ThpEnabled::Madvise;
  ThpDefrag defrag = ThpDefrag::Madvise;
  bool use_zero_page = true;
  // shmem_enabled: the huge-page policy of memfd and shared anonymous memory (the internal
  // shm mount); force and deny also override the tmpfs mounts' huge=never.
  ShmemHuge shmem_enabled = ShmemHuge::Never;
  // khugepaged (mm/khugepaged.c defaults; HPAGE_PMD_NR = 512).
  u32 scan_sleep_millisecs = 10000;
  u32 alloc_sleep_millisecs = 60000;
  u32 pages_to_scan = 4096;   // HPAGE_PMD_NR * 8
  u32 max_ptes_none = 511;    // HPAGE_PMD_NR - 1
  u32 max_ptes_swap = 64;     // HPAGE_PMD_NR / 8
  u32 max_ptes_shared = 256;  // HPAGE_PMD_NR / 2
  bool khugepaged_defrag = true;
};

}  // namespace kernel::mm
