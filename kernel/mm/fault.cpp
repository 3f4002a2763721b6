// The page-fault path: decode the error code, find the VMA (growing the stack if the
// address lies just below it), check the access against the VMA, then one handler per
// kind of page: anonymous, file-backed, or write to a read-only present page.
#include "kernel/mm/fault.h"

#include <cstring>

#include "kernel/abi/linux.h"
#include "kernel/fs/file.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"

namespace kernel::mm {

using x86_64::Pte;

const char* fault_resolution_name(FaultResolution r) {
  switch (r) {
    case FaultResolution::ZeroPage:
      return "zero-page";
    case FaultResolution::NewAnonPage:
      return "new-anon-page";
    case FaultResolution::CowZeroPage:
      return "cow-zero-page";
    case FaultResolution::CowCopy:
      return "cow-copy";
    case FaultResolution::CowReuse:
      return "cow-reuse";
    case FaultResolution::FileRead:
      return "file-read";
    case FaultResolution::Spurious:
      return "spurious";
    case FaultResolution::SegvMapErr:
      return "SIGSEGV/SEGV_MAPERR";
    case FaultResolution::SegvAccErr:
      return "SIGSEGV/SEGV_ACCERR";
    case FaultResolution::BusAdrErr:
      return "SIGBUS/BUS_ADRERR";
    case FaultResolution::OutOfMemory:
      return "out-of-memory";
  }
  return "?";
}

int FaultResult::signal() const {
  switch (resolution) {
    case FaultResolution::SegvMapErr:
    case FaultResolution::SegvAccErr:
      return abi::kSIGSEGV;
    case FaultResolution::BusAdrErr:
      return abi::kSIGBUS;
    case FaultResolution::OutOfMemory:
      return abi::kSIGKILL;
    default:
      return 0;
  }
}

int FaultResult::si_code() const {
  switch (resolution) {
    case FaultResolution::SegvMapErr:
      return abi::kSEGV_MAPERR;
    case FaultResolution::SegvAccErr:
      return abi::kSEGV_ACCERR;
    case FaultResolution::BusAdrErr:
      return abi::kBUS_ADRERR;
    default:
      return 0;
  }
}

namespace {

// Linux's access_error() for x86: may this VMA take this access at all?
bool access_permitted(const Vma& vma, u32 error_code) {
  if (error_code & kFaultWrite) return vma.flags & VM_WRITE;
  if (error_code & kFaultFetch) return vma.flags & VM_EXEC;
  // A read that faulted on a present page is a protection-key fault: never permitted.
  if (error_code & kFaultPresent) return false;
  return vma.flags & kVmAccessFlags;
}

}  // namespace

bool AddressSpace::try_grow_stack(u64 addr) {
  auto above = m_vmas.upper_bound(addr);
  if (above == m_vmas.end() || !(above->second.flags & VM_GROWSDOWN)) return false;
  Vma& stack = above->second;
  const u64 new_start = page_round_down(addr);
  if (stack.end - new_start > kStackRlimit) return false;
  // Keep the guard gap to whatever lies below (Linux's stack_guard_gap).
  if (above != m_vmas.begin()) {
    const Vma& below = std::prev(above)->second;
    if (new_start < below.end + kStackGuardGap) return false;
  }
  if (new_start < kMmapMinAddr) return false;
  Vma grown = stack;
  grown.start = new_start;
  m_vmas.erase(above);
  m_vmas.emplace(new_start, std::move(grown));
  return true;
}

FaultResult AddressSpace::handle_fault(u64 addr, u32 error_code) {
  FaultResult result;
  auto unresolved = [&](FaultResolution r) {
    ++m_fault_counters.by_resolution[static_cast<int>(r)];
    result.resolution = r;
    return result;
  };
  if (addr >= kTaskSize) return unresolved(FaultResolution::SegvMapErr);
  const Vma* vma = find_vma(addr);
  if (!vma) {
    if (!try_grow_stack(addr)) return unresolved(FaultResolution::SegvMapErr);
    result.stack_grown = true;
    vma = find_vma(addr);
  }
  if (!access_permitted(*vma, error_code)) return unresolved(FaultResolution::SegvAccErr);
  const u64 page = page_round_down(addr);
  Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::Yes);
  if (!slot) return unresolved(FaultResolution::OutOfMemory);
  const Pte pte = *slot;
  FaultResult outcome;
  if (pte.present()) {
    const bool write = error_code & kFaultWrite;
    if (write && !pte.writable())
      outcome = fault_write_protected(*vma, page, slot);
    else
      outcome.resolution = FaultResolution::Spurious;  // the entry allows it already
  } else if (pte.soft_type() == Pte::SoftType::ProtNone) {
    // The VMA allows the access (checked above), so this entry predates an mprotect that
    // restored access without touching it. Bring it back.
    *slot = leaf_for(*vma, Pfn(pte.soft_value()), false);
    outcome.resolution = FaultResolution::Spurious;
    if (error_code & kFaultWrite) outcome = fault_write_protected(*vma, page, slot);
  } else if (vma->anonymous()) {
    outcome = fault_anonymous(*vma, page, error_code);
  } else {
    outcome = fault_file(*vma, page);
  }
  outcome.stack_grown = result.stack_grown;
  if (outcome.handled()) ++m_fault_counters.minor;
  ++m_fault_counters.by_resolution[static_cast<int>(outcome.resolution)];
  return outcome;
}

FaultResult AddressSpace::fault_anonymous(const Vma& vma, u64 page, u32 error_code) {
  FaultResult result;
  Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::No);
  // Reads of private anonymous memory share the zero page until the first write.
  if (!(error_code & kFaultWrite) && !vma.shared()) {
    // The zero page is never freed, so its mappings are not counted (as in Linux).
    *slot = leaf_for(vma, m_zero_page, false);
    result.resolution = FaultResolution::ZeroPage;
    return result;
  }
  auto frame = m_frames.allocate();
  if (!frame) {
    result.resolution = FaultResolution::OutOfMemory;
    return result;
  }
  std::memset(m_ram.frame(*frame), 0, kPageSize);
  *slot = leaf_for(vma, *frame, vma.flags & VM_WRITE).with(Pte::kDirty);
  result.resolution = FaultResolution::NewAnonPage;
  return result;
}

FaultResult AddressSpace::fault_file(const Vma& vma, u64 page) {
  FaultResult result;
  abi::Stat st{};
  const u64 offset = vma.offset_of(page);
  if (!vma.file->stat(st).ok() || offset >= static_cast<u64>(st.st_size)) {
    result.resolution = FaultResolution::BusAdrErr;
    return result;
  }
  auto frame = m_frames.allocate();
  if (!frame) {
    result.resolution = FaultResolution::OutOfMemory;
    return result;
  }
  u8* dst = m_ram.frame(*frame);
  auto got = vma.file->pread(std::span<u8>(dst, kPageSize), offset);
  const u64 n = got.ok() ? got.value() : 0;
  if (!got.ok()) {
    m_frames.put(*frame);
    result.resolution = FaultResolution::BusAdrErr;
    return result;
  }
  std::memset(dst + n, 0, kPageSize - n);  // the tail past end of file reads as zeros
  // Without a page cache every file page is a private copy; a shared mapping is only
  // ever read-only (the file was opened read-only), so writes stay private either way.
  Pte* slot = m_page_table.leaf_entry(page, x86_64::Allocate::No);
  *slot = leaf_for(vma, *frame, (vma.flags & VM_WRITE) != 0);
  result.resolution = FaultResolution::FileRead;
  return result;
}

FaultResult AddressSpace::fault_write_protected(const Vma& vma, u64 page, Pte* slot) {
  FaultResult result;
  const Pte old = *slot;
  result.replaced_present = true;
  if (old.pfn() == m_zero_page) {
    auto frame = m_frames.allocate();
    if (!frame) {
      result.resolution = FaultResolution::OutOfMemory;
      return result;
    }
    std::memset(m_ram.frame(*frame), 0, kPageSize);
    *slot = leaf_for(vma, *frame, true).with(Pte::kDirty);
    result.resolution = FaultResolution::CowZeroPage;
    return result;
  }
  if (m_frames.refcount(old.pfn()) == 1) {
    *slot = leaf_for(vma, old.pfn(), true).with(Pte::kDirty);
    result.resolution = FaultResolution::CowReuse;
    return result;
  }
  auto frame = m_frames.allocate();
  if (!frame) {
    result.resolution = FaultResolution::OutOfMemory;
    return result;
  }
  std::memcpy(m_ram.frame(*frame), m_ram.frame(old.pfn()), kPageSize);
  *slot = leaf_for(vma, *frame, true).with(Pte::kDirty);
  m_frames.put(old.pfn());
  result.resolution = FaultResolution::CowCopy;
  (void)page;
  return result;
}

}  // namespace kernel::mm
