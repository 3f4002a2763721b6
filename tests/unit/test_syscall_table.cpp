#include <catch2/catch_test_macros.hpp>
#include <cstring>

#include "kernel/syscalls/syscall.h"

using kernel::syscalls::lookup_syscall;
using kernel::syscalls::syscall_name;

TEST_CASE("every table entry carries Linux's name for its number", "[syscalls]") {
  int implemented = 0;
  for (kernel::u64 nr = 0; nr < 512; ++nr) {
    const auto* info = lookup_syscall(nr);
    if (!info) continue;
    ++implemented;
    INFO("syscall " << nr);
    REQUIRE(info->nr == nr);
    REQUIRE(syscall_name(nr) != nullptr);
    REQUIRE(std::strcmp(info->name, syscall_name(nr)) == 0);
    REQUIRE(info->handler != nullptr);
    REQUIRE(info->arg_count >= 0);
    REQUIRE(info->arg_count <= 6);
  }
  REQUIRE(implemented > 50);
}

TEST_CASE("the memory-advice family is in the table", "[syscalls]") {
  for (const char* name : {"mmap", "munmap", "mprotect", "mremap", "madvise", "mincore", "brk"}) {
    bool found = false;
    for (kernel::u64 nr = 0; nr < 512 && !found; ++nr)
      found = lookup_syscall(nr) && std::strcmp(lookup_syscall(nr)->name, name) == 0;
    INFO(name);
    REQUIRE(found);
  }
}

TEST_CASE("numbers outside the table have no entry", "[syscalls]") {
  REQUIRE(lookup_syscall(100000) == nullptr);
  REQUIRE(lookup_syscall(~kernel::u64{0}) == nullptr);
  REQUIRE(syscall_name(100000) == nullptr);
}
