// A page-table entry in x86-64 hardware format, with named accessors. Non-present
// entries can carry software states (swap, hardware poison), encoded as Linux does:
// a non-present entry with a non-zero type field.
#pragma once

#include "kernel/base/types.h"

namespace kernel::x86_64 {

class Pte {
 public:
  static constexpr u64 kPresent = u64{1} << 0;
  static constexpr u64 kWritable = u64{1} << 1;
  static constexpr u64 kUser = u64{1} << 2;
  static constexpr u64 kWriteThrough = u64{1} << 3;
  static constexpr u64 kCacheDisable = u64{1} << 4;
  static constexpr u64 kAccessed = u64{1} << 5;
  static constexpr u64 kDirty = u64{1} << 6;
  static constexpr u64 kPageSize = u64{1} << 7;  // PS: a 2 MiB / 1 GiB leaf above level 1
  static constexpr u64 kGlobal = u64{1} << 8;
  // Linux's _PAGE_SOFT_DIRTY (a bit the hardware ignores): set whenever the kernel makes an
  // entry dirty, cleared by clear_refs. Non-present software entries keep it too, so that
  // a page swapped out or made PROT_NONE stays soft-dirty.
  static constexpr u64 kSoftDirty = u64{1} << 11;
  static constexpr u64 kNoExecute = u64{1} << 63;
  static constexpr u64 kAddressMask = 0x000f'ffff'ffff'f000;  // bits 12..51

  // Software states of a non-present entry: bits 1..5 hold the type, bits 12..51 a value.
  // ProtNone keeps the frame of a page whose VMA lost all access (mprotect PROT_NONE).
  enum class SoftType : u8 { None = 0, Swap = 1, HwPoison = 2, Migration = 3, ProtNone = 4 };

  constexpr Pte() = default;
  constexpr explicit Pte(u64 raw) : m_raw(raw) {}

  static constexpr Pte leaf(PhysAddr frame, u64 flags) {
    return Pte((frame.value & kAddressMask) | flags | kPresent);
  }
  static constexpr Pte table(PhysAddr next) {
    // Intermediate levels grant everything; the leaf decides.
    return Pte((next.value & kAddressMask) | kPresent | kWritable | kUser);
  }
  static constexpr Pte soft(SoftType type, u64 value) {
    return Pte((static_cast<u64>(type) << 1) | ((value << kPageShift) & kAddressMask));
  }

  constexpr u64 raw() const { return m_raw; }
  constexpr bool none() const { return m_raw == 0; }
  constexpr bool present() const { return m_raw & kPresent; }
  constexpr bool writable() const { return m_raw & kWritable; }
  constexpr bool user() const { return m_raw & kUser; }
  constexpr bool accessed() const { return m_raw & kAccessed; }
  constexpr bool dirty() const { return m_raw & kDirty; }
  constexpr bool huge() const { return m_raw & kPageSize; }
  constexpr bool no_execute() const { return m_raw & kNoExecute; }
  constexpr bool soft_dirty() const { return m_raw & kSoftDirty; }
  constexpr PhysAddr address() const { return PhysAddr(m_raw & kAddressMask); }
  constexpr Pfn pfn() const { return address().pfn(); }

  constexpr SoftType soft_type() const {
    return present() ? SoftType::None : static_cast<SoftType>((m_raw >> 1) & 0x1f);
  }
  constexpr u64 soft_value() const { return (m_raw & kAddressMask) >> kPageShift; }

  constexpr Pte with(u64 flags) const { return Pte(m_raw | flags); }
  // pte_mkdirty(): the kernel marks a page written, for the hardware and for soft-dirty.
  constexpr Pte mkdirty() const { return Pte(m_raw | kDirty | kSoftDirty); }
  constexpr Pte without(u64 flags) const { return Pte(m_raw & ~flags); }
  constexpr bool operator==(const Pte&) const = default;

 private:
  u64 m_raw = 0;
};

inline constexpr int kLevels = 4;  // PML4, PDPT, PD, PT
inline constexpr int kEntriesPerTable = 512;

// Index of va in the table at `level` (4 = PML4 ... 1 = PT).
constexpr unsigned table_index(u64 va, int level) {
  return static_cast<unsigned>((va >> (kPageShift + 9 * (level - 1))) & 0x1ff);
}

// Bytes one entry at `level` covers: 4 KiB, 2 MiB, 1 GiB, 512 GiB.
constexpr u64 level_span(int level) {
  return u64{1} << (kPageShift + 9 * (level - 1));
}

// Canonical 48-bit addresses: bits 63..47 all equal.
constexpr bool is_canonical(u64 va) {
  const u64 top = va >> 47;
  return top == 0 || top == 0x1ffff;
}

inline constexpr u64 kUserAddressEnd = u64{1}
                                       << 47;  // exclusive; Linux's TASK_SIZE is one page less

}  // namespace kernel::x86_64
