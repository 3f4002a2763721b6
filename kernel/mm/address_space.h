// An address space: the VMAs of one process and the page table that backs them.
// Syscall handlers validate and decode; the work of mmap, munmap, mprotect, mremap, brk,
// madvise and page faults happens here.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "kernel/arch/x86_64/page_table.h"
#include "kernel/base/result.h"
#include "kernel/hal.h"
#include "kernel/mm/fault.h"
#include "kernel/mm/vma.h"

namespace kernel::mm {

class FrameAllocator;
class MemoryManager;

// Where things go without address-space randomisation, as on Linux with ASLR off.
inline constexpr u64 kTaskSize = 0x7fff'ffff'f000;
inline constexpr u64 kStackTop = kTaskSize;
inline constexpr u64 kMmapMinAddr = 0x10000;
inline constexpr u64 kStackRlimit = 8 * 1024 * 1024;
inline constexpr u64 kStackGuardGap = 256 * kPageSize;
// sysctl vm.max_map_count's default (DEFAULT_MAX_MAP_COUNT).
inline constexpr u64 kDefaultMaxMapCount = 65530;
// MAP_32BIT places mappings in [1 GiB, 2 GiB), bottom-up, as x86-64 Linux does.
inline constexpr u64 kMap32BitBegin = u64{1} << 30;
inline constexpr u64 kMap32BitEnd = u64{2} << 30;

// RLIMIT_MEMLOCK as the mm layer applies it: a limit in bytes, waived for a process that
// holds CAP_IPC_LOCK.
struct LockLimit {
  u64 bytes = ~u64{0};
  bool capable = true;

  bool allows(u64 pages) const { return capable || pages <= (bytes >> kPageShift); }
  // can_do_mlock(): a zero limit forbids locking to the unprivileged.
  bool may_lock() const { return capable || bytes != 0; }
};

enum class MapPlacement : u8 { Hint, Fixed, FixedNoReplace };

struct MapRequest {
  u64 addr = 0;
  u64 length = 0;  // page aligned, non-zero
  u64 prot = 0;    // PROT_* bits
  bool shared = false;
  MapPlacement placement = MapPlacement::Hint;
  std::shared_ptr<fs::File> file;
  std::shared_ptr<MemoryObject> object;  // what backs a file or shared mapping
  u64 offset = 0;                        // page aligned
  u64 extra_flags = 0;                   // VmFlag bits (VM_GROWSDOWN, VM_NORESERVE ...)
  VmaRole role = VmaRole::Mapping;
  bool may_write = true;  // VM_MAYWRITE: whether mprotect may add PROT_WRITE later
  bool below_2g = false;  // MAP_32BIT
  LockLimit lock_limit;   // checked when the mapping will be VM_LOCKED (EAGAIN)
};

struct FaultCounters {
  u64 minor = 0;
  u64 major = 0;
  u64 by_resolution[static_cast<int>(FaultResolution::OutOfMemory) + 1] = {};
};

class AddressSpace {
 public:
  explicit AddressSpace(MemoryManager& mm);
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  x86_64::PageTable& page_table() { return m_page_table; }
  const hal::PhysMemory& ram() const { return m_ram; }
  FrameAllocator& frames() { return m_frames; }
  MemoryManager& memory() { return m_mm; }
  Pfn zero_page() const { return m_zero_page; }
  const std::map<u64, Vma>& vmas() const { return m_vmas; }
  const Vma* find_vma(u64 addr) const;

  Result<u64> map(const MapRequest& request);
  // munmap: EINVAL for a range outside the user half, ENOMEM when splitting a VMA in two
  // would pass the map-count limit.
  Result<void> unmap(u64 addr, u64 length);
  // prot may carry PROT_GROWSDOWN / PROT_GROWSUP. As on Linux, the VMAs before a hole or
  // an error keep their new protection.
  Result<void> protect(u64 addr, u64 length, u64 prot);
  // mremap (mremap.cpp). Lengths are page aligned, new_length non-zero; flags are valid.
  Result<u64> remap(u64 old_addr, u64 old_length, u64 new_length, u64 flags, u64 new_addr,
                    LockLimit lock_limit = {});

  // fork()'s memory (fork.cpp, Linux's dup_mmap): a new address space with a copy of
  // every VMA but the VM_DONTCOPY ones, mlock not inherited, VM_WIPEONFORK ones empty.
  // Private pages are shared copy-on-write: both entries lose write access, and the
  // first write by either copies (or reuses the page once it is the only mapper). Swap
  // entries name the same slot (its count goes up); shared mappings fault in afresh.
  // ENOMEM when RAM runs out on the way: the partial child is destroyed and the parent
  // keeps every page (some entries merely write-protected).
  Result<std::unique_ptr<AddressSpace>> fork();

  // The program break. set_brk_start is called once by the loader.
  void set_brk_start(u64 addr) { m_brk_start = m_brk = addr; }
  u64 brk() const { return m_brk; }
  u64 brk_start() const { return m_brk_start; }
  u64 set_brk(u64 requested, LockLimit lock_limit = {});

  // mlock family (mlock.cpp). mlock and mlock2 take any start and length, as the syscalls
  // do; lock_flags is VM_LOCKED, with VM_LOCKONFAULT for MLOCK_ONFAULT.
  Result<void> mlock(u64 start, u64 len, u64 lock_flags, LockLimit limit);
  Result<void> mlockall(int mcl_flags, LockLimit limit);
  // Sets the lock flags (0 for munlock) of the page-aligned [start, end).
  Result<void> set_lock_flags(u64 start, u64 end, u64 lock_flags);
  // mlockall's flags (MCL_*) after validation; munlockall.
  void lock_all(int mcl_flags);
  void unlock_all();
  // Faults in [start, end) as Linux's __mm_populate does. mlock stops at the first VMA that
  // cannot be populated (EFAULT for PROT_NONE, ENOMEM when RAM runs out); mm_populate's
  // callers (mlockall, MAP_POPULATE, brk and mremap of locked memory) go on to the next VMA.
  enum class PopulateErrors : u8 { Stop, SkipVma };
  Result<void> populate(u64 start, u64 end, PopulateErrors errors);
  // /proc/PID/clear_refs: the Accessed bits and referenced flags of every page (All), of
  // anonymous or of file-backed memory; soft-dirty state, write-protecting every page so
  // that the next write marks it again; the RSS high-water mark.
  enum class ClearRefs : u8 { All = 1, Anon = 2, Mapped = 3, SoftDirty = 4, HiwaterRss = 5 };
  void clear_refs(ClearRefs type);
  u64 locked_pages() const;                       // mm->locked_vm
  u64 locked_pages_in(u64 start, u64 end) const;  // count_mm_mlocked_page_nr
  u64 total_pages() const;                        // mm->total_vm
  // mm->def_flags: VM_LOCKED (and VM_LOCKONFAULT) after mlockall(MCL_FUTURE).
  u64 def_flags() const { return m_def_flags; }

  // sysctl vm.max_map_count for this address space.
  u64 max_map_count() const { return m_max_map_count; }
  void set_max_map_count(u64 count) { m_max_map_count = count; }
  u64 map_count() const { return m_vmas.size(); }

  // mbind's VMA half (do_mbind after its argument checks): [start, end) (page aligned,
  // non-empty) takes `policy`. EFAULT for a range wholly unmapped, or with holes unless
  // holes_allowed (the default policy); ENOMEM when a split would pass the map-count limit.
  Result<void> set_policy(u64 start, u64 end, const MemPolicy& policy, bool holes_allowed);

  Result<void> madvise(u64 addr, u64 length, int advice);
  // process_madvise and madvise share this walk; madvise adds the trace event.
  Result<void> walk_advice(u64 addr, u64 length, int advice);

  // Resolves a fault at addr with the x86 error code; see FaultResult.
  FaultResult handle_fault(u64 addr, u32 error_code);
  const FaultCounters& fault_counters() const { return m_fault_counters; }
  void flush_tlb(const char* reason, u64 start, u64 end);

  // Removes the entry at va if it maps `pfn` (the reverse map's unmap of one mapper):
  // the reference it held is dropped and stale translations are flushed.
  void unmap_page(u64 va, Pfn pfn);
  // Hardware poison (hwpoison.cpp), reached through the reverse map. poison_entry: the
  // entry at va, which maps pfn, becomes a hwpoison entry (its reference dropped, stale
  // translations flushed). replace_frame: the entry at va takes `to` in place of `from`,
  // keeping its permissions and A/D bits (soft offline's migration).
  void poison_entry(u64 va, Pfn pfn);
  void replace_frame(u64 va, Pfn from, Pfn to);
  // Clears every entry of VMAs mapping `object` that covers object pages [first, last].
  void zap_object_range(const MemoryObject* object, u64 first, u64 last);
  // Clears the dirty bit of the present entry at va; returns whether it was set.
  bool clean_entry(u64 va);
  // Whether the page at va counts as resident for mincore(): for object-backed memory,
  // whether the object holds the page; for anonymous memory, whether it is mapped.
  bool page_resident(u64 va);

  // Reclaim's view of one mapping, reached through the reverse map. Each acts only when the
  // entry at va still maps pfn. clear_young leaves the TLB flush to its caller (one per
  // page, after every mapper is looked at).
  bool clear_young(u64 va, Pfn pfn);
  bool pte_dirty(u64 va, Pfn pfn);
  // Replaces the entry with a swap entry for `slot` (taking a slot reference) and drops
  // its reference to pfn. Reports whether it was present and whether it was dirty.
  struct SwappedEntry {
    bool present = false;
    bool dirty = false;
  };
  SwappedEntry swap_out_entry(u64 va, Pfn pfn, u64 slot);

  // The page-level work of madvise advice on [start, end) (page aligned, inside VMAs the
  // caller has checked). Pages mapped by more than this one entry are left alone, as
  // Linux's walkers skip folios with a mapcount other than 1.
  // MADV_COLD: pages go to their inactive list, Accessed bits and PG_referenced cleared.
  void deactivate_range(u64 start, u64 end);
  // MADV_PAGEOUT: reclaimed now. Anonymous and shmem pages go to swap (and stay when there
  // is no swap or it is full); clean file pages are dropped. Returns the pages freed.
  u64 pageout_range(u64 start, u64 end);
  // MADV_FREE on private anonymous memory: each page's entry is made clean and old and
  // the page lazily freed (reclaim discards it unless written again); swap entries in
  // the range are dropped at once (those pages read back as zeros).
  void lazyfree_range(u64 start, u64 end);
  // MADV_WILLNEED: swapped anonymous pages are read into the swap cache (mincore then
  // counts them), swapped or absent shmem pages read into their object.
  Result<void> willneed_range(u64 start, u64 end);

  // The OOM reaper's work on a dying process's memory (__oom_reap_task_mm), for
  // process_mrelease: every page of a mapping that is not shared is unmapped now (private
  // anonymous memory, and the private view of files), locked ones included; shared
  // mappings, hugetlb and PFN maps are left for exit. The VMAs stay.
  void oom_reap();
  // Transparent huge pages (huge_memory.cpp, khugepaged.cpp).
  // hugepage_vma_check(): may [vma] hold huge pages? `in_fault` for a fault (no size
  // check), `enforce_sysfs` false for MADV_COLLAPSE (which ignores `enabled`), `smaps` for
  // THPeligible (a VMA that has not faulted yet counts).
  bool thp_vma_allowed(const Vma& vma, bool in_fault, bool enforce_sysfs, bool smaps) const;
  // Splits the huge mapping that covers va, if any, into 512 small entries. Only this
  // address space's entry is split (__split_huge_pmd): other processes mapping the same
  // huge page keep their huge entries.
  void split_huge_pmd(u64 va);
  // Splits every huge mapping overlapping [start, end) that the range does not cover whole
  // (all of them when `whole_too`).
  void split_huge_range(u64 start, u64 end, bool whole_too);
  // MADV_COLLAPSE on [start, end) of one VMA (6.1's madvise_collapse and its errno rules).
  Result<void> collapse_range(u64 start, u64 end);
  // One khugepaged visit of the aligned 2 MiB at haddr: whether it collapsed.
  enum class ScanResult : u8 {
    Succeed,
    PmdNull,
    PmdMapped,
    ExceedNonePte,
    ExceedSwapPte,
    ExceedSharedPte,
    PageRo,
    LackReferencedPage,
    PageNull,
    PageCount,
    PageLru,
    AllocHugePageFail,
    VmaCheck,
  };
  ScanResult collapse_scan_pmd(u64 haddr, bool khugepaged);
  // Huge mappings (PS entries of anonymous pages) and the deposited page tables that make
  // splitting them infallible (pgtable_trans_huge_deposit).
  u64 deposited_tables() const { return m_deposited; }
  bool khugepaged_entered() const { return m_khugepaged_entered; }

  // What the address space holds, for the OOM killer and /proc (pages).
  struct Usage {
    u64 total_vm = 0;
    u64 anon_rss = 0;   // private anonymous frames mapped
    u64 file_rss = 0;   // page-cache frames mapped
    u64 shmem_rss = 0;  // shmem/tmpfs/memfd frames mapped
    u64 swap_entries = 0;
    u64 page_tables = 0;
  };
  Usage usage();

  // The lowest free range of `length` bytes below `below`, searching top-down; 0 if none.
  u64 find_free_range(u64 length, u64 below) const;
  // The lowest free range of `length` bytes inside [low, high), searching bottom-up; 0 if none.
  u64 find_free_range_bottom_up(u64 length, u64 low, u64 high) const;
  bool range_is_free(u64 start, u64 end) const;

 private:
  friend struct AdviceOps;  // the madvise handlers (madvise.cpp)
  friend class Ksm;         // merges and unmerges entries (ksm.cpp)
  friend bool split_huge_page(MemoryManager& mm, Pfn head);
  using VmaIterator = std::map<u64, Vma>::iterator;

  // The first VMA that ends above addr (the one containing it, or the next one).
  VmaIterator vma_from(u64 addr);
  // Splits VMAs so that `addr` is a VMA boundary (if a VMA spans it).
  void split_at(u64 addr);
  // Merges the VMA at `it` with equal neighbours; returns the merged VMA.
  VmaIterator merge_around(VmaIterator it);
  // populate_vma_page_range(): faults in [start, end) of one VMA with flags vma_flags.
  Result<void> populate_vma(u64 start, u64 end, u64 vma_flags);
  // Clears every leaf in [start, end) and drops the frames they mapped.
  void zap_range(u64 start, u64 end);
  // Rewrites the leaves of [start, end) for new VMA flags.
  void change_protection(u64 start, u64 end, u64 flags);
  void remove_vmas(u64 start, u64 end);
  // Gives [start, end) of the VMA at `it` (which contains start and reaches end) the VMA
  // flags `flags`, splitting and merging as Linux's vma_merge() / split_vma() would, and
  // refusing (ENOMEM) a split that would pass the map-count limit.
  // With `policy`, the part also takes that memory policy (mbind).
  Result<void> set_vma_flags(VmaIterator it, u64 start, u64 end, u64 flags,
                             const MemPolicy* policy = nullptr);
  // mremap's pieces (mremap.cpp), after Linux's functions of the same names.
  Result<VmaIterator> vma_to_resize(u64 addr, u64 old_len, u64 new_len, u64 flags,
                                    LockLimit lock_limit);
  Result<u64> remap_to(u64 addr, u64 old_len, u64 new_addr, u64 new_len, u64 flags,
                       LockLimit lock_limit);
  Result<u64> move_vma(u64 old_addr, u64 old_len, u64 new_len, u64 new_addr, u64 flags);
  // Moves every page-table entry of [from, from + length) to the same offset at `to`. The
  // destination tables are allocated first, so the move either happens whole or not at all.
  Result<void> move_page_tables(u64 from, u64 to, u64 length);
  bool try_grow_stack(u64 addr);
  // copy_page_range() for one VMA of this address space into `child` (fork.cpp).
  Result<void> copy_page_range(AddressSpace& child, const Vma& vma);

  // Installs a leaf in an empty slot and records it in the reverse map.
  void set_leaf(x86_64::Pte* slot, u64 va, x86_64::Pte leaf);
  // Clears a slot that maps a frame (present or PROT_NONE), forgetting it in the reverse
  // map and dropping its reference. Returns whether the entry was present (needs a flush).
  bool drop_leaf(x86_64::Pte* slot, u64 va);

  FaultResult fault_anonymous(const Vma& vma, u64 page, u32 error_code);
  // A fault whose page-directory entry is empty in a VMA that allows huge pages
  // (do_huge_pmd_anonymous_page); nullopt: fall back to a small page.
  std::optional<FaultResult> fault_huge_anonymous(const Vma& vma, u64 addr, u32 error_code,
                                                  x86_64::Pte* pde);
  // A fault whose page-directory entry is empty in a shmem VMA: when the object's page is
  // (or becomes) part of a huge page lying whole under an aligned 2 MiB of the VMA, one
  // huge entry maps it (do_set_pmd); nullopt: a small entry instead.
  std::optional<FaultResult> fault_huge_shmem(const Vma& vma, u64 addr, u32 error_code,
                                              x86_64::Pte* pde);
  // A fault on a present huge entry (do_huge_pmd_wp_page); nullopt: the entry was split and
  // the fault goes on as a small-page one.
  std::optional<FaultResult> fault_huge_present(const Vma& vma, u64 addr, u32 error_code,
                                                x86_64::Pte* pde);
  // Turns the huge entry at the page-directory slot for haddr into a page table of 512
  // entries mapping the same frames (the huge page's reverse-map item becomes 512); the
  // page stops being compound when no huge entry maps it any more.
  void split_pmd_mapping(u64 haddr);
  // Whether the directory entry for va maps the compound page headed by `head` huge.
  bool maps_huge(u64 va, Pfn head);
  // Whether one huge entry is the only holder of the compound page headed by `head`.
  bool exclusive_huge(Pfn head) const;
  // Clears a huge entry, dropping its reference and its deposited table.
  bool drop_huge(x86_64::Pte* pde, u64 haddr);
  // fork: the child maps the same huge page, both write-protected (copy_huge_pmd).
  Result<void> copy_huge_pmd(AddressSpace& child, const Vma& vma, u64 haddr, x86_64::Pte& pde);
  Result<void> deposit_table();
  Pfn withdraw_table();
  // Clears the huge entries that [start, end) covers whole and splits those it covers in
  // part, so that a small-page walk of the range sees every page.
  bool zap_huge_in(u64 start, u64 end);
  bool protect_huge_in(u64 start, u64 end, u64 flags);
  FaultResult fault_object(const Vma& vma, u64 page, u32 error_code);
  // Reads file pages around a page-cache miss at `index` into the cache (readahead).
  void read_around(const Vma& vma, u64 index);
  FaultResult fault_write_protected(const Vma& vma, u64 page, x86_64::Pte* slot);
  FaultResult fault_swap(const Vma& vma, u64 page, u32 error_code);
  // Calls fn(va, slot) for every non-empty leaf in [start, end), skipping absent tables.
  template <typename Fn>
  void for_each_leaf(u64 start, u64 end, Fn&& fn);
  x86_64::Pte leaf_for(const Vma& vma, Pfn frame, bool writable) const;
  // Whether a fault that does not write may map a page writable (and clean). Linux maps it
  // read-only, so that the first write faults and marks the page dirty and soft-dirty; emu
  // saves that fault while the whole VMA counts as soft-dirty anyway. After clear_refs
  // cleared VM_SOFTDIRTY the write must be seen.
  static bool may_map_writable(const Vma& vma, bool write) {
    return write || (vma.flags & VM_SOFTDIRTY);
  }

  MemoryManager& m_mm;
  hal::PhysMemory m_ram;
  FrameAllocator& m_frames;
  Pfn m_zero_page;
  hal::Cpu& m_cpu;
  x86_64::PageTable m_page_table;
  std::map<u64, Vma> m_vmas;  // keyed by start
  u64 m_brk_start = 0;
  u64 m_brk = 0;
  u64 m_mmap_base = kStackTop - 128 * 1024 * 1024;  // below the stack's gap, as Linux
  u64 m_max_map_count = kDefaultMaxMapCount;
  // find_free_range()'s resume point below mmap_base and the largest gap above it (0: none).
  mutable u64 m_free_cache_below = 0;
  mutable u64 m_free_cache_hole = 0;
  u64 m_def_flags = 0;
  FaultCounters m_fault_counters;
  u64 m_advised_pages = 0;  // pages the current madvise call acted on (its trace event)
  // Page-table pages set aside for splitting huge entries, one per huge entry, chained
  // through their records' `index` (pfn + 1; 0 ends the chain).
  u64 m_deposit_head = 0;
  u64 m_deposited = 0;
  // On khugepaged's list (MADV_HUGEPAGE was used here or in a parent before fork): what
  // lets khugepaged sleep in madvise mode while nobody asked for huge pages.
  bool m_khugepaged_entered = false;
};

}  // namespace kernel::mm
