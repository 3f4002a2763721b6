// A memory object: pages with one identity that file descriptions and mappings share
// (Linux's address_space of an inode). A tmpfs file, a memfd, a MAP_SHARED|MAP_ANONYMOUS
// region and the page cache of a host file are each one object: write() and every shared
// mapping of it reach the same frames.
//
// The page list is a radix tree of x86-64 entries in emulated RAM, the same structure as a
// page table (page index i sits where virtual address i * 4096 would): a resident page is
// a present leaf, a swapped one a swap entry. So the list costs frames of -m, as Linux's
// xarray nodes cost kernel memory, and walks skip absent levels like page-table walks.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "kernel/arch/x86_64/page_table.h"
#include "kernel/base/result.h"
#include "kernel/hal.h"

namespace kernel::mm {

class MemoryManager;
class AddressSpace;

enum class ObjectKind : u8 {
  Tmpfs,       // a tmpfs regular file (also /dev/shm, O_TMPFILE)
  Memfd,       // memfd_create
  SharedAnon,  // MAP_SHARED|MAP_ANONYMOUS and MAP_SHARED of /dev/zero ("/dev/zero (deleted)")
  PageCache,   // the cached pages of a host file
};

const char* object_kind_name(ObjectKind kind);

// Pages a filesystem lets its objects hold (tmpfs "size="); shared by its objects.
struct PageBudget {
  u64 limit = 0;  // pages
  u64 used = 0;
};

// Largest size an object can reach: indices must fit the 36 bits a 4-level tree indexes.
inline constexpr u64 kMaxObjectSize = u64{1} << 47;

class MemoryObject : public std::enable_shared_from_this<MemoryObject> {
 public:
  // `budget` (may be null) is charged one page per resident or swapped page.
  MemoryObject(MemoryManager& mm, ObjectKind kind, PageBudget* budget = nullptr);
  virtual ~MemoryObject();
  MemoryObject(const MemoryObject&) = delete;
  MemoryObject& operator=(const MemoryObject&) = delete;

  ObjectKind kind() const { return m_kind; }
  MemoryManager& memory() { return m_mm; }
  u64 size() const { return m_size; }
  // Pages holding data now (in RAM / in swap).
  u64 resident_pages() const { return m_resident; }
  u64 swapped_pages() const { return m_swapped; }

  // read(): bytes [offset, min(offset + out.size(), size)); holes read as zeros.
  Result<u64> read(std::span<u8> out, u64 offset);
  // write(): extends the size when writing past it. ENOSPC when the budget is exhausted,
  // ENOMEM when RAM is, EFBIG past kMaxObjectSize. A partial write returns what it wrote.
  Result<u64> write(std::span<const u8> in, u64 offset);
  // truncate / ftruncate: pages wholly past the new size are dropped (and unmapped from
  // every mapping); the tail of the last page is zeroed.
  Result<void> resize(u64 new_size);
  // fallocate(PUNCH_HOLE) / MADV_REMOVE: pages wholly inside are dropped and unmapped,
  // partial pages zeroed in place. The size does not change.
  Result<void> punch_hole(u64 offset, u64 length);
  // fallocate(mode 0 / KEEP_SIZE): every page of the range gets a frame.
  Result<void> allocate(u64 offset, u64 length, bool keep_size);

  // The frame holding page `index`, bringing it in (zero-filled, read from the backing file,
  // or swapped in) when `create`; nullopt when absent and !create, or no frame can be had.
  // The frame stays owned by the object: a mapper takes its own reference.
  std::optional<Pfn> find_page(u64 index) const;
  // A shmem object (not a page cache) brings an absent page in as part of a 2 MiB huge
  // page when shmem_is_huge() allows it and the whole aligned range is a hole. `vm_flags`
  // are the faulting VMA's (VM_HUGEPAGE for "advise", VM_NOHUGEPAGE refuses); nullopt for
  // read(), write() and fallocate(), which have no VMA.
  Result<Pfn> get_page(u64 index, std::optional<u64> vm_flags = std::nullopt);
  // shmem_is_huge(): whether page `index` would come in as part of a huge page.
  bool huge_allowed(u64 index, std::optional<u64> vm_flags) const;
  // Drops page `index` if it is a clean page-cache page nobody maps (reclaim, PAGEOUT):
  // its file still holds the data. Returns whether it was dropped.
  bool evict_clean(u64 index);
  // msync / exit: writes the dirty pages of [first, last] to the backing file, if the
  // object has one (a page cache); memory in RAM only (tmpfs, shmem) has nothing to do.
  // Dirty bits of the page-table entries mapping the pages are collected first.
  Result<void> sync(u64 first, u64 last);
  // Marks a resident page dirty (written through a mapping or write()).
  void mark_dirty(u64 index);
  // Whether page `index` is in swap (in the list as a swap entry).
  bool page_swapped(u64 index) const;

  // Reclaim takes resident page `index` (already unmapped everywhere) out of RAM: its entry
  // becomes the swap entry for `swap_slot` (whose reference the list now holds), or a
  // hole for a page that can be read again from its backing file. The frame is let go.
  void evict_page(u64 index, std::optional<u64> swap_slot);

  // Hardware poison (hwpoison.cpp). remove_error_page: truncate_error_page for page `index`
  // (frame pfn, already unmapped everywhere): it leaves the list, so the file is read
  // again. replace_page: soft offline moved the page's contents from `from` to `to`.
  void remove_error_page(u64 index, Pfn pfn);
  void replace_page(u64 index, Pfn from, Pfn to);
  // mapping_set_error(-EIO): written data was lost. Each file description sees it once, at
  // its next fsync (write_errors() has moved on since it last looked: errseq_check_and_advance).
  void set_write_error() { ++m_write_errors; }
  u64 write_errors() const { return m_write_errors; }

  // The first page index >= `from` that holds data (in RAM or swap), or nullopt: for
  // SEEK_DATA / SEEK_HOLE and walks that must cost what is there, not the range named.
  std::optional<u64> next_page(u64 from) const;

 protected:
  // Writes one dirty page back to the backing store (the page cache's file).
  virtual Result<void> write_back(u64 index, const u8* page) {
    (void)index, (void)page;
    return {};
  }
  // For objects whose size comes from elsewhere (a host file's length).
  void set_size(u64 size) { m_size = size; }
  // Fills a fresh frame for page `index` that holds no data yet: zeros by default; a page
  // cache reads the file. Errors become the fault's SIGBUS or the syscall's errno.
  virtual Result<void> fill(u64 index, u8* page);

 private:
  // Drops pages [first, last] from the list (unmapping them first).
  void drop_pages(u64 first, u64 last);
  Result<Pfn> add_page(u64 index);
  // The huge page for the aligned range at `hindex`, or nullopt when it cannot be had (the
  // caller falls back to a small page).
  std::optional<Pfn> add_huge_page(u64 hindex, std::optional<u64> vm_flags);
  Result<Pfn> swap_in(u64 index, x86_64::Pte entry);
  // The resident frame of page `index`, swapping it in when it is in swap; nullopt for a hole.
  Result<std::optional<Pfn>> page_with_data(u64 index);
  void zero_tail(u64 offset);

  MemoryManager& m_mm;
  ObjectKind m_kind;
  PageBudget* m_budget;
  std::unique_ptr<x86_64::PageTable> m_pages;  // created with the first page
  u64 m_size = 0;
  u64 m_resident = 0;
  u64 m_swapped = 0;
  u64 m_write_errors = 0;
};

}  // namespace kernel::mm
