// The reverse map stays exact: after every operation that touches page-table entries, each
// entry that maps a frame has exactly one reverse-map item and each item names such an entry.
#include <catch2/catch_test_macros.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "booted_kernel.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/rmap.h"
#include "mm_consistency.h"

using namespace kernel;
using x86_64::Pte;

namespace {

constexpr u32 kRead = mm::kFaultUser;
constexpr u32 kWrite = mm::kFaultUser | mm::kFaultWrite;

void check_rmap(mm::MemoryManager& memory, const std::vector<mm::AddressSpace*>& spaces) {
  test::check_consistent(memory, spaces, {});
}

struct TwoSpaces : test::MemoryFixture {
  TwoSpaces() : test::MemoryFixture(32 << 20) {}
  std::unique_ptr<mm::AddressSpace> a = new_address_space();
  std::unique_ptr<mm::AddressSpace> b = new_address_space();
  std::shared_ptr<mm::MemoryObject> object =
      std::make_shared<mm::MemoryObject>(memory, mm::ObjectKind::Memfd);
  std::vector<mm::AddressSpace*> spaces() { return {a.get(), b.get()}; }
};

}  // namespace

TEST_CASE("a shared object page is reverse-mapped once per mapper", "[rmap]") {
  TwoSpaces f;
  REQUIRE(f.object->resize(4 * kPageSize).ok());
  mm::MapRequest req;
  req.length = 4 * kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.shared = true;
  req.object = f.object;
  const u64 in_a = f.a->map(req).value();
  const u64 in_b = f.b->map(req).value();
  REQUIRE(f.a->handle_fault(in_a + kPageSize, kWrite).handled());
  REQUIRE(f.b->handle_fault(in_b + kPageSize, kRead).handled());
  const Pfn page = *f.object->find_page(1);
  CHECK(f.memory.rmap().mapcount(page) == 2);
  check_rmap(f.memory, f.spaces());
  // Punching the hole unmaps it from both and frees it.
  REQUIRE(f.object->punch_hole(kPageSize, kPageSize).ok());
  CHECK_FALSE(f.a->page_table().lookup(in_a + kPageSize).pte.present());
  CHECK_FALSE(f.b->page_table().lookup(in_b + kPageSize).pte.present());
  CHECK(f.frames.is_free(page));
  check_rmap(f.memory, f.spaces());
}

TEST_CASE("the reverse map stays exact through random mapping operations", "[rmap]") {
  TwoSpaces f;
  REQUIRE(f.object->resize(64 * kPageSize).ok());
  std::mt19937_64 rng(12345);
  const u64 base = 0x10000000;
  constexpr u64 kWindow = 96;  // pages
  auto pick = [&](u64 n) { return rng() % n; };
  for (int step = 0; step < 3000; ++step) {
    mm::AddressSpace& as = pick(2) ? *f.a : *f.b;
    const u64 page = base + pick(kWindow) * kPageSize;
    const u64 len = (1 + pick(12)) * kPageSize;
    const int op = static_cast<int>(pick(10));
    INFO("step " << step << " op " << op);
    switch (op) {
      case 0: {  // map: private anonymous, shared anonymous-like object, or private object
        mm::MapRequest req;
        req.addr = page;
        req.length = len;
        req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
        req.placement = mm::MapPlacement::Fixed;
        const u64 kind = pick(3);
        if (kind > 0) {
          req.object = f.object;
          req.offset = pick(32) * kPageSize;
          req.shared = kind == 1;
        }
        REQUIRE(as.map(req).ok());
        break;
      }
      case 1:
        REQUIRE(as.unmap(page, len).ok());
        break;
      case 2:
      case 3:
      case 4:
        if (as.find_vma(page)) (void)as.handle_fault(page, pick(2) ? kWrite : kRead);
        break;
      case 5:
        (void)as.protect(page, len,
                         pick(3) == 0 ? abi::kPROT_NONE : abi::kPROT_READ | abi::kPROT_WRITE);
        break;
      case 6:
        (void)as.madvise(page, len, abi::kMADV_DONTNEED);
        break;
      case 7: {
        const u64 dest = base + (kWindow + 16 + pick(64)) * kPageSize;
        if (as.find_vma(page))
          (void)as.remap(page, kPageSize, (1 + pick(3)) * kPageSize,
                         abi::kMREMAP_MAYMOVE | abi::kMREMAP_FIXED, dest);
        break;
      }
      case 8:
        REQUIRE(f.object->punch_hole(pick(64) * kPageSize, len).ok());
        break;
      case 9:
        if (pick(8) == 0) REQUIRE(f.object->resize(pick(64) * kPageSize).ok());
        break;
    }
    check_rmap(f.memory, f.spaces());
  }
}

TEST_CASE("destroying address spaces empties the reverse map", "[rmap]") {
  test::MemoryFixture m;
  const u64 free_before = m.frames.free_frames();
  {
    auto object = std::make_shared<mm::MemoryObject>(m.memory, mm::ObjectKind::SharedAnon);
    REQUIRE(object->resize(8 * kPageSize).ok());
    auto as = m.new_address_space();
    mm::MapRequest req;
    req.length = 8 * kPageSize;
    req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
    req.shared = true;
    req.object = object;
    const u64 at = as->map(req).value();
    for (u64 i = 0; i < 8; ++i) REQUIRE(as->handle_fault(at + i * kPageSize, kWrite).handled());
    CHECK(m.memory.rmap().items_in_use() == 8);
  }
  CHECK(m.memory.rmap().items_in_use() == 0);
  CHECK(m.frames.free_frames() == free_before);
}
