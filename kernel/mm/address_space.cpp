#include "kernel/mm/address_space.h"

#include <cstring>

#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;

u64 vm_flags_from_prot(u64 prot) {
  u64 flags = 0;
  if (prot & abi::kPROT_READ) flags |= VM_READ;
  if (prot & abi::kPROT_WRITE) flags |= VM_WRITE;
  if (prot & abi::kPROT_EXEC) flags |= VM_EXEC;
  return flags;
}

AddressSpace::AddressSpace(MemoryManager& mm)
    : m_mm(mm),
      m_ram(mm.ram()),
      m_frames(mm.frames()),
      m_zero_page(mm.zero_page()),
      m_cpu(mm.cpu()),
      m_page_table(mm.ram(), mm.frames()) {}

AddressSpace::~AddressSpace() {
  for (const auto& [start, vma] : m_vmas) zap_range(vma.start, vma.end);
}

const Vma* AddressSpace::find_vma(u64 addr) const {
  auto it = m_vmas.upper_bound(addr);
  if (it == m_vmas.begin()) return nullptr;
  --it;
  return it->second.contains(addr) ? &it->second : nullptr;
}

bool AddressSpace::range_is_free(u64 start, u64 end) const {
  auto it = m_vmas.lower_bound(start);
  if (it != m_vmas.end() && it->second.start < end) return false;
  if (it != m_vmas.begin() && std::prev(it)->second.end > start) return false;
  return true;
}

u64 AddressSpace::find_free_range(u64 length, u64 below) const {
  // Walk the gaps from the top down, like Linux's unmapped_area_topdown(). `it` is the VMA
  // just above the gap under consideration (or end()).
  u64 gap_end = below;
  auto it = m_vmas.lower_bound(below);
  while (true) {
    const u64 gap_start = it == m_vmas.begin() ? kMmapMinAddr : std::prev(it)->second.end;
    u64 limit = gap_end;
    // A stack that grows down keeps its guard gap free below it.
    if (it != m_vmas.end() && it->second.start == gap_end && (it->second.flags & VM_GROWSDOWN))
      limit = gap_end > kStackGuardGap ? gap_end - kStackGuardGap : 0;
    if (limit > gap_start && limit - gap_start >= length) return limit - length;
    if (it == m_vmas.begin()) return 0;
    --it;
    gap_end = std::min(gap_end, it->second.start);
  }
}

AddressSpace::VmaIterator AddressSpace::vma_from(u64 addr) {
  auto it = m_vmas.upper_bound(addr);
  if (it != m_vmas.begin() && std::prev(it)->second.end > addr) return std::prev(it);
  return it;
}

void AddressSpace::split_at(u64 addr) {
  auto it = m_vmas.upper_bound(addr);
  if (it == m_vmas.begin()) return;
  --it;
  Vma& vma = it->second;
  if (addr <= vma.start || addr >= vma.end) return;
  Vma upper = vma;
  upper.start = addr;
  upper.file_offset = vma.offset_of(addr);
  vma.end = addr;
  m_vmas.emplace(addr, std::move(upper));
}

namespace {
bool can_merge(const Vma& lo, const Vma& hi) {
  return lo.end == hi.start && lo.flags == hi.flags && lo.role == hi.role && lo.file == hi.file &&
         (lo.file == nullptr || lo.offset_of(lo.end) == hi.file_offset);
}
}  // namespace

AddressSpace::VmaIterator AddressSpace::merge_around(VmaIterator it) {
  auto next = std::next(it);
  if (next != m_vmas.end() && can_merge(it->second, next->second)) {
    it->second.end = next->second.end;
    m_vmas.erase(next);
  }
  if (it != m_vmas.begin()) {
    auto prev = std::prev(it);
    if (can_merge(prev->second, it->second)) {
      prev->second.end = it->second.end;
      m_vmas.erase(it);
      return prev;
    }
  }
  return it;
}

void AddressSpace::zap_range(u64 start, u64 end) {
  bool flush = false;
  for (u64 va = start; va < end;) {
    Pte* slot = m_page_table.entry(va, 2, x86_64::Allocate::No);
    if (!slot) {
      // No page table below this 2 MiB region: skip it whole.
      va = (va | (kHugePageSize - 1)) + 1;
      continue;
    }
    Pte* leaf = m_page_table.leaf_entry(va, x86_64::Allocate::No);
    if (leaf && !leaf->none()) {
      const Pte old = *leaf;
      *leaf = Pte();
      if (old.present() || old.soft_type() == Pte::SoftType::ProtNone) {
        if (old.present()) flush = true;
        if (old.pfn() != m_zero_page) m_frames.put(old.pfn());
      }
    }
    va += kPageSize;
  }
  if (flush) m_cpu.flush_tlb();
}

void AddressSpace::remove_vmas(u64 start, u64 end) {
  split_at(start);
  split_at(end);
  for (auto it = m_vmas.lower_bound(start); it != m_vmas.end() && it->second.start < end;)
    it = m_vmas.erase(it);
}

Result<u64> AddressSpace::map(const MapRequest& req) {
  const u64 len = req.length;
  if (len == 0 || !page_aligned(len) || len > kTaskSize) return abi::Errno::kENOMEM;
  u64 addr = 0;
  if (req.placement != MapPlacement::Hint) {
    addr = req.addr;
    if (addr + len > kTaskSize || addr + len < addr) return abi::Errno::kENOMEM;
    if (req.placement == MapPlacement::FixedNoReplace && !range_is_free(addr, addr + len))
      return abi::Errno::kEEXIST;
  } else {
    if (req.addr >= kMmapMinAddr && req.addr + len <= kTaskSize && req.addr + len > req.addr &&
        range_is_free(req.addr, req.addr + len))
      addr = req.addr;
    else
      addr = find_free_range(len, m_mmap_base);
    if (addr == 0) return abi::Errno::kENOMEM;
  }

  if (req.placement == MapPlacement::Fixed) {
    zap_range(addr, addr + len);
    remove_vmas(addr, addr + len);
    m_page_table.free_empty_tables(addr, addr + len);
  }

  Vma vma;
  vma.start = addr;
  vma.end = addr + len;
  vma.flags = vm_flags_from_prot(req.prot) | VM_MAYREAD | VM_MAYEXEC |
              (req.may_write ? u64{VM_MAYWRITE} : 0) | req.extra_flags |
              (req.shared ? u64{VM_SHARED | VM_MAYSHARE} : 0);
  vma.role = req.role;
  vma.file = req.file;
  vma.file_offset = req.offset;
  auto [it, inserted] = m_vmas.emplace(addr, std::move(vma));
  VERIFY(inserted);
  merge_around(it);
  return addr;
}

Result<void> AddressSpace::unmap(u64 addr, u64 length) {
  const u64 end = addr + page_round_up(length);
  zap_range(addr, end);
  remove_vmas(addr, end);
  m_page_table.free_empty_tables(addr, end);
  return {};
}

Pte AddressSpace::leaf_for(const Vma& vma, Pfn frame, bool writable) const {
  u64 bits = Pte::kUser | Pte::kAccessed;
  if (writable) bits |= Pte::kWritable;
  if (!(vma.flags & VM_EXEC)) bits |= Pte::kNoExecute;
  return Pte::leaf(PhysAddr(frame), bits);
}

void AddressSpace::change_protection(u64 start, u64 end, u64 flags) {
  const bool accessible = flags & kVmAccessFlags;
  bool flush = false;
  for (u64 va = start; va < end;) {
    if (!m_page_table.entry(va, 2, x86_64::Allocate::No)) {
      va = (va | (kHugePageSize - 1)) + 1;
      continue;
    }
    Pte* leaf = m_page_table.leaf_entry(va, x86_64::Allocate::No);
    if (leaf && !leaf->none()) {
      const Pte old = *leaf;
      const bool protnone = old.soft_type() == Pte::SoftType::ProtNone;
      if (old.present() || protnone) {
        const Pfn frame = protnone ? Pfn(old.soft_value()) : old.pfn();
        if (!accessible) {
          *leaf = Pte::soft(Pte::SoftType::ProtNone, frame.value);
        } else {
          // Write access comes back through a write fault, which re-checks sharing.
          Pte fresh =
              Pte::leaf(PhysAddr(frame), Pte::kUser | (old.raw() & (Pte::kAccessed | Pte::kDirty)));
          if (!(flags & VM_EXEC)) fresh = fresh.with(Pte::kNoExecute);
          const bool keep_write = old.present() && old.writable() && (flags & VM_WRITE);
          if (keep_write) fresh = fresh.with(Pte::kWritable);
          *leaf = fresh;
        }
        if (old.present()) flush = true;
      }
    }
    va += kPageSize;
  }
  if (flush) m_cpu.flush_tlb();
}

Result<void> AddressSpace::protect(u64 addr, u64 length, u64 prot) {
  const u64 end = addr + page_round_up(length);
  // Every page of the range must be mapped (Linux: ENOMEM otherwise), checked before any
  // change is made.
  for (u64 cursor = addr; cursor < end;) {
    const Vma* vma = find_vma(cursor);
    if (!vma) return abi::Errno::kENOMEM;
    // A shared file mapping of a read-only file cannot become writable.
    if ((prot & abi::kPROT_WRITE) && !(vma->flags & VM_MAYWRITE)) return abi::Errno::kEACCES;
    cursor = vma->end;
  }
  split_at(addr);
  split_at(end);
  const u64 access = vm_flags_from_prot(prot);
  for (auto it = m_vmas.lower_bound(addr); it != m_vmas.end() && it->second.start < end; ++it) {
    Vma& vma = it->second;
    vma.flags = (vma.flags & ~kVmAccessFlags) | access;
    change_protection(vma.start, vma.end, vma.flags);
  }
  // Neighbours that now look alike become one VMA again.
  for (auto it = m_vmas.lower_bound(addr); it != m_vmas.end() && it->second.start < end;) {
    it = merge_around(it);
    ++it;
  }
  return {};
}

Result<u64> AddressSpace::remap(u64 old_addr, u64 old_length, u64 new_length, u64 flags,
                                u64 new_addr) {
  old_length = page_round_up(old_length);
  new_length = page_round_up(new_length);
  const Vma* vma = find_vma(old_addr);
  if (!vma || old_addr + old_length > vma->end) return abi::Errno::kEFAULT;
  const bool fixed = flags & abi::kMREMAP_FIXED;

  if (!fixed && new_length <= old_length) {
    if (new_length < old_length) TRY(unmap(old_addr + new_length, old_length - new_length));
    return old_addr;
  }
  // Grow in place when the range right after is free and the VMA ends where we do.
  if (!fixed && vma->end == old_addr + old_length) {
    const u64 grow_end = old_addr + new_length;
    if (grow_end <= kTaskSize && grow_end > old_addr &&
        range_is_free(old_addr + old_length, grow_end)) {
      auto it = m_vmas.find(vma->start);
      it->second.end = grow_end;
      merge_around(it);
      return old_addr;
    }
  }
  if (!(flags & abi::kMREMAP_MAYMOVE)) return abi::Errno::kENOMEM;

  // Move: a new VMA elsewhere, the page-table entries carried over, the old range dropped.
  u64 dest = 0;
  if (fixed) {
    dest = new_addr;
    TRY(unmap(dest, new_length));
  } else {
    dest = find_free_range(new_length, m_mmap_base);
    if (dest == 0) return abi::Errno::kENOMEM;
  }
  Vma moved = *vma;
  moved.file_offset = vma->offset_of(old_addr);
  moved.start = dest;
  moved.end = dest + new_length;
  const u64 carry = std::min(old_length, new_length);
  for (u64 off = 0; off < carry; off += kPageSize) {
    Pte* from = m_page_table.leaf_entry(old_addr + off, x86_64::Allocate::No);
    if (!from || from->none()) continue;
    Pte* to = m_page_table.leaf_entry(dest + off, x86_64::Allocate::Yes);
    if (!to) return abi::Errno::kENOMEM;
    *to = *from;
    *from = Pte();
  }
  m_cpu.flush_tlb();
  // What was not carried (a shrinking move) is dropped with the old range.
  zap_range(old_addr, old_addr + old_length);
  remove_vmas(old_addr, old_addr + old_length);
  m_page_table.free_empty_tables(old_addr, old_addr + old_length);
  auto [it, inserted] = m_vmas.emplace(dest, std::move(moved));
  VERIFY(inserted);
  merge_around(it);
  return dest;
}

u64 AddressSpace::set_brk(u64 requested) {
  // Linux's brk(): a request below the start, or one that would collide, leaves the
  // break where it is; the call returns the current break either way.
  if (requested < m_brk_start) return m_brk;
  const u64 old_top = page_round_up(m_brk);
  const u64 new_top = page_round_up(requested);
  if (new_top < old_top) {
    (void)unmap(new_top, old_top - new_top);
  } else if (new_top > old_top) {
    if (new_top > kTaskSize || !range_is_free(old_top, new_top + kPageSize)) return m_brk;
    MapRequest req;
    req.addr = old_top;
    req.length = new_top - old_top;
    req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
    req.placement = MapPlacement::FixedNoReplace;
    req.role = VmaRole::Heap;
    if (!map(req).ok()) return m_brk;
  }
  m_brk = requested;
  return m_brk;
}

}  // namespace kernel::mm
