// Files of the host filesystem as the guest sees them: regular files and directories opened
// read-only, and O_PATH handles. Below them, fs::host: the only place in fs/ that calls the
// host's libc, so host headers and host values stay in host_file.cpp and the rest of fs/
// talks to the host through these wrappers, in guest terms.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/fs/file.h"

namespace kernel::fs {

// An owned host file descriptor, closed when dropped.
class HostFd {
 public:
  HostFd() = default;
  explicit HostFd(int fd) : m_fd(fd) {}
  ~HostFd() { reset(); }
  HostFd(HostFd&& other) noexcept : m_fd(other.release()) {}
  HostFd& operator=(HostFd&& other) noexcept;
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;

  int get() const { return m_fd; }
  bool valid() const { return m_fd >= 0; }
  int release() {
    const int fd = m_fd;
    m_fd = -1;
    return fd;
  }
  void reset();

 private:
  int m_fd = -1;
};

// linux_dirent64 d_type values.
inline constexpr u8 kDT_UNKNOWN = 0, kDT_FIFO = 1, kDT_CHR = 2, kDT_DIR = 4, kDT_BLK = 6;
inline constexpr u8 kDT_REG = 8, kDT_LNK = 10, kDT_SOCK = 12;
// The d_type for a guest st_mode.
u8 dirent_type(u32 mode);

// One directory entry, before it is encoded for the guest.
struct DirEntry {
  u64 ino = 0;
  u8 type = kDT_UNKNOWN;
  std::string name;
};

// Encodes entries[position...] as linux_dirent64 records (d_ino, d_off, d_reclen rounded up
// to 8, d_type, NUL-terminated name) while they fit in `buf`, advancing `position`; d_off
// is the position after the entry, which seek() accepts to resume there. Returns the bytes
// used: 0 at the end, EINVAL when not even the next entry fits.
Result<u64> encode_dirents(std::span<u8> buf, const std::vector<DirEntry>& entries, u64& position);

// The kernel's struct termios, as TCGETS copies it out (not glibc's 60-byte one: the
// kernel's has NCCS = 19 and no speed fields).
struct Termios {
  u32 c_iflag, c_oflag, c_cflag, c_lflag;
  u8 c_line;
  u8 c_cc[19];
};
static_assert(sizeof(Termios) == 36);

namespace host {

// The guest errno for a host errno, matched by name; one the guest list lacks reads as EIO.
abi::Errno errno_from_host(int host_errno);

// Opens `host_path` (trusted: it comes from the command line) as a directory handle.
Result<HostFd> open_directory_handle(const std::string& host_path);
// The canonical host path of `host_path` (realpath).
Result<std::string> canonical_path(const std::string& host_path);
// The emulator's own working directory on the host.
Result<std::string> current_directory();

// How open_at() opens an entry. It never follows a symlink in the last component and never
// blocks (a FIFO swapped in under our feet must not hang the emulator).
enum class OpenMode : u8 {
  Handle,     // O_PATH: no I/O, no permission needed on the entry itself
  File,       // O_RDONLY of a regular file; ENXIO-like failure if it is anything else
  Directory,  // O_RDONLY|O_DIRECTORY
};
// Opens the single component `name` (no '/') of directory `dir_fd`.
Result<HostFd> open_at(int dir_fd, const std::string& name, OpenMode mode);
// A second O_CLOEXEC descriptor for the same open file.
Result<HostFd> duplicate(int fd);

// fstat() in the guest's struct stat layout; an O_PATH fd gives the entry itself.
Result<abi::Stat> stat(int fd);
// The target of the symlink an O_PATH|O_NOFOLLOW handle names.
Result<std::string> read_link(int fd);
// Every entry of a directory opened with OpenMode::Directory, from its start.
Result<std::vector<DirEntry>> list_directory(int fd);
// Whether the caller may read (4) / execute (1) the entry `fd` names, as faccessat would
// answer; `mode` uses the guest's R_OK/W_OK/X_OK bits.
Result<void> access(int fd, int mode);

Result<u64> read(int fd, std::span<u8> buf);
Result<u64> pread(int fd, std::span<u8> buf, u64 offset);
Result<u64> write(int fd, std::span<const u8> buf);
Result<u64> pwrite(int fd, std::span<const u8> buf, u64 offset);
// lseek with a guest whence (SEEK_SET ... SEEK_HOLE).
Result<u64> seek(int fd, i64 offset, int whence);
// Whether a read would not block right now.
Result<bool> readable_now(int fd);

// fcntl(F_GETFL) as guest O_* bits; EBADF if the fd is not open.
Result<u64> status_flags(int fd);
bool is_terminal(int fd);
Result<Termios> terminal_attributes(int fd);
Result<abi::Winsize> window_size(int fd);

// Fills buf from the host's random source.
Result<void> random_bytes(std::span<u8> buf);

// The identity the guest runs with: emu's own (uids, gids, supplementary groups).
struct Identity {
  u32 uid = 0, euid = 0, suid = 0, fsuid = 0;
  u32 gid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<u32> groups;
};
Identity identity();
// The clocks /proc reports: CLOCK_BOOTTIME and CLOCK_REALTIME in nanoseconds, and the CPU
// time emu has used (user and system, nanoseconds): the guest's instructions run on it.
u64 boot_time_ns();
// The name of the host filesystem type `path` lies on ("ext4", "overlay" ...), from
// statfs's magic number; "unknown" when it is none of the common ones.
std::string filesystem_type(const std::string& path);
u64 real_time_ns();
void cpu_time_ns(u64& user, u64& system);

}  // namespace host

// A host regular file, opened read-only. Reads go through pread() at our own offset, so the
// host fd's offset is never shared state.
class HostFile final : public File {
 public:
  HostFile(HostFd fd, std::string guest_path);

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> pread(std::span<u8> buf, u64 offset) override;
  Result<u64> seek(i64 offset, int whence) override;
  Result<void> stat(abi::Stat& out) override;
  bool mappable() const override { return true; }
  std::string path() const override { return m_path; }

 private:
  HostFd m_fd;
  std::string m_path;
  u64 m_offset = 0;
};

// A host directory. getdents64 works from a snapshot of the listing taken at the first call
// (and again after a seek to 0), so a listing the guest reads in small pieces is consistent
// and resumes exactly where the last call stopped.
class HostDirectory final : public File {
 public:
  // `is_root`: this is the guest's "/", whose ".." must not reveal the host parent.
  HostDirectory(HostFd fd, std::string guest_path, bool is_root);

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> pread(std::span<u8> buf, u64 offset) override;
  Result<u64> seek(i64 offset, int whence) override;
  Result<void> stat(abi::Stat& out) override;
  Result<u64> getdents64(std::span<u8> buf) override;
  std::string path() const override { return m_path; }

 private:
  Result<void> load_entries();

  HostFd m_fd;
  std::string m_path;
  bool m_is_root;
  bool m_loaded = false;
  std::vector<DirEntry> m_entries;
  u64 m_position = 0;  // index into m_entries
};

// An O_PATH handle on any host entry, a symlink included: it names the entry for fstat,
// *at() lookups and readlinkat(fd, ""), but carries no I/O.
class HostPathFile final : public File {
 public:
  HostPathFile(HostFd fd, std::string guest_path);

  Result<void> stat(abi::Stat& out) override;
  std::string path() const override { return m_path; }
  // The target when the handle names a symlink; ENOENT otherwise, as readlinkat(fd, "").
  Result<std::string> link_target() const;

 private:
  HostFd m_fd;
  std::string m_path;
};

}  // namespace kernel::fs
