#include <catch2/catch_test_macros.hpp>

#include "fake_machine.h"
#include "kernel/arch/x86_64/page_table.h"
#include "kernel/mm/frame_allocator.h"

using kernel::x86_64::PageTable;
using kernel::x86_64::Pte;
using namespace kernel;

namespace {
struct Fixture {
  test::FakeRam ram{4 << 20};
  mm::FrameAllocator frames{Pfn(1), (4 << 20) / kPageSize - 1};
};
}  // namespace

TEST_CASE("a mapped page is found by lookup at level 1", "[pagetable]") {
  Fixture f;
  PageTable pt(f.ram.memory(), f.frames);
  const Pte leaf = Pte::leaf(PhysAddr(0x5000), Pte::kUser | Pte::kWritable);
  REQUIRE(pt.map(0x400000, leaf).ok());
  auto found = pt.lookup(0x400123);
  REQUIRE(found.level == 1);
  REQUIRE(found.pte == leaf);
  REQUIRE(pt.lookup(0x401000).pte.none());
}

TEST_CASE("mapping allocates one table page per level", "[pagetable]") {
  Fixture f;
  PageTable pt(f.ram.memory(), f.frames);
  REQUIRE(pt.table_pages() == 1);
  REQUIRE(pt.map(0x7fff'ffff'e000, Pte::leaf(PhysAddr(0x5000), Pte::kUser)).ok());
  REQUIRE(pt.table_pages() == 4);
  REQUIRE(pt.map(0x7fff'ffff'd000, Pte::leaf(PhysAddr(0x6000), Pte::kUser)).ok());
  REQUIRE(pt.table_pages() == 4);
}

TEST_CASE("the tables are in hardware format in RAM", "[pagetable]") {
  Fixture f;
  PageTable pt(f.ram.memory(), f.frames);
  const u64 va = 0x0000'1234'5678'9000;
  REQUIRE(pt.map(va, Pte::leaf(PhysAddr(0x9000), Pte::kUser)).ok());
  // Walk by hand: PML4 -> PDPT -> PD -> PT.
  PhysAddr table = pt.root();
  for (int level = 4; level >= 2; --level) {
    Pte e(*reinterpret_cast<u64*>(f.ram.memory().at(table) + 8 * x86_64::table_index(va, level)));
    REQUIRE(e.present());
    REQUIRE(e.user());
    REQUIRE_FALSE(e.huge());
    table = e.address();
  }
  Pte leaf(*reinterpret_cast<u64*>(f.ram.memory().at(table) + 8 * x86_64::table_index(va, 1)));
  REQUIRE(leaf.address() == PhysAddr(0x9000));
}

TEST_CASE("clear returns the old entry and leaves none", "[pagetable]") {
  Fixture f;
  PageTable pt(f.ram.memory(), f.frames);
  const Pte leaf = Pte::leaf(PhysAddr(0x5000), Pte::kUser);
  REQUIRE(pt.map(0x400000, leaf).ok());
  REQUIRE(pt.clear(0x400000) == leaf);
  REQUIRE(pt.lookup(0x400000).pte.none());
  REQUIRE(pt.clear(0x800000).none());
}

TEST_CASE("empty tables are freed after their range is unmapped", "[pagetable]") {
  Fixture f;
  PageTable pt(f.ram.memory(), f.frames);
  const u64 before = f.frames.free_frames();
  REQUIRE(pt.map(0x7000'0000'0000, Pte::leaf(PhysAddr(0x5000), Pte::kUser)).ok());
  REQUIRE(f.frames.free_frames() == before - 3);
  (void)pt.clear(0x7000'0000'0000);
  pt.free_empty_tables(0x7000'0000'0000, 0x7000'0000'1000);
  REQUIRE(f.frames.free_frames() == before);
  REQUIRE(pt.table_pages() == 1);
}

TEST_CASE("a 2 MiB leaf answers lookups for its whole range", "[pagetable]") {
  Fixture f;
  PageTable pt(f.ram.memory(), f.frames);
  Pte* pde = pt.entry(0x4000'0000, 2, x86_64::Allocate::Yes);
  REQUIRE(pde != nullptr);
  *pde = Pte::leaf(PhysAddr(0x20'0000), Pte::kUser | Pte::kPageSize);
  auto found = pt.lookup(0x4012'3456);
  REQUIRE(found.level == 2);
  REQUIRE(found.pte.huge());
  // No level-1 entry exists beneath a PS leaf.
  REQUIRE(pt.leaf_entry(0x4000'0000, x86_64::Allocate::Yes) == nullptr);
}

TEST_CASE("soft entries keep their type and value and are not present", "[pagetable]") {
  const Pte swap = Pte::soft(Pte::SoftType::Swap, 12345);
  REQUIRE_FALSE(swap.present());
  REQUIRE(swap.soft_type() == Pte::SoftType::Swap);
  REQUIRE(swap.soft_value() == 12345);
  const Pte poison = Pte::soft(Pte::SoftType::HwPoison, 7);
  REQUIRE(poison.soft_type() == Pte::SoftType::HwPoison);
  REQUIRE(Pte().soft_type() == Pte::SoftType::None);
}
