// Memory syscalls: decode and validate as Linux 6.1 does, then hand the work to the
// address space.
#include "kernel/abi/linux.h"
#include "kernel/fs/file.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/advice.h"
#include "kernel/mm/memory_object.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

constexpr u64 kKnownMapFlags =
    abi::kMAP_TYPE | abi::kMAP_FIXED | abi::kMAP_ANONYMOUS | abi::kMAP_32BIT | abi::kMAP_GROWSDOWN |
    abi::kMAP_DENYWRITE | abi::kMAP_EXECUTABLE | abi::kMAP_LOCKED | abi::kMAP_NORESERVE |
    abi::kMAP_POPULATE | abi::kMAP_NONBLOCK | abi::kMAP_STACK | abi::kMAP_HUGETLB | abi::kMAP_SYNC |
    abi::kMAP_FIXED_NOREPLACE | (u64{0x3f} << 26);  // MAP_HUGE_SHIFT size bits

}  // namespace

Result<i64> sys_mmap(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], len = args.a[1], prot = args.a[2], flags = args.a[3];
  const int fd = static_cast<int>(args.a[4]);
  const u64 offset = args.a[5];
  if (!page_aligned(offset)) return Errno::kEINVAL;
  const u64 type = flags & abi::kMAP_TYPE;
  if (type != abi::kMAP_SHARED && type != abi::kMAP_PRIVATE && type != abi::kMAP_SHARED_VALIDATE)
    return Errno::kEINVAL;
  if (type == abi::kMAP_SHARED_VALIDATE && (flags & ~kKnownMapFlags)) return Errno::kEOPNOTSUPP;
  if (len == 0) return Errno::kEINVAL;
  const u64 length = page_round_up(len);
  if (length == 0 || length > mm::kTaskSize) return Errno::kENOMEM;
  if ((offset >> kPageShift) + (length >> kPageShift) < (offset >> kPageShift))
    return Errno::kEOVERFLOW;
  const bool fixed = flags & (abi::kMAP_FIXED | abi::kMAP_FIXED_NOREPLACE);
  if (fixed && !page_aligned(addr)) return Errno::kEINVAL;
  if (fixed && addr < mm::kMmapMinAddr) return Errno::kEPERM;
  if (flags & abi::kMAP_HUGETLB) return Errno::kENOMEM;  // no huge pages are reserved

  mm::MapRequest req;
  req.addr = page_round_down(addr);
  req.length = length;
  req.prot = prot & (abi::kPROT_READ | abi::kPROT_WRITE | abi::kPROT_EXEC);
  req.shared = type != abi::kMAP_PRIVATE;
  req.placement = (flags & abi::kMAP_FIXED)             ? mm::MapPlacement::Fixed
                  : (flags & abi::kMAP_FIXED_NOREPLACE) ? mm::MapPlacement::FixedNoReplace
                                                        : mm::MapPlacement::Hint;
  if (flags & abi::kMAP_GROWSDOWN) req.extra_flags |= mm::VM_GROWSDOWN;
  if (flags & abi::kMAP_NORESERVE) req.extra_flags |= mm::VM_NORESERVE;
  if (!(flags & abi::kMAP_ANONYMOUS)) {
    const std::shared_ptr<fs::File> file = TRY(ctx.process.fds().get(fd));
    if (!file->mappable()) return Errno::kENODEV;
    const u64 mode = file->status_flags & abi::kO_ACCMODE;
    if (mode == abi::kO_WRONLY) return Errno::kEACCES;
    // A shared writable mapping writes the file: it must be open for writing.
    if (req.shared && (prot & abi::kPROT_WRITE) && !file->writable()) return Errno::kEACCES;
    req.file = file;
    req.offset = offset;
    // A shared mapping of a file not open for writing may never become writable.
    req.may_write = !req.shared || file->writable();
  } else if (req.shared) {
    // Shared anonymous memory is one object (shmem) the size of the mapping, so that
    // its pages outlive MADV_DONTNEED and are shared with children across fork.
    auto object =
        std::make_shared<mm::MemoryObject>(ctx.kernel.memory(), mm::ObjectKind::SharedAnon);
    TRY(object->resize(length));
    req.object = std::move(object);
  }
  const u64 placed = TRY(ctx.process.address_space().map(req));
  if ((flags & abi::kMAP_POPULATE) && !(flags & abi::kMAP_NONBLOCK)) {
    // Errors are ignored, as Linux's mm_populate() does for mmap.
    (void)ctx.process.address_space().madvise(placed, length,
                                              (prot & abi::kPROT_WRITE) && !req.shared
                                                  ? abi::kMADV_POPULATE_WRITE
                                                  : abi::kMADV_POPULATE_READ);
  }
  return static_cast<i64>(placed);
}

Result<i64> sys_munmap(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], len = args.a[1];
  if (!page_aligned(addr) || len == 0) return Errno::kEINVAL;
  const u64 length = page_round_up(len);
  if (length == 0 || addr > mm::kTaskSize || length > mm::kTaskSize - addr) return Errno::kEINVAL;
  TRY(ctx.process.address_space().unmap(addr, length));
  return 0;
}

Result<i64> sys_mprotect(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], len = args.a[1], prot = args.a[2];
  if (!page_aligned(addr)) return Errno::kEINVAL;
  constexpr u64 kKnownProt = abi::kPROT_READ | abi::kPROT_WRITE | abi::kPROT_EXEC |
                             abi::kPROT_GROWSDOWN | abi::kPROT_GROWSUP;
  if (prot & ~kKnownProt) return Errno::kEINVAL;
  if ((prot & abi::kPROT_GROWSDOWN) && (prot & abi::kPROT_GROWSUP)) return Errno::kEINVAL;
  if (len == 0) return 0;
  const u64 length = page_round_up(len);
  if (length == 0 || addr + length < addr) return Errno::kENOMEM;
  TRY(ctx.process.address_space().protect(addr, length,
                                          prot & ~(abi::kPROT_GROWSDOWN | abi::kPROT_GROWSUP)));
  return 0;
}

Result<i64> sys_brk(SyscallContext& ctx, const SyscallArgs& args) {
  return static_cast<i64>(ctx.process.address_space().set_brk(args.a[0]));
}

Result<i64> sys_mremap(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], old_len = args.a[1], new_len = args.a[2], flags = args.a[3],
            new_addr = args.a[4];
  if (flags & ~(abi::kMREMAP_MAYMOVE | abi::kMREMAP_FIXED | abi::kMREMAP_DONTUNMAP))
    return Errno::kEINVAL;
  if ((flags & abi::kMREMAP_FIXED) && !(flags & abi::kMREMAP_MAYMOVE)) return Errno::kEINVAL;
  if (flags & abi::kMREMAP_DONTUNMAP) return Errno::kEINVAL;  // comes with the userfault work
  if (!page_aligned(addr)) return Errno::kEINVAL;
  const u64 old_length = page_round_up(old_len), new_length = page_round_up(new_len);
  if (new_length == 0) return Errno::kEINVAL;
  if (old_length == 0) return Errno::kEINVAL;  // duplicating needs a shared mapping
  if (flags & abi::kMREMAP_FIXED) {
    if (!page_aligned(new_addr)) return Errno::kEINVAL;
    if (new_addr + new_length > mm::kTaskSize || new_addr + new_length < new_addr)
      return Errno::kEINVAL;
    // The source and destination ranges may not overlap.
    if (new_addr < addr + old_length && addr < new_addr + new_length) return Errno::kEINVAL;
  }
  const u64 moved =
      TRY(ctx.process.address_space().remap(addr, old_length, new_length, flags, new_addr));
  return static_cast<i64>(moved);
}

Result<i64> sys_mincore(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 addr = args.a[0], len = args.a[1], vec = args.a[2];
  if (!page_aligned(addr)) return Errno::kEINVAL;
  const u64 length = page_round_up(len);
  if (addr > mm::kTaskSize || length > mm::kTaskSize - addr) return Errno::kENOMEM;
  auto& as = ctx.process.address_space();
  u8 chunk[256];
  for (u64 done = 0; done < length;) {
    const u64 pages = std::min<u64>(sizeof(chunk), (length - done) >> kPageShift);
    for (u64 i = 0; i < pages; ++i) {
      const u64 va = addr + done + (i << kPageShift);
      if (!as.find_vma(va)) return Errno::kENOMEM;
      chunk[i] = as.page_resident(va) ? 1 : 0;
    }
    TRY(mm::copy_to_user(as, vec + (done >> kPageShift), chunk, pages));
    done += pages << kPageShift;
  }
  return 0;
}

Result<i64> sys_madvise(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 start = args.a[0], len_in = args.a[1];
  const int advice = static_cast<int>(args.a[2]);
  if (!mm::find_advice(advice)) return Errno::kEINVAL;
  if (!page_aligned(start)) return Errno::kEINVAL;
  const u64 len = page_round_up(len_in);
  if (len_in != 0 && len == 0) return Errno::kEINVAL;  // rounding overflowed
  const u64 end = start + len;
  if (end < start) return Errno::kEINVAL;
  if (end == start) return 0;
  TRY(ctx.process.address_space().madvise(start, len, advice));
  return 0;
}

}  // namespace kernel::syscalls
