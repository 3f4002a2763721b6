// The RAM device: emulated physical memory backed by one host mapping that the host
// reserves lazily (MAP_NORESERVE), so a large -m costs nothing until it is touched.
// Every frame has a hardware-poison bit; an access that reaches a poisoned frame is a
// machine check.
#pragma once

#include <string>

#include "kernel/hal.h"

namespace emu {

using kernel::Pfn;
using kernel::u64;
using kernel::u8;

class PhysRam {
 public:
  // size: bytes, rounded up to whole pages. Returns nullptr-backed RAM on failure (the
  // host cannot reserve the RAM, or kHostBytesPerFrame for each of its frames); check ok().
  explicit PhysRam(u64 size);
  ~PhysRam();
  PhysRam(const PhysRam&) = delete;
  PhysRam& operator=(const PhysRam&) = delete;

  bool ok() const { return m_memory.base != nullptr; }
  const kernel::hal::PhysMemory& memory() const { return m_memory; }
  u8* base() const { return m_memory.base; }
  u64 size() const { return m_memory.size; }
  // Whether the host backs this RAM with transparent huge pages.
  bool huge_pages() const { return m_huge_pages; }

  bool poisoned(Pfn pfn) const { return m_poison[pfn.value >> 3] & (1u << (pfn.value & 7)); }
  void set_poison(Pfn pfn, bool on);
  const u8* poison_bits() const { return m_poison; }

 private:
  kernel::hal::PhysMemory m_memory;
  u8* m_poison = nullptr;  // one bit per frame
  bool m_huge_pages = false;
};

// The largest -m: frame numbers stay far inside the kernel's 32-bit frame indexes.
inline constexpr u64 kMaxRamSize = u64{8} << 40;
// Bytes of host memory the kernel may keep per frame of RAM (its frame records, the poison
// bit); the host must be able to reserve them, or emu refuses the size at start.
inline constexpr u64 kHostBytesPerFrame = 32;

// Parses a size such as "512M", "2G", "65536K" or "1048576" (bytes). 0 on a malformed size.
u64 parse_ram_size(const std::string& text);

}  // namespace emu
