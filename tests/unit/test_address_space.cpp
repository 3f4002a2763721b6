#include <catch2/catch_test_macros.hpp>
#include <cstring>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/uaccess.h"

using namespace kernel;
using mm::FaultResolution;
using x86_64::Pte;

namespace {

constexpr u32 kRead = mm::kFaultUser;
constexpr u32 kWrite = mm::kFaultUser | mm::kFaultWrite;

struct Fixture : test::MemoryFixture {
  mm::AddressSpace as{memory};

  u64 map_anon(u64 len, u64 prot = abi::kPROT_READ | abi::kPROT_WRITE, u64 addr = 0,
               mm::MapPlacement placement = mm::MapPlacement::Hint) {
    mm::MapRequest req;
    req.addr = addr;
    req.length = len;
    req.prot = prot;
    req.placement = placement;
    auto r = as.map(req);
    REQUIRE(r.ok());
    return r.value();
  }
  Pte pte(u64 va) { return as.page_table().lookup(va).pte; }
  void map_stack(u64 size) {
    mm::MapRequest stack;
    stack.addr = mm::kStackTop - size;
    stack.length = size;
    stack.prot = abi::kPROT_READ | abi::kPROT_WRITE;
    stack.placement = mm::MapPlacement::Fixed;
    stack.extra_flags = mm::VM_GROWSDOWN;
    REQUIRE(as.map(stack).ok());
  }
};

}  // namespace

TEST_CASE("mmap without a hint places mappings top-down below mmap_base", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(2 * kPageSize);
  const u64 b = f.map_anon(kPageSize);
  REQUIRE(a == 0x7fff'f7ff'f000 - 2 * kPageSize);
  REQUIRE(b == a - kPageSize);
  REQUIRE(f.as.vmas().size() == 1);  // adjacent anonymous mappings merge
}

TEST_CASE("a read fault on anonymous memory maps the shared zero page read-only", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize);
  auto r = f.as.handle_fault(a, kRead);
  REQUIRE(r.resolution == FaultResolution::ZeroPage);
  REQUIRE(f.pte(a).pfn() == f.zero);
  REQUIRE_FALSE(f.pte(a).writable());
}

TEST_CASE("a write after a read replaces the zero page with a fresh frame", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize);
  (void)f.as.handle_fault(a, kRead);
  auto r = f.as.handle_fault(a, kWrite | mm::kFaultPresent);
  REQUIRE(r.resolution == FaultResolution::CowZeroPage);
  REQUIRE(r.replaced_present);
  REQUIRE(f.pte(a).pfn() != f.zero);
  REQUIRE(f.pte(a).writable());
  REQUIRE(f.frames.refcount(f.zero) == 1);
}

TEST_CASE("a write fault on untouched anonymous memory gets a zeroed frame", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize);
  auto r = f.as.handle_fault(a + 123, kWrite);
  REQUIRE(r.resolution == FaultResolution::NewAnonPage);
  const u8* page = f.ram.memory().frame(f.pte(a).pfn());
  for (u64 i = 0; i < kPageSize; ++i) REQUIRE(page[i] == 0);
  REQUIRE(f.as.fault_counters().minor == 1);
}

TEST_CASE("an address with no mapping is SEGV_MAPERR", "[as]") {
  Fixture f;
  auto r = f.as.handle_fault(0x1000, kRead);
  REQUIRE(r.resolution == FaultResolution::SegvMapErr);
  REQUIRE(r.signal() == abi::kSIGSEGV);
  REQUIRE(r.si_code() == abi::kSEGV_MAPERR);
}

TEST_CASE("a write to a read-only mapping is SEGV_ACCERR", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize, abi::kPROT_READ);
  REQUIRE(f.as.handle_fault(a, kWrite).resolution == FaultResolution::SegvAccErr);
  REQUIRE(f.as.handle_fault(a, kRead).handled());
}

TEST_CASE("a fetch from a non-executable mapping is SEGV_ACCERR", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize);
  REQUIRE(f.as.handle_fault(a, mm::kFaultUser | mm::kFaultFetch).resolution ==
          FaultResolution::SegvAccErr);
}

TEST_CASE("any access to a PROT_NONE mapping is SEGV_ACCERR", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize, abi::kPROT_NONE);
  REQUIRE(f.as.handle_fault(a, kRead).resolution == FaultResolution::SegvAccErr);
}

TEST_CASE("the stack grows down to a fault just below it", "[as]") {
  Fixture f;
  f.map_stack(0x20000);
  const u64 below = mm::kStackTop - 0x100000;
  auto r = f.as.handle_fault(below, kWrite);
  REQUIRE(r.handled());
  REQUIRE(r.stack_grown);
  REQUIRE(f.as.find_vma(below)->start == page_round_down(below));
}

TEST_CASE("the stack does not grow past its 8 MiB limit", "[as]") {
  Fixture f;
  f.map_stack(0x20000);
  auto r = f.as.handle_fault(mm::kStackTop - mm::kStackRlimit - kPageSize, kWrite);
  REQUIRE(r.resolution == FaultResolution::SegvMapErr);
}

TEST_CASE("munmap frees the frames and the range faults again", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(4 * kPageSize);
  for (int i = 0; i < 4; ++i) REQUIRE(f.as.handle_fault(a + i * kPageSize, kWrite).handled());
  const u64 free_before = f.frames.free_frames();
  REQUIRE(f.as.unmap(a + kPageSize, 2 * kPageSize).ok());
  REQUIRE(f.frames.free_frames() == free_before + 2);
  REQUIRE(f.cpu.tlb_flushes > 0);
  REQUIRE(f.as.handle_fault(a + kPageSize, kRead).resolution == FaultResolution::SegvMapErr);
  REQUIRE(f.as.vmas().size() == 2);  // split around the hole
}

TEST_CASE("mprotect splits the VMA and downgrades present entries", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(3 * kPageSize);
  for (int i = 0; i < 3; ++i) REQUIRE(f.as.handle_fault(a + i * kPageSize, kWrite).handled());
  const int flushes = f.cpu.tlb_flushes;
  REQUIRE(f.as.protect(a + kPageSize, kPageSize, abi::kPROT_READ).ok());
  REQUIRE(f.as.vmas().size() == 3);
  REQUIRE_FALSE(f.pte(a + kPageSize).writable());
  REQUIRE(f.pte(a).writable());
  REQUIRE(f.cpu.tlb_flushes > flushes);
  REQUIRE(f.as.handle_fault(a + kPageSize, kWrite | mm::kFaultPresent).resolution ==
          FaultResolution::SegvAccErr);
  // Restoring the protection merges the VMAs back.
  REQUIRE(f.as.protect(a + kPageSize, kPageSize, abi::kPROT_READ | abi::kPROT_WRITE).ok());
  REQUIRE(f.as.vmas().size() == 1);
}

TEST_CASE("mprotect over a hole changes the VMAs before it and fails with ENOMEM", "[as]") {
  // Linux 6.1's do_mprotect_pkey() works VMA by VMA and stops at the hole.
  Fixture f;
  const u64 a = f.map_anon(3 * kPageSize);
  REQUIRE(f.as.unmap(a + kPageSize, kPageSize).ok());
  auto r = f.as.protect(a, 3 * kPageSize, abi::kPROT_READ);
  REQUIRE(r.error() == abi::Errno::kENOMEM);
  REQUIRE((f.as.find_vma(a)->flags & mm::VM_WRITE) == 0);
  REQUIRE((f.as.find_vma(a + 2 * kPageSize)->flags & mm::VM_WRITE) != 0);
  // A range that starts in a hole changes nothing.
  REQUIRE(f.as.protect(a + kPageSize, 2 * kPageSize, abi::kPROT_NONE).error() ==
          abi::Errno::kENOMEM);
  REQUIRE((f.as.find_vma(a + 2 * kPageSize)->flags & mm::VM_WRITE) != 0);
}

TEST_CASE("MADV_DONTNEED makes private anonymous pages read back as zero", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(2 * kPageSize);
  const char msg[] = "hello";
  REQUIRE(mm::copy_to_user(f.as, a, msg, sizeof msg).ok());
  REQUIRE(f.as.madvise(a, 2 * kPageSize, abi::kMADV_DONTNEED).ok());
  REQUIRE_FALSE(f.pte(a).present());
  char back[sizeof msg] = {1};
  REQUIRE(mm::copy_from_user(f.as, back, a, sizeof back).ok());
  for (char c : back) REQUIRE(c == 0);
}

TEST_CASE("madvise over a hole applies to the mapped part and returns ENOMEM", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(3 * kPageSize);
  REQUIRE(mm::copy_to_user(f.as, a, "x", 1).ok());
  REQUIRE(f.as.unmap(a + kPageSize, kPageSize).ok());
  auto r = f.as.madvise(a, 3 * kPageSize, abi::kMADV_DONTNEED);
  REQUIRE(r.error() == abi::Errno::kENOMEM);
  REQUIRE_FALSE(f.pte(a).present());
}

TEST_CASE("MADV_POPULATE_WRITE faults every page in writable", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(4 * kPageSize);
  REQUIRE(f.as.madvise(a, 4 * kPageSize, abi::kMADV_POPULATE_WRITE).ok());
  for (int i = 0; i < 4; ++i) REQUIRE(f.pte(a + i * kPageSize).writable());
  const u64 ro = f.map_anon(kPageSize, abi::kPROT_READ);
  REQUIRE(f.as.madvise(ro, kPageSize, abi::kMADV_POPULATE_WRITE).error() == abi::Errno::kEINVAL);
}

TEST_CASE("flag advice splits the VMA and sets its flag", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(3 * kPageSize);
  REQUIRE(f.as.madvise(a + kPageSize, kPageSize, abi::kMADV_DONTDUMP).ok());
  REQUIRE(f.as.vmas().size() == 3);
  REQUIRE((f.as.find_vma(a + kPageSize)->flags & mm::VM_DONTDUMP) != 0);
  REQUIRE(f.as.madvise(a + kPageSize, kPageSize, abi::kMADV_DODUMP).ok());
  REQUIRE(f.as.vmas().size() == 1);
}

TEST_CASE("brk grows and shrinks the heap and refuses to go below its start", "[as]") {
  Fixture f;
  f.as.set_brk_start(0x600000);
  REQUIRE(f.as.set_brk(0x600000 + 10000) == 0x600000 + 10000);
  REQUIRE(mm::copy_to_user(f.as, 0x600000 + 9000, "x", 1).ok());
  REQUIRE(f.as.set_brk(0x500000) == 0x600000 + 10000);
  REQUIRE(f.as.set_brk(0x600000) == 0x600000);
  REQUIRE(f.as.handle_fault(0x600000, kRead).resolution == FaultResolution::SegvMapErr);
}

TEST_CASE("mremap grows in place when the space after is free", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize, abi::kPROT_READ | abi::kPROT_WRITE, 0x10000000,
                           mm::MapPlacement::Fixed);
  auto r = f.as.remap(a, kPageSize, 4 * kPageSize, 0, 0);
  REQUIRE(r.ok());
  REQUIRE(r.value() == a);
  REQUIRE(f.as.find_vma(a + 3 * kPageSize) != nullptr);
}

TEST_CASE("mremap with MAYMOVE moves the pages and their contents", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize, abi::kPROT_READ | abi::kPROT_WRITE, 0x10000000,
                           mm::MapPlacement::Fixed);
  f.map_anon(kPageSize, abi::kPROT_READ, 0x10001000, mm::MapPlacement::Fixed);  // blocks growth
  REQUIRE(mm::copy_to_user(f.as, a, "moved", 6).ok());
  REQUIRE(f.as.remap(a, kPageSize, 2 * kPageSize, 0, 0).error() == abi::Errno::kENOMEM);
  auto r = f.as.remap(a, kPageSize, 2 * kPageSize, abi::kMREMAP_MAYMOVE, 0);
  REQUIRE(r.ok());
  REQUIRE(r.value() != a);
  char back[6];
  REQUIRE(mm::copy_from_user(f.as, back, r.value(), 6).ok());
  REQUIRE(std::memcmp(back, "moved", 6) == 0);
  REQUIRE(f.as.find_vma(a) == nullptr);
}

TEST_CASE("copy_from_user of an unmapped address is EFAULT", "[as]") {
  Fixture f;
  char buf[8];
  REQUIRE(mm::copy_from_user(f.as, buf, 0x1000, 8).error() == abi::Errno::kEFAULT);
  REQUIRE(mm::copy_from_user(f.as, buf, ~u64{0} - 2, 8).error() == abi::Errno::kEFAULT);
}

TEST_CASE("copy_to_user into a read-only mapping is EFAULT", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(kPageSize, abi::kPROT_READ);
  REQUIRE(mm::copy_to_user(f.as, a, "x", 1).error() == abi::Errno::kEFAULT);
}

TEST_CASE("copy_string_from_user stops at NUL and bounds the length", "[as]") {
  Fixture f;
  const u64 a = f.map_anon(2 * kPageSize);
  // A string that crosses a page boundary.
  REQUIRE(mm::copy_to_user(f.as, a + kPageSize - 3, "abcdef", 7).ok());
  auto s = mm::copy_string_from_user(f.as, a + kPageSize - 3, 100);
  REQUIRE(s.ok());
  REQUIRE(s.value() == "abcdef");
  REQUIRE(mm::copy_string_from_user(f.as, a + kPageSize - 3, 3).error() ==
          abi::Errno::kENAMETOOLONG);
}

TEST_CASE("destroying an address space returns every frame", "[as]") {
  test::MemoryFixture m{4 << 20};
  mm::FrameAllocator& frames = m.frames;
  const u64 before = frames.free_frames();
  {
    mm::AddressSpace as{m.memory};
    mm::MapRequest req;
    req.length = 64 * kPageSize;
    req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
    const u64 a = as.map(req).value();
    for (int i = 0; i < 64; ++i) (void)as.handle_fault(a + i * kPageSize, i % 2 ? kWrite : kRead);
  }
  REQUIRE(frames.free_frames() == before);
  REQUIRE(frames.refcount(m.zero) == 1);
}
