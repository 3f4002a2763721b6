#include "kernel/mm/uaccess.h"

#include <cstring>

#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_manager.h"

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
    u64 huge_offset = 0;
    if (!slot) {
      // A 2 MiB entry maps the page: the frame is its page within the huge page.
      Pte* pde = as.page_table().entry(addr, 2, x86_64::Allocate::No);
      if (pde && pde->present() && pde->huge()) {
        slot = pde;
        huge_offset = (addr & (kHugePageSize - 1)) >> kPageShift;
      }
    }
    if (slot && slot->present() && slot->user() && (!write || slot->writable())) {
      const Pfn frame(slot->pfn().value + huge_offset);
      if (as.ram().poisoned(frame)) [[unlikely]] {
        // The copy consumes poison: a machine check in kernel mode that the copy routine
        // recovers from (EFAULT), with memory_failure() run for the frame.
        as.memory().poison_consumed(frame);
        return nullptr;
      }
      // Set A/D as the hardware would for this access.
      *slot = slot->with(Pte::kAccessed | (write ? Pte::kDirty : 0));
      return as.ram().frame(frame) + (addr & kPageMask);
    }
    u32 error_code = kFaultUser | (write ? kFaultWrite : 0);
    if (slot && slot->present()) error_code |= kFaultPresent;
    const FaultResult r = as.handle_fault(addr, error_code);
    if (!r.handled()) return nullptr;
    // The guest may still hold a translation to the frame this fault replaced.
    if (r.replaced_present)
      as.flush_tlb("cow", page_round_down(addr), page_round_down(addr) + kPageSize);
  }
  return nullptr;
}

bool range_ok(u64 addr, u64 len) {
  return addr <= kTaskSize && len <= kTaskSize - addr;
}

}  // namespace

// Walks [addr, addr + len) page by page, handing `piece(host, done, chunk)` the host
// pointer of each piece; EFAULT at the first page the access may not reach.
template <typename Piece>
Result<void> for_each_user_piece(AddressSpace& as, u64 addr, u64 len, UserAccess access,
                                 Piece piece) {
  if (!range_ok(addr, len)) return abi::Errno::kEFAULT;
  for (u64 done = 0; done < len;) {
    u8* host = user_page(as, addr + done, access);
    if (!host) return abi::Errno::kEFAULT;
    const u64 chunk = std::min(len - done, kPageSize - ((addr + done) & kPageMask));
    piece(host, done, chunk);
    done += chunk;
  }
  return {};
}

Result<void> copy_from_user(AddressSpace& as, void* dst, u64 src, u64 len) {
  auto* out = static_cast<u8*>(dst);
  return for_each_user_piece(as, src, len, UserAccess::Read,
                             [&](u8* host, u64 done, u64 n) { std::memcpy(out + done, host, n); });
}

Result<void> copy_to_user(AddressSpace& as, u64 dst, const void* src, u64 len) {
  const auto* in = static_cast<const u8*>(src);
  return for_each_user_piece(as, dst, len, UserAccess::Write,
                             [&](u8* host, u64 done, u64 n) { std::memcpy(host, in + done, n); });
}

Result<void> clear_user(AddressSpace& as, u64 dst, u64 len) {
  return for_each_user_piece(as, dst, len, UserAccess::Write,
                             [](u8* host, u64, u64 n) { std::memset(host, 0, n); });
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
