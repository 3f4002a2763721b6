// The iovec import of readv, writev and process_madvise against Linux 6.1's
// import_iovec(): the count, the lengths, the ranges and the MAX_RW_COUNT clamp, each
// checked in Linux's order.
#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/mm/iovec.h"
#include "kernel/mm/uaccess.h"

namespace {

using kernel::u64;
using kernel::abi::Errno;
using kernel::mm::IoSegment;
using kernel::mm::kMaxRwCount;

constexpr u64 kNegative = u64{1} << 63;
constexpr u64 kKernelAddress = 0xffff'8000'0000'0000;
constexpr u64 kTopOfUser = 0x7fff'ffff'f000;  // TASK_SIZE_MAX

Errno check_error(std::vector<IoSegment> segs) {
  auto r = kernel::mm::check_iovecs(segs);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

}  // namespace

TEST_CASE("check_iovecs: the total of good segments, unchanged", "[iovec]") {
  std::vector<IoSegment> segs{{0x1000, 10}, {0x5000, 0}, {0x9000, 4096}};
  auto r = kernel::mm::check_iovecs(segs);
  REQUIRE(r.ok());
  CHECK(r.value() == 4106);
  CHECK(segs[0].len == 10);
  CHECK(segs[2].len == 4096);
}

TEST_CASE("check_iovecs: a negative length is EINVAL before any bad range", "[iovec]") {
  CHECK(check_error({{0x1000, kNegative}}) == Errno::kEINVAL);
  // copy_iovec_from_user checks every length before __import_iovec checks any range.
  CHECK(check_error({{kKernelAddress, 1}, {0x1000, kNegative}}) == Errno::kEINVAL);
  CHECK(check_error({{0x1000, ~u64{0}}}) == Errno::kEINVAL);
}

TEST_CASE("check_iovecs: a range outside user space is EFAULT (access_ok)", "[iovec]") {
  CHECK(check_error({{kKernelAddress, 1}}) == Errno::kEFAULT);
  CHECK(check_error({{kTopOfUser, 1}}) == Errno::kEFAULT);
  CHECK(check_error({{kTopOfUser - 4096, 4097}}) == Errno::kEFAULT);
  CHECK(check_error({{0, kTopOfUser + 1}}) == Errno::kEFAULT);
  // The last byte below TASK_SIZE_MAX is fine; so is a zero-length range at the top.
  std::vector<IoSegment> edge{{kTopOfUser - 4096, 4096}, {kTopOfUser, 0}};
  CHECK(kernel::mm::check_iovecs(edge).ok());
}

TEST_CASE("check_iovecs: lengths are clamped so the total stays within MAX_RW_COUNT", "[iovec]") {
  std::vector<IoSegment> segs{{0x1000, kMaxRwCount - 100}, {0x1000, 1000}, {0x1000, 5}};
  auto r = kernel::mm::check_iovecs(segs);
  REQUIRE(r.ok());
  CHECK(r.value() == kMaxRwCount);
  CHECK(segs[0].len == kMaxRwCount - 100);
  CHECK(segs[1].len == 100);
  CHECK(segs[2].len == 0);
  // A single huge (but not negative) length: clamped, no overflow.
  std::vector<IoSegment> huge{{0x1000, 0x7fff'0000'0000}};
  REQUIRE(kernel::mm::check_iovecs(huge).value() == kMaxRwCount);
  CHECK(huge[0].len == kMaxRwCount);
}

TEST_CASE("check_iovecs: a bad range after the clamp point is still EFAULT", "[iovec]") {
  // access_ok sees the length before the clamp.
  CHECK(check_error({{0x1000, kMaxRwCount}, {kKernelAddress, 1}}) == Errno::kEFAULT);
}

TEST_CASE("import_iovec: count checks, truncation to unsigned int, EFAULT", "[iovec]") {
  test::MemoryFixture m;
  auto as = m.new_address_space();
  kernel::mm::MapRequest req;
  req.length = 4096;
  req.prot = kernel::abi::kPROT_READ | kernel::abi::kPROT_WRITE;
  const u64 page = as->map(req).value();
  const IoSegment segs[2] = {{0x10000, 100}, {0x20000, 200}};
  REQUIRE(kernel::mm::copy_to_user(*as, page, segs, sizeof segs).ok());

  kernel::mm::ImportedIovec out;
  REQUIRE(kernel::mm::import_iovec(*as, page, 2, out).ok());
  CHECK(out.count == 2);
  CHECK(out.total == 300);
  CHECK(out.items[1].addr == 0x20000);

  // 0 segments, whatever the pointer; 2^32 + 1 is one segment.
  REQUIRE(kernel::mm::import_iovec(*as, 0, 0, out).ok());
  CHECK(out.count == 0);
  CHECK(out.total == 0);
  REQUIRE(kernel::mm::import_iovec(*as, 0, u64{1} << 32, out).ok());
  CHECK(out.count == 0);
  REQUIRE(kernel::mm::import_iovec(*as, page, (u64{1} << 32) + 1, out).ok());
  CHECK(out.count == 1);
  CHECK(out.total == 100);

  // More than UIO_MAXIOV is EINVAL before the pointer is looked at.
  auto r = kernel::mm::import_iovec(*as, 0, 1025, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == Errno::kEINVAL);
  r = kernel::mm::import_iovec(*as, 8, 1024, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == Errno::kEFAULT);
  // The array runs off the end of the mapped page.
  r = kernel::mm::import_iovec(*as, page + 4096 - 16, 2, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == Errno::kEFAULT);
}
