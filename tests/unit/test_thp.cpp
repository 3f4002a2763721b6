// Transparent huge pages (huge_memory.cpp, khugepaged.cpp): the huge fault and its settings,
// the huge zero page, every split trigger (partial munmap, mprotect, mremap, DONTNEED, COW
// after fork, reclaim, the exported split_huge_page), MADV_COLLAPSE with 6.1's errno rules
// and the khugepaged step. Each step is checked against the memory manager's bookkeeping:
// one reverse-map item and reference per huge entry on the head, nothing on the tails,
// one deposited page table per huge entry.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <optional>

#include "fake_machine.h"
#include "guest_access.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/khugepaged.h"
#include "kernel/mm/ksm.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/uaccess.h"
#include "mm_consistency.h"

using namespace kernel;
using x86_64::Pte;

namespace {

using test::huge_at;
using test::peek;
using test::poke;

constexpr u32 kRead = mm::kFaultUser;
constexpr u32 kWrite = mm::kFaultUser | mm::kFaultWrite;
constexpr u64 kRw = abi::kPROT_READ | abi::kPROT_WRITE;
constexpr u64 kHuge = kHugePageSize;
constexpr u64 kBase = 0x4000'0000;  // 2 MiB aligned

struct Machine {
  explicit Machine(u64 ram_size = 64 << 20, std::optional<u64> swap = std::nullopt)
      : ram(ram_size), memory(ram.memory(), cpu, mm::MemoryOptions{swap}) {
    memory.set_thp_settings(&thp);
  }
  std::unique_ptr<mm::AddressSpace> new_address_space() {
    return std::make_unique<mm::AddressSpace>(memory);
  }
  void check(const std::vector<mm::AddressSpace*>& spaces) {
    test::check_consistent(memory, spaces);
  }
  mm::ThpSettings thp;
  test::FakeRam ram;
  test::FakeCpu cpu;
  mm::MemoryManager memory;
};

// A private anonymous mapping of `length` at `addr`, with MADV_HUGEPAGE when asked.
void map_at(mm::AddressSpace& as, u64 addr, u64 length, bool hugepage = true) {
  mm::MapRequest req;
  req.addr = addr;
  req.length = length;
  req.prot = kRw;
  req.placement = mm::MapPlacement::Fixed;
  REQUIRE(as.map(req).ok());
  if (hugepage) REQUIRE(as.madvise(addr, length, abi::kMADV_HUGEPAGE).ok());
}

x86_64::PageTable::Lookup at(mm::AddressSpace& as, u64 va) {
  return as.page_table().lookup(va);
}

// Writes a distinct byte into every page of [va, va + pages) through the guest's view.
void fill(mm::AddressSpace& as, u64 va, u64 pages, u8 seed) {
  for (u64 i = 0; i < pages; ++i) poke(as, va + i * kPageSize + 7, static_cast<u8>(seed + i));
}
bool intact(mm::AddressSpace& as, u64 va, u64 pages, u8 seed) {
  for (u64 i = 0; i < pages; ++i)
    if (peek(as, va + i * kPageSize + 7) != static_cast<u8>(seed + i)) return false;
  return true;
}

}  // namespace

TEST_CASE("a write fault under MADV_HUGEPAGE maps one 2 MiB page", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, 2 * kHuge);
  const auto r = as->handle_fault(kBase + 0x1234, kWrite);
  CHECK(r.resolution == mm::FaultResolution::NewHugePage);
  REQUIRE(huge_at(*as, kBase + kHuge - 1));
  const Pfn head = at(*as, kBase).pte.pfn();
  CHECK(head.value % 512 == 0);
  CHECK(at(*as, kBase).pte.writable());
  CHECK(at(*as, kBase).pte.dirty());
  CHECK(m.memory.frames().refcount(head) == 1);
  CHECK(m.memory.rmap().mapcount(head) == 1);
  CHECK(m.memory.stats().thp_fault_alloc == 1);
  CHECK(as->deposited_tables() == 1);
  // The second huge range faults on its own; the rest of the first needs no fault.
  CHECK(as->handle_fault(kBase + 0x5000, kWrite).resolution == mm::FaultResolution::Spurious);
  CHECK_FALSE(huge_at(*as, kBase + kHuge));
  CHECK(as->usage().anon_rss == 512);
  m.check({as.get()});
  // Unmapping it whole frees the order-9 block and the deposit.
  REQUIRE(as->unmap(kBase, 2 * kHuge).ok());
  CHECK(m.memory.frames().is_free(head));
  CHECK(as->deposited_tables() == 0);
  m.check({as.get()});
}

TEST_CASE("the enabled mode, the VMA flags and the VMA's size decide the fault", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  SECTION("madvise mode without the advice: a small page") {
    map_at(*as, kBase, kHuge, false);
    CHECK(as->handle_fault(kBase, kWrite).resolution == mm::FaultResolution::NewAnonPage);
    CHECK(m.memory.stats().thp_fault_alloc == 0);
  }
  SECTION("always mode: huge without the advice") {
    m.thp.enabled = mm::ThpEnabled::Always;
    map_at(*as, kBase, kHuge, false);
    CHECK(as->handle_fault(kBase, kWrite).resolution == mm::FaultResolution::NewHugePage);
  }
  SECTION("never mode: small even with the advice") {
    m.thp.enabled = mm::ThpEnabled::Never;
    map_at(*as, kBase, kHuge);
    CHECK(as->handle_fault(kBase, kWrite).resolution == mm::FaultResolution::NewAnonPage);
  }
  SECTION("MADV_NOHUGEPAGE in always mode: small") {
    m.thp.enabled = mm::ThpEnabled::Always;
    map_at(*as, kBase, kHuge, false);
    REQUIRE(as->madvise(kBase, kHuge, abi::kMADV_NOHUGEPAGE).ok());
    CHECK(as->handle_fault(kBase, kWrite).resolution == mm::FaultResolution::NewAnonPage);
  }
  SECTION("a VMA that holds no aligned 2 MiB: small") {
    map_at(*as, kBase + kPageSize, kHuge);
    CHECK(as->handle_fault(kBase + kHuge - kPageSize, kWrite).resolution ==
          mm::FaultResolution::NewAnonPage);
    CHECK(as->handle_fault(kBase + kHuge, kWrite).resolution == mm::FaultResolution::NewAnonPage);
  }
  m.check({as.get()});
}

TEST_CASE("no free order-9 block: the fault falls back to a small page", "[thp]") {
  Machine m(8 << 20);
  m.thp.defrag = mm::ThpDefrag::Never;
  auto as = m.new_address_space();
  map_at(*as, kBase, kHuge);
  // Take every block of order 9 and above.
  std::vector<Pfn> taken;
  while (auto block = m.memory.frames().allocate_no_reclaim(9)) taken.push_back(*block);
  CHECK(as->handle_fault(kBase, kWrite).resolution == mm::FaultResolution::NewAnonPage);
  CHECK(m.memory.stats().thp_fault_fallback == 1);
  for (Pfn p : taken) m.memory.frames().free(p, 9);
  m.check({as.get()});
}

TEST_CASE("a read maps the huge zero page; the first write splits it", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, kHuge);
  CHECK(as->handle_fault(kBase + 0x3000, kRead).resolution == mm::FaultResolution::HugeZeroPage);
  REQUIRE(huge_at(*as, kBase));
  CHECK(m.memory.is_huge_zero(at(*as, kBase).pte.pfn()));
  CHECK_FALSE(at(*as, kBase).pte.writable());
  CHECK(m.memory.stats().thp_zero_page_alloc == 1);
  CHECK(as->usage().anon_rss == 0);
  m.check({as.get()});
  // A second address space reuses the same huge zero page.
  auto other = m.new_address_space();
  map_at(*other, kBase, kHuge);
  CHECK(other->handle_fault(kBase, kRead).resolution == mm::FaultResolution::HugeZeroPage);
  CHECK(m.memory.stats().thp_zero_page_alloc == 1);
  const auto w = as->handle_fault(kBase + 0x5000, kWrite);
  CHECK(w.resolution == mm::FaultResolution::CowZeroPage);
  CHECK(m.memory.stats().thp_split_pmd == 1);
  CHECK(m.memory.stats().thp_split_page == 0);  // the huge zero page is never split as a page
  CHECK(at(*as, kBase + 0x5000).level == 1);
  CHECK(at(*as, kBase).pte.pfn() == m.memory.zero_page());
  CHECK(as->usage().anon_rss == 1);
  CHECK(huge_at(*other, kBase));
  m.check({as.get(), other.get()});
  SECTION("use_zero_page off: a read allocates a huge page") {
    m.thp.use_zero_page = false;
    auto third = m.new_address_space();
    map_at(*third, kBase, kHuge);
    CHECK(third->handle_fault(kBase, kRead).resolution == mm::FaultResolution::NewHugePage);
  }
}

TEST_CASE("a partial munmap splits the huge page and keeps the rest", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, kHuge);
  fill(*as, kBase, 512, 3);
  REQUIRE(huge_at(*as, kBase));
  const Pfn head = at(*as, kBase).pte.pfn();
  REQUIRE(as->unmap(kBase + 5 * kPageSize, kPageSize).ok());
  CHECK(m.memory.stats().thp_split_pmd == 1);
  CHECK(m.memory.stats().thp_split_page == 1);
  CHECK_FALSE(huge_at(*as, kBase));
  CHECK(at(*as, kBase + 6 * kPageSize).pte.pfn() == Pfn(head.value + 6));
  CHECK(m.memory.frames().is_free(Pfn(head.value + 5)));
  CHECK(m.memory.frames().refcount(Pfn(head.value + 6)) == 1);
  CHECK_FALSE(m.memory.frame(Pfn(head.value + 6)).test(mm::PG_tail));
  CHECK(as->deposited_tables() == 0);
  CHECK(intact(*as, kBase, 5, 3));
  CHECK(intact(*as, kBase + 6 * kPageSize, 506, 9));
  CHECK(as->usage().anon_rss == 511);
  m.check({as.get()});
}

TEST_CASE("mprotect of part splits; of the whole keeps the huge entry", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, 2 * kHuge);
  fill(*as, kBase, 1024, 1);
  REQUIRE(as->protect(kBase + kHuge, kHuge, abi::kPROT_READ).ok());
  CHECK(huge_at(*as, kBase + kHuge));
  CHECK_FALSE(at(*as, kBase + kHuge).pte.writable());
  CHECK(m.memory.stats().thp_split_pmd == 0);
  REQUIRE(as->protect(kBase, 16 * kPageSize, abi::kPROT_READ).ok());
  CHECK_FALSE(huge_at(*as, kBase));
  CHECK(m.memory.stats().thp_split_page == 1);
  CHECK_FALSE(at(*as, kBase).pte.writable());
  CHECK(at(*as, kBase + 16 * kPageSize).pte.writable());
  // Write access back on the whole: the write fault reuses the page in place.
  REQUIRE(as->protect(kBase + kHuge, kHuge, kRw).ok());
  CHECK(as->handle_fault(kBase + kHuge, kWrite).resolution == mm::FaultResolution::CowReuse);
  CHECK(huge_at(*as, kBase + kHuge));
  SECTION("PROT_NONE splits") {
    REQUIRE(as->protect(kBase + kHuge, kHuge, abi::kPROT_NONE).ok());
    CHECK_FALSE(huge_at(*as, kBase + kHuge));
    REQUIRE(as->protect(kBase + kHuge, kHuge, kRw).ok());
  }
  CHECK(intact(*as, kBase, 1024, 1));
  m.check({as.get()});
}

TEST_CASE("MADV_DONTNEED of part splits; of the whole drops the huge page", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, 2 * kHuge);
  fill(*as, kBase, 1024, 5);
  const Pfn second = at(*as, kBase + kHuge).pte.pfn();
  REQUIRE(as->madvise(kBase + kHuge, kHuge, abi::kMADV_DONTNEED).ok());
  CHECK(m.memory.frames().is_free(second));
  CHECK(m.memory.stats().thp_split_page == 0);
  REQUIRE(as->madvise(kBase, 8 * kPageSize, abi::kMADV_DONTNEED).ok());
  CHECK(m.memory.stats().thp_split_page == 1);
  CHECK(peek(*as, kBase + 7) == 0);
  CHECK(intact(*as, kBase + 8 * kPageSize, 504, 13));
  m.check({as.get()});
  SECTION("MADV_FREE splits too") {
    REQUIRE(as->madvise(kBase + kHuge, kHuge, abi::kMADV_HUGEPAGE).ok());
    poke(*as, kBase + kHuge, 1);
    REQUIRE(huge_at(*as, kBase + kHuge));
    REQUIRE(as->madvise(kBase + kHuge, kHuge, abi::kMADV_FREE).ok());
    CHECK_FALSE(huge_at(*as, kBase + kHuge));
    m.check({as.get()});
  }
}

TEST_CASE("mremap moves an aligned huge entry whole and splits an unaligned one", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, kHuge);
  fill(*as, kBase, 512, 2);
  const Pfn head = at(*as, kBase).pte.pfn();
  const u64 to = kBase + 16 * kHuge;
  REQUIRE(as->remap(kBase, kHuge, kHuge, abi::kMREMAP_MAYMOVE | abi::kMREMAP_FIXED, to).ok());
  CHECK(huge_at(*as, to));
  CHECK(at(*as, to).pte.pfn() == head);
  CHECK(m.memory.rmap().contains(head, as.get(), to));
  CHECK(m.memory.stats().thp_split_pmd == 0);
  m.check({as.get()});
  const u64 unaligned = kBase + 32 * kHuge + kPageSize;
  REQUIRE(as->remap(to, kHuge, kHuge, abi::kMREMAP_MAYMOVE | abi::kMREMAP_FIXED, unaligned).ok());
  CHECK(m.memory.stats().thp_split_page == 1);
  CHECK(at(*as, unaligned).level == 1);
  CHECK(intact(*as, unaligned, 512, 2));
  m.check({as.get()});
}

TEST_CASE("fork shares the huge page; a write splits the writer's entry and copies one page",
          "[thp]") {
  Machine m;
  auto parent = m.new_address_space();
  map_at(*parent, kBase, kHuge);
  fill(*parent, kBase, 512, 4);
  const Pfn head = at(*parent, kBase).pte.pfn();
  auto child = parent->fork().value();
  CHECK(huge_at(*child, kBase));
  CHECK(m.memory.frames().refcount(head) == 2);
  CHECK(m.memory.rmap().mapcount(head) == 2);
  CHECK_FALSE(at(*parent, kBase).pte.writable());
  CHECK_FALSE(at(*child, kBase).pte.writable());
  m.check({parent.get(), child.get()});
  const auto r = child->handle_fault(kBase + 3 * kPageSize, kWrite);
  CHECK(r.resolution == mm::FaultResolution::CowCopy);
  // Only the child's entry is split (6.1's __split_huge_pmd): the parent keeps its huge
  // mapping of the same compound page, whose other frames the child maps small.
  CHECK(m.memory.stats().thp_split_page == 0);
  CHECK(m.memory.stats().thp_split_pmd == 1);
  CHECK(huge_at(*parent, kBase));
  CHECK(at(*parent, kBase).pte.pfn() == head);
  CHECK(at(*child, kBase).level == 1);
  CHECK(at(*child, kBase).pte.pfn() == head);
  CHECK(at(*child, kBase + 3 * kPageSize).pte.pfn() != Pfn(head.value + 3));
  CHECK(at(*child, kBase + 4 * kPageSize).pte.pfn() == Pfn(head.value + 4));
  CHECK(m.memory.frame(head).test(mm::PG_head));
  CHECK(m.memory.frames().refcount(Pfn(head.value + 4)) == 2);
  CHECK(m.memory.frames().refcount(Pfn(head.value + 3)) == 1);
  CHECK(mm::page_mapcount(m.memory, Pfn(head.value + 4)) == 2);
  CHECK(mm::compound_mapcount(m.memory, head) == 1);
  poke(*child, kBase + 3 * kPageSize + 7, 99);
  CHECK(intact(*parent, kBase, 512, 4));
  m.check({parent.get(), child.get()});
  SECTION("the child's next write copies too; the parent's copies its own huge page") {
    CHECK(child->handle_fault(kBase + 5 * kPageSize, kWrite).resolution ==
          mm::FaultResolution::CowCopy);
    CHECK(huge_at(*parent, kBase));
    m.check({parent.get(), child.get()});
    // The parent's huge entry is not its alone: its write splits its own entry, and the
    // page stops being compound with no huge entry left.
    CHECK(parent->handle_fault(kBase + 10 * kPageSize, kWrite).resolution ==
          mm::FaultResolution::CowCopy);
    CHECK_FALSE(m.memory.frame(head).test(mm::PG_head));
    CHECK(m.memory.stats().thp_split_page == 1);
    CHECK(intact(*parent, kBase + 11 * kPageSize, 500, 15));
    m.check({parent.get(), child.get()});
  }
  SECTION("the last mapper left writes in place") {
    child.reset();
    CHECK(parent->handle_fault(kBase + 10 * kPageSize, kWrite).resolution ==
          mm::FaultResolution::CowReuse);
    CHECK(huge_at(*parent, kBase));
    m.check({parent.get()});
  }
  SECTION("the parent's exit leaves the child ordinary pages") {
    parent.reset();
    CHECK_FALSE(m.memory.frame(head).test(mm::PG_head));
    CHECK(m.memory.frames().refcount(Pfn(head.value + 4)) == 1);
    CHECK(m.memory.frames().is_free(Pfn(head.value + 3)));
    CHECK(child->handle_fault(kBase + 4 * kPageSize, kWrite).resolution ==
          mm::FaultResolution::CowReuse);
    m.check({child.get()});
  }
}

TEST_CASE("a huge page shared after fork is reused in place once the child is gone", "[thp]") {
  Machine m;
  auto parent = m.new_address_space();
  map_at(*parent, kBase, kHuge);
  poke(*parent, kBase, 1);
  {
    auto child = parent->fork().value();
    m.check({parent.get(), child.get()});
  }
  CHECK(parent->handle_fault(kBase, kWrite).resolution == mm::FaultResolution::CowReuse);
  CHECK(huge_at(*parent, kBase));
  CHECK(m.memory.stats().thp_split_page == 0);
  m.check({parent.get()});
}

TEST_CASE("split_huge_page splits for every mapper and keeps the data", "[thp]") {
  Machine m;
  auto a = m.new_address_space();
  map_at(*a, kBase, kHuge);
  fill(*a, kBase, 512, 8);
  auto b = a->fork().value();
  const Pfn head = at(*a, kBase).pte.pfn();
  CHECK(mm::compound_head(m.memory, Pfn(head.value + 77)) == head);
  REQUIRE(mm::split_huge_page(m.memory, head));
  CHECK_FALSE(mm::split_huge_page(m.memory, head));  // no longer compound
  CHECK(mm::compound_head(m.memory, Pfn(head.value + 77)) == Pfn(head.value + 77));
  CHECK(at(*a, kBase + 77 * kPageSize).pte.pfn() == Pfn(head.value + 77));
  CHECK(at(*b, kBase + 77 * kPageSize).pte.pfn() == Pfn(head.value + 77));
  CHECK(m.memory.rmap().mapcount(Pfn(head.value + 77)) == 2);
  CHECK(intact(*b, kBase, 512, 8));
  m.check({a.get(), b.get()});
}

TEST_CASE("a huge page mapped huge by one process and small by another", "[thp]") {
  Machine m(64 << 20, u64{16} << 20);
  auto parent = m.new_address_space();
  map_at(*parent, kBase, kHuge);
  fill(*parent, kBase, 512, 3);
  const Pfn head = at(*parent, kBase).pte.pfn();
  auto child = parent->fork().value();
  // The child writes one page: its own entry is split and the page copied; the parent's
  // entry stays huge.
  poke(*child, kBase + 9 * kPageSize + 7, 200);
  CHECK(huge_at(*parent, kBase));
  CHECK(at(*child, kBase + 10 * kPageSize).level == 1);
  CHECK(m.memory.frame(head).test(mm::PG_head));
  CHECK(m.memory.frames().refcount(Pfn(head.value + 9)) == 1);
  CHECK(mm::page_mapcount(m.memory, Pfn(head.value + 10)) == 2);
  m.check({parent.get(), child.get()});
  SECTION("PAGEOUT in the child takes its own copy and leaves the shared frames be") {
    CHECK(child->pageout_range(kBase, kBase + kHuge) == 1);
    CHECK(at(*child, kBase + 9 * kPageSize).pte.soft_type() == Pte::SoftType::Swap);
    CHECK(huge_at(*parent, kBase));
    CHECK(intact(*child, kBase + 10 * kPageSize, 502, 13));
    m.check({parent.get(), child.get()});
  }
  SECTION("khugepaged in the child counts them shared; MADV_COLLAPSE copies them") {
    m.thp.max_ptes_shared = 256;
    CHECK(child->collapse_scan_pmd(kBase, true) == mm::AddressSpace::ScanResult::ExceedSharedPte);
    REQUIRE(child->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).ok());
    CHECK(huge_at(*child, kBase));
    CHECK(at(*child, kBase).pte.pfn() != head);
    CHECK(huge_at(*parent, kBase));
    CHECK(m.memory.frames().refcount(Pfn(head.value + 10)) == 1);
    CHECK(intact(*child, kBase + 10 * kPageSize, 502, 13));
    CHECK(peek(*child, kBase + 9 * kPageSize + 7) == 200);
    CHECK(intact(*parent, kBase, 512, 3));
    m.check({parent.get(), child.get()});
  }
  SECTION("split_huge_page splits the parent's entry; the child's frames stay") {
    REQUIRE(mm::split_huge_page(m.memory, head));
    CHECK_FALSE(huge_at(*parent, kBase));
    CHECK(at(*parent, kBase + 10 * kPageSize).pte.pfn() == Pfn(head.value + 10));
    CHECK(at(*child, kBase + 10 * kPageSize).pte.pfn() == Pfn(head.value + 10));
    CHECK(m.memory.rmap().mapcount(Pfn(head.value + 10)) == 2);
    CHECK(m.memory.rmap().mapcount(Pfn(head.value + 9)) == 1);
    CHECK(intact(*parent, kBase, 512, 3));
    CHECK(peek(*child, kBase + 9 * kPageSize + 7) == 200);
    m.check({parent.get(), child.get()});
  }
  SECTION("the parent's munmap of the whole leaves the child ordinary pages") {
    REQUIRE(parent->unmap(kBase, kHuge).ok());
    CHECK_FALSE(m.memory.frame(head).test(mm::PG_head));
    CHECK(m.memory.frames().is_free(Pfn(head.value + 9)));
    CHECK(m.memory.frame(Pfn(head.value + 10)).test(mm::PG_lru));
    CHECK(intact(*child, kBase + 10 * kPageSize, 502, 13));
    m.check({parent.get(), child.get()});
  }
}

TEST_CASE("KSM merging a small-mapped subpage splits the huge page for every mapper",
          "[thp][ksm]") {
  Machine m;
  auto parent = m.new_address_space();
  map_at(*parent, kBase, kHuge);
  fill(*parent, kBase, 512, 1);
  poke(*parent, kBase + 21 * kPageSize + 7, 1 + 20);  // pages 20 and 21 now alike
  const Pfn head = at(*parent, kBase).pte.pfn();
  auto child = parent->fork().value();
  poke(*child, kBase + 9 * kPageSize + 7, 99);  // the child's entry is split
  REQUIRE(huge_at(*parent, kBase));
  REQUIRE(child->madvise(kBase, kHuge, abi::kMADV_MERGEABLE).ok());
  m.memory.ksm().scan(1000);
  m.memory.ksm().scan(1000);
  // try_to_merge_one_page split the compound page first: the parent's entry is small now.
  CHECK_FALSE(m.memory.frame(head).test(mm::PG_head));
  CHECK_FALSE(huge_at(*parent, kBase));
  const Pfn k20 = at(*child, kBase + 20 * kPageSize).pte.pfn();
  CHECK(k20 == at(*child, kBase + 21 * kPageSize).pte.pfn());
  CHECK(m.memory.frame(k20).test(mm::PG_ksm));
  CHECK(intact(*parent, kBase, 9, 1));
  CHECK(peek(*parent, kBase + 21 * kPageSize + 7) == 21);
  CHECK(peek(*child, kBase + 21 * kPageSize + 7) == 21);
  CHECK(peek(*child, kBase + 9 * kPageSize + 7) == 99);
  m.check({parent.get(), child.get()});
}

TEST_CASE("reclaim splits a huge page before it goes to swap", "[thp][swap]") {
  Machine m(64 << 20, u64{16} << 20);
  auto as = m.new_address_space();
  map_at(*as, kBase, kHuge);
  fill(*as, kBase, 512, 6);
  REQUIRE(as->madvise(kBase, kHuge, abi::kMADV_PAGEOUT).ok());
  CHECK(m.memory.stats().thp_split_page == 1);
  CHECK(m.memory.stats().pswpout == 512);
  CHECK(at(*as, kBase).pte.soft_type() == Pte::SoftType::Swap);
  CHECK(intact(*as, kBase, 512, 6));
  m.check({as.get()});
}

TEST_CASE("MADV_COLLAPSE turns small pages into one huge page with their data", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, 2 * kHuge, false);
  fill(*as, kBase, 512, 9);
  // Half of the second range only.
  fill(*as, kBase + kHuge, 256, 1);
  const Pfn old = at(*as, kBase + 3 * kPageSize).pte.pfn();
  REQUIRE(as->madvise(kBase, 2 * kHuge, abi::kMADV_COLLAPSE).ok());
  CHECK(huge_at(*as, kBase));
  CHECK(huge_at(*as, kBase + kHuge));
  CHECK(m.memory.frames().is_free(old));
  CHECK(m.memory.stats().thp_collapse_alloc == 2);
  CHECK(m.memory.khugepaged().pages_collapsed == 2);
  CHECK(intact(*as, kBase, 512, 9));
  CHECK(intact(*as, kBase + kHuge, 256, 1));
  CHECK(peek(*as, kBase + kHuge + 300 * kPageSize) == 0);
  CHECK(as->deposited_tables() == 2);
  m.check({as.get()});
  // Already huge: success without another allocation.
  REQUIRE(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).ok());
  CHECK(m.memory.stats().thp_collapse_alloc == 2);
}

TEST_CASE("MADV_COLLAPSE follows 6.1's errno rules", "[thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, kHuge, false);
  SECTION("untouched range: EINVAL (SCAN_PMD_NULL)") {
    CHECK(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).error() == abi::Errno::kEINVAL);
  }
  SECTION("only zero pages: EINVAL (SCAN_PAGE_RO)") {
    for (u64 i = 0; i < 512; i += 64) (void)peek(*as, kBase + i * kPageSize);
    CHECK(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).error() == abi::Errno::kEINVAL);
  }
  SECTION("MADV_NOHUGEPAGE: EINVAL") {
    poke(*as, kBase, 1);
    REQUIRE(as->madvise(kBase, kHuge, abi::kMADV_NOHUGEPAGE).ok());
    CHECK(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).error() == abi::Errno::kEINVAL);
  }
  SECTION("a pinned page: EAGAIN (SCAN_PAGE_COUNT)") {
    fill(*as, kBase, 4, 1);
    const Pfn pinned = at(*as, kBase).pte.pfn();
    m.memory.frames().get(pinned);
    CHECK(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).error() == abi::Errno::kEAGAIN);
    m.memory.frames().put(pinned);
    CHECK(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).ok());
  }
  SECTION("no order-9 block: ENOMEM") {
    fill(*as, kBase, 4, 1);
    std::vector<Pfn> taken;
    while (auto block = m.memory.frames().allocate_no_reclaim(9)) taken.push_back(*block);
    CHECK(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).error() == abi::Errno::kENOMEM);
    CHECK(m.memory.stats().thp_collapse_alloc_failed == 1);
    for (Pfn p : taken) m.memory.frames().free(p, 9);
  }
  SECTION("inside one huge page: EINVAL; ending at its first boundary: 0") {
    poke(*as, kBase, 1);
    CHECK(as->madvise(kBase + kPageSize, 4 * kPageSize, abi::kMADV_COLLAPSE).error() ==
          abi::Errno::kEINVAL);
  }
  SECTION("shared after fork: EINVAL while read-only, then collapsed into an own copy") {
    fill(*as, kBase, 512, 2);
    auto child = as->fork().value();
    // Every entry lost write access at fork: SCAN_PAGE_RO.
    CHECK(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).error() == abi::Errno::kEINVAL);
    poke(*as, kBase + 7, 2);  // one copy-on-write: a writable entry
    REQUIRE(as->madvise(kBase, kHuge, abi::kMADV_COLLAPSE).ok());
    CHECK(huge_at(*as, kBase));
    CHECK_FALSE(huge_at(*child, kBase));
    CHECK(intact(*child, kBase, 512, 2));
    CHECK(intact(*as, kBase, 512, 2));
    m.check({as.get(), child.get()});
  }
  m.check({as.get()});
}

TEST_CASE("khugepaged collapses what its limits allow", "[thp]") {
  Machine m;
  m.thp.scan_sleep_millisecs = 0;
  auto as = m.new_address_space();
  // Written as small pages (madvise mode, no advice yet), a page in four; then advised.
  map_at(*as, kBase, 2 * kHuge, false);
  for (u64 i = 0; i < 512; i += 4) poke(*as, kBase + i * kPageSize, 1);
  REQUIRE(as->madvise(kBase, 2 * kHuge, abi::kMADV_HUGEPAGE).ok());
  CHECK_FALSE(huge_at(*as, kBase));
  SECTION("max_ptes_none 511 (default): collapsed") {
    mm::khugepaged_step(m.memory, 1);
    CHECK(huge_at(*as, kBase));
    CHECK(m.memory.khugepaged().pages_collapsed == 1);
    CHECK(m.memory.khugepaged().full_scans == 1);
    CHECK(peek(*as, kBase + 4 * kPageSize) == 1);
    CHECK(peek(*as, kBase + 5 * kPageSize) == 0);
  }
  SECTION("max_ptes_none 0: left alone, counted") {
    m.thp.max_ptes_none = 0;
    mm::khugepaged_step(m.memory, 1);
    CHECK_FALSE(huge_at(*as, kBase));
    CHECK(m.memory.stats().thp_scan_exceed_none_pte == 1);
  }
  SECTION("not yet due: nothing scanned") {
    m.thp.scan_sleep_millisecs = 10000;
    mm::khugepaged_step(m.memory, 1);  // scans, then sleeps 10 s
    const u64 scans = m.memory.khugepaged().full_scans;
    mm::khugepaged_step(m.memory, 2);
    CHECK(m.memory.khugepaged().full_scans == scans);
  }
  m.check({as.get()});
}
