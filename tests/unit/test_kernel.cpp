// The kernel driven by a fake CPU: a real static program is loaded, then syscalls are
// issued by setting registers the way the `syscall` instruction leaves them.
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"

using namespace kernel;
using hal::Reg;

namespace {

constexpr const char* kProgram = test::BootedKernel::kProgram;

struct Booted : test::BootedKernel {
  using test::BootedKernel::BootedKernel;
};

constexpr i64 err(abi::Errno e) {
  return -static_cast<i64>(e);
}

}  // namespace

TEST_CASE("start leaves the registers as Linux's execve does", "[kernel]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  REQUIRE(b.cpu.reg(Reg::Rdx) == 0);
  REQUIRE(b.cpu.reg(Reg::Rsp) % 16 == 0);
  REQUIRE(b.cpu.reg(Reg::Rip) != 0);
  REQUIRE(b.cpu.cr3 == b.kernel.current().address_space().page_table().root());
  // argc, then argv[0] pointing at "busybox".
  auto& as = b.kernel.current().address_space();
  REQUIRE(mm::read_user<u64>(as, b.cpu.reg(Reg::Rsp)).value() == 2);
  const u64 argv0 = mm::read_user<u64>(as, b.cpu.reg(Reg::Rsp) + 8).value();
  REQUIRE(mm::copy_string_from_user(as, argv0, 64).value() == "busybox");
}

TEST_CASE("an unknown syscall returns ENOSYS and is reported once", "[kernel]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  REQUIRE(b.call(100000) == err(abi::Errno::kENOSYS));
  REQUIRE(b.call(100000) == err(abi::Errno::kENOSYS));
  REQUIRE(b.call(335) == err(abi::Errno::kENOSYS));
  REQUIRE(b.sink.warnings.size() == 2);
}

TEST_CASE("mmap, touch and munmap through the syscall table", "[kernel]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  const i64 addr = b.call(9, 0, 8192, abi::kPROT_READ | abi::kPROT_WRITE,
                          abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS, ~u64{0}, 0);
  REQUIRE(addr > 0);
  REQUIRE(addr % 4096 == 0);
  auto& as = b.kernel.current().address_space();
  REQUIRE(mm::write_user<u64>(as, addr + 8, 42).ok());
  REQUIRE(b.call(28, addr, 8192, abi::kMADV_DONTNEED) == 0);
  REQUIRE(mm::read_user<u64>(as, addr + 8).value() == 0);
  REQUIRE(b.call(11, addr, 8192) == 0);
  REQUIRE(mm::read_user<u64>(as, addr).error() == abi::Errno::kEFAULT);
  REQUIRE(b.call(11, addr + 1, 8192) == err(abi::Errno::kEINVAL));
  REQUIRE(b.call(28, addr, 4096, 12345) == err(abi::Errno::kEINVAL));
}

TEST_CASE("a bad guest pointer gives EFAULT, not a crash", "[kernel]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  REQUIRE(b.call(63, 0) == err(abi::Errno::kEFAULT));                      // uname(NULL)
  REQUIRE(b.call(1, 1, 0xdead0000, 10) == err(abi::Errno::kEFAULT));       // write
  REQUIRE(b.call(257, ~u64{99}, ~u64{0}, 0) == err(abi::Errno::kEFAULT));  // openat
  REQUIRE(b.call(228, 1, 0x10) == err(abi::Errno::kEFAULT));               // clock_gettime
}

TEST_CASE("exit_group ends the process with its status and stops the CPU", "[kernel]") {
  Booted b;
  if (!b.start()) SKIP("no " << kProgram);
  b.call(231, 0x1234);
  REQUIRE(b.kernel.exited());
  REQUIRE(b.kernel.exit_state().status == 0x34);
  REQUIRE(b.kernel.exit_state().signal == 0);
  REQUIRE(b.cpu.stop_requests == 1);
}

TEST_CASE("strace lines come from the syscall table", "[kernel]") {
  Booted b(true);
  if (!b.start()) SKIP("no " << kProgram);
  b.call(39);  // getpid
  b.call(11, 1, 4096);
  REQUIRE(b.sink.lines.size() == 2);
  REQUIRE(b.sink.lines[0] == "getpid() = " + std::to_string(b.kernel.current().pid()));
  REQUIRE(b.sink.lines[1] == "munmap(0x1, 4096) = -1 EINVAL (Invalid argument)");
}
