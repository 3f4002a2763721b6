// /proc/sys: the kernel's sysctl table (kernel/sysctl.c, mm/util.c, kernel/utsname_sysctl.c).
#include <algorithm>
#include <climits>

#include "kernel/fs/procfs/setting_file.h"
#include "kernel/kernel.h"
#include "kernel/proc/process.h"

namespace kernel::fs::procfs {

namespace {

std::string line(i64 v) {
  return std::to_string(v) + "\n";
}

// An integer sysctl over a field of the tunables, with proc_dointvec_minmax's range.
template <typename T>
SettingFile int_setting(std::string path, T Tunables::Vm::*field, i64 min, i64 max) {
  SettingFile f;
  f.path = std::move(path);
  f.mode = 0644;
  f.read = [field](Kernel& k) { return line(static_cast<i64>(k.tunables().vm.*field)); };
  f.write = [field, min, max](Kernel& k, std::string_view text) -> Result<void> {
    k.tunables().vm.*field = static_cast<T>(TRY(parse_int_setting(text, min, max)));
    return {};
  };
  return f;
}

SettingFile read_only(std::string path, std::function<std::string(Kernel&)> read) {
  SettingFile f;
  f.path = std::move(path);
  f.read = std::move(read);
  return f;
}

// proc_dostring for a utsname field: up to the first newline, at most 64 bytes.
SettingFile uts_setting(std::string path, std::string Tunables::Sys::*field) {
  SettingFile f;
  f.path = std::move(path);
  f.mode = 0644;
  f.read = [field](Kernel& k) { return k.tunables().sys.*field + "\n"; };
  f.write = [field](Kernel& k, std::string_view text) -> Result<void> {
    std::string value(text.substr(0, std::min<size_t>(text.find('\n'), 64)));
    if (const size_t nul = value.find('\0'); nul != std::string::npos) value.resize(nul);
    k.tunables().sys.*field = value;
    return {};
  };
  return f;
}

std::vector<SettingFile> build() {
  std::vector<SettingFile> out;
  out.push_back(uts_setting("kernel/domainname", &Tunables::Sys::domainname));
  out.push_back(uts_setting("kernel/hostname", &Tunables::Sys::hostname));
  out.push_back(
      read_only("kernel/osrelease", [](Kernel& k) { return k.options().release + "\n"; }));
  out.push_back(read_only("kernel/ostype", [](Kernel&) { return std::string("Linux\n"); }));
  {
    // PID_MAX_LIMIT is 4194304 on 64-bit; the floor is RESERVED_PIDS + 1.
    SettingFile f;
    f.path = "kernel/pid_max";
    f.mode = 0644;
    f.read = [](Kernel& k) { return line(k.tunables().sys.pid_max); };
    f.write = [](Kernel& k, std::string_view text) -> Result<void> {
      k.tunables().sys.pid_max = static_cast<int>(TRY(parse_int_setting(text, 301, 4194304)));
      return {};
    };
    out.push_back(std::move(f));
  }
  // emu places every mapping without randomisation; the setting says so and stays so.
  out.push_back(read_only("kernel/randomize_va_space",
                          [](Kernel& k) { return line(k.tunables().sys.randomize_va_space); }));
  // threads-max: totalram_pages / (8 * THREAD_SIZE / PAGE_SIZE), at least 20.
  out.push_back(read_only("kernel/threads-max", [](Kernel& k) {
    return line(std::max<i64>(20, static_cast<i64>(k.frames().total_frames() / 32)));
  }));
  out.push_back(read_only("kernel/version",
                          [](Kernel&) { return std::string("#1 SMP PREEMPT_DYNAMIC emu\n"); }));
  out.push_back(
      int_setting("vm/admin_reserve_kbytes", &Tunables::Vm::admin_reserve_kbytes, 0, LLONG_MAX));
  out.push_back(
      int_setting("vm/dirty_background_ratio", &Tunables::Vm::dirty_background_ratio, 0, 100));
  out.push_back(int_setting("vm/dirty_ratio", &Tunables::Vm::dirty_ratio, 0, 100));
  {
    // drop_caches (0200): writing 1, 2 or 3 drops clean caches; emu keeps none yet, so
    // there is nothing to drop, exactly as on a Linux with empty caches.
    SettingFile f = int_setting("vm/drop_caches", &Tunables::Vm::drop_caches, 1, 4);
    f.mode = 0200;
    out.push_back(std::move(f));
  }
  {
    // The limit mm enforces per address space: every process takes the new value.
    SettingFile f = int_setting("vm/max_map_count", &Tunables::Vm::max_map_count, 0, INT_MAX);
    f.write = [](Kernel& k, std::string_view text) -> Result<void> {
      const i64 v = TRY(parse_int_setting(text, 0, INT_MAX));
      k.tunables().vm.max_map_count = static_cast<int>(v);
      for (Process* p : k.processes()) p->address_space().set_max_map_count(static_cast<u64>(v));
      return {};
    };
    out.push_back(std::move(f));
  }
  out.push_back(
      int_setting("vm/memory_failure_early_kill", &Tunables::Vm::memory_failure_early_kill, 0, 1));
  out.push_back(
      int_setting("vm/memory_failure_recovery", &Tunables::Vm::memory_failure_recovery, 0, 1));
  out.push_back(int_setting("vm/min_free_kbytes", &Tunables::Vm::min_free_kbytes, 0, INT_MAX));
  // mm places nothing below its fixed floor; the value is shown, not changed.
  out.push_back(read_only("vm/mmap_min_addr", [](Kernel& k) {
    return line(static_cast<i64>(k.tunables().vm.mmap_min_addr));
  }));
  {
    // overcommit_kbytes and overcommit_ratio exclude each other: writing one zeroes the
    // other (overcommit_ratio_handler / overcommit_kbytes_handler).
    SettingFile f =
        int_setting("vm/overcommit_kbytes", &Tunables::Vm::overcommit_kbytes, 0, LLONG_MAX);
    f.write = [](Kernel& k, std::string_view text) -> Result<void> {
      k.tunables().vm.overcommit_kbytes =
          static_cast<u64>(TRY(parse_int_setting(text, 0, LLONG_MAX)));
      k.tunables().vm.overcommit_ratio = 0;
      return {};
    };
    out.push_back(std::move(f));
  }
  out.push_back(int_setting("vm/overcommit_memory", &Tunables::Vm::overcommit_memory, 0, 2));
  {
    SettingFile f =
        int_setting("vm/overcommit_ratio", &Tunables::Vm::overcommit_ratio, INT_MIN, INT_MAX);
    f.write = [](Kernel& k, std::string_view text) -> Result<void> {
      k.tunables().vm.overcommit_ratio =
          static_cast<int>(TRY(parse_int_setting(text, INT_MIN, INT_MAX)));
      k.tunables().vm.overcommit_kbytes = 0;
      return {};
    };
    out.push_back(std::move(f));
  }
  out.push_back(int_setting("vm/page-cluster", &Tunables::Vm::page_cluster, 0, INT_MAX));
  out.push_back(int_setting("vm/swappiness", &Tunables::Vm::swappiness, 0, 200));
  out.push_back(
      int_setting("vm/user_reserve_kbytes", &Tunables::Vm::user_reserve_kbytes, 0, LLONG_MAX));
  out.push_back(
      int_setting("vm/vfs_cache_pressure", &Tunables::Vm::vfs_cache_pressure, 0, INT_MAX));
  out.push_back(
      int_setting("vm/watermark_scale_factor", &Tunables::Vm::watermark_scale_factor, 1, 3000));
  return out;
}

}  // namespace

Result<i64> parse_int_setting(std::string_view text, i64 min, i64 max) {
  size_t i = 0;
  const auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (i < text.size() && is_space(text[i])) ++i;
  bool negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  const size_t digits_start = i;
  u64 value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (value > (u64{1} << 62)) return abi::Errno::kEINVAL;
    value = value * 10 + static_cast<u64>(text[i] - '0');
    ++i;
  }
  if (i == digits_start) return abi::Errno::kEINVAL;
  while (i < text.size() && (is_space(text[i]) || text[i] == '\0')) ++i;
  if (i != text.size()) return abi::Errno::kEINVAL;
  const i64 v = negative ? -static_cast<i64>(value) : static_cast<i64>(value);
  if (v < min || v > max) return abi::Errno::kEINVAL;
  return v;
}

bool sysfs_streq(std::string_view a, std::string_view b) {
  if (!a.empty() && a.back() == '\n') a.remove_suffix(1);
  if (!b.empty() && b.back() == '\n') b.remove_suffix(1);
  return a == b;
}

const std::vector<SettingFile>& sysctl_files() {
  static const std::vector<SettingFile> files = [] {
    std::vector<SettingFile> sorted = build();
    // Directory listings walk the table in order: a directory's entries must be adjacent.
    std::sort(sorted.begin(), sorted.end(),
              [](const SettingFile& a, const SettingFile& b) { return a.path < b.path; });
    return sorted;
  }();
  return files;
}

}  // namespace kernel::fs::procfs
