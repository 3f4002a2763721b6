// KSM (mm/ksm.h, Linux 6.1's mm/ksm.c): ksmd's two-pass merge within and across address
// spaces, the copy on write of a KSM page, MADV_UNMERGEABLE, run=2, fork, use_zero_pages,
// max_page_sharing and the sysfs rules. The reverse map and reference counts are checked
// after every step.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <memory>
#include <vector>

#include "fake_machine.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/ksm.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/uaccess.h"
#include "mm_consistency.h"

using namespace kernel;
using x86_64::Pte;

namespace {

constexpr u64 kRw = abi::kPROT_READ | abi::kPROT_WRITE;

struct Machine {
  Machine() : ram(8 << 20), memory(ram.memory(), cpu) {}
  std::unique_ptr<mm::AddressSpace> new_address_space() {
    return std::make_unique<mm::AddressSpace>(memory);
  }
  mm::Ksm& ksm() { return memory.ksm(); }
  test::FakeRam ram;
  test::FakeCpu cpu;
  mm::MemoryManager memory;
};

u64 map_anon(mm::AddressSpace& as, u64 pages) {
  mm::MapRequest req;
  req.length = pages * kPageSize;
  req.prot = kRw;
  return as.map(req).value();
}

// Fills the page at va with `byte` (writing, as the guest would).
void fill(mm::AddressSpace& as, u64 va, u8 byte) {
  std::vector<u8> page(kPageSize, byte);
  REQUIRE(mm::copy_to_user(as, va, page.data(), kPageSize).ok());
}

u8 peek(mm::AddressSpace& as, u64 va) {
  auto value = mm::read_user<u8>(as, va);
  REQUIRE(value.ok());
  return value.value();
}

Pte pte_at(mm::AddressSpace& as, u64 va) {
  return as.page_table().lookup(va).pte;
}
Pfn pfn_at(mm::AddressSpace& as, u64 va) {
  return pte_at(as, va).pfn();
}

bool is_ksm(Machine& m, Pfn pfn) {
  return m.memory.frame(pfn).test(mm::PG_ksm);
}

// Two full scans with enough budget: the first records checksums, the second merges.
void two_scans(Machine& m) {
  m.ksm().scan(1000);
  m.ksm().scan(1000);
}

}  // namespace

TEST_CASE("ksm: identical pages of one process merge on the second full scan", "[ksm]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 base = map_anon(*as, 4);
  for (u64 i = 0; i < 3; ++i) fill(*as, base + i * kPageSize, 'A');
  fill(*as, base + 3 * kPageSize, 'B');
  const u64 free_before = m.memory.frames().free_frames();
  REQUIRE(as->madvise(base, 4 * kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(m.ksm().entered(as.get()));
  REQUIRE(m.ksm().set_run(1).ok());

  m.ksm().scan(1000);
  mm::KsmCounters c = m.ksm().counters();
  CHECK(c.full_scans == 1);
  CHECK(c.pages_shared == 0);
  CHECK(c.pages_sharing == 0);
  CHECK(c.pages_volatile == 4);  // seen once: checksums only
  CHECK(!is_ksm(m, pfn_at(*as, base)));

  m.ksm().scan(1000);
  c = m.ksm().counters();
  CHECK(c.full_scans == 2);
  CHECK(c.pages_shared == 1);
  CHECK(c.pages_sharing == 2);
  CHECK(c.pages_unshared == 1);  // 'B' waits in the unstable tree
  CHECK(c.pages_volatile == 0);
  const Pfn kpage = pfn_at(*as, base);
  CHECK(is_ksm(m, kpage));
  for (u64 i = 0; i < 3; ++i) {
    const Pte pte = pte_at(*as, base + i * kPageSize);
    CHECK(pte.pfn() == kpage);
    CHECK(!pte.writable());
  }
  CHECK(pfn_at(*as, base + 3 * kPageSize) != kpage);
  CHECK(!is_ksm(m, pfn_at(*as, base + 3 * kPageSize)));
  CHECK(m.memory.rmap().mapcount(kpage) == 3);
  CHECK(m.memory.frames().refcount(kpage) == 3);
  CHECK(m.memory.frames().free_frames() == free_before + 2);  // two frames given back
  CHECK(m.ksm().merging_pages(*as) == 3);
  CHECK(m.ksm().rmap_items(*as) == 4);
  test::check_consistent(m.memory, {as.get()});
  for (u64 i = 0; i < 3; ++i) CHECK(peek(*as, base + i * kPageSize + 100) == 'A');
  CHECK(peek(*as, base + 3 * kPageSize) == 'B');
}

TEST_CASE("ksm: pages of two processes merge; a write copies the KSM page", "[ksm]") {
  Machine m;
  auto a = m.new_address_space();
  auto b = m.new_address_space();
  const u64 va_a = map_anon(*a, 2);
  const u64 va_b = map_anon(*b, 2);
  for (u64 i = 0; i < 2; ++i) {
    fill(*a, va_a + i * kPageSize, 'x');
    fill(*b, va_b + i * kPageSize, 'x');
  }
  REQUIRE(a->madvise(va_a, 2 * kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(b->madvise(va_b, 2 * kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(m.ksm().set_run(1).ok());
  two_scans(m);
  const Pfn kpage = pfn_at(*a, va_a);
  CHECK(is_ksm(m, kpage));
  CHECK(pfn_at(*b, va_b + kPageSize) == kpage);
  CHECK(m.memory.rmap().mapcount(kpage) == 4);
  CHECK(m.ksm().counters().pages_shared == 1);
  CHECK(m.ksm().counters().pages_sharing == 3);
  test::check_consistent(m.memory, {a.get(), b.get()});

  // A write by b gives b a private copy; the others still share the KSM page.
  REQUIRE(mm::write_user<u8>(*b, va_b + 5, 'y').ok());
  const Pfn copy = pfn_at(*b, va_b);
  CHECK(copy != kpage);
  CHECK(!is_ksm(m, copy));
  CHECK(pte_at(*b, va_b).writable());
  CHECK(peek(*b, va_b + 5) == 'y');
  CHECK(peek(*b, va_b + 6) == 'x');
  CHECK(peek(*a, va_a + 5) == 'x');
  CHECK(m.memory.stats().cow_ksm == 1);
  CHECK(m.memory.rmap().mapcount(kpage) == 3);
  CHECK(m.ksm().counters().pages_sharing == 2);
  test::check_consistent(m.memory, {a.get(), b.get()});

  // Even the last mapper copies (6.1 never reuses a KSM page in place); the KSM page goes.
  REQUIRE(mm::write_user<u8>(*a, va_a, 'p').ok());
  REQUIRE(mm::write_user<u8>(*a, va_a + kPageSize, 'q').ok());
  CHECK(m.memory.rmap().mapcount(kpage) == 1);
  REQUIRE(mm::write_user<u8>(*b, va_b + kPageSize, 'r').ok());
  CHECK(m.memory.stats().cow_ksm == 4);
  CHECK(!is_ksm(m, kpage));
  const mm::KsmCounters c = m.ksm().counters();
  CHECK(c.pages_shared == 0);
  CHECK(c.pages_sharing == 0);
  test::check_consistent(m.memory, {a.get(), b.get()});

  // An address space that goes leaves the scan list.
  b.reset();
  CHECK(!m.ksm().entered(b.get()));
  CHECK(m.ksm().entered(a.get()));
}

TEST_CASE("ksm: a page written between scans is volatile and not merged", "[ksm]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 base = map_anon(*as, 2);
  fill(*as, base, 'k');
  fill(*as, base + kPageSize, 'k');
  REQUIRE(as->madvise(base, 2 * kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(m.ksm().set_run(1).ok());
  m.ksm().scan(1000);
  // Page 1 changes between the first and second scans: only page 0 enters the unstable tree.
  REQUIRE(mm::write_user<u8>(*as, base + kPageSize + 7, 'z').ok());
  m.ksm().scan(1000);
  CHECK(m.ksm().counters().pages_shared == 0);
  CHECK(m.ksm().counters().pages_unshared == 1);
  CHECK(m.ksm().counters().pages_volatile == 1);
  // Written back to equal page 0: its checksum changed once more, so one more scan passes
  // before it merges.
  REQUIRE(mm::write_user<u8>(*as, base + kPageSize + 7, 'k').ok());
  m.ksm().scan(1000);
  CHECK(m.ksm().counters().pages_shared == 0);
  m.ksm().scan(1000);
  CHECK(m.ksm().counters().pages_shared == 1);
  CHECK(m.ksm().counters().pages_sharing == 1);
  test::check_consistent(m.memory, {as.get()});
}

TEST_CASE("ksm: MADV_UNMERGEABLE and run=2 copy every KSM page back", "[ksm]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 base = map_anon(*as, 4);
  for (u64 i = 0; i < 4; ++i) fill(*as, base + i * kPageSize, 'u');
  REQUIRE(as->madvise(base, 4 * kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(m.ksm().set_run(1).ok());
  two_scans(m);
  const Pfn kpage = pfn_at(*as, base);
  REQUIRE(m.memory.rmap().mapcount(kpage) == 4);

  // UNMERGEABLE over the first two pages: they get private copies, the VMA splits.
  REQUIRE(as->madvise(base, 2 * kPageSize, abi::kMADV_UNMERGEABLE).ok());
  CHECK(pfn_at(*as, base) != kpage);
  CHECK(pfn_at(*as, base + kPageSize) != pfn_at(*as, base));
  CHECK(!is_ksm(m, pfn_at(*as, base)));
  CHECK(pte_at(*as, base).writable());
  CHECK(!(as->find_vma(base)->flags & mm::VM_MERGEABLE));
  CHECK(as->find_vma(base + 2 * kPageSize)->flags & mm::VM_MERGEABLE);
  CHECK(m.memory.rmap().mapcount(kpage) == 2);
  CHECK(m.ksm().counters().pages_shared == 1);
  CHECK(m.ksm().counters().pages_sharing == 1);
  CHECK(peek(*as, base) == 'u');
  test::check_consistent(m.memory, {as.get()});
  // UNMERGEABLE again is ignored (the VMA is not mergeable any more).
  REQUIRE(as->madvise(base, 2 * kPageSize, abi::kMADV_UNMERGEABLE).ok());

  // run=2 unmerges the rest and forgets every rmap_item.
  REQUIRE(m.ksm().set_run(mm::Ksm::kRunUnmerge).ok());
  CHECK(!is_ksm(m, pfn_at(*as, base + 2 * kPageSize)));
  CHECK(pfn_at(*as, base + 2 * kPageSize) != pfn_at(*as, base + 3 * kPageSize));
  const mm::KsmCounters c = m.ksm().counters();
  CHECK(c.pages_shared == 0);
  CHECK(c.pages_sharing == 0);
  CHECK(c.pages_volatile == 0);
  CHECK(m.ksm().rmap_items(*as) == 0);
  CHECK(peek(*as, base + 3 * kPageSize) == 'u');
  test::check_consistent(m.memory, {as.get()});
  // Stopped: scans only when run is 1.
  CHECK(m.ksm().tick(1) == 0);
  CHECK(m.ksm().next_scan_ns() == 0);
}

TEST_CASE("ksm: a fork child shares the KSM pages and joins the scan list", "[ksm]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 base = map_anon(*parent, 2);
  fill(*parent, base, 'f');
  fill(*parent, base + kPageSize, 'f');
  REQUIRE(parent->madvise(base, 2 * kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(m.ksm().set_run(1).ok());
  two_scans(m);
  const Pfn kpage = pfn_at(*parent, base);
  auto child = parent->fork().value();
  CHECK(m.ksm().entered(child.get()));
  CHECK(pfn_at(*child, base) == kpage);
  CHECK(pfn_at(*child, base + kPageSize) == kpage);
  CHECK(is_ksm(m, kpage));
  CHECK(m.memory.rmap().mapcount(kpage) == 4);
  // The child's entries count once ksmd has looked at them (6.1 counts rmap_items).
  CHECK(m.ksm().counters().pages_sharing == 1);
  CHECK(m.ksm().merging_pages(*child) == 0);
  CHECK(m.ksm().merging_pages(*parent) == 2);
  test::check_consistent(m.memory, {parent.get(), child.get()});
  REQUIRE(mm::write_user<u8>(*child, base, 'c').ok());
  CHECK(peek(*parent, base) == 'f');
  CHECK(peek(*child, base) == 'c');
  CHECK(m.memory.rmap().mapcount(kpage) == 3);
  test::check_consistent(m.memory, {parent.get(), child.get()});
  // The child's scan sees its KSM mapping as merged already.
  two_scans(m);
  CHECK(m.ksm().counters().pages_shared == 1);
  CHECK(m.ksm().counters().pages_sharing == 2);
  CHECK(m.ksm().merging_pages(*child) == 1);
}

TEST_CASE("ksm: use_zero_pages merges empty pages with the zero page", "[ksm]") {
  for (const bool zero_pages : {false, true}) {
    Machine m;
    auto as = m.new_address_space();
    const u64 base = map_anon(*as, 3);
    for (u64 i = 0; i < 3; ++i) fill(*as, base + i * kPageSize, 0);
    m.ksm().set_use_zero_pages(zero_pages);
    REQUIRE(as->madvise(base, 3 * kPageSize, abi::kMADV_MERGEABLE).ok());
    REQUIRE(m.ksm().set_run(1).ok());
    const u64 free_before = m.memory.frames().free_frames();
    two_scans(m);
    const mm::KsmCounters c = m.ksm().counters();
    if (zero_pages) {
      CHECK(c.pages_shared == 0);
      CHECK(c.pages_sharing == 0);
      for (u64 i = 0; i < 3; ++i) CHECK(pfn_at(*as, base + i * kPageSize) == m.memory.zero_page());
      CHECK(m.memory.frames().free_frames() == free_before + 3);
      // A write to a zero-page entry gets a fresh page as usual.
      REQUIRE(mm::write_user<u8>(*as, base, 1).ok());
      CHECK(pfn_at(*as, base) != m.memory.zero_page());
      CHECK(peek(*as, base + kPageSize) == 0);
    } else {
      CHECK(c.pages_shared == 1);
      CHECK(c.pages_sharing == 2);
      CHECK(m.memory.frames().free_frames() == free_before + 2);
    }
    test::check_consistent(m.memory, {as.get()});
  }
}

TEST_CASE("ksm: max_page_sharing caps a KSM page; duplicates form a chain", "[ksm]") {
  Machine m;
  REQUIRE(m.ksm().set_max_page_sharing(2).ok());
  auto as = m.new_address_space();
  const u64 base = map_anon(*as, 5);
  for (u64 i = 0; i < 5; ++i) fill(*as, base + i * kPageSize, 'm');
  REQUIRE(as->madvise(base, 5 * kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(m.ksm().set_run(1).ok());
  two_scans(m);
  // Pages 0+1 and 2+3 make two KSM pages; page 4 waits in the unstable tree.
  mm::KsmCounters c = m.ksm().counters();
  CHECK(c.pages_shared == 2);
  CHECK(c.pages_sharing == 2);
  CHECK(c.pages_unshared == 1);
  CHECK(c.stable_node_chains == 1);
  CHECK(c.stable_node_dups == 2);
  CHECK(pfn_at(*as, base) == pfn_at(*as, base + kPageSize));
  CHECK(pfn_at(*as, base + 2 * kPageSize) == pfn_at(*as, base + 3 * kPageSize));
  CHECK(pfn_at(*as, base) != pfn_at(*as, base + 2 * kPageSize));
  test::check_consistent(m.memory, {as.get()});
  // Settings that would reshape the trees wait until nothing is shared (EBUSY).
  CHECK(m.ksm().set_max_page_sharing(10).error() == abi::Errno::kEBUSY);
  CHECK(m.ksm().set_merge_across_nodes(0).error() == abi::Errno::kEBUSY);
  CHECK(m.ksm().set_merge_across_nodes(1).ok());  // unchanged: fine
  CHECK(m.ksm().set_max_page_sharing(1).error() == abi::Errno::kEINVAL);
  CHECK(m.ksm().set_merge_across_nodes(2).error() == abi::Errno::kEINVAL);
  CHECK(m.ksm().set_run(3).error() == abi::Errno::kEINVAL);
  REQUIRE(m.ksm().set_run(mm::Ksm::kRunUnmerge).ok());
  CHECK(m.ksm().set_merge_across_nodes(0).ok());
  CHECK(m.ksm().set_max_page_sharing(10).ok());
}

TEST_CASE("ksm: ksmd's steps follow run, pages_to_scan and sleep_millisecs", "[ksm]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 base = map_anon(*as, 8);
  for (u64 i = 0; i < 8; ++i) fill(*as, base + i * kPageSize, 's');
  REQUIRE(as->madvise(base, 8 * kPageSize, abi::kMADV_MERGEABLE).ok());
  CHECK(m.ksm().next_scan_ns() == 0);  // run is 0
  REQUIRE(m.ksm().set_run(1).ok());
  m.ksm().set_pages_to_scan(3);
  m.ksm().set_sleep_millisecs(20);
  CHECK(m.ksm().next_scan_ns() == 1);  // due at once
  const u64 t0 = 1'000'000'000;
  CHECK(m.ksm().tick(t0) == t0 + 20'000'000);
  CHECK(m.ksm().rmap_items(*as) == 3);                     // three pages looked at
  CHECK(m.ksm().tick(t0 + 1'000'000) == t0 + 20'000'000);  // not due: nothing scanned
  CHECK(m.ksm().rmap_items(*as) == 3);
  m.ksm().tick(t0 + 20'000'000);
  CHECK(m.ksm().rmap_items(*as) == 6);
  CHECK(m.ksm().counters().full_scans == 0);
  m.ksm().tick(t0 + 40'000'000);  // two pages left, then the round ends the step
  CHECK(m.ksm().rmap_items(*as) == 8);
  CHECK(m.ksm().counters().full_scans == 1);
  m.ksm().set_sleep_millisecs(0);  // still a millisecond between steps
  CHECK(m.ksm().tick(t0 + 60'000'000) == t0 + 61'000'000);
}

TEST_CASE("ksm: reclaim swaps a KSM page out through the reverse map; it comes back plain",
          "[ksm]") {
  test::FakeRam ram(8 << 20);
  test::FakeCpu cpu;
  mm::MemoryManager memory(ram.memory(), cpu, mm::MemoryOptions{u64{4} << 20});
  auto a = std::make_unique<mm::AddressSpace>(memory);
  auto b = std::make_unique<mm::AddressSpace>(memory);
  const u64 va_a = map_anon(*a, 1);
  const u64 va_b = map_anon(*b, 1);
  fill(*a, va_a, 'S');
  fill(*b, va_b, 'S');
  REQUIRE(a->madvise(va_a, kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(b->madvise(va_b, kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(memory.ksm().set_run(1).ok());
  memory.ksm().scan(100);
  memory.ksm().scan(100);
  const Pfn kpage = pfn_at(*a, va_a);
  REQUIRE(memory.frame(kpage).test(mm::PG_ksm));
  REQUIRE(pfn_at(*b, va_b) == kpage);
  // Reclaim until the KSM page is written out: both entries become swap entries at once.
  for (int i = 0; i < 64 && memory.stats().pswpout == 0; ++i) memory.reclaimer().reclaim(64);
  REQUIRE(memory.stats().pswpout >= 1);
  const Pte swapped_a = pte_at(*a, va_a);
  const Pte swapped_b = pte_at(*b, va_b);
  CHECK(swapped_a.soft_type() == Pte::SoftType::Swap);
  CHECK(swapped_b.soft_type() == Pte::SoftType::Swap);
  CHECK(swapped_a.soft_value() == swapped_b.soft_value());
  CHECK(memory.ksm().counters().pages_shared == 0);
  test::check_consistent(memory, {a.get(), b.get()});
  // Read back: one page for both, read-only until a write copies it; no longer KSM.
  CHECK(peek(*a, va_a + 1) == 'S');
  CHECK(peek(*b, va_b + 2) == 'S');
  const Pfn back = pfn_at(*a, va_a);
  CHECK(pfn_at(*b, va_b) == back);
  CHECK(!memory.frame(back).test(mm::PG_ksm));
  CHECK(!pte_at(*a, va_a).writable());
  test::check_consistent(memory, {a.get(), b.get()});
  REQUIRE(mm::write_user<u8>(*a, va_a, 'w').ok());
  CHECK(peek(*b, va_b) == 'S');
  CHECK(memory.stats().cow_ksm == 0);
  test::check_consistent(memory, {a.get(), b.get()});
  // ksmd merges them again once they are equal and stable: here they differ.
  memory.ksm().scan(100);
  memory.ksm().scan(100);
  CHECK(memory.ksm().counters().pages_shared == 0);
}
