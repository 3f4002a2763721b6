// memory_failure() and soft offline over every page state emu has (free, anonymous, shared
// after fork, file clean and dirty, swap cache), with the reverse map and the references
// checked after each step, and MADV_HWPOISON's privilege check.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <optional>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/hwpoison.h"
#include "kernel/mm/ksm.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/reclaim.h"
#include "kernel/proc/credentials.h"
#include "mm_consistency.h"

using namespace kernel;
using x86_64::Pte;

namespace {

constexpr u32 kRead = mm::kFaultUser;
constexpr u32 kWrite = mm::kFaultUser | mm::kFaultWrite;

struct Machine {
  explicit Machine(u64 ram_size = 16 << 20, std::optional<u64> swap = std::nullopt)
      : ram(ram_size), memory(ram.memory(), cpu, mm::MemoryOptions{swap}) {}
  std::unique_ptr<mm::AddressSpace> new_address_space() {
    return std::make_unique<mm::AddressSpace>(memory);
  }
  test::FakeRam ram;
  test::FakeCpu cpu;
  mm::MemoryManager memory;
};

// A file's page cache whose file holds page i filled with byte 'a' + i, and which records
// what is written back.
class FakeFile final : public mm::MemoryObject {
 public:
  FakeFile(mm::MemoryManager& mm, u64 pages) : MemoryObject(mm, mm::ObjectKind::PageCache) {
    set_size(pages * kPageSize);
  }
  int write_backs = 0;

 protected:
  Result<void> fill(u64 index, u8* page) override {
    std::memset(page, static_cast<int>('a' + index), kPageSize);
    return {};
  }
  Result<void> write_back(u64, const u8*) override {
    ++write_backs;
    return {};
  }
};

u64 map_anon(mm::AddressSpace& as, u64 pages) {
  mm::MapRequest req;
  req.length = pages * kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  return as.map(req).value();
}

// The guest writes `value` over the page at va: a write fault, then the store with the
// Dirty bit the MMU would set.
void write_page(mm::AddressSpace& as, u64 va, u8 value) {
  const Pte pte = as.page_table().lookup(va).pte;
  if (!pte.present() || !pte.writable())
    REQUIRE(as.handle_fault(va, kWrite | (pte.present() ? mm::kFaultPresent : 0)).handled());
  Pte* slot = as.page_table().leaf_entry(va, x86_64::Allocate::No);
  *slot = slot->with(Pte::kAccessed | Pte::kDirty);
  std::memset(as.ram().frame(slot->pfn()), value, kPageSize);
}

// Whether the page at va reads as `value` throughout (faulting it in for reading first).
bool page_holds(mm::AddressSpace& as, u64 va, u8 value) {
  if (!as.page_table().lookup(va).pte.present() && !as.handle_fault(va, kRead).handled())
    return false;
  const u8* bytes = as.ram().frame(as.page_table().lookup(va).pte.pfn());
  for (u64 i = 0; i < kPageSize; ++i)
    if (bytes[i] != value) return false;
  return true;
}

Pfn pfn_at(mm::AddressSpace& as, u64 va) {
  return as.page_table().lookup(va).pte.pfn();
}

bool is_hwpoison_entry(mm::AddressSpace& as, u64 va, Pfn pfn) {
  const Pte pte = as.page_table().lookup(va).pte;
  return pte.soft_type() == Pte::SoftType::HwPoison && pte.soft_value() == pfn.value;
}

}  // namespace

TEST_CASE("memory_failure on a free frame retires it for good", "[hwpoison]") {
  Machine m;
  mm::FrameAllocator& frames = m.memory.frames();
  // One frame from the free lists and one from the untouched reserve in the middle of RAM.
  const Pfn listed = *frames.allocate();
  REQUIRE(frames.put(listed));
  const Pfn reserved(frames.first().value + frames.total_frames() / 2 + 3);
  REQUIRE(frames.is_free(reserved));
  const u64 free_before = frames.free_frames();
  for (const Pfn pfn : {listed, reserved}) {
    const mm::MemoryFailure r = mm::memory_failure(m.memory, pfn, 0);
    CHECK(r.kind == mm::PoisonedPage::Free);
    CHECK(r.outcome == mm::PoisonOutcome::Recovered);
    CHECK(r.error() == 0);
    CHECK(r.mappers.empty());
    CHECK_FALSE(frames.is_free(pfn));
    CHECK(m.memory.frame(pfn).test(mm::PG_hwpoison));
    CHECK(m.ram.memory().poisoned(pfn));
  }
  CHECK(frames.free_frames() == free_before - 2);
  CHECK(m.memory.poisoned_pages() == 2);
  // Again: already poisoned, nothing counted twice.
  CHECK(mm::memory_failure(m.memory, listed, 0).already_poisoned);
  CHECK(mm::memory_failure(m.memory, listed, 0).error() ==
        static_cast<int>(abi::Errno::kEHWPOISON));
  CHECK(m.memory.poisoned_pages() == 2);
  // Every other frame can still be had; the poisoned ones never come back.
  u64 handed_out = 0;
  while (auto pfn = frames.allocate()) {
    REQUIRE(*pfn != listed);
    REQUIRE(*pfn != reserved);
    ++handed_out;
  }
  CHECK(handed_out == free_before - 2);
}

TEST_CASE("memory_failure on an anonymous page leaves a hwpoison entry", "[hwpoison]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 at = map_anon(*as, 3);
  for (u64 i = 0; i < 3; ++i) write_page(*as, at + i * kPageSize, static_cast<u8>(0x10 + i));
  const Pfn victim = pfn_at(*as, at + kPageSize);
  const u64 free_before = m.memory.frames().free_frames();
  const mm::MemoryFailure r = mm::memory_failure(m.memory, victim, mm::kMfActionRequired);
  CHECK(r.kind == mm::PoisonedPage::Anon);
  CHECK(r.outcome == mm::PoisonOutcome::Recovered);
  CHECK(r.kill);
  REQUIRE(r.mappers.size() == 1);
  CHECK(r.mappers[0].as == as.get());
  CHECK(r.mappers[0].va == at + kPageSize);
  CHECK(r.mappers[0].hwpoison_entry);
  CHECK(is_hwpoison_entry(*as, at + kPageSize, victim));
  // The reverse map forgot the mapper; the frame is kept (never freed) and off the LRU.
  CHECK(m.memory.rmap().mapcount(victim) == 0);
  CHECK(m.memory.frames().refcount(victim) == 1);
  CHECK_FALSE(m.memory.frame(victim).test(mm::PG_lru));
  CHECK(m.memory.frames().free_frames() == free_before);
  CHECK(m.cpu.tlb_flushes > 0);
  test::check_consistent(m.memory, {as.get()});
  // The neighbours keep their data; the poisoned page faults with BUS_MCEERR_AR.
  CHECK(page_holds(*as, at, 0x10));
  CHECK(page_holds(*as, at + 2 * kPageSize, 0x12));
  const mm::FaultResult fault = as->handle_fault(at + kPageSize + 5, kRead);
  CHECK(fault.resolution == mm::FaultResolution::BusMceErr);
  CHECK(fault.signal() == abi::kSIGBUS);
  CHECK(fault.si_code() == abi::kBUS_MCEERR_AR);
  // Populate stops at it with EHWPOISON; unmapping drops the entry and nothing leaks.
  CHECK(as->madvise(at, 3 * kPageSize, abi::kMADV_POPULATE_READ).error() == abi::Errno::kEHWPOISON);
  REQUIRE(as->unmap(at, 3 * kPageSize).ok());
  CHECK(m.memory.frames().refcount(victim) == 1);
  CHECK(m.memory.poisoned_pages() == 1);
  test::check_consistent(m.memory, {as.get()});
}

TEST_CASE("memory_failure reaches both mappers of a page shared after fork", "[hwpoison]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 2);
  write_page(*parent, at, 0x21);
  write_page(*parent, at + kPageSize, 0x22);
  auto child = parent->fork().value();
  const Pfn shared = pfn_at(*parent, at);
  REQUIRE(pfn_at(*child, at) == shared);
  REQUIRE(m.memory.rmap().mapcount(shared) == 2);
  test::check_consistent(m.memory, {parent.get(), child.get()});

  const mm::MemoryFailure r = mm::memory_failure(m.memory, shared, 0);
  CHECK(r.kind == mm::PoisonedPage::Anon);
  REQUIRE(r.mappers.size() == 2);
  CHECK(((r.mappers[0].as == parent.get() && r.mappers[1].as == child.get()) ||
         (r.mappers[0].as == child.get() && r.mappers[1].as == parent.get())));
  CHECK(is_hwpoison_entry(*parent, at, shared));
  CHECK(is_hwpoison_entry(*child, at, shared));
  CHECK(m.memory.rmap().mapcount(shared) == 0);
  test::check_consistent(m.memory, {parent.get(), child.get()});
  CHECK(parent->handle_fault(at, kWrite).resolution == mm::FaultResolution::BusMceErr);
  CHECK(child->handle_fault(at, kRead).resolution == mm::FaultResolution::BusMceErr);
  CHECK(page_holds(*parent, at + kPageSize, 0x22));
  CHECK(page_holds(*child, at + kPageSize, 0x22));
  // A child forked now inherits the hwpoison entry.
  auto grandchild = child->fork().value();
  CHECK(is_hwpoison_entry(*grandchild, at, shared));
  test::check_consistent(m.memory, {parent.get(), child.get(), grandchild.get()});
}

TEST_CASE("a clean page-cache page is dropped and read again", "[hwpoison]") {
  Machine m;
  auto file = std::make_shared<FakeFile>(m.memory, 2);
  auto as = m.new_address_space();
  mm::MapRequest req;
  req.length = 2 * kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.shared = true;
  req.object = file;
  const u64 at = as->map(req).value();
  REQUIRE(page_holds(*as, at, 'a'));
  const Pfn old = pfn_at(*as, at);
  const mm::MemoryFailure r = mm::memory_failure(m.memory, old, 0);
  CHECK(r.kind == mm::PoisonedPage::FileClean);
  CHECK(r.outcome == mm::PoisonOutcome::Recovered);
  CHECK_FALSE(r.kill);
  REQUIRE(r.mappers.size() == 1);
  CHECK_FALSE(r.mappers[0].hwpoison_entry);
  CHECK(as->page_table().lookup(at).pte.none());
  CHECK_FALSE(file->find_page(0).has_value());
  CHECK(file->write_errors() == 0);
  test::check_consistent(m.memory, {as.get()}, {file.get()});
  // The next fault reads the file again into another frame.
  CHECK(as->handle_fault(at, kRead).resolution == mm::FaultResolution::FileRead);
  CHECK(pfn_at(*as, at) != old);
  CHECK(page_holds(*as, at, 'a'));
  test::check_consistent(m.memory, {as.get()}, {file.get()});
}

TEST_CASE("a dirty page-cache page is lost and the file records the error", "[hwpoison]") {
  Machine m;
  auto file = std::make_shared<FakeFile>(m.memory, 2);
  auto as = m.new_address_space();
  mm::MapRequest req;
  req.length = 2 * kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.shared = true;
  req.object = file;
  const u64 at = as->map(req).value();
  write_page(*as, at + kPageSize, 'Z');
  const Pfn old = pfn_at(*as, at + kPageSize);
  const mm::MemoryFailure r = mm::memory_failure(m.memory, old, 0);
  CHECK(r.kind == mm::PoisonedPage::FileDirty);
  CHECK(r.kill);
  REQUIRE(r.mappers.size() == 1);
  CHECK(r.mappers[0].hwpoison_entry);
  CHECK(is_hwpoison_entry(*as, at + kPageSize, old));
  CHECK(file->write_errors() == 1);
  CHECK_FALSE(file->find_page(1).has_value());
  CHECK(file->write_backs == 0);  // nothing of the lost data reached the file
  test::check_consistent(m.memory, {as.get()}, {file.get()});
  CHECK(as->handle_fault(at + kPageSize, kRead).resolution == mm::FaultResolution::BusMceErr);
  // Another mapper reads the file again: the data last written back.
  auto other = m.new_address_space();
  const u64 there = other->map(req).value();
  CHECK(other->handle_fault(there + kPageSize, kRead).resolution == mm::FaultResolution::FileRead);
  CHECK(page_holds(*other, there + kPageSize, 'b'));
  test::check_consistent(m.memory, {as.get(), other.get()}, {file.get()});
}

TEST_CASE("swap-cache pages: clean ones are read from swap again, dirty ones stay poisoned",
          "[hwpoison][swap]") {
  for (const bool dirty : {false, true}) {
    INFO((dirty ? "dirty" : "clean"));
    Machine m(8 << 20, 8 << 20);
    auto a = m.new_address_space();
    const u64 at = map_anon(*a, 1);
    write_page(*a, at, 0x5a);
    auto b = a->fork().value();
    while (m.memory.stats().pswpout == 0) REQUIRE(m.memory.reclaimer().reclaim(1) <= 1);
    REQUIRE(a->page_table().lookup(at).pte.soft_type() == Pte::SoftType::Swap);
    // `a` reads it back: the frame sits in the swap cache while `b` still names the slot.
    REQUIRE(a->handle_fault(at, kRead).resolution == mm::FaultResolution::SwapIn);
    const Pfn cached = pfn_at(*a, at);
    REQUIRE(m.memory.frame(cached).test(mm::PG_swapcache));
    const u64 slot = m.memory.frame(cached).index;
    if (dirty) m.memory.frame(cached).set(mm::PG_dirty);
    test::check_consistent(m.memory, {a.get(), b.get()});

    const mm::MemoryFailure r = mm::memory_failure(m.memory, cached, 0);
    CHECK(r.kind == (dirty ? mm::PoisonedPage::SwapCacheDirty : mm::PoisonedPage::SwapCacheClean));
    CHECK(r.outcome == (dirty ? mm::PoisonOutcome::Delayed : mm::PoisonOutcome::Recovered));
    CHECK(r.kill == dirty);
    REQUIRE(r.mappers.size() == 1);
    CHECK_FALSE(r.mappers[0].hwpoison_entry);
    // Both entries are swap entries for the slot (6.1 keeps swap-cache pages out of
    // TTU_HWPOISON).
    CHECK(a->page_table().lookup(at).pte.without(Pte::kSoftDirty) ==
          Pte::soft(Pte::SoftType::Swap, slot));
    CHECK(b->page_table().lookup(at).pte.without(Pte::kSoftDirty) ==
          Pte::soft(Pte::SoftType::Swap, slot));
    CHECK(m.memory.swap().cached(slot).has_value() == dirty);
    test::check_consistent(m.memory, {a.get(), b.get()});
    if (dirty) {
      CHECK(a->handle_fault(at, kRead).resolution == mm::FaultResolution::BusMceErr);
      CHECK(b->handle_fault(at, kRead).resolution == mm::FaultResolution::BusMceErr);
    } else {
      CHECK(page_holds(*a, at, 0x5a));
      CHECK(page_holds(*b, at, 0x5a));
      CHECK(pfn_at(*a, at) != cached);
    }
    test::check_consistent(m.memory, {a.get(), b.get()});
  }
}

TEST_CASE("soft offline moves a shared page's contents and retires the old frame", "[hwpoison]") {
  Machine m;
  auto parent = m.new_address_space();
  const u64 at = map_anon(*parent, 1);
  write_page(*parent, at, 0x77);
  auto child = parent->fork().value();
  const Pfn old = pfn_at(*parent, at);
  const Pte before = parent->page_table().lookup(at).pte;
  auto moved = mm::soft_offline(m.memory, old);
  REQUIRE(moved.ok());
  const Pfn fresh = moved.value().to;
  CHECK(fresh != old);
  CHECK(moved.value().mappers == 2);
  CHECK(pfn_at(*parent, at) == fresh);
  CHECK(pfn_at(*child, at) == fresh);
  // Same permissions and A/D bits, another frame.
  CHECK((parent->page_table().lookup(at).pte.raw() & ~Pte::kAddressMask) ==
        (before.raw() & ~Pte::kAddressMask));
  CHECK(m.memory.frame(old).test(mm::PG_hwpoison));
  CHECK(m.memory.frames().refcount(old) == 1);
  CHECK(m.memory.rmap().mapcount(old) == 0);
  CHECK(m.memory.rmap().mapcount(fresh) == 2);
  CHECK(m.memory.poisoned_pages() == 1);
  CHECK_FALSE(m.ram.memory().poisoned(old));  // soft offline leaves the RAM as it is
  test::check_consistent(m.memory, {parent.get(), child.get()});
  CHECK(page_holds(*parent, at, 0x77));
  CHECK(page_holds(*child, at, 0x77));
  // Copy-on-write still works on the moved page.
  write_page(*child, at, 0x78);
  CHECK(page_holds(*parent, at, 0x77));
  test::check_consistent(m.memory, {parent.get(), child.get()});
  // Again on the retired frame: "already poisoned", no error.
  auto again = mm::soft_offline(m.memory, old);
  REQUIRE(again.ok());
  CHECK(again.value().already_poisoned);
  CHECK(m.memory.poisoned_pages() == 1);
}

TEST_CASE("soft offline of an object page moves it inside the object", "[hwpoison]") {
  Machine m;
  auto object = std::make_shared<mm::MemoryObject>(m.memory, mm::ObjectKind::Memfd);
  const std::string text = "still here";
  REQUIRE(object->write({reinterpret_cast<const u8*>(text.data()), text.size()}, 0).ok());
  auto as = m.new_address_space();
  mm::MapRequest req;
  req.length = kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.shared = true;
  req.object = object;
  const u64 at = as->map(req).value();
  REQUIRE(as->handle_fault(at, kRead).handled());
  const Pfn old = *object->find_page(0);
  auto moved = mm::soft_offline(m.memory, old);
  REQUIRE(moved.ok());
  CHECK(*object->find_page(0) == moved.value().to);
  CHECK(pfn_at(*as, at) == moved.value().to);
  std::string back(text.size(), '\0');
  REQUIRE(object->read({reinterpret_cast<u8*>(back.data()), back.size()}, 0).ok());
  CHECK(back == text);
  test::check_consistent(m.memory, {as.get()}, {object.get()});
}

TEST_CASE("a shmem page stays poisoned in its object: faults and read() fail", "[hwpoison]") {
  Machine m;
  auto object = std::make_shared<mm::MemoryObject>(m.memory, mm::ObjectKind::Tmpfs);
  REQUIRE(object->resize(kPageSize).ok());
  auto as = m.new_address_space();
  mm::MapRequest req;
  req.length = kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.shared = true;
  req.object = object;
  const u64 at = as->map(req).value();
  write_page(*as, at, 'q');
  const Pfn page = pfn_at(*as, at);
  const mm::MemoryFailure r = mm::memory_failure(m.memory, page, 0);
  CHECK(r.kind == mm::PoisonedPage::Shmem);
  CHECK(r.kill);
  CHECK(is_hwpoison_entry(*as, at, page));
  CHECK(*object->find_page(0) == page);
  u8 byte;
  CHECK(object->read({&byte, 1}, 0).error() == abi::Errno::kEIO);
  REQUIRE(as->unmap(at, kPageSize).ok());
  const u64 again = as->map(req).value();
  CHECK(as->handle_fault(again, kRead).resolution == mm::FaultResolution::BusMceErr);
}

TEST_CASE("MADV_HWPOISON needs CAP_SYS_ADMIN", "[hwpoison]") {
  test::BootedKernel k;
  if (!k.start()) SKIP("busybox missing");
  constexpr u64 kMmap = 9, kMadvise = 28;
  const i64 at = k.call(kMmap, 0, kPageSize, abi::kPROT_READ | abi::kPROT_WRITE,
                        abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS, ~u64{0}, 0);
  REQUIRE(at > 0);
  k.kernel.current().creds().cap_effective &= ~(u64{1} << cap::kSysAdmin);
  CHECK(k.call(kMadvise, static_cast<u64>(at), kPageSize, abi::kMADV_HWPOISON) ==
        -static_cast<i64>(abi::Errno::kEPERM));
  CHECK(k.call(kMadvise, static_cast<u64>(at), kPageSize, abi::kMADV_SOFT_OFFLINE) ==
        -static_cast<i64>(abi::Errno::kEPERM));
  CHECK(k.kernel.memory().poisoned_pages() == 0);
  // With the capability back the page (faulted in for reading: the zero page, a kernel
  // page 6.1 cannot handle) is EBUSY; after a write it is poisoned.
  k.kernel.current().creds().cap_effective |= u64{1} << cap::kSysAdmin;
  REQUIRE(k.as().handle_fault(static_cast<u64>(at), kWrite).handled());
  CHECK(k.call(kMadvise, static_cast<u64>(at), kPageSize, abi::kMADV_HWPOISON) == 0);
  CHECK(k.kernel.memory().poisoned_pages() == 1);
  CHECK(k.as().page_table().lookup(static_cast<u64>(at)).pte.soft_type() ==
        Pte::SoftType::HwPoison);
  // The poisoned page is no page get_user_pages can reach: EFAULT.
  CHECK(k.call(kMadvise, static_cast<u64>(at), kPageSize, abi::kMADV_HWPOISON) ==
        -static_cast<i64>(abi::Errno::kEFAULT));
  CHECK(k.call(kMadvise, static_cast<u64>(at), kPageSize, abi::kMADV_POPULATE_WRITE) ==
        -static_cast<i64>(abi::Errno::kEHWPOISON));
}

TEST_CASE("a machine check on a mapped page kills the accessor with BUS_MCEERR_AR at the page",
          "[hwpoison]") {
  test::BootedKernel k;
  if (!k.start()) SKIP("busybox missing");
  constexpr u64 kMmap = 9;
  const i64 at = k.call(kMmap, 0, 2 * kPageSize, abi::kPROT_READ | abi::kPROT_WRITE,
                        abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS, ~u64{0}, 0);
  REQUIRE(at > 0);
  const u64 va = static_cast<u64>(at) + kPageSize;
  REQUIRE(k.as().handle_fault(va, kWrite).handled());
  const Pfn pfn = k.as().page_table().lookup(va).pte.pfn();
  k.kernel.inject_poison(PhysAddr(pfn), "test");
  CHECK(k.ram.memory().poisoned(pfn));
  CHECK(k.kernel.memory().poisoned_pages() == 0);  // latent until something touches it
  k.kernel.machine_check(PhysAddr(pfn), va + 0x123, mm::kFaultUser, nullptr);
  CHECK(k.kernel.memory().poisoned_pages() == 1);
  CHECK(k.as().page_table().lookup(va).pte.soft_type() == Pte::SoftType::HwPoison);
  // SIGBUS's default action ends the process: the code and the page address show.
  REQUIRE(k.kernel.exited());
  CHECK(k.kernel.exit_state().signal == abi::kSIGBUS);
  CHECK(k.kernel.exit_state().si_code == abi::kBUS_MCEERR_AR);
  CHECK(k.kernel.exit_state().fault_addr == va);
}

namespace {

// A 2 MiB-aligned private anonymous mapping at `at`, faulted in as one huge page (THP
// always), its first `pages` frames filled with fill_base + i. Returns the head frame.
Pfn huge_page_at(mm::AddressSpace& as, u64 at, u64 pages, int fill_base) {
  mm::MapRequest req;
  req.addr = at;
  req.length = kHugePageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.placement = mm::MapPlacement::Fixed;
  REQUIRE(as.map(req).value() == at);
  REQUIRE(as.handle_fault(at, kWrite).resolution == mm::FaultResolution::NewHugePage);
  REQUIRE(as.page_table().lookup(at).level == 2);
  const Pfn head = as.page_table().lookup(at).pte.pfn();
  for (u64 i = 0; i < pages; ++i)
    std::memset(as.ram().frame(Pfn(head.value + i)), fill_base + static_cast<int>(i), kPageSize);
  return head;
}

}  // namespace

TEST_CASE("memory_failure on a transparent huge page splits it and loses one 4 KiB page",
          "[hwpoison][thp]") {
  Machine m(64 << 20);
  mm::ThpSettings thp;
  thp.enabled = mm::ThpEnabled::Always;
  m.memory.set_thp_settings(&thp);
  auto as = m.new_address_space();
  const u64 at = 0x4000'0000;  // 2 MiB aligned
  const Pfn head = huge_page_at(*as, at, 4, 0x40);
  const Pfn victim(head.value + 2);  // a tail frame
  const mm::MemoryFailure r = mm::memory_failure(m.memory, victim, mm::kMfActionRequired);
  // Split first (try_to_split_thp_page), then handled as the anonymous page it has become.
  CHECK(r.kind == mm::PoisonedPage::Anon);
  CHECK(r.outcome == mm::PoisonOutcome::Recovered);
  REQUIRE(r.mappers.size() == 1);
  CHECK(r.mappers[0].va == at + 2 * kPageSize);
  CHECK(as->page_table().lookup(at).level == 1);
  CHECK(is_hwpoison_entry(*as, at + 2 * kPageSize, victim));
  CHECK(m.memory.stats().thp_split_page == 1);
  CHECK_FALSE(m.memory.frame(head).test(mm::PG_head));
  CHECK(page_holds(*as, at + kPageSize, 0x41));
  CHECK(page_holds(*as, at + 3 * kPageSize, 0x43));
  CHECK(as->handle_fault(at + 2 * kPageSize, kRead).resolution == mm::FaultResolution::BusMceErr);
  test::check_consistent(m.memory, {as.get()});
}

TEST_CASE("memory_failure on a huge page one process maps huge and its child small",
          "[hwpoison][thp]") {
  Machine m(64 << 20);
  mm::ThpSettings thp;
  thp.enabled = mm::ThpEnabled::Always;
  m.memory.set_thp_settings(&thp);
  auto parent = m.new_address_space();
  const u64 at = 0x4000'0000;  // 2 MiB aligned
  const Pfn head = huge_page_at(*parent, at, 8, 0x60);
  auto child = parent->fork().value();
  // The child's write splits only its own entry and copies page 1.
  REQUIRE(child->handle_fault(at + kPageSize, kWrite).resolution == mm::FaultResolution::CowCopy);
  REQUIRE(parent->page_table().lookup(at).level == 2);
  REQUIRE(child->page_table().lookup(at + 5 * kPageSize).pte.pfn() == Pfn(head.value + 5));
  const Pfn victim(head.value + 5);
  const mm::MemoryFailure r = mm::memory_failure(m.memory, victim, 0);
  // The page is split for every mapper (the parent's huge entry too), then the one frame
  // goes from both.
  CHECK(r.kind == mm::PoisonedPage::Anon);
  CHECK(r.outcome == mm::PoisonOutcome::Recovered);
  CHECK(r.mappers.size() == 2);
  CHECK(parent->page_table().lookup(at).level == 1);
  CHECK_FALSE(m.memory.frame(head).test(mm::PG_head));
  CHECK(is_hwpoison_entry(*parent, at + 5 * kPageSize, victim));
  CHECK(is_hwpoison_entry(*child, at + 5 * kPageSize, victim));
  CHECK(page_holds(*parent, at + 4 * kPageSize, 0x64));
  CHECK(page_holds(*child, at + 6 * kPageSize, 0x66));
  CHECK(page_holds(*parent, at + kPageSize, 0x61));
  test::check_consistent(m.memory, {parent.get(), child.get()});
}

TEST_CASE("memory_failure leaves a KSM page mapped, as 6.1 does", "[hwpoison][ksm]") {
  Machine m;
  auto as = m.new_address_space();
  const u64 at = map_anon(*as, 2);
  write_page(*as, at, 0x55);
  write_page(*as, at + kPageSize, 0x55);
  REQUIRE(as->madvise(at, 2 * kPageSize, abi::kMADV_MERGEABLE).ok());
  REQUIRE(m.memory.ksm().set_run(1).ok());
  m.memory.ksm().scan(1000);
  m.memory.ksm().scan(1000);
  const Pfn kpage = pfn_at(*as, at);
  REQUIRE(m.memory.frame(kpage).test(mm::PG_ksm));
  REQUIRE(pfn_at(*as, at + kPageSize) == kpage);
  const mm::MemoryFailure r = mm::memory_failure(m.memory, kpage, mm::kMfActionRequired);
  CHECK(r.kind == mm::PoisonedPage::Ksm);
  CHECK(r.outcome == mm::PoisonOutcome::Ignored);
  CHECK(r.mappers.empty());
  // Still mapped by both entries: each access is another machine check.
  CHECK(pfn_at(*as, at) == kpage);
  CHECK(pfn_at(*as, at + kPageSize) == kpage);
  CHECK(m.memory.rmap().mapcount(kpage) == 2);
  CHECK(m.ram.memory().poisoned(kpage));
  CHECK(m.memory.poisoned_pages() == 1);
  test::check_consistent(m.memory, {as.get()});
}
