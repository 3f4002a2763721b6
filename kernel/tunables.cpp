#include "kernel/tunables.h"

#include <algorithm>
#include <cmath>

#include "kernel/mm/address_space.h"

namespace kernel {

namespace {

u64 int_sqrt(u64 x) {
  u64 r = static_cast<u64>(std::sqrt(static_cast<double>(x)));
  while (r * r > x) --r;
  while ((r + 1) * (r + 1) <= x) ++r;
  return r;
}

}  // namespace

Tunables Tunables::for_ram(u64 ram_bytes) {
  Tunables t;
  const u64 kbytes = ram_bytes >> 10;
  // init_per_zone_wmark_min: sqrt(lowmem_kbytes * 16), within [128, 262144].
  t.vm.min_free_kbytes = static_cast<int>(std::clamp<u64>(int_sqrt(kbytes * 16), 128, 262144));
  // init_user_reserve / init_admin_reserve: 3% of free memory, at most 128 MiB / 8 MiB.
  t.vm.user_reserve_kbytes = std::min<u64>(kbytes / 32, u64{1} << 17);
  t.vm.admin_reserve_kbytes = std::min<u64>(kbytes / 32, u64{1} << 13);
  t.vm.mmap_min_addr = mm::kMmapMinAddr;
  return t;
}

}  // namespace kernel
