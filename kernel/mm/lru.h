// The reclaim LRU lists (Linux's lruvec): active and inactive lists of anonymous and file
// pages, linked through the frames' own records (PageFrame::next/prev), so moving a page
// between lists never touches the host heap.
//
// Swap-backed pages (private anonymous memory, shmem/tmpfs/memfd pages) live on the anon
// lists; page-cache pages and MADV_FREE'd anonymous pages (no longer swap-backed) on the
// file lists. New pages join the head of an inactive list; reclaim takes from the tails.
// A page's list follows from its flags: PG_lru (on a list), PG_active, PG_swapbacked.
#pragma once

#include <optional>

#include "kernel/base/types.h"

namespace kernel::mm {

class FrameAllocator;

enum class LruList : u8 { InactiveAnon, ActiveAnon, InactiveFile, ActiveFile };
inline constexpr int kLruLists = 4;

class LruLists {
 public:
  explicit LruLists(FrameAllocator& frames);

  // Adds a page that is on no list to the head of its inactive list. Swap-backed unless
  // the frame is a page-cache page or lazily freed.
  void add(Pfn pfn);
  // Takes the page off its list (it is being freed or isolated).
  void remove(Pfn pfn);
  // Moves the page to the head of its active / inactive list (clears PG_referenced when
  // deactivating, as Linux's folio_deactivate).
  void activate(Pfn pfn);
  void deactivate(Pfn pfn);
  // Moves the page to the head of the list it is on (a second chance).
  void rotate(Pfn pfn);
  // MADV_FREE: no longer swap-backed, to the inactive file list (folio_mark_lazyfree).
  void mark_lazyfree(Pfn pfn);

  // The oldest page of a non-empty list: reclaim looks at tails and moves each page it
  // looks at to some head (or off the lists), so it never walks links itself.
  bool empty(LruList list) const { return m_size[index(list)] == 0; }
  Pfn tail(LruList list) const { return Pfn(m_tail[index(list)]); }
  // The page that joined the list just after `pfn` (towards the head), if any.
  std::optional<Pfn> newer(Pfn pfn) const;
  u64 size(LruList list) const { return m_size[index(list)]; }
  // Which list a page is on; the page must be on one.
  LruList list_of(Pfn pfn) const;

 private:
  static constexpr u32 kNone = ~u32{0};
  static constexpr int index(LruList list) { return static_cast<int>(list); }
  void link_head(Pfn pfn, LruList list);
  void unlink(Pfn pfn, LruList list);

  FrameAllocator& m_frames;
  u32 m_head[kLruLists];
  u32 m_tail[kLruLists];
  u64 m_size[kLruLists] = {};
};

}  // namespace kernel::mm
