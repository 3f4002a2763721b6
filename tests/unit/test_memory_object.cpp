#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>

#include "booted_kernel.h"
#include "kernel/mm/memory_object.h"

using namespace kernel;

namespace {

struct ObjectFixture : test::MemoryFixture {
  mm::PageBudget budget{64, 0};
  mm::MemoryObject object{memory, mm::ObjectKind::Tmpfs, &budget};

  u64 write_text(const std::string& text, u64 offset) {
    auto r = object.write({reinterpret_cast<const u8*>(text.data()), text.size()}, offset);
    REQUIRE(r.ok());
    return r.value();
  }
  std::string read_text(u64 length, u64 offset) {
    std::string out(length, '?');
    auto r = object.read({reinterpret_cast<u8*>(out.data()), out.size()}, offset);
    REQUIRE(r.ok());
    out.resize(r.value());
    return out;
  }
};

}  // namespace

TEST_CASE("a memory object reads back what was written, holes as zeros", "[memobj]") {
  ObjectFixture f;
  CHECK(f.write_text("hello", 3 * kPageSize + 10) == 5);
  CHECK(f.object.size() == 3 * kPageSize + 15);
  CHECK(f.object.resident_pages() == 1);
  CHECK(f.read_text(5, 3 * kPageSize + 10) == "hello");
  CHECK(f.read_text(4, 10) == std::string(4, '\0'));
  CHECK(f.read_text(100, 3 * kPageSize + 12) == "llo");  // stops at the size
  CHECK(f.read_text(10, 4 * kPageSize).empty());
}

TEST_CASE("a write across a page boundary fills both pages", "[memobj]") {
  ObjectFixture f;
  CHECK(f.write_text("abcdef", kPageSize - 3) == 6);
  CHECK(f.object.resident_pages() == 2);
  CHECK(f.read_text(6, kPageSize - 3) == "abcdef");
}

TEST_CASE("shrinking an object frees the pages past its end and zeroes the tail", "[memobj]") {
  ObjectFixture f;
  const u64 free_before = f.frames.free_frames();
  f.write_text(std::string(3 * kPageSize, 'x'), 0);
  REQUIRE(f.object.resize(kPageSize + 100).ok());
  CHECK(f.object.resident_pages() == 2);
  CHECK(f.budget.used == 2);
  REQUIRE(f.object.resize(3 * kPageSize).ok());
  CHECK(f.read_text(200, kPageSize + 50) == std::string(50, 'x') + std::string(150, '\0'));
  REQUIRE(f.object.resize(0).ok());
  CHECK(f.object.resident_pages() == 0);
  CHECK(f.budget.used == 0);
  // Only the page list's tables may remain (its root); every data frame came back.
  CHECK(f.frames.free_frames() + 1 >= free_before);
}

TEST_CASE("punching a hole drops whole pages, zeroes partial ones, keeps the size", "[memobj]") {
  ObjectFixture f;
  f.write_text(std::string(4 * kPageSize, 'y'), 0);
  REQUIRE(f.object.punch_hole(kPageSize / 2, 2 * kPageSize).ok());
  CHECK(f.object.size() == 4 * kPageSize);
  CHECK(f.object.resident_pages() == 3);  // page 1 is gone; pages 0 and 2 were partial
  CHECK(f.read_text(kPageSize / 2 + 1, 0) == std::string(kPageSize / 2, 'y') + '\0');
  CHECK(f.read_text(2, 2 * kPageSize + kPageSize / 2 - 1) == std::string("\0y", 2));
  CHECK(f.object.find_page(1) == std::nullopt);
  CHECK(f.object.next_page(1) == 2u);
}

TEST_CASE("an object's budget gives ENOSPC, and a partial write what fitted", "[memobj]") {
  ObjectFixture f;
  f.budget.limit = 2;
  std::string big(3 * kPageSize, 'z');
  auto r = f.object.write({reinterpret_cast<const u8*>(big.data()), big.size()}, 0);
  REQUIRE(r.ok());
  CHECK(r.value() == 2 * kPageSize);
  auto again = f.object.write({reinterpret_cast<const u8*>(big.data()), 1}, 5 * kPageSize);
  REQUIRE(!again.ok());
  CHECK(again.error() == abi::Errno::kENOSPC);
  CHECK(f.object.allocate(8 * kPageSize, kPageSize, false).error() == abi::Errno::kENOSPC);
}

TEST_CASE("fallocate gives frames without changing the size with KEEP_SIZE", "[memobj]") {
  ObjectFixture f;
  REQUIRE(f.object.allocate(0, 3 * kPageSize, true).ok());
  CHECK(f.object.size() == 0);
  CHECK(f.object.resident_pages() == 3);
  REQUIRE(f.object.allocate(0, 100, false).ok());
  CHECK(f.object.size() == 100);
}

TEST_CASE("writes past the largest object size are EFBIG", "[memobj]") {
  ObjectFixture f;
  const u8 byte = 1;
  CHECK(f.object.write({&byte, 1}, mm::kMaxObjectSize).error() == abi::Errno::kEFBIG);
  CHECK(f.object.resize(mm::kMaxObjectSize + 1).error() == abi::Errno::kEFBIG);
}

TEST_CASE("destroying an object returns every frame", "[memobj]") {
  test::MemoryFixture m;
  const u64 before = m.frames.free_frames();
  {
    mm::MemoryObject object{m.memory, mm::ObjectKind::Memfd};
    std::string data(10 * kPageSize, 'q');
    REQUIRE(object.write({reinterpret_cast<const u8*>(data.data()), data.size()}, 1 << 30).ok());
  }
  CHECK(m.frames.free_frames() == before);
}
