#include "kernel/fs/procfs/proc_system.h"

#include <algorithm>
#include <set>

#include "kernel/fs/host_file.h"
#include "kernel/fs/procfs/array.h"
#include "kernel/fs/procfs/seq.h"
#include "kernel/kernel.h"
#include "kernel/proc/process.h"

namespace kernel::fs::procfs {

SystemFacts system_facts(Kernel& kernel) {
  SystemFacts f;
  f.boot_ns = host::boot_time_ns();
  f.real_ns = host::real_time_ns();
  host::cpu_time_ns(f.user_ns, f.system_ns);
  const std::vector<Process*> processes = kernel.processes();
  f.running_since_ns = f.boot_ns;
  for (Process* p : processes)
    f.running_since_ns = std::min(f.running_since_ns, p->start_time_ns());
  f.processes_created = kernel.processes_created();
  f.running = processes.size();
  f.threads = processes.size();
  f.last_pid = kernel.last_pid();
  return f;
}

MeminfoInputs meminfo_inputs(Kernel& kernel) {
  MeminfoInputs in;
  in.totals = memory_totals(kernel);
  in.ram_bytes = kernel.ram().size;
  const Tunables::Vm& vm = kernel.tunables().vm;
  // vm_commit_limit(): a fixed size, or a ratio of RAM, plus swap.
  if (vm.overcommit_kbytes)
    in.commit_limit_pages = vm.overcommit_kbytes >> (kPageShift - 10);
  else
    in.commit_limit_pages = in.totals.total * static_cast<u64>(vm.overcommit_ratio) / 100;
  in.commit_limit_pages += in.totals.swap_total;
  return in;
}

std::string render_meminfo(const MeminfoInputs& in) {
  const MemoryTotals& t = in.totals;
  SeqBuf m;
  auto kb = [&](std::string_view label, u64 pages) {
    m.dec(label, pages << (kPageShift - 10), 8).puts(" kB\n");
  };
  kb("MemTotal:       ", t.total);
  kb("MemFree:        ", t.free);
  kb("MemAvailable:   ", t.available);
  kb("Buffers:        ", 0);
  kb("Cached:         ", t.cached > t.swap_cached ? t.cached - t.swap_cached : 0);
  kb("SwapCached:     ", t.swap_cached);
  kb("Active:         ", t.active_anon + t.active_file);
  kb("Inactive:       ", t.inactive_anon + t.inactive_file);
  kb("Active(anon):   ", t.active_anon);
  kb("Inactive(anon): ", t.inactive_anon);
  kb("Active(file):   ", t.active_file);
  kb("Inactive(file): ", t.inactive_file);
  kb("Unevictable:    ", t.unevictable);
  kb("Mlocked:        ", t.mlocked);
  kb("SwapTotal:      ", t.swap_total);
  kb("SwapFree:       ", t.swap_free);
  m.puts("Zswap:                 0 kB\nZswapped:              0 kB\n");
  kb("Dirty:          ", t.dirty);
  kb("Writeback:      ", 0);
  kb("AnonPages:      ", t.anon);
  kb("Mapped:         ", t.mapped);
  kb("Shmem:          ", t.shmem);
  // emu's kernel keeps its own records in host memory, outside the emulated RAM: no slab,
  // no kernel stacks, no vmalloc, no per-CPU areas.
  kb("KReclaimable:   ", 0);
  kb("Slab:           ", 0);
  kb("SReclaimable:   ", 0);
  kb("SUnreclaim:     ", 0);
  m.dec("KernelStack:    ", 0, 8).puts(" kB\n");
  kb("PageTables:     ", t.page_tables);
  kb("SecPageTables:  ", 0);
  kb("NFS_Unstable:   ", 0);
  kb("Bounce:         ", 0);
  kb("WritebackTmp:   ", 0);
  kb("CommitLimit:    ", in.commit_limit_pages);
  kb("Committed_AS:   ", t.committed);
  // VMALLOC_TOTAL with 4-level paging: 32 TiB, less one byte (VMALLOC_END is inclusive).
  m.dec("VmallocTotal:   ", ((u64{32} << 40) - 1) >> 10, 8).puts(" kB\n");
  kb("VmallocUsed:    ", 0);
  kb("VmallocChunk:   ", 0);
  kb("Percpu:         ", 0);
  m.dec("HardwareCorrupted: ", t.hardware_corrupted << (kPageShift - 10), 5).puts(" kB\n");
  kb("AnonHugePages:  ", t.anon_huge);
  kb("ShmemHugePages: ", t.shmem_huge);
  kb("ShmemPmdMapped: ", t.shmem_pmd_mapped);
  kb("FileHugePages:  ", 0);
  kb("FilePmdMapped:  ", 0);
  // hugetlb_report_meminfo(): no hugetlbfs pool.
  m.puts("HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\n");
  m.puts("HugePages_Surp:        0\nHugepagesize:       2048 kB\nHugetlb:               0 kB\n");
  // arch_report_meminfo(): emu's kernel reaches RAM through one flat mapping of 4 KiB pages.
  m.dec("DirectMap4k:    ", in.ram_bytes >> 10, 8).puts(" kB\n");
  m.dec("DirectMap2M:    ", 0, 8).puts(" kB\n");
  m.dec("DirectMap1G:    ", 0, 8).puts(" kB\n");
  return m.take();
}

std::string render_cpuinfo() {
  // The CPU the machine emulates: QEMU's qemu64 model (Unicorn's default), one core. Each
  // line is what Linux derives from that model's CPUID leaves (vendor, family 6 model 6
  // stepping 3, leaf 0x80000006's 512 KiB L2 and 2 x 512 L2 TLB entries, 40/48 address
  // bits) and its feature words, in Linux's bit order plus the flags Linux synthesises
  // (nopl, cpuid, vmmcall). The clock rate is the nominal one: emu keeps no TSC rate.
  return "processor\t: 0\n"
         "vendor_id\t: AuthenticAMD\n"
         "cpu family\t: 6\n"
         "model\t\t: 6\n"
         "model name\t: QEMU Virtual CPU version 2.5+\n"
         "stepping\t: 3\n"
         "cpu MHz\t\t: 1000.000\n"
         "cache size\t: 512 KB\n"
         "physical id\t: 0\n"
         "siblings\t: 1\n"
         "core id\t\t: 0\n"
         "cpu cores\t: 1\n"
         "apicid\t\t: 0\n"
         "initial apicid\t: 0\n"
         "fpu\t\t: yes\n"
         "fpu_exception\t: yes\n"
         "cpuid level\t: 13\n"
         "wp\t\t: yes\n"
         "flags\t\t: fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
         "mmx fxsr sse sse2 syscall nx lm nopl cpuid pni cx16 hypervisor lahf_lm svm vmmcall\n"
         "bugs\t\t: fxsave_leak sysret_ss_attrs null_seg spectre_v1 spectre_v2 "
         "spec_store_bypass\n"
         "bogomips\t: 2000.00\n"
         "TLB size\t: 1024 4K pages\n"
         "clflush size\t: 64\n"
         "cache_alignment\t: 64\n"
         "address sizes\t: 40 bits physical, 48 bits virtual\n"
         "power management:\n"
         "\n";
}

std::string render_proc_stat(const SystemFacts& f) {
  // One CPU. It was busy for the CPU time the guest used, and idle the rest of the time
  // since boot.
  const u64 busy = f.user_ns + f.system_ns;
  const u64 idle = f.boot_ns > busy ? f.boot_ns - busy : 0;
  auto cpu_line = [&](SeqBuf& m, std::string_view label) {
    m.dec(label, ns_to_clock_t(f.user_ns)).dec(" ", 0).dec(" ", ns_to_clock_t(f.system_ns));
    m.dec(" ", ns_to_clock_t(idle));
    for (int i = 0; i < 6; ++i) m.dec(" ", 0);  // iowait irq softirq steal guest guest_nice
    m.putc('\n');
  };
  SeqBuf m;
  cpu_line(m, "cpu  ");
  cpu_line(m, "cpu0 ");
  // No interrupts are emulated: the total, then each of the 16 legacy IRQs.
  m.puts("intr 0");
  for (int i = 0; i < 16; ++i) m.puts(" 0");
  m.dec("\nctxt ", 0);
  const u64 boot_time = f.real_ns > f.boot_ns ? (f.real_ns - f.boot_ns) / 1'000'000'000 : 0;
  m.dec("\nbtime ", boot_time);
  m.dec("\nprocesses ", f.processes_created);
  m.dec("\nprocs_running ", f.running);
  m.dec("\nprocs_blocked ", 0);
  m.puts("\nsoftirq 0");
  for (int i = 0; i < 10; ++i) m.puts(" 0");
  m.putc('\n');
  return m.take();
}

std::string render_uptime(const SystemFacts& f) {
  const u64 busy = f.user_ns + f.system_ns;
  const u64 idle = f.boot_ns > busy ? f.boot_ns - busy : 0;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%llu.%02llu %llu.%02llu\n",
                static_cast<unsigned long long>(f.boot_ns / 1'000'000'000),
                static_cast<unsigned long long>(f.boot_ns % 1'000'000'000 / 10'000'000),
                static_cast<unsigned long long>(idle / 1'000'000'000),
                static_cast<unsigned long long>(idle % 1'000'000'000 / 10'000'000));
  return buf;
}

namespace {

// Linux's calc_load() in 11-bit fixed point, every LOAD_FREQ (5 s + 1 tick).
constexpr u64 kFshift = 11, kFixed1 = u64{1} << kFshift;
constexpr u64 kExp[3] = {1884, 2014, 2037};  // 1, 5 and 15 minutes
constexpr u64 kLoadFreqNs = 5'010'000'000;

u64 calc_load(u64 load, u64 exp, u64 active) {
  u64 newload = load * exp + active * (kFixed1 - exp);
  if (active >= load) newload += kFixed1 - 1;
  return newload / kFixed1;
}

}  // namespace

std::string render_loadavg(const SystemFacts& f) {
  // The load average as Linux's sampling would have computed it: nothing runnable before
  // the first process started, then its tasks, every 5 seconds since.
  const u64 elapsed = f.boot_ns > f.running_since_ns ? f.boot_ns - f.running_since_ns : 0;
  // After ~4000 samples (5.5 hours) the 15-minute average has long converged.
  const u64 samples = std::min<u64>(elapsed / kLoadFreqNs, 4000);
  u64 avenrun[3] = {0, 0, 0};
  for (u64 s = 0; s < samples; ++s) {
    for (int i = 0; i < 3; ++i) avenrun[i] = calc_load(avenrun[i], kExp[i], f.running * kFixed1);
  }
  SeqBuf m;
  for (int i = 0; i < 3; ++i) {
    // get_avenrun(..., FIXED_1/200, 0), then LOAD_INT and LOAD_FRAC.
    const u64 v = avenrun[i] + kFixed1 / 200;
    const u64 integer = v >> kFshift, frac = ((v & (kFixed1 - 1)) * 100) >> kFshift;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%llu.%02llu", i ? " " : "",
                  static_cast<unsigned long long>(integer), static_cast<unsigned long long>(frac));
    m.puts(buf);
  }
  m.dec(" ", f.running).dec("/", f.threads).dec(" ", static_cast<u64>(f.last_pid)).putc('\n');
  return m.take();
}

std::string render_filesystems(const std::vector<MountView>& mounts) {
  // The filesystem types the kernel has: those its mounts use, and pipefs for pipes. Only a
  // block-device filesystem (the host's, at "/") lacks the "nodev" mark.
  static const std::set<std::string> kVirtual = {"proc",    "sysfs", "devtmpfs", "tmpfs", "pipefs",
                                                 "overlay", "9p",    "fuse",     "nfs"};
  std::vector<std::string> seen;
  SeqBuf m;
  auto add = [&](const std::string& type) {
    if (std::find(seen.begin(), seen.end(), type) != seen.end()) return;
    seen.push_back(type);
    m.puts(kVirtual.count(type) ? "nodev\t" : "\t").puts(type).putc('\n');
  };
  for (const char* type : {"sysfs", "proc", "devtmpfs", "pipefs"}) add(type);
  for (const MountView& mnt : mounts) add(mnt.fstype);
  return m.take();
}

}  // namespace kernel::fs::procfs
