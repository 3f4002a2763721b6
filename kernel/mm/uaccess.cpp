#include "kernel/mm/uaccess.h"

#include <cstring>

#include "kernel/mm/address_space.h"

namespace kernel::mm {

using x86_64::Pte;

namespace {

enum class UserAccess : u8 { Read, Write };

// The host pointer for the guest page holding `addr`, faulting it in as the guest's own
// access would; nullptr when the access would raise a signal (the caller's EFAULT).
u8* user_page(AddressSpace& as, u64 addr, UserAccess access) {
  const bool write = access == UserAccess::Write;
  for (int attempt = 0; attempt < 3; ++attempt) {
    Pte* slot = as.page_table().leaf_entry(page_round_down(addr), x86_64::Allocate::No);
    if (slot && slot->present() && slot->user() && (!write || slot->writable())) {
      // Set A/D as the hardware would for this access.
      *slot = slot->with(Pte::kAccessed | (write ? Pte::kDirty : 0));
      return as.ram().frame(slot->pfn()) + (addr & kPageMask);
    }
    u32 error_code = kFaultUser | (write ? kFaultWrite : 0);
    if (slot && slot->present()) error_code |= kFaultPresent;
    const FaultResult r = as.handle_fault(addr, error_code);
    if (!r.handled()) return nullptr;
    // The guest may still hold a translation to the frame this fault replaced.
    if (r.replaced_present) as.flush_tlb();
  }
  return nullptr;
}

bool range_ok(u64 addr, u64 len) {
  return addr <= kTaskSize && len <= kTaskSize - addr;
}

}  // namespace

Result<void> copy_from_user(AddressSpace& as, void* dst, u64 src, u64 len) {
  if (!range_ok(src, len)) return abi::Errno::kEFAULT;
  auto* out = static_cast<u8*>(dst);
  while (len > 0) {
    const u8* p = user_page(as, src, UserAccess::Read);
    if (!p) return abi::Errno::kEFAULT;
    const u64 chunk = std::min(len, kPageSize - (src & kPageMask));
    std::memcpy(out, p, chunk);
    out += chunk;
    src += chunk;
    len -= chunk;
  }
  return {};
}

Result<void> copy_to_user(AddressSpace& as, u64 dst, const void* src, u64 len) {
  if (!range_ok(dst, len)) return abi::Errno::kEFAULT;
  const auto* in = static_cast<const u8*>(src);
  while (len > 0) {
    u8* p = user_page(as, dst, UserAccess::Write);
    if (!p) return abi::Errno::kEFAULT;
    const u64 chunk = std::min(len, kPageSize - (dst & kPageMask));
    std::memcpy(p, in, chunk);
    in += chunk;
    dst += chunk;
    len -= chunk;
  }
  return {};
}

Result<void> clear_user(AddressSpace& as, u64 dst, u64 len) {
  if (!range_ok(dst, len)) return abi::Errno::kEFAULT;
  while (len > 0) {
    u8* p = user_page(as, dst, UserAccess::Write);
    if (!p) return abi::Errno::kEFAULT;
    const u64 chunk = std::min(len, kPageSize - (dst & kPageMask));
    std::memset(p, 0, chunk);
    dst += chunk;
    len -= chunk;
  }
  return {};
}

Result<std::string> copy_string_from_user(AddressSpace& as, u64 src, u64 max_len) {
  std::string out;
  while (true) {
    if (!range_ok(src, 1)) return abi::Errno::kEFAULT;
    const u8* p = user_page(as, src, UserAccess::Read);
    if (!p) return abi::Errno::kEFAULT;
    const u64 chunk = kPageSize - (src & kPageMask);
    const void* nul = std::memchr(p, 0, chunk);
    const u64 n = nul ? static_cast<u64>(static_cast<const u8*>(nul) - p) : chunk;
    if (out.size() + n > max_len) return abi::Errno::kENAMETOOLONG;
    out.append(reinterpret_cast<const char*>(p), n);
    if (nul) return out;
    src += chunk;
  }
}

}  // namespace kernel::mm
