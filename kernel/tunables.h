// Kernel-wide settings that guests read, and where Linux allows it write, through
// /proc/sys and /sys/kernel/mm. They belong to the emulated kernel, never to the host: a
// guest that writes vm.swappiness changes emu's value and nothing else.
#pragma once

#include <string>

#include "kernel/base/types.h"
#include "kernel/mm/thp_settings.h"

namespace kernel {

struct Tunables {
  // Defaults for a machine with `ram_bytes` of RAM, computed the way Linux computes them at
  // boot (init_per_zone_wmark_min, init_user_reserve, init_admin_reserve).
  static Tunables for_ram(u64 ram_bytes);

  struct Vm {
    int overcommit_memory = 0;  // 0 heuristic, 1 always, 2 never
    int overcommit_ratio = 50;
    u64 overcommit_kbytes = 0;
    int max_map_count = 65530;  // DEFAULT_MAX_MAP_COUNT
    int swappiness = 60;
    int min_free_kbytes = 0;
    int watermark_scale_factor = 10;
    int dirty_ratio = 20;
    int dirty_background_ratio = 10;
    int page_cluster = 3;
    u64 user_reserve_kbytes = 0;
    u64 admin_reserve_kbytes = 0;
    u64 mmap_min_addr = 0;  // set from mm's kMmapMinAddr
    int vfs_cache_pressure = 100;
    int drop_caches = 0;
    // Hardware poison: whether processes mapping a poisoned page hear of it at once
    // (BUS_MCEERR_AO) rather than when they touch it, unless their thread chose with
    // PR_MCE_KILL; and whether memory_failure() recovers at all (always, here).
    int memory_failure_early_kill = 0;
    int memory_failure_recovery = 1;
  } vm;

  struct Sys {
    // PID_MAX_DEFAULT: one CPU never raises it past 32768.
    int pid_max = 32768;
    std::string hostname = "emu";
    std::string domainname = "(none)";
    // emu places mappings without randomisation, as Linux with randomize_va_space = 0.
    int randomize_va_space = 0;
    int overflowuid = 65534;
    int overflowgid = 65534;
  } sys;

  // /sys/kernel/mm/transparent_hugepage: the memory manager reads these (thp_settings.h).
  using ThpEnabled = mm::ThpEnabled;
  using ThpDefrag = mm::ThpDefrag;
  using Thp = mm::ThpSettings;
  Thp thp;
};

}  // namespace kernel
