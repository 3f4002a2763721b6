#include "kernel/fs/procfs/proc_pid.h"

#include <algorithm>
#include <cstring>

#include "kernel/fs/file.h"
#include "kernel/fs/procfs/seq.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"

namespace kernel::fs::procfs {

namespace {

constexpr int kOomScoreAdjMin = -1000, kOomScoreAdjMax = 1000;

struct LimitName {
  const char* name;
  const char* unit;
};
constexpr LimitName kLimitNames[Process::kRlimitCount] = {
    {"Max cpu time", "seconds"},        {"Max file size", "bytes"},
    {"Max data size", "bytes"},         {"Max stack size", "bytes"},
    {"Max core file size", "bytes"},    {"Max resident set", "bytes"},
    {"Max processes", "processes"},     {"Max open files", "files"},
    {"Max locked memory", "bytes"},     {"Max address space", "bytes"},
    {"Max file locks", "locks"},        {"Max pending signals", "signals"},
    {"Max msgqueue size", "bytes"},     {"Max nice priority", nullptr},
    {"Max realtime priority", nullptr}, {"Max realtime timeout", "us"},
};

// Reads [start, end) of the process's memory, up to the first page that cannot be read
// (access_remote_vm stops there, and the file reads as what came before).
Result<std::string> read_range(Process& process, u64 start, u64 end) {
  std::string out;
  u64 addr = start;
  while (addr < end) {
    const u64 chunk = std::min(end - addr, kPageSize - (addr & kPageMask));
    const size_t at = out.size();
    out.resize(at + chunk);
    if (!mm::copy_from_user(process.address_space(), out.data() + at, addr, chunk).ok()) {
      out.resize(at);
      break;
    }
    addr += chunk;
  }
  return out;
}

}  // namespace

std::string render_limits(Process& process) {
  SeqBuf m;
  m.puts("Limit                     Soft Limit           Hard Limit           Units     \n");
  char buf[128];
  for (int i = 0; i < Process::kRlimitCount; ++i) {
    const abi::Rlimit& limit = process.rlimits()[i];
    if (limit.cur == abi::kRLIM_INFINITY)
      std::snprintf(buf, sizeof buf, "%-25s %-20s ", kLimitNames[i].name, "unlimited");
    else
      std::snprintf(buf, sizeof buf, "%-25s %-20llu ", kLimitNames[i].name,
                    static_cast<unsigned long long>(limit.cur));
    m.puts(buf);
    if (limit.max == abi::kRLIM_INFINITY)
      std::snprintf(buf, sizeof buf, "%-20s ", "unlimited");
    else
      std::snprintf(buf, sizeof buf, "%-20llu ", static_cast<unsigned long long>(limit.max));
    m.puts(buf);
    if (kLimitNames[i].unit) {
      std::snprintf(buf, sizeof buf, "%-10s\n", kLimitNames[i].unit);
      m.puts(buf);
    } else {
      m.putc('\n');
    }
  }
  return m.take();
}

Result<std::string> render_cmdline(Process& process) {
  const proc::ProgramLayout& layout = process.layout();
  const u64 arg_start = layout.arg_start, arg_end = layout.arg_end;
  u64 env_start = layout.env_start, env_end = layout.env_end;
  if (arg_end <= arg_start) return std::string();
  // setproctitle() may run on into the environment, but only when it directly follows.
  if (env_start != arg_end || env_end < env_start) env_start = env_end = arg_end;
  std::string args = TRY(read_range(process, arg_start, arg_end));
  if (args.size() < arg_end - arg_start || args.back() == '\0') return args;
  // The final NUL was overwritten: the title runs up to the first NUL, environment included.
  std::string all = args + TRY(read_range(process, env_start, env_end));
  const size_t nul = all.find('\0');
  if (nul != std::string::npos) all.resize(nul + 1);
  return all;
}

Result<std::string> render_environ(Process& process) {
  return read_range(process, process.layout().env_start, process.layout().env_end);
}

std::string render_auxv(Process& process) {
  const auto& auxv = process.layout().auxv;
  std::string out(auxv.size() * 16, '\0');
  for (size_t i = 0; i < auxv.size(); ++i) {
    std::memcpy(out.data() + i * 16, &auxv[i].type, 8);
    std::memcpy(out.data() + i * 16 + 8, &auxv[i].value, 8);
  }
  return out;
}

std::string render_comm(Process& process) {
  return process.comm() + "\n";
}

void write_comm(Process& process, std::string_view text) {
  std::string name(text.substr(0, 15));
  // set_task_comm() keeps the bytes up to the first NUL.
  if (const size_t nul = name.find('\0'); nul != std::string::npos) name.resize(nul);
  process.comm() = name;
}

std::string render_oom_score_adj(Process& process) {
  return std::to_string(process.oom_score_adj()) + "\n";
}

namespace {
// kstrtoint(strstrip(buffer), base, ...) over the first `room` bytes written: an optional
// sign and digits with whitespace around them, nothing else (EINVAL); ERANGE past an int.
Result<int> parse_written_int(std::string_view text, size_t room, int base) {
  std::string s(text.substr(0, room));
  if (const size_t nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  const auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && is_space(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  s = s.substr(i);
  if (s.empty()) return abi::Errno::kEINVAL;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, base);
  if (*end != '\0' || s[0] == ' ') return abi::Errno::kEINVAL;
  if (errno == ERANGE || v < INT32_MIN || v > INT32_MAX) return abi::Errno::kERANGE;
  return static_cast<int>(v);
}
}  // namespace

Result<void> write_oom_score_adj(Process& process, std::string_view text) {
  // Decimal, octal or hex.
  const int v = TRY(parse_written_int(text, 23, 0));
  if (v < kOomScoreAdjMin || v > kOomScoreAdjMax) return abi::Errno::kEINVAL;
  process.oom_score_adj() = v;
  return {};
}

Result<void> write_clear_refs(Process& process, std::string_view text) {
  // clear_refs_write(): PROC_NUMBUF bytes at most, decimal, one of the five types.
  const int type = TRY(parse_written_int(text, 12, 10));
  if (type < 1 || type > 5) return abi::Errno::kEINVAL;
  process.address_space().clear_refs(static_cast<mm::AddressSpace::ClearRefs>(type));
  return {};
}

std::string render_oom_score(Process& process, u64 total_pages, u64 rss_and_tables) {
  const int adj = process.oom_score_adj();
  u64 points = 0;
  if (adj != kOomScoreAdjMin && total_pages > 0) {
    // oom_badness(): rss + swap + page tables, plus adj thousandths of memory.
    i64 badness = static_cast<i64>(rss_and_tables) +
                  static_cast<i64>(adj) * static_cast<i64>(total_pages / 1000);
    const i64 scaled = (1000 + badness * 1000 / static_cast<i64>(total_pages)) * 2 / 3;
    points = scaled > 0 ? static_cast<u64>(scaled) : 0;
  }
  return std::to_string(points) + "\n";
}

std::string fd_link_target(File& file) {
  std::string path = file.path();
  if (!path.empty()) return path;
  abi::Stat st{};
  (void)file.stat(st);
  const u32 type = st.st_mode & abi::kS_IFMT;
  const std::string ino = std::to_string(st.st_ino);
  if (type == abi::kS_IFIFO) return "pipe:[" + ino + "]";
  if (type == abi::kS_IFSOCK) return "socket:[" + ino + "]";
  // A descriptor inherited from the host (emu's own stdio) has no name in the guest's
  // tree; Linux names such files "anon_inode:[...]" too.
  return "anon_inode:[" + ino + "]";
}

std::string render_fdinfo(File& file, bool close_on_exec, const std::vector<MountView>& mounts) {
  // seq_show(): the position, f_flags with O_CLOEXEC from the descriptor, the mount, inode.
  u64 pos = 0;
  if (auto r = file.seek(0, abi::kSEEK_CUR); r.ok()) pos = r.value();
  u64 flags = file.status_flags;
  if (close_on_exec) flags |= abi::kO_CLOEXEC;
  abi::Stat st{};
  (void)file.stat(st);
  const MountView* mount = mount_of(mounts, file.path().empty() ? "/" : file.path());
  char buf[64];
  std::snprintf(buf, sizeof buf, "0%llo", static_cast<unsigned long long>(flags));
  SeqBuf m;
  m.dec("pos:\t", pos).puts("\nflags:\t").puts(buf);
  m.dec("\nmnt_id:\t", mount ? static_cast<u64>(mount->id) : 0);
  m.dec("\nino:\t", st.st_ino).putc('\n');
  return m.take() + file.fdinfo();
}

}  // namespace kernel::fs::procfs
