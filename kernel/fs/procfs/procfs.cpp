#include "kernel/fs/procfs/procfs.h"

#include <charconv>

#include "kernel/fs/fd_table.h"
#include "kernel/fs/procfs/array.h"
#include "kernel/fs/procfs/generated_file.h"
#include "kernel/fs/procfs/kpage.h"
#include "kernel/fs/procfs/mm_view.h"
#include "kernel/fs/procfs/mounts.h"
#include "kernel/fs/procfs/proc_pid.h"
#include "kernel/fs/procfs/proc_system.h"
#include "kernel/fs/procfs/setting_file.h"
#include "kernel/fs/procfs/task_mmu.h"
#include "kernel/fs/sysfs/debugfs.h"
#include "kernel/kernel.h"
#include "kernel/proc/process.h"

namespace kernel::fs::procfs {

namespace {

// glibc's makedev(): the anonymous devices Linux gives proc (0:22) and sysfs (0:21).
constexpr u64 encode_dev(u64 major, u64 minor) {
  return ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) |
         (minor & 0xff);
}
constexpr u64 kProcDev = encode_dev(0, 22);
constexpr u64 kSysDev = encode_dev(0, 21);

enum Kind : u16 {
  kRoot = 1,
  kSelf,        // symlink to the caller's pid
  kMountsLink,  // /proc/mounts -> self/mounts
  kGlobal,      // arg: index into kGlobalFiles
  kSysctlDir,   // path: below /proc/sys
  kSysctlFile,  // arg: index into sysctl_files()
  kPidDir,
  kPidFile,  // arg: index into kPidFiles
  kPidLink,  // arg: PidLink
  kFdDir,
  kFd,  // arg: the descriptor
  kFdinfoDir,
  kFdinfo,  // arg: the descriptor
  kKpage,   // arg: index into kKpageFiles
};

enum PidLink : i64 { kExe, kCwd, kRoot_ };
constexpr const char* kPidLinkNames[] = {"exe", "cwd", "root"};

using SystemRenderer = std::string (*)(Kernel&);
struct GlobalFile {
  const char* name;
  SystemRenderer render;
};
const GlobalFile kGlobalFiles[] = {
    {"cpuinfo", [](Kernel&) { return render_cpuinfo(); }},
    {"filesystems", [](Kernel& k) { return render_filesystems(current_mounts(k)); }},
    {"loadavg", [](Kernel& k) { return render_loadavg(system_facts(k)); }},
    {"meminfo", [](Kernel& k) { return render_meminfo(meminfo_inputs(k)); }},
    {"stat", [](Kernel& k) { return render_proc_stat(system_facts(k)); }},
    {"uptime", [](Kernel& k) { return render_uptime(system_facts(k)); }},
    {"vmstat", [](Kernel& k) { return render_vmstat(k); }},
};

// /proc/kpagecount and /proc/kpageflags: 8 bytes per physical frame, root's alone (0400).
struct KpageFile {
  const char* name;
  u64 (*read)(mm::MemoryManager&, u64 first, std::span<u64> out);
};
const KpageFile kKpageFiles[] = {
    {"kpagecount", read_kpagecount},
    {"kpageflags", read_kpageflags},
};

enum class PidFileKind : u8 { Text, Pagemap };
struct PidFile {
  const char* name;
  u32 mode;
  Result<std::string> (*render)(Kernel&, Process&);
  Result<void> (*write)(Process&, std::string_view);
  PidFileKind kind = PidFileKind::Text;
};

MmView mm_of(Kernel& k, Process& p) {
  return MmView(p.address_space(), k.frames());
}

const PidFile kPidFiles[] = {
    {"auxv", 0400, [](Kernel&, Process& p) -> Result<std::string> { return render_auxv(p); },
     nullptr},
    // Write-only: reading it is EINVAL, as a file without a read operation.
    {"clear_refs", 0200,
     [](Kernel&, Process&) -> Result<std::string> { return abi::Errno::kEINVAL; },
     [](Process& p, std::string_view text) { return write_clear_refs(p, text); }},
    {"cmdline", 0444, [](Kernel&, Process& p) { return render_cmdline(p); }, nullptr},
    {"comm", 0644, [](Kernel&, Process& p) -> Result<std::string> { return render_comm(p); },
     [](Process& p, std::string_view text) -> Result<void> {
       write_comm(p, text);
       return {};
     }},
    {"environ", 0400, [](Kernel&, Process& p) { return render_environ(p); }, nullptr},
    // KSM's view of the process (6.1): entries mapping KSM pages, and its rmap_items.
    {"ksm_merging_pages", 0400,
     [](Kernel& k, Process& p) -> Result<std::string> {
       return std::to_string(k.memory().ksm().merging_pages(p.address_space())) + "\n";
     },
     nullptr},
    {"ksm_stat", 0400,
     [](Kernel& k, Process& p) -> Result<std::string> {
       return "ksm_rmap_items " + std::to_string(k.memory().ksm().rmap_items(p.address_space())) +
              "\n";
     },
     nullptr},
    {"limits", 0444, [](Kernel&, Process& p) -> Result<std::string> { return render_limits(p); },
     nullptr},
    {"maps", 0444,
     [](Kernel& k, Process& p) -> Result<std::string> { return render_maps(mm_of(k, p)); },
     nullptr},
    {"mountinfo", 0444,
     [](Kernel& k, Process&) -> Result<std::string> { return render_mountinfo(current_mounts(k)); },
     nullptr},
    {"mounts", 0444,
     [](Kernel& k, Process&) -> Result<std::string> { return render_mounts(current_mounts(k)); },
     nullptr},
    {"oom_score", 0444,
     [](Kernel& k, Process& p) -> Result<std::string> {
       const MmCounters c = mm_of(k, p).counters();
       return render_oom_score(p, k.frames().total_frames(),
                               c.rss() + c.swap_entries + (c.page_table_bytes >> kPageShift));
     },
     nullptr},
    {"oom_score_adj", 0644,
     [](Kernel&, Process& p) -> Result<std::string> { return render_oom_score_adj(p); },
     [](Process& p, std::string_view text) { return write_oom_score_adj(p, text); }},
    {"pagemap", 0400, nullptr, nullptr, PidFileKind::Pagemap},
    {"smaps", 0444,
     [](Kernel& k, Process& p) -> Result<std::string> { return render_smaps(mm_of(k, p)); },
     nullptr},
    {"smaps_rollup", 0444,
     [](Kernel& k, Process& p) -> Result<std::string> { return render_smaps_rollup(mm_of(k, p)); },
     nullptr},
    {"stat", 0444,
     [](Kernel& k, Process& p) -> Result<std::string> {
       return render_stat(p, mm_of(k, p), task_facts(k, p));
     },
     nullptr},
    {"statm", 0444,
     [](Kernel& k, Process& p) -> Result<std::string> {
       return render_statm(mm_of(k, p), p.layout());
     },
     nullptr},
    {"status", 0444,
     [](Kernel& k, Process& p) -> Result<std::string> {
       return render_status(p, mm_of(k, p), task_facts(k, p));
     },
     nullptr},
};

PseudoNode node(Kind kind, int pid = 0, i64 arg = 0, std::string path = {}) {
  PseudoNode n;
  n.kind = kind;
  n.pid = pid;
  n.arg = arg;
  n.path = std::move(path);
  return n;
}

// A /proc/<pid> or fd name: decimal digits, no leading zero (Linux's name_to_int).
i64 parse_number(std::string_view name) {
  if (name.empty() || (name.size() > 1 && name[0] == '0')) return -1;
  i64 v = -1;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec != std::errc() || end != name.data() + name.size()) return -1;
  return v;
}

u64 ino_of(const PseudoNode& n) {
  // Distinct per (kind, pid, arg); setting directories hash their path.
  u64 arg = static_cast<u64>(n.arg) & 0xffffff;
  if (!n.path.empty()) arg = std::hash<std::string>{}(n.path) & 0xffffff;
  return (static_cast<u64>(n.pid) << 32) | (u64{n.kind} << 24) | arg;
}

abi::Stat make_stat(u64 dev, u64 ino, u32 mode, u32 uid, u32 gid) {
  abi::Stat st{};
  st.st_dev = dev;
  st.st_ino = ino;
  st.st_mode = mode;
  st.st_nlink = (mode & abi::kS_IFMT) == abi::kS_IFDIR ? 2 : 1;
  st.st_uid = uid;
  st.st_gid = gid;
  st.st_blksize = 1024;
  return st;
}

// The settings directly below directory `dir` ("" for the tree's root): their names, and
// whether each is a directory (true) or a file (with its index).
struct SettingChild {
  std::string name;
  bool directory = false;
  i64 index = -1;
};
std::vector<SettingChild> setting_children(const std::vector<SettingFile>& files,
                                           const std::string& dir) {
  std::vector<SettingChild> out;
  const std::string prefix = dir.empty() ? "" : dir + "/";
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& p = files[i].path;
    if (p.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = p.substr(prefix.size());
    const size_t slash = rest.find('/');
    SettingChild child;
    child.name = rest.substr(0, slash);
    child.directory = slash != std::string::npos;
    child.index = child.directory ? -1 : static_cast<i64>(i);
    if (!out.empty() && out.back().name == child.name) continue;
    out.push_back(std::move(child));
  }
  return out;
}

Result<SettingChild> setting_lookup(const std::vector<SettingFile>& files, const std::string& dir,
                                    const std::string& name) {
  for (SettingChild& child : setting_children(files, dir)) {
    if (child.name == name) return child;
  }
  return abi::Errno::kENOENT;
}

// sysctl_perm() / kernfs_fop_open(): the owner's bits decide, for root too, so a read-only
// setting cannot be opened for writing nor a write-only one for reading.
Result<std::shared_ptr<File>> setting_file(Kernel& kernel, const SettingFile& setting, abi::Stat st,
                                           const std::string& path, u64 flags) {
  const u32 owner = (setting.mode >> 6) & 07;
  const u64 access = flags & abi::kO_ACCMODE;
  if (access != abi::kO_WRONLY && !(owner & 04)) return abi::Errno::kEACCES;
  if (access != abi::kO_RDONLY && (!(owner & 02) || !setting.write)) return abi::Errno::kEACCES;
  GeneratedFile::Generator read;
  if (setting.mode & 0444)
    read = [&kernel, &setting]() -> Result<std::string> { return setting.read(kernel); };
  GeneratedFile::Writer write;
  if (setting.write) {
    write = [&kernel, &setting](std::string_view text) { return setting.write(kernel, text); };
  }
  return std::shared_ptr<File>(
      std::make_shared<GeneratedFile>(st, path, std::move(read), std::move(write)));
}

}  // namespace

PseudoNode ProcFs::root() const {
  return node(kRoot);
}

Result<PseudoNode> ProcFs::lookup(const PseudoNode& dir, const std::string& name,
                                  const Caller& caller) {
  switch (dir.kind) {
    case kRoot: {
      if (name == "self") {
        if (caller.pid <= 0) return abi::Errno::kENOENT;
        return node(kSelf);
      }
      if (name == "mounts") return node(kMountsLink);
      if (name == "sys") return node(kSysctlDir);
      for (size_t i = 0; i < std::size(kGlobalFiles); ++i) {
        if (name == kGlobalFiles[i].name) return node(kGlobal, 0, static_cast<i64>(i));
      }
      for (size_t i = 0; i < std::size(kKpageFiles); ++i) {
        if (name == kKpageFiles[i].name) return node(kKpage, 0, static_cast<i64>(i));
      }
      const i64 pid = parse_number(name);
      if (pid > 0 && pid <= INT32_MAX && m_kernel.find_process(static_cast<int>(pid)))
        return node(kPidDir, static_cast<int>(pid));
      return abi::Errno::kENOENT;
    }
    case kSysctlDir: {
      const SettingChild child = TRY(setting_lookup(sysctl_files(), dir.path, name));
      if (child.directory)
        return node(kSysctlDir, 0, 0, dir.path.empty() ? name : dir.path + "/" + name);
      return node(kSysctlFile, 0, child.index);
    }
    case kPidDir: {
      if (!m_kernel.find_process(dir.pid)) return abi::Errno::kENOENT;
      if (name == "fd") return node(kFdDir, dir.pid);
      if (name == "fdinfo") return node(kFdinfoDir, dir.pid);
      for (i64 i = 0; i < static_cast<i64>(std::size(kPidLinkNames)); ++i) {
        if (name == kPidLinkNames[i]) return node(kPidLink, dir.pid, i);
      }
      for (size_t i = 0; i < std::size(kPidFiles); ++i) {
        if (name == kPidFiles[i].name) return node(kPidFile, dir.pid, static_cast<i64>(i));
      }
      return abi::Errno::kENOENT;
    }
    case kFdDir:
    case kFdinfoDir: {
      Process* process = m_kernel.find_process(dir.pid);
      const i64 fd = parse_number(name);
      if (!process || fd < 0 || fd > INT32_MAX || !process->fds().get(static_cast<int>(fd)).ok())
        return abi::Errno::kENOENT;
      return node(dir.kind == kFdDir ? kFd : kFdinfo, dir.pid, fd);
    }
    default:
      return abi::Errno::kENOTDIR;
  }
}

abi::Stat ProcFs::stat(const PseudoNode& n) {
  u32 uid = 0, gid = 0;
  if (n.pid > 0) {
    // A process's directory belongs to its effective ids (task_dump_owner, dumpable).
    if (Process* process = m_kernel.find_process(n.pid)) {
      uid = process->creds().euid;
      gid = process->creds().egid;
    }
  }
  u32 mode = abi::kS_IFDIR | 0555;
  switch (n.kind) {
    case kSelf:
    case kMountsLink:
    case kPidLink:
      mode = abi::kS_IFLNK | 0777;
      break;
    case kGlobal:
      mode = abi::kS_IFREG | 0444;
      break;
    case kKpage:
      mode = abi::kS_IFREG | 0400;
      break;
    case kSysctlFile:
      mode = abi::kS_IFREG | sysctl_files()[static_cast<size_t>(n.arg)].mode;
      break;
    case kPidFile:
      mode = abi::kS_IFREG | kPidFiles[n.arg].mode;
      break;
    case kFdDir:
      mode = abi::kS_IFDIR | 0500;
      break;
    case kFd: {
      // proc_fd_link's mode follows the file's access: r-x to read, -wx to write.
      mode = abi::kS_IFLNK;
      if (std::shared_ptr<File> file = link_file(n)) {
        if (file->readable()) mode |= 0500;
        if (file->writable()) mode |= 0300;
      }
      break;
    }
    case kFdinfoDir:
      mode = abi::kS_IFDIR | 0500;
      break;
    case kFdinfo:
      mode = abi::kS_IFREG | 0444;
      break;
    default:
      break;
  }
  return make_stat(kProcDev, n.kind == kRoot ? 1 : ino_of(n), mode, uid, gid);
}

Result<std::vector<DirEntry>> ProcFs::list(const PseudoNode& dir, const Caller& caller) {
  std::vector<DirEntry> out;
  const abi::Stat self_stat = stat(dir);
  out.push_back({self_stat.st_ino, kDT_DIR, "."});
  out.push_back({dir.kind == kRoot ? 1 : ino_of(node(kRoot)), kDT_DIR, ".."});
  auto add = [&](const PseudoNode& n, std::string name) {
    const abi::Stat st = stat(n);
    out.push_back({st.st_ino, dirent_type(st.st_mode), std::move(name)});
  };
  switch (dir.kind) {
    case kRoot:
      for (size_t i = 0; i < std::size(kGlobalFiles); ++i)
        add(node(kGlobal, 0, static_cast<i64>(i)), kGlobalFiles[i].name);
      for (size_t i = 0; i < std::size(kKpageFiles); ++i)
        add(node(kKpage, 0, static_cast<i64>(i)), kKpageFiles[i].name);
      add(node(kMountsLink), "mounts");
      add(node(kSysctlDir), "sys");
      if (caller.pid > 0) add(node(kSelf), "self");
      for (Process* p : m_kernel.processes())
        add(node(kPidDir, p->pid()), std::to_string(p->pid()));
      break;
    case kSysctlDir:
      for (const SettingChild& child : setting_children(sysctl_files(), dir.path)) {
        if (child.directory)
          add(node(kSysctlDir, 0, 0, dir.path.empty() ? child.name : dir.path + "/" + child.name),
              child.name);
        else
          add(node(kSysctlFile, 0, child.index), child.name);
      }
      break;
    case kPidDir:
      if (!m_kernel.find_process(dir.pid)) return abi::Errno::kENOENT;
      for (size_t i = 0; i < std::size(kPidFiles); ++i)
        add(node(kPidFile, dir.pid, static_cast<i64>(i)), kPidFiles[i].name);
      for (i64 i = 0; i < static_cast<i64>(std::size(kPidLinkNames)); ++i)
        add(node(kPidLink, dir.pid, i), kPidLinkNames[i]);
      add(node(kFdDir, dir.pid), "fd");
      add(node(kFdinfoDir, dir.pid), "fdinfo");
      break;
    case kFdDir:
    case kFdinfoDir: {
      Process* process = m_kernel.find_process(dir.pid);
      if (!process) return abi::Errno::kENOENT;
      for (int fd : process->fds().open_fds())
        add(node(dir.kind == kFdDir ? kFd : kFdinfo, dir.pid, fd), std::to_string(fd));
      break;
    }
    default:
      return abi::Errno::kENOTDIR;
  }
  return out;
}

Result<std::string> ProcFs::link_target(const PseudoNode& n, const Caller& caller) {
  switch (n.kind) {
    case kSelf:
      if (caller.pid <= 0) return abi::Errno::kENOENT;
      return std::to_string(caller.pid);
    case kMountsLink:
      return std::string("self/mounts");
    case kPidLink: {
      Process* process = m_kernel.find_process(n.pid);
      if (!process) return abi::Errno::kENOENT;
      if (n.arg == kExe) {
        if (process->exe_path().empty()) return abi::Errno::kENOENT;
        return process->exe_path();
      }
      if (n.arg == kCwd) return process->fs().cwd;
      return std::string("/");
    }
    case kFd: {
      Process* process = m_kernel.find_process(n.pid);
      if (!process) return abi::Errno::kENOENT;
      auto file = process->fds().get(static_cast<int>(n.arg));
      if (!file.ok()) return abi::Errno::kENOENT;
      return fd_link_target(*file.value());
    }
    default:
      return abi::Errno::kEINVAL;
  }
}

std::shared_ptr<File> ProcFs::link_file(const PseudoNode& n) {
  if (n.kind != kFd) return nullptr;
  Process* process = m_kernel.find_process(n.pid);
  if (!process) return nullptr;
  auto file = process->fds().get(static_cast<int>(n.arg));
  return file.ok() ? file.value() : nullptr;
}

Result<std::shared_ptr<File>> ProcFs::open_file(const PseudoNode& n, u64 flags,
                                                const std::string& path, const Caller& caller) {
  (void)flags;
  const abi::Stat st = stat(n);
  Kernel& kernel = m_kernel;
  switch (n.kind) {
    case kGlobal: {
      const SystemRenderer render = kGlobalFiles[n.arg].render;
      return std::shared_ptr<File>(std::make_shared<GeneratedFile>(
          st, path, [&kernel, render]() -> Result<std::string> { return render(kernel); },
          nullptr));
    }
    case kSysctlFile: {
      return setting_file(kernel, sysctl_files()[static_cast<size_t>(n.arg)], st, path, flags);
    }
    case kKpage: {
      // Read in whole entries at any offset (mem_lseek), as pagemap is.
      const auto read = kKpageFiles[n.arg].read;
      return std::shared_ptr<File>(std::make_shared<PagemapFile>(
          st, path, [&kernel, read](u64 first, std::span<u64> out) -> Result<u64> {
            return read(kernel.memory(), first, out);
          }));
    }
    case kPidFile: {
      const PidFile& entry = kPidFiles[n.arg];
      const int pid = n.pid;
      if (!kernel.find_process(pid)) return abi::Errno::kENOENT;
      if (entry.kind == PidFileKind::Pagemap) {
        // Physical frame numbers only for a reader with CAP_SYS_ADMIN.
        const bool show_pfn = capable(caller.cred, cap::kSysAdmin);
        return std::shared_ptr<File>(std::make_shared<PagemapFile>(
            st, path, [&kernel, pid, show_pfn](u64 first, std::span<u64> out) -> Result<u64> {
              Process* p = kernel.find_process(pid);
              if (!p) return abi::Errno::kESRCH;
              return render_pagemap(mm_of(kernel, *p), first, out, show_pfn);
            }));
      }
      auto render = entry.render;
      GeneratedFile::Writer write;
      if (entry.write) {
        auto writer = entry.write;
        write = [&kernel, pid, writer](std::string_view text) -> Result<void> {
          Process* p = kernel.find_process(pid);
          if (!p) return abi::Errno::kESRCH;
          return writer(*p, text);
        };
      }
      return std::shared_ptr<File>(std::make_shared<GeneratedFile>(
          st, path,
          [&kernel, pid, render]() -> Result<std::string> {
            Process* p = kernel.find_process(pid);
            if (!p) return abi::Errno::kESRCH;
            return render(kernel, *p);
          },
          std::move(write)));
    }
    case kFdinfo: {
      const int pid = n.pid;
      const int fd = static_cast<int>(n.arg);
      return std::shared_ptr<File>(std::make_shared<GeneratedFile>(
          st, path,
          [&kernel, pid, fd]() -> Result<std::string> {
            Process* p = kernel.find_process(pid);
            if (!p) return abi::Errno::kESRCH;
            auto file = p->fds().get(fd);
            if (!file.ok()) return abi::Errno::kENOENT;
            const bool cloexec = p->fds().close_on_exec(fd).value();
            return render_fdinfo(*file.value(), cloexec, current_mounts(kernel));
          },
          nullptr));
    }
    default:
      return abi::Errno::kEINVAL;
  }
}

// ---- /sys ----

PseudoNode SysFs::root() const {
  return node(kSysctlDir);
}

Result<PseudoNode> SysFs::lookup(const PseudoNode& dir, const std::string& name, const Caller&) {
  if (dir.kind != kSysctlDir) return abi::Errno::kENOTDIR;
  const SettingChild child = TRY(setting_lookup(sysfs_files(), dir.path, name));
  if (child.directory)
    return node(kSysctlDir, 0, 0, dir.path.empty() ? name : dir.path + "/" + name);
  return node(kSysctlFile, 0, child.index);
}

abi::Stat SysFs::stat(const PseudoNode& n) {
  if (n.kind == kSysctlDir)
    return make_stat(kSysDev, n.path.empty() ? 1 : ino_of(n),
                     abi::kS_IFDIR | (n.path == kDebugfsDir ? 0700 : 0755), 0, 0);
  return make_stat(kSysDev, ino_of(n),
                   abi::kS_IFREG | sysfs_files()[static_cast<size_t>(n.arg)].mode, 0, 0);
}

Result<std::vector<DirEntry>> SysFs::list(const PseudoNode& dir, const Caller&) {
  if (dir.kind != kSysctlDir) return abi::Errno::kENOTDIR;
  std::vector<DirEntry> out;
  out.push_back({stat(dir).st_ino, kDT_DIR, "."});
  out.push_back({1, kDT_DIR, ".."});
  for (const SettingChild& child : setting_children(sysfs_files(), dir.path)) {
    const PseudoNode n =
        child.directory
            ? node(kSysctlDir, 0, 0, dir.path.empty() ? child.name : dir.path + "/" + child.name)
            : node(kSysctlFile, 0, child.index);
    const abi::Stat st = stat(n);
    out.push_back({st.st_ino, dirent_type(st.st_mode), child.name});
  }
  return out;
}

Result<std::string> SysFs::link_target(const PseudoNode&, const Caller&) {
  return abi::Errno::kEINVAL;
}

Result<std::shared_ptr<File>> SysFs::open_file(const PseudoNode& n, u64 flags,
                                               const std::string& path, const Caller&) {
  if (n.kind != kSysctlFile) return abi::Errno::kEINVAL;
  const SettingFile& setting = sysfs_files()[static_cast<size_t>(n.arg)];
  if (setting.debugfs_write) return open_debugfs_file(m_kernel, setting, stat(n), path);
  return setting_file(m_kernel, setting, stat(n), path, flags);
}

}  // namespace kernel::fs::procfs
