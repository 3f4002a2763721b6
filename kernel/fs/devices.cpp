#include "kernel/fs/devices.h"

#include <cstring>
#include <utility>

namespace kernel::fs {

namespace {

// /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom. Writes to any of them
// vanish (but /dev/full's, which are ENOSPC); reads give EOF, zeros or random bytes.
class MemDevice final : public File {
 public:
  MemDevice(std::shared_ptr<Inode> inode, u32 minor, std::string path)
      : m_inode(std::move(inode)), m_minor(minor), m_path(std::move(path)) {}

  Result<u64> read(std::span<u8> buf) override {
    switch (m_minor) {
      case kNullMinor:
        return 0;
      case kZeroMinor:
      case kFullMinor:
        std::memset(buf.data(), 0, buf.size());
        break;
      default:
        TRY(host::random_bytes(buf));
        break;
    }
    return buf.size();
  }
  Result<u64> write(std::span<const u8> buf) override {
    if (m_minor == kFullMinor) return abi::Errno::kENOSPC;
    return buf.size();
  }
  Result<u64> pread(std::span<u8> buf, u64) override { return read(buf); }
  Result<u64> pwrite(std::span<const u8> buf, u64) override { return write(buf); }
  // These devices have no position: Linux's lseek on them succeeds and stays at 0.
  Result<u64> seek(i64, int) override { return 0; }
  Result<void> stat(abi::Stat& out) override {
    out = TRY(m_inode->stat());
    return {};
  }
  std::string path() const override { return m_path; }
  std::shared_ptr<Inode> inode() const override { return m_inode; }
  u32 minor() const { return m_minor; }

 private:
  std::shared_ptr<Inode> m_inode;
  u32 m_minor;
  std::string m_path;
};

u32 major_of(u64 dev) {
  return static_cast<u32>(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffu));
}
u32 minor_of(u64 dev) {
  return static_cast<u32>((dev & 0xff) | ((dev >> 12) & ~0xffu));
}

}  // namespace

Result<std::shared_ptr<File>> open_device(std::shared_ptr<Inode> inode, u64 rdev,
                                          std::string path) {
  const u32 minor = minor_of(rdev);
  if (major_of(rdev) != kMemMajor) return abi::Errno::kENXIO;
  switch (minor) {
    case kNullMinor:
    case kZeroMinor:
    case kFullMinor:
    case kRandomMinor:
    case kUrandomMinor:
      return std::shared_ptr<File>(
          std::make_shared<MemDevice>(std::move(inode), minor, std::move(path)));
    default:
      return abi::Errno::kENXIO;
  }
}

bool is_dev_zero(const File& file) {
  const auto* device = dynamic_cast<const MemDevice*>(&file);
  return device && device->minor() == kZeroMinor;
}

}  // namespace kernel::fs
