// Open /proc and /sys files. Text files behave like Linux's seq_file: the text is produced
// from the kernel's state when a read starts at offset 0 and served from that snapshot
// until the next read from the start, so a reader that reads in pieces sees one
// consistent text and a reader that rereads from 0 sees fresh values.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "kernel/fs/file.h"

namespace kernel::fs::procfs {

class MmView;

class GeneratedFile final : public File {
 public:
  using Generator = std::function<Result<std::string>()>;
  using Writer = std::function<Result<void>(std::string_view)>;

  GeneratedFile(abi::Stat stat, std::string path, Generator generate, Writer write)
      : m_stat(stat),
        m_path(std::move(path)),
        m_generate(std::move(generate)),
        m_write(std::move(write)) {}

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> pread(std::span<u8> buf, u64 offset) override;
  Result<u64> write(std::span<const u8> buf) override;
  Result<u64> pwrite(std::span<const u8> buf, u64 offset) override;
  // seq_lseek: SEEK_SET and SEEK_CUR only.
  Result<u64> seek(i64 offset, int whence) override;
  Result<void> stat(abi::Stat& out) override {
    out = m_stat;
    return {};
  }
  std::string path() const override { return m_path; }

 private:
  Result<void> ensure(u64 offset);

  abi::Stat m_stat;
  std::string m_path;
  Generator m_generate;
  Writer m_write;
  std::optional<std::string> m_text;
  u64 m_position = 0;
};

// /proc/PID/pagemap (8 bytes per page of the address space) and /proc/kpageflags,
// kpagecount (8 bytes per physical frame): entries produced for the range read.
class PagemapFile final : public File {
 public:
  // Fills out with entries [first, first + out.size()); returns how many.
  using Source = std::function<Result<u64>(u64 first, std::span<u64> out)>;

  PagemapFile(abi::Stat stat, std::string path, Source source)
      : m_stat(stat), m_path(std::move(path)), m_source(std::move(source)) {}

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> pread(std::span<u8> buf, u64 offset) override;
  // No write operation: EINVAL, as vfs_write says without FMODE_CAN_WRITE (root may open
  // the file for writing).
  Result<u64> write(std::span<const u8>) override { return abi::Errno::kEINVAL; }
  Result<u64> pwrite(std::span<const u8>, u64) override { return abi::Errno::kEINVAL; }
  // mem_lseek: SEEK_SET and SEEK_CUR, any position.
  Result<u64> seek(i64 offset, int whence) override;
  Result<void> stat(abi::Stat& out) override {
    out = m_stat;
    return {};
  }
  std::string path() const override { return m_path; }

 private:
  abi::Stat m_stat;
  std::string m_path;
  Source m_source;
  u64 m_position = 0;
};

}  // namespace kernel::fs::procfs
