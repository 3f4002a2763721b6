#include <catch2/catch_test_macros.hpp>
#include <map>

#include "emu/disasm.h"
#include "emu/fault_address.h"

using emu::Access;
using emu::exact_fault_address;
using kernel::u64;
using kernel::u8;
using kernel::hal::Reg;

namespace {

struct Regs {
  std::map<Reg, u64> values;
  u64 operator()(Reg r) const {
    auto it = values.find(r);
    return it == values.end() ? 0 : it->second;
  }
};

}  // namespace

TEST_CASE("a store through a register names the exact byte", "[faultaddr]") {
  const u8 code[] = {0xc7, 0x40, 0x10, 0x2a, 0, 0, 0};  // mov dword ptr [rax+0x10], 42
  Regs regs{{{Reg::Rax, 0x7000'0000'0ff8}}};
  REQUIRE(exact_fault_address(code, sizeof code, 0x401000, 0x7000'0000'1000, Access::Write, regs) ==
          0x7000'0000'1008);
}

TEST_CASE("base, index, scale and displacement are all applied", "[faultaddr]") {
  const u8 code[] = {0x8b, 0x44, 0x8b, 0x08};  // mov eax, dword ptr [rbx + rcx*4 + 8]
  Regs regs{{{Reg::Rbx, 0x600000}, {Reg::Rcx, 0x100}}};
  REQUIRE(exact_fault_address(code, sizeof code, 0x401000, 0x600000, Access::Read, regs) ==
          0x600408);
}

TEST_CASE("a rip-relative operand is relative to the next instruction", "[faultaddr]") {
  const u8 code[] = {0x8b, 0x05, 0x00, 0x10, 0x00, 0x00};  // mov eax, [rip + 0x1000]
  Regs regs;
  REQUIRE(exact_fault_address(code, sizeof code, 0x401000, 0x402000, Access::Read, regs) ==
          0x402006);
}

TEST_CASE("an fs-relative operand adds the fs base", "[faultaddr]") {
  const u8 code[] = {0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0};  // mov rax, fs:[0x28]
  Regs regs{{{Reg::FsBase, 0x500000}}};
  REQUIRE(exact_fault_address(code, sizeof code, 0x401000, 0x500000, Access::Read, regs) ==
          0x500028);
}

TEST_CASE("an access that starts on the page before reports the page start", "[faultaddr]") {
  const u8 code[] = {0x48, 0x8b, 0x00};  // mov rax, qword ptr [rax]
  Regs regs{{{Reg::Rax, 0x600ffc}}};
  REQUIRE(exact_fault_address(code, sizeof code, 0x401000, 0x601000, Access::Read, regs) ==
          0x601000);
}

TEST_CASE("a push faults just below the stack pointer", "[faultaddr]") {
  const u8 code[] = {0x53};  // push rbx
  Regs regs{{{Reg::Rsp, 0x7fff'0000'1000}}};
  REQUIRE(exact_fault_address(code, sizeof code, 0x401000, 0x7fff'0000'0000, Access::Write, regs) ==
          0x7fff'0000'0ff8);
}

TEST_CASE("a fetch fault is at the instruction pointer", "[faultaddr]") {
  Regs regs;
  REQUIRE(exact_fault_address(nullptr, 0, 0x402010, 0x402000, Access::Fetch, regs) == 0x402010);
}

TEST_CASE("an operand elsewhere leaves the page address", "[faultaddr]") {
  const u8 code[] = {0x48, 0x8b, 0x00};  // mov rax, qword ptr [rax]
  Regs regs{{{Reg::Rax, 0x900000}}};
  REQUIRE(exact_fault_address(code, sizeof code, 0x401000, 0x601000, Access::Read, regs) ==
          0x601000);
}

TEST_CASE("undecodable bytes leave the page address", "[faultaddr]") {
  const u8 code[] = {0x0f, 0xff};
  Regs regs;
  REQUIRE(exact_fault_address(code, sizeof code, 0x401000, 0x601000, Access::Read, regs) ==
          0x601000);
}

TEST_CASE("the disassembler prints Intel syntax", "[disasm]") {
  emu::Disassembler d;
  const u8 code[] = {0xc7, 0x00, 0x2a, 0, 0, 0};
  REQUIRE(d.one(code, sizeof code, 0x401000) == "mov dword ptr [rax], 0x2a");
  REQUIRE(d.one(code, 0, 0x401000) == "(bad)");
}
