// The mmap family's bounds, limits and rarer paths: mremap in every direction, mlock and
// RLIMIT_MEMLOCK, the map-count limit, MAP_32BIT, and the fixes for what fuzzing found.
#include <catch2/catch_test_macros.hpp>
#include <cstring>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/uaccess.h"

using namespace kernel;
using x86_64::Pte;

namespace {

constexpr u64 kRW = abi::kPROT_READ | abi::kPROT_WRITE;
constexpr u64 kMoveFixed = abi::kMREMAP_MAYMOVE | abi::kMREMAP_FIXED;

struct Fixture : test::MemoryFixture {
  mm::AddressSpace as{memory};

  u64 map(u64 len, u64 prot = kRW, u64 addr = 0,
          mm::MapPlacement placement = mm::MapPlacement::Hint, bool shared = false) {
    mm::MapRequest req;
    req.addr = addr;
    req.length = len;
    req.prot = prot;
    req.placement = placement;
    req.shared = shared;
    auto r = as.map(req);
    REQUIRE(r.ok());
    return r.value();
  }
  void poke(u64 va, u8 value) { REQUIRE(mm::write_user<u8>(as, va, value).ok()); }
  u8 peek(u64 va) { return mm::read_user<u8>(as, va).value(); }
  bool present(u64 va) { return as.page_table().lookup(va).pte.present(); }
};

constexpr u64 kPage = kPageSize;
const mm::LockLimit kUnprivileged64K{64 * 1024, false};

}  // namespace

// --- mremap -------------------------------------------------------------------------------

TEST_CASE("mremap FIXED into the same VMA moves the pages and keeps the VMAs whole", "[mremap]") {
  // The destination's unmap erases the VMA record the source was found in; the move must
  // look it up again (under ASan the old code was a heap use-after-free).
  Fixture f;
  const u64 a = f.map(8 * kPage);
  f.poke(a + 6 * kPage, 0x66);
  f.poke(a + 7 * kPage, 0x77);
  auto r = f.as.remap(a + 6 * kPage, 2 * kPage, 2 * kPage, kMoveFixed, a);
  REQUIRE(r.ok());
  REQUIRE(r.value() == a);
  REQUIRE(f.peek(a) == 0x66);
  REQUIRE(f.peek(a + kPage) == 0x77);
  REQUIRE(f.as.find_vma(a + 6 * kPage) == nullptr);
  REQUIRE(f.as.find_vma(a)->start == a);
  REQUIRE(f.as.find_vma(a)->end == a + 6 * kPage);
}

TEST_CASE("mremap with a huge old length is refused without touching other VMAs", "[mremap]") {
  Fixture f;
  const u64 a = f.map(2 * kPage);
  const u64 b = f.map(2 * kPage);  // below a (top-down)
  REQUIRE(b < a);
  f.poke(a, 1);
  // A shrink of a range that runs past the address space: munmap's bounds check says EINVAL.
  const u64 huge = ~u64{0} - kPage + 1;
  REQUIRE(f.as.remap(b, huge, kPage, abi::kMREMAP_MAYMOVE, 0).error() == abi::Errno::kEINVAL);
  // A move with such an old length crosses its VMA: EFAULT, never a wrapped bounds check.
  REQUIRE(f.as.remap(b, u64{1} << 63, u64{1} << 63 | kPage, abi::kMREMAP_MAYMOVE, 0).error() ==
          abi::Errno::kEFAULT);
  REQUIRE(f.as.find_vma(a) != nullptr);
  REQUIRE(f.peek(a) == 1);
  REQUIRE(f.as.find_vma(b) != nullptr);
}

TEST_CASE("mremap shrinks, grows in place, and moves when the space after is taken", "[mremap]") {
  Fixture f;
  const u64 a = f.map(4 * kPage);
  f.poke(a, 9);
  REQUIRE(f.as.remap(a, 4 * kPage, 2 * kPage, 0, 0).value() == a);
  REQUIRE(f.as.find_vma(a)->end == a + 2 * kPage);
  REQUIRE(f.as.remap(a, 2 * kPage, 3 * kPage, 0, 0).value() == a);
  REQUIRE(f.as.find_vma(a)->end == a + 3 * kPage);
  f.map(kPage, abi::kPROT_READ, a + 3 * kPage, mm::MapPlacement::Fixed);
  REQUIRE(f.as.remap(a, 3 * kPage, 4 * kPage, 0, 0).error() == abi::Errno::kENOMEM);
  const u64 moved = f.as.remap(a, 3 * kPage, 4 * kPage, abi::kMREMAP_MAYMOVE, 0).value();
  REQUIRE(moved != a);
  REQUIRE(f.peek(moved) == 9);
  REQUIRE(f.as.find_vma(a) == nullptr);
}

TEST_CASE("MREMAP_DONTUNMAP moves the pages and leaves the old range mapped and empty",
          "[mremap]") {
  Fixture f;
  const u64 a = f.map(2 * kPage);
  f.poke(a, 5);
  f.poke(a + kPage, 6);
  const u64 flags = abi::kMREMAP_MAYMOVE | abi::kMREMAP_DONTUNMAP;
  const u64 moved = f.as.remap(a, 2 * kPage, 2 * kPage, flags, 0).value();
  REQUIRE(moved != a);
  REQUIRE(f.peek(moved) == 5);
  REQUIRE(f.peek(moved + kPage) == 6);
  REQUIRE(f.as.find_vma(a) != nullptr);
  REQUIRE_FALSE(f.present(a));
  REQUIRE(f.peek(a) == 0);  // private anonymous: reads back zero
}

TEST_CASE("MREMAP_DONTUNMAP of a locked VMA unlocks only the old part", "[mremap]") {
  Fixture f;
  const u64 a = f.map(4 * kPage);
  REQUIRE(f.as.mlock(a, 4 * kPage, mm::VM_LOCKED, {}).ok());
  const u64 flags = abi::kMREMAP_MAYMOVE | abi::kMREMAP_DONTUNMAP;
  const u64 moved = f.as.remap(a + kPage, kPage, kPage, flags, 0).value();
  REQUIRE((f.as.find_vma(moved)->flags & mm::VM_LOCKED) != 0);
  REQUIRE((f.as.find_vma(a + kPage)->flags & mm::VM_LOCKED) == 0);
  REQUIRE((f.as.find_vma(a)->flags & mm::VM_LOCKED) != 0);
  REQUIRE((f.as.find_vma(a + 2 * kPage)->flags & mm::VM_LOCKED) != 0);
  REQUIRE(f.as.locked_pages() == 4);
}

// --- brk ----------------------------------------------------------------------------------

TEST_CASE("brk with a huge value leaves the break and the mappings below it alone", "[brk]") {
  // page_round_up(-100) is 0: taken as a shrink it unmapped everything from address 0.
  Fixture f;
  const u64 program = f.map(kPage, abi::kPROT_READ, 0x400000, mm::MapPlacement::Fixed);
  f.as.set_brk_start(0x600000);
  REQUIRE(f.as.set_brk(0x602000) == 0x602000);
  REQUIRE(f.as.set_brk(~u64{99}) == 0x602000);
  REQUIRE(f.as.set_brk(mm::kTaskSize + 1) == 0x602000);
  REQUIRE(f.as.find_vma(program) != nullptr);
  REQUIRE(f.as.find_vma(0x600000) != nullptr);
  REQUIRE(f.as.set_brk(0x601000) == 0x601000);
  REQUIRE(f.as.find_vma(0x601000) == nullptr);
}

// --- bounds at the syscall layer ----------------------------------------------------------

TEST_CASE("madvise on a non-canonical address is ENOMEM and never aliases low memory",
          "[mmap-bounds]") {
  test::BootedKernel b;
  if (!b.start()) SKIP("no busybox");
  auto& as = b.as();
  const u64 low = 0x10000000;
  REQUIRE(b.call(9, low, kPage, kRW, abi::kMAP_SHARED | abi::kMAP_ANONYMOUS | abi::kMAP_FIXED,
                 ~u64{0}, 0) == static_cast<i64>(low));
  REQUIRE(mm::write_user<u8>(as, low, 0x5a).ok());
  const i64 enomem = -static_cast<i64>(abi::Errno::kENOMEM);
  for (u64 alias : {low | (u64{1} << 47), low | 0xffff'8000'0000'0000, low | (u64{1} << 63)}) {
    REQUIRE(b.call(28, alias, kPage, abi::kMADV_REMOVE) == enomem);
    REQUIRE(b.call(28, alias, kPage, abi::kMADV_DONTNEED) == enomem);
    REQUIRE(b.call(10, alias, kPage, abi::kPROT_NONE) == enomem);  // mprotect
    REQUIRE(b.call(11, alias, kPage) == -static_cast<i64>(abi::Errno::kEINVAL));
    REQUIRE(b.call(25, alias, kPage, kPage, 0, 0) == -static_cast<i64>(abi::Errno::kEFAULT));
  }
  REQUIRE(mm::read_user<u8>(as, low).value() == 0x5a);
  // A range that starts mapped and runs past TASK_SIZE is advised, then ENOMEM.
  REQUIRE(b.call(28, low, ~u64{0} - low - kPage, abi::kMADV_NORMAL) == enomem);
}

TEST_CASE("brk(-100) through the syscall keeps the program mapped", "[mmap-bounds]") {
  test::BootedKernel b;
  if (!b.start()) SKIP("no busybox");
  const i64 before = b.call(12, 0);
  REQUIRE(b.call(12, static_cast<u64>(-100)) == before);
  REQUIRE(b.as().find_vma(b.cpu.reg(hal::Reg::Rip)) != nullptr);
}

// --- the map-count limit ------------------------------------------------------------------

TEST_CASE("splits past vm.max_map_count fail with ENOMEM as on Linux", "[map-count]") {
  Fixture f;
  const u64 a = f.map(16 * kPage);
  f.as.set_max_map_count(f.as.map_count() + 1);
  // mprotect of a middle part needs two splits: ENOMEM (the first split has happened).
  REQUIRE(f.as.protect(a + 4 * kPage, kPage, abi::kPROT_READ).error() == abi::Errno::kENOMEM);
  REQUIRE(f.as.map_count() == 2);
  REQUIRE((f.as.find_vma(a + 4 * kPage)->flags & mm::VM_WRITE) != 0);
  // munmap of a middle part at the limit: ENOMEM, nothing unmapped.
  REQUIRE(f.as.unmap(a + 2 * kPage, kPage).error() == abi::Errno::kENOMEM);
  REQUIRE(f.as.find_vma(a + 2 * kPage) != nullptr);
  // Unmapping a whole end is always allowed.
  REQUIRE(f.as.unmap(a, kPage).ok());
  // mmap refuses only once the count is past the limit.
  f.as.set_max_map_count(f.as.map_count() - 1);
  mm::MapRequest req;
  req.length = kPage;
  req.prot = abi::kPROT_READ;
  REQUIRE(f.as.map(req).error() == abi::Errno::kENOMEM);
}

TEST_CASE("mprotect of an end that merges with its neighbour needs no room", "[map-count]") {
  Fixture f;
  const u64 a = f.map(4 * kPage, abi::kPROT_READ);
  REQUIRE(f.as.protect(a, kPage, kRW).ok());
  REQUIRE(f.as.map_count() == 2);
  f.as.set_max_map_count(2);
  // [a+1p, a+2p) becomes RW: it joins the first VMA, the count stays 2.
  REQUIRE(f.as.protect(a + kPage, kPage, kRW).ok());
  REQUIRE(f.as.map_count() == 2);
  REQUIRE(f.as.find_vma(a)->end == a + 2 * kPage);
}

// --- mlock --------------------------------------------------------------------------------

TEST_CASE("mlock populates, counts locked pages and munlock clears them", "[mlock]") {
  Fixture f;
  const u64 a = f.map(4 * kPage);
  REQUIRE(f.as.mlock(a + 1, 2 * kPage, mm::VM_LOCKED, {}).ok());  // rounds to 3 pages
  REQUIRE(f.as.locked_pages() == 3);
  REQUIRE(f.present(a));
  REQUIRE(f.present(a + 2 * kPage));
  REQUIRE_FALSE(f.present(a + 3 * kPage));
  REQUIRE(f.as.set_lock_flags(a, a + kPage, 0).ok());
  REQUIRE(f.as.locked_pages() == 2);
}

TEST_CASE("MLOCK_ONFAULT locks without populating", "[mlock]") {
  Fixture f;
  const u64 a = f.map(2 * kPage);
  REQUIRE(f.as.mlock(a, 2 * kPage, mm::VM_LOCKED | mm::VM_LOCKONFAULT, {}).ok());
  REQUIRE(f.as.locked_pages() == 2);
  REQUIRE_FALSE(f.present(a));
}

TEST_CASE("mlock errors follow RLIMIT_MEMLOCK for an unprivileged process", "[mlock]") {
  Fixture f;
  const u64 a = f.map(32 * kPage);
  REQUIRE(f.as.mlock(a, kPage, mm::VM_LOCKED, {0, false}).error() == abi::Errno::kEPERM);
  REQUIRE(f.as.mlock(a, 17 * kPage, mm::VM_LOCKED, kUnprivileged64K).error() ==
          abi::Errno::kENOMEM);
  REQUIRE(f.as.mlock(a, 16 * kPage, mm::VM_LOCKED, kUnprivileged64K).ok());
  // Pages already locked in the range are not counted twice.
  REQUIRE(f.as.mlock(a, 16 * kPage, mm::VM_LOCKED, kUnprivileged64K).ok());
  REQUIRE(f.as.mlock(a + 16 * kPage, kPage, mm::VM_LOCKED, kUnprivileged64K).error() ==
          abi::Errno::kENOMEM);
  // A locked mapping that would pass the limit: EAGAIN (mlock_future_check()).
  mm::MapRequest req;
  req.length = kPage;
  req.prot = kRW;
  req.extra_flags = mm::VM_LOCKED;
  req.lock_limit = kUnprivileged64K;
  REQUIRE(f.as.map(req).error() == abi::Errno::kEAGAIN);
  // So does growing a locked VMA with mremap.
  REQUIRE(
      f.as.remap(a, 16 * kPage, 17 * kPage, abi::kMREMAP_MAYMOVE, 0, kUnprivileged64K).error() ==
      abi::Errno::kEAGAIN);
  // mlockall(MCL_CURRENT) with more mapped than the limit: ENOMEM.
  REQUIRE(f.as.mlockall(abi::kMCL_CURRENT, kUnprivileged64K).error() == abi::Errno::kENOMEM);
  REQUIRE(f.as.mlockall(abi::kMCL_FUTURE, kUnprivileged64K).ok());
  REQUIRE(f.as.mlockall(abi::kMCL_ONFAULT, {}).error() == abi::Errno::kEINVAL);
}

TEST_CASE("mlock of a PROT_NONE range locks it and fails with ENOMEM", "[mlock]") {
  Fixture f;
  const u64 a = f.map(2 * kPage, abi::kPROT_NONE);
  REQUIRE(f.as.mlock(a, 2 * kPage, mm::VM_LOCKED, {}).error() == abi::Errno::kENOMEM);
  REQUIRE(f.as.locked_pages() == 2);
}

TEST_CASE("mlock over a hole locks the part before it and fails with ENOMEM", "[mlock]") {
  Fixture f;
  const u64 a = f.map(3 * kPage);
  REQUIRE(f.as.unmap(a + kPage, kPage).ok());
  REQUIRE(f.as.mlock(a, 3 * kPage, mm::VM_LOCKED, {}).error() == abi::Errno::kENOMEM);
  REQUIRE(f.as.locked_pages() == 1);
}

TEST_CASE("mlockall(MCL_FUTURE) locks and populates later mappings", "[mlock]") {
  Fixture f;
  REQUIRE(f.as.mlockall(abi::kMCL_FUTURE, {}).ok());
  mm::MapRequest req;
  req.length = 2 * kPage;
  req.prot = kRW;
  const u64 a = f.as.map(req).value();
  REQUIRE((f.as.find_vma(a)->flags & mm::VM_LOCKED) != 0);
  f.as.unlock_all();
  REQUIRE(f.as.locked_pages() == 0);
  REQUIRE(f.as.def_flags() == 0);
}

// --- placement ----------------------------------------------------------------------------

TEST_CASE("MAP_32BIT places mappings bottom-up from 1 GiB", "[mmap]") {
  Fixture f;
  mm::MapRequest req;
  req.length = 2 * kPage;
  req.prot = kRW;
  req.below_2g = true;
  const u64 first = f.as.map(req).value();
  REQUIRE(first == mm::kMap32BitBegin);
  req.prot = abi::kPROT_READ;  // not mergeable
  REQUIRE(f.as.map(req).value() == mm::kMap32BitBegin + 2 * kPage);
  req.length = u64{1} << 30;
  REQUIRE(f.as.map(req).error() == abi::Errno::kENOMEM);
}

// --- the page-table range walker ----------------------------------------------------------

TEST_CASE("for_each_leaf visits exactly the filled leaves over a sparse terabyte", "[pagetable]") {
  Fixture f;
  const u64 base = u64{1} << 40;
  const u64 len = u64{1} << 40;
  const u64 a = f.map(len, kRW, base, mm::MapPlacement::Fixed);
  for (u64 gib = 0; gib < 1024; gib += 64) f.poke(a + gib * (u64{1} << 30) + 8 * kPage, 1);
  u64 visited = 0;
  u64 last = 0;
  f.as.page_table().for_each_leaf(0, ~u64{0}, [&](u64 va, Pte& e) {
    REQUIRE(e.present());
    REQUIRE(va > last);
    last = va;
    ++visited;
  });
  REQUIRE(visited == 16);
  // A non-canonical range is clipped to the user half, not aliased onto it.
  visited = 0;
  f.as.page_table().for_each_leaf(base | 0xffff'8000'0000'0000, ~u64{0},
                                  [&](u64, Pte&) { ++visited; });
  REQUIRE(visited == 0);
  REQUIRE(f.as.protect(a, len, abi::kPROT_READ).ok());
  REQUIRE_FALSE(f.as.page_table().lookup(a + 8 * kPage).pte.writable());
  REQUIRE(f.as.unmap(a, len).ok());
  REQUIRE(f.as.page_table().table_pages() == 1);
}

TEST_CASE("munlock and mprotect go on past a VMA the changed part merged into", "[mlock]") {
  Fixture f;
  const u64 a = f.map(4 * kPage);
  REQUIRE(f.as.mlock(a, kPage, mm::VM_LOCKED, {}).ok());
  REQUIRE(f.as.map_count() == 2);
  // Unlocking the first page merges it with the rest; the walk continues after it.
  REQUIRE(f.as.set_lock_flags(a, a + 4 * kPage, 0).ok());
  REQUIRE(f.as.map_count() == 1);
  REQUIRE(f.as.protect(a, kPage, abi::kPROT_READ).ok());
  REQUIRE(f.as.protect(a, 4 * kPage, kRW).ok());
  REQUIRE(f.as.map_count() == 1);
}

TEST_CASE("top-down placement finds the highest gap after frees and skipped holes", "[mmap]") {
  Fixture f;
  const u64 a = f.map(kPage, abi::kPROT_READ);
  const u64 b = f.map(kPage, kRW);
  const u64 c = f.map(kPage, abi::kPROT_READ);
  REQUIRE(b == a - kPage);
  REQUIRE(c == b - kPage);
  REQUIRE(f.as.unmap(b, kPage).ok());
  // The freed page is the highest gap again.
  REQUIRE(f.map(kPage, kRW) == b);
  // A one-page hole is skipped by a two-page request, then found by a one-page one.
  REQUIRE(f.as.unmap(b, kPage).ok());
  const u64 d = f.map(2 * kPage, kRW);
  REQUIRE(d == c - 2 * kPage);
  REQUIRE(f.map(kPage, kRW) == b);
  REQUIRE(f.map(kPage, abi::kPROT_READ) == d - kPage);
}
