// The machine-wide memory state every address space and memory object shares: emulated
// RAM, the frame allocator, the shared zero page, the reverse map, the LRU lists, the swap
// device with its swap cache, and reclaim.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "kernel/base/types.h"
#include "kernel/hal.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/ksm.h"
#include "kernel/mm/lru.h"
#include "kernel/mm/reclaim.h"
#include "kernel/mm/rmap.h"
#include "kernel/mm/swap.h"
#include "kernel/mm/thp_settings.h"
#include "kernel/trace_sink.h"

namespace kernel::mm {

class MemoryObject;

// Who handles hardware poison the kernel's own accesses to guest memory run into (a
// syscall copying a user buffer): the kernel's memory_failure() with its signals.
class PoisonClient {
 public:
  virtual void poison_consumed(Pfn pfn) = 0;

 protected:
  ~PoisonClient() = default;
};

struct MemoryOptions {
  std::optional<u64> swap_bytes;  // the swap device's size; nullopt: the size of RAM
};

// Event counters, as /proc/vmstat names them.
struct VmStats {
  u64 pgscan = 0;        // pages reclaim looked at on inactive lists
  u64 pgsteal = 0;       // pages reclaim freed
  u64 pgactivate = 0;    // moved to an active list
  u64 pgdeactivate = 0;  // moved to an inactive list
  u64 pswpin = 0;        // pages read from swap
  u64 pswpout = 0;       // pages written to swap
  u64 pgmajfault = 0;    // faults that had to read swap
  u64 pglazyfreed = 0;   // MADV_FREE'd pages discarded
  u64 oom_kill = 0;
  u64 cow_ksm = 0;  // writes that copied a KSM page
  // Transparent huge pages (/proc/vmstat's thp_* lines, Linux 6.1's names).
  u64 thp_fault_alloc = 0;
  u64 thp_fault_fallback = 0;
  u64 thp_collapse_alloc = 0;
  u64 thp_collapse_alloc_failed = 0;
  u64 thp_split_page = 0;
  u64 thp_split_page_failed = 0;
  u64 thp_split_pmd = 0;
  u64 thp_zero_page_alloc = 0;
  u64 thp_zero_page_alloc_failed = 0;
  u64 thp_scan_exceed_none_pte = 0;
  u64 thp_scan_exceed_swap_pte = 0;
  u64 thp_scan_exceed_share_pte = 0;
  u64 thp_swpout_fallback = 0;
  u64 thp_file_alloc = 0;     // shmem huge pages allocated
  u64 thp_file_fallback = 0;  // shmem huge pages wanted, small ones given
  u64 thp_file_mapped = 0;    // huge entries made for shmem huge pages
  // Page-state counts (gauges, in huge pages): NR_SHMEM_THPS and NR_SHMEM_PMDMAPPED.
  u64 nr_shmem_thps = 0;
  u64 nr_shmem_pmdmapped = 0;
};

class MemoryManager final : private FrameClient {
 public:
  // Frame 0 is never handed out (a zero PTE can never map real memory). The frames after
  // it hold the kernel's per-frame and per-slot records (Linux's mem_map), so they count
  // against RAM as on Linux; the zero page is the first frame allocated.
  MemoryManager(const hal::PhysMemory& ram, hal::Cpu& cpu, MemoryOptions options = {});
  MemoryManager(const MemoryManager&) = delete;
  MemoryManager& operator=(const MemoryManager&) = delete;

  const hal::PhysMemory& ram() const { return m_ram; }
  FrameAllocator& frames() { return m_frames; }
  const FrameAllocator& frames() const { return m_frames; }
  hal::Cpu& cpu() { return m_cpu; }
  Pfn zero_page() const { return m_zero_page; }
  u8* frame_bytes(Pfn pfn) const { return m_ram.frame(pfn); }
  PageFrame& frame(Pfn pfn) { return m_frames.frame(pfn); }
  ReverseMap& rmap() { return m_rmap; }
  LruLists& lru() { return m_lru; }
  SwapDevice& swap() { return m_swap; }
  Reclaimer& reclaimer() { return m_reclaimer; }
  Ksm& ksm() { return m_ksm; }
  VmStats& stats() { return m_stats; }
  // The transparent-huge-page settings in force (the kernel's tunables once attached).
  const ThpSettings& thp() const { return *m_thp; }
  void set_thp_settings(const ThpSettings* settings) { m_thp = settings; }
  // The huge zero page (an order-9 block of zeros mapped read-only by PMDs), allocated on
  // first use as Linux's get_huge_zero_page() does; nullopt when no block is free.
  std::optional<Pfn> huge_zero_page();
  bool is_huge_zero(Pfn pfn) const { return m_huge_zero && *m_huge_zero == pfn; }
  // khugepaged's progress (/sys/kernel/mm/transparent_hugepage/khugepaged/*).
  struct KhugepagedState {
    u64 pages_collapsed = 0;
    u64 full_scans = 0;
    u64 next_scan_ns = 0;    // monotonic time of the next scan step
    size_t space_index = 0;  // where the scan resumes: address space, then address
    u64 address = 0;
  };
  KhugepagedState& khugepaged() { return m_khugepaged; }
  const KhugepagedState& khugepaged_state() const { return m_khugepaged; }
  const std::vector<AddressSpace*>& address_spaces() const { return m_spaces; }
  const VmStats& stats() const { return m_stats; }
  // Frames set aside at start-up for the kernel's records.
  u64 record_frames() const { return m_record_frames; }

  // Structured events: which classes are on (kTrace* bits) and where they go.
  void set_tracing(TraceSink* sink, u32 classes) {
    m_trace_sink = sink;
    m_trace_classes = sink ? classes : 0;
  }
  bool tracing(u32 event_class) const { return m_trace_classes & event_class; }
  void emit(const char* name, std::initializer_list<TraceField> fields) {
    m_trace_sink->event(name, std::span<const TraceField>(fields.begin(), fields.size()));
  }
  // Drops every cached translation because entries in [start, end) lost a permission,
  // changed frame or went away (`reason` names the operation, for the tlb event).
  void flush_tlb(const char* reason, u64 start, u64 end) {
    ++m_tlb_flushes;
    if (tracing(kTraceTlb))
      emit("tlb-flush", {TraceField::str("reason", reason), TraceField::hex("start", start),
                         TraceField::hex("end", end)});
    m_cpu.flush_tlb();
  }
  u64 tlb_flushes() const { return m_tlb_flushes; }

  // Hardware poison: frames marked HWPoison (num_poisoned_pages, /proc/meminfo's
  // HardwareCorrupted), and who handles poison a kernel access consumes.
  u64 poisoned_pages() const { return m_poisoned_pages; }
  void count_poisoned(Pfn pfn) {
    ++m_poisoned_pages;
    if (!m_frames.manages(pfn)) m_unmanaged_poisoned.insert(pfn.value);
  }
  // Frames outside the allocator (frame 0, the kernel's records) have no record for the flag.
  bool unmanaged_poisoned(Pfn pfn) const { return m_unmanaged_poisoned.contains(pfn.value); }
  void set_poison_client(PoisonClient* client) { m_poison_client = client; }
  // A kernel access found pfn's poison bit set: memory_failure() runs (kill_me_never).
  void poison_consumed(Pfn pfn) {
    if (m_poison_client) m_poison_client->poison_consumed(pfn);
  }

  // Removes every page-table entry that maps pfn (Linux's try_to_unmap), dropping the
  // mappers' references and flushing stale translations. Returns how many there were.
  u32 unmap_everywhere(Pfn pfn);

  // Every live address space (they register themselves), for work that must reach all
  // mappings of an object, private copies included.
  void add_address_space(AddressSpace* as) { m_spaces.push_back(as); }
  void remove_address_space(AddressSpace* as) {
    std::erase(m_spaces, as);
    m_ksm.exit(as);
  }
  // Truncation (unmap_mapping_range with even_cows): every entry mapping object pages
  // [first, last], the private copies of private mappings included, goes.
  void zap_object_range(const MemoryObject* object, u64 first, u64 last);
  // Whether some shared mapping of `object` may write it (VM_SHARED with VM_MAYWRITE:
  // Linux's i_mmap_writable), which a write seal must wait for.
  bool maps_shared_writable(const MemoryObject* object) const;

  // Free frames below which reclaim runs before a fault is handled, and the level it
  // restores (Linux's low and high watermarks).
  u64 low_watermark() const { return m_low_watermark; }
  u64 high_watermark() const { return m_high_watermark; }
  void balance() {
    if (m_frames.free_frames() < m_low_watermark) [[unlikely]]
      balance_slow();
  }

  // A swap entry (in a page table or an object's page list) goes away: its slot reference
  // is dropped, and a swap-cache frame nobody else names is let go.
  void free_swap_entry(u64 slot);
  // The swap cache gives up slot's frame: the slot keeps its data while entries name it.
  void drop_swap_cache(u64 slot);

  // The page cache of host files, one object per (device, inode), alive while some file
  // description or mapping holds it.
  using FileKey = std::pair<u64, u64>;
  std::shared_ptr<MemoryObject> cached_object(FileKey key) const;
  void remember_object(FileKey key, const std::shared_ptr<MemoryObject>& object);
  // Writes every dirty page-cache page back to its file (the guest is exiting: Linux's
  // writeback would get there on its own).
  void sync_page_caches();

 private:
  void frame_released(Pfn pfn) override;
  void reclaim_frames(u64 wanted) override;
  void balance_slow();

  hal::PhysMemory m_ram;
  hal::Cpu& m_cpu;
  u64 m_record_frames;
  FrameAllocator m_frames;
  Pfn m_zero_page;
  ReverseMap m_rmap;
  LruLists m_lru;
  SwapDevice m_swap;
  VmStats m_stats;
  Reclaimer m_reclaimer;
  Ksm m_ksm;
  u64 m_low_watermark = 0;
  u64 m_high_watermark = 0;
  u64 m_balance_backoff = 0;  // faults to skip balancing after a pass that freed nothing
  std::map<FileKey, std::weak_ptr<MemoryObject>> m_page_caches;
  std::vector<AddressSpace*> m_spaces;
  TraceSink* m_trace_sink = nullptr;
  u32 m_trace_classes = 0;
  u64 m_tlb_flushes = 0;
  u64 m_poisoned_pages = 0;
  std::set<u64> m_unmanaged_poisoned;
  PoisonClient* m_poison_client = nullptr;
  ThpSettings m_default_thp;
  const ThpSettings* m_thp = &m_default_thp;
  std::optional<Pfn> m_huge_zero;
  KhugepagedState m_khugepaged;
};

}  // namespace kernel::mm
