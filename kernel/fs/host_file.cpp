#include "kernel/fs/host_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernel/fs/page_cache.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::fs {

namespace {

// File status flags fcntl(F_GETFL) reports, host bit to guest bit.
struct StatusBit {
  int host;
  u64 guest;
};
constexpr StatusBit kStatusBits[] = {{O_APPEND, abi::kO_APPEND},  {O_NONBLOCK, abi::kO_NONBLOCK},
                                     {O_DSYNC, abi::kO_DSYNC},    {O_ASYNC, abi::kO_ASYNC},
                                     {O_DIRECT, abi::kO_DIRECT},  {O_LARGEFILE, abi::kO_LARGEFILE},
                                     {O_NOATIME, abi::kO_NOATIME}};

abi::Errno last_error() {
  return host::errno_from_host(errno);
}

bool interrupted() {
  return last_error() == abi::Errno::kEINTR;
}

u32 guest_file_type(mode_t mode) {
  if (S_ISREG(mode)) return abi::kS_IFREG;
  if (S_ISDIR(mode)) return abi::kS_IFDIR;
  if (S_ISLNK(mode)) return abi::kS_IFLNK;
  if (S_ISCHR(mode)) return abi::kS_IFCHR;
  if (S_ISBLK(mode)) return abi::kS_IFBLK;
  if (S_ISFIFO(mode)) return abi::kS_IFIFO;
  if (S_ISSOCK(mode)) return abi::kS_IFSOCK;
  return 0;
}

abi::Timespec guest_time(const struct timespec& ts) {
  return {ts.tv_sec, ts.tv_nsec};
}

abi::Stat stat_from_host(const struct ::stat& st) {
  abi::Stat out{};
  out.st_dev = st.st_dev;
  out.st_ino = st.st_ino;
  out.st_nlink = st.st_nlink;
  out.st_mode = guest_file_type(st.st_mode) | (st.st_mode & 07777);
  out.st_uid = st.st_uid;
  out.st_gid = st.st_gid;
  out.st_rdev = st.st_rdev;
  out.st_size = st.st_size;
  out.st_blksize = st.st_blksize;
  out.st_blocks = st.st_blocks;
  out.st_atim = guest_time(st.st_atim);
  out.st_mtim = guest_time(st.st_mtim);
  out.st_ctim = guest_time(st.st_ctim);
  return out;
}

u8 dirent_type_from_host(unsigned char type) {
  switch (type) {
    case ::DT_FIFO:
      return kDT_FIFO;
    case ::DT_CHR:
      return kDT_CHR;
    case ::DT_DIR:
      return kDT_DIR;
    case ::DT_BLK:
      return kDT_BLK;
    case ::DT_REG:
      return kDT_REG;
    case ::DT_LNK:
      return kDT_LNK;
    case ::DT_SOCK:
      return kDT_SOCK;
    default:
      return kDT_UNKNOWN;
  }
}

// Permission bits against our own identity, for hosts without faccessat2().
Result<void> access_by_mode_bits(const abi::Stat& st, int mode) {
  const uid_t uid = geteuid();
  if (uid == 0) {
    // Root may read anything and execute what anyone may execute (or a directory).
    const bool any_exec = (st.st_mode & 0111) || (st.st_mode & abi::kS_IFMT) == abi::kS_IFDIR;
    if ((mode & 1) && !any_exec) return abi::Errno::kEACCES;
    return {};
  }
  u32 granted = st.st_mode & 07;
  if (st.st_uid == uid) {
    granted = (st.st_mode >> 6) & 07;
  } else {
    bool in_group = st.st_gid == getegid();
    std::vector<gid_t> groups(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
    const int n = getgroups(static_cast<int>(groups.size()), groups.data());
    for (int i = 0; i < n && !in_group; ++i) in_group = groups[i] == st.st_gid;
    if (in_group) granted = (st.st_mode >> 3) & 07;
  }
  if ((static_cast<u32>(mode) & 07) & ~granted) return abi::Errno::kEACCES;
  return {};
}

}  // namespace

HostFd& HostFd::operator=(HostFd&& other) noexcept {
  if (this != &other) {
    reset();
    m_fd = other.release();
  }
  return *this;
}

void HostFd::reset() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

u8 dirent_type(u32 mode) {
  switch (mode & abi::kS_IFMT) {
    case abi::kS_IFIFO:
      return kDT_FIFO;
    case abi::kS_IFCHR:
      return kDT_CHR;
    case abi::kS_IFDIR:
      return kDT_DIR;
    case abi::kS_IFBLK:
      return kDT_BLK;
    case abi::kS_IFREG:
      return kDT_REG;
    case abi::kS_IFLNK:
      return kDT_LNK;
    case abi::kS_IFSOCK:
      return kDT_SOCK;
    default:
      return kDT_UNKNOWN;
  }
}

Result<u64> encode_dirents(std::span<u8> buf, const std::vector<DirEntry>& entries, u64& position) {
  // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
  constexpr u64 kHeader = 19;
  u64 used = 0;
  while (position < entries.size()) {
    const DirEntry& entry = entries[position];
    const u64 reclen = (kHeader + entry.name.size() + 1 + 7) & ~u64{7};
    if (reclen > buf.size() - used) {
      if (used == 0) return abi::Errno::kEINVAL;
      break;
    }
    u8* record = buf.data() + used;
    std::memset(record, 0, reclen);
    const u64 ino = entry.ino;
    const i64 next = static_cast<i64>(position + 1);
    const u16 len16 = static_cast<u16>(reclen);
    std::memcpy(record, &ino, 8);
    std::memcpy(record + 8, &next, 8);
    std::memcpy(record + 16, &len16, 2);
    record[18] = entry.type;
    std::memcpy(record + kHeader, entry.name.data(), entry.name.size());
    used += reclen;
    ++position;
  }
  return used;
}

namespace host {

abi::Errno errno_from_host(int host_errno) {
  switch (host_errno) {
#define EMU_HOST_ERRNO(name, value, message) \
  case name:                                 \
    return abi::Errno::k##name;
    EMU_ERRNO_LIST(EMU_HOST_ERRNO)
#undef EMU_HOST_ERRNO
    default:
      return abi::Errno::kEIO;
  }
}

Result<HostFd> open_directory_handle(const std::string& host_path) {
  const int fd = ::open(host_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  return HostFd(fd);
}

Result<std::string> canonical_path(const std::string& host_path) {
  char* resolved = ::realpath(host_path.c_str(), nullptr);
  if (!resolved) return last_error();
  std::string out(resolved);
  std::free(resolved);
  return out;
}

Result<std::string> current_directory() {
  char* cwd = ::getcwd(nullptr, 0);
  if (!cwd) return last_error();
  std::string out(cwd);
  std::free(cwd);
  return out;
}

Result<HostFd> open_at(int dir_fd, const std::string& name, OpenMode mode) {
  int flags = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  switch (mode) {
    case OpenMode::Handle:
      flags |= O_PATH;
      break;
    case OpenMode::File:
      flags |= O_RDONLY | O_NONBLOCK;
      break;
    case OpenMode::Directory:
      flags |= O_RDONLY | O_DIRECTORY;
      break;
  }
  int fd;
  do {
    fd = ::openat(dir_fd, name.c_str(), flags);
  } while (fd < 0 && interrupted());
  if (fd < 0) return last_error();
  HostFd owned(fd);
  if (mode == OpenMode::File) {
    // The caller saw a regular file through an O_PATH handle; if something else took its
    // place since, refuse rather than read a device or a FIFO.
    struct ::stat st;
    if (::fstat(fd, &st) != 0) return last_error();
    if (!S_ISREG(st.st_mode)) return abi::Errno::kEACCES;
  }
  return owned;
}

Result<HostFd> duplicate(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return last_error();
  return HostFd(copy);
}

Result<abi::Stat> stat(int fd) {
  struct ::stat st;
  if (::fstat(fd, &st) != 0) return last_error();
  return stat_from_host(st);
}

Result<std::string> read_link(int fd) {
  std::string target(256, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(fd, "", target.data(), target.size());
    if (n < 0) return last_error();
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    if (target.size() >= 65536) return abi::Errno::kENAMETOOLONG;
    target.resize(target.size() * 2);
  }
}

Result<std::vector<DirEntry>> list_directory(int fd) {
  if (::lseek(fd, 0, SEEK_SET) < 0) return last_error();
  std::vector<DirEntry> entries;
  std::vector<u8> buf(32 * 1024);
  for (;;) {
    const long n = ::syscall(SYS_getdents64, fd, buf.data(), buf.size());
    if (n < 0) {
      if (interrupted()) continue;
      return last_error();
    }
    if (n == 0) return entries;
    for (long off = 0; off < n;) {
      const u8* record = buf.data() + off;
      DirEntry entry;
      u16 reclen;
      std::memcpy(&entry.ino, record, 8);
      std::memcpy(&reclen, record + 16, 2);
      entry.type = dirent_type_from_host(record[18]);
      entry.name = reinterpret_cast<const char*>(record + 19);
      entries.push_back(std::move(entry));
      off += reclen;
    }
  }
}

Result<void> access(int fd, int mode) {
  int host_mode = 0;
  if (mode & 4) host_mode |= R_OK;
  if (mode & 2) host_mode |= W_OK;
  if (mode & 1) host_mode |= X_OK;
  if (::syscall(SYS_faccessat2, fd, "", host_mode, AT_EMPTY_PATH) == 0) return {};
  const abi::Errno err = last_error();
  if (err != abi::Errno::kENOSYS && err != abi::Errno::kEINVAL) return err;
  // Linux before 5.8 has no faccessat2 (nor AT_EMPTY_PATH for access checks).
  return access_by_mode_bits(TRY(stat(fd)), mode);
}

Result<u64> read(int fd, std::span<u8> buf) {
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<u64>(n);
    if (!interrupted()) return last_error();
  }
}

Result<u64> pread(int fd, std::span<u8> buf, u64 offset) {
  if (offset > static_cast<u64>(INT64_MAX)) return abi::Errno::kEINVAL;
  for (;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<u64>(n);
    if (!interrupted()) return last_error();
  }
}

Result<u64> write(int fd, std::span<const u8> buf) {
  for (;;) {
    const ssize_t n = ::write(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<u64>(n);
    if (!interrupted()) return last_error();
  }
}

Result<u64> pwrite(int fd, std::span<const u8> buf, u64 offset) {
  if (offset > static_cast<u64>(INT64_MAX)) return abi::Errno::kEINVAL;
  for (;;) {
    const ssize_t n = ::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<u64>(n);
    if (!interrupted()) return last_error();
  }
}

Result<u64> seek(int fd, i64 offset, int whence) {
  int host_whence;
  switch (whence) {
    case abi::kSEEK_SET:
      host_whence = SEEK_SET;
      break;
    case abi::kSEEK_CUR:
      host_whence = SEEK_CUR;
      break;
    case abi::kSEEK_END:
      host_whence = SEEK_END;
      break;
    case 3:
      host_whence = SEEK_DATA;
      break;  // SEEK_DATA
    case 4:
      host_whence = SEEK_HOLE;
      break;  // SEEK_HOLE
    default:
      return abi::Errno::kEINVAL;
  }
  const off_t pos = ::lseek(fd, offset, host_whence);
  if (pos < 0) return last_error();
  return static_cast<u64>(pos);
}

Result<bool> readable_now(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  for (;;) {
    const int n = ::poll(&p, 1, 0);
    if (n >= 0) return n > 0;
    if (!interrupted()) return last_error();
  }
}

u32 poll_now(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  int n;
  do n = ::poll(&p, 1, 0);
  while (n < 0 && interrupted());
  if (n <= 0) return 0;
  u32 out = 0;
  if (p.revents & POLLIN) out |= abi::kPOLLIN | abi::kPOLLRDNORM;
  if (p.revents & POLLOUT) out |= abi::kPOLLOUT | abi::kPOLLWRNORM;
  if (p.revents & POLLHUP) out |= abi::kPOLLHUP;
  if (p.revents & POLLERR) out |= abi::kPOLLERR;
  return out;
}

Result<u64> status_flags(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return last_error();
  u64 out = abi::kO_RDONLY;
  if ((flags & O_ACCMODE) == O_WRONLY) out = abi::kO_WRONLY;
  if ((flags & O_ACCMODE) == O_RDWR) out = abi::kO_RDWR;
  for (const StatusBit& bit : kStatusBits)
    if (flags & bit.host) out |= bit.guest;
  return out;
}

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

Result<Termios> terminal_attributes(int fd) {
  struct termios t;
  if (::tcgetattr(fd, &t) != 0) return last_error();
  Termios out{};
  out.c_iflag = t.c_iflag;
  out.c_oflag = t.c_oflag;
  out.c_cflag = t.c_cflag;
  out.c_lflag = t.c_lflag;
  out.c_line = t.c_line;
  // glibc keeps the kernel's 19 control characters first in its larger array.
  static_assert(sizeof(t.c_cc) >= sizeof(out.c_cc));
  std::memcpy(out.c_cc, t.c_cc, sizeof(out.c_cc));
  return out;
}

Result<abi::Winsize> window_size(int fd) {
  struct winsize ws;
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return last_error();
  return abi::Winsize{ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel};
}

Result<void> random_bytes(std::span<u8> buf) {
  u64 done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::getrandom(buf.data() + done, buf.size() - done, 0);
    if (n < 0) {
      if (interrupted()) continue;
      return last_error();
    }
    done += static_cast<u64>(n);
  }
  return {};
}

namespace {

std::string proc_fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

Result<void> check(int rc) {
  if (rc != 0) return last_error();
  return {};
}

}  // namespace

Result<void> make_entry(int dir_fd, const std::string& name, u32 mode) {
  const mode_t perms = mode & 07777;
  if ((mode & abi::kS_IFMT) == abi::kS_IFDIR) {
    TRY(check(::mkdirat(dir_fd, name.c_str(), 0700)));
  } else if ((mode & abi::kS_IFMT) == abi::kS_IFREG) {
    const int fd =
        ::openat(dir_fd, name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_WRONLY, 0600);
    if (fd < 0) return last_error();
    ::close(fd);
  } else {
    return abi::Errno::kEPERM;
  }
  // The host's umask must not apply: set exactly what the guest asked for.
  HostFd handle = TRY(open_at(dir_fd, name, OpenMode::Handle));
  return change_mode(handle.get(), perms);
}

Result<void> make_symlink(int dir_fd, const std::string& name, const std::string& target) {
  return check(::symlinkat(target.c_str(), dir_fd, name.c_str()));
}

Result<void> make_link(int handle, int dir_fd, const std::string& name) {
  // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the handle's /proc/self/fd entry does not, and
  // names exactly the inode the walk found.
  return check(
      ::linkat(AT_FDCWD, proc_fd_path(handle).c_str(), dir_fd, name.c_str(), AT_SYMLINK_FOLLOW));
}

Result<void> remove(int dir_fd, const std::string& name, RemoveKind kind) {
  return check(::unlinkat(dir_fd, name.c_str(), kind == RemoveKind::Directory ? AT_REMOVEDIR : 0));
}

Result<void> rename(int dir_fd, const std::string& name, int new_dir_fd,
                    const std::string& new_name, u32 flags) {
  return check(static_cast<int>(
      ::syscall(SYS_renameat2, dir_fd, name.c_str(), new_dir_fd, new_name.c_str(), flags)));
}

Result<HostFd> reopen(int handle, bool write) {
  const int fd =
      ::open(proc_fd_path(handle).c_str(), (write ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return last_error();
  HostFd owned(fd);
  struct ::stat st;
  if (::fstat(fd, &st) != 0) return last_error();
  if (!S_ISREG(st.st_mode)) return abi::Errno::kEACCES;
  return owned;
}

Result<void> change_mode(int handle, u32 mode) {
  return check(::chmod(proc_fd_path(handle).c_str(), mode & 07777));
}

Result<void> change_owner(int handle, u32 uid, u32 gid) {
  return check(::fchownat(handle, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
}

Result<void> change_times(int handle, const abi::Timespec* atime, const abi::Timespec* mtime) {
  struct timespec times[2];
  times[0] = atime ? timespec{atime->tv_sec, atime->tv_nsec} : timespec{0, UTIME_OMIT};
  times[1] = mtime ? timespec{mtime->tv_sec, mtime->tv_nsec} : timespec{0, UTIME_OMIT};
  return check(::utimensat(AT_FDCWD, proc_fd_path(handle).c_str(), times, 0));
}

Result<void> truncate(int fd, u64 size) {
  if (size > static_cast<u64>(INT64_MAX)) return abi::Errno::kEINVAL;
  return check(::ftruncate(fd, static_cast<off_t>(size)));
}

Result<StatfsFields> statfs(int fd) {
  struct ::statfs st;
  if (::fstatfs(fd, &st) != 0) return last_error();
  StatfsFields out{};
  out.type = st.f_type;
  out.bsize = st.f_bsize;
  out.frsize = st.f_frsize;
  out.namelen = st.f_namelen;
  out.flags = st.f_flags;
  out.blocks = st.f_blocks;
  out.bfree = st.f_bfree;
  out.bavail = st.f_bavail;
  out.files = st.f_files;
  out.ffree = st.f_ffree;
  return out;
}

}  // namespace host

HostFile::HostFile(HostFd fd, std::string guest_path, std::shared_ptr<Inode> inode,
                   mm::MemoryManager* memory)
    : m_memory(memory),
      m_fd(std::move(fd)),
      m_path(std::move(guest_path)),
      m_inode(std::move(inode)) {
  status_flags = abi::kO_RDONLY | abi::kO_LARGEFILE;
}

std::shared_ptr<HostPageCache> HostFile::page_cache() {
  if (!m_memory) return nullptr;
  if (!m_key) {
    auto st = host::stat(m_fd.get());
    if (!st.ok()) return nullptr;
    m_key.emplace(st.value().st_dev, st.value().st_ino);
  }
  return std::static_pointer_cast<HostPageCache>(m_memory->cached_object(*m_key));
}

Result<u64> HostFile::read_at(std::span<u8> buf, u64 offset) {
  const u64 n = TRY(host::pread(m_fd.get(), buf, offset));
  if (auto cache = page_cache()) cache->copy_out(buf.first(n), offset);
  return n;
}

Result<u64> HostFile::write_at(std::span<const u8> buf, u64 offset) {
  const u64 n = TRY(host::pwrite(m_fd.get(), buf, offset));
  if (auto cache = page_cache()) cache->copy_in(buf.first(n), offset);
  return n;
}

Result<u64> HostFile::read(std::span<u8> buf) {
  const u64 n = TRY(read_at(buf, m_offset));
  m_offset += n;
  return n;
}

Result<u64> HostFile::pread(std::span<u8> buf, u64 offset) {
  return read_at(buf, offset);
}

Result<u64> HostFile::write(std::span<const u8> buf) {
  if (status_flags & abi::kO_APPEND)
    m_offset = static_cast<u64>(TRY(host::stat(m_fd.get())).st_size);
  const u64 n = TRY(write_at(buf, m_offset));
  m_offset += n;
  return n;
}

Result<u64> HostFile::pwrite(std::span<const u8> buf, u64 offset) {
  return write_at(buf, offset);
}

Result<u64> HostFile::seek(i64 offset, int whence) {
  i64 base;
  switch (whence) {
    case abi::kSEEK_SET:
      base = 0;
      break;
    case abi::kSEEK_CUR:
      base = static_cast<i64>(m_offset);
      break;
    case abi::kSEEK_END: {
      abi::Stat st = TRY(host::stat(m_fd.get()));
      base = st.st_size;
      break;
    }
    case 3:
    case 4: {
      // SEEK_DATA / SEEK_HOLE need the host's knowledge of the file's holes.
      m_offset = TRY(host::seek(m_fd.get(), offset, whence));
      return m_offset;
    }
    default:
      return abi::Errno::kEINVAL;
  }
  i64 target;
  if (__builtin_add_overflow(base, offset, &target) || target < 0) return abi::Errno::kEINVAL;
  m_offset = static_cast<u64>(target);
  return m_offset;
}

Result<void> HostFile::stat(abi::Stat& out) {
  out = TRY(host::stat(m_fd.get()));
  return {};
}

namespace host {

Identity identity() {
  Identity id;
  uid_t r = 0, e = 0, s = 0;
  getresuid(&r, &e, &s);
  id.uid = r, id.euid = e, id.suid = s, id.fsuid = e;
  gid_t gr = 0, ge = 0, gs = 0;
  getresgid(&gr, &ge, &gs);
  id.gid = gr, id.egid = ge, id.sgid = gs, id.fsgid = ge;
  const int n = getgroups(0, nullptr);
  if (n > 0) {
    std::vector<gid_t> groups(static_cast<size_t>(n));
    const int got = getgroups(n, groups.data());
    for (int i = 0; i < got; ++i) id.groups.push_back(groups[i]);
  }
  return id;
}

namespace {
u64 clock_ns(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<u64>(now.tv_sec) * 1'000'000'000 + static_cast<u64>(now.tv_nsec);
}
}  // namespace

u64 boot_time_ns() {
  return clock_ns(CLOCK_BOOTTIME);
}

u64 real_time_ns() {
  return clock_ns(CLOCK_REALTIME);
}

void cpu_time_ns(u64& user, u64& system) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  user = static_cast<u64>(usage.ru_utime.tv_sec) * 1'000'000'000 +
         static_cast<u64>(usage.ru_utime.tv_usec) * 1000;
  system = static_cast<u64>(usage.ru_stime.tv_sec) * 1'000'000'000 +
           static_cast<u64>(usage.ru_stime.tv_usec) * 1000;
}

}  // namespace host

}  // namespace kernel::fs
