// The mlock family on an address space, after Linux 6.1's mm/mlock.c, and __mm_populate()
// that mlock, MAP_POPULATE and MAP_LOCKED share. Locked memory is the sum of the VM_LOCKED
// VMAs (Linux's mm->locked_vm counts the same pages); nothing is ever reclaimed from them.
#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;

u64 AddressSpace::locked_pages() const {
  u64 pages = 0;
  for (const auto& [start, vma] : m_vmas)
    if (vma.flags & VM_LOCKED) pages += vma.size() >> kPageShift;
  return pages;
}

u64 AddressSpace::locked_pages_in(u64 start, u64 end) const {
  u64 pages = 0;
  auto it = m_vmas.upper_bound(start);
  if (it != m_vmas.begin() && std::prev(it)->second.end > start) --it;
  for (; it != m_vmas.end() && it->second.start < end; ++it) {
    if (!(it->second.flags & VM_LOCKED)) continue;
    const u64 lo = std::max(start, it->second.start), hi = std::min(end, it->second.end);
    pages += (hi - lo) >> kPageShift;
  }
  return pages;
}

u64 AddressSpace::total_pages() const {
  u64 pages = 0;
  for (const auto& [start, vma] : m_vmas) pages += vma.size() >> kPageShift;
  return pages;
}

Result<void> AddressSpace::set_lock_flags(u64 start, u64 end, u64 lock_flags) {
  // Linux's apply_vma_lock_flags(): VMA by VMA; a hole ends the walk with ENOMEM and
  // leaves the VMAs before it changed.
  if (end < start) return abi::Errno::kEINVAL;
  if (end == start) return {};
  auto it = vma_from(start);
  if (it == m_vmas.end() || it->second.start > start) return abi::Errno::kENOMEM;
  for (u64 cursor = start;;) {
    const u64 flags = (it->second.flags & ~kVmLockedMask) | lock_flags;
    const u64 stop = std::min(it->second.end, end);
    TRY(set_vma_flags(it, cursor, stop, flags));
    cursor = stop;
    if (cursor >= end) return {};
    it = vma_from(cursor);
    // The changed part may have merged with the VMA after it: go on past that one.
    if (it != m_vmas.end() && it->second.start < cursor) {
      cursor = it->second.end;
      if (cursor >= end) return {};
      it = vma_from(cursor);
    }
    if (it == m_vmas.end() || it->second.start != cursor) return abi::Errno::kENOMEM;
  }
}

void AddressSpace::lock_all(int mcl_flags) {
  // apply_mlockall_flags(): MCL_FUTURE sets the flags new mappings get; MCL_CURRENT locks
  // every VMA now. Errors on single VMAs are ignored, as Linux does.
  m_def_flags &= ~kVmLockedMask;
  u64 to_add = 0;
  if (mcl_flags & abi::kMCL_FUTURE) {
    m_def_flags |= VM_LOCKED;
    if (mcl_flags & abi::kMCL_ONFAULT) m_def_flags |= VM_LOCKONFAULT;
    if (!(mcl_flags & abi::kMCL_CURRENT)) return;
  }
  if (mcl_flags & abi::kMCL_CURRENT) {
    to_add = VM_LOCKED;
    if (mcl_flags & abi::kMCL_ONFAULT) to_add |= VM_LOCKONFAULT;
  }
  for (auto it = m_vmas.begin(); it != m_vmas.end();) {
    const u64 start = it->second.start, end = it->second.end;
    (void)set_vma_flags(it, start, end, (it->second.flags & ~kVmLockedMask) | to_add);
    it = m_vmas.lower_bound(end);
  }
}

void AddressSpace::unlock_all() {
  m_def_flags &= ~kVmLockedMask;
  for (auto it = m_vmas.begin(); it != m_vmas.end();) {
    const u64 start = it->second.start, end = it->second.end;
    (void)set_vma_flags(it, start, end, it->second.flags & ~kVmLockedMask);
    it = m_vmas.lower_bound(end);
  }
}

Result<void> AddressSpace::mlock(u64 start, u64 len, u64 lock_flags, LockLimit limit) {
  // do_mlock(): RLIMIT_MEMLOCK counts the pages already locked, less those of this range.
  if (!limit.may_lock()) return abi::Errno::kEPERM;
  const u64 offset = start & (kPageSize - 1);
  const u64 length = page_round_up(len + offset);
  start -= offset;
  u64 locked = (length >> kPageShift) + locked_pages();
  if (!limit.allows(locked)) {
    // Clamped so that a range that wraps still reaches set_lock_flags()'s EINVAL.
    locked -= locked_pages_in(start, start + length < start ? ~u64{0} : start + length);
    if (!limit.allows(locked)) return abi::Errno::kENOMEM;
  }
  TRY(set_lock_flags(start, start + length, lock_flags));
  // __mlock_posix_error_return(): EFAULT becomes ENOMEM and ENOMEM becomes EAGAIN.
  const auto populated = populate(start, start + length, PopulateErrors::Stop);
  if (!populated.ok())
    return populated.error() == abi::Errno::kEFAULT ? abi::Errno::kENOMEM : abi::Errno::kEAGAIN;
  return {};
}

Result<void> AddressSpace::mlockall(int flags, LockLimit limit) {
  constexpr int kAll = abi::kMCL_CURRENT | abi::kMCL_FUTURE | abi::kMCL_ONFAULT;
  if (flags == 0 || (flags & ~kAll) || flags == abi::kMCL_ONFAULT) return abi::Errno::kEINVAL;
  if (!limit.may_lock()) return abi::Errno::kEPERM;
  if ((flags & abi::kMCL_CURRENT) && !limit.allows(total_pages())) return abi::Errno::kENOMEM;
  lock_all(flags);
  // mm_populate(): errors are ignored.
  if (flags & abi::kMCL_CURRENT) (void)populate(0, kTaskSize, PopulateErrors::SkipVma);
  return {};
}

Result<void> AddressSpace::populate(u64 start, u64 end, PopulateErrors errors) {
  for (u64 cursor = start; cursor < end;) {
    auto it = vma_from(cursor);
    if (it == m_vmas.end() || it->second.start >= end) break;
    const Vma& vma = it->second;
    cursor = std::max(cursor, vma.start);
    const u64 stop = std::min(end, vma.end);
    const u64 flags = vma.flags;
    // populate_vma_page_range(): lock-on-fault VMAs fill as they are touched; writable
    // private memory is faulted for writing (to break COW), the rest for reading; a
    // PROT_NONE VMA cannot be populated.
    const Result<void> done = populate_vma(cursor, stop, flags);
    if (!done.ok() && errors == PopulateErrors::Stop) return done;
    cursor = stop;
  }
  return {};
}

Result<void> AddressSpace::populate_vma(u64 start, u64 end, u64 vma_flags) {
  if (vma_flags & VM_LOCKONFAULT) return {};
  if (!(vma_flags & kVmAccessFlags)) return abi::Errno::kEFAULT;
  const bool write = (vma_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
  const u32 code = kFaultUser | (write ? kFaultWrite : 0);
  for (u64 page = start; page < end; page += kPageSize) {
    Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::No);
    const bool present = slot && slot->present();
    if (present && (!write || slot->writable())) continue;
    const FaultResult r = handle_fault(page, code | (present ? kFaultPresent : 0));
    if (r.replaced_present) m_mm.flush_tlb("cow", page, page + kPageSize);
    if (r.resolution == FaultResolution::OutOfMemory) return abi::Errno::kENOMEM;
    if (!r.handled()) return abi::Errno::kEFAULT;
  }
  return {};
}

}  // namespace kernel::mm
