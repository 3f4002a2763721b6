#include "kernel/mm/iovec.h"

#include "kernel/abi/linux.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"

namespace kernel::mm {

bool user_range_ok(u64 addr, u64 len) {
  return len <= kTaskSize && addr <= kTaskSize - len;
}

Result<u64> check_iovecs(std::span<IoSegment> segments) {
  for (const IoSegment& s : segments)
    if (static_cast<i64>(s.len) < 0) return abi::Errno::kEINVAL;
  u64 total = 0;
  for (IoSegment& s : segments) {
    if (!user_range_ok(s.addr, s.len)) return abi::Errno::kEFAULT;
    if (s.len > kMaxRwCount - total) s.len = kMaxRwCount - total;
    total += s.len;
  }
  return total;
}

Result<void> import_iovec(AddressSpace& as, u64 uvec, u64 vlen, ImportedIovec& out) {
  const u64 count = static_cast<u32>(vlen);  // `unsigned nr_segs`
  out.count = 0;
  out.total = 0;
  if (count == 0) return {};
  if (count > kUioMaxIov) return abi::Errno::kEINVAL;
  static_assert(sizeof(abi::Iovec) == sizeof(IoSegment));
  TRY(copy_from_user(as, out.items.data(), uvec, count * sizeof(IoSegment)));
  out.total = TRY(check_iovecs({out.items.data(), count}));
  out.count = count;
  return {};
}

}  // namespace kernel::mm
