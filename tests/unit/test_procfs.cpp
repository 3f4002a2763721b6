// procfs renderers against exact text for a known kernel state: an address space with
// known mappings and touched pages, a process with known layout, limits and signals.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "booted_kernel.h"
#include "kernel/fs/file.h"
#include "kernel/fs/procfs/array.h"
#include "kernel/fs/procfs/mm_view.h"
#include "kernel/fs/procfs/mounts.h"
#include "kernel/fs/procfs/proc_pid.h"
#include "kernel/fs/procfs/proc_system.h"
#include "kernel/fs/procfs/task_mmu.h"
#include "kernel/mm/fault.h"
#include "kernel/mm/memory_object.h"
#include "kernel/proc/process.h"

namespace {

using namespace kernel;
using namespace kernel::fs::procfs;

// The page cache of DataFile: every byte reads 0x5a.
class DataCache final : public mm::MemoryObject {
 public:
  DataCache(mm::MemoryManager& mm, u64 size) : MemoryObject(mm, mm::ObjectKind::PageCache) {
    set_size(size);
  }

 protected:
  Result<void> fill(u64, u8* page) override {
    std::memset(page, 0x5a, kPageSize);
    return {};
  }
};

// A mappable file with a known identity: /lib/data.bin, device 8:1, inode 1234, 64 KiB.
class DataFile final : public fs::File {
 public:
  Result<std::shared_ptr<mm::MemoryObject>> memory_object(mm::MemoryManager& mm) override {
    if (!m_cache) m_cache = std::make_shared<DataCache>(mm, kSize);
    return std::shared_ptr<mm::MemoryObject>(m_cache);
  }
  Result<u64> pread(std::span<u8> buf, u64 offset) override {
    if (offset >= kSize) return 0;
    const u64 n = std::min<u64>(buf.size(), kSize - offset);
    std::memset(buf.data(), 0x5a, n);
    return n;
  }
  Result<void> stat(abi::Stat& out) override {
    out = {};
    out.st_dev = (8 << 8) | 1;  // makedev(8, 1)
    out.st_ino = 1234;
    out.st_mode = abi::kS_IFREG | 0644;
    out.st_size = kSize;
    return {};
  }
  bool mappable() const override { return true; }
  std::string path() const override { return "/lib/data.bin"; }

  static constexpr u64 kSize = 64 * 1024;

 private:
  std::shared_ptr<DataCache> m_cache;
};

constexpr u64 kRead = mm::kFaultUser, kWrite = mm::kFaultUser | mm::kFaultWrite;

// A process whose memory is:
//   0x400000-0x402000 r-xp /lib/data.bin at offset 0x1000 (one page read)
//   0x600000-0x604000 rw-p anonymous (pages 0 and 1 written, page 2 read: the zero page)
//   0x700000-0x701000 rw-s anonymous shared (written)
//   heap 0x800000-0x802000 (one page written)
//   stack 0x7ffffffde000-0x7ffffffff000 (top page written)
struct KnownProcess {
  KnownProcess() : process(100, memory.new_address_space()) {
    // Runs as user 1000, group 100, also in groups 27 and 100: no capabilities.
    process.creds() = Credentials::initial(1000, 100);
    process.creds().groups = std::make_shared<const std::vector<u32>>(std::vector<u32>{27, 100});
    mm::AddressSpace& as = process.address_space();
    auto map = [&](u64 addr, u64 len, u64 prot, bool shared, std::shared_ptr<fs::File> f, u64 off,
                   u64 extra, mm::VmaRole role) {
      mm::MapRequest r;
      if (shared && !f) {
        // MAP_SHARED|MAP_ANONYMOUS: one shmem object the size of the mapping, as mmap makes.
        auto object = std::make_shared<mm::MemoryObject>(memory.memory, mm::ObjectKind::SharedAnon);
        REQUIRE(object->resize(len).ok());
        r.object = std::move(object);
      }
      r.addr = addr;
      r.length = len;
      r.prot = prot;
      r.shared = shared;
      r.placement = mm::MapPlacement::Fixed;
      r.file = std::move(f);
      r.offset = off;
      r.extra_flags = extra;
      r.role = role;
      REQUIRE(as.map(r).ok());
    };
    constexpr u64 rw = abi::kPROT_READ | abi::kPROT_WRITE;
    map(0x400000, 0x2000, abi::kPROT_READ | abi::kPROT_EXEC, false, std::make_shared<DataFile>(),
        0x1000, 0, mm::VmaRole::Mapping);
    map(0x600000, 0x4000, rw, false, nullptr, 0, 0, mm::VmaRole::Mapping);
    map(0x700000, 0x1000, rw, true, nullptr, 0, 0, mm::VmaRole::Mapping);
    as.set_brk_start(0x800000);
    REQUIRE(as.set_brk(0x801800) == 0x801800);
    map(mm::kStackTop - 0x21000, 0x21000, rw, false, nullptr, 0, mm::VM_GROWSDOWN,
        mm::VmaRole::Stack);
    auto fault = [&](u64 addr, u64 code) {
      REQUIRE(as.handle_fault(addr, static_cast<u32>(code)).handled());
    };
    fault(0x400000, kRead);
    fault(0x600000, kWrite);
    fault(0x601000, kWrite);
    fault(0x602000, kRead);
    fault(0x700000, kWrite);
    fault(0x800000, kWrite);
    fault(mm::kStackTop - 8, kWrite);

    proc::ProgramLayout& l = process.layout();
    l.start_code = 0x400000;
    l.end_code = 0x401800;
    l.start_data = 0x600000;
    l.end_data = 0x600100;
    l.start_stack = mm::kStackTop - 0x100;
    l.arg_start = mm::kStackTop - 0x80;
    l.arg_end = mm::kStackTop - 0x78;
    l.env_start = mm::kStackTop - 0x78;
    l.env_end = mm::kStackTop - 0x70;
    process.comm() = "known";
  }

  MmView view() { return MmView(process.address_space(), memory.frames); }

  test::MemoryFixture memory;
  Process process;
};

const std::string kMaps =
    "00400000-00402000 r-xp 00001000 08:01 1234                               /lib/data.bin\n"
    "00600000-00604000 rw-p 00000000 00:00 0 \n"
    "00700000-00701000 rw-s 00000000 00:00 0 \n"
    "00800000-00802000 rw-p 00000000 00:00 0                                  [heap]\n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n";

TEST_CASE("maps shows each VMA with perms, offset, device, inode and name", "[procfs]") {
  KnownProcess k;
  CHECK(render_maps(k.view()) == kMaps);
}

const std::string kSmaps =
    "00400000-00402000 r-xp 00001000 08:01 1234                               /lib/data.bin\n"
    "Size:                  8 kB\n"
    "KernelPageSize:        4 kB\n"
    "MMUPageSize:           4 kB\n"
    "Rss:                   4 kB\n"
    "Pss:                   4 kB\n"
    "Pss_Dirty:             0 kB\n"
    "Shared_Clean:          0 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:         4 kB\n"
    "Private_Dirty:         0 kB\n"
    "Referenced:            4 kB\n"
    "Anonymous:             0 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n"
    "THPeligible:    0\n"
    "VmFlags: rd ex mr mw me sd \n"
    "00600000-00604000 rw-p 00000000 00:00 0 \n"
    "Size:                 16 kB\n"
    "KernelPageSize:        4 kB\n"
    "MMUPageSize:           4 kB\n"
    "Rss:                   8 kB\n"
    "Pss:                   8 kB\n"
    "Pss_Dirty:             8 kB\n"
    "Shared_Clean:          0 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:         0 kB\n"
    "Private_Dirty:         8 kB\n"
    "Referenced:            8 kB\n"
    "Anonymous:             8 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n"
    "THPeligible:    0\n"
    "VmFlags: rd wr mr mw me sd \n"
    "00700000-00701000 rw-s 00000000 00:00 0 \n"
    "Size:                  4 kB\n"
    "KernelPageSize:        4 kB\n"
    "MMUPageSize:           4 kB\n"
    "Rss:                   4 kB\n"
    "Pss:                   4 kB\n"
    "Pss_Dirty:             4 kB\n"
    "Shared_Clean:          0 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:         0 kB\n"
    "Private_Dirty:         4 kB\n"
    "Referenced:            4 kB\n"
    "Anonymous:             0 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n"
    "THPeligible:    0\n"
    "VmFlags: rd wr sh mr mw me ms sd \n"
    "00800000-00802000 rw-p 00000000 00:00 0                                  [heap]\n"
    "Size:                  8 kB\n"
    "KernelPageSize:        4 kB\n"
    "MMUPageSize:           4 kB\n"
    "Rss:                   4 kB\n"
    "Pss:                   4 kB\n"
    "Pss_Dirty:             4 kB\n"
    "Shared_Clean:          0 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:         0 kB\n"
    "Private_Dirty:         4 kB\n"
    "Referenced:            4 kB\n"
    "Anonymous:             4 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n"
    "THPeligible:    0\n"
    "VmFlags: rd wr mr mw me sd \n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
    "Size:                132 kB\n"
    "KernelPageSize:        4 kB\n"
    "MMUPageSize:           4 kB\n"
    "Rss:                   4 kB\n"
    "Pss:                   4 kB\n"
    "Pss_Dirty:             4 kB\n"
    "Shared_Clean:          0 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:         0 kB\n"
    "Private_Dirty:         4 kB\n"
    "Referenced:            4 kB\n"
    "Anonymous:             4 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n"
    "THPeligible:    0\n"
    "VmFlags: rd wr mr mw me gd sd \n";

const std::string kRollup =
    "00400000-7ffffffff000 ---p 00000000 00:00 0                              [rollup]\n"
    "Rss:                  24 kB\n"
    "Pss:                  24 kB\n"
    "Pss_Dirty:            20 kB\n"
    "Pss_Anon:             16 kB\n"
    "Pss_File:              4 kB\n"
    "Pss_Shmem:             4 kB\n"
    "Shared_Clean:          0 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:         4 kB\n"
    "Private_Dirty:        20 kB\n"
    "Referenced:           24 kB\n"
    "Anonymous:            16 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n";

const std::string kStatus =
    "Name:\tknown\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Tgid:\t100\n"
    "Ngid:\t0\n"
    "Pid:\t100\n"
    "PPid:\t1\n"
    "TracerPid:\t0\n"
    "Uid:\t1000\t1000\t1000\t1000\n"
    "Gid:\t100\t100\t100\t100\n"
    "FDSize:\t64\n"
    "Groups:\t27 100 \n"
    "NStgid:\t100\n"
    "NSpid:\t100\n"
    "NSpgid:\t100\n"
    "NSsid:\t100\n"
    "VmPeak:\t     168 kB\n"
    "VmSize:\t     168 kB\n"
    "VmLck:\t       0 kB\n"
    "VmPin:\t       0 kB\n"
    "VmHWM:\t      24 kB\n"
    "VmRSS:\t      24 kB\n"
    "RssAnon:\t      16 kB\n"
    "RssFile:\t       4 kB\n"
    "RssShmem:\t       4 kB\n"
    "VmData:\t      24 kB\n"
    "VmStk:\t     132 kB\n"
    "VmExe:\t       8 kB\n"
    "VmLib:\t       0 kB\n"
    "VmPTE:\t      32 kB\n"
    "VmSwap:\t       0 kB\n"
    "HugetlbPages:\t       0 kB\n"
    "CoreDumping:\t0\n"
    "THP_enabled:\t1\n"
    "Threads:\t1\n"
    "SigQ:\t0/63541\n"
    "SigPnd:\t0000000000000000\n"
    "ShdPnd:\t0000000000000000\n"
    "SigBlk:\t0000000000000000\n"
    "SigIgn:\t0000000000000000\n"
    "SigCgt:\t0000000000000000\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000000000000000\n"
    "CapEff:\t0000000000000000\n"
    "CapBnd:\t000001ffffffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Seccomp_filters:\t0\n"
    "Speculation_Store_Bypass:\tvulnerable\n"
    "SpeculationIndirectBranch:\talways enabled\n"
    "Cpus_allowed:\t1\n"
    "Cpus_allowed_list:\t0\n"
    "Mems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
    "00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
    "00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,"
    "00000000,00000000,00000000,00000001\n"
    "Mems_allowed_list:\t0\n"
    "voluntary_ctxt_switches:\t0\n"
    "nonvoluntary_ctxt_switches:\t0\n";

const std::string kStat =
    "100 (known) R 1 100 100 0 -1 0 7 0 0 0 123 45 0 0 20 0 1 0 1234 172032 6 18446744073709551615 "
    "4194304 4200448 140737488350976 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 6291456 6291712 8388608 "
    "140737488351104 140737488351112 140737488351112 140737488351120 0\n";

TaskFacts known_facts() {
  TaskFacts f;
  f.ppid = 1;
  f.pgid = 100;
  f.sid = 100;
  f.utime_ns = 1'230'000'000;
  f.stime_ns = 450'000'000;
  return f;
}

TEST_CASE("smaps counts resident, dirty, anonymous and shmem pages per VMA", "[procfs]") {
  // The zero page a read mapped counts nowhere; the shared page is shmem, not anonymous.
  KnownProcess k;
  CHECK(render_smaps(k.view()) == kSmaps);
}

TEST_CASE("smaps_rollup sums every VMA under one [rollup] header", "[procfs]") {
  KnownProcess k;
  CHECK(render_smaps_rollup(k.view()) == kRollup);
}

TEST_CASE("statm gives size, resident, shared, text and data pages", "[procfs]") {
  KnownProcess k;
  CHECK(render_statm(k.view(), k.process.layout()) == "42 6 2 2 0 39 0\n");
}

TEST_CASE("status shows identity, memory, signals and capabilities", "[procfs]") {
  KnownProcess k;
  CHECK(render_status(k.process, k.view(), known_facts()) == kStatus);
}

TEST_CASE("status renders blocked, ignored and caught signals as 64-bit masks", "[procfs]") {
  KnownProcess k;
  TaskFacts facts = known_facts();
  facts.blocked = (u64{1} << (abi::kSIGUSR1 - 1)) | (u64{1} << 63);
  k.process.signal_actions()[abi::kSIGPIPE].handler = abi::kSIG_IGN;
  k.process.signal_actions()[abi::kSIGINT].handler = 0x401000;
  const std::string status = render_status(k.process, k.view(), facts);
  CHECK(status.find("SigBlk:\t8000000000000200\n") != std::string::npos);
  CHECK(status.find("SigIgn:\t0000000000001000\n") != std::string::npos);
  CHECK(status.find("SigCgt:\t0000000000000002\n") != std::string::npos);
  k.process.umask() = 0;
  CHECK(render_status(k.process, k.view(), known_facts()).find("Umask:\t0000\n") !=
        std::string::npos);
}

TEST_CASE("stat is one line of 52 fields with faults, times and layout", "[procfs]") {
  KnownProcess k;
  k.process.start_time_ns() = 12'340'000'000;
  CHECK(render_stat(k.process, k.view(), known_facts()) == kStat);
}

}  // namespace
