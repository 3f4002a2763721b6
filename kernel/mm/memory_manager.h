// The machine-wide memory state every address space and memory object shares: emulated
// RAM, the frame allocator and the shared zero page. Reclaim, the LRU lists, the swap
// device and the reverse map hang off it as they arrive.
#pragma once

#include <map>
#include <memory>
#include <utility>

#include "kernel/base/types.h"
#include "kernel/hal.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/rmap.h"
#include "kernel/trace_sink.h"

namespace kernel::mm {

class MemoryObject;

class MemoryManager {
 public:
  // Frame 0 is never handed out (a zero PTE can never map real memory); the zero page is
  // the first frame allocated.
  MemoryManager(const hal::PhysMemory& ram, hal::Cpu& cpu);
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

  // Removes every page-table entry that maps pfn (Linux's try_to_unmap), dropping the
  // mappers' references and flushing stale translations. Returns how many there were.
  u32 unmap_everywhere(Pfn pfn);

  // The page cache of host files, one object per (device, inode), alive while some file
  // description or mapping holds it.
  using FileKey = std::pair<u64, u64>;
  std::shared_ptr<MemoryObject> cached_object(FileKey key) const;
  void remember_object(FileKey key, const std::shared_ptr<MemoryObject>& object);

 private:
  hal::PhysMemory m_ram;
  hal::Cpu& m_cpu;
  FrameAllocator m_frames;
  Pfn m_zero_page;
  ReverseMap m_rmap;
  std::map<FileKey, std::weak_ptr<MemoryObject>> m_page_caches;
  TraceSink* m_trace_sink = nullptr;
  u32 m_trace_classes = 0;
  u64 m_tlb_flushes = 0;
};

}  // namespace kernel::mm
