// debugfs files (Linux 6.1): split_huge_pages (mm/huge_memory.c, CONFIG_DEBUG_FS). It takes
// "<pid>,0x<vaddr_start>,0x<vaddr_end>" (split the THPs that process maps there), "1"
// (split every THP) or "<path>,0x<pgoff_start>,0x<pgoff_end>" (the file's page-cache THPs).
#include "kernel/fs/sysfs/debugfs.h"

#include <algorithm>
#include <optional>

#include "kernel/fs/vfs.h"
#include "kernel/kernel.h"
#include "kernel/mm/split_huge_pages.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"

namespace kernel::fs::procfs {

namespace {

// The kernel's vsscanf() for the formats split_huge_pages_write() passes it: literal
// characters, which must match the input exactly, and %d / %lx conversions. Each step
// fails where vsscanf would stop; the caller counts the conversions made.
class KernelScanner {
 public:
  explicit KernelScanner(std::string_view input) : m_input(input) {}

  bool literal(char c) {
    if (at(m_pos) != c) return false;
    ++m_pos;
    return true;
  }
  // "%d": the low 32 bits of simple_strntoll().
  std::optional<i32> decimal() {
    const auto v = number(10, true);
    if (!v) return std::nullopt;
    return static_cast<i32>(static_cast<u32>(*v));
  }
  // "%lx": simple_strntoull() in base 16, which skips a "0x" of its own.
  std::optional<u64> hex() { return number(16, false); }

 private:
  // The input as the C string the kernel sees: NUL past its end.
  char at(size_t i) const { return i < m_input.size() ? m_input[i] : '\0'; }
  // The kernel's isspace(): the C locale's white space and Latin-1's no-break space.
  static bool space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || static_cast<unsigned char>(c) == 0xa0;
  }
  static unsigned digit_value(char c) {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    const char lower = static_cast<char>(c | 0x20);
    if (lower >= 'a' && lower <= 'f') return static_cast<unsigned>(lower - 'a' + 10);
    return 16;
  }

  std::optional<u64> number(unsigned base, bool is_signed) {
    if (at(m_pos) == '\0') return std::nullopt;
    while (space(at(m_pos))) ++m_pos;
    size_t pos = m_pos;
    const bool negative = is_signed && at(pos) == '-';
    if (negative) ++pos;
    if (digit_value(at(pos)) >= base) return std::nullopt;
    if (base == 16 && at(pos) == '0' && (at(pos + 1) | 0x20) == 'x') pos += 2;
    // _parse_integer_limit(): every digit is taken; a value past 64 bits wraps.
    u64 value = 0;
    for (unsigned d; (d = digit_value(at(pos))) < base; ++pos) value = value * base + d;
    m_pos = pos;
    return negative ? ~value + 1 : value;
  }

  std::string_view m_input;
  size_t m_pos = 0;
};

// sscanf(input, "0x%lx,0x%lx", ...) == 2.
bool scan_offsets(std::string_view input, u64& first, u64& last) {
  KernelScanner s(input);
  if (!s.literal('0') || !s.literal('x')) return false;
  const auto a = s.hex();
  if (!a || !s.literal(',') || !s.literal('0') || !s.literal('x')) return false;
  const auto b = s.hex();
  if (!b) return false;
  first = *a, last = *b;
  return true;
}

// sscanf(input, "%d,0x%lx,0x%lx", ...): how many conversions were made.
int scan_pid_range(std::string_view input, i32& pid, u64& start, u64& end) {
  KernelScanner s(input);
  const auto p = s.decimal();
  if (!p) return 0;
  pid = *p;
  if (!s.literal(',') || !s.literal('0') || !s.literal('x')) return 1;
  const auto a = s.hex();
  if (!a) return 1;
  start = *a;
  if (!s.literal(',') || !s.literal('0') || !s.literal('x')) return 2;
  const auto b = s.hex();
  if (!b) return 2;
  end = *b;
  return 3;
}

// find_task_by_vpid() and get_task_mm(): ESRCH for no such task, EINVAL for one without
// memory (a zombie, or a thread group whose leader has exited).
Result<mm::AddressSpace*> address_space_of(Kernel& kernel, i32 pid) {
  if (pid > 0) {
    if (Thread* thread = kernel.find_thread(pid)) {
      Process& process = thread->process();
      if (!process.alive()) return abi::Errno::kEINVAL;
      return &process.address_space();
    }
    if (kernel.find_process(pid)) return abi::Errno::kEINVAL;
  }
  return abi::Errno::kESRCH;
}

// split_huge_pages_in_file(): the path is opened read-only as the writer (any failure is
// EINVAL); then the THPs of its pages in [pgoff_start, pgoff_end) are split: a tmpfs file's
// or memfd's shmem huge pages (a host file's page cache holds none).
Result<void> split_huge_pages_in_file(Kernel& kernel, std::string_view input) {
  // strsep(&buf, ","): the path is what comes before the first comma. Without one 6.1
  // hands sscanf the NULL strsep leaves (an oops); emu refuses the input.
  const size_t comma = input.find(',');
  if (comma == std::string_view::npos) return abi::Errno::kEINVAL;
  u64 first = 0, last = 0;
  if (!scan_offsets(input.substr(comma + 1), first, last)) return abi::Errno::kEINVAL;
  Process& writer = kernel.current();
  const Caller caller{writer.fs(), writer.pid(), writer.exe_path(), &writer.fds(), writer.creds()};
  const std::string path(input.substr(0, comma));
  auto file = kernel.vfs().open(caller, nullptr, path, abi::kO_RDONLY);
  if (!file.ok()) return abi::Errno::kEINVAL;
  auto object = file.value()->memory_object(kernel.memory());
  if (!object.ok()) return {};  // no pages of its own: nothing to split
  (void)mm::split_huge_pages_in_object(kernel.memory(), *object.value(), first, last);
  return {};
}

// split_huge_pages_write(): the answer is the length of the string it parsed.
Result<u64> write_split_huge_pages(Kernel& kernel, std::string_view text) {
  // copy_from_user() of at most MAX_INPUT_BUF_SZ (255) bytes, the last of them made NUL:
  // the input is a C string of up to 254 characters.
  constexpr size_t kMaxInputBufSize = 255;
  std::string_view input = text.substr(0, std::min(text.size(), kMaxInputBufSize - 1));
  input = input.substr(0, input.find('\0'));
  if (!input.empty() && input[0] == '/') {
    TRY(split_huge_pages_in_file(kernel, input));
    return input.size();
  }
  i32 pid = 0;
  u64 start = 0, end = 0;
  const int conversions = scan_pid_range(input, pid, start, end);
  if (conversions == 1 && pid == 1) {
    (void)mm::split_huge_pages_all(kernel.memory());
    return input.size();
  }
  if (conversions != 3) return abi::Errno::kEINVAL;
  mm::AddressSpace* as = TRY(address_space_of(kernel, pid));
  (void)mm::split_huge_pages_in_range(kernel.memory(), *as, start, end);
  return input.size();
}

class DebugfsFile final : public File {
 public:
  DebugfsFile(Kernel& kernel, const SettingFile& setting, abi::Stat stat, std::string path)
      : m_kernel(kernel), m_setting(setting), m_stat(stat), m_path(std::move(path)) {}

  // No read operation: EINVAL, as vfs_read says without FMODE_CAN_READ.
  Result<u64> read(std::span<u8>) override { return abi::Errno::kEINVAL; }
  Result<u64> pread(std::span<u8>, u64) override { return abi::Errno::kEINVAL; }
  Result<u64> write(std::span<const u8> buf) override {
    return m_setting.debugfs_write(
        m_kernel, std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
  }
  Result<void> stat(abi::Stat& out) override {
    out = m_stat;
    return {};
  }
  std::string path() const override { return m_path; }

 private:
  Kernel& m_kernel;
  const SettingFile& m_setting;
  abi::Stat m_stat;
  std::string m_path;
};

}  // namespace

void add_debugfs_files(std::vector<SettingFile>& out) {
  SettingFile f;
  f.path = std::string(kDebugfsDir) + "/split_huge_pages";
  f.mode = 0200;
  f.debugfs_write = write_split_huge_pages;
  out.push_back(std::move(f));
}

std::shared_ptr<File> open_debugfs_file(Kernel& kernel, const SettingFile& setting, abi::Stat stat,
                                        std::string path) {
  return std::make_shared<DebugfsFile>(kernel, setting, stat, std::move(path));
}

}  // namespace kernel::fs::procfs
