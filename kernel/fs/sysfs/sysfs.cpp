// /sys: the attributes guests read about memory management and CPUs
// (mm/huge_memory.c, mm/ksm.c, drivers/base/cpu.c). Values come from the kernel's
// tunables; KSM's settings and counters come from ksmd (mm/ksm.h).
#include <algorithm>
#include <climits>
#include <functional>

#include "kernel/fs/procfs/setting_file.h"
#include "kernel/fs/sysfs/debugfs.h"
#include "kernel/kernel.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/process.h"

namespace kernel::fs::procfs {

namespace {

// A choice attribute: every option, the current one in brackets ("[always] madvise never").
template <typename E>
SettingFile choice(std::string path, std::vector<const char*> names, E Tunables::Thp::*field) {
  SettingFile f;
  f.path = std::move(path);
  f.mode = 0644;
  f.read = [names, field](Kernel& k) {
    std::string out;
    const auto current = static_cast<size_t>(k.tunables().thp.*field);
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) out += ' ';
      out += i == current ? std::string("[") + names[i] + "]" : names[i];
    }
    return out + "\n";
  };
  f.write = [names, field](Kernel& k, std::string_view text) -> Result<void> {
    for (size_t i = 0; i < names.size(); ++i) {
      if (sysfs_streq(text, names[i])) {
        k.tunables().thp.*field = static_cast<E>(i);
        return {};
      }
    }
    return abi::Errno::kEINVAL;
  };
  return f;
}

// kstrtouint / kstrtoint as KSM's attributes parse: no sign, no whitespace but one
// trailing newline.
Result<u32> parse_ksm_number(std::string_view text, i64 min, i64 max) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty() || text[0] == '-' || text[0] == ' ') return abi::Errno::kEINVAL;
  return static_cast<u32>(TRY(parse_int_setting(text, min, max)));
}

// A KSM attribute: read from ksmd's state, written through its setter (nullptr: read-only).
SettingFile ksm_file(std::string name, std::function<u64(mm::Ksm&)> read,
                     std::function<Result<void>(mm::Ksm&, std::string_view)> write = nullptr) {
  SettingFile f;
  f.path = "kernel/mm/ksm/" + std::move(name);
  f.mode = write ? 0644 : 0444;
  f.read = [read = std::move(read)](Kernel& k) {
    return std::to_string(read(k.memory().ksm())) + "\n";
  };
  if (write)
    f.write = [write = std::move(write)](Kernel& k, std::string_view text) -> Result<void> {
      TRY(write(k.memory().ksm(), text));
      // ksmd may have work now (run=1), or none any more.
      k.update_wakeup();
      return {};
    };
  return f;
}

// kstrtobool: y/Y/1/on or n/N/0/off, a trailing newline allowed.
Result<bool> parse_bool(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty()) return abi::Errno::kEINVAL;
  switch (text[0]) {
    case 'y':
    case 'Y':
    case '1':
      return true;
    case 'n':
    case 'N':
    case '0':
      return false;
    case 'o':
    case 'O':
      if (text.size() > 1 && (text[1] == 'n' || text[1] == 'N')) return true;
      if (text.size() > 1 && (text[1] == 'f' || text[1] == 'F')) return false;
      break;
    default:
      break;
  }
  return abi::Errno::kEINVAL;
}

void add_ksm_files(std::vector<SettingFile>& out) {
  using mm::Ksm;
  out.push_back(ksm_file("full_scans", [](Ksm& m) { return m.full_scans(); }));
  out.push_back(ksm_file(
      "max_page_sharing", [](Ksm& m) { return u64{m.settings().max_page_sharing}; },
      [](Ksm& m, std::string_view t) -> Result<void> {
        return m.set_max_page_sharing(TRY(parse_ksm_number(t, 0, INT_MAX)));
      }));
  out.push_back(ksm_file(
      "merge_across_nodes", [](Ksm& m) { return u64{m.settings().merge_across_nodes}; },
      [](Ksm& m, std::string_view t) -> Result<void> {
        return m.set_merge_across_nodes(TRY(parse_ksm_number(t, 0, UINT_MAX)));
      }));
  out.push_back(ksm_file("pages_shared", [](Ksm& m) { return m.counters().pages_shared; }));
  out.push_back(ksm_file("pages_sharing", [](Ksm& m) { return m.counters().pages_sharing; }));
  out.push_back(ksm_file(
      "pages_to_scan", [](Ksm& m) { return u64{m.settings().pages_to_scan}; },
      [](Ksm& m, std::string_view t) -> Result<void> {
        m.set_pages_to_scan(TRY(parse_ksm_number(t, 0, UINT_MAX)));
        return {};
      }));
  out.push_back(ksm_file("pages_unshared", [](Ksm& m) { return m.counters().pages_unshared; }));
  out.push_back(ksm_file("pages_volatile", [](Ksm& m) { return m.counters().pages_volatile; }));
  out.push_back(ksm_file(
      "run", [](Ksm& m) { return u64{m.settings().run}; },
      [](Ksm& m, std::string_view t) -> Result<void> {
        return m.set_run(TRY(parse_ksm_number(t, 0, UINT_MAX)));
      }));
  out.push_back(ksm_file(
      "sleep_millisecs", [](Ksm& m) { return u64{m.settings().sleep_millisecs}; },
      [](Ksm& m, std::string_view t) -> Result<void> {
        m.set_sleep_millisecs(TRY(parse_ksm_number(t, 0, UINT_MAX)));
        return {};
      }));
  out.push_back(
      ksm_file("stable_node_chains", [](Ksm& m) { return m.counters().stable_node_chains; }));
  out.push_back(ksm_file(
      "stable_node_chains_prune_millisecs",
      [](Ksm& m) { return u64{m.settings().stable_node_chains_prune_millisecs}; },
      [](Ksm& m, std::string_view t) -> Result<void> {
        m.set_stable_node_chains_prune_millisecs(TRY(parse_ksm_number(t, 0, UINT_MAX)));
        return {};
      }));
  out.push_back(ksm_file("stable_node_dups", [](Ksm& m) { return m.counters().stable_node_dups; }));
  out.push_back(ksm_file(
      "use_zero_pages", [](Ksm& m) { return u64{m.settings().use_zero_pages}; },
      [](Ksm& m, std::string_view t) -> Result<void> {
        m.set_use_zero_pages(TRY(parse_bool(t)));
        return {};
      }));
}

// A khugepaged number (mm/khugepaged.c's *_store: kstrtoul/kstrtouint, EINVAL outside
// [min, max]).
// `wakes`: a write wakes khugepaged at once, as 6.1's scan_sleep_millisecs_store and
// alloc_sleep_millisecs_store do (a sleep shortened from 10 s applies now, not in 10 s).
SettingFile khugepaged_setting(std::string name, u32 Tunables::Thp::*field, i64 min, i64 max,
                               bool wakes = false) {
  SettingFile f;
  f.path = "kernel/mm/transparent_hugepage/khugepaged/" + std::move(name);
  f.mode = 0644;
  f.read = [field](Kernel& k) { return std::to_string(k.tunables().thp.*field) + "\n"; };
  f.write = [field, min, max, wakes](Kernel& k, std::string_view text) -> Result<void> {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (text.empty() || text[0] == '-' || text[0] == ' ') return abi::Errno::kEINVAL;
    k.tunables().thp.*field = static_cast<u32>(TRY(parse_int_setting(text, min, max)));
    if (wakes) k.memory().khugepaged().next_scan_ns = 0;
    return {};
  };
  return f;
}

SettingFile constant(std::string path, std::string value) {
  SettingFile f;
  f.path = std::move(path);
  f.read = [value = std::move(value)](Kernel&) { return value; };
  return f;
}

// drivers/base/memory.c's {hard,soft}_offline_page: a physical address (kstrtoull base 0:
// decimal, 0x hex or 0 octal, one trailing newline) whose page goes through memory_failure
// or soft offline. Write-only; CAP_SYS_ADMIN, else EPERM.
SettingFile offline_page(std::string name, bool hard) {
  SettingFile f;
  f.path = "devices/system/memory/" + std::move(name);
  f.mode = 0200;
  f.read = [](Kernel&) { return std::string(); };
  f.write = [hard](Kernel& k, std::string_view text) -> Result<void> {
    if (!capable(k.current().creds(), cap::kSysAdmin)) return abi::Errno::kEPERM;
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    unsigned base = 10;
    if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
      base = 16;
      text.remove_prefix(2);
    } else if (text.size() > 1 && text[0] == '0') {
      base = 8;
      text.remove_prefix(1);
    }
    if (text.empty()) return abi::Errno::kEINVAL;
    u64 paddr = 0;
    for (char c : text) {
      unsigned digit;
      if (c >= '0' && c <= '9')
        digit = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        digit = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        digit = static_cast<unsigned>(c - 'A' + 10);
      else
        return abi::Errno::kEINVAL;
      if (digit >= base || paddr > (~u64{0} - digit) / base) return abi::Errno::kEINVAL;
      paddr = paddr * base + digit;
    }
    const Pfn pfn = PhysAddr(paddr).pfn();
    // A frame beyond RAM has no page (pfn_to_online_page fails): ENXIO, as memory_failure.
    if (pfn.value >= k.ram().frame_count()) return abi::Errno::kENXIO;
    if (k.tracing(kTracePoison))
      k.emit("poison-inject",
             {TraceField::str("source", hard ? "hard_offline_page" : "soft_offline_page"),
              TraceField::hex("paddr", paddr), TraceField::dec("pfn", pfn.value)});
    if (!hard) return k.soft_offline_page(pfn);
    const int error = k.memory_failure(pfn, mm::kMfSwSimulated);
    if (error != 0) return static_cast<abi::Errno>(error);
    return {};
  };
  return f;
}

std::vector<SettingFile> build() {
  std::vector<SettingFile> out;
  // One CPU, always online: the masks of drivers/base/cpu.c.
  out.push_back(constant("devices/system/cpu/offline", "\n"));
  out.push_back(constant("devices/system/cpu/online", "0\n"));
  out.push_back(constant("devices/system/cpu/possible", "0\n"));
  out.push_back(constant("devices/system/cpu/present", "0\n"));
  out.push_back(offline_page("hard_offline_page", true));
  out.push_back(offline_page("soft_offline_page", false));
  add_ksm_files(out);
  add_debugfs_files(out);
  out.push_back(choice("kernel/mm/transparent_hugepage/defrag",
                       {"always", "defer", "defer+madvise", "madvise", "never"},
                       &Tunables::Thp::defrag));
  out.push_back(choice("kernel/mm/transparent_hugepage/enabled", {"always", "madvise", "never"},
                       &Tunables::Thp::enabled));
  // khugepaged's knobs and progress.
  {
    SettingFile f;
    f.path = "kernel/mm/transparent_hugepage/khugepaged/defrag";
    f.mode = 0644;
    f.read = [](Kernel& k) {
      return std::string(k.tunables().thp.khugepaged_defrag ? "1\n" : "0\n");
    };
    f.write = [](Kernel& k, std::string_view text) -> Result<void> {
      if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
      if (text != "0" && text != "1") return abi::Errno::kEINVAL;
      k.tunables().thp.khugepaged_defrag = text == "1";
      return {};
    };
    out.push_back(std::move(f));
  }
  out.push_back(khugepaged_setting("alloc_sleep_millisecs", &Tunables::Thp::alloc_sleep_millisecs,
                                   0, UINT_MAX, true));
  {
    SettingFile f;
    f.path = "kernel/mm/transparent_hugepage/khugepaged/full_scans";
    f.read = [](Kernel& k) { return std::to_string(k.memory().khugepaged().full_scans) + "\n"; };
    out.push_back(std::move(f));
  }
  out.push_back(khugepaged_setting("max_ptes_none", &Tunables::Thp::max_ptes_none, 0, 511));
  out.push_back(khugepaged_setting("max_ptes_shared", &Tunables::Thp::max_ptes_shared, 0, 511));
  out.push_back(khugepaged_setting("max_ptes_swap", &Tunables::Thp::max_ptes_swap, 0, 511));
  {
    SettingFile f;
    f.path = "kernel/mm/transparent_hugepage/khugepaged/pages_collapsed";
    f.read = [](Kernel& k) {
      return std::to_string(k.memory().khugepaged().pages_collapsed) + "\n";
    };
    out.push_back(std::move(f));
  }
  out.push_back(khugepaged_setting("pages_to_scan", &Tunables::Thp::pages_to_scan, 1, UINT_MAX));
  out.push_back(khugepaged_setting("scan_sleep_millisecs", &Tunables::Thp::scan_sleep_millisecs, 0,
                                   UINT_MAX, true));
  // memfd and shared anonymous memory follow it (MemoryObject::huge_allowed).
  out.push_back(choice("kernel/mm/transparent_hugepage/shmem_enabled",
                       {"always", "within_size", "advise", "never", "deny", "force"},
                       &Tunables::Thp::shmem_enabled));
  // HPAGE_PMD_SIZE: a 2 MiB page-directory entry, fixed by x86-64 paging.
  out.push_back(constant("kernel/mm/transparent_hugepage/hpage_pmd_size",
                         std::to_string(kHugePageSize) + "\n"));
  {
    SettingFile f;
    f.path = "kernel/mm/transparent_hugepage/use_zero_page";
    f.mode = 0644;
    f.read = [](Kernel& k) { return std::string(k.tunables().thp.use_zero_page ? "1\n" : "0\n"); };
    f.write = [](Kernel& k, std::string_view text) -> Result<void> {
      if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
      if (text != "0" && text != "1") return abi::Errno::kEINVAL;
      k.tunables().thp.use_zero_page = text == "1";
      return {};
    };
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

const std::vector<SettingFile>& sysfs_files() {
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
