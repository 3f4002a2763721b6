// The emulated swap device and the swap cache.
//
// The device is SIZE bytes of host memory (`--swap SIZE`), reserved lazily: a slot's host
// page exists only while the slot holds data, and is given back (MADV_DONTNEED) when the
// slot is freed, so the host pays for what is swapped out, never more than SIZE.
//
// Each slot has a reference count: one per swap entry naming it (a non-present PTE, or a
// shmem/tmpfs object's page list) plus one while the swap cache holds a frame for it. The
// swap cache maps a slot to the frame that holds its data in RAM (PG_swapcache, with the
// slot in PageFrame::index), so a page that several address spaces swapped out together is
// read in once: each later fault finds the cached frame.
#pragma once

#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "kernel/base/types.h"

namespace kernel::mm {

class SwapDevice {
 public:
  // A device of `bytes` (rounded down to pages); 0 means no swap.
  explicit SwapDevice(u64 bytes);
  ~SwapDevice();
  SwapDevice(const SwapDevice&) = delete;
  SwapDevice& operator=(const SwapDevice&) = delete;

  bool enabled() const { return m_slots > 0; }
  u64 total_slots() const { return m_slots; }
  u64 free_slots() const { return m_slots - m_used; }
  // Slots whose page the swap cache also holds in RAM (SwapCached).
  u64 cached_slots() const;

  // A free slot with reference count 1, or nullopt when the device is full (or absent).
  std::optional<u64> allocate();
  // One more swap entry names the slot.
  void dup(u64 slot);
  // One entry fewer; at zero the slot is free and its host page given back. Returns the
  // count left (the caller drops a swap-cache frame when only the cache's own remains).
  u32 put(u64 slot);
  u32 count(u64 slot) const;

  void write(u64 slot, const u8* page);
  void read(u64 slot, u8* page) const;

  // The swap cache.
  std::optional<Pfn> cached(u64 slot) const;
  void cache(u64 slot, Pfn pfn);
  void uncache(u64 slot);

  // Bytes of host memory the device may use at most (its size) and the host memory it
  // holds for each slot, for tests of lazy reservation.
  u64 size_bytes() const { return m_slots << kPageShift; }

 private:
  u8* slot_bytes(u64 slot) const { return m_storage + (slot << kPageShift); }

  u64 m_slots = 0;
  u64 m_used = 0;
  u64 m_cursor = 0;  // where the search for a free slot starts
  u8* m_storage = nullptr;
  // calloc'd: a slot's entries cost host memory only once the slot is used, so a large
  // device reserves nothing at start-up.
  struct FreeDeleter {
    void operator()(u32* p) const { std::free(p); }
  };
  std::unique_ptr<u32[], FreeDeleter> m_count;
  // slot -> cached frame number, or kNoFrame (frame 0 is never handed out).
  std::unique_ptr<u32[], FreeDeleter> m_cache;
  static constexpr u32 kNoFrame = 0;
};

}  // namespace kernel::mm
