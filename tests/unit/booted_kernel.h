// Test fixtures shared by the kernel-level unit tests: an address space over fake RAM, and
// a kernel that has loaded a real static program and takes syscalls through a fake CPU.
#pragma once

#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fake_machine.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/proc/process.h"

namespace test {

// RAM, a CPU and the memory manager over them (frames, the zero page), for building
// address spaces and memory objects.
struct MemoryFixture {
  explicit MemoryFixture(u64 ram_size = 16 << 20)
      : ram(ram_size),
        memory(ram.memory(), cpu),
        frames(memory.frames()),
        zero(memory.zero_page()) {}
  std::unique_ptr<mm::AddressSpace> new_address_space() {
    return std::make_unique<mm::AddressSpace>(memory);
  }

  FakeRam ram;
  FakeCpu cpu;
  mm::MemoryManager memory;
  mm::FrameAllocator& frames;
  Pfn zero;
};

class RecordingSink final : public TraceSink {
 public:
  void strace_line(std::string_view line) override { lines.emplace_back(line); }
  void warning(std::string_view message) override { warnings.emplace_back(message); }
  std::vector<std::string> lines, warnings;
};

// A kernel that has exec'd /bin/busybox (static, from busybox-static). Tests SKIP when the
// program is missing: start() returns false.
struct BootedKernel {
  static constexpr const char* kProgram = "/bin/busybox";

  explicit BootedKernel(bool strace = false) : kernel(ram.memory(), cpu, options(strace), &sink) {}

  bool start() {
    if (access(kProgram, X_OK) != 0) return false;
    std::string why;
    const auto r = kernel.start(kProgram, {"busybox", "true"}, {"A=1"}, why);
    INFO(why);
    REQUIRE(r.ok());
    return true;
  }

  mm::AddressSpace& as() { return kernel.current().address_space(); }

  // Issues syscall `nr` the way the `syscall` instruction leaves the registers.
  i64 call(u64 nr, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0, u64 a4 = 0, u64 a5 = 0) {
    using hal::Reg;
    cpu.set_reg(Reg::Rax, nr);
    cpu.set_reg(Reg::Rdi, a0);
    cpu.set_reg(Reg::Rsi, a1);
    cpu.set_reg(Reg::Rdx, a2);
    cpu.set_reg(Reg::R10, a3);
    cpu.set_reg(Reg::R8, a4);
    cpu.set_reg(Reg::R9, a5);
    kernel.syscall();
    return static_cast<i64>(cpu.reg(Reg::Rax));
  }

  FakeRam ram{32 << 20};
  FakeCpu cpu;
  RecordingSink sink;
  Kernel kernel;

 private:
  static KernelOptions options(bool strace) {
    KernelOptions o;
    o.strace = strace;
    return o;
  }
};

}  // namespace test
