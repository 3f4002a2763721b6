// Parsing and validating a static x86-64 ELF executable for exec. Pure: the file is read
// through a callback and nothing is mapped here; the loader maps what ElfImage describes.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/base/types.h"

namespace kernel::proc {

// Reads up to buf.size() bytes at `offset`; returns how many were read (short only at EOF).
using ElfReader = std::function<Result<u64>(std::span<u8> buf, u64 offset)>;

// TASK_SIZE_MAX on x86-64 with 4-level paging: the end of user space. The top page is
// never mapped (a guard against sysret with a non-canonical return address).
inline constexpr u64 kUserSpaceEnd = 0x7fff'ffff'f000;
// Linux's ELF_ET_DYN_BASE on x86-64 without randomisation: 2/3 of TASK_SIZE, page-aligned.
// Linux 6.1 uses it for PIE programs with PT_INTERP; a static-PIE (no PT_INTERP) gets load
// bias 0 and lands wherever mmap puts it. Callers choose; see elf_load_bias().
inline constexpr u64 kElfEtDynBase = 0x5555'5555'4000;
// Our own cap on e_phnum; it bounds the work a junk file can cause. (Linux 6.1 is stricter:
// the whole table must fit in one page, 73 entries.)
inline constexpr u16 kMaxPhnum = 512;

// One PT_LOAD segment, in link-time addresses (add the load bias for ET_DYN).
struct ElfSegment {
  u64 vaddr = 0;
  u64 memsz = 0;
  u64 file_offset = 0;
  u64 filesz = 0;  // bytes [filesz, memsz) are zero-filled (.bss)
  u64 prot = 0;    // abi::kPROT_READ | kPROT_WRITE | kPROT_EXEC
};

// Where the program header table is: AT_PHDR/AT_PHENT/AT_PHNUM come from here.
struct ElfPhdrTable {
  u64 file_offset = 0;
  u16 count = 0;
  u16 entsize = 0;
  // Link-time address of the table in the loaded image: PT_PHDR's p_vaddr if present, else
  // derived from the PT_LOAD that covers e_phoff in the file (as Linux 6.1 does). Empty when
  // no loaded segment contains the table.
  std::optional<u64> vaddr;
};

struct ElfImage {
  u16 type = 0;  // abi::kET_EXEC or abi::kET_DYN
  u64 entry = 0;
  ElfPhdrTable phdrs;
  std::vector<ElfSegment> segments;  // PT_LOADs with memsz > 0, in file order
  // Page-aligned span covering every segment: [min_vaddr, max_vaddr).
  u64 min_vaddr = 0;
  u64 max_vaddr = 0;
  // Largest power-of-two p_align among the PT_LOADs (at least a page).
  u64 max_align = kPageSize;
  bool has_interp = false;  // always false in a successfully parsed image
  // PT_GNU_STACK with PF_X. Without PT_GNU_STACK a 64-bit x86 program gets a
  // non-executable stack anyway (READ_IMPLIES_EXEC is for 32-bit only).
  bool executable_stack = false;

  bool is_pie() const;
  u64 span_size() const { return max_vaddr - min_vaddr; }
};

// Parses the executable. On failure returns ENOEXEC (or the reader's own error) and, when
// `why` is given, stores a one-line human-readable reason in it.
Result<ElfImage> parse_elf(const ElfReader& read, u64 file_size, std::string* why = nullptr);

// The load bias that places an ET_DYN image's lowest page at `base` (page-aligned down);
// 0 for ET_EXEC. EINVAL when the biased image would not fit below kUserSpaceEnd.
Result<u64> elf_load_bias(const ElfImage& image, u64 base);

}  // namespace kernel::proc
