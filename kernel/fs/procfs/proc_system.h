// The machine-wide files of /proc: meminfo, cpuinfo, stat, uptime, loadavg, filesystems,
// laid out as Linux 6.1 writes them (fs/proc/meminfo.c, arch/x86/kernel/cpu/proc.c,
// fs/proc/stat.c, uptime.c, loadavg.c, fs/filesystems.c).
#pragma once

#include <string>
#include <vector>

#include "kernel/fs/procfs/mm_view.h"
#include "kernel/fs/procfs/mounts.h"

namespace kernel::fs::procfs {

// The machine's clocks and counters that /proc/stat, uptime and loadavg report.
struct SystemFacts {
  u64 boot_ns = 0;  // CLOCK_BOOTTIME now
  u64 real_ns = 0;  // CLOCK_REALTIME now
  u64 user_ns = 0;  // CPU time spent running the guest, user and system
  u64 system_ns = 0;
  u64 running_since_ns = 0;  // CLOCK_BOOTTIME when the first process started
  u64 processes_created = 0;
  u64 running = 0;  // runnable tasks
  u64 threads = 0;
  int last_pid = 0;
};

SystemFacts system_facts(Kernel& kernel);

struct MeminfoInputs {
  MemoryTotals totals;
  u64 commit_limit_pages = 0;
  u64 ram_bytes = 0;  // for the DirectMap lines
};
MeminfoInputs meminfo_inputs(Kernel& kernel);

std::string render_meminfo(const MeminfoInputs& in);
// /proc/vmstat (vmstat.cpp).
std::string render_vmstat(Kernel& kernel);
std::string render_cpuinfo();
std::string render_proc_stat(const SystemFacts& facts);
std::string render_uptime(const SystemFacts& facts);
std::string render_loadavg(const SystemFacts& facts);
std::string render_filesystems(const std::vector<MountView>& mounts);

}  // namespace kernel::fs::procfs
