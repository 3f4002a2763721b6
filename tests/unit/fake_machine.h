// A machine for kernel unit tests: heap-backed RAM and a CPU that only records what the
// kernel asks of it. No Unicorn.
#pragma once

#include <cstdlib>
#include <cstring>

#include "kernel/hal.h"

namespace test {

using namespace kernel;

class FakeRam {
 public:
  explicit FakeRam(u64 size) {
    m_memory.base = static_cast<u8*>(std::aligned_alloc(kPageSize, size));
    std::memset(m_memory.base, 0xcc, size);  // garbage: the kernel must clear what it uses
    m_memory.size = size;
    m_memory.poison = static_cast<u8*>(std::calloc(size / kPageSize / 8 + 1, 1));
  }
  ~FakeRam() {
    std::free(m_memory.base);
    std::free(m_memory.poison);
  }
  FakeRam(const FakeRam&) = delete;
  FakeRam& operator=(const FakeRam&) = delete;
  const hal::PhysMemory& memory() const { return m_memory; }

 private:
  hal::PhysMemory m_memory;
};

class FakeCpu final : public hal::Cpu {
 public:
  u64 read_reg(hal::Reg r) const override { return regs[static_cast<int>(r)]; }
  void write_reg(hal::Reg r, u64 value) override { regs[static_cast<int>(r)] = value; }
  u64 rip() const override { return regs[static_cast<int>(hal::Reg::Rip)]; }
  void set_rip(u64 value) override { regs[static_cast<int>(hal::Reg::Rip)] = value; }
  void save_fpu(hal::FpuState& out) const override { out = fpu; }
  void restore_fpu(const hal::FpuState& in) override { fpu = in; }
  void set_page_table_root(PhysAddr root) override { cr3 = root; }
  void flush_tlb() override { ++tlb_flushes; }
  void request_stop() override { ++stop_requests; }

  u64 regs[static_cast<int>(hal::Reg::Count)] = {};
  hal::FpuState fpu;
  PhysAddr cr3;
  int tlb_flushes = 0;
  int stop_requests = 0;
};

}  // namespace test
