#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/proc/elf.h"

using namespace kernel;
using namespace kernel::proc;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::Equals;

namespace {

// A reader over bytes in memory. `chunk` limits each read, to exercise short reads.
ElfReader memory_reader(const std::vector<u8>& bytes, u64 chunk = ~u64{0}) {
  return [&bytes, chunk](std::span<u8> buf, u64 offset) -> Result<u64> {
    if (offset >= bytes.size()) return u64{0};
    u64 n = std::min<u64>({buf.size(), bytes.size() - offset, chunk});
    std::memcpy(buf.data(), bytes.data() + offset, n);
    return n;
  };
}

// A small static executable, kept as structures so a test can break one field and
// serialise it. Layout: headers at 0 (read-only segment), text at 0x1000, data at 0x2000.
struct TestElf {
  abi::Elf64Ehdr ehdr{};
  std::vector<abi::Elf64Phdr> phdrs;
  u64 size = 0x2010;

  static TestElf exec(u64 base = 0x400000) {
    TestElf t;
    const u8 ident[] = {0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LSB */, 1 /* version */};
    std::memcpy(t.ehdr.e_ident, ident, sizeof(ident));
    t.ehdr.e_type = abi::kET_EXEC;
    t.ehdr.e_machine = abi::kEM_X86_64;
    t.ehdr.e_version = 1;
    t.ehdr.e_entry = base + 0x1000;
    t.ehdr.e_phoff = 64;
    t.ehdr.e_ehsize = 64;
    t.ehdr.e_phentsize = sizeof(abi::Elf64Phdr);
    t.phdrs = {
        {abi::kPT_LOAD, abi::kPF_R, 0, base, base, 0x200, 0x200, 0x1000},
        {abi::kPT_LOAD, abi::kPF_R | abi::kPF_X, 0x1000, base + 0x1000, base + 0x1000, 0x100, 0x100,
         0x1000},
        {abi::kPT_LOAD, abi::kPF_R | abi::kPF_W, 0x2000, base + 0x2000, base + 0x2000, 0x10, 0x1800,
         0x1000},
        {abi::kPT_GNU_STACK, abi::kPF_R | abi::kPF_W, 0, 0, 0, 0, 0, 16},
    };
    return t;
  }

  static TestElf static_pie() {
    TestElf t = exec(0);
    t.ehdr.e_type = abi::kET_DYN;
    return t;
  }

  std::vector<u8> bytes() {
    ehdr.e_phnum = static_cast<u16>(phdrs.size());
    std::vector<u8> out(size, 0xcc);
    std::memcpy(out.data(), &ehdr, std::min<u64>(sizeof(ehdr), size));
    u64 table = phdrs.size() * sizeof(abi::Elf64Phdr);
    if (table && 64 < size)
      std::memcpy(out.data() + 64, phdrs.data(), std::min<u64>(table, size - 64));
    return out;
  }
};

std::optional<std::vector<u8>> read_host_file(const char* path) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return std::nullopt;
  std::vector<u8> bytes;
  u8 buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), f)) > 0;)
    bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return bytes;
}

struct Parsed {
  Result<ElfImage> result;
  std::string why;
};

Parsed parse_bytes(const std::vector<u8>& bytes, u64 file_size) {
  std::string why;
  auto result = parse_elf(memory_reader(bytes), file_size, &why);
  return {std::move(result), why};
}

Parsed parse(TestElf t) {
  std::vector<u8> bytes = t.bytes();
  return parse_bytes(bytes, bytes.size());
}

// Expects ENOEXEC with a reason that mentions `needle`.
void require_rejected(const Parsed& p, const std::string& needle) {
  REQUIRE_FALSE(p.result.ok());
  CHECK(p.result.error() == abi::Errno::kENOEXEC);
  CHECK_THAT(p.why, ContainsSubstring(needle));
  CHECK(p.why.find('\n') == std::string::npos);
}

// What every successfully parsed image must satisfy, whatever the input was.
void check_invariants(const ElfImage& img, u64 file_size) {
  REQUIRE_FALSE(img.segments.empty());
  CHECK(page_aligned(img.min_vaddr));
  CHECK(page_aligned(img.max_vaddr));
  CHECK(img.min_vaddr < img.max_vaddr);
  CHECK(img.max_vaddr <= kUserSpaceEnd);
  bool entry_in_exec = false;
  for (const ElfSegment& s : img.segments) {
    CHECK(s.filesz <= s.memsz);
    CHECK(s.file_offset + s.filesz <= file_size);
    CHECK(s.vaddr >= img.min_vaddr);
    CHECK(s.vaddr + s.memsz <= img.max_vaddr);
    CHECK(page_aligned(s.vaddr - s.file_offset));
    if ((s.prot & abi::kPROT_EXEC) && img.entry >= s.vaddr && img.entry < s.vaddr + s.memsz)
      entry_in_exec = true;
  }
  CHECK(entry_in_exec);
  CHECK_FALSE(img.has_interp);
}

}  // namespace

TEST_CASE("A static ET_EXEC image parses into its load segments", "[elf]") {
  Parsed p = parse(TestElf::exec());
  REQUIRE(p.result.ok());
  const ElfImage& img = p.result.value();
  CHECK(img.type == abi::kET_EXEC);
  CHECK_FALSE(img.is_pie());
  CHECK(img.entry == 0x401000);
  REQUIRE(img.segments.size() == 3);
  CHECK(img.segments[0].prot == abi::kPROT_READ);
  CHECK(img.segments[1].prot == (abi::kPROT_READ | abi::kPROT_EXEC));
  CHECK(img.segments[2].prot == (abi::kPROT_READ | abi::kPROT_WRITE));
  CHECK(img.segments[2].vaddr == 0x402000);
  CHECK(img.segments[2].file_offset == 0x2000);
  CHECK(img.segments[2].filesz == 0x10);
  CHECK(img.segments[2].memsz == 0x1800);
  CHECK(img.min_vaddr == 0x400000);
  CHECK(img.max_vaddr == 0x404000);
  CHECK(img.span_size() == 0x4000);
  CHECK_FALSE(img.has_interp);
  CHECK_FALSE(img.executable_stack);
  check_invariants(img, 0x2010);
}

TEST_CASE("The program header address comes from the load segment covering e_phoff", "[elf]") {
  Parsed p = parse(TestElf::exec());
  REQUIRE(p.result.ok());
  const ElfPhdrTable& t = p.result.value().phdrs;
  CHECK(t.file_offset == 64);
  CHECK(t.count == 4);
  CHECK(t.entsize == 56);
  REQUIRE(t.vaddr.has_value());
  CHECK(*t.vaddr == 0x400040);
}

TEST_CASE("A PT_PHDR header gives the program header address", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs.push_back({abi::kPT_PHDR, abi::kPF_R, 64, 0x400abc0, 0x400abc0, 56 * 5, 56 * 5, 8});
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  CHECK(p.result.value().phdrs.vaddr == u64{0x400abc0});
}

TEST_CASE("The program header address is unknown when no segment loads the table", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[0].p_offset = 0x1000;  // the first segment now starts past the headers
  t.phdrs[0].p_vaddr = 0x401000;
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  CHECK_FALSE(p.result.value().phdrs.vaddr.has_value());
}

TEST_CASE("A static-PIE image parses and reports it is position independent", "[elf]") {
  Parsed p = parse(TestElf::static_pie());
  REQUIRE(p.result.ok());
  const ElfImage& img = p.result.value();
  CHECK(img.type == abi::kET_DYN);
  CHECK(img.is_pie());
  CHECK(img.min_vaddr == 0);
  CHECK(img.max_vaddr == 0x4000);
  CHECK(img.entry == 0x1000);
  check_invariants(img, 0x2010);
}

TEST_CASE("The load bias places a static-PIE's first page at the chosen base", "[elf]") {
  Parsed p = parse(TestElf::static_pie());
  REQUIRE(p.result.ok());
  auto bias = elf_load_bias(p.result.value(), kElfEtDynBase);
  REQUIRE(bias.ok());
  CHECK(bias.value() == 0x5555'5555'4000);
  auto unaligned = elf_load_bias(p.result.value(), kElfEtDynBase + 0x123);
  REQUIRE(unaligned.ok());
  CHECK(unaligned.value() == 0x5555'5555'4000);
}

TEST_CASE("The load bias of a PIE linked above zero subtracts its link address", "[elf]") {
  TestElf t = TestElf::exec(0x200000);
  t.ehdr.e_type = abi::kET_DYN;
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  auto bias = elf_load_bias(p.result.value(), 0x10000);
  REQUIRE(bias.ok());
  CHECK(p.result.value().min_vaddr + bias.value() == 0x10000);  // a wrapped, negative bias
}

TEST_CASE("The load bias of an ET_EXEC image is zero", "[elf]") {
  Parsed p = parse(TestElf::exec());
  REQUIRE(p.result.ok());
  auto bias = elf_load_bias(p.result.value(), kElfEtDynBase);
  REQUIRE(bias.ok());
  CHECK(bias.value() == 0);
}

TEST_CASE("A load bias that pushes the image past user space is refused", "[elf]") {
  Parsed p = parse(TestElf::static_pie());
  REQUIRE(p.result.ok());
  CHECK(elf_load_bias(p.result.value(), kUserSpaceEnd - 0x1000).error() == abi::Errno::kEINVAL);
  CHECK(elf_load_bias(p.result.value(), ~u64{0}).error() == abi::Errno::kEINVAL);
  CHECK(elf_load_bias(p.result.value(), kUserSpaceEnd - 0x4000).ok());
}

TEST_CASE("PT_GNU_STACK with PF_X asks for an executable stack", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[3].p_flags |= abi::kPF_X;
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  CHECK(p.result.value().executable_stack);
}

TEST_CASE("Without PT_GNU_STACK the stack is not executable", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs.pop_back();
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  CHECK_FALSE(p.result.value().executable_stack);
}

TEST_CASE("The largest power-of-two p_align is reported", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[1].p_align = 0x200000;
  t.phdrs[2].p_align = 0x300000;  // not a power of two: ignored, as Linux does
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  CHECK(p.result.value().max_align == 0x200000);
}

TEST_CASE("An empty PT_LOAD is left out of the segments", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs.push_back({abi::kPT_LOAD, abi::kPF_R, 0, 0x7000'0000, 0x7000'0000, 0, 0, 0x1000});
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  CHECK(p.result.value().segments.size() == 3);
  CHECK(p.result.value().max_vaddr == 0x404000);
}

TEST_CASE("A reader that returns one byte at a time still parses the image", "[elf]") {
  std::vector<u8> bytes = TestElf::exec().bytes();
  auto result = parse_elf(memory_reader(bytes, 1), bytes.size());
  REQUIRE(result.ok());
  CHECK(result.value().segments.size() == 3);
}

TEST_CASE("A reader error is passed through unchanged", "[elf]") {
  ElfReader failing = [](std::span<u8>, u64) -> Result<u64> { return abi::Errno::kEIO; };
  auto result = parse_elf(failing, 0x2010);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error() == abi::Errno::kEIO);
}

TEST_CASE("A reader that claims more bytes than asked for is an I/O error", "[elf]") {
  ElfReader lying = [](std::span<u8> buf, u64) -> Result<u64> { return buf.size() + 1; };
  auto result = parse_elf(lying, 0x2010);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error() == abi::Errno::kEIO);
}

TEST_CASE("Parsing without a reason pointer still fails cleanly", "[elf]") {
  std::vector<u8> bytes(100, 0);
  auto result = parse_elf(memory_reader(bytes), bytes.size());
  REQUIRE_FALSE(result.ok());
  CHECK(result.error() == abi::Errno::kENOEXEC);
}

TEST_CASE("A dynamically linked program is refused because it needs an interpreter", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs.insert(t.phdrs.begin(),
                 {abi::kPT_INTERP, abi::kPF_R, 0x200, 0x400200, 0x400200, 28, 28, 1});
  Parsed p = parse(t);
  require_rejected(p, "needs an interpreter");
  CHECK_THAT(p.why, Equals("dynamically linked (needs an interpreter)"));
}

TEST_CASE("A PIE with PT_INTERP is refused too", "[elf]") {
  TestElf t = TestElf::static_pie();
  t.phdrs.push_back({abi::kPT_INTERP, abi::kPF_R, 0x200, 0x200, 0x200, 28, 28, 1});
  require_rejected(parse(t), "dynamically linked");
}

TEST_CASE("A file without the ELF magic is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.ehdr.e_ident[1] = 'X';
  require_rejected(parse(t), "bad magic");
}

TEST_CASE("A script is refused as not ELF", "[elf]") {
  std::string text = "#!/bin/sh\necho hello\n";
  std::vector<u8> bytes(text.begin(), text.end());
  require_rejected(parse_bytes(bytes, bytes.size()), "not an ELF file");
}

TEST_CASE("A 32-bit ELF file is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.ehdr.e_ident[4] = 1;  // ELFCLASS32
  require_rejected(parse(t), "not a 64-bit ELF");
}

TEST_CASE("A big-endian ELF file is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.ehdr.e_ident[5] = 2;  // ELFDATA2MSB
  require_rejected(parse(t), "not a little-endian");
}

TEST_CASE("An ELF file for another machine is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.ehdr.e_machine = 183;  // EM_AARCH64
  require_rejected(parse(t), "wrong machine 183");
}

TEST_CASE("Relocatable objects and core files are refused", "[elf]") {
  for (u16 type : {u16{0}, u16{1}, u16{4}, u16{0xfe00}}) {
    TestElf t = TestElf::exec();
    t.ehdr.e_type = type;
    require_rejected(parse(t), "not an executable");
  }
}

TEST_CASE("A program header entry size other than 56 is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.ehdr.e_phentsize = 32;
  require_rejected(parse(t), "program header size 32");
}

TEST_CASE("An image with no program headers is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs.clear();
  require_rejected(parse(t), "no program headers");
}

TEST_CASE("An image with more than 512 program headers is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs.resize(513, {abi::kPT_NULL, 0, 0, 0, 0, 0, 0, 0});
  t.size = 64 + 513 * 56 + 0x2010;
  require_rejected(parse(t), "too many program headers");
}

TEST_CASE("A file cut short anywhere in its headers is refused", "[elf]") {
  std::vector<u8> bytes = TestElf::exec().bytes();
  struct Case {
    u64 length;
    const char* reason;
  };
  for (Case c : {Case{0, "bad magic"}, Case{3, "bad magic"}, Case{4, "truncated ELF header"},
                 Case{10, "truncated ELF header"}, Case{63, "truncated ELF header"},
                 Case{64, "beyond the file"}, Case{64 + 55, "beyond the file"},
                 Case{64 + 4 * 56 - 1, "beyond the file"}, Case{0x300, "beyond the file"}}) {
    INFO("length " << c.length);
    std::vector<u8> cut(bytes.begin(), bytes.begin() + static_cast<long>(c.length));
    require_rejected(parse_bytes(cut, cut.size()), c.reason);
  }
}

TEST_CASE("A file that shrinks while being read is refused as truncated", "[elf]") {
  std::vector<u8> bytes = TestElf::exec().bytes();
  std::vector<u8> head(bytes.begin(), bytes.begin() + 100);
  require_rejected(parse_bytes(head, bytes.size()), "truncated program headers");
  std::vector<u8> tiny(bytes.begin(), bytes.begin() + 20);
  require_rejected(parse_bytes(tiny, bytes.size()), "truncated ELF header");
}

TEST_CASE("Program headers placed beyond the end of the file are refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.ehdr.e_phoff = 0x2000;
  require_rejected(parse(t), "program headers at 0x2000");
}

TEST_CASE("A program header offset that overflows is refused", "[elf]") {
  for (u64 phoff : {~u64{0}, ~u64{0} - 100, u64{1} << 63}) {
    TestElf t = TestElf::exec();
    t.ehdr.e_phoff = phoff;
    require_rejected(parse(t), "beyond the file");
  }
}

TEST_CASE("A segment whose file size exceeds its memory size is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_filesz = 0x2000;
  require_rejected(parse(t), "PT_LOAD #2: filesz 0x2000 exceeds memsz 0x1800");
}

TEST_CASE("A segment reaching past the end of the file is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_filesz = 0x11;
  require_rejected(parse(t), "PT_LOAD #2: file range");
}

TEST_CASE("A segment offset far beyond the file is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_offset = ~u64{0} - 0xfff;  // congruent with the vaddr modulo a page
  t.phdrs[2].p_vaddr = 0x403000;
  t.phdrs[2].p_filesz = 0x1000;
  require_rejected(parse(t), "beyond the file");
}

TEST_CASE("A segment whose offset plus file size overflows is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_filesz = ~u64{0} - 0x1000;
  t.phdrs[2].p_memsz = ~u64{0};
  require_rejected(parse(t), "PT_LOAD #2: file range 0x2000+0xffffffffffffefff");
}

TEST_CASE("A segment whose end address overflows is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_vaddr = ~u64{0} - 0xfff;
  t.phdrs[2].p_memsz = 0x2000;
  require_rejected(parse(t), "beyond user space");
}

TEST_CASE("A segment above the end of user space is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_vaddr = kUserSpaceEnd - 0x1000;
  t.phdrs[2].p_memsz = 0x1001;
  require_rejected(parse(t), "beyond user space");
}

TEST_CASE("A segment ending exactly at the end of user space is accepted", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_vaddr = kUserSpaceEnd - 0x2000;
  t.phdrs[2].p_memsz = 0x2000;
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  CHECK(p.result.value().max_vaddr == kUserSpaceEnd);
}

TEST_CASE("A segment whose address and offset disagree within a page is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_vaddr = 0x402008;
  require_rejected(parse(t), "misaligned");
}

TEST_CASE("Segments that are not page-aligned but agree modulo a page are accepted", "[elf]") {
  TestElf t = TestElf::exec();
  t.phdrs[2].p_offset = 0x2008;
  t.phdrs[2].p_vaddr = 0x403008;
  t.phdrs[2].p_filesz = 0x8;
  Parsed p = parse(t);
  REQUIRE(p.result.ok());
  CHECK(p.result.value().max_vaddr == page_round_up(0x403008 + 0x1800));
}

TEST_CASE("An image without PT_LOAD is refused", "[elf]") {
  TestElf t = TestElf::exec();
  for (auto& ph : t.phdrs) ph.p_type = abi::kPT_NOTE;
  require_rejected(parse(t), "no PT_LOAD");
}

TEST_CASE("An entry point in a non-executable segment is refused", "[elf]") {
  TestElf t = TestElf::exec();
  t.ehdr.e_entry = 0x402000;
  require_rejected(parse(t), "entry point 0x402000 is not inside an executable");
}

TEST_CASE("An entry point outside every segment is refused", "[elf]") {
  for (u64 entry : {u64{0}, u64{0x401100}, u64{0x3fffff}, ~u64{0}}) {
    TestElf t = TestElf::exec();
    t.ehdr.e_entry = entry;
    require_rejected(parse(t), "not inside an executable PT_LOAD");
  }
}

TEST_CASE("The host's static busybox parses with its entry in executable code", "[elf]") {
  std::optional<std::vector<u8>> bytes = read_host_file("/bin/busybox");
  if (!bytes) SKIP("/bin/busybox is not installed");
  Parsed p = parse_bytes(*bytes, bytes->size());
  if (!p.result.ok() && p.why.find("interpreter") != std::string::npos)
    SKIP("/bin/busybox is dynamically linked (not busybox-static)");
  INFO(p.why);
  REQUIRE(p.result.ok());
  const ElfImage& img = p.result.value();
  CHECK((img.type == abi::kET_EXEC || img.type == abi::kET_DYN));
  CHECK(img.phdrs.vaddr.has_value());
  CHECK_FALSE(img.executable_stack);
  check_invariants(img, bytes->size());
}

TEST_CASE("The host's qemu-x86_64-static parses as a static-PIE", "[elf]") {
  // Debian builds qemu-user-static as a static-PIE: a real ET_DYN without PT_INTERP.
  std::optional<std::vector<u8>> bytes = read_host_file("/usr/bin/qemu-x86_64-static");
  if (!bytes) SKIP("qemu-user-static is not installed");
  Parsed p = parse_bytes(*bytes, bytes->size());
  INFO(p.why);
  REQUIRE(p.result.ok());
  const ElfImage& img = p.result.value();
  if (!img.is_pie()) SKIP("this qemu-x86_64-static is not position independent");
  CHECK(img.min_vaddr == 0);
  CHECK(img.phdrs.vaddr.has_value());
  check_invariants(img, bytes->size());
  auto bias = elf_load_bias(img, kElfEtDynBase);
  REQUIRE(bias.ok());
  CHECK(bias.value() == kElfEtDynBase);
}

TEST_CASE("Thousands of random mutations of a valid image never crash the parser", "[elf]") {
  std::mt19937_64 rng(0x5eed'e1f0);
  const std::vector<u8> good = TestElf::exec().bytes();
  // The header and program headers are where the parser looks; mutate mostly there.
  const u64 hot = 64 + 4 * 56;
  u64 accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<u8> bytes = good;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      u64 r = rng();
      switch (r % 4) {
        case 0:  // one random byte in the headers
          bytes[rng() % hot] = static_cast<u8>(rng());
          break;
        case 1: {  // a random 64-bit field in the headers
          u64 at = (rng() % (hot / 8)) * 8;
          u64 v = rng();
          if (r & 16) v = ~u64{0} - (v & 0xffff);
          if (r & 32) v &= 0xffff'ffff;
          std::memcpy(&bytes[at], &v, 8);
          break;
        }
        case 2:  // a bit flip anywhere
          bytes[rng() % bytes.size()] ^= static_cast<u8>(1u << (rng() % 8));
          break;
        case 3:  // truncation
          bytes.resize(rng() % bytes.size());
          break;
      }
      if (bytes.empty()) break;
    }
    // Sometimes lie about the file size, in both directions.
    u64 file_size = bytes.size();
    if (rng() % 8 == 0) file_size = rng() % (2 * good.size());
    std::string why;
    auto result = parse_elf(memory_reader(bytes, 1 + rng() % 300), file_size, &why);
    if (result.ok()) {
      ++accepted;
      check_invariants(result.value(), file_size);
    } else {
      CHECK((result.error() == abi::Errno::kENOEXEC));
      CHECK_FALSE(why.empty());
    }
  }
  CHECK(accepted > 0);  // some mutations are harmless; the valid path was exercised too
}
