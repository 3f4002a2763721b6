// fork()'s memory (AddressSpace::fork, Linux's dup_mmap): private pages shared
// copy-on-write, fork advice (DONTFORK, WIPEONFORK), shared mappings, swap entries, mlock,
// and running out of memory half-way. Every step is checked against the memory manager's
// bookkeeping (reverse map, references, LRU, swap counts).
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fake_machine.h"
#include "guest_access.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/uaccess.h"
#include "mm_consistency.h"

using namespace kernel;
using x86_64::Pte;

namespace {

using test::peek;
using test::poke;

constexpr u32 kRead = mm::kFaultUser;
constexpr u32 kWrite = mm::kFaultUser | mm::kFaultWrite;
constexpr u64 kRw = abi::kPROT_READ | abi::kPROT_WRITE;

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

u64 map_anon(mm::AddressSpace& as, u64 pages, u64 prot = kRw) {
  mm::MapRequest req;
  req.length = pages * kPageSize;
  req.prot = prot;
  return as.map(req).value();
}

Pte pte_at(mm::AddressSpace& as, u64 va) {
  return as.page_table().lookup(va).pte;
}

u64 resolutions(const mm::AddressSpace& as, mm::FaultResolution r) {
  return as.fault_counters().by_resolution[static_cast<int>(r)];
}

// Records the reason of every tlb-flush event (what --trace=tlb prints).
class FlushReasons final : public TraceSink {
 public:
  void strace_line(std::string_view) override {}
  void warning(std::string_view) override {}
  void event(const char* name, std::span<const TraceField> fields) override {
    if (std::string_view(name) != "tlb-flush") return;
    for (const TraceField& field : fields)
      if (std::string_view(field.key) == "reason") reasons.emplace_back(field.text);
  }
  std::vector<std::string> reasons;
};

std::unique_ptr<mm::AddressSpace> fork_of(mm::AddressSpace& parent) {
  auto child = parent.fork();
  REQUIRE(child.ok());
  return std::move(child).value();
}

}  // namespace

TEST_CASE("fork shares private pages copy-on-write until one side writes", "[fork]") {
  Machine m;
  const u64 baseline = m.memory.frames().free_frames();
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 4);
  poke(*parent, at, 0x11);
  poke(*parent, at + kPageSize, 0x22);
  CHECK(peek(*parent, at + 3 * kPageSize) == 0);  // the zero page
  const Pfn first = pte_at(*parent, at).pfn();
  const Pfn second = pte_at(*parent, at + kPageSize).pfn();
  CHECK(m.memory.frames().refcount(first) == 1);
  CHECK(m.memory.rmap().mapcount(first) == 1);
  auto anon_lru = [&] {
    return m.memory.lru().size(mm::LruList::InactiveAnon) +
           m.memory.lru().size(mm::LruList::ActiveAnon);
  };
  REQUIRE(anon_lru() == 2);
  const u64 flushes = m.memory.tlb_flushes();
  FlushReasons trace;
  m.memory.set_tracing(&trace, kTraceTlb);

  auto child = fork_of(*parent);
  // One TLB flush for the whole fork, after the parent's entries lost write access.
  CHECK(m.memory.tlb_flushes() == flushes + 1);
  CHECK(trace.reasons == std::vector<std::string>{"fork"});
  m.memory.set_tracing(nullptr, 0);
  REQUIRE(child->vmas().size() == 1);
  CHECK(child->vmas().begin()->second.start == at);
  CHECK(child->vmas().begin()->second.flags == parent->vmas().begin()->second.flags);
  for (mm::AddressSpace* as : {parent.get(), child.get()}) {
    const Pte pte = pte_at(*as, at);
    CHECK(pte.present());
    CHECK(pte.pfn() == first);
    CHECK_FALSE(pte.writable());
    CHECK(m.memory.rmap().contains(first, as, at));
    CHECK(pte_at(*as, at + 3 * kPageSize).pfn() == m.memory.zero_page());
    CHECK_FALSE(pte_at(*as, at + 2 * kPageSize).present());  // never touched
  }
  CHECK(pte_at(*parent, at).dirty());
  CHECK(pte_at(*child, at).dirty());           // private data: dirty in both
  CHECK_FALSE(pte_at(*child, at).accessed());  // pte_mkold
  CHECK(m.memory.frames().refcount(first) == 2);
  CHECK(m.memory.rmap().mapcount(first) == 2);
  CHECK(m.memory.frames().refcount(second) == 2);
  CHECK(anon_lru() == 2);  // a shared page is on one list, once
  test::check_consistent(m.memory, {parent.get(), child.get()});

  // Both read the same bytes without a fault.
  CHECK(peek(*child, at) == 0x11);
  CHECK(peek(*child, at + kPageSize) == 0x22);
  CHECK(peek(*child, at + 3 * kPageSize) == 0);
  CHECK(child->fault_counters().minor == 0);

  // The child's write copies: the parent keeps the old frame and data.
  poke(*child, at, 0x33);
  CHECK(resolutions(*child, mm::FaultResolution::CowCopy) == 1);
  const Pfn child_first = pte_at(*child, at).pfn();
  CHECK(child_first != first);
  CHECK(pte_at(*child, at).writable());
  CHECK(pte_at(*parent, at).pfn() == first);
  CHECK(m.memory.frames().refcount(first) == 1);
  CHECK(m.memory.rmap().mapcount(first) == 1);
  CHECK(m.memory.frames().refcount(child_first) == 1);
  CHECK(peek(*parent, at) == 0x11);
  CHECK(peek(*child, at) == 0x33);
  test::check_consistent(m.memory, {parent.get(), child.get()});

  // The parent is now the page's only mapper: its write reuses the frame in place.
  poke(*parent, at, 0x44);
  CHECK(resolutions(*parent, mm::FaultResolution::CowReuse) == 1);
  CHECK(resolutions(*parent, mm::FaultResolution::CowCopy) == 0);
  CHECK(pte_at(*parent, at).pfn() == first);
  CHECK(pte_at(*parent, at).writable());
  CHECK(peek(*child, at) == 0x33);

  // And the other way round: the parent's write copies the second page, the child reuses.
  poke(*parent, at + kPageSize, 0x55);
  CHECK(resolutions(*parent, mm::FaultResolution::CowCopy) == 1);
  CHECK(pte_at(*parent, at + kPageSize).pfn() != second);
  CHECK(m.memory.frames().refcount(second) == 1);
  poke(*child, at + kPageSize, 0x66);
  CHECK(resolutions(*child, mm::FaultResolution::CowReuse) == 1);
  CHECK(pte_at(*child, at + kPageSize).pfn() == second);
  CHECK(peek(*parent, at + kPageSize) == 0x55);
  CHECK(peek(*child, at + kPageSize) == 0x66);

  // The zero page stays the zero page: a write gets a fresh zeroed frame.
  poke(*child, at + 3 * kPageSize + 7, 0x77);
  CHECK(resolutions(*child, mm::FaultResolution::CowZeroPage) == 1);
  CHECK(pte_at(*parent, at + 3 * kPageSize).pfn() == m.memory.zero_page());
  CHECK(peek(*parent, at + 3 * kPageSize + 7) == 0);
  test::check_consistent(m.memory, {parent.get(), child.get()});

  // The child goes: the parent's pages stay, with one reference each.
  const Pfn child_zero_copy = pte_at(*child, at + 3 * kPageSize).pfn();
  child.reset();
  CHECK(m.memory.frames().is_free(child_first));
  CHECK(m.memory.frames().is_free(second));  // the child's reused page
  CHECK(m.memory.frames().is_free(child_zero_copy));
  CHECK(m.memory.frames().refcount(first) == 1);
  CHECK(peek(*parent, at) == 0x44);
  CHECK(peek(*parent, at + kPageSize) == 0x55);
  test::check_consistent(m.memory, {parent.get()});
  parent.reset();
  CHECK(m.memory.rmap().items_in_use() == 0);
  CHECK(m.memory.frames().is_free(first));
  CHECK(m.memory.frames().free_frames() == baseline);
}

TEST_CASE("after the child is gone, the parent's write reuses the page without copying", "[fork]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 8);
  for (u64 i = 0; i < 8; ++i) poke(*parent, at + i * kPageSize, static_cast<u8>(i + 1));
  auto child = fork_of(*parent);
  CHECK_FALSE(pte_at(*parent, at).writable());
  child.reset();
  test::check_consistent(m.memory, {parent.get()});
  const u64 free_frames = m.memory.frames().free_frames();
  for (u64 i = 0; i < 8; ++i) {
    const Pfn before = pte_at(*parent, at + i * kPageSize).pfn();
    poke(*parent, at + i * kPageSize, static_cast<u8>(0x80 + i));
    CHECK(pte_at(*parent, at + i * kPageSize).pfn() == before);
  }
  CHECK(resolutions(*parent, mm::FaultResolution::CowReuse) == 8);
  CHECK(resolutions(*parent, mm::FaultResolution::CowCopy) == 0);
  CHECK(m.memory.frames().free_frames() == free_frames);
  test::check_consistent(m.memory, {parent.get()});
}

TEST_CASE("MADV_DONTFORK ranges are absent in the child until MADV_DOFORK", "[fork]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 3);
  for (u64 i = 0; i < 3; ++i) poke(*parent, at + i * kPageSize, static_cast<u8>(0xa0 + i));
  REQUIRE(parent->madvise(at + kPageSize, kPageSize, abi::kMADV_DONTFORK).ok());
  REQUIRE(parent->map_count() == 3);
  CHECK(parent->find_vma(at + kPageSize)->flags & mm::VM_DONTCOPY);
  const Pfn middle = pte_at(*parent, at + kPageSize).pfn();

  auto child = fork_of(*parent);
  CHECK(child->map_count() == 2);
  CHECK(child->find_vma(at + kPageSize) == nullptr);
  CHECK(child->handle_fault(at + kPageSize, kRead).resolution == mm::FaultResolution::SegvMapErr);
  CHECK_FALSE(mm::read_user<u8>(*child, at + kPageSize).ok());
  CHECK(peek(*child, at) == 0xa0);
  CHECK(peek(*child, at + 2 * kPageSize) == 0xa2);
  CHECK(child->total_pages() == 2);
  // The parent's DONTFORK page was not shared: still writable, one reference.
  CHECK(pte_at(*parent, at + kPageSize).writable());
  CHECK(m.memory.frames().refcount(middle) == 1);
  test::check_consistent(m.memory, {parent.get(), child.get()});
  child.reset();

  REQUIRE(parent->madvise(at + kPageSize, kPageSize, abi::kMADV_DOFORK).ok());
  CHECK(parent->map_count() == 1);
  auto second = fork_of(*parent);
  REQUIRE(second->find_vma(at + kPageSize) != nullptr);
  CHECK(peek(*second, at + kPageSize) == 0xa1);
  CHECK(m.memory.frames().refcount(middle) == 2);
  test::check_consistent(m.memory, {parent.get(), second.get()});
}

TEST_CASE("MADV_WIPEONFORK gives the child zeros while the parent keeps its data", "[fork]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 2);
  poke(*parent, at, 0x5a);
  poke(*parent, at + kPageSize, 0xa5);
  REQUIRE(parent->madvise(at, 2 * kPageSize, abi::kMADV_WIPEONFORK).ok());
  const Pfn frame = pte_at(*parent, at).pfn();

  auto child = fork_of(*parent);
  const mm::Vma* wiped = child->find_vma(at);
  REQUIRE(wiped != nullptr);
  CHECK(wiped->start == at);
  CHECK(wiped->end == at + 2 * kPageSize);
  CHECK(wiped->flags & mm::VM_WIPEONFORK);  // the child's own children are wiped too
  CHECK(pte_at(*child, at).none());
  CHECK(peek(*child, at) == 0);
  CHECK(resolutions(*child, mm::FaultResolution::ZeroPage) == 1);
  poke(*child, at + kPageSize, 1);
  CHECK(resolutions(*child, mm::FaultResolution::NewAnonPage) == 1);
  // Nothing of the parent's was touched.
  CHECK(pte_at(*parent, at).writable());
  CHECK(m.memory.frames().refcount(frame) == 1);
  CHECK(peek(*parent, at) == 0x5a);
  CHECK(peek(*parent, at + kPageSize) == 0xa5);
  test::check_consistent(m.memory, {parent.get(), child.get()});
  child.reset();

  REQUIRE(parent->madvise(at, 2 * kPageSize, abi::kMADV_KEEPONFORK).ok());
  auto second = fork_of(*parent);
  CHECK_FALSE(second->find_vma(at)->flags & mm::VM_WIPEONFORK);
  CHECK(pte_at(*second, at).pfn() == frame);
  CHECK(peek(*second, at) == 0x5a);
  CHECK(peek(*second, at + kPageSize) == 0xa5);
  test::check_consistent(m.memory, {parent.get(), second.get()});
}

TEST_CASE("a MAP_SHARED anonymous mapping stays shared across fork", "[fork]") {
  Machine m;
  auto object = std::make_shared<mm::MemoryObject>(m.memory, mm::ObjectKind::SharedAnon);
  REQUIRE(object->resize(2 * kPageSize).ok());
  auto parent = m.new_address_space();
  mm::MapRequest req;
  req.length = 2 * kPageSize;
  req.prot = kRw;
  req.shared = true;
  req.object = object;
  const u64 at = parent->map(req).value();
  poke(*parent, at, 0x10);
  const Pfn page = *object->find_page(0);

  auto child = fork_of(*parent);
  CHECK(child->find_vma(at)->object == object);
  CHECK(child->find_vma(at)->flags == parent->find_vma(at)->flags);
  // Not copied: the child faults the object's page in itself.
  CHECK(pte_at(*child, at).none());
  CHECK(pte_at(*parent, at).writable());
  CHECK(peek(*child, at) == 0x10);
  CHECK(pte_at(*child, at).pfn() == page);
  poke(*child, at, 0x20);
  // The read mapped the object's page writable already: the write takes no fault.
  CHECK(resolutions(*child, mm::FaultResolution::CacheHit) == 1);
  CHECK(child->fault_counters().minor == 1);
  CHECK(pte_at(*child, at).pfn() == page);
  CHECK(peek(*parent, at) == 0x20);
  poke(*child, at + kPageSize, 0x30);
  CHECK(resolutions(*child, mm::FaultResolution::ShmemPage) == 1);
  CHECK(peek(*parent, at + kPageSize) == 0x30);
  CHECK(m.memory.rmap().mapcount(page) == 2);
  test::check_consistent(m.memory, {parent.get(), child.get()}, {object.get()});
  child.reset();
  CHECK(peek(*parent, at) == 0x20);
  CHECK(m.memory.rmap().mapcount(page) == 1);
  test::check_consistent(m.memory, {parent.get()}, {object.get()});
}

TEST_CASE("private file pages and their copies are shared copy-on-write", "[fork]") {
  Machine m;
  auto object = std::make_shared<mm::MemoryObject>(m.memory, mm::ObjectKind::Memfd);
  const u8 contents[2] = {0xf1, 0xf2};
  REQUIRE(object->write(std::span<const u8>(contents, 1), 0).ok());
  REQUIRE(object->write(std::span<const u8>(contents + 1, 1), kPageSize).ok());
  auto parent = m.new_address_space();
  mm::MapRequest req;
  req.length = 2 * kPageSize;
  req.prot = kRw;
  req.object = object;
  const u64 at = parent->map(req).value();
  CHECK(peek(*parent, at) == 0xf1);     // the object's page, read-only
  poke(*parent, at + kPageSize, 0xe2);  // a private copy
  const Pfn object_page = *object->find_page(0);
  const Pfn copy = pte_at(*parent, at + kPageSize).pfn();
  REQUIRE(copy != *object->find_page(1));

  auto child = fork_of(*parent);
  CHECK(pte_at(*child, at).pfn() == object_page);
  CHECK(pte_at(*child, at + kPageSize).pfn() == copy);
  CHECK(m.memory.frames().refcount(object_page) == 3);  // two mappers and the object
  CHECK(m.memory.frames().refcount(copy) == 2);
  test::check_consistent(m.memory, {parent.get(), child.get()}, {object.get()});

  poke(*child, at, 0xc1);
  CHECK(resolutions(*child, mm::FaultResolution::CowFile) == 1);
  poke(*child, at + kPageSize, 0xc2);
  CHECK(resolutions(*child, mm::FaultResolution::CowCopy) == 1);
  CHECK(peek(*parent, at) == 0xf1);
  CHECK(peek(*parent, at + kPageSize) == 0xe2);
  CHECK(m.memory.frame_bytes(object_page)[0] == 0xf1);  // the file itself is untouched
  CHECK(m.memory.frames().refcount(object_page) == 2);
  test::check_consistent(m.memory, {parent.get(), child.get()}, {object.get()});
}

TEST_CASE("PROT_NONE pages are shared across fork and copied on the first write", "[fork]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 1);
  poke(*parent, at, 0x42);
  const Pfn frame = pte_at(*parent, at).pfn();
  REQUIRE(parent->protect(at, kPageSize, abi::kPROT_NONE).ok());
  REQUIRE(pte_at(*parent, at).soft_type() == Pte::SoftType::ProtNone);

  auto child = fork_of(*parent);
  CHECK(pte_at(*child, at) == pte_at(*parent, at));
  CHECK(m.memory.frames().refcount(frame) == 2);
  CHECK(m.memory.rmap().contains(frame, child.get(), at));
  test::check_consistent(m.memory, {parent.get(), child.get()});
  REQUIRE(child->protect(at, kPageSize, kRw).ok());
  CHECK(peek(*child, at) == 0x42);
  poke(*child, at, 0x43);
  CHECK(resolutions(*child, mm::FaultResolution::CowCopy) == 1);
  CHECK(m.memory.frames().refcount(frame) == 1);
  REQUIRE(parent->protect(at, kPageSize, abi::kPROT_READ).ok());
  CHECK(peek(*parent, at) == 0x42);
  test::check_consistent(m.memory, {parent.get(), child.get()});
}

TEST_CASE("a swapped-out page is shared through its swap slot", "[fork][swap]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 1);
  poke(*parent, at, 0x99);
  REQUIRE(parent->pageout_range(at, at + kPageSize) == 1);
  const Pte swapped = pte_at(*parent, at);
  REQUIRE(swapped.soft_type() == Pte::SoftType::Swap);
  const u64 slot = swapped.soft_value();
  CHECK(m.memory.swap().count(slot) == 1);

  auto child = fork_of(*parent);
  CHECK(pte_at(*child, at) == swapped);
  CHECK(m.memory.swap().count(slot) == 2);
  test::check_consistent(m.memory, {parent.get(), child.get()});

  // The child reads it in (a major fault); the parent's entry still names the slot, and
  // the page stays in the swap cache for it.
  const auto in = child->handle_fault(at, kRead);
  CHECK(in.resolution == mm::FaultResolution::SwapIn);
  CHECK(in.major);
  CHECK(m.memory.stats().pswpin == 1);
  CHECK(pte_at(*parent, at) == swapped);
  const Pfn cached = pte_at(*child, at).pfn();
  CHECK(m.memory.swap().cached(slot) == std::optional<Pfn>(cached));
  CHECK(m.memory.swap().count(slot) == 2);  // the parent's entry and the cache
  CHECK_FALSE(pte_at(*child, at).writable());
  test::check_consistent(m.memory, {parent.get(), child.get()});
  // Its write copies (the cached page is still the parent's data).
  poke(*child, at, 0x98);
  CHECK(resolutions(*child, mm::FaultResolution::CowCopy) == 1);
  CHECK(pte_at(*child, at).pfn() != cached);
  test::check_consistent(m.memory, {parent.get(), child.get()});
  // The parent finds the page in the swap cache: no second read, right data.
  CHECK(peek(*parent, at) == 0x99);
  CHECK(m.memory.stats().pswpin == 1);
  CHECK(pte_at(*parent, at).pfn() == cached);
  CHECK(peek(*child, at) == 0x98);
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
  test::check_consistent(m.memory, {parent.get(), child.get()});
  child.reset();
  parent.reset();
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
  CHECK(m.memory.rmap().items_in_use() == 0);
}

TEST_CASE("reclaim swaps out a page shared by fork in both address spaces", "[fork][swap]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 2);
  poke(*parent, at, 0x61);
  poke(*parent, at + kPageSize, 0x62);
  auto child = fork_of(*parent);
  const Pfn frame = pte_at(*parent, at).pfn();
  REQUIRE(m.memory.reclaimer().page_out(frame));
  const Pte in_parent = pte_at(*parent, at);
  REQUIRE(in_parent.soft_type() == Pte::SoftType::Swap);
  CHECK(pte_at(*child, at) == in_parent);
  const u64 slot = in_parent.soft_value();
  CHECK(m.memory.swap().count(slot) == 2);
  CHECK(m.memory.frames().is_free(frame));
  test::check_consistent(m.memory, {parent.get(), child.get()});

  // Swap-in and a write in the parent leave the child's entry valid.
  poke(*parent, at, 0x71);
  CHECK(pte_at(*child, at) == in_parent);
  CHECK(m.memory.swap().count(slot) == 2);  // the child's entry and the swap cache
  test::check_consistent(m.memory, {parent.get(), child.get()});
  CHECK(peek(*child, at) == 0x61);
  CHECK(peek(*parent, at) == 0x71);
  CHECK(m.memory.stats().pswpin == 1);
  test::check_consistent(m.memory, {parent.get(), child.get()});
  parent.reset();
  CHECK(peek(*child, at + kPageSize) == 0x62);
  test::check_consistent(m.memory, {child.get()});
  child.reset();
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
}

TEST_CASE("mlock is not inherited by the child", "[fork]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 4);
  REQUIRE(parent->mlock(at + kPageSize, 2 * kPageSize, mm::VM_LOCKED, {}).ok());
  parent->lock_all(abi::kMCL_FUTURE);
  REQUIRE(parent->locked_pages() == 2);
  REQUIRE(parent->map_count() == 3);
  CHECK(peek(*parent, at + kPageSize) == 0);

  auto child = fork_of(*parent);
  CHECK(child->locked_pages() == 0);
  CHECK(child->def_flags() == 0);
  CHECK(parent->locked_pages() == 2);
  CHECK(parent->def_flags() & mm::VM_LOCKED);
  // dup_mmap does not merge: the three VMAs stay apart, none locked.
  REQUIRE(child->map_count() == 3);
  for (const auto& [start, vma] : child->vmas()) CHECK_FALSE(vma.flags & mm::kVmLockedMask);
  const u64 child_vma = child->find_vma(at + kPageSize)->flags;
  CHECK(child_vma == (parent->find_vma(at + kPageSize)->flags & ~mm::kVmLockedMask));
  // New mappings in the child are not locked either.
  const u64 more = map_anon(*child, 1);
  CHECK_FALSE(child->find_vma(more)->flags & mm::VM_LOCKED);
  test::check_consistent(m.memory, {parent.get(), child.get()});
}

TEST_CASE("fork fails with ENOMEM and leaves the parent intact when RAM runs out", "[fork]") {
  // 4 MiB, no swap: anonymous pages cannot be reclaimed. Pages 2 MiB apart each need a
  // page-table page of their own, in the parent and again in the child.
  Machine m(4 << 20, 0);
  auto parent = m.new_address_space();
  constexpr u64 kStride = 2 << 20;
  mm::MapRequest req;
  req.length = u64{4} << 30;
  req.prot = kRw;
  req.extra_flags = mm::VM_NORESERVE;
  const u64 at = parent->map(req).value();
  u64 touched = 0;
  while (true) {
    const u64 va = at + touched * kStride;
    if (!parent->handle_fault(va, kWrite).handled()) break;
    *parent->page_table().leaf_entry(va, x86_64::Allocate::No) =
        pte_at(*parent, va).with(Pte::kDirty);
    m.memory.frame_bytes(pte_at(*parent, va).pfn())[0] = static_cast<u8>(touched);
    ++touched;
  }
  REQUIRE(touched > 100);
  // Free a few frames: enough to start a child, far from enough to finish it.
  for (int i = 0; i < 4; ++i) {
    --touched;
    REQUIRE(parent->unmap(at + touched * kStride, kPageSize).ok());
  }
  const u64 free_frames = m.memory.frames().free_frames();
  const u64 rmap_items = m.memory.rmap().items_in_use();
  REQUIRE(free_frames >= 8);
  REQUIRE(free_frames < 16);
  FlushReasons trace;
  m.memory.set_tracing(&trace, kTraceTlb);

  auto child = parent->fork();
  REQUIRE_FALSE(child.ok());
  CHECK(child.error() == abi::Errno::kENOMEM);
  // The parent's flush, then the partial child's teardown.
  CHECK(trace.reasons == std::vector<std::string>{"fork", "unmap"});
  m.memory.set_tracing(nullptr, 0);
  // Nothing leaked: every frame and reverse-map item the child took is back.
  CHECK(m.memory.frames().free_frames() == free_frames);
  CHECK(m.memory.rmap().items_in_use() == rmap_items);
  test::check_consistent(m.memory, {parent.get()});
  for (u64 i = 0; i < touched; ++i) {
    const Pte pte = pte_at(*parent, at + i * kStride);
    REQUIRE(pte.present());
    CHECK(m.memory.frames().refcount(pte.pfn()) == 1);
    CHECK(m.memory.frame_bytes(pte.pfn())[0] == static_cast<u8>(i));
  }
  // Entries write-protected before the failure are reused in place on the next write.
  const Pfn first = pte_at(*parent, at).pfn();
  CHECK_FALSE(pte_at(*parent, at).writable());
  REQUIRE(parent->handle_fault(at, kWrite | mm::kFaultPresent).resolution ==
          mm::FaultResolution::CowReuse);
  CHECK(pte_at(*parent, at).pfn() == first);
  CHECK(m.memory.frames().free_frames() == free_frames);
}

TEST_CASE("fork, writes, reclaim and exits in random order keep data and bookkeeping exact",
          "[fork][swap]") {
  Machine m(4 << 20);
  constexpr u64 kPages = 48;
  std::mt19937_64 rng(12345);
  std::vector<std::unique_ptr<mm::AddressSpace>> spaces;
  std::vector<std::vector<u8>> model;  // what each address space should read, per page
  spaces.push_back(m.new_address_space());
  const u64 at = map_anon(*spaces[0], kPages);
  model.emplace_back(kPages, 0);
  auto all = [&] {
    std::vector<mm::AddressSpace*> out;
    for (auto& as : spaces) out.push_back(as.get());
    return out;
  };
  for (int step = 0; step < 600; ++step) {
    const size_t who = rng() % spaces.size();
    const u64 page = rng() % kPages;
    const u64 va = at + page * kPageSize;
    INFO("step " << step << " space " << who << " page " << page);
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2: {
        const u8 value = static_cast<u8>(rng() | 1);
        poke(*spaces[who], va, value);
        model[who][page] = value;
        break;
      }
      case 3:
        CHECK(peek(*spaces[who], va) == model[who][page]);
        break;
      case 4:
        if (spaces.size() < 6) {
          spaces.push_back(fork_of(*spaces[who]));
          model.push_back(model[who]);
        }
        break;
      case 5:
        if (spaces.size() > 1) {
          spaces.erase(spaces.begin() + static_cast<std::ptrdiff_t>(who));
          model.erase(model.begin() + static_cast<std::ptrdiff_t>(who));
        }
        break;
      case 6:
        (void)m.memory.reclaimer().reclaim(1 + rng() % 16);
        break;
      case 7:
        REQUIRE(spaces[who]->madvise(va, kPageSize, abi::kMADV_DONTNEED).ok());
        model[who][page] = 0;
        break;
    }
    test::check_consistent(m.memory, all());
  }
  for (size_t i = 0; i < spaces.size(); ++i)
    for (u64 page = 0; page < kPages; ++page)
      CHECK(peek(*spaces[i], at + page * kPageSize) == model[i][page]);
  test::check_consistent(m.memory, all());
  // The mix did what it is for: pages went to swap and came back while shared.
  CHECK(m.memory.stats().pswpout > 0);
  CHECK(m.memory.stats().pswpin > 0);
  spaces.clear();
  CHECK(m.memory.rmap().items_in_use() == 0);
  CHECK(m.memory.swap().free_slots() == m.memory.swap().total_slots());
}
