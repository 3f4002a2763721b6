#include "emu/disasm.h"

#include <capstone/capstone.h>

namespace emu {

Disassembler::Disassembler() {
  csh handle = 0;
  m_ok = cs_open(CS_ARCH_X86, CS_MODE_64, &handle) == CS_ERR_OK;
  m_handle = handle;
}

Disassembler::~Disassembler() {
  if (m_ok) {
    csh handle = m_handle;
    cs_close(&handle);
  }
}

std::string Disassembler::one(const std::uint8_t* code, std::size_t size,
                              std::uint64_t address) const {
  if (!m_ok || size == 0) return "(bad)";
  cs_insn* insn = nullptr;
  const std::size_t count = cs_disasm(m_handle, code, size, address, 1, &insn);
  if (count == 0) return "(bad)";
  std::string text = insn[0].mnemonic;
  if (insn[0].op_str[0]) {
    text += ' ';
    text += insn[0].op_str;
  }
  cs_free(insn, count);
  return text;
}

}  // namespace emu
