// /sys: the attributes guests read about memory management and CPUs
// (mm/huge_memory.c, mm/ksm.c, drivers/base/cpu.c). Values come from the kernel's
// tunables; KSM's counters are zero because no ksmd has merged anything.
#include <algorithm>
#include <climits>

#include "kernel/fs/procfs/setting_file.h"
#include "kernel/kernel.h"
#include "kernel/mm/memory_manager.h"

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

SettingFile ksm_setting(std::string name, int Tunables::Ksm::*field, i64 min, i64 max) {
  SettingFile f;
  f.path = "kernel/mm/ksm/" + std::move(name);
  f.mode = 0644;
  f.read = [field](Kernel& k) { return std::to_string(k.tunables().ksm.*field) + "\n"; };
  f.write = [field, min, max](Kernel& k, std::string_view text) -> Result<void> {
    // kstrtouint / kstrtoul: no sign, no whitespace but one trailing newline.
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (text.empty() || text[0] == '-' || text[0] == ' ') return abi::Errno::kEINVAL;
    k.tunables().ksm.*field = static_cast<int>(TRY(parse_int_setting(text, min, max)));
    return {};
  };
  return f;
}

// A khugepaged number (mm/khugepaged.c's *_store: kstrtoul/kstrtouint, EINVAL outside
// [min, max]).
SettingFile khugepaged_setting(std::string name, u32 Tunables::Thp::*field, i64 min, i64 max) {
  SettingFile f;
  f.path = "kernel/mm/transparent_hugepage/khugepaged/" + std::move(name);
  f.mode = 0644;
  f.read = [field](Kernel& k) { return std::to_string(k.tunables().thp.*field) + "\n"; };
  f.write = [field, min, max](Kernel& k, std::string_view text) -> Result<void> {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (text.empty() || text[0] == '-' || text[0] == ' ') return abi::Errno::kEINVAL;
    k.tunables().thp.*field = static_cast<u32>(TRY(parse_int_setting(text, min, max)));
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

std::vector<SettingFile> build() {
  std::vector<SettingFile> out;
  // One CPU, always online: the masks of drivers/base/cpu.c.
  out.push_back(constant("devices/system/cpu/offline", "\n"));
  out.push_back(constant("devices/system/cpu/online", "0\n"));
  out.push_back(constant("devices/system/cpu/possible", "0\n"));
  out.push_back(constant("devices/system/cpu/present", "0\n"));
  // No ksmd has run: nothing scanned, shared or merged.
  out.push_back(constant("kernel/mm/ksm/full_scans", "0\n"));
  out.push_back(ksm_setting("max_page_sharing", &Tunables::Ksm::max_page_sharing, 2, INT_MAX));
  out.push_back(ksm_setting("merge_across_nodes", &Tunables::Ksm::merge_across_nodes, 0, 1));
  out.push_back(constant("kernel/mm/ksm/pages_shared", "0\n"));
  out.push_back(constant("kernel/mm/ksm/pages_sharing", "0\n"));
  out.push_back(ksm_setting("pages_to_scan", &Tunables::Ksm::pages_to_scan, 0, UINT_MAX));
  out.push_back(constant("kernel/mm/ksm/pages_unshared", "0\n"));
  out.push_back(constant("kernel/mm/ksm/pages_volatile", "0\n"));
  out.push_back(ksm_setting("run", &Tunables::Ksm::run, 0, 2));
  out.push_back(ksm_setting("sleep_millisecs", &Tunables::Ksm::sleep_millisecs, 0, UINT_MAX));
  out.push_back(constant("kernel/mm/ksm/stable_node_chains", "0\n"));
  out.push_back(ksm_setting("stable_node_chains_prune_millisecs",
                            &Tunables::Ksm::stable_node_chains_prune_millisecs, 0, UINT_MAX));
  out.push_back(constant("kernel/mm/ksm/stable_node_dups", "0\n"));
  out.push_back(ksm_setting("use_zero_pages", &Tunables::Ksm::use_zero_pages, 0, 1));
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
                                   0, UINT_MAX));
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
                                   UINT_MAX));
  // Kept for readers and writers such as the khugepaged selftest; shmem and tmpfs get no
  // huge pages whatever it says (see ThpSettings::shmem_enabled).
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
