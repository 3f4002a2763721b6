#include "emu/fault_address.h"

#include <capstone/capstone.h>

#include <optional>

namespace emu {

using kernel::hal::Reg;

namespace {

struct RegMap {
  x86_reg cs;
  Reg reg;
  u64 mask;
};

constexpr u64 k64 = ~u64{0}, k32 = 0xffff'ffff;

constexpr RegMap kRegs[] = {
    {X86_REG_RAX, Reg::Rax, k64},  {X86_REG_RBX, Reg::Rbx, k64},  {X86_REG_RCX, Reg::Rcx, k64},
    {X86_REG_RDX, Reg::Rdx, k64},  {X86_REG_RSI, Reg::Rsi, k64},  {X86_REG_RDI, Reg::Rdi, k64},
    {X86_REG_RBP, Reg::Rbp, k64},  {X86_REG_RSP, Reg::Rsp, k64},  {X86_REG_R8, Reg::R8, k64},
    {X86_REG_R9, Reg::R9, k64},    {X86_REG_R10, Reg::R10, k64},  {X86_REG_R11, Reg::R11, k64},
    {X86_REG_R12, Reg::R12, k64},  {X86_REG_R13, Reg::R13, k64},  {X86_REG_R14, Reg::R14, k64},
    {X86_REG_R15, Reg::R15, k64},  {X86_REG_EAX, Reg::Rax, k32},  {X86_REG_EBX, Reg::Rbx, k32},
    {X86_REG_ECX, Reg::Rcx, k32},  {X86_REG_EDX, Reg::Rdx, k32},  {X86_REG_ESI, Reg::Rsi, k32},
    {X86_REG_EDI, Reg::Rdi, k32},  {X86_REG_EBP, Reg::Rbp, k32},  {X86_REG_ESP, Reg::Rsp, k32},
    {X86_REG_R8D, Reg::R8, k32},   {X86_REG_R9D, Reg::R9, k32},   {X86_REG_R10D, Reg::R10, k32},
    {X86_REG_R11D, Reg::R11, k32}, {X86_REG_R12D, Reg::R12, k32}, {X86_REG_R13D, Reg::R13, k32},
    {X86_REG_R14D, Reg::R14, k32}, {X86_REG_R15D, Reg::R15, k32},
};

std::optional<u64> read(unsigned cs_reg, u64 next_rip, const std::function<u64(Reg)>& reg) {
  if (cs_reg == X86_REG_INVALID) return 0;
  if (cs_reg == X86_REG_RIP) return next_rip;
  if (cs_reg == X86_REG_EIP) return next_rip & k32;
  for (const RegMap& m : kRegs)
    if (m.cs == cs_reg) return reg(m.reg) & m.mask;
  return std::nullopt;
}

bool in_page(u64 addr, u64 size, u64 page) {
  const u64 end = addr + (size ? size : 1);
  return addr < page + kernel::kPageSize && end > page;
}

}  // namespace

u64 exact_fault_address(const std::uint8_t* code, std::size_t size, u64 rip, u64 page,
                        Access access, const std::function<u64(Reg)>& reg) {
  if (access == Access::Fetch) return rip >= page ? rip : page;
  csh handle;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return page;
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = nullptr;
  u64 result = page;
  if (cs_disasm(handle, code, size, rip, 1, &insn) == 1) {
    const cs_x86& x86 = insn->detail->x86;
    const u64 next_rip = rip + insn->size;
    bool found = false;
    for (int i = 0; i < x86.op_count && !found; ++i) {
      const cs_x86_op& op = x86.operands[i];
      if (op.type != X86_OP_MEM) continue;
      const auto base = read(op.mem.base, next_rip, reg);
      const auto index = read(op.mem.index, next_rip, reg);
      if (!base || !index) continue;
      u64 ea = *base + *index * static_cast<u64>(op.mem.scale) + static_cast<u64>(op.mem.disp);
      if (op.mem.segment == X86_REG_FS) ea += reg(Reg::FsBase);
      if (op.mem.segment == X86_REG_GS) ea += reg(Reg::GsBase);
      if (in_page(ea, op.size, page)) {
        result = ea >= page ? ea : page;  // an access that starts on the page before
        found = true;
      }
    }
    // Stack pushes (push, call) write below %rsp without naming a memory operand.
    if (!found && access == Access::Write) {
      const u64 below = reg(Reg::Rsp) - 8;
      if (in_page(below, 8, page)) result = below;
    }
    cs_free(insn, 1);
  }
  cs_close(&handle);
  return result;
}

}  // namespace emu
