#include "kernel/mm/swap.h"

#include <sys/mman.h>

#include <cstring>

#include "kernel/base/result.h"

namespace kernel::mm {

SwapDevice::SwapDevice(u64 bytes) {
  const u64 slots = bytes >> kPageShift;
  if (slots == 0) return;
  // MAP_NORESERVE: the host commits a page only when a slot is first written.
  void* p = ::mmap(nullptr, slots << kPageShift, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return;  // no swap rather than no emulator
  m_count.reset(static_cast<u32*>(std::calloc(slots, sizeof(u32))));
  m_cache.reset(static_cast<u32*>(std::calloc(slots, sizeof(u32))));
  if (!m_count || !m_cache) {
    ::munmap(p, slots << kPageShift);
    m_count.reset();
    m_cache.reset();
    return;
  }
  m_storage = static_cast<u8*>(p);
  m_slots = slots;
}

SwapDevice::~SwapDevice() {
  if (m_storage) ::munmap(m_storage, m_slots << kPageShift);
}

std::optional<u64> SwapDevice::allocate() {
  if (m_used == m_slots) return std::nullopt;
  // Next-fit from where the last search ended, so allocation is cheap while the device
  // fills up in order (Linux's cluster scan does the same in spirit).
  for (u64 n = 0; n < m_slots; ++n) {
    const u64 slot = (m_cursor + n) % m_slots;
    if (m_count[slot] == 0) {
      m_count[slot] = 1;
      ++m_used;
      m_cursor = slot + 1;
      return slot;
    }
  }
  return std::nullopt;
}

void SwapDevice::dup(u64 slot) {
  VERIFY(slot < m_slots && m_count[slot] > 0);
  ++m_count[slot];
}

u32 SwapDevice::put(u64 slot) {
  VERIFY(slot < m_slots && m_count[slot] > 0);
  if (--m_count[slot] == 0) {
    VERIFY(m_cache[slot] == kNoFrame);
    --m_used;
    ::madvise(slot_bytes(slot), kPageSize, MADV_DONTNEED);
  }
  return m_count[slot];
}

u32 SwapDevice::count(u64 slot) const {
  VERIFY(slot < m_slots);
  return m_count[slot];
}

void SwapDevice::write(u64 slot, const u8* page) {
  VERIFY(slot < m_slots && m_count[slot] > 0);
  std::memcpy(slot_bytes(slot), page, kPageSize);
}

void SwapDevice::read(u64 slot, u8* page) const {
  VERIFY(slot < m_slots && m_count[slot] > 0);
  std::memcpy(page, slot_bytes(slot), kPageSize);
}

std::optional<Pfn> SwapDevice::cached(u64 slot) const {
  if (slot >= m_slots || m_cache[slot] == kNoFrame) return std::nullopt;
  return Pfn(m_cache[slot]);
}

void SwapDevice::cache(u64 slot, Pfn pfn) {
  VERIFY(slot < m_slots && m_cache[slot] == kNoFrame && pfn.value != kNoFrame &&
         pfn.value <= ~u32{0});
  m_cache[slot] = static_cast<u32>(pfn.value);
}

void SwapDevice::uncache(u64 slot) {
  VERIFY(slot < m_slots && m_cache[slot] != kNoFrame);
  m_cache[slot] = kNoFrame;
}

u64 SwapDevice::cached_slots() const {
  u64 n = 0;
  for (u64 slot = 0; slot < m_slots; ++slot) n += m_cache[slot] != kNoFrame;
  return n;
}

}  // namespace kernel::mm
