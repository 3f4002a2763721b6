#include <catch2/catch_test_macros.hpp>
#include <set>
#include <vector>

#include "kernel/mm/frame_allocator.h"

using kernel::Pfn;
using kernel::mm::FrameAllocator;

TEST_CASE("a fresh allocator has every frame free", "[pmm]") {
  FrameAllocator frames(Pfn(1), 1023);
  REQUIRE(frames.free_frames() == 1023);
  REQUIRE(frames.total_frames() == 1023);
}

TEST_CASE("allocating every frame gives distinct frames and then fails", "[pmm]") {
  FrameAllocator frames(Pfn(1), 300);
  std::set<kernel::u64> seen;
  for (int i = 0; i < 300; ++i) {
    auto pfn = frames.allocate();
    REQUIRE(pfn.has_value());
    REQUIRE(pfn->value >= 1);
    REQUIRE(pfn->value < 301);
    REQUIRE(seen.insert(pfn->value).second);
  }
  REQUIRE_FALSE(frames.allocate().has_value());
  REQUIRE(frames.free_frames() == 0);
}

TEST_CASE("an order-9 block is 2 MiB aligned", "[pmm]") {
  FrameAllocator frames(Pfn(1), 4096);
  auto block = frames.allocate(9);
  REQUIRE(block.has_value());
  REQUIRE(block->value % 512 == 0);
  REQUIRE(frames.free_frames() == 4096 - 512);
}

TEST_CASE("freed buddies merge back into the largest blocks", "[pmm]") {
  FrameAllocator frames(Pfn(0), 1024);
  const auto before = frames.free_blocks(kernel::mm::kMaxOrder);
  std::vector<Pfn> taken;
  for (int i = 0; i < 1024; ++i) taken.push_back(*frames.allocate());
  REQUIRE(frames.free_blocks(kernel::mm::kMaxOrder) == 0);
  for (Pfn p : taken) frames.free(p);
  REQUIRE(frames.free_blocks(kernel::mm::kMaxOrder) == before);
  REQUIRE(frames.free_frames() == 1024);
}

TEST_CASE("a request larger than any free block fails without side effects", "[pmm]") {
  FrameAllocator frames(Pfn(0), 100);  // no block of order 7 (128 frames) fits
  REQUIRE_FALSE(frames.allocate(7).has_value());
  REQUIRE(frames.free_frames() == 100);
  REQUIRE_FALSE(frames.allocate(kernel::mm::kMaxOrder + 1).has_value());
}

TEST_CASE("a frame is freed when its last reference is put", "[pmm]") {
  FrameAllocator frames(Pfn(0), 16);
  Pfn p = *frames.allocate();
  frames.get(p);
  REQUIRE(frames.refcount(p) == 2);
  REQUIRE_FALSE(frames.put(p));
  REQUIRE_FALSE(frames.is_free(p));
  REQUIRE(frames.put(p));
  REQUIRE(frames.is_free(p));
  REQUIRE(frames.free_frames() == 16);
}

TEST_CASE("frames below the managed range are never handed out", "[pmm]") {
  FrameAllocator frames(Pfn(5), 11);  // 5..15, not naturally aligned at the start
  for (int i = 0; i < 11; ++i) REQUIRE(frames.allocate()->value >= 5);
  REQUIRE_FALSE(frames.allocate().has_value());
}

TEST_CASE("every frame of a large range can be had, given back and had again", "[pmm]") {
  FrameAllocator frames(Pfn(3), 10000);  // unaligned ends around a reserve of whole blocks
  std::set<kernel::u64> seen;
  std::vector<Pfn> taken;
  for (int i = 0; i < 10000; ++i) {
    auto pfn = frames.allocate();
    REQUIRE(pfn.has_value());
    REQUIRE(seen.insert(pfn->value).second);
    REQUIRE_FALSE(frames.is_free(*pfn));
    taken.push_back(*pfn);
  }
  REQUIRE_FALSE(frames.allocate().has_value());
  for (Pfn p : taken) frames.free(p);
  REQUIRE(frames.free_frames() == 10000);
  for (Pfn p : taken) REQUIRE(frames.is_free(p));
  auto block = frames.allocate(kernel::mm::kMaxOrder);
  REQUIRE(block.has_value());
  REQUIRE(block->value % 1024 == 0);
}

TEST_CASE("an untouched block of the reserve counts as free", "[pmm]") {
  FrameAllocator frames(Pfn(0), 4096);
  REQUIRE(frames.is_free(Pfn(3000)));
  REQUIRE(frames.free_blocks(kernel::mm::kMaxOrder) == 4);
  (void)frames.allocate();
  REQUIRE(frames.free_blocks(kernel::mm::kMaxOrder) == 3);
  REQUIRE(frames.free_frames() == 4095);
}
