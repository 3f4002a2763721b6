// The physical frame allocator: a binary buddy system over emulated RAM, so blocks of
// 2^order contiguous frames (up to 4 MiB, order 10) can be had, 2 MiB ones for huge pages.
// Each frame also carries a reference count: a frame mapped by several page-table entries
// (the shared zero page, later copy-on-write and KSM pages) is freed when the last goes.
//
// Free lists are intrusive (frame indices in the per-frame records), so allocating and
// freeing never touch the host heap: both sit on the page-fault path.
#pragma once

#define VERIFY_FRAME(pfn) VERIFY(manages(pfn))

#include <memory>
#include <optional>

#include "kernel/base/result.h"
#include "kernel/base/types.h"
#include "kernel/mm/page_frame.h"

namespace kernel::mm {

inline constexpr unsigned kMaxOrder = 10;

// What the allocator asks of the layer above it: take a frame being freed off the reclaim
// lists, and free some frames when a request cannot be met.
class FrameClient {
 public:
  virtual void frame_released(Pfn pfn) = 0;
  virtual void reclaim_frames(u64 wanted) = 0;

 protected:
  ~FrameClient() = default;
};

class FrameAllocator {
 public:
  // Manages frames [first, first + count). Frames below `first` are never handed out.
  FrameAllocator(Pfn first, u64 count);
  ~FrameAllocator();
  FrameAllocator(const FrameAllocator&) = delete;
  FrameAllocator& operator=(const FrameAllocator&) = delete;

  // A block of 2^order frames aligned to its size, with reference count 1; nullopt when
  // no block that large is free, even after the client reclaimed what it could.
  std::optional<Pfn> allocate(unsigned order = 0);
  // The same without asking the client to reclaim: a huge-page fault whose defrag setting
  // forbids stalling falls back to small pages at once.
  std::optional<Pfn> allocate_no_reclaim(unsigned order) { return take_block(order); }
  void set_client(FrameClient* client) { m_client = client; }
  // Returns a block (reference count must have dropped to zero, or be 1 and owned).
  void free(Pfn pfn, unsigned order = 0);

  void get(Pfn pfn);
  // Drops one reference; frees the frame and returns true when it was the last. (A frame
  // of a compound page is never released while it is compound: see huge_memory.cpp.)
  bool put(Pfn pfn);
  u32 refcount(Pfn pfn) const;

  // Takes one free frame out of whatever free block holds it, for good (Linux's
  // take_page_off_buddy, for a frame found poisoned while free): the rest of the block goes
  // back to the free lists. The frame comes back owned (reference count 1); false when it
  // is not free.
  bool take_off_free(Pfn pfn);

  u64 free_frames() const { return m_free_frames; }
  u64 total_frames() const { return m_count; }
  u64 free_blocks(unsigned order) const;
  bool is_free(Pfn pfn) const;

  // The record of a frame this allocator manages.
  PageFrame& frame(Pfn pfn) {
    VERIFY_FRAME(pfn);
    return m_frames[index(pfn)];
  }
  const PageFrame& frame(Pfn pfn) const {
    VERIFY_FRAME(pfn);
    return m_frames[index(pfn)];
  }
  bool manages(Pfn pfn) const { return pfn.value >= m_first.value && index(pfn) < m_count; }
  Pfn first() const { return m_first; }

 private:
  static constexpr u32 kNone = PageFrame::kNoLink;
  using Frame = PageFrame;

  u64 index(Pfn pfn) const { return pfn.value - m_first.value; }
  void push_free(u64 idx, unsigned order);
  void remove_free(u64 idx, unsigned order);
  std::optional<Pfn> take_block(unsigned order);

  Pfn m_first;
  u64 m_count;
  u64 m_free_frames = 0;
  // [m_reserve_begin, m_reserve_end): whole largest blocks never handed out yet.
  u64 m_reserve_begin = 0;
  u64 m_reserve_end = 0;
  Frame* m_frames;  // calloc'd: untouched records cost no host memory
  u32 m_free_head[kMaxOrder + 1];
  u64 m_free_count[kMaxOrder + 1] = {};
  FrameClient* m_client = nullptr;
  bool m_reclaiming = false;  // reclaim itself never recurses into reclaim
};

}  // namespace kernel::mm
