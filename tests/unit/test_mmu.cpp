#include <catch2/catch_test_macros.hpp>

#include "emu/mmu.h"
#include "fake_machine.h"
#include "kernel/arch/x86_64/page_table.h"
#include "kernel/mm/frame_allocator.h"

using emu::Access;
using emu::Mmu;
using emu::Walk;
using kernel::x86_64::PageTable;
using kernel::x86_64::Pte;
using namespace kernel;

namespace {

struct Fixture {
  test::FakeRam ram{8 << 20};
  mm::FrameAllocator frames{Pfn(1), (8 << 20) / kPageSize - 1};
  PageTable pt{ram.memory(), frames};
  u8 poison[(8 << 20) / kPageSize / 8] = {};
  Mmu mmu{ram.memory(), poison};

  Pte* map(u64 va, u64 pa, u64 flags) {
    REQUIRE(pt.map(va, Pte::leaf(PhysAddr(pa), flags)).ok());
    return pt.leaf_entry(va, x86_64::Allocate::No);
  }
  Walk walk(u64 va, Access a) { return mmu.walk(pt.root(), va, a); }
};

constexpr u64 kUserRw = Pte::kUser | Pte::kWritable;

}  // namespace

TEST_CASE("a read translates and sets Accessed but not Dirty", "[mmu]") {
  Fixture f;
  Pte* pte = f.map(0x400000, 0x10000, kUserRw);
  Walk w = f.walk(0x400abc, Access::Read);
  REQUIRE(w.status == Walk::Status::Ok);
  REQUIRE(w.frame == PhysAddr(0x10000));
  REQUIRE(pte->accessed());
  REQUIRE_FALSE(pte->dirty());
}

TEST_CASE("a read of a clean writable page does not grant write", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x10000, kUserRw);
  REQUIRE_FALSE(f.walk(0x400000, Access::Read).writable);
}

TEST_CASE("a write sets Dirty and grants write", "[mmu]") {
  Fixture f;
  Pte* pte = f.map(0x400000, 0x10000, kUserRw);
  Walk w = f.walk(0x400000, Access::Write);
  REQUIRE(w.status == Walk::Status::Ok);
  REQUIRE(w.writable);
  REQUIRE(pte->dirty());
  // Once dirty, a read fill may grant write too.
  REQUIRE(f.walk(0x400000, Access::Read).writable);
}

TEST_CASE("the walk sets Accessed on every level it used", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x10000, kUserRw);
  Walk w = f.walk(0x400000, Access::Read);
  REQUIRE(w.steps == 4);
  for (int i = 0; i < 4; ++i) {
    const Pte e(*reinterpret_cast<u64*>(f.ram.memory().at(w.step[i].entry_address)));
    REQUIRE(e.accessed());
  }
}

TEST_CASE("a not-present page faults with P clear in the error code", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x10000, kUserRw);
  Walk w = f.walk(0x401000, Access::Write);
  REQUIRE(w.status == Walk::Status::PageFault);
  REQUIRE(w.error_code == (emu::kPfUser | emu::kPfWrite));
  Walk far = f.walk(0x7000'0000'0000, Access::Read);
  REQUIRE(far.status == Walk::Status::PageFault);
  REQUIRE(far.steps == 1);  // stopped at the empty PML4 entry
}

TEST_CASE("a write to a read-only page is a protection fault", "[mmu]") {
  Fixture f;
  Pte* pte = f.map(0x400000, 0x10000, Pte::kUser);
  Walk w = f.walk(0x400000, Access::Write);
  REQUIRE(w.status == Walk::Status::PageFault);
  REQUIRE(w.error_code == (emu::kPfUser | emu::kPfWrite | emu::kPfPresent));
  REQUIRE_FALSE(pte->dirty());
  REQUIRE_FALSE(pte->accessed());
}

TEST_CASE("a fetch from an NX page is a protection fault with I/D set", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x10000, kUserRw | Pte::kNoExecute);
  Walk w = f.walk(0x400000, Access::Fetch);
  REQUIRE(w.status == Walk::Status::PageFault);
  REQUIRE(w.error_code == (emu::kPfUser | emu::kPfFetch | emu::kPfPresent));
  REQUIRE_FALSE(f.walk(0x400000, Access::Read).executable);
}

TEST_CASE("a fetch from an executable page is granted exec", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x10000, Pte::kUser);
  Walk w = f.walk(0x400000, Access::Fetch);
  REQUIRE(w.status == Walk::Status::Ok);
  REQUIRE(w.executable);
}

TEST_CASE("a supervisor page faults for user accesses", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x10000, Pte::kWritable);
  Walk w = f.walk(0x400000, Access::Read);
  REQUIRE(w.status == Walk::Status::PageFault);
  REQUIRE(w.error_code == (emu::kPfUser | emu::kPfPresent));
}

TEST_CASE("a read-only upper level denies writes below it", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x10000, kUserRw);
  Pte* pde = f.pt.entry(0x400000, 2, x86_64::Allocate::No);
  *pde = pde->without(Pte::kWritable);
  REQUIRE(f.walk(0x400000, Access::Write).status == Walk::Status::PageFault);
  REQUIRE(f.walk(0x400000, Access::Read).status == Walk::Status::Ok);
}

TEST_CASE("a 2 MiB PS entry maps each 4 KiB page inside it", "[mmu]") {
  Fixture f;
  Pte* pde = f.pt.entry(0x4000'0000, 2, x86_64::Allocate::Yes);
  *pde = Pte::leaf(PhysAddr(0x20'0000), kUserRw | Pte::kPageSize);
  Walk w = f.walk(0x4012'3456, Access::Write);
  REQUIRE(w.status == Walk::Status::Ok);
  REQUIRE(w.leaf_level == 2);
  REQUIRE(w.frame == PhysAddr(0x32'3000));
  REQUIRE(pde->dirty());
  REQUIRE(w.steps == 3);
}

TEST_CASE("a 1 GiB PS entry is honoured at the PDPT level", "[mmu]") {
  Fixture f;
  Pte* pdpte = f.pt.entry(0x80'0000'0000, 3, x86_64::Allocate::Yes);
  *pdpte = Pte::leaf(PhysAddr(0), Pte::kUser | Pte::kPageSize);
  Walk w = f.walk(0x80'0012'3000, Access::Read);
  REQUIRE(w.status == Walk::Status::Ok);
  REQUIRE(w.leaf_level == 3);
  REQUIRE(w.frame == PhysAddr(0x12'3000));
}

TEST_CASE("a translation to a frame outside RAM is a bus error", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x4000'0000, kUserRw);
  REQUIRE(f.walk(0x400000, Access::Read).status == Walk::Status::BusError);
}

TEST_CASE("an access to a poisoned frame is a machine check", "[mmu]") {
  Fixture f;
  f.map(0x400000, 0x10000, kUserRw);
  f.poison[0x10 / 8] |= 1u << (0x10 % 8);
  REQUIRE(f.walk(0x400000, Access::Read).status == Walk::Status::MachineCheck);
}

TEST_CASE("a non-canonical address faults without a walk", "[mmu]") {
  Fixture f;
  Walk w = f.walk(0x0000'8000'0000'0000, Access::Read);
  REQUIRE(w.status == Walk::Status::PageFault);
  REQUIRE(w.steps == 0);
}

TEST_CASE("peek reads mapped bytes across pages without setting A/D", "[mmu]") {
  Fixture f;
  Pte* a = f.map(0x400000, 0x10000, kUserRw);
  f.map(0x401000, 0x11000, kUserRw);
  std::memcpy(f.ram.memory().at(PhysAddr(0x10ffe)), "hi", 2);
  std::memcpy(f.ram.memory().at(PhysAddr(0x11000)), "!!", 2);
  char buf[4];
  REQUIRE(f.mmu.peek(f.pt.root(), 0x400ffe, buf, 4));
  REQUIRE(std::memcmp(buf, "hi!!", 4) == 0);
  REQUIRE_FALSE(a->accessed());
  REQUIRE_FALSE(f.mmu.peek(f.pt.root(), 0x401ffe, buf, 4));
}
