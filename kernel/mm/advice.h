// The madvise advice table: one row per advice value Linux 6.1 knows, with its name, the
// VMAs it refuses, whether process_madvise accepts it, and the handler that applies it.
// The syscall layer validates and names advice from this table; the address space walks
// VMAs and calls the row's handler on each piece (mm/madvise.c's madvise_walk_vmas).
#pragma once

#include <span>

#include "kernel/base/result.h"

namespace kernel::mm {

class AddressSpace;

// A handler applies advice to [start, end), which lies inside one VMA.
using AdviceHandler = Result<void> (*)(AddressSpace& as, u64 start, u64 end, int advice);

struct AdviceInfo {
  int value;
  const char* name;      // "MADV_DONTNEED"
  u64 refused_vm_flags;  // a VMA with any of these VM_* flags gives EINVAL
  bool process_madvise;  // accepted by process_madvise (another process's memory)
  // False for advice whose subsystem the kernel lacks: EINVAL, as from a Linux built
  // without it. Every advice in the table has its subsystem now.
  bool supported;
  AdviceHandler handler;
  const char* effect;  // what the advice does here, in a few words (docs, --trace)
};

std::span<const AdviceInfo> advice_table();
// The row for `advice`, or nullptr when Linux 6.1 does not know the value (EINVAL).
const AdviceInfo* find_advice(int advice);

}  // namespace kernel::mm
