// Soft-dirty tracking and /proc/PID/clear_refs on an address space: what Linux 6.1's
// soft-dirty selftest and pagemap bit 55 rely on.
#include <catch2/catch_test_macros.hpp>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/uaccess.h"

using namespace kernel;
using x86_64::Pte;

namespace {

constexpr u64 kPage = kPageSize;
using ClearRefs = mm::AddressSpace::ClearRefs;

struct SoftDirty : test::MemoryFixture {
  mm::AddressSpace as{memory};

  u64 map(u64 len, bool shared = false) {
    mm::MapRequest req;
    req.length = len;
    req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
    if (shared) {
      // Shared anonymous memory, as mmap(MAP_SHARED|MAP_ANONYMOUS) makes it.
      req.shared = true;
      req.object = std::make_shared<mm::MemoryObject>(memory, mm::ObjectKind::SharedAnon);
      REQUIRE(req.object->resize(len).ok());
    }
    auto r = as.map(req);
    REQUIRE(r.ok());
    return r.value();
  }
  Pte pte(u64 va) { return as.page_table().lookup(va).pte; }
  bool vma_soft_dirty(u64 va) { return as.find_vma(va)->flags & mm::VM_SOFTDIRTY; }
  void write(u64 va) { REQUIRE(mm::write_user<u8>(as, va, 1).ok()); }
  void read(u64 va) { REQUIRE(mm::read_user<u8>(as, va).ok()); }
};

}  // namespace

TEST_CASE("clear_refs 4 write-protects and the next write marks the page again", "[soft-dirty]") {
  SoftDirty f;
  const u64 a = f.map(2 * kPage);
  REQUIRE(f.vma_soft_dirty(a));
  f.write(a);
  REQUIRE(f.pte(a).soft_dirty());
  REQUIRE(f.pte(a).writable());

  f.as.clear_refs(ClearRefs::SoftDirty);
  REQUIRE_FALSE(f.vma_soft_dirty(a));
  REQUIRE_FALSE(f.pte(a).soft_dirty());
  REQUIRE_FALSE(f.pte(a).writable());
  REQUIRE(f.pte(a).dirty());  // the hardware bit stays: the page still differs from zero

  f.read(a);  // reading does not mark it
  REQUIRE_FALSE(f.pte(a).soft_dirty());
  f.write(a);
  REQUIRE(f.pte(a).soft_dirty());
  REQUIRE(f.pte(a).writable());
  REQUIRE(f.pte(a + kPage).none());  // the neighbour was never touched
}

TEST_CASE("after clear_refs a shared read fault maps read-only, so the write is seen",
          "[soft-dirty]") {
  SoftDirty f;
  const u64 a = f.map(kPage, /*shared=*/true);
  f.read(a);
  REQUIRE(f.pte(a).writable());  // a soft-dirty VMA may map it writable at once
  f.as.clear_refs(ClearRefs::SoftDirty);
  REQUIRE(f.as.unmap(a, kPage).ok());
  const u64 b = f.map(kPage, /*shared=*/true);
  REQUIRE(f.vma_soft_dirty(b));  // a new mapping is new data
  f.as.clear_refs(ClearRefs::SoftDirty);
  f.read(b);
  REQUIRE_FALSE(f.pte(b).writable());
  REQUIRE_FALSE(f.pte(b).soft_dirty());
  f.write(b);
  REQUIRE(f.pte(b).soft_dirty());
}

TEST_CASE("a VMA merged with a new mapping is soft-dirty; a moved page is soft-dirty",
          "[soft-dirty]") {
  SoftDirty f;
  const u64 a = f.map(kPage);
  f.write(a);
  f.as.clear_refs(ClearRefs::SoftDirty);
  // A mapping placed right below merges with the cleared VMA, which becomes soft-dirty.
  mm::MapRequest req;
  req.addr = a - kPage;
  req.length = kPage;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.placement = mm::MapPlacement::FixedNoReplace;
  REQUIRE(f.as.map(req).ok());
  REQUIRE(f.as.find_vma(a)->start == a - kPage);
  REQUIRE(f.vma_soft_dirty(a));

  f.as.clear_refs(ClearRefs::SoftDirty);
  REQUIRE_FALSE(f.pte(a).soft_dirty());
  auto moved =
      f.as.remap(a, kPage, kPage, abi::kMREMAP_MAYMOVE | abi::kMREMAP_FIXED, a + 16 * kPage);
  REQUIRE(moved.ok());
  REQUIRE(f.pte(a + 16 * kPage).soft_dirty());
}

TEST_CASE("clear_refs 1-3 clear Accessed bits of the memory they name", "[soft-dirty]") {
  SoftDirty f;
  const u64 anon = f.map(kPage);
  const u64 shared = f.map(kPage, /*shared=*/true);
  f.write(anon);
  f.write(shared);
  REQUIRE(f.pte(anon).accessed());
  REQUIRE(f.pte(shared).accessed());
  f.as.clear_refs(ClearRefs::Mapped);  // shared anonymous memory has an object: "mapped"
  REQUIRE(f.pte(anon).accessed());
  REQUIRE_FALSE(f.pte(shared).accessed());
  f.as.clear_refs(ClearRefs::Anon);
  REQUIRE_FALSE(f.pte(anon).accessed());
  f.read(anon);
  f.read(shared);
  f.as.clear_refs(ClearRefs::All);
  REQUIRE_FALSE(f.pte(anon).accessed());
  REQUIRE_FALSE(f.pte(shared).accessed());
  REQUIRE(f.pte(anon).soft_dirty());  // the young bits alone
}
