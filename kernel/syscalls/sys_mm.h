// What the memory syscalls share with other families.
#pragma once

#include "kernel/base/result.h"

namespace kernel::mm {
class AddressSpace;
}

namespace kernel::syscalls {

// Linux 6.1's do_madvise(): checks [start, start + len_in) as madvise does and applies
// `advice` to it in `as`, which may be another process's (process_madvise).
Result<void> do_madvise(mm::AddressSpace& as, u64 start, u64 len_in, int advice);

}  // namespace kernel::syscalls
