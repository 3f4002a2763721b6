#include "emu/phys_ram.h"

#include <sys/mman.h>

#include <cctype>
#include <cstdlib>

namespace emu {

PhysRam::PhysRam(u64 size) {
  size = kernel::page_round_up(size);
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return;
  // The kernel's per-frame records are ordinary host memory that the host's overcommit
  // rules may refuse: ask for them once now, so that a -m too large for this host is an
  // error message here instead of a failed allocation inside the kernel.
  const u64 records = (size >> kernel::kPageShift) * kHostBytesPerFrame;
  void* probe = mmap(nullptr, records, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (probe == MAP_FAILED) {
    munmap(p, size);
    return;
  }
  munmap(probe, records);
  // Host huge pages cut the host's own TLB misses when guests touch much memory; the
  // host may refuse (THP disabled), which costs nothing but speed.
  m_huge_pages = madvise(p, size, MADV_HUGEPAGE) == 0;
  m_poison = static_cast<u8*>(std::calloc((size >> kernel::kPageShift) / 8 + 1, 1));
  if (!m_poison) {
    munmap(p, size);
    return;
  }
  m_memory.base = static_cast<u8*>(p);
  m_memory.size = size;
  m_memory.poison = m_poison;
}

PhysRam::~PhysRam() {
  if (m_memory.base) munmap(m_memory.base, m_memory.size);
  std::free(m_poison);
}

void PhysRam::set_poison(Pfn pfn, bool on) {
  m_memory.set_poisoned(pfn, on);
}

u64 parse_ram_size(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  u64 shift = 0;
  if (*end) {
    switch (std::toupper(static_cast<unsigned char>(*end))) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        return 0;
    }
    ++end;
    if (*end == 'B' || *end == 'b' || *end == 'i') ++end;
    if (*end) return 0;
  }
  if (n == 0 || n > (~u64{0} >> shift)) return 0;
  return u64{n} << shift;
}

}  // namespace emu
