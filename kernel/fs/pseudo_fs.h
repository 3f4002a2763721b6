// A tree the kernel serves from its own state (procfs at /proc, sysfs at /sys). The path
// walker hands every lookup below such a mount point to the tree, which names its entries
// with PseudoNode values: what the node is and whose it is, never a host object.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernel/fs/file.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/host_file.h"

namespace kernel::fs {

struct Caller;

struct PseudoNode {
  u16 kind = 0;      // the tree's own meaning
  int pid = 0;       // the process a /proc/PID entry belongs to
  i64 arg = 0;       // a descriptor number, a table index ...
  std::string path;  // a directory of settings: "vm", "kernel/mm/ksm"
};

class PseudoFs {
 public:
  virtual ~PseudoFs() = default;

  virtual PseudoNode root() const = 0;
  // The entry `name` of directory `dir`; ENOENT when there is none.
  virtual Result<PseudoNode> lookup(const PseudoNode& dir, const std::string& name,
                                    const Caller& caller) = 0;
  virtual abi::Stat stat(const PseudoNode& node) = 0;
  // The entries of a directory, "." and ".." first.
  virtual Result<std::vector<DirEntry>> list(const PseudoNode& dir, const Caller& caller) = 0;
  virtual Result<std::string> link_target(const PseudoNode& node, const Caller& caller) = 0;
  // Opens a regular file (directories and O_PATH opens are the Vfs's business).
  virtual Result<std::shared_ptr<File>> open_file(const PseudoNode& node, u64 flags,
                                                  const std::string& path,
                                                  const Caller& caller) = 0;
};

// The trees mounted over the host's /proc and /sys (either may be null).
struct PseudoMounts {
  PseudoFs* proc = nullptr;
  PseudoFs* sys = nullptr;
};

// A directory of a pseudo tree, opened: it lists the entries it had when opened.
class PseudoDirectory final : public File {
 public:
  PseudoDirectory(abi::Stat stat, std::string path, std::vector<DirEntry> entries)
      : m_stat(stat), m_path(std::move(path)), m_entries(std::move(entries)) {}

  Result<u64> read(std::span<u8>) override { return abi::Errno::kEISDIR; }
  Result<u64> pread(std::span<u8>, u64) override { return abi::Errno::kEISDIR; }
  Result<u64> seek(i64 offset, int whence) override;
  Result<void> stat(abi::Stat& out) override {
    out = m_stat;
    return {};
  }
  Result<u64> getdents64(std::span<u8> buf) override {
    return encode_dirents(buf, m_entries, m_position);
  }
  std::string path() const override { return m_path; }

 private:
  abi::Stat m_stat;
  std::string m_path;
  std::vector<DirEntry> m_entries;
  u64 m_position = 0;
};

// An O_PATH handle on a pseudo entry: it stats and, for a symlink, knows its target.
class PseudoPathFile final : public File {
 public:
  PseudoPathFile(abi::Stat stat, std::string path, std::string link_target)
      : m_stat(stat), m_path(std::move(path)), m_link_target(std::move(link_target)) {}

  Result<void> stat(abi::Stat& out) override {
    out = m_stat;
    return {};
  }
  std::string path() const override { return m_path; }
  Result<std::string> link_target() const {
    if ((m_stat.st_mode & abi::kS_IFMT) != abi::kS_IFLNK) return abi::Errno::kENOENT;
    return m_link_target;
  }

 private:
  abi::Stat m_stat;
  std::string m_path;
  std::string m_link_target;
};

}  // namespace kernel::fs
