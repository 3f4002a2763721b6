// Memory syscalls: decode and validate as Linux 6.1 does, then hand the work to the
// address space.
#include "kernel/syscalls/sys_mm.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "kernel/abi/linux.h"
#include "kernel/fs/devices.h"
#include "kernel/fs/file.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/advice.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/swap.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

// RLIMIT_MEMLOCK of the calling process, and whether CAP_IPC_LOCK lifts it.
mm::LockLimit lock_limit(const SyscallContext& ctx) {
  return {ctx.process.rlimits()[abi::kRLIMIT_MEMLOCK].cur,
          capable(ctx.process.creds(), cap::kIpcLock)};
}

}  // namespace

Result<i64> sys_mmap(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], len = args.a[1], prot = args.a[2], flags = args.a[3];
  const int fd = static_cast<int>(args.a[4]);
  const u64 offset = args.a[5];
  // In the order of Linux 6.1: the x86 entry, ksys_mmap_pgoff(), do_mmap(),
  // get_unmapped_area().
  if (!page_aligned(offset)) return Errno::kEINVAL;
  std::shared_ptr<fs::File> file;
  if (!(flags & abi::kMAP_ANONYMOUS)) {
    file = TRY(ctx.process.fds().get(fd));
    if (flags & abi::kMAP_HUGETLB) return Errno::kEINVAL;  // not a hugetlbfs file
  } else if (flags & abi::kMAP_HUGETLB) {
    return Errno::kENOMEM;  // no huge pages are reserved
  }
  if (len == 0) return Errno::kEINVAL;
  const bool fixed = flags & (abi::kMAP_FIXED | abi::kMAP_FIXED_NOREPLACE);
  const u64 length = page_round_up(len);
  if (length == 0) return Errno::kENOMEM;
  if ((offset >> kPageShift) + (length >> kPageShift) < (offset >> kPageShift))
    return Errno::kEOVERFLOW;
  if (length > mm::kTaskSize) return Errno::kENOMEM;
  u64 hint = page_round_down(addr);
  if (fixed) {
    if (addr > mm::kTaskSize - length) return Errno::kENOMEM;
    if (!page_aligned(addr)) return Errno::kEINVAL;
    if (addr < mm::kMmapMinAddr) return Errno::kEPERM;
    hint = addr;
  } else if (hint != 0 && hint < mm::kMmapMinAddr) {
    hint = mm::kMmapMinAddr;  // round_hint_to_min()
  }
  const mm::LockLimit limit = lock_limit(ctx);
  if ((flags & abi::kMAP_LOCKED) && !limit.may_lock()) return Errno::kEPERM;

  mm::MapRequest req;
  req.addr = hint;
  req.length = length;
  req.prot = prot & (abi::kPROT_READ | abi::kPROT_WRITE | abi::kPROT_EXEC);
  req.placement = (flags & abi::kMAP_FIXED)             ? mm::MapPlacement::Fixed
                  : (flags & abi::kMAP_FIXED_NOREPLACE) ? mm::MapPlacement::FixedNoReplace
                                                        : mm::MapPlacement::Hint;
  req.below_2g = flags & abi::kMAP_32BIT;
  req.lock_limit = limit;
  if (flags & abi::kMAP_GROWSDOWN) req.extra_flags |= mm::VM_GROWSDOWN;
  if (flags & abi::kMAP_LOCKED) req.extra_flags |= mm::VM_LOCKED;
  if (flags & abi::kMAP_NORESERVE) req.extra_flags |= mm::VM_NORESERVE;
  const u64 type = flags & abi::kMAP_TYPE;
  if (file) {
    switch (type) {
      case abi::kMAP_SHARED_VALIDATE:
        // None of emu's files supports a flag beyond the legacy set (such as MAP_SYNC).
        if (flags & ~abi::kLEGACY_MAP_MASK) return Errno::kEOPNOTSUPP;
        [[fallthrough]];
      case abi::kMAP_SHARED:
        // A shared writable mapping writes the file: it must be open for writing, and a
        // shared mapping of a file not open for writing may never become writable.
        if ((prot & abi::kPROT_WRITE) && !file->writable()) return Errno::kEACCES;
        // A write-sealed memfd: no shared writable mapping, now or through mprotect
        // (seal_check_future_write clears VM_MAYWRITE).
        if (auto sealed = file->check_shared_writable_map(); !sealed.ok()) {
          if (prot & abi::kPROT_WRITE) return sealed.error();
          req.may_write = false;
        } else {
          req.may_write = file->writable();
        }
        req.shared = true;
        [[fallthrough]];
      case abi::kMAP_PRIVATE:
        if ((file->status_flags & abi::kO_ACCMODE) == abi::kO_WRONLY) return Errno::kEACCES;
        if (!file->mappable()) return Errno::kENODEV;
        if (flags & abi::kMAP_GROWSDOWN) return Errno::kEINVAL;
        break;
      default:
        return Errno::kEINVAL;
    }
    // file_mmap_ok(): the mapped range must end within the largest file size.
    constexpr u64 kMaxFileSize = ~u64{0} >> 1;  // MAX_LFS_FILESIZE
    if (offset > kMaxFileSize - length) return Errno::kEOVERFLOW;
    req.file = file;
    req.offset = offset;
    if (fs::is_dev_zero(*file)) {
      // /dev/zero maps as anonymous memory: a shared mapping is a shmem object of its
      // own (shmem_zero_setup), a private one plain private anonymous memory.
      req.offset = 0;
      if (req.shared) {
        auto object =
            std::make_shared<mm::MemoryObject>(ctx.kernel.memory(), mm::ObjectKind::SharedAnon);
        TRY(object->resize(length));
        req.object = std::move(object);
      } else {
        req.file = nullptr;
      }
    }
  } else {
    switch (type) {
      case abi::kMAP_SHARED:
        if (flags & abi::kMAP_GROWSDOWN) return Errno::kEINVAL;
        req.shared = true;
        break;
      case abi::kMAP_PRIVATE:
        break;
      default:
        return Errno::kEINVAL;  // MAP_SHARED_VALIDATE included, as on Linux 6.1
    }
    if (req.shared) {
      // Shared anonymous memory is one object (shmem) the size of the mapping, so that
      // its pages outlive MADV_DONTNEED and are shared with children across fork.
      auto object =
          std::make_shared<mm::MemoryObject>(ctx.kernel.memory(), mm::ObjectKind::SharedAnon);
      TRY(object->resize(length));
      req.object = std::move(object);
    }
  }
  auto& as = ctx.process.address_space();
  const u64 placed = TRY(as.map(req));
  const u64 vm_flags = as.find_vma(placed)->flags;
  if ((vm_flags & mm::VM_LOCKED) ||
      (flags & (abi::kMAP_POPULATE | abi::kMAP_NONBLOCK)) == abi::kMAP_POPULATE) {
    // Errors are ignored, as Linux's mm_populate() does for mmap.
    (void)as.populate(placed, placed + length, mm::AddressSpace::PopulateErrors::SkipVma);
  }
  return static_cast<i64>(placed);
}

Result<i64> sys_munmap(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(ctx.process.address_space().unmap(args.a[0], args.a[1]));
  return 0;
}

Result<i64> sys_mprotect(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], len = args.a[1], prot = args.a[2];
  constexpr u64 kGrows = abi::kPROT_GROWSDOWN | abi::kPROT_GROWSUP;
  if ((prot & kGrows) == kGrows) return Errno::kEINVAL;
  if (!page_aligned(addr)) return Errno::kEINVAL;
  if (len == 0) return 0;
  const u64 length = page_round_up(len);
  if (length == 0 || addr + length <= addr) return Errno::kENOMEM;
  constexpr u64 kProtSem = 0x8;  // PROT_SEM: accepted, and means nothing on x86
  constexpr u64 kKnownProt =
      abi::kPROT_READ | abi::kPROT_WRITE | abi::kPROT_EXEC | kProtSem | kGrows;
  if (prot & ~kKnownProt) return Errno::kEINVAL;
  // No VMA lies at or above TASK_SIZE: a non-canonical or kernel address finds none.
  if (addr >= mm::kTaskSize) return Errno::kENOMEM;
  TRY(ctx.process.address_space().protect(addr, length, prot));
  return 0;
}

Result<i64> sys_brk(SyscallContext& ctx, const SyscallArgs& args) {
  return static_cast<i64>(ctx.process.address_space().set_brk(args.a[0], lock_limit(ctx)));
}

Result<i64> sys_mremap(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], old_len = args.a[1], new_len = args.a[2], flags = args.a[3],
            new_addr = args.a[4];
  if (flags & ~(abi::kMREMAP_MAYMOVE | abi::kMREMAP_FIXED | abi::kMREMAP_DONTUNMAP))
    return Errno::kEINVAL;
  if ((flags & abi::kMREMAP_FIXED) && !(flags & abi::kMREMAP_MAYMOVE)) return Errno::kEINVAL;
  // MREMAP_DONTUNMAP always moves and never resizes.
  if ((flags & abi::kMREMAP_DONTUNMAP) && (!(flags & abi::kMREMAP_MAYMOVE) || old_len != new_len))
    return Errno::kEINVAL;
  if (!page_aligned(addr)) return Errno::kEINVAL;
  // PAGE_ALIGN wraps a huge old_len to 0 or a small value exactly as Linux's does.
  const u64 old_length = page_round_up(old_len), new_length = page_round_up(new_len);
  if (new_length == 0) return Errno::kEINVAL;
  if (addr >= mm::kTaskSize) return Errno::kEFAULT;  // vma_lookup() finds nothing there
  const u64 moved = TRY(ctx.process.address_space().remap(addr, old_length, new_length, flags,
                                                          new_addr, lock_limit(ctx)));
  return static_cast<i64>(moved);
}

Result<i64> sys_mincore(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], len = args.a[1], vec = args.a[2];
  if (!page_aligned(addr)) return Errno::kEINVAL;
  // access_ok() on both ranges before anything else.
  if (len > mm::kTaskSize || addr > mm::kTaskSize - len) return Errno::kENOMEM;
  const u64 pages = (len >> kPageShift) + ((len & (kPageSize - 1)) != 0);
  if (pages > mm::kTaskSize || vec > mm::kTaskSize - pages) return Errno::kEFAULT;
  auto& as = ctx.process.address_space();
  const mm::SwapDevice& swap = ctx.kernel.memory().swap();
  u8 chunk[256];
  for (u64 done = 0; done < pages;) {
    const u64 va = addr + (done << kPageShift);
    const mm::Vma* vma = as.find_vma(va);
    if (!vma) return Errno::kENOMEM;
    const u64 count = std::min<u64>({sizeof(chunk), pages - done, (vma->end - va) >> kPageShift});
    // A page is resident when its frame is mapped, PROT_NONE included (pte_present());
    // an unmapped page of an object-backed VMA when the object holds it (page cache); a
    // swapped-out page while the swap cache still holds it in RAM (mincore_page()); a
    // hwpoison entry always (mincore_pte_range's non_swap_entry case).
    for (u64 i = 0; i < count; ++i)
      chunk[i] = vma->anonymous()
                     ? 0
                     : vma->object->find_page(vma->page_index(va + (i << kPageShift))).has_value();
    // A huge entry makes each of its pages resident (mincore_huge_pmd).
    as.page_table().for_each_huge(va, va + (count << kPageShift), [&](u64 haddr, x86_64::Pte&) {
      const u64 from = std::max(haddr, va);
      const u64 to = std::min(haddr + kHugePageSize, va + (count << kPageShift));
      for (u64 page = from; page < to; page += kPageSize) chunk[(page - va) >> kPageShift] = 1;
    });
    as.page_table().for_each_leaf(va, va + (count << kPageShift), [&](u64 page, x86_64::Pte& e) {
      if (e.present() || e.soft_type() == x86_64::Pte::SoftType::ProtNone)
        chunk[(page - va) >> kPageShift] = 1;
      else if (e.soft_type() == x86_64::Pte::SoftType::Swap)
        chunk[(page - va) >> kPageShift] = swap.cached(e.soft_value()).has_value();
      else if (e.soft_type() == x86_64::Pte::SoftType::HwPoison)
        chunk[(page - va) >> kPageShift] = 1;  // non_swap_entry: "always uptodate"
    });
    TRY(mm::copy_to_user(as, vec + done, chunk, count));
    done += count;
  }
  return 0;
}

Result<i64> sys_mlock(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(ctx.process.address_space().mlock(args.a[0], args.a[1], mm::VM_LOCKED, lock_limit(ctx)));
  return 0;
}

Result<i64> sys_mlock2(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 flags = static_cast<u32>(args.a[2]);
  if (flags & ~abi::kMLOCK_ONFAULT) return Errno::kEINVAL;
  const u64 lock_flags =
      mm::VM_LOCKED | ((flags & abi::kMLOCK_ONFAULT) ? u64{mm::VM_LOCKONFAULT} : 0);
  TRY(ctx.process.address_space().mlock(args.a[0], args.a[1], lock_flags, lock_limit(ctx)));
  return 0;
}

Result<i64> sys_munlock(SyscallContext& ctx, const SyscallArgs& args) {
  u64 start = args.a[0];
  const u64 offset = start & (kPageSize - 1);
  const u64 length = page_round_up(args.a[1] + offset);
  start -= offset;
  TRY(ctx.process.address_space().set_lock_flags(start, start + length, 0));
  return 0;
}

Result<i64> sys_mlockall(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(ctx.process.address_space().mlockall(static_cast<int>(args.a[0]), lock_limit(ctx)));
  return 0;
}

Result<i64> sys_munlockall(SyscallContext& ctx, const SyscallArgs&) {
  ctx.process.address_space().unlock_all();
  return 0;
}

Result<void> do_madvise(mm::AddressSpace& as, u64 start, u64 len_in, int advice) {
  if (!mm::find_advice(advice)) return Errno::kEINVAL;
  if (!page_aligned(start)) return Errno::kEINVAL;
  const u64 len = page_round_up(len_in);
  if (len_in != 0 && len == 0) return Errno::kEINVAL;  // rounding overflowed
  const u64 end = start + len;
  if (end < start) return Errno::kEINVAL;
  if (end == start) return {};
  // No VMA lies at or above TASK_SIZE: the part of the range there is unmapped (ENOMEM),
  // and never reaches the page tables, where it would alias low addresses.
  if (start >= mm::kTaskSize) return Errno::kENOMEM;
  const u64 clipped = std::min(end, mm::kTaskSize);
  TRY(as.madvise(start, clipped - start, advice));
  if (clipped != end) return Errno::kENOMEM;
  return {};
}

Result<i64> sys_madvise(SyscallContext& ctx, const SyscallArgs& args) {
  const int advice = static_cast<int>(args.a[2]);
  if (advice == abi::kMADV_HWPOISON || advice == abi::kMADV_SOFT_OFFLINE) {
    // do_madvise's checks, then madvise_inject_error before any VMA is looked at.
    const u64 start = args.a[0], len_in = args.a[1];
    if (!page_aligned(start)) return Errno::kEINVAL;
    const u64 len = page_round_up(len_in);
    if (len_in != 0 && len == 0) return Errno::kEINVAL;
    if (start + len < start) return Errno::kEINVAL;
    if (len == 0) return 0;
    u64 pages = 0;
    const Result<void> result =
        ctx.kernel.inject_memory_error(ctx.process, advice, start, start + len, &pages);
    // The same "madvise" event as the advice that walk VMAs: pages = those injected.
    if (ctx.kernel.tracing(kTraceMadvise)) {
      const mm::AdviceInfo* info = mm::find_advice(advice);
      ctx.kernel.emit(
          "madvise",
          {TraceField::str("advice", info->name), TraceField::hex("start", start),
           TraceField::hex("end", start + len),
           TraceField::str("result",
                           result.ok() ? "0" : abi::errno_name(static_cast<int>(result.error()))),
           TraceField::dec("pages", pages), TraceField::str("effect", info->effect)});
    }
    TRY(result);
    return 0;
  }
  TRY(do_madvise(ctx.process.address_space(), args.a[0], args.a[1], advice));
  // A process that joined KSM's scan list may give a running ksmd its first work.
  if (advice == abi::kMADV_MERGEABLE) ctx.kernel.update_wakeup();
  return 0;
}

Result<i64> sys_msync(SyscallContext& ctx, const SyscallArgs& args) {
  constexpr u64 kMsAsync = 1, kMsInvalidate = 2, kMsSync = 4;
  const u64 addr = args.a[0], len = args.a[1], flags = args.a[2];
  if (flags & ~(kMsAsync | kMsInvalidate | kMsSync)) return Errno::kEINVAL;
  if (!page_aligned(addr)) return Errno::kEINVAL;
  if ((flags & kMsAsync) && (flags & kMsSync)) return Errno::kEINVAL;
  const u64 length = page_round_up(len);
  u64 start = addr;
  const u64 end = start + length;
  if (end < start || (len != 0 && length == 0)) return Errno::kENOMEM;
  if (end == start) return 0;
  // Linux's msync(): VMA by VMA; a hole is ENOMEM at once for a plain MS_SYNC, else at
  // the end. MS_SYNC writes a shared file mapping's dirty pages to the file; memory in
  // RAM only (tmpfs, shmem, anonymous) has nothing to write.
  auto& as = ctx.process.address_space();
  bool unmapped = false;
  while (true) {
    auto it = as.vmas().upper_bound(start);
    const mm::Vma* vma = nullptr;
    if (it != as.vmas().begin() && std::prev(it)->second.end > start)
      vma = &std::prev(it)->second;
    else if (it != as.vmas().end())
      vma = &it->second;
    if (!vma) return Errno::kENOMEM;
    if (start < vma->start) {
      if (flags == kMsSync) return Errno::kENOMEM;
      start = vma->start;
      if (start >= end) return Errno::kENOMEM;
      unmapped = true;
    }
    if ((flags & kMsInvalidate) && (vma->flags & mm::VM_LOCKED)) return Errno::kEBUSY;
    const u64 stop = std::min(end, vma->end);
    if ((flags & kMsSync) && vma->shared() && vma->object)
      TRY(vma->object->sync(vma->page_index(start), vma->page_index(stop - 1)));
    start = stop;
    if (start >= end) break;
  }
  if (unmapped) return Errno::kENOMEM;
  return 0;
}

}  // namespace kernel::syscalls
