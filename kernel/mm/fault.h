// The page-fault contract between the machine and the kernel: what the MMU reports
// (address and x86 error code) and what the kernel did about it.
#pragma once

#include "kernel/base/types.h"

namespace kernel::mm {

// x86 page-fault error code bits, as the hardware pushes them.
inline constexpr u32 kFaultPresent = 1u << 0;
inline constexpr u32 kFaultWrite = 1u << 1;
inline constexpr u32 kFaultUser = 1u << 2;
inline constexpr u32 kFaultFetch = 1u << 4;

enum class FaultResolution : u8 {
  ZeroPage,      // read of untouched anonymous memory: the shared zero page, read-only
  NewAnonPage,   // a fresh zero-filled frame
  CowZeroPage,   // write to the shared zero page: a fresh zero-filled frame replaces it
  CowCopy,       // write to a shared frame: copied into a private one
  CowReuse,      // write to a read-only private frame nobody else maps: made writable
  FileRead,      // a page read from the backing file into its page cache
  CacheHit,      // the object already held the page (page cache, tmpfs, shared memory)
  ShmemPage,     // a fresh zero-filled page added to a shared memory object
  CowFile,       // write to a private file mapping: the object page copied into an own frame
  WriteShared,   // write to a read-only entry of a shared mapping: made writable in place
  SwapIn,        // a swap entry: the page read back from swap (or found in the swap cache)
  HugeZeroPage,  // read of untouched memory that may be huge: the huge zero page, read-only
  NewHugePage,   // a fresh zero-filled 2 MiB page mapped by one page-directory entry
  Spurious,      // the entry already allowed the access (a stale translation)
  SegvMapErr,    // no mapping there: SIGSEGV SEGV_MAPERR
  SegvAccErr,    // mapping forbids the access: SIGSEGV SEGV_ACCERR
  BusAdrErr,     // file page beyond end of file: SIGBUS BUS_ADRERR
  BusMceErr,     // a hardware-poisoned page (hwpoison entry or frame): SIGBUS BUS_MCEERR_AR
  OutOfMemory,   // no frame could be had
};

const char* fault_resolution_name(FaultResolution r);

struct FaultResult {
  FaultResolution resolution = FaultResolution::SegvMapErr;
  bool stack_grown = false;       // the stack VMA was extended down to the address
  bool replaced_present = false;  // a present entry changed: stale translations must go
  bool major = false;             // the page had to be read from swap (a major fault)

  bool handled() const { return resolution <= FaultResolution::Spurious; }
  int signal() const;  // the signal a failed fault raises (0 when handled)
  int si_code() const;
};

}  // namespace kernel::mm
