// Huge pages of shmem objects (memfd, shared anonymous memory, tmpfs files), after Linux
// 6.1's mm/shmem.c and do_set_pmd: which pages come in huge (shmem_enabled and the tmpfs
// mount's huge=never), mapping them with huge entries in shared and private VMAs, and the
// splits that truncation, reclaim and poison need.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <memory>
#include <optional>

#include "fake_machine.h"
#include "guest_access.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/hwpoison.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/uaccess.h"
#include "mm_consistency.h"

using namespace kernel;

namespace {

using test::peek;
using test::pfn_at;
using test::poke;

constexpr u32 kRead = mm::kFaultUser;
constexpr u32 kWrite = mm::kFaultUser | mm::kFaultWrite;
constexpr u64 kHuge = kHugePageSize;
constexpr u64 kBase = 0x4000'0000;  // 2 MiB aligned

struct Machine {
  explicit Machine(mm::ShmemHuge mode, std::optional<u64> swap = std::nullopt)
      : ram(64 << 20), memory(ram.memory(), cpu, mm::MemoryOptions{swap}) {
    thp.shmem_enabled = mode;
    memory.set_thp_settings(&thp);
  }
  std::shared_ptr<mm::MemoryObject> object(mm::ObjectKind kind, u64 size) {
    auto o = std::make_shared<mm::MemoryObject>(memory, kind);
    REQUIRE(o->resize(size).ok());
    return o;
  }
  std::unique_ptr<mm::AddressSpace> new_address_space() {
    return std::make_unique<mm::AddressSpace>(memory);
  }
  void check(const std::vector<mm::AddressSpace*>& spaces,
             const std::vector<mm::MemoryObject*>& objects) {
    test::check_consistent(memory, spaces, objects);
  }
  mm::ThpSettings thp;
  test::FakeRam ram;
  test::FakeCpu cpu;
  mm::MemoryManager memory;
};

// Maps `object` from `offset` at `addr` (fixed), shared or private, read-write.
void map_object(mm::AddressSpace& as, const std::shared_ptr<mm::MemoryObject>& object, u64 addr,
                u64 length, bool shared, u64 offset = 0) {
  mm::MapRequest req;
  req.addr = addr;
  req.length = length;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.shared = shared;
  req.object = object;
  req.offset = offset;
  req.placement = mm::MapPlacement::Fixed;
  REQUIRE(as.map(req).ok());
}

int level_at(mm::AddressSpace& as, u64 va) {
  return as.page_table().lookup(va).level;
}
u8 object_byte(mm::MemoryObject& object, u64 offset) {
  u8 byte = 0;
  REQUIRE(object.read(std::span<u8>(&byte, 1), offset).value() == 1);
  return byte;
}

}  // namespace

TEST_CASE("shmem_enabled decides which shmem pages come in huge", "[thp][shmem]") {
  SECTION("never (the default): small pages") {
    Machine m(mm::ShmemHuge::Never);
    auto object = m.object(mm::ObjectKind::SharedAnon, 2 * kHuge);
    auto as = m.new_address_space();
    map_object(*as, object, kBase, 2 * kHuge, true);
    REQUIRE(as->handle_fault(kBase, kWrite).handled());
    CHECK(level_at(*as, kBase) == 1);
    CHECK(object->resident_pages() == 1);
    CHECK(m.memory.stats().thp_file_alloc == 0);
  }
  SECTION("always: a fault brings 2 MiB in and maps it with one huge entry") {
    Machine m(mm::ShmemHuge::Always);
    auto object = m.object(mm::ObjectKind::SharedAnon, 2 * kHuge);
    auto as = m.new_address_space();
    map_object(*as, object, kBase, 2 * kHuge, true);
    CHECK(as->handle_fault(kBase + 5 * kPageSize, kWrite).resolution ==
          mm::FaultResolution::ShmemPage);
    CHECK(level_at(*as, kBase) == 2);
    const Pfn head = pfn_at(*as, kBase);
    CHECK(m.memory.frame(head).test(mm::PG_head));
    CHECK(m.memory.frame(head).owner == object.get());
    CHECK(object->find_page(7) == Pfn(head.value + 7));
    CHECK(object->resident_pages() == 512);
    CHECK(m.memory.stats().thp_file_alloc == 1);
    CHECK(m.memory.stats().thp_file_mapped == 1);
    CHECK(m.memory.stats().nr_shmem_thps == 1);
    CHECK(m.memory.stats().nr_shmem_pmdmapped == 1);
    CHECK(mm::compound_mapcount(m.memory, head) == 1);
    poke(*as, kBase + 300 * kPageSize + 9, 0x5a);
    CHECK(object_byte(*object, 300 * kPageSize + 9) == 0x5a);
    m.check({as.get()}, {object.get()});
  }
  SECTION("advise: only under MADV_HUGEPAGE") {
    Machine m(mm::ShmemHuge::Advise);
    auto object = m.object(mm::ObjectKind::Memfd, 2 * kHuge);
    auto as = m.new_address_space();
    map_object(*as, object, kBase, 2 * kHuge, true);
    REQUIRE(as->madvise(kBase + kHuge, kHuge, abi::kMADV_HUGEPAGE).ok());
    REQUIRE(as->handle_fault(kBase, kWrite).handled());
    REQUIRE(as->handle_fault(kBase + kHuge, kWrite).handled());
    CHECK(level_at(*as, kBase) == 1);
    CHECK(level_at(*as, kBase + kHuge) == 2);
    // write() has no VMA: no advice, so a small page.
    const u8 byte = 1;
    REQUIRE(object->write(std::span<const u8>(&byte, 1), kPageSize).ok());
    CHECK(object->resident_pages() == 512 + 2);
    m.check({as.get()}, {object.get()});
  }
  SECTION("within_size: only a huge page the size covers whole") {
    Machine m(mm::ShmemHuge::WithinSize);
    auto object = m.object(mm::ObjectKind::SharedAnon, kHuge + kHuge / 2);
    auto as = m.new_address_space();
    map_object(*as, object, kBase, 2 * kHuge, true);
    REQUIRE(as->handle_fault(kBase, kRead).handled());
    REQUIRE(as->handle_fault(kBase + kHuge, kRead).handled());
    CHECK(level_at(*as, kBase) == 2);
    CHECK(level_at(*as, kBase + kHuge) == 1);
  }
  SECTION("tmpfs mounts are huge=never unless shmem_enabled is force; deny refuses all") {
    Machine m(mm::ShmemHuge::Always);
    auto file = m.object(mm::ObjectKind::Tmpfs, kHuge);
    CHECK_FALSE(file->huge_allowed(0, std::nullopt));
    m.thp.shmem_enabled = mm::ShmemHuge::Force;
    CHECK(file->huge_allowed(0, std::nullopt));
    CHECK_FALSE(file->huge_allowed(0, u64{mm::VM_NOHUGEPAGE}));
    auto anon = m.object(mm::ObjectKind::SharedAnon, kHuge);
    m.thp.shmem_enabled = mm::ShmemHuge::Deny;
    CHECK_FALSE(anon->huge_allowed(0, u64{mm::VM_HUGEPAGE}));
  }
}

TEST_CASE("a shmem huge page maps huge only where the object's index is 2 MiB aligned",
          "[thp][shmem]") {
  Machine m(mm::ShmemHuge::Always);
  auto object = m.object(mm::ObjectKind::SharedAnon, 2 * kHuge);
  auto as = m.new_address_space();
  // Offset one page: no address of the VMA lines up with an aligned index.
  map_object(*as, object, kBase, kHuge, true, kPageSize);
  REQUIRE(as->handle_fault(kBase, kWrite).handled());
  CHECK(level_at(*as, kBase) == 1);
  // The page itself came in huge (shmem_get_folio does not look at the VMA's placement).
  CHECK(m.memory.frame(mm::compound_head(m.memory, pfn_at(*as, kBase))).test(mm::PG_head));
  CHECK(m.memory.stats().nr_shmem_pmdmapped == 0);
  m.check({as.get()}, {object.get()});
}

TEST_CASE("two processes map one shmem huge page; one's partial munmap splits its own entry",
          "[thp][shmem]") {
  Machine m(mm::ShmemHuge::Always);
  auto object = m.object(mm::ObjectKind::SharedAnon, kHuge);
  auto a = m.new_address_space();
  auto b = m.new_address_space();
  map_object(*a, object, kBase, kHuge, true);
  map_object(*b, object, kBase + 4 * kHuge, kHuge, true);
  REQUIRE(a->handle_fault(kBase, kWrite).handled());
  REQUIRE(b->handle_fault(kBase + 4 * kHuge, kRead).handled());
  const Pfn head = pfn_at(*a, kBase);
  CHECK(pfn_at(*b, kBase + 4 * kHuge) == head);
  CHECK(mm::compound_mapcount(m.memory, head) == 2);
  // Each frame: the object's reference and one per huge entry.
  CHECK(m.memory.frames().refcount(Pfn(head.value + 100)) == 3);
  m.check({a.get(), b.get()}, {object.get()});
  REQUIRE(b->unmap(kBase + 4 * kHuge + kPageSize, kPageSize).ok());
  CHECK(level_at(*a, kBase) == 2);
  CHECK(level_at(*b, kBase + 4 * kHuge) == 1);
  CHECK(pfn_at(*b, kBase + 4 * kHuge + 2 * kPageSize) == Pfn(head.value + 2));
  CHECK(m.memory.frame(head).test(mm::PG_head));  // still one huge page in the object
  CHECK(m.memory.frames().refcount(Pfn(head.value + 1)) == 2);
  m.check({a.get(), b.get()}, {object.get()});
  // The last huge entry goes: the page stays compound in its object.
  REQUIRE(a->unmap(kBase, kHuge).ok());
  CHECK(m.memory.frame(head).test(mm::PG_head));
  CHECK(m.memory.stats().nr_shmem_pmdmapped == 0);
  CHECK(m.memory.stats().nr_shmem_thps == 1);
  m.check({a.get(), b.get()}, {object.get()});
}

TEST_CASE("a private mapping maps a shmem huge page read-only; a write copies one page",
          "[thp][shmem]") {
  Machine m(mm::ShmemHuge::Always);
  auto object = m.object(mm::ObjectKind::Memfd, kHuge);
  const u8 byte = 0x33;
  REQUIRE(object->write(std::span<const u8>(&byte, 1), 3 * kPageSize).ok());
  CHECK(object->resident_pages() == 512);  // write() brought the huge page in
  auto as = m.new_address_space();
  map_object(*as, object, kBase, kHuge, false);
  CHECK(as->handle_fault(kBase, kRead).resolution == mm::FaultResolution::CacheHit);
  CHECK(level_at(*as, kBase) == 2);
  CHECK_FALSE(as->page_table().lookup(kBase).pte.writable());
  SECTION("fork leaves the child to fault it in again") {
    auto child = as->fork().value();
    CHECK(as->page_table().lookup(kBase).pte.none() == false);
    CHECK(child->page_table().lookup(kBase).pte.none());
    CHECK(peek(*child, kBase + 3 * kPageSize) == 0x33);
    CHECK(level_at(*child, kBase) == 2);
    m.check({as.get(), child.get()}, {object.get()});
  }
  SECTION("a write splits this entry and copies the page") {
    poke(*as, kBase + 3 * kPageSize + 1, 0x44);
    CHECK(level_at(*as, kBase) == 1);
    CHECK_FALSE(m.memory.frame(pfn_at(*as, kBase + 3 * kPageSize)).owner);
    CHECK(object_byte(*object, 3 * kPageSize + 1) == 0);
    CHECK(peek(*as, kBase + 3 * kPageSize) == 0x33);
    CHECK(m.memory.frame(mm::compound_head(m.memory, *object->find_page(0))).test(mm::PG_head));
    m.check({as.get()}, {object.get()});
  }
}

TEST_CASE("truncating into a shmem huge page splits it and keeps what is left", "[thp][shmem]") {
  Machine m(mm::ShmemHuge::Always);
  auto object = m.object(mm::ObjectKind::SharedAnon, kHuge);
  auto as = m.new_address_space();
  map_object(*as, object, kBase, kHuge, true);
  for (u64 i = 0; i < 512; i += 64) poke(*as, kBase + i * kPageSize, static_cast<u8>(i / 64 + 1));
  const Pfn head = pfn_at(*as, kBase);
  const u64 free_before = m.memory.frames().free_frames();
  REQUIRE(object->resize(kHuge / 2).ok());
  CHECK_FALSE(m.memory.frame(head).test(mm::PG_head));
  CHECK(object->resident_pages() == 256);
  // The deposit became the page table of the split entry: only the pages come back.
  CHECK(m.memory.frames().free_frames() == free_before + 256);
  CHECK(m.memory.stats().thp_split_page == 1);
  CHECK(m.memory.stats().nr_shmem_thps == 0);
  CHECK(peek(*as, kBase + 192 * kPageSize) == 4);
  CHECK(level_at(*as, kBase) == 1);
  m.check({as.get()}, {object.get()});
}

TEST_CASE("PAGEOUT of a shmem huge page splits it and swaps it out", "[thp][shmem][swap]") {
  Machine m(mm::ShmemHuge::Always, u64{16} << 20);
  auto object = m.object(mm::ObjectKind::SharedAnon, kHuge);
  auto as = m.new_address_space();
  map_object(*as, object, kBase, kHuge, true);
  for (u64 i = 0; i < 512; ++i) poke(*as, kBase + i * kPageSize, static_cast<u8>(i));
  REQUIRE(as->madvise(kBase, kHuge, abi::kMADV_PAGEOUT).ok());
  CHECK(m.memory.stats().thp_split_page == 1);
  CHECK(object->swapped_pages() == 512);
  CHECK(object->resident_pages() == 0);
  CHECK(peek(*as, kBase + 77 * kPageSize) == 77);
  m.check({as.get()}, {object.get()});
}

TEST_CASE("memory_failure on a shmem huge page splits it and poisons one page",
          "[thp][shmem][hwpoison]") {
  Machine m(mm::ShmemHuge::Always);
  auto object = m.object(mm::ObjectKind::SharedAnon, kHuge);
  auto as = m.new_address_space();
  map_object(*as, object, kBase, kHuge, true);
  poke(*as, kBase + 9 * kPageSize, 9);
  poke(*as, kBase + 10 * kPageSize, 10);
  const Pfn head = pfn_at(*as, kBase);
  const mm::MemoryFailure r = mm::memory_failure(m.memory, Pfn(head.value + 10), 0);
  CHECK(r.kind == mm::PoisonedPage::Shmem);
  CHECK_FALSE(m.memory.frame(head).test(mm::PG_head));
  CHECK(as->page_table().lookup(kBase + 10 * kPageSize).pte.soft_type() ==
        x86_64::Pte::SoftType::HwPoison);
  CHECK(peek(*as, kBase + 9 * kPageSize) == 9);
  m.check({as.get()}, {object.get()});
}

TEST_CASE("a shmem huge page goes back whole when its object goes", "[thp][shmem]") {
  Machine m(mm::ShmemHuge::Always);
  const u64 free_before = m.memory.frames().free_frames();
  {
    auto object = m.object(mm::ObjectKind::SharedAnon, kHuge);
    auto as = m.new_address_space();
    map_object(*as, object, kBase, kHuge, true);
    REQUIRE(as->handle_fault(kBase, kWrite).handled());
    CHECK(m.memory.frames().free_frames() < free_before - 512);
  }
  CHECK(m.memory.frames().free_frames() == free_before);
  CHECK(m.memory.stats().nr_shmem_thps == 0);
  CHECK(m.memory.stats().nr_shmem_pmdmapped == 0);
}
