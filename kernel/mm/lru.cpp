#include "kernel/mm/lru.h"

#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_object.h"

namespace kernel::mm {

LruLists::LruLists(FrameAllocator& frames) : m_frames(frames) {
  // Links hold frame numbers: every frame must fit.
  VERIFY(frames.first().value + frames.total_frames() < kNone);
  for (int i = 0; i < kLruLists; ++i) m_head[i] = m_tail[i] = kNone;
}

LruList LruLists::list_of(Pfn pfn) const {
  const PageFrame& f = m_frames.frame(pfn);
  VERIFY(f.test(PG_lru));
  const bool active = f.test(PG_lru_active);
  if (!f.test(PG_lru_file)) return active ? LruList::ActiveAnon : LruList::InactiveAnon;
  return active ? LruList::ActiveFile : LruList::InactiveFile;
}

// Sets the page's bookkeeping bits (and the public flags they mirror) for `active`, on the
// list its PG_swapbacked names.
static void set_list_bits(PageFrame& f, bool active) {
  if (active) {
    f.set(PG_active);
    f.set(PG_lru_active);
  } else {
    f.clear(PG_active);
    f.clear(PG_lru_active);
  }
  if (f.test(PG_swapbacked))
    f.clear(PG_lru_file);
  else
    f.set(PG_lru_file);
}

std::optional<Pfn> LruLists::newer(Pfn pfn) const {
  const u32 prev = m_frames.frame(pfn).prev;
  if (prev == kNone) return std::nullopt;
  return Pfn(prev);
}

void LruLists::link_head(Pfn pfn, LruList list) {
  PageFrame& f = m_frames.frame(pfn);
  const int i = index(list);
  f.prev = kNone;
  f.next = m_head[i];
  if (f.next != kNone)
    m_frames.frame(Pfn(f.next)).prev = static_cast<u32>(pfn.value);
  else
    m_tail[i] = static_cast<u32>(pfn.value);
  m_head[i] = static_cast<u32>(pfn.value);
  ++m_size[i];
}

void LruLists::unlink(Pfn pfn, LruList list) {
  PageFrame& f = m_frames.frame(pfn);
  const int i = index(list);
  if (f.prev != kNone)
    m_frames.frame(Pfn(f.prev)).next = f.next;
  else
    m_head[i] = f.next;
  if (f.next != kNone)
    m_frames.frame(Pfn(f.next)).prev = f.prev;
  else
    m_tail[i] = f.prev;
  f.next = f.prev = kNone;
  --m_size[i];
}

void LruLists::add(Pfn pfn) {
  PageFrame& f = m_frames.frame(pfn);
  VERIFY(!f.test(PG_lru));
  const bool file_cache = f.owner && f.owner->kind() == ObjectKind::PageCache;
  if (file_cache || f.test(PG_lazyfree))
    f.clear(PG_swapbacked);
  else
    f.set(PG_swapbacked);
  set_list_bits(f, false);
  f.set(PG_lru);
  link_head(pfn, list_of(pfn));
}

void LruLists::remove(Pfn pfn) {
  PageFrame& f = m_frames.frame(pfn);
  if (!f.test(PG_lru)) return;
  unlink(pfn, list_of(pfn));
  f.clear(PG_lru);
  f.clear(PG_active);
  f.clear(PG_lru_active);
  f.clear(PG_lru_file);
}

void LruLists::activate(Pfn pfn) {
  PageFrame& f = m_frames.frame(pfn);
  unlink(pfn, list_of(pfn));
  set_list_bits(f, true);
  link_head(pfn, list_of(pfn));
}

void LruLists::deactivate(Pfn pfn) {
  PageFrame& f = m_frames.frame(pfn);
  unlink(pfn, list_of(pfn));
  set_list_bits(f, false);
  f.clear(PG_referenced);
  link_head(pfn, list_of(pfn));
}

void LruLists::rotate(Pfn pfn) {
  const LruList list = list_of(pfn);
  unlink(pfn, list);
  link_head(pfn, list);
}

void LruLists::mark_lazyfree(Pfn pfn) {
  PageFrame& f = m_frames.frame(pfn);
  if (f.test(PG_lru)) unlink(pfn, list_of(pfn));
  f.set(PG_lru);
  f.set(PG_lazyfree);
  f.clear(PG_swapbacked);
  set_list_bits(f, false);
  f.clear(PG_referenced);
  link_head(pfn, list_of(pfn));
}

}  // namespace kernel::mm
