#include "kernel/proc/elf.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "kernel/abi/linux.h"

namespace kernel::proc {

// The ELF structures are copied straight out of the file: ELFDATA2LSB matches the host.
static_assert(std::endian::native == std::endian::little);

namespace {

constexpr u8 kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr int kEiClass = 4, kEiData = 5;
constexpr u8 kElfClass64 = 2, kElfData2Lsb = 1;

using abi::Elf64Ehdr;
using abi::Elf64Phdr;

// Records the reason (if wanted) and yields ENOEXEC, so every rejection is one line.
[[gnu::format(printf, 2, 3)]] abi::Errno reject(std::string* why, const char* format, ...) {
  if (why) {
    char buf[256];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buf, sizeof(buf), format, args);
    va_end(args);
    *why = buf;
  }
  return abi::Errno::kENOEXEC;
}

using ull = unsigned long long;  // for printf: u64 is unsigned long on this ABI

// Fills `buf` from `offset`, looping over short reads; returns the bytes actually read,
// which is less than buf.size() only at end of file.
Result<u64> read_fully(const ElfReader& read, std::span<u8> buf, u64 offset) {
  u64 done = 0;
  while (done < buf.size()) {
    u64 n = TRY(read(buf.subspan(done), offset + done));
    if (n == 0) break;
    // A reader that claims more than it was given is broken; never trust it with memory.
    if (n > buf.size() - done) return abi::Errno::kEIO;
    done += n;
  }
  return done;
}

u64 prot_from_flags(u32 p_flags) {
  u64 prot = abi::kPROT_NONE;
  if (p_flags & abi::kPF_R) prot |= abi::kPROT_READ;
  if (p_flags & abi::kPF_W) prot |= abi::kPROT_WRITE;
  if (p_flags & abi::kPF_X) prot |= abi::kPROT_EXEC;
  return prot;
}

Result<Elf64Ehdr> read_ehdr(const ElfReader& read, u64 file_size, std::string* why) {
  std::array<u8, sizeof(Elf64Ehdr)> raw{};
  u64 want = file_size < raw.size() ? file_size : raw.size();
  u64 got = TRY(read_fully(read, std::span(raw).first(want), 0));

  if (got < sizeof(kElfMagic) || std::memcmp(raw.data(), kElfMagic, sizeof(kElfMagic)) != 0)
    return reject(why, "not an ELF file (bad magic)");
  if (got > kEiClass && raw[kEiClass] != kElfClass64)
    return reject(why, "not a 64-bit ELF file (EI_CLASS %u)", raw[kEiClass]);
  if (got > kEiData && raw[kEiData] != kElfData2Lsb)
    return reject(why, "not a little-endian ELF file (EI_DATA %u)", raw[kEiData]);
  if (got < raw.size())
    return reject(why, "truncated ELF header (%llu of %zu bytes)", ull(got), raw.size());

  Elf64Ehdr ehdr;
  std::memcpy(&ehdr, raw.data(), sizeof(ehdr));
  return ehdr;
}

Result<void> check_ehdr(const Elf64Ehdr& ehdr, u64 file_size, std::string* why) {
  if (ehdr.e_type != abi::kET_EXEC && ehdr.e_type != abi::kET_DYN)
    return reject(why, "not an executable (e_type %u)", ehdr.e_type);
  if (ehdr.e_machine != abi::kEM_X86_64)
    return reject(why, "wrong machine %u (not x86-64)", ehdr.e_machine);
  if (ehdr.e_phentsize != sizeof(Elf64Phdr))
    return reject(why, "bad program header size %u (expected %zu)", ehdr.e_phentsize,
                  sizeof(Elf64Phdr));
  if (ehdr.e_phnum == 0) return reject(why, "no program headers");
  if (ehdr.e_phnum > kMaxPhnum)
    return reject(why, "too many program headers (%u > %u)", ehdr.e_phnum, kMaxPhnum);
  u64 table_size = u64{ehdr.e_phnum} * sizeof(Elf64Phdr);
  if (ehdr.e_phoff > file_size || table_size > file_size - ehdr.e_phoff)
    return reject(why, "program headers at 0x%llx+0x%llx lie beyond the file (%llu bytes)",
                  ull(ehdr.e_phoff), ull(table_size), ull(file_size));
  return {};
}

// Validates one PT_LOAD; `index` is its position in the program header table.
Result<void> check_load(const Elf64Phdr& ph, unsigned index, u64 file_size, std::string* why) {
  if (ph.p_filesz > ph.p_memsz)
    return reject(why, "PT_LOAD #%u: filesz 0x%llx exceeds memsz 0x%llx", index, ull(ph.p_filesz),
                  ull(ph.p_memsz));
  if (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset)
    return reject(why, "PT_LOAD #%u: file range 0x%llx+0x%llx lies beyond the file (%llu bytes)",
                  index, ull(ph.p_offset), ull(ph.p_filesz), ull(file_size));
  if (ph.p_memsz > kUserSpaceEnd || ph.p_vaddr > kUserSpaceEnd - ph.p_memsz)
    return reject(why, "PT_LOAD #%u: 0x%llx+0x%llx lies beyond user space", index, ull(ph.p_vaddr),
                  ull(ph.p_memsz));
  // The segment is mapped page by page from the file, so address and offset must agree
  // within a page (wrapping subtraction is fine: only the low bits matter).
  if (!page_aligned(ph.p_vaddr - ph.p_offset))
    return reject(why, "PT_LOAD #%u: vaddr 0x%llx and offset 0x%llx are misaligned", index,
                  ull(ph.p_vaddr), ull(ph.p_offset));
  return {};
}

bool contains_file_offset(const Elf64Phdr& ph, u64 offset) {
  return ph.p_offset <= offset && offset - ph.p_offset < ph.p_filesz;
}

}  // namespace

bool ElfImage::is_pie() const {
  return type == abi::kET_DYN;
}

Result<ElfImage> parse_elf(const ElfReader& read, u64 file_size, std::string* why) {
  Elf64Ehdr ehdr = TRY(read_ehdr(read, file_size, why));
  TRY(check_ehdr(ehdr, file_size, why));

  // At most kMaxPhnum * 56 bytes: bounded by check_ehdr().
  std::vector<Elf64Phdr> phdrs(ehdr.e_phnum);
  std::span<u8> raw(reinterpret_cast<u8*>(phdrs.data()), phdrs.size() * sizeof(Elf64Phdr));
  u64 got = TRY(read_fully(read, raw, ehdr.e_phoff));
  if (got < raw.size())
    return reject(why, "truncated program headers (%llu of %zu bytes)", ull(got), raw.size());

  // Checked first: it is the most useful thing to say about a dynamically linked program.
  for (const Elf64Phdr& ph : phdrs) {
    if (ph.p_type == abi::kPT_INTERP)
      return reject(why, "dynamically linked (needs an interpreter)");
  }

  ElfImage image;
  image.type = ehdr.e_type;
  image.entry = ehdr.e_entry;
  image.phdrs.file_offset = ehdr.e_phoff;
  image.phdrs.count = ehdr.e_phnum;
  image.phdrs.entsize = ehdr.e_phentsize;

  std::optional<u64> pt_phdr_vaddr;
  std::optional<u64> covering_load_vaddr;
  u64 min_vaddr = kUserSpaceEnd;
  u64 max_end = 0;
  for (unsigned i = 0; i < phdrs.size(); ++i) {
    const Elf64Phdr& ph = phdrs[i];
    if (ph.p_type == abi::kPT_GNU_STACK) image.executable_stack = (ph.p_flags & abi::kPF_X) != 0;
    if (ph.p_type == abi::kPT_PHDR && !pt_phdr_vaddr) pt_phdr_vaddr = ph.p_vaddr;
    if (ph.p_type != abi::kPT_LOAD) continue;

    TRY(check_load(ph, i, file_size, why));
    if (!covering_load_vaddr && contains_file_offset(ph, ehdr.e_phoff))
      covering_load_vaddr = ph.p_vaddr + (ehdr.e_phoff - ph.p_offset);
    if (std::has_single_bit(ph.p_align) && ph.p_align > image.max_align)
      image.max_align = ph.p_align;
    // An empty PT_LOAD maps nothing (Linux skips it too); keep it out of the span.
    if (ph.p_memsz == 0) continue;

    image.segments.push_back({.vaddr = ph.p_vaddr,
                              .memsz = ph.p_memsz,
                              .file_offset = ph.p_offset,
                              .filesz = ph.p_filesz,
                              .prot = prot_from_flags(ph.p_flags)});
    min_vaddr = std::min(min_vaddr, ph.p_vaddr);
    max_end = std::max(max_end, ph.p_vaddr + ph.p_memsz);
  }
  if (image.segments.empty()) return reject(why, "no PT_LOAD segment");

  bool entry_ok = false;
  for (const ElfSegment& seg : image.segments) {
    if ((seg.prot & abi::kPROT_EXEC) && seg.vaddr <= image.entry &&
        image.entry - seg.vaddr < seg.memsz) {
      entry_ok = true;
      break;
    }
  }
  if (!entry_ok)
    return reject(why, "entry point 0x%llx is not inside an executable PT_LOAD segment",
                  ull(image.entry));

  image.phdrs.vaddr = pt_phdr_vaddr ? pt_phdr_vaddr : covering_load_vaddr;
  // Both ends stay within [0, kUserSpaceEnd], which is page-aligned: rounding cannot overflow.
  image.min_vaddr = page_round_down(min_vaddr);
  image.max_vaddr = page_round_up(max_end);
  return image;
}

Result<u64> elf_load_bias(const ElfImage& image, u64 base) {
  if (!image.is_pie()) return u64{0};
  u64 start = page_round_down(base);
  if (start > kUserSpaceEnd || image.span_size() > kUserSpaceEnd - start)
    return abi::Errno::kEINVAL;
  // Wraps when the link address is above `base`; adding it to a vaddr still lands right.
  return start - image.min_vaddr;
}

}  // namespace kernel::proc
