#include <algorithm>
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/proc/initial_stack.h"

using namespace kernel;
using namespace kernel::proc;

namespace {

constexpr u64 kTop = 0x7fff'ffff'f000;

// Reads the built image the way the guest would, by address.
struct StackView {
  const InitialStack& stack;
  u64 top;

  bool covers(u64 addr, u64 len) const {
    return addr >= stack.sp && addr <= top && len <= top - addr;
  }
  u64 word(u64 addr) const {
    REQUIRE(covers(addr, 8));
    u64 v;
    std::memcpy(&v, stack.image.data() + (addr - stack.sp), 8);
    return v;
  }
  std::string string(u64 addr) const {
    std::string s;
    for (;; ++addr) {
      REQUIRE(covers(addr, 1));
      char c = static_cast<char>(stack.image[addr - stack.sp]);
      if (c == '\0') return s;
      s.push_back(c);
    }
  }
  u64 envp_addr() const { return stack.sp + 8 * (1 + word(stack.sp) + 1); }
  u64 auxv_addr() const { return envp_addr() + 8 * (stack.envc + 1); }
  // Walks the vector on the stack up to and including AT_NULL.
  std::vector<AuxEntry> auxv() const {
    std::vector<AuxEntry> out;
    for (u64 a = auxv_addr();; a += 16) {
      out.push_back({word(a), word(a + 8)});
      if (out.back().type == abi::kAT_NULL) return out;
    }
  }
  std::optional<u64> aux(u64 type) const {
    for (const AuxEntry& e : auxv()) {
      if (e.type == type) return e.value;
    }
    return std::nullopt;
  }
};

std::array<u8, 16> sample_random() {
  std::array<u8, 16> r{};
  for (u8 i = 0; i < 16; ++i) r[i] = static_cast<u8>(0xa0 + i);
  return r;
}

const std::vector<AuxEntry> kLinuxAux = {
    {abi::kAT_HWCAP, 0x178bfbff}, {abi::kAT_PAGESZ, 4096}, {abi::kAT_CLKTCK, 100},
    {abi::kAT_PHDR, 0x400040},    {abi::kAT_PHENT, 56},    {abi::kAT_PHNUM, 10},
    {abi::kAT_BASE, 0},           {abi::kAT_FLAGS, 0},     {abi::kAT_ENTRY, 0x401bc0},
    {abi::kAT_UID, 1000},         {abi::kAT_EUID, 1000},   {abi::kAT_GID, 1000},
    {abi::kAT_EGID, 1000},        {abi::kAT_SECURE, 0},    {abi::kAT_HWCAP2, 2},
};

struct Fixture {
  std::vector<std::string> argv = {"/bin/busybox", "echo", "hello world"};
  std::vector<std::string> envp = {"PATH=/bin:/usr/bin", "HOME=/root", "TERM=dumb"};
  std::vector<AuxEntry> aux = kLinuxAux;
  InitialStackParams params() const {
    InitialStackParams p;
    p.stack_top = kTop;
    p.argv = argv;
    p.envp = envp;
    p.execfn = "/bin/busybox";
    p.platform = "x86_64";
    p.random_bytes = sample_random();
    p.aux = aux;
    return p;
  }
};

InitialStack build_ok(const InitialStackParams& p) {
  auto result = build_initial_stack(p);
  REQUIRE(result.ok());
  return result.release_value();
}

}  // namespace

TEST_CASE("The initial stack starts with argc followed by the argv pointers", "[stack]") {
  Fixture f;
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  CHECK(v.word(s.sp) == 3);
  CHECK(s.argc == 3);
  CHECK(v.string(v.word(s.sp + 8)) == "/bin/busybox");
  CHECK(v.string(v.word(s.sp + 16)) == "echo");
  CHECK(v.string(v.word(s.sp + 24)) == "hello world");
  CHECK(v.word(s.sp + 32) == 0);
}

TEST_CASE("The envp pointers follow the NULL that ends argv", "[stack]") {
  Fixture f;
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  u64 envp = v.envp_addr();
  CHECK(v.string(v.word(envp)) == "PATH=/bin:/usr/bin");
  CHECK(v.string(v.word(envp + 8)) == "HOME=/root");
  CHECK(v.string(v.word(envp + 16)) == "TERM=dumb");
  CHECK(v.word(envp + 24) == 0);
}

TEST_CASE("The auxiliary vector keeps the caller's entries in Linux's order", "[stack]") {
  Fixture f;
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  std::vector<AuxEntry> expected(kLinuxAux.begin(), kLinuxAux.end() - 1);  // up to AT_SECURE
  expected.push_back({abi::kAT_RANDOM, s.random_addr});
  expected.push_back({abi::kAT_HWCAP2, 2});
  expected.push_back({abi::kAT_EXECFN, s.execfn_addr});
  expected.push_back({abi::kAT_PLATFORM, s.platform_addr});
  expected.push_back({abi::kAT_NULL, 0});
  CHECK(v.auxv() == expected);
  CHECK(s.auxv == expected);
}

TEST_CASE("AT_RANDOM is placed last when the caller gives no AT_SECURE", "[stack]") {
  Fixture f;
  f.aux = {{abi::kAT_PAGESZ, 4096}};
  InitialStack s = build_ok(f.params());
  std::vector<AuxEntry> expected = {{abi::kAT_PAGESZ, 4096},
                                    {abi::kAT_RANDOM, s.random_addr},
                                    {abi::kAT_EXECFN, s.execfn_addr},
                                    {abi::kAT_PLATFORM, s.platform_addr},
                                    {abi::kAT_NULL, 0}};
  CHECK(StackView{s, kTop}.auxv() == expected);
}

TEST_CASE("The auxiliary vector ends with AT_NULL and nothing of ours lies past it", "[stack]") {
  Fixture f;
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  u64 end = v.auxv_addr() + 16 * v.auxv().size();
  CHECK(end <= s.random_addr);
  CHECK(s.random_addr - end < 16);  // only the alignment padding, which is zero
  for (u64 a = end; a < s.random_addr; ++a) CHECK(s.image[a - s.sp] == 0);
}

TEST_CASE("AT_RANDOM points at the 16 random bytes given", "[stack]") {
  Fixture f;
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  auto at_random = v.aux(abi::kAT_RANDOM);
  REQUIRE(at_random.has_value());
  CHECK(*at_random == s.random_addr);
  REQUIRE(v.covers(*at_random, 16));
  CHECK(std::memcmp(s.image.data() + (*at_random - s.sp), sample_random().data(), 16) == 0);
}

TEST_CASE("AT_EXECFN points at the exec path just below one zero word at the top", "[stack]") {
  Fixture f;
  InitialStackParams p = f.params();
  p.execfn = "./relative/path";
  InitialStack s = build_ok(p);
  StackView v{s, kTop};
  CHECK(v.aux(abi::kAT_EXECFN) == s.execfn_addr);
  CHECK(v.string(s.execfn_addr) == "./relative/path");
  CHECK(s.execfn_addr + p.execfn.size() + 1 == kTop - 8);
  CHECK(v.word(kTop - 8) == 0);
}

TEST_CASE("AT_PLATFORM points at the platform string", "[stack]") {
  Fixture f;
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  auto platform = v.aux(abi::kAT_PLATFORM);
  REQUIRE(platform.has_value());
  CHECK(v.string(*platform) == "x86_64");
  // The string sits right above the random bytes, below the 16-aligned argv strings.
  CHECK(*platform == s.random_addr + 16);
  CHECK(*platform + 7 == (s.arg_start & ~u64{15}));
}

TEST_CASE("An empty platform leaves out both the string and AT_PLATFORM", "[stack]") {
  Fixture f;
  InitialStackParams p = f.params();
  p.platform = "";
  InitialStack s = build_ok(p);
  StackView v{s, kTop};
  CHECK_FALSE(v.aux(abi::kAT_PLATFORM).has_value());
  CHECK(s.random_addr + 16 == (s.arg_start & ~u64{15}));
}

TEST_CASE("The strings lie argv, then envp, then execfn, back to back", "[stack]") {
  Fixture f;
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  CHECK(s.arg_start == v.word(s.sp + 8));
  CHECK(s.arg_end == s.env_start);
  CHECK(s.env_start == v.word(v.envp_addr()));
  CHECK(s.env_end == s.execfn_addr);
  // /proc/PID/cmdline is exactly the bytes [arg_start, arg_end).
  std::string cmdline(s.image.begin() + static_cast<long>(s.arg_start - s.sp),
                      s.image.begin() + static_cast<long>(s.arg_end - s.sp));
  CHECK(cmdline == std::string("/bin/busybox\0echo\0hello world\0", 30));
}

TEST_CASE("The image covers exactly sp up to the stack top", "[stack]") {
  Fixture f;
  InitialStack s = build_ok(f.params());
  CHECK(s.sp + s.image.size() == kTop);
}

TEST_CASE("The stack pointer is 16-byte aligned for every argument layout", "[stack]") {
  for (u64 top_offset : {u64{0}, u64{8}, u64{3}, u64{0x7ff}}) {
    for (int argc = 0; argc < 6; ++argc) {
      for (int envc = 0; envc < 5; ++envc) {
        for (int len = 0; len < 17; len += 3) {
          std::vector<std::string> argv(argc, std::string(len, 'a'));
          std::vector<std::string> envp(envc, std::string(len + 1, 'e'));
          std::vector<AuxEntry> aux(kLinuxAux.begin(), kLinuxAux.begin() + (len % 7));
          InitialStackParams p;
          p.stack_top = kTop - top_offset;
          p.argv = argv;
          p.envp = envp;
          p.execfn = std::string_view("/bin/prog").substr(0, len % 10);
          p.platform = len % 2 ? "x86_64" : "";
          p.aux = aux;
          InitialStack s = build_ok(p);
          INFO("argc " << argc << " envc " << envc << " len " << len);
          CHECK(s.sp % 16 == 0);
          CHECK(s.sp + s.image.size() == p.stack_top);
          StackView v{s, p.stack_top};
          CHECK(v.word(s.sp) == std::max<u64>(argc, 1));
          CHECK(v.auxv().back() == AuxEntry{abi::kAT_NULL, 0});
        }
      }
    }
  }
}

TEST_CASE("The layout matches a stack captured from a real Linux kernel", "[stack]") {
  // `setarch -R env -i A=1 BB=hello ./probe one two three` on x86-64 Linux printed these
  // addresses. That kernel (6.3 and later) also adds AT_RSEQ_FEATURE_SIZE and AT_RSEQ_ALIGN
  // after AT_PLATFORM; passed as caller entries they come earlier in our vector, but every
  // size, and so every address, is the same.
  std::vector<std::string> argv = {"./probe", "one", "two", "three"};
  std::vector<std::string> envp = {"A=1", "BB=hello"};
  std::vector<AuxEntry> aux = {{abi::kAT_SYSINFO_EHDR, 0x7ffff7ffd000},
                               {abi::kAT_MINSIGSTKSZ, 0xd30},
                               {abi::kAT_HWCAP, 0x178bebff},
                               {abi::kAT_PAGESZ, 0x1000},
                               {abi::kAT_CLKTCK, 100},
                               {abi::kAT_PHDR, 0x400040},
                               {abi::kAT_PHENT, 56},
                               {abi::kAT_PHNUM, 10},
                               {abi::kAT_BASE, 0},
                               {abi::kAT_FLAGS, 0},
                               {abi::kAT_ENTRY, 0x4014f0},
                               {abi::kAT_UID, 0},
                               {abi::kAT_EUID, 0},
                               {abi::kAT_GID, 0},
                               {abi::kAT_EGID, 0},
                               {abi::kAT_SECURE, 0},
                               {abi::kAT_HWCAP2, 0},
                               {27, 0x1c},
                               {28, 0x20}};
  InitialStackParams p;
  p.stack_top = kTop;
  p.argv = argv;
  p.envp = envp;
  p.execfn = "./probe";
  p.platform = "x86_64";
  p.aux = aux;
  InitialStack s = build_ok(p);
  StackView v{s, kTop};
  CHECK(s.sp == 0x7fff'ffff'edf0);
  CHECK(v.word(s.sp + 8) == 0x7fff'ffff'efcd);
  CHECK(v.word(s.sp + 16) == 0x7fff'ffff'efd5);
  CHECK(v.word(s.sp + 24) == 0x7fff'ffff'efd9);
  CHECK(v.word(s.sp + 32) == 0x7fff'ffff'efdd);
  CHECK(v.word(v.envp_addr()) == 0x7fff'ffff'efe3);
  CHECK(v.word(v.envp_addr() + 8) == 0x7fff'ffff'efe7);
  CHECK(v.aux(abi::kAT_RANDOM) == u64{0x7fff'ffff'efa9});
  CHECK(v.aux(abi::kAT_EXECFN) == u64{0x7fff'ffff'eff0});
  CHECK(v.aux(abi::kAT_PLATFORM) == u64{0x7fff'ffff'efb9});
  CHECK(v.auxv_addr() + 16 * (v.auxv().size() - 1) == 0x7fff'ffff'ef98);  // AT_NULL's pair
}

TEST_CASE("An empty argv becomes a single empty argv[0], as Linux does", "[stack]") {
  Fixture f;
  f.argv.clear();
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  CHECK(v.word(s.sp) == 1);
  CHECK(s.argc == 1);
  CHECK(v.string(v.word(s.sp + 8)).empty());
  CHECK(v.word(s.sp + 16) == 0);
  CHECK(s.arg_end - s.arg_start == 1);
  CHECK(v.string(v.word(v.envp_addr())) == "PATH=/bin:/usr/bin");
}

TEST_CASE("An empty envp leaves a lone NULL before the auxiliary vector", "[stack]") {
  Fixture f;
  f.envp.clear();
  InitialStack s = build_ok(f.params());
  StackView v{s, kTop};
  CHECK(v.word(v.envp_addr()) == 0);
  CHECK(v.word(v.auxv_addr()) == abi::kAT_HWCAP);
  CHECK(s.env_start == s.env_end);
}

TEST_CASE("A string of exactly MAX_ARG_STRLEN bytes with its NUL is accepted", "[stack]") {
  Fixture f;
  f.argv.push_back(std::string(kMaxArgStrlen - 1, 'x'));
  InitialStack s = build_ok(f.params());
  CHECK(StackView{s, kTop}.string(StackView{s, kTop}.word(s.sp + 32)).size() == kMaxArgStrlen - 1);
}

TEST_CASE("An argument longer than MAX_ARG_STRLEN fails with E2BIG", "[stack]") {
  Fixture f;
  f.argv.push_back(std::string(kMaxArgStrlen, 'x'));
  CHECK(build_initial_stack(f.params()).error() == abi::Errno::kE2BIG);
}

TEST_CASE("An environment string longer than MAX_ARG_STRLEN fails with E2BIG", "[stack]") {
  Fixture f;
  f.envp.push_back("X=" + std::string(kMaxArgStrlen, 'x'));
  CHECK(build_initial_stack(f.params()).error() == abi::Errno::kE2BIG);
}

TEST_CASE("An exec path longer than MAX_ARG_STRLEN fails with E2BIG", "[stack]") {
  Fixture f;
  std::string path(kMaxArgStrlen, '/');
  InitialStackParams p = f.params();
  p.execfn = path;
  CHECK(build_initial_stack(p).error() == abi::Errno::kE2BIG);
}

TEST_CASE("Strings that fill the limit exactly are accepted and one byte more is E2BIG",
          "[stack]") {
  // The limit is charged (argc + envc) pointers first, then execfn, envp and argv with NULs.
  const u64 limit = 4096;
  const u64 pointers = (3 + 1) * 8;
  const u64 fixed = sizeof("/prog") + sizeof("A=1") + sizeof("prog") + sizeof("arg");
  std::vector<std::string> argv = {"prog", "arg", std::string(limit - pointers - fixed - 1, 'p')};
  std::vector<std::string> envp = {"A=1"};
  InitialStackParams p;
  p.stack_top = kTop;
  p.argv = argv;
  p.envp = envp;
  p.execfn = "/prog";
  p.strings_limit = limit;
  REQUIRE(build_initial_stack(p).ok());
  argv.back().push_back('p');
  CHECK(build_initial_stack(p).error() == abi::Errno::kE2BIG);
}

TEST_CASE("Arguments beyond the default 2 MiB limit fail with E2BIG", "[stack]") {
  Fixture f;
  std::string chunk(kMaxArgStrlen - 1, 'y');
  f.argv.assign(16, chunk);  // exactly 2 MiB of strings, before pointers and the rest
  CHECK(build_initial_stack(f.params()).error() == abi::Errno::kE2BIG);
  f.argv.resize(15);
  CHECK(build_initial_stack(f.params()).ok());
}

TEST_CASE("Pointers alone can exhaust the limit", "[stack]") {
  Fixture f;
  f.argv.assign(1024, "");
  InitialStackParams p = f.params();
  p.strings_limit = 1027 * 8;  // argc + envc pointers use it all
  CHECK(build_initial_stack(p).error() == abi::Errno::kE2BIG);
}

TEST_CASE("The strings limit follows Linux's rule for the stack rlimit", "[stack]") {
  CHECK(arg_strings_limit(kDefaultStackRlimit) == 2 * 1024 * 1024);
  CHECK(arg_strings_limit(64 * 1024) == kArgMax);        // never below ARG_MAX
  CHECK(arg_strings_limit(~u64{0}) == 6 * 1024 * 1024);  // RLIM_INFINITY: 3/4 of _STK_LIM
  CHECK(arg_strings_limit(16 * 1024 * 1024) == 4 * 1024 * 1024);
}

TEST_CASE("Aux entries that the builder places itself are refused from the caller", "[stack]") {
  for (u64 type : {abi::kAT_NULL, abi::kAT_RANDOM, abi::kAT_EXECFN, abi::kAT_PLATFORM}) {
    Fixture f;
    f.aux.push_back({type, 1});
    CHECK(build_initial_stack(f.params()).error() == abi::Errno::kEINVAL);
  }
}

TEST_CASE("A string with an embedded NUL is refused", "[stack]") {
  Fixture f;
  f.argv.push_back(std::string("a\0b", 3));
  CHECK(build_initial_stack(f.params()).error() == abi::Errno::kEINVAL);
}

TEST_CASE("A stack top too low for the image is refused", "[stack]") {
  Fixture f;
  InitialStackParams p = f.params();
  p.stack_top = 0x100;
  CHECK(build_initial_stack(p).error() == abi::Errno::kEINVAL);
  p.stack_top = 0;
  CHECK(build_initial_stack(p).error() == abi::Errno::kEINVAL);
}
