// Fixed-width integers and strong address types shared by the whole kernel.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>

namespace kernel {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i32 = std::int32_t;
using i64 = std::int64_t;

inline constexpr u64 kPageShift = 12;
inline constexpr u64 kPageSize = u64{1} << kPageShift;
inline constexpr u64 kPageMask = kPageSize - 1;
inline constexpr u64 kHugePageSize = u64{1} << 21;   // 2 MiB, a PS entry at the PD level
inline constexpr u64 kGiantPageSize = u64{1} << 30;  // 1 GiB, a PS entry at the PDPT level

constexpr u64 page_round_down(u64 v) {
  return v & ~kPageMask;
}
constexpr u64 page_round_up(u64 v) {
  return (v + kPageMask) & ~kPageMask;
}
constexpr bool page_aligned(u64 v) {
  return (v & kPageMask) == 0;
}

// A guest virtual address.
struct VirtAddr {
  u64 value = 0;
  constexpr VirtAddr() = default;
  constexpr explicit VirtAddr(u64 v) : value(v) {}
  constexpr VirtAddr page_base() const { return VirtAddr(page_round_down(value)); }
  constexpr u64 page_offset() const { return value & kPageMask; }
  constexpr VirtAddr operator+(u64 d) const { return VirtAddr(value + d); }
  constexpr auto operator<=>(const VirtAddr&) const = default;
};

// A frame number in emulated physical RAM.
struct Pfn {
  u64 value = 0;
  constexpr Pfn() = default;
  constexpr explicit Pfn(u64 v) : value(v) {}
  constexpr auto operator<=>(const Pfn&) const = default;
};

// An address in emulated physical RAM.
struct PhysAddr {
  u64 value = 0;
  constexpr PhysAddr() = default;
  constexpr explicit PhysAddr(u64 v) : value(v) {}
  constexpr explicit PhysAddr(Pfn pfn) : value(pfn.value << kPageShift) {}
  constexpr Pfn pfn() const { return Pfn(value >> kPageShift); }
  constexpr PhysAddr operator+(u64 d) const { return PhysAddr(value + d); }
  constexpr auto operator<=>(const PhysAddr&) const = default;
};

}  // namespace kernel
