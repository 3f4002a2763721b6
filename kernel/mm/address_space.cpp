#include "kernel/mm/address_space.h"

#include <cstring>

#include "kernel/fs/file.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/memory_object.h"

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
      m_page_table(mm.ram(), mm.frames()) {
  m_mm.add_address_space(this);
}

AddressSpace::~AddressSpace() {
  for (const auto& [start, vma] : m_vmas) zap_range(vma.start, vma.end);
  // A partial fork child may hold a deposit its huge entry never got.
  while (m_deposited > 0) m_frames.free(withdraw_table());
  m_mm.remove_address_space(this);
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
  // just above the gap under consideration (or end()). Searches from mmap_base resume
  // below the last range found while no gap skipped above it could hold the request
  // (the free-area cache Linux had before its gap-augmented tree), so a long run of
  // mmaps does not walk every earlier mapping again. Freeing a VMA resets the cache.
  const bool from_base = below == m_mmap_base;
  const bool resume = from_base && m_free_cache_below != 0 && length > m_free_cache_hole;
  u64 gap_end = resume ? m_free_cache_below : below;
  u64 largest_skipped = resume ? m_free_cache_hole : 0;
  auto it = m_vmas.lower_bound(gap_end);
  while (true) {
    const u64 gap_start = it == m_vmas.begin() ? kMmapMinAddr : std::prev(it)->second.end;
    u64 limit = gap_end;
    // A stack that grows down keeps its guard gap free below it.
    if (it != m_vmas.end() && it->second.start == gap_end && (it->second.flags & VM_GROWSDOWN))
      limit = gap_end > kStackGuardGap ? gap_end - kStackGuardGap : 0;
    const u64 usable = limit > gap_start ? limit - gap_start : 0;
    if (usable >= length) {
      if (from_base) {
        m_free_cache_below = limit;
        m_free_cache_hole = largest_skipped;
      }
      return limit - length;
    }
    largest_skipped = std::max(largest_skipped, usable);
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
  // vma_adjust_trans_huge(): a boundary inside a huge entry splits it.
  if (addr & kHugeMask) split_huge_pmd(addr);
  Vma upper = vma;
  upper.start = addr;
  upper.file_offset = vma.offset_of(addr);
  vma.end = addr;
  m_vmas.emplace(addr, std::move(upper));
}

namespace {
// Linux's is_mergeable_vma() and the offsets that must line up.
bool can_merge(const Vma& lo, const Vma& hi) {
  // VM_SOFTDIRTY does not keep VMAs apart; the merged VMA is soft-dirty if either was.
  return lo.end == hi.start && ((lo.flags ^ hi.flags) & ~u64{VM_SOFTDIRTY}) == 0 &&
         lo.role == hi.role && lo.file == hi.file && lo.object == hi.object &&
         (lo.object == nullptr || lo.offset_of(lo.end) == hi.file_offset) && lo.policy == hi.policy;
}
}  // namespace

AddressSpace::VmaIterator AddressSpace::merge_around(VmaIterator it) {
  auto next = std::next(it);
  if (next != m_vmas.end() && can_merge(it->second, next->second)) {
    it->second.end = next->second.end;
    it->second.flags |= next->second.flags & VM_SOFTDIRTY;
    m_vmas.erase(next);
  }
  if (it != m_vmas.begin()) {
    auto prev = std::prev(it);
    if (can_merge(prev->second, it->second)) {
      prev->second.end = it->second.end;
      prev->second.flags |= it->second.flags & VM_SOFTDIRTY;
      m_vmas.erase(it);
      return prev;
    }
  }
  return it;
}

namespace {
// The frame a leaf maps, present or kept under PROT_NONE.
bool maps_frame(Pte pte) {
  return pte.present() || pte.soft_type() == Pte::SoftType::ProtNone;
}
Pfn mapped_frame(Pte pte) {
  return pte.present() ? pte.pfn() : Pfn(pte.soft_value());
}
}  // namespace

void AddressSpace::set_leaf(Pte* slot, u64 va, Pte leaf) {
  const Pfn frame = leaf.pfn();
  *slot = leaf;
  // The zero page is never counted or reverse-mapped (as in Linux).
  if (frame == m_zero_page) return;
  m_mm.rmap().add(frame, this, va);
  // A page joins the LRU lists when first mapped (object pages when added to the object);
  // a huge page is on them by its head.
  if (!(m_mm.frame(frame).flags & (PG_lru | PG_tail))) m_mm.lru().add(frame);
}

bool AddressSpace::drop_leaf(Pte* slot, u64 va) {
  const Pte old = *slot;
  *slot = Pte();
  if (old.soft_type() == Pte::SoftType::Swap) {
    m_mm.free_swap_entry(old.soft_value());
    return false;
  }
  if (!maps_frame(old)) return false;
  const Pfn frame = mapped_frame(old);
  if (frame != m_zero_page) {
    // A shared page's dirty bit belongs to its object: keep it before the entry goes.
    if (old.present() && old.dirty()) {
      PageFrame& record = m_mm.frame(frame);
      if (record.owner) record.set(PG_dirty);
    }
    m_mm.rmap().remove(frame, this, va);
    m_frames.put(frame);
  }
  return old.present();
}

void AddressSpace::flush_tlb(const char* reason, u64 start, u64 end) {
  m_mm.flush_tlb(reason, start, end);
}

void AddressSpace::unmap_page(u64 va, Pfn pfn) {
  Pte* leaf = m_page_table.leaf_entry(va, x86_64::Allocate::No);
  if (!leaf || !maps_frame(*leaf) || mapped_frame(*leaf) != pfn) return;
  if (drop_leaf(leaf, va)) m_mm.flush_tlb("rmap-unmap", va, va + kPageSize);
}

void AddressSpace::poison_entry(u64 va, Pfn pfn) {
  Pte* leaf = m_page_table.leaf_entry(va, x86_64::Allocate::No);
  if (!leaf || !maps_frame(*leaf) || mapped_frame(*leaf) != pfn) return;
  const bool present = drop_leaf(leaf, va);
  *leaf = Pte::soft(Pte::SoftType::HwPoison, pfn.value);
  if (present) m_mm.flush_tlb("hwpoison", va, va + kPageSize);
}

void AddressSpace::replace_frame(u64 va, Pfn from, Pfn to) {
  Pte* leaf = m_page_table.leaf_entry(va, x86_64::Allocate::No);
  if (!leaf || !maps_frame(*leaf) || mapped_frame(*leaf) != from) return;
  const Pte old = *leaf;
  if (old.present())
    *leaf = Pte((old.raw() & ~Pte::kAddressMask) | (PhysAddr(to).value & Pte::kAddressMask));
  else
    *leaf = Pte::soft(Pte::SoftType::ProtNone, to.value);
  m_mm.rmap().remove(from, this, va);
  m_mm.rmap().add(to, this, va);
  m_frames.get(to);
  m_frames.put(from);
  if (old.present()) m_mm.flush_tlb("soft-offline", va, va + kPageSize);
}

void AddressSpace::zap_object_range(const MemoryObject* object, u64 first, u64 last) {
  for (const auto& [start, vma] : m_vmas) {
    if (vma.object.get() != object) continue;
    const u64 vma_first = vma.page_index(vma.start);
    const u64 vma_last = vma.page_index(vma.end - 1);
    if (last < vma_first || first > vma_last) continue;
    const u64 from = vma.start + ((std::max(first, vma_first) - vma_first) << kPageShift);
    const u64 to = vma.start + ((std::min(last, vma_last) - vma_first + 1) << kPageShift);
    zap_range(from, to);
  }
}

bool AddressSpace::clean_entry(u64 va) {
  Pte* leaf = m_page_table.leaf_entry(va, x86_64::Allocate::No);
  if (!leaf || !leaf->present() || !leaf->dirty()) return false;
  *leaf = leaf->without(Pte::kDirty);
  return true;
}

bool AddressSpace::page_resident(u64 va) {
  const Vma* vma = find_vma(va);
  if (!vma) return false;
  // mincore_pte_range: migration and hwpoison entries are "always uptodate".
  if (m_page_table.lookup(va).pte.soft_type() == Pte::SoftType::HwPoison) return true;
  if (!vma->anonymous()) return vma->object->find_page(vma->page_index(va)).has_value();
  const Pte pte = m_page_table.lookup(va).pte;
  // A swapped page counts while the swap cache holds it in RAM (as Linux's mincore).
  if (pte.soft_type() == Pte::SoftType::Swap)
    return m_mm.swap().cached(pte.soft_value()).has_value();
  return pte.present();
}

void AddressSpace::zap_range(u64 start, u64 end) {
  bool flush = zap_huge_in(start, end);
  m_page_table.for_each_leaf(start, end, [&](u64 va, Pte& leaf) {
    if (drop_leaf(&leaf, va)) flush = true;
  });
  if (flush) m_mm.flush_tlb("unmap", start, end);
}

void AddressSpace::remove_vmas(u64 start, u64 end) {
  m_free_cache_below = 0;  // the freed range may be a gap above the cached search point
  split_at(start);
  split_at(end);
  for (auto it = m_vmas.lower_bound(start); it != m_vmas.end() && it->second.start < end;)
    it = m_vmas.erase(it);
}

u64 AddressSpace::find_free_range_bottom_up(u64 length, u64 low, u64 high) const {
  if (length > high || low > high - length) return 0;
  u64 gap_start = low;
  auto it = m_vmas.upper_bound(low);
  if (it != m_vmas.begin() && std::prev(it)->second.end > low) --it;
  for (; it != m_vmas.end() && it->second.start < high; ++it) {
    if (it->second.start >= gap_start && it->second.start - gap_start >= length) return gap_start;
    gap_start = std::max(gap_start, it->second.end);
  }
  return gap_start <= high - length ? gap_start : 0;
}

Result<u64> AddressSpace::map(const MapRequest& req) {
  const u64 len = req.length;
  if (len == 0 || !page_aligned(len) || len > kTaskSize) return abi::Errno::kENOMEM;
  // do_mmap() refuses only once the count is already past the limit.
  if (m_vmas.size() > m_max_map_count) return abi::Errno::kENOMEM;
  u64 addr = 0;
  if (req.placement != MapPlacement::Hint) {
    addr = req.addr;
    if (addr > kTaskSize - len) return abi::Errno::kENOMEM;
    if (req.placement == MapPlacement::FixedNoReplace && !range_is_free(addr, addr + len))
      return abi::Errno::kEEXIST;
  } else if (req.below_2g) {
    // x86-64's MAP_32BIT: the hint if it fits below 2 GiB, else bottom-up from 1 GiB.
    if (req.addr != 0 && req.addr <= kMap32BitEnd - len && range_is_free(req.addr, req.addr + len))
      addr = req.addr;
    else
      addr = find_free_range_bottom_up(len, kMap32BitBegin, kMap32BitEnd);
    if (addr == 0) return abi::Errno::kENOMEM;
  } else {
    if (req.addr >= kMmapMinAddr && req.addr <= kTaskSize - len &&
        range_is_free(req.addr, req.addr + len))
      addr = req.addr;
    else
      addr = find_free_range(len, m_mmap_base);
    if (addr == 0) return abi::Errno::kENOMEM;
  }

  std::shared_ptr<MemoryObject> object = req.object;
  if (!object && req.file) object = TRY(req.file->memory_object(m_mm));
  const u64 flags = vm_flags_from_prot(req.prot) | VM_MAYREAD | VM_MAYEXEC |
                    (req.may_write ? u64{VM_MAYWRITE} : 0) | req.extra_flags | m_def_flags |
                    (req.shared ? u64{VM_SHARED | VM_MAYSHARE} : 0) |
                    // mmap_region(): a new mapping is new data to a soft-dirty tracker, even
                    // where it replaces or merges with an old one.
                    VM_SOFTDIRTY;
  // mlock_future_check(): a locked mapping must fit under RLIMIT_MEMLOCK.
  if ((flags & VM_LOCKED) && !req.lock_limit.allows(locked_pages() + (len >> kPageShift)))
    return abi::Errno::kEAGAIN;
  if (req.placement == MapPlacement::Fixed) TRY(unmap(addr, len));

  Vma vma;
  vma.start = addr;
  vma.end = addr + len;
  vma.flags = flags;
  vma.role = req.role;
  vma.file = req.file;
  vma.object = std::move(object);
  vma.file_offset = req.offset;
  auto [it, inserted] = m_vmas.emplace(addr, std::move(vma));
  VERIFY(inserted);
  merge_around(it);
  return addr;
}

Result<void> AddressSpace::unmap(u64 addr, u64 length) {
  // Linux's do_mas_munmap(): the range is checked before any rounding or adding.
  if (!page_aligned(addr) || addr > kTaskSize || length > kTaskSize - addr)
    return abi::Errno::kEINVAL;
  const u64 end = addr + page_round_up(length);
  if (end == addr) return abi::Errno::kEINVAL;
  // Splitting one VMA in two may not leave the count past the limit.
  auto it = vma_from(addr);
  if (it != m_vmas.end() && it->second.start < addr && end < it->second.end &&
      m_vmas.size() >= m_max_map_count)
    return abi::Errno::kENOMEM;
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
  bool flush = protect_huge_in(start, end, flags);
  m_page_table.for_each_leaf(start, end, [&](u64, Pte& leaf) {
    const Pte old = leaf;
    const bool protnone = old.soft_type() == Pte::SoftType::ProtNone;
    if (!old.present() && !protnone) return;
    const Pfn frame = protnone ? Pfn(old.soft_value()) : old.pfn();
    if (!accessible) {
      leaf = Pte::soft(Pte::SoftType::ProtNone, frame.value).with(old.raw() & Pte::kSoftDirty);
    } else {
      // Write access comes back through a write fault, which re-checks sharing.
      Pte fresh =
          Pte::leaf(PhysAddr(frame),
                    Pte::kUser | (old.raw() & (Pte::kAccessed | Pte::kDirty | Pte::kSoftDirty)));
      if (!(flags & VM_EXEC)) fresh = fresh.with(Pte::kNoExecute);
      const bool keep_write = old.present() && old.writable() && (flags & VM_WRITE);
      if (keep_write) fresh = fresh.with(Pte::kWritable);
      leaf = fresh;
    }
    if (old.present()) flush = true;
  });
  if (flush) m_mm.flush_tlb("protect", start, end);
}

Result<void> AddressSpace::set_vma_flags(VmaIterator it, u64 start, u64 end, u64 flags,
                                         const MemPolicy* policy) {
  Vma& vma = it->second;
  if (vma.flags == flags && (!policy || vma.policy == *policy)) return {};
  const bool split_low = start > vma.start, split_high = end < vma.end;
  // The part that changes, as it would look: it may merge with a neighbour instead of
  // splitting off (vma_merge() runs before split_vma()).
  Vma part = vma;
  part.start = start;
  part.end = end;
  part.file_offset = vma.offset_of(start);
  part.flags = flags;
  if (policy) part.policy = *policy;
  const u64 count = m_vmas.size();
  if (split_low && split_high) {
    if (count >= m_max_map_count) return abi::Errno::kENOMEM;
    if (count + 1 >= m_max_map_count) {
      split_at(start);  // Linux has made the first split when the second fails
      return abi::Errno::kENOMEM;
    }
  } else if (split_low) {
    auto next = std::next(it);
    const bool merges = next != m_vmas.end() && can_merge(part, next->second);
    if (!merges && count >= m_max_map_count) return abi::Errno::kENOMEM;
  } else if (split_high) {
    const bool merges = it != m_vmas.begin() && can_merge(std::prev(it)->second, part);
    if (!merges && count >= m_max_map_count) return abi::Errno::kENOMEM;
  }
  split_at(start);
  split_at(end);
  auto changed = m_vmas.find(start);
  changed->second.flags = flags;
  if (policy) changed->second.policy = *policy;
  merge_around(changed);
  return {};
}

Result<void> AddressSpace::set_policy(u64 start, u64 end, const MemPolicy& policy,
                                      bool holes_allowed) {
  // queue_pages_range's checks: a range wholly in a hole is EFAULT, and so is any hole
  // unless the policy is the default (MPOL_MF_DISCONTIG_OK).
  auto first = vma_from(start);
  if (first == m_vmas.end() || first->second.start >= end) return abi::Errno::kEFAULT;
  if (!holes_allowed) {
    u64 covered = start;
    for (auto it = first; it != m_vmas.end() && it->second.start < end; ++it) {
      if (it->second.start > covered) return abi::Errno::kEFAULT;
      covered = it->second.end;
    }
    if (covered < end) return abi::Errno::kEFAULT;
  }
  // mbind_range: each VMA's part of the range takes the policy, split off and merged as
  // vma_merge and split_vma do.
  for (auto it = first; it != m_vmas.end() && it->second.start < end;) {
    const u64 from = std::max(start, it->second.start);
    const u64 to = std::min(end, it->second.end);
    TRY(set_vma_flags(it, from, to, it->second.flags, &policy));
    if (to >= end) break;
    it = vma_from(to);
  }
  return {};
}

Result<void> AddressSpace::protect(u64 addr, u64 length, u64 prot) {
  // Linux's do_mprotect_pkey(), VMA by VMA.
  u64 start = addr;
  const u64 end = addr + length;
  auto it = vma_from(start);
  if (it == m_vmas.end()) return abi::Errno::kENOMEM;
  if (prot & abi::kPROT_GROWSDOWN) {
    if (it->second.start >= end) return abi::Errno::kENOMEM;
    start = it->second.start;
    if (!(it->second.flags & VM_GROWSDOWN)) return abi::Errno::kEINVAL;
  } else {
    if (it->second.start > start) return abi::Errno::kENOMEM;
    if (prot & abi::kPROT_GROWSUP) return abi::Errno::kEINVAL;  // no VM_GROWSUP on x86
  }
  const u64 access = vm_flags_from_prot(prot);
  for (u64 cursor = start;;) {
    const u64 flags = (it->second.flags & ~kVmAccessFlags) | access;
    // Each VM_READ/WRITE/EXEC needs its VM_MAY* bit (a read-only shared file: EACCES).
    if ((flags & ~(flags >> 4)) & kVmAccessFlags) return abi::Errno::kEACCES;
    const u64 stop = std::min(it->second.end, end);
    TRY(set_vma_flags(it, cursor, stop, flags));
    change_protection(cursor, stop, flags);
    cursor = stop;
    if (cursor >= end) break;
    it = vma_from(cursor);
    // The changed part may have merged with the VMA after it: go on past that one.
    if (it != m_vmas.end() && it->second.start < cursor) {
      cursor = it->second.end;
      if (cursor >= end) break;
      it = vma_from(cursor);
    }
    if (it == m_vmas.end() || it->second.start != cursor) return abi::Errno::kENOMEM;
  }
  return {};
}

u64 AddressSpace::set_brk(u64 requested, LockLimit lock_limit) {
  // Linux's brk(): a request below the start, or one that cannot be met, leaves the
  // break where it is; the call returns the current break either way. A request past
  // TASK_SIZE would wrap when rounded up and is refused before any rounding.
  if (requested < m_brk_start || requested > kTaskSize) return m_brk;
  const u64 old_top = page_round_up(m_brk);
  const u64 new_top = page_round_up(requested);
  if (new_top == old_top) {
    m_brk = requested;
    return m_brk;
  }
  if (requested <= m_brk) {
    if (!unmap(new_top, old_top - new_top).ok()) return m_brk;
    m_brk = requested;
    return m_brk;
  }
  if (new_top > kTaskSize || !range_is_free(old_top, new_top + kPageSize)) return m_brk;
  MapRequest req;
  req.addr = old_top;
  req.length = new_top - old_top;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  req.placement = MapPlacement::FixedNoReplace;
  req.role = VmaRole::Heap;
  req.lock_limit = lock_limit;
  if (!map(req).ok()) return m_brk;
  // After mlockall(MCL_FUTURE) the new heap is faulted in at once.
  if ((m_def_flags & kVmLockedMask) == VM_LOCKED)
    (void)populate(old_top, new_top, PopulateErrors::SkipVma);
  m_brk = requested;
  return m_brk;
}

}  // namespace kernel::mm
