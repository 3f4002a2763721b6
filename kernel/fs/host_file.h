// Files of the host filesystem as the guest sees them: regular files and directories opened
// read-only, and O_PATH handles. Below them, fs::host: the only place in fs/ that calls the
// host's libc, so host headers and host values stay in host_file.cpp and the rest of fs/
// talks to the host through these wrappers, in guest terms.
#pragma once

#include <memory>
#include <optional>
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
// The guest poll events (POLLIN, POLLOUT, POLLHUP, POLLERR) host fd `fd` has now.
u32 poll_now(int fd);

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
u64 real_time_ns();
void cpu_time_ns(u64& user, u64& system);

// --- Changes, for a writable (`--bind ...:rw`) host view. Each works on one name in the
// directory a handle names, or on the entry a handle names, never following a symlink. ---

// Creates `name` in `dir_fd` with exactly `mode`'s permission bits (the host's umask does
// not apply): a regular file (kS_IFREG) or a directory (kS_IFDIR); EPERM for other types.
Result<void> make_entry(int dir_fd, const std::string& name, u32 mode);
Result<void> make_symlink(int dir_fd, const std::string& name, const std::string& target);
// A new name `name` in `dir_fd` for the entry `handle` names.
Result<void> make_link(int handle, int dir_fd, const std::string& name);
enum class RemoveKind : u8 { File, Directory };
Result<void> remove(int dir_fd, const std::string& name, RemoveKind kind);
Result<void> rename(int dir_fd, const std::string& name, int new_dir_fd,
                    const std::string& new_name, u32 flags);
// Reopens the regular file an O_PATH `handle` names for reading and/or writing.
Result<HostFd> reopen(int handle, bool write);
Result<void> change_mode(int handle, u32 mode);
Result<void> change_owner(int handle, u32 uid, u32 gid);  // ~0u: leave as is
Result<void> change_times(int handle, const abi::Timespec* atime, const abi::Timespec* mtime);
Result<void> truncate(int fd, u64 size);
// fstatfs() of the filesystem `fd` lies on, in the guest's layout (f_type etc. the host's).
struct StatfsFields {
  i64 type, bsize, frsize, namelen, flags;
  u64 blocks, bfree, bavail, files, ffree;
};
Result<StatfsFields> statfs(int fd);

}  // namespace host

class HostPageCache;

// A host regular file (opened for writing only on a writable host view). Reads and writes
// go through pread()/pwrite() at our own offset, so the host fd's offset is never shared.
// Once the file is mapped it has a page cache (`memory`'s): its resident pages are the
// file's newest contents, so reads take them over the host's bytes and writes update them,
// as Linux's one page cache serves read(), write() and mappings alike.
class HostFile final : public File {
 public:
  HostFile(HostFd fd, std::string guest_path, std::shared_ptr<Inode> inode = nullptr,
           mm::MemoryManager* memory = nullptr);

  Result<u64> read(std::span<u8> buf) override;
  Result<u64> pread(std::span<u8> buf, u64 offset) override;
  Result<u64> write(std::span<const u8> buf) override;
  Result<u64> pwrite(std::span<const u8> buf, u64 offset) override;
  Result<u64> seek(i64 offset, int whence) override;
  Result<void> stat(abi::Stat& out) override;
  bool mappable() const override { return true; }
  Result<std::shared_ptr<mm::MemoryObject>> memory_object(mm::MemoryManager& mm) override;
  std::string path() const override { return m_path; }
  std::shared_ptr<Inode> inode() const override { return m_inode; }
  int host_fd() const { return m_fd.get(); }

 private:
  // The file's page cache, when something has mapped it and it is still alive.
  std::shared_ptr<HostPageCache> page_cache();
  Result<u64> read_at(std::span<u8> buf, u64 offset);
  Result<u64> write_at(std::span<const u8> buf, u64 offset);

  mm::MemoryManager* m_memory;
  std::optional<std::pair<u64, u64>> m_key;  // (st_dev, st_ino), the page cache's key
  HostFd m_fd;
  std::string m_path;
  std::shared_ptr<Inode> m_inode;
  u64 m_offset = 0;
};

}  // namespace kernel::fs
