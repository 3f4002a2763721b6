// Reclaim, swap and the swap cache: the order pages go in, that data comes back exact, and
// that the reverse map, the swap counts and the frame references stay consistent.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "fake_machine.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"
#include "mm_consistency.h"

using namespace kernel;
using x86_64::Pte;

namespace {

constexpr u32 kRead = mm::kFaultUser;
constexpr u32 kWrite = mm::kFaultUser | mm::kFaultWrite;

struct Machine {
  explicit Machine(u64 ram_size = 8 << 20, std::optional<u64> swap = std::nullopt)
      : ram(ram_size), memory(ram.memory(), cpu, mm::MemoryOptions{swap}) {}
  std::unique_ptr<mm::AddressSpace> new_address_space() {
    return std::make_unique<mm::AddressSpace>(memory);
  }
  test::FakeRam ram;
  test::FakeCpu cpu;
  mm::MemoryManager memory;
};

u64 word_of(u64 page, u64 salt) {
  return (page + 1) * 0x9e3779b97f4a7c15ull ^ salt;
}

// Writes a word into each page of [at, at + pages) the way the guest would: fault, then
// store through the page table (setting Dirty as the MMU does).
void write_pages(mm::AddressSpace& as, u64 at, u64 pages, u64 salt) {
  for (u64 i = 0; i < pages; ++i) {
    const u64 va = at + i * kPageSize;
    auto pte = as.page_table().lookup(va).pte;
    if (!pte.present() || !pte.writable()) {
      const u32 code = kWrite | (pte.present() ? mm::kFaultPresent : 0);
      REQUIRE(as.handle_fault(va, code).handled());
    }
    Pte* slot = as.page_table().leaf_entry(va, x86_64::Allocate::No);
    *slot = slot->with(Pte::kAccessed | Pte::kDirty);
    const u64 word = word_of(i, salt);
    std::memcpy(as.ram().frame(slot->pfn()) + 8 * (i % 64), &word, 8);
  }
}

// Reads the words back, faulting pages in as a guest read would.
bool pages_hold(mm::AddressSpace& as, u64 at, u64 pages, u64 salt) {
  for (u64 i = 0; i < pages; ++i) {
    const u64 va = at + i * kPageSize;
    if (!as.page_table().lookup(va).pte.present()) {
      if (!as.handle_fault(va, kRead).handled()) return false;
    }
    const Pte pte = as.page_table().lookup(va).pte;
    u64 word;
    std::memcpy(&word, as.ram().frame(pte.pfn()) + 8 * (i % 64), 8);
    if (word != word_of(i, salt)) return false;
  }
  return true;
}

u64 map_anon(mm::AddressSpace& as, u64 pages) {
  mm::MapRequest req;
  req.length = pages * kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  return as.map(req).value();
}

}  // namespace

TEST_CASE("kernel records are charged against RAM", "[reclaim]") {
  Machine m(16 << 20);
  const u64 ram_frames = (16 << 20) / kPageSize;
  CHECK(m.memory.record_frames() > 0);
  // RAM minus frame 0 minus the records: what the allocator manages (MemTotal).
  CHECK(m.memory.frames().total_frames() == ram_frames - 1 - m.memory.record_frames());
}

TEST_CASE(
    "reclaim discards lazily freed pages, then clean file pages, then swaps anonymous "
    "pages",
    "[reclaim]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 anon = map_anon(*as, 8);
  const u64 lazy = map_anon(*as, 8);
  auto file = std::make_shared<mm::MemoryObject>(m.memory, mm::ObjectKind::PageCache);
  REQUIRE(file->allocate(0, 8 * kPageSize, false).ok());
  mm::MapRequest req;
  req.length = 8 * kPageSize;
  req.prot = abi::kPROT_READ;
  req.object = file;
  const u64 mapped_file = as->map(req).value();
  write_pages(*as, anon, 8, 1);
  write_pages(*as, lazy, 8, 2);
  for (u64 i = 0; i < 8; ++i)
    REQUIRE(as->handle_fault(mapped_file + i * kPageSize, kRead).handled());
  as->lazyfree_range(lazy, lazy + 8 * kPageSize);
  const auto& stats = m.memory.stats();

  CHECK(m.memory.reclaimer().reclaim(8) == 8);
  CHECK(stats.pglazyfreed == 8);
  CHECK(file->resident_pages() == 8);
  CHECK(stats.pswpout == 0);
  for (u64 i = 0; i < 8; ++i) CHECK(as->page_table().lookup(lazy + i * kPageSize).pte.none());
  test::check_consistent(m.memory, {as.get()});

  CHECK(m.memory.reclaimer().reclaim(8) == 8);
  CHECK(file->resident_pages() == 0);
  CHECK(stats.pswpout == 0);
  CHECK(pages_hold(*as, anon, 8, 1));
  test::check_consistent(m.memory, {as.get()});

  CHECK(m.memory.reclaimer().reclaim(8) == 8);
  CHECK(stats.pswpout == 8);
  for (u64 i = 0; i < 8; ++i)
    CHECK(as->page_table().lookup(anon + i * kPageSize).pte.soft_type() == Pte::SoftType::Swap);
  test::check_consistent(m.memory, {as.get()});

  // Back in, exact, one major fault each; the lazily freed pages read as zeros.
  CHECK(pages_hold(*as, anon, 8, 1));
  CHECK(stats.pswpin == 8);
  CHECK(as->fault_counters().major == 8);
  CHECK(as->handle_fault(lazy, kRead).resolution == mm::FaultResolution::ZeroPage);
  test::check_consistent(m.memory, {as.get()});
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
}

TEST_CASE("a page written after MADV_FREE is not discarded", "[reclaim]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 lazy = map_anon(*as, 4);
  write_pages(*as, lazy, 4, 7);
  as->lazyfree_range(lazy, lazy + 4 * kPageSize);
  // The MMU sets Dirty again on the write.
  Pte* slot = as->page_table().leaf_entry(lazy + kPageSize, x86_64::Allocate::No);
  *slot = slot->with(Pte::kDirty | Pte::kAccessed);
  CHECK(m.memory.reclaimer().reclaim(3) == 3);
  CHECK(m.memory.stats().pglazyfreed == 3);
  CHECK(m.memory.stats().pswpout == 0);
  CHECK(as->page_table().lookup(lazy + kPageSize).pte.present());
  CHECK(as->page_table().lookup(lazy).pte.none());
  // The rescued page is swap-backed again.
  const Pfn kept = as->page_table().lookup(lazy + kPageSize).pte.pfn();
  CHECK(m.memory.frame(kept).test(mm::PG_swapbacked));
  CHECK_FALSE(m.memory.frame(kept).test(mm::PG_lazyfree));
  test::check_consistent(m.memory, {as.get()});
}

TEST_CASE("dirty shmem pages go to swap and read back exact", "[reclaim][swap]") {
  Machine m;
  auto object = std::make_shared<mm::MemoryObject>(m.memory, mm::ObjectKind::Tmpfs);
  std::vector<u8> data(16 * kPageSize);
  for (u64 i = 0; i < data.size(); ++i) data[i] = static_cast<u8>(i * 7 + i / 4096);
  REQUIRE(object->write(data, 0).value() == data.size());
  u64 freed = 0;
  for (int i = 0; i < 8 && object->resident_pages() > 0; ++i)
    freed += m.memory.reclaimer().reclaim(16);
  CHECK(freed == 16);
  CHECK(object->swapped_pages() == 16);
  CHECK(object->resident_pages() == 0);
  CHECK(m.memory.stats().pswpout == 16);
  std::vector<u8> back(data.size());
  REQUIRE(object->read(back, 0).value() == data.size());
  CHECK(back == data);
  CHECK(object->swapped_pages() == 0);
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
  // Swap out again and drop the object's pages: their slots are freed.
  for (int i = 0; i < 8 && object->resident_pages() > 0; ++i) m.memory.reclaimer().reclaim(16);
  REQUIRE(object->swapped_pages() == 16);
  REQUIRE(object->resize(0).ok());
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
}

TEST_CASE("a page shared by two address spaces swaps in once through the swap cache",
          "[reclaim][swap]") {
  Machine m;
  auto a = m.new_address_space();
  auto b = m.new_address_space();
  const u64 at = map_anon(*a, 1);
  mm::MapRequest req;
  req.addr = at;
  req.length = kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.placement = mm::MapPlacement::Fixed;
  REQUIRE(b->map(req).ok());
  write_pages(*a, at, 1, 9);
  // Share the frame read-only in both, as fork would.
  Pte* in_a = a->page_table().leaf_entry(at, x86_64::Allocate::No);
  const Pfn frame = in_a->pfn();
  *in_a = in_a->without(Pte::kWritable);
  Pte* in_b = b->page_table().leaf_entry(at, x86_64::Allocate::Yes);
  *in_b = in_a->without(Pte::kDirty);
  m.memory.rmap().add(frame, b.get(), at);
  m.memory.frames().get(frame);
  test::check_consistent(m.memory, {a.get(), b.get()});

  while (m.memory.stats().pswpout == 0) REQUIRE(m.memory.reclaimer().reclaim(1) <= 1);
  const Pte swapped = a->page_table().lookup(at).pte;
  REQUIRE(swapped.soft_type() == Pte::SoftType::Swap);
  CHECK(b->page_table().lookup(at).pte == swapped);
  CHECK(m.memory.swap().count(swapped.soft_value()) == 2);
  test::check_consistent(m.memory, {a.get(), b.get()});

  const auto first = a->handle_fault(at, kRead);
  CHECK(first.resolution == mm::FaultResolution::SwapIn);
  CHECK(first.major);
  const auto second = b->handle_fault(at, kRead);
  CHECK(second.resolution == mm::FaultResolution::SwapIn);
  CHECK_FALSE(second.major);
  CHECK(m.memory.stats().pswpin == 1);
  const Pfn in = a->page_table().lookup(at).pte.pfn();
  CHECK(b->page_table().lookup(at).pte.pfn() == in);
  // Every entry is back: the swap cache let go, the slot is free, both read the data.
  CHECK_FALSE(m.memory.frame(in).test(mm::PG_swapcache));
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
  CHECK(pages_hold(*a, at, 1, 9));
  CHECK(pages_hold(*b, at, 1, 9));
  test::check_consistent(m.memory, {a.get(), b.get()});
  // A write now copies: the other still sees the old data.
  REQUIRE(a->handle_fault(at, kWrite | mm::kFaultPresent).resolution ==
          mm::FaultResolution::CowCopy);
  CHECK(a->page_table().lookup(at).pte.pfn() != in);
  test::check_consistent(m.memory, {a.get(), b.get()});
}

TEST_CASE("with swap full, faults run out of memory", "[reclaim][swap]") {
  Machine m(8 << 20, 64 * kPageSize);
  auto as = m.new_address_space();
  const u64 pages = 4096;
  const u64 at = map_anon(*as, pages);
  u64 touched = 0;
  mm::FaultResult r;
  for (; touched < pages; ++touched) {
    r = as->handle_fault(at + touched * kPageSize, kWrite);
    if (!r.handled()) break;
  }
  CHECK(r.resolution == mm::FaultResolution::OutOfMemory);
  CHECK(m.memory.swap().free_slots() == 0);
  CHECK(m.memory.stats().pswpout == 64);
  // Everything RAM and swap could hold was touched before that.
  CHECK(touched > m.memory.frames().total_frames() - 64);
  test::check_consistent(m.memory, {as.get()});
}

TEST_CASE("without swap, anonymous memory is never reclaimed", "[reclaim][swap]") {
  Machine m(8 << 20, 0);
  CHECK_FALSE(m.memory.swap().enabled());
  auto as = m.new_address_space();
  const u64 at = map_anon(*as, 64);
  write_pages(*as, at, 64, 3);
  CHECK(m.memory.reclaimer().reclaim(32) == 0);
  as->pageout_range(at, at + 64 * kPageSize);
  CHECK(m.memory.stats().pswpout == 0);
  CHECK(pages_hold(*as, at, 64, 3));
  for (u64 i = 0; i < 64; ++i) CHECK(as->page_table().lookup(at + i * kPageSize).pte.present());
}

TEST_CASE("MADV_PAGEOUT swaps a range now and WILLNEED reads it into the swap cache",
          "[reclaim][swap]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 at = map_anon(*as, 16);
  write_pages(*as, at, 16, 5);
  CHECK(as->pageout_range(at, at + 16 * kPageSize) == 16);
  CHECK(m.memory.stats().pswpout == 16);
  CHECK_FALSE(as->page_resident(at));
  test::check_consistent(m.memory, {as.get()});
  REQUIRE(as->willneed_range(at, at + 8 * kPageSize).ok());
  CHECK(m.memory.stats().pswpin == 8);
  // In the swap cache: resident for mincore, though the entries still name swap.
  CHECK(as->page_resident(at));
  CHECK_FALSE(as->page_resident(at + 8 * kPageSize));
  CHECK(as->page_table().lookup(at).pte.soft_type() == Pte::SoftType::Swap);
  test::check_consistent(m.memory, {as.get()});
  CHECK(pages_hold(*as, at, 16, 5));
  CHECK(m.memory.stats().pswpin == 16);  // the first eight came from the cache
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
  test::check_consistent(m.memory, {as.get()});
}

TEST_CASE("MADV_COLD moves pages to the inactive list", "[reclaim]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 at = map_anon(*as, 4);
  write_pages(*as, at, 4, 1);
  const Pfn frame = as->page_table().lookup(at).pte.pfn();
  m.memory.lru().activate(frame);
  CHECK(m.memory.lru().list_of(frame) == mm::LruList::ActiveAnon);
  as->deactivate_range(at, at + 4 * kPageSize);
  CHECK(m.memory.lru().list_of(frame) == mm::LruList::InactiveAnon);
  CHECK_FALSE(as->page_table().lookup(at).pte.accessed());
  // Cold and unreferenced: the first reclaim pass takes them.
  CHECK(m.memory.reclaimer().reclaim(4) == 4);
}

TEST_CASE("mappings, references and swap counts stay exact through random pressure",
          "[reclaim][swap]") {
  Machine m(4 << 20, 512 * kPageSize);
  auto a = m.new_address_space();
  auto b = m.new_address_space();
  auto shm = std::make_shared<mm::MemoryObject>(m.memory, mm::ObjectKind::SharedAnon);
  REQUIRE(shm->resize(256 * kPageSize).ok());
  std::mt19937_64 rng(777);
  auto pick = [&](u64 n) { return rng() % n; };
  const u64 base = 0x10000000;
  constexpr u64 kWindow = 1024;
  for (int step = 0; step < 1500; ++step) {
    mm::AddressSpace& as = pick(2) ? *a : *b;
    const u64 page = base + pick(kWindow) * kPageSize;
    const u64 len = (1 + pick(64)) * kPageSize;
    const int op = static_cast<int>(pick(10));
    INFO("step " << step << " op " << op);
    switch (op) {
      case 0: {
        mm::MapRequest req;
        req.addr = page;
        req.length = len;
        req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
        req.placement = mm::MapPlacement::Fixed;
        if (pick(3) == 0) {
          req.object = shm;
          req.shared = true;
          req.offset = pick(128) * kPageSize;
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
        for (u64 p = page; p < page + len; p += kPageSize)
          if (as.find_vma(p)) (void)as.handle_fault(p, pick(3) ? kWrite : kRead);
        break;
      case 5:
        if (as.find_vma(page) && as.find_vma(page)->anonymous() &&
            as.find_vma(page)->end >= page + len)
          as.lazyfree_range(page, page + len);
        break;
      case 6:
        if (as.find_vma(page) && as.find_vma(page)->end >= page + len)
          (void)as.pageout_range(page, page + len);
        break;
      case 7:
        m.memory.reclaimer().reclaim(1 + pick(64));
        break;
      case 8:
        (void)as.protect(page, len,
                         pick(3) == 0 ? abi::kPROT_NONE : abi::kPROT_READ | abi::kPROT_WRITE);
        break;
      case 9:
        if (as.find_vma(page) && as.find_vma(page)->end >= page + len)
          (void)as.willneed_range(page, page + len);
        break;
    }
    test::check_consistent(m.memory, {a.get(), b.get()}, {shm.get()});
  }
  a.reset();
  b.reset();
  shm.reset();
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
  CHECK(m.memory.rmap().items_in_use() == 0);
}
