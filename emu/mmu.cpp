#include "emu/mmu.h"

#include <algorithm>
#include <cstring>

namespace emu {

using kernel::x86_64::Pte;

Walk Mmu::walk(PhysAddr cr3, u64 va, Access access) const {
  Walk w;
  const u32 access_bits =
      kPfUser | (access == Access::Write ? kPfWrite : 0) | (access == Access::Fetch ? kPfFetch : 0);
  if (!kernel::x86_64::is_canonical(va)) {
    // Non-canonical addresses raise #GP on hardware; the kernel reports SIGSEGV either way.
    w.error_code = access_bits;
    return w;
  }
  bool writable = true, user = true, executable = true;
  u64* entries[kernel::x86_64::kLevels];
  PhysAddr table(cr3.value & Pte::kAddressMask);
  for (int level = kernel::x86_64::kLevels; level >= 1; --level) {
    const PhysAddr at = table + kernel::x86_64::table_index(va, level) * sizeof(u64);
    if (!m_ram.contains(at, sizeof(u64))) {
      w.status = Walk::Status::BusError;
      return w;
    }
    u64* slot = reinterpret_cast<u64*>(m_ram.at(at));
    const Pte e(*slot);
    w.step[w.steps++] = {at, e.raw()};
    entries[w.steps - 1] = slot;
    if (!e.present()) {
      w.error_code = access_bits;
      return w;
    }
    writable &= e.writable();
    user &= e.user();
    executable &= !e.no_execute();
    const bool leaf = level == 1 || (e.huge() && level <= 3);
    if (!leaf) {
      table = e.address();
      continue;
    }
    const bool denied =
        !user || (access == Access::Write && !writable) || (access == Access::Fetch && !executable);
    if (denied) {
      w.error_code = access_bits | kPfPresent;
      return w;
    }
    const u64 page_mask = (u64{1} << (kernel::kPageShift + 9 * (level - 1))) - 1;
    const PhysAddr base(e.raw() & Pte::kAddressMask & ~page_mask);
    w.frame = PhysAddr((base.value | (va & page_mask)) & ~kernel::kPageMask);
    w.leaf_level = level;
    if (!m_ram.contains(w.frame, kernel::kPageSize)) {
      w.status = Walk::Status::BusError;
      return w;
    }
    // The hardware sets A on every entry it used, and D on the leaf for a write.
    for (int i = 0; i < w.steps; ++i) *entries[i] |= Pte::kAccessed;
    if (access == Access::Write) *slot |= Pte::kDirty;
    w.writable = writable && (access == Access::Write || e.dirty());
    w.executable = executable;
    const u64 frame_no = w.frame.value >> kernel::kPageShift;
    if (m_poison && (m_poison[frame_no >> 3] & (1u << (frame_no & 7)))) {
      w.status = Walk::Status::MachineCheck;
      return w;
    }
    w.status = Walk::Status::Ok;
    return w;
  }
  return w;
}

bool Mmu::peek(PhysAddr cr3, u64 va, void* dst, u64 len) const {
  auto* out = static_cast<kernel::u8*>(dst);
  while (len > 0) {
    if (!kernel::x86_64::is_canonical(va)) return false;
    PhysAddr table(cr3.value & Pte::kAddressMask);
    PhysAddr frame;
    bool found = false;
    for (int level = kernel::x86_64::kLevels; level >= 1; --level) {
      const PhysAddr at = table + kernel::x86_64::table_index(va, level) * sizeof(u64);
      if (!m_ram.contains(at, sizeof(u64))) return false;
      Pte e;
      std::memcpy(&e, m_ram.at(at), sizeof e);
      if (!e.present() || !e.user()) return false;
      if (level == 1 || (e.huge() && level <= 3)) {
        const u64 page_mask = (u64{1} << (kernel::kPageShift + 9 * (level - 1))) - 1;
        frame = PhysAddr(((e.raw() & Pte::kAddressMask & ~page_mask) | (va & page_mask)) &
                         ~kernel::kPageMask);
        found = true;
        break;
      }
      table = e.address();
    }
    const u64 chunk = std::min(len, kernel::kPageSize - (va & kernel::kPageMask));
    if (!found || !m_ram.contains(frame, kernel::kPageSize)) return false;
    std::memcpy(out, m_ram.at(frame) + (va & kernel::kPageMask), chunk);
    out += chunk;
    va += chunk;
    len -= chunk;
  }
  return true;
}

}  // namespace emu
