// Importing a guest's struct iovec array (readv, writev, process_madvise) with the checks
// of Linux 6.1's import_iovec() (lib/iov_iter.c): the count, then every length, then every
// range, each length clamped so that the total never exceeds MAX_RW_COUNT.
#pragma once

#include <array>
#include <span>

#include "kernel/base/result.h"
#include "kernel/base/types.h"

namespace kernel::mm {

class AddressSpace;

inline constexpr u64 kUioMaxIov = 1024;         // UIO_MAXIOV (IOV_MAX)
inline constexpr u64 kMaxRwCount = 0x7ffff000;  // MAX_RW_COUNT: INT_MAX & PAGE_MASK

// Linux's access_ok(): the whole range lies below the top of user space.
bool user_range_ok(u64 addr, u64 len);

struct IoSegment {
  u64 addr;
  u64 len;
};

// The imported array. It lives on the caller's stack: the I/O path allocates nothing.
struct ImportedIovec {
  std::array<IoSegment, kUioMaxIov> items;
  u64 count = 0;
  u64 total = 0;  // the sum of the (clamped) lengths: iov_iter_count()
  std::span<const IoSegment> span() const { return {items.data(), count}; }
};

// __import_iovec's checks on segments already copied in: EINVAL when any length is
// negative as a ssize_t (checked over all of them first, as copy_iovec_from_user does),
// then, segment by segment, EFAULT for a range outside user space, and each length
// clamped to what is left of MAX_RW_COUNT. Answers the total.
Result<u64> check_iovecs(std::span<IoSegment> segments);

// import_iovec(): `vlen` is truncated to unsigned int as Linux's prototype does; 0 segments
// is an empty import, more than UIO_MAXIOV is EINVAL, an unreadable array EFAULT.
Result<void> import_iovec(AddressSpace& as, u64 uvec, u64 vlen, ImportedIovec& out);

}  // namespace kernel::mm
