// One x86-64 instruction as text, for fault traces and crash reports (Capstone).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace emu {

class Disassembler {
 public:
  Disassembler();
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // "mov dword ptr [rax], 1", or "(bad)" when the bytes decode to nothing.
  std::string one(const std::uint8_t* code, std::size_t size, std::uint64_t address) const;

 private:
  std::size_t m_handle = 0;
  bool m_ok = false;
};

}  // namespace emu
