// /proc and /sys as a booted guest sees them through open, read, write and readlink; and
// the machine-wide renderers against exact text for known facts.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "booted_kernel.h"
#include "kernel/arch/x86_64/page_table.h"
#include "kernel/fs/procfs/mm_view.h"
#include "kernel/fs/procfs/mounts.h"
#include "kernel/fs/procfs/proc_pid.h"
#include "kernel/fs/procfs/proc_system.h"
#include "kernel/fs/procfs/pseudo_filesystem.h"
#include "kernel/fs/procfs/task_mmu.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"

namespace {

using namespace kernel;
using namespace kernel::fs::procfs;

constexpr u64 kReadNr = 0, kWriteNr = 1, kOpenNr = 2, kCloseNr = 3, kMmapNr = 9;
constexpr u64 kReadlinkNr = 89, kPrctlNr = 157;

i64 err(abi::Errno e) {
  return -static_cast<i64>(e);
}

// A booted busybox ("busybox true", environment "A=1") and a scratch page to pass strings.
struct Guest {
  Guest() { started = k.start(); }

  u64 scratch() {
    if (!m_mem) m_mem = static_cast<u64>(k.call(kMmapNr, 0, 4 * kPageSize, 3, 0x22, ~u64{0}, 0));
    return m_mem;
  }
  u64 str(std::string_view s) {
    const std::string copy(s);
    REQUIRE(mm::copy_to_user(k.as(), scratch(), copy.c_str(), copy.size() + 1).ok());
    return scratch();
  }
  i64 open(std::string_view path, u64 flags = abi::kO_RDONLY) {
    return k.call(kOpenNr, str(path), flags);
  }
  // The whole file, read in 100-byte pieces; or "ERR<n>".
  std::string read_file(std::string_view path) {
    const i64 fd = open(path);
    if (fd < 0) return "ERR" + std::to_string(-fd);
    std::string out;
    for (;;) {
      const i64 n = k.call(kReadNr, static_cast<u64>(fd), scratch() + kPageSize, 100);
      if (n <= 0) break;
      std::string chunk(static_cast<size_t>(n), '\0');
      REQUIRE(mm::copy_from_user(k.as(), chunk.data(), scratch() + kPageSize, chunk.size()).ok());
      out += chunk;
    }
    k.call(kCloseNr, static_cast<u64>(fd));
    return out;
  }
  i64 write_file(std::string_view path, std::string_view text) {
    const i64 fd = open(path, abi::kO_WRONLY);
    if (fd < 0) return fd;
    REQUIRE(mm::copy_to_user(k.as(), scratch() + kPageSize, text.data(), text.size()).ok());
    const i64 n = k.call(kWriteNr, static_cast<u64>(fd), scratch() + kPageSize, text.size());
    k.call(kCloseNr, static_cast<u64>(fd));
    return n;
  }
  std::string readlink(std::string_view path) {
    const i64 n = k.call(kReadlinkNr, str(path), scratch() + kPageSize, 256);
    if (n < 0) return "ERR" + std::to_string(-n);
    std::string out(static_cast<size_t>(n), '\0');
    REQUIRE(mm::copy_from_user(k.as(), out.data(), scratch() + kPageSize, out.size()).ok());
    return out;
  }

  test::BootedKernel k;
  bool started = false;

 private:
  u64 m_mem = 0;
};

#define BOOT(g) \
  Guest g;      \
  if (!g.started) SKIP("no " << test::BootedKernel::kProgram)

TEST_CASE("cmdline, environ and auxv read what exec put on the stack", "[procfs]") {
  BOOT(g);
  CHECK(g.read_file("/proc/self/cmdline") == std::string("busybox\0true\0", 13));
  CHECK(g.read_file("/proc/self/environ") == std::string("A=1\0", 4));
  const std::string auxv = g.read_file("/proc/self/auxv");
  REQUIRE(auxv.size() % 16 == 0);
  REQUIRE(auxv.size() >= 32);
  u64 last[2];
  std::memcpy(last, auxv.data() + auxv.size() - 16, 16);
  CHECK(last[0] == 0);  // AT_NULL ends it
  bool page_size = false;
  for (size_t i = 0; i < auxv.size(); i += 16) {
    u64 pair[2];
    std::memcpy(pair, auxv.data() + i, 16);
    if (pair[0] == abi::kAT_PAGESZ) page_size = pair[1] == kPageSize;
  }
  CHECK(page_size);
}

TEST_CASE("cmdline follows a program that overwrote its argument strings", "[procfs]") {
  BOOT(g);
  const proc::ProgramLayout& layout = g.k.kernel.current().layout();
  // setproctitle(): the title runs over argv's final NUL into the environment (argv and
  // environment strings hold 17 bytes: "busybox\0true\0A=1\0").
  REQUIRE(layout.env_end - layout.arg_start == 17);
  const std::string title = "a longer title!";
  std::string area(layout.env_end - layout.arg_start, '\0');
  std::memcpy(area.data(), title.data(), title.size());
  REQUIRE(mm::copy_to_user(g.k.as(), layout.arg_start, area.data(), area.size()).ok());
  CHECK(g.read_file("/proc/self/cmdline") == title + '\0');
}

TEST_CASE("maps of a booted program names its file, heap and stack", "[procfs]") {
  BOOT(g);
  const std::string maps = g.read_file("/proc/self/maps");
  const std::string exe = g.k.kernel.current().exe_path();
  CHECK(maps.find(" r-xp ") != std::string::npos);
  CHECK(maps.find(exe + "\n") != std::string::npos);
  CHECK(maps.find("[stack]\n") != std::string::npos);
  const u64 mem = g.scratch();
  char line[64];
  std::snprintf(line, sizeof line, "%08llx-%08llx rw-p 00000000 00:00 0 \n",
                static_cast<unsigned long long>(mem),
                static_cast<unsigned long long>(mem + 4 * kPageSize));
  CHECK(g.read_file("/proc/self/maps").find(line) != std::string::npos);
}

TEST_CASE("comm and oom_score_adj take writes as Linux checks them", "[procfs]") {
  BOOT(g);
  CHECK(g.read_file("/proc/self/comm") == "busybox\n");
  CHECK(g.write_file("/proc/self/comm", "a-name-longer-than-fifteen") == 26);
  CHECK(g.read_file("/proc/self/comm") == "a-name-longer-t\n");
  CHECK(g.k.kernel.current().comm() == "a-name-longer-t");
  CHECK(g.read_file("/proc/self/oom_score_adj") == "0\n");
  CHECK(g.write_file("/proc/self/oom_score_adj", "-500\n") == 5);
  CHECK(g.read_file("/proc/self/oom_score_adj") == "-500\n");
  CHECK(g.write_file("/proc/self/oom_score_adj", "1001") == err(abi::Errno::kEINVAL));
  CHECK(g.write_file("/proc/self/oom_score_adj", "12abc") == err(abi::Errno::kEINVAL));
  CHECK(g.read_file("/proc/self/oom_score_adj") == "-500\n");
  // The guest is root: it may open a read-only /proc file for writing, as on Linux, but
  // the file takes no write.
  CHECK(g.write_file("/proc/self/maps", "x") == err(abi::Errno::kEINVAL));
}

TEST_CASE("sysctls are the kernel's own and take writes within Linux's ranges", "[procfs]") {
  BOOT(g);
  CHECK(g.read_file("/proc/sys/vm/max_map_count") == "65530\n");
  CHECK(g.read_file("/proc/sys/vm/overcommit_memory") == "0\n");
  CHECK(g.read_file("/proc/sys/kernel/ostype") == "Linux\n");
  CHECK(g.read_file("/proc/sys/kernel/osrelease") == g.k.kernel.options().release + "\n");
  CHECK(g.read_file("/proc/sys/kernel/pid_max") == "32768\n");
  CHECK(g.write_file("/proc/sys/vm/max_map_count", "1000") == 4);
  CHECK(g.k.as().max_map_count() == 1000);
  CHECK(g.write_file("/proc/sys/vm/swappiness", "10\n") == 3);
  CHECK(g.read_file("/proc/sys/vm/swappiness") == "10\n");
  CHECK(g.k.kernel.tunables().vm.swappiness == 10);
  CHECK(g.write_file("/proc/sys/vm/swappiness", "201") == err(abi::Errno::kEINVAL));
  CHECK(g.write_file("/proc/sys/vm/overcommit_memory", "3") == err(abi::Errno::kEINVAL));
  CHECK(g.write_file("/proc/sys/vm/overcommit_memory", "2") == 1);
  CHECK(g.k.kernel.tunables().vm.overcommit_memory == 2);
  // overcommit_kbytes and overcommit_ratio exclude each other.
  CHECK(g.write_file("/proc/sys/vm/overcommit_kbytes", "4096") == 4);
  CHECK(g.read_file("/proc/sys/vm/overcommit_ratio") == "0\n");
  CHECK(g.write_file("/proc/sys/vm/overcommit_ratio", "60") == 2);
  CHECK(g.read_file("/proc/sys/vm/overcommit_kbytes") == "0\n");
  CHECK(g.write_file("/proc/sys/kernel/ostype", "BSD") == err(abi::Errno::kEACCES));
  CHECK(g.write_file("/proc/sys/kernel/hostname", "guest\n") == 6);
  CHECK(g.read_file("/proc/sys/kernel/hostname") == "guest\n");
  // drop_caches is write-only.
  CHECK(g.read_file("/proc/sys/vm/drop_caches") ==
        "ERR" + std::to_string(static_cast<int>(abi::Errno::kEACCES)));
  CHECK(g.read_file("/proc/sys/vm/nonexistent") ==
        "ERR" + std::to_string(static_cast<int>(abi::Errno::kENOENT)));
}

TEST_CASE("sysfs shows THP and KSM settings and one online CPU", "[procfs][sysfs]") {
  BOOT(g);
  CHECK(g.read_file("/sys/kernel/mm/transparent_hugepage/enabled") == "always [madvise] never\n");
  CHECK(g.read_file("/sys/kernel/mm/transparent_hugepage/defrag") ==
        "always defer defer+madvise [madvise] never\n");
  CHECK(g.read_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") == "2097152\n");
  CHECK(g.write_file("/sys/kernel/mm/transparent_hugepage/enabled", "always\n") == 7);
  CHECK(g.read_file("/sys/kernel/mm/transparent_hugepage/enabled") == "[always] madvise never\n");
  CHECK(g.k.kernel.tunables().thp.enabled == Tunables::ThpEnabled::Always);
  CHECK(g.write_file("/sys/kernel/mm/transparent_hugepage/enabled", "madvise\n") == 8);
  CHECK(g.read_file("/sys/kernel/mm/transparent_hugepage/enabled") == "always [madvise] never\n");
  CHECK(g.read_file("/sys/kernel/mm/transparent_hugepage/shmem_enabled") ==
        "always within_size advise [never] deny force\n");
  // khugepaged's knobs (mm/khugepaged.c defaults and limits) and its progress.
  const std::string kh = "/sys/kernel/mm/transparent_hugepage/khugepaged/";
  CHECK(g.read_file(kh + "pages_to_scan") == "4096\n");
  CHECK(g.read_file(kh + "scan_sleep_millisecs") == "10000\n");
  CHECK(g.read_file(kh + "alloc_sleep_millisecs") == "60000\n");
  CHECK(g.read_file(kh + "max_ptes_none") == "511\n");
  CHECK(g.read_file(kh + "max_ptes_swap") == "64\n");
  CHECK(g.read_file(kh + "max_ptes_shared") == "256\n");
  CHECK(g.read_file(kh + "defrag") == "1\n");
  CHECK(g.read_file(kh + "pages_collapsed") == "0\n");
  CHECK(g.write_file(kh + "max_ptes_none", "512") == err(abi::Errno::kEINVAL));
  CHECK(g.write_file(kh + "max_ptes_none", "7\n") == 2);
  CHECK(g.k.kernel.tunables().thp.max_ptes_none == 7);
  CHECK(g.write_file(kh + "pages_to_scan", "0") == err(abi::Errno::kEINVAL));
  CHECK(g.write_file(kh + "defrag", "2") == err(abi::Errno::kEINVAL));
  CHECK(g.write_file(kh + "full_scans", "1") == err(abi::Errno::kEACCES));
  CHECK(g.write_file("/sys/kernel/mm/transparent_hugepage/enabled", "sometimes") ==
        err(abi::Errno::kEINVAL));
  CHECK(g.k.kernel.tunables().thp.enabled == Tunables::ThpEnabled::Madvise);
  CHECK(g.read_file("/sys/kernel/mm/ksm/run") == "0\n");
  CHECK(g.read_file("/sys/kernel/mm/ksm/pages_shared") == "0\n");
  CHECK(g.write_file("/sys/kernel/mm/ksm/pages_to_scan", "250") == 3);
  CHECK(g.read_file("/sys/kernel/mm/ksm/pages_to_scan") == "250\n");
  CHECK(g.write_file("/sys/kernel/mm/ksm/run", "3") == err(abi::Errno::kEINVAL));
  CHECK(g.write_file("/sys/kernel/mm/ksm/pages_shared", "1") == err(abi::Errno::kEACCES));
  CHECK(g.read_file("/sys/devices/system/cpu/online") == "0\n");
  CHECK(g.read_file("/sys/devices/system/cpu/possible") == "0\n");
  CHECK(g.read_file("/sys/devices/system/cpu/present") == "0\n");
}

TEST_CASE("the /proc links name the process, its files and its directories", "[procfs]") {
  BOOT(g);
  Process& p = g.k.kernel.current();
  CHECK(g.readlink("/proc/self") == std::to_string(p.pid()));
  CHECK(g.readlink("/proc/self/exe") == p.exe_path());
  CHECK(g.readlink("/proc/self/cwd") == p.fs().cwd);
  CHECK(g.readlink("/proc/self/root") == "/");
  CHECK(g.readlink("/proc/mounts") == "self/mounts");
  const i64 fd = g.open("/proc/self/status");
  REQUIRE(fd >= 0);
  CHECK(g.readlink("/proc/self/fd/" + std::to_string(fd)) ==
        "/proc/" + std::to_string(p.pid()) + "/status");
  constexpr u64 kFstatNr = 5;
  REQUIRE(g.k.call(kFstatNr, static_cast<u64>(fd), g.scratch()) == 0);
  const u64 ino = mm::read_user<u64>(g.k.as(), g.scratch() + 8).value();
  const std::vector<MountView> mounts = current_mounts(g.k.kernel);
  const MountView* proc = mount_of(mounts, "/proc/self");
  REQUIRE(proc);
  CHECK(proc->fstype == "proc");
  CHECK(g.read_file("/proc/self/fdinfo/" + std::to_string(fd)) ==
        "pos:\t0\nflags:\t0100000\nmnt_id:\t" + std::to_string(proc->id) + "\nino:\t" +
            std::to_string(ino) + "\n");
  CHECK(g.readlink("/proc/self/fd/999") ==
        "ERR" + std::to_string(static_cast<int>(abi::Errno::kENOENT)));
  CHECK(g.readlink("/proc/99999/exe") ==
        "ERR" + std::to_string(static_cast<int>(abi::Errno::kENOENT)));
}

TEST_CASE("pagemap tells present, exclusive, file and zero pages apart", "[procfs]") {
  BOOT(g);
  mm::AddressSpace& as = g.k.as();
  const u64 mem = g.scratch();
  REQUIRE(mm::write_user(as, mem, u64{1}).ok());          // a written anonymous page
  REQUIRE(mm::read_user<u64>(as, mem + kPageSize).ok());  // the zero page
  MmView view(as, g.k.kernel.frames());
  u64 entries[5] = {};
  REQUIRE(render_pagemap(view, mem >> kPageShift, entries, true) == 5);
  const u64 pfn = as.page_table().lookup(mem).pte.pfn().value;
  CHECK(entries[0] == (pfn | kPmPresent | kPmMmapExclusive | kPmSoftDirty));
  CHECK(entries[1] == (g.k.kernel.memory().zero_page().value | kPmPresent | kPmSoftDirty));
  CHECK(entries[2] == kPmSoftDirty);  // in the VMA, never touched
  CHECK(entries[3] == kPmSoftDirty);
  CHECK(entries[4] == 0);  // past the VMA
  // Without CAP_SYS_ADMIN the frame numbers read as 0.
  REQUIRE(render_pagemap(view, mem >> kPageShift, entries, false) == 5);
  CHECK(entries[0] == (kPmPresent | kPmMmapExclusive | kPmSoftDirty));
  // The last entry is the last page below TASK_SIZE.
  CHECK(render_pagemap(view, (mm::kTaskSize >> kPageShift) - 1, entries, true) == 1);
  CHECK(render_pagemap(view, mm::kTaskSize >> kPageShift, entries, true) == 0);
}

TEST_CASE("pagemap reads need whole entries at entry-aligned offsets", "[procfs]") {
  BOOT(g);
  const i64 fd = g.open("/proc/self/pagemap");
  REQUIRE(fd >= 0);
  CHECK(g.k.call(kReadNr, static_cast<u64>(fd), g.scratch() + kPageSize, 12) ==
        err(abi::Errno::kEINVAL));
  CHECK(g.k.call(kReadNr, static_cast<u64>(fd), g.scratch() + kPageSize, 16) == 16);
}

TEST_CASE("uptime, loadavg and stat follow the clocks and CPU time", "[procfs]") {
  SystemFacts f;
  f.boot_ns = 60'000'000'000;  // up one minute
  f.real_ns = 1'700'000'060'000'000'000;
  f.user_ns = 2'500'000'000;
  f.system_ns = 500'000'000;
  f.running_since_ns = 0;
  f.processes_created = 1;
  f.running = 1;
  f.threads = 1;
  f.last_pid = 100;
  CHECK(render_uptime(f) == "60.00 57.00\n");
  // 11 samples of one runnable task: 1 - (1884/2048)^11 of a task, and so on.
  CHECK(render_loadavg(f) == "0.60 0.17 0.06 1/1 100\n");
  CHECK(render_proc_stat(f) ==
        "cpu  250 0 50 5700 0 0 0 0 0 0\n"
        "cpu0 250 0 50 5700 0 0 0 0 0 0\n"
        "intr 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
        "ctxt 0\n"
        "btime 1700000000\n"
        "processes 1\n"
        "procs_running 1\n"
        "procs_blocked 0\n"
        "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
  f.running_since_ns = f.boot_ns;  // nothing has run long enough for a sample
  CHECK(render_loadavg(f).substr(0, 14) == "0.00 0.00 0.00");
}

TEST_CASE("meminfo lays out every line of Linux 6.1 in kB", "[procfs]") {
  MeminfoInputs in;
  in.totals.total = 65535;  // 256 MiB less frame 0
  in.totals.free = 60000;
  in.totals.available = 60000;
  in.totals.cached = 300;
  in.totals.anon = 200;
  in.totals.mapped = 250;
  in.totals.shmem = 50;
  in.totals.page_tables = 9;
  in.totals.committed = 400;
  in.commit_limit_pages = 32767;
  in.ram_bytes = 256 << 20;
  const std::string m = render_meminfo(in);
  CHECK(m.substr(0, 84) ==
        "MemTotal:         262140 kB\nMemFree:          240000 kB\nMemAvailable:     240000 kB\n");
  CHECK(m.find("\nCached:             1200 kB\nSwapCached:            0 kB\n") !=
        std::string::npos);
  CHECK(m.find("\nAnonPages:           800 kB\nMapped:             1000 kB\nShmem:               "
               "200 kB\n") != std::string::npos);
  CHECK(m.find("\nPageTables:           36 kB\n") != std::string::npos);
  CHECK(m.find("\nCommitLimit:      131068 kB\nCommitted_AS:       1600 kB\n") !=
        std::string::npos);
  CHECK(m.find("\nVmallocTotal:   34359738367 kB\n") != std::string::npos);
  CHECK(m.find("\nHardwareCorrupted:     0 kB\n") != std::string::npos);
  CHECK(m.find("\nHugepagesize:       2048 kB\n") != std::string::npos);
  // Every label, in Linux's order.
  std::vector<std::string> labels;
  for (size_t pos = 0; pos < m.size();) {
    const size_t colon = m.find(':', pos);
    labels.push_back(m.substr(pos, colon - pos));
    pos = m.find('\n', pos) + 1;
  }
  CHECK(labels == std::vector<std::string>{
                      "MemTotal",       "MemFree",         "MemAvailable",   "Buffers",
                      "Cached",         "SwapCached",      "Active",         "Inactive",
                      "Active(anon)",   "Inactive(anon)",  "Active(file)",   "Inactive(file)",
                      "Unevictable",    "Mlocked",         "SwapTotal",      "SwapFree",
                      "Zswap",          "Zswapped",        "Dirty",          "Writeback",
                      "AnonPages",      "Mapped",          "Shmem",          "KReclaimable",
                      "Slab",           "SReclaimable",    "SUnreclaim",     "KernelStack",
                      "PageTables",     "SecPageTables",   "NFS_Unstable",   "Bounce",
                      "WritebackTmp",   "CommitLimit",     "Committed_AS",   "VmallocTotal",
                      "VmallocUsed",    "VmallocChunk",    "Percpu",         "HardwareCorrupted",
                      "AnonHugePages",  "ShmemHugePages",  "ShmemPmdMapped", "FileHugePages",
                      "FilePmdMapped",  "HugePages_Total", "HugePages_Free", "HugePages_Rsvd",
                      "HugePages_Surp", "Hugepagesize",    "Hugetlb",        "DirectMap4k",
                      "DirectMap2M",    "DirectMap1G"});
}

TEST_CASE("meminfo of a booted kernel counts its frames and the program's pages", "[procfs]") {
  BOOT(g);
  const MeminfoInputs in = meminfo_inputs(g.k.kernel);
  const mm::FrameAllocator& frames = g.k.kernel.frames();
  CHECK(in.totals.total == frames.total_frames());
  CHECK(in.totals.free == frames.free_frames());
  const MmCounters c = MmView(g.k.as(), frames).counters();
  CHECK(in.totals.anon == c.anon_pages);
  CHECK(c.anon_pages > 0);  // the stack exec wrote
  const u64 before = c.anon_pages;
  const u64 mem = g.scratch();
  REQUIRE(mm::write_user(g.k.as(), mem, u64{7}).ok());
  CHECK(meminfo_inputs(g.k.kernel).totals.anon == before + 1);
}

TEST_CASE("mounts and mountinfo escape names and show each mount's options", "[procfs]") {
  std::vector<MountView> mounts(2);
  mounts[0] = {1, 1, (8 << 8) | 1, "/", "/", true, ",relatime", "ext4", "/srv/my root", true, ""};
  mounts[1] = {2,      1,      22,    "/", "/proc", false, ",nosuid,nodev,noexec,relatime",
               "proc", "proc", false, ""};
  CHECK(render_mounts(mounts) ==
        "/srv/my\\040root / ext4 ro,relatime 0 0\n"
        "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n");
  CHECK(render_mountinfo(mounts) ==
        "1 1 8:1 / / ro,relatime - ext4 /srv/my\\040root ro\n"
        "2 1 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n");
  CHECK(mount_of(mounts, "/proc/self/maps")->id == 2);
  CHECK(mount_of(mounts, "/procfoo")->id == 1);
  CHECK(render_filesystems(mounts) ==
        "nodev\tsysfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tpipefs\n\text4\n");
}

TEST_CASE("limits shows soft and hard limits with units", "[procfs]") {
  BOOT(g);
  Process& p = g.k.kernel.current();
  p.rlimits()[abi::kRLIMIT_NOFILE] = {256, 4096};
  const std::string limits = render_limits(p);
  CHECK(limits.substr(0, 83) ==
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max ");
  CHECK(limits.find(
            "\nMax open files            256                  4096                 files     \n") !=
        std::string::npos);
  CHECK(limits.find("\nMax nice priority         0                    0                    \n") !=
        std::string::npos);
}

}  // namespace

namespace {

TEST_CASE("procfs and sysfs mount as filesystems with Linux's magic numbers", "[procfs]") {
  BOOT(g);
  Process& p = g.k.kernel.current();
  const fs::Caller caller{p.fs(), p.pid(), p.exe_path(), &p.fds(), {}};
  auto proc = make_procfs(g.k.kernel);
  auto sys = make_sysfs(g.k.kernel);
  CHECK(std::string(proc->type_name()) == "proc");
  CHECK(std::string(sys->type_name()) == "sysfs");
  CHECK(proc->statfs().value().f_type == fs::kPROC_SUPER_MAGIC);
  CHECK(sys->statfs().value().f_type == fs::kSYSFS_MAGIC);
  auto root = proc->root();
  CHECK((root->stat().value().st_mode & abi::kS_IFMT) == abi::kS_IFDIR);
  auto self = root->lookup(caller, "self").value();
  CHECK(self->read_link(caller).value().text == std::to_string(p.pid()));
  CHECK(self->read_link(caller).value().jump == nullptr);
  // /proc/PID/fd/N is a magic link: following it lands on the open file itself.
  const i64 fd = g.open("/proc/self/maps");
  REQUIRE(fd >= 0);
  auto link = root->lookup(caller, std::to_string(p.pid()))
                  .value()
                  ->lookup(caller, "fd")
                  .value()
                  ->lookup(caller, std::to_string(fd))
                  .value();
  const fs::LinkTarget target = link->read_link(caller).value();
  CHECK(target.text == "/proc/" + std::to_string(p.pid()) + "/maps");
  CHECK(target.jump == p.fds().get(static_cast<int>(fd)).value());
  CHECK(root->lookup(caller, "nonexistent").error() == abi::Errno::kENOENT);
  CHECK(root->lookup(caller, "0100").error() == abi::Errno::kENOENT);
  // Every /proc/PID entry the listing names can be looked up.
  auto pid_dir = root->lookup(caller, std::to_string(p.pid())).value();
  const std::vector<fs::DirEntry> entries = pid_dir->list(caller).value();
  CHECK(entries.size() == 26);  // ".", "..", 19 files, 3 links, fd and fdinfo
  for (const fs::DirEntry& e : entries) {
    if (e.name == "." || e.name == "..") continue;
    INFO(e.name);
    CHECK(pid_dir->lookup(caller, e.name).ok());
  }
  auto sys_root = sys->root();
  auto enabled = sys_root->lookup(caller, "kernel")
                     .value()
                     ->lookup(caller, "mm")
                     .value()
                     ->lookup(caller, "transparent_hugepage")
                     .value()
                     ->lookup(caller, "enabled")
                     .value();
  CHECK((enabled->stat().value().st_mode & 07777) == 0644);
}

}  // namespace

namespace {

TEST_CASE("cmdline and environ of unmapped strings read as empty", "[procfs]") {
  BOOT(g);
  const proc::ProgramLayout layout = g.k.kernel.current().layout();
  // A program may unmap the stack its strings were on: the files then read as nothing.
  constexpr u64 kMunmapNr = 11;
  const u64 start = page_round_down(layout.arg_start);
  REQUIRE(g.k.call(kMunmapNr, start, page_round_up(layout.env_end) - start) == 0);
  CHECK(render_cmdline(g.k.kernel.current()).value().empty());
  CHECK(render_environ(g.k.kernel.current()).value().empty());
}

}  // namespace
