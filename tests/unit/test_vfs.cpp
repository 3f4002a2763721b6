// The Vfs: a read-only view of a host tree with devfs and emulated /proc nodes, and the file
// syscalls on top of it as a guest sees them.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "booted_kernel.h"
#include "fake_machine.h"
#include "kernel/fs/stdio_file.h"
#include "kernel/fs/vfs.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/sys_fs.h"

using namespace kernel;
using fs::FollowSymlinks;

namespace {

namespace stdfs = std::filesystem;

// <tmp>/root: etc/passwd, dir/file ("hello, world"), dir/sub/, many/ (300 entries),
// link -> dir/file, exec (mode 0755), noexec (0644).
class Tree {
 public:
  Tree() {
    std::string tmpl = (stdfs::temp_directory_path() / "emu-vfs-XXXXXX").string();
    m_root = ::mkdtemp(tmpl.data());
    stdfs::create_directories(m_root / "etc");
    stdfs::create_directories(m_root / "dir" / "sub");
    stdfs::create_directories(m_root / "many");
    write(m_root / "etc" / "passwd", "root:x:0:0\n");
    write(m_root / "dir" / "file", "hello, world");
    write(m_root / "exec", "#!");
    write(m_root / "noexec", "no");
    stdfs::permissions(m_root / "exec", stdfs::perms(0755));
    stdfs::permissions(m_root / "noexec", stdfs::perms(0644));
    stdfs::create_symlink("dir/file", m_root / "link");
    for (int i = 0; i < 300; ++i) {
      // Names of varying length, so records straddle buffer boundaries at every offset.
      const std::string name = "entry-" + std::to_string(i) + std::string(i % 37, 'x');
      if (i % 10 == 0) {
        stdfs::create_directory(m_root / "many" / name);
      } else {
        write(m_root / "many" / name, "");
      }
    }
  }
  ~Tree() { stdfs::remove_all(m_root); }
  std::string root() const { return m_root.string(); }
  stdfs::path path() const { return m_root; }

 private:
  static void write(const stdfs::path& p, const std::string& text) { std::ofstream(p) << text; }
  stdfs::path m_root;
};

struct Fixture : test::MemoryFixture {
  Tree tree;
  fs::Vfs vfs{memory, tree.root()};
  fs::FsContext context;
  fs::Caller caller{context, 100, "/bin/prog"};

  abi::Errno open_error(std::string_view path, u64 flags) {
    auto file = vfs.open(caller, nullptr, path, flags);
    return file.ok() ? abi::Errno::None : file.error();
  }
  std::shared_ptr<fs::File> open(std::string_view path, u64 flags = abi::kO_RDONLY) {
    auto file = vfs.open(caller, nullptr, path, flags);
    REQUIRE(file.ok());
    return file.release_value();
  }
};

struct Dirent {
  u64 ino;
  i64 off;
  u16 reclen;
  u8 type;
  std::string name;
};

std::vector<Dirent> parse_dirents(const u8* buf, u64 len) {
  std::vector<Dirent> out;
  for (u64 pos = 0; pos < len;) {
    Dirent d;
    std::memcpy(&d.ino, buf + pos, 8);
    std::memcpy(&d.off, buf + pos + 8, 8);
    std::memcpy(&d.reclen, buf + pos + 16, 2);
    d.type = buf[pos + 18];
    d.name = reinterpret_cast<const char*>(buf + pos + 19);
    REQUIRE(d.reclen % 8 == 0);
    REQUIRE(d.reclen >= 19 + d.name.size() + 1);
    out.push_back(d);
    pos += d.reclen;
  }
  return out;
}

// Lists a directory through getdents64 with a buffer of `size` bytes per call.
std::vector<Dirent> list_all(fs::File& dir, u64 size) {
  std::vector<Dirent> all;
  std::vector<u8> buf(size);
  for (;;) {
    auto n = dir.getdents64(buf);
    INFO("getdents64 with " << size << " bytes: errno "
                            << (n.ok() ? 0 : static_cast<int>(n.error())));
    REQUIRE(n.ok());
    if (n.value() == 0) return all;
    for (Dirent& d : parse_dirents(buf.data(), n.value())) all.push_back(std::move(d));
  }
}

std::multiset<std::string> host_listing(const stdfs::path& dir) {
  std::multiset<std::string> names = {".", ".."};
  for (const auto& e : stdfs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("opening an existing file for writing is EROFS", "[fs][vfs]") {
  Fixture f;
  CHECK(f.open_error("/dir/file", abi::kO_WRONLY) == abi::Errno::kEROFS);
  CHECK(f.open_error("/dir/file", abi::kO_RDWR) == abi::Errno::kEROFS);
  CHECK(f.open_error("/dir/file", abi::kO_WRONLY | abi::kO_APPEND) == abi::Errno::kEROFS);
  CHECK(f.open_error("/dir/file", abi::kO_RDONLY | abi::kO_TRUNC) == abi::Errno::kEROFS);
  CHECK(f.open_error("/link", abi::kO_RDWR) == abi::Errno::kEROFS);
  // O_APPEND alone asks for no write access, so Linux opens read-only mounts with it.
  CHECK(f.open_error("/dir/file", abi::kO_RDONLY | abi::kO_APPEND) == abi::Errno::None);
}

TEST_CASE("creating a file is EROFS where its directory exists, else ENOENT", "[fs][vfs]") {
  Fixture f;
  CHECK(f.open_error("/dir/new", abi::kO_WRONLY | abi::kO_CREAT) == abi::Errno::kEROFS);
  CHECK(f.open_error("/dir/new", abi::kO_RDONLY | abi::kO_CREAT) == abi::Errno::kEROFS);
  CHECK(f.open_error("/nodir/new", abi::kO_WRONLY | abi::kO_CREAT) == abi::Errno::kENOENT);
  CHECK(f.open_error("/dir/file/new", abi::kO_WRONLY | abi::kO_CREAT) == abi::Errno::kENOTDIR);
  CHECK(f.open_error("/dir/file", abi::kO_RDONLY | abi::kO_CREAT) == abi::Errno::None);
  CHECK(f.open_error("/dir/file", abi::kO_WRONLY | abi::kO_CREAT | abi::kO_EXCL) ==
        abi::Errno::kEEXIST);
  CHECK(f.open_error("/link", abi::kO_WRONLY | abi::kO_CREAT | abi::kO_EXCL) ==
        abi::Errno::kEEXIST);
  CHECK(f.open_error("/dir", abi::kO_WRONLY | abi::kO_TMPFILE) == abi::Errno::kEROFS);
  CHECK(f.open_error("/dir", abi::kO_RDONLY | abi::kO_TMPFILE) == abi::Errno::kEINVAL);
}

TEST_CASE("a directory opens read-only and refuses write access with EISDIR", "[fs][vfs]") {
  Fixture f;
  CHECK(f.open_error("/dir", abi::kO_RDONLY) == abi::Errno::None);
  CHECK(f.open_error("/dir", abi::kO_WRONLY) == abi::Errno::kEISDIR);
  CHECK(f.open_error("/dir", abi::kO_RDONLY | abi::kO_CREAT) == abi::Errno::kEISDIR);
  CHECK(f.open_error("/dir/file", abi::kO_RDONLY | abi::kO_DIRECTORY) == abi::Errno::kENOTDIR);
  auto dir = f.open("/dir");
  std::vector<u8> buf(8);
  CHECK(dir->read(buf).error() == abi::Errno::kEISDIR);
}

TEST_CASE("O_NOFOLLOW on a symlink is ELOOP unless O_PATH asks for the link", "[fs][vfs]") {
  Fixture f;
  CHECK(f.open_error("/link", abi::kO_RDONLY | abi::kO_NOFOLLOW) == abi::Errno::kELOOP);
  auto handle = f.open("/link", abi::kO_PATH | abi::kO_NOFOLLOW);
  abi::Stat st{};
  REQUIRE(handle->stat(st).ok());
  CHECK((st.st_mode & abi::kS_IFMT) == abi::kS_IFLNK);
  CHECK(handle->status_flags == (abi::kO_PATH | abi::kO_NOFOLLOW));
  CHECK(f.vfs.readlink(f.caller, handle.get(), "").value() == "dir/file");
  CHECK(f.vfs.readlink(f.caller, nullptr, "/dir/file").error() == abi::Errno::kEINVAL);
}

TEST_CASE("a host file reads, seeks and stats like the host's", "[fs][vfs]") {
  Fixture f;
  auto file = f.open("/link");
  CHECK(file->path() == "/dir/file");
  CHECK(file->mappable());
  CHECK(file->status_flags == (abi::kO_RDONLY | abi::kO_LARGEFILE));
  std::vector<u8> buf(5);
  REQUIRE(file->read(buf).value() == 5);
  CHECK(std::string(buf.begin(), buf.end()) == "hello");
  CHECK(file->seek(-5, abi::kSEEK_END).value() == 7);
  REQUIRE(file->read(buf).value() == 5);
  CHECK(std::string(buf.begin(), buf.end()) == "world");
  CHECK(file->read(buf).value() == 0);
  CHECK(file->seek(-1, abi::kSEEK_SET).error() == abi::Errno::kEINVAL);
  CHECK(file->pread(buf, 7).value() == 5);
  CHECK(file->write(buf).error() == abi::Errno::kEBADF);
  abi::Stat st{};
  REQUIRE(file->stat(st).ok());
  CHECK(st.st_size == 12);
  CHECK((st.st_mode & abi::kS_IFMT) == abi::kS_IFREG);
  CHECK(st.st_nlink == 1);
}

TEST_CASE("getdents64 through a small buffer lists every entry once", "[fs][vfs]") {
  Fixture f;
  auto dir = f.open("/many", abi::kO_RDONLY | abi::kO_DIRECTORY);
  // 80 bytes: room for the longest record (72 bytes), rarely for two.
  const std::vector<Dirent> entries = list_all(*dir, 80);
  std::multiset<std::string> names;
  for (const Dirent& d : entries) names.insert(d.name);
  CHECK(names == host_listing(f.tree.path() / "many"));
  for (size_t i = 0; i < entries.size(); ++i) {
    CHECK(entries[i].off == static_cast<i64>(i + 1));
    const bool is_dir = entries[i].name == "." || entries[i].name == ".." ||
                        stdfs::is_directory(f.tree.path() / "many" / entries[i].name);
    CHECK(entries[i].type == (is_dir ? fs::kDT_DIR : fs::kDT_REG));
  }
}

TEST_CASE("getdents64 is EINVAL when the buffer cannot hold one entry", "[fs][vfs]") {
  Fixture f;
  auto dir = f.open("/many");
  std::vector<u8> tiny(16);
  CHECK(dir->getdents64(tiny).error() == abi::Errno::kEINVAL);
  // Nothing was consumed: a big enough buffer still starts with the first entry.
  const std::vector<Dirent> entries = list_all(*dir, 4096);
  CHECK(entries.size() == host_listing(f.tree.path() / "many").size());
}

TEST_CASE("seeking a directory to 0 restarts the listing, to d_off resumes it", "[fs][vfs]") {
  Fixture f;
  auto dir = f.open("/many");
  const std::vector<Dirent> first = list_all(*dir, 1024);
  REQUIRE(dir->seek(0, abi::kSEEK_SET).value() == 0);
  const std::vector<Dirent> again = list_all(*dir, 200);
  REQUIRE(first.size() == again.size());
  for (size_t i = 0; i < first.size(); ++i) CHECK(first[i].name == again[i].name);
  REQUIRE(dir->seek(first[9].off, abi::kSEEK_SET).ok());
  const std::vector<Dirent> rest = list_all(*dir, 512);
  REQUIRE(rest.size() == first.size() - 10);
  CHECK(rest[0].name == first[10].name);
}

TEST_CASE("the root's .. entry is the root itself", "[fs][vfs]") {
  Fixture f;
  auto root = f.open("/");
  u64 dot = 0, dotdot = 1;
  for (const Dirent& d : list_all(*root, 4096)) {
    if (d.name == ".") dot = d.ino;
    if (d.name == "..") dotdot = d.ino;
  }
  CHECK(dot == dotdot);
}

TEST_CASE("/dev/null reads EOF and swallows writes", "[fs][vfs]") {
  Fixture f;
  auto null = f.open("/dev/null", abi::kO_RDWR);
  std::vector<u8> buf(16, 0xaa);
  CHECK(null->read(buf).value() == 0);
  CHECK(null->write(buf).value() == 16);
  CHECK(null->pwrite(buf, 100).value() == 16);
  CHECK(null->seek(10, abi::kSEEK_SET).value() == 0);
  abi::Stat st{};
  REQUIRE(null->stat(st).ok());
  CHECK((st.st_mode & abi::kS_IFMT) == abi::kS_IFCHR);
  CHECK(st.st_rdev == ((1 << 8) | 3));
  CHECK(null->path() == "/dev/null");
  CHECK_FALSE(null->is_terminal());
}

TEST_CASE("/dev/zero and /dev/urandom fill reads", "[fs][vfs]") {
  Fixture f;
  auto zero = f.open("/dev/zero");
  std::vector<u8> buf(64, 0xaa);
  CHECK(zero->read(buf).value() == 64);
  CHECK(std::all_of(buf.begin(), buf.end(), [](u8 b) { return b == 0; }));
  auto urandom = f.open("/dev/urandom");
  CHECK(urandom->read(buf).value() == 64);
  CHECK_FALSE(std::all_of(buf.begin(), buf.end(), [](u8 b) { return b == 0; }));
  CHECK(f.open_error("/dev/random", abi::kO_WRONLY) == abi::Errno::None);
  CHECK(f.open_error("/dev/null", abi::kO_RDONLY | abi::kO_DIRECTORY) == abi::Errno::kENOTDIR);
  CHECK(f.open_error("/dev/tty", abi::kO_RDONLY) == abi::Errno::kENOENT);
}

TEST_CASE("the emulated /dev and /proc list their entries", "[fs][vfs]") {
  Fixture f;
  auto names = [&](std::string_view path) {
    std::set<std::string> out;
    auto dir = f.open(path, abi::kO_RDONLY | abi::kO_DIRECTORY);
    for (const Dirent& d : list_all(*dir, 64)) out.insert(d.name);
    return out;
  };
  CHECK(names("/dev") == std::set<std::string>{".", "..", "fd", "full", "null", "random", "shm",
                                               "stderr", "stdin", "stdout", "urandom", "zero"});
  CHECK(names("/proc") == std::set<std::string>{".", "..", "100", "self"});
  CHECK(names("/proc/self") == std::set<std::string>{".", "..", "exe"});
  CHECK(names("/sys") == std::set<std::string>{".", ".."});
  CHECK(f.open_error("/proc", abi::kO_RDWR) == abi::Errno::kEISDIR);
  CHECK(f.open_error("/proc/self/exe", abi::kO_RDONLY | abi::kO_NOFOLLOW) == abi::Errno::kELOOP);
  auto st = f.vfs.stat(f.caller, nullptr, "/proc/self", FollowSymlinks::No);
  CHECK((st.value().st_mode & abi::kS_IFMT) == abi::kS_IFLNK);
}

TEST_CASE("access W_OK on a host file is EROFS, on a device allowed", "[fs][vfs]") {
  Fixture f;
  CHECK(f.vfs.access(f.caller, nullptr, "/dir/file", fs::kW_OK, FollowSymlinks::Yes).error() ==
        abi::Errno::kEROFS);
  CHECK(f.vfs.access(f.caller, nullptr, "/dir", fs::kW_OK, FollowSymlinks::Yes).error() ==
        abi::Errno::kEROFS);
  CHECK(f.vfs.access(f.caller, nullptr, "/dir/file", fs::kR_OK, FollowSymlinks::Yes).ok());
  CHECK(f.vfs.access(f.caller, nullptr, "/dir/file", fs::kF_OK, FollowSymlinks::Yes).ok());
  CHECK(f.vfs.access(f.caller, nullptr, "/nope", fs::kF_OK, FollowSymlinks::Yes).error() ==
        abi::Errno::kENOENT);
  CHECK(f.vfs.access(f.caller, nullptr, "/dev/null", fs::kR_OK | fs::kW_OK, FollowSymlinks::Yes)
            .ok());
  CHECK(f.vfs.access(f.caller, nullptr, "/exec", fs::kX_OK, FollowSymlinks::Yes).ok());
  if (::geteuid() != 0) {
    CHECK(f.vfs.access(f.caller, nullptr, "/noexec", fs::kX_OK, FollowSymlinks::Yes).error() ==
          abi::Errno::kEACCES);
  }
}

TEST_CASE("open_executable wants an executable regular file", "[fs][vfs]") {
  Fixture f;
  auto exe = f.vfs.open_executable(f.caller, nullptr, "/exec");
  REQUIRE(exe.ok());
  CHECK(exe.value()->path() == "/exec");
  CHECK(f.vfs.open_executable(f.caller, nullptr, "/dir").error() == abi::Errno::kEACCES);
  CHECK(f.vfs.open_executable(f.caller, nullptr, "/dev/null").error() == abi::Errno::kEACCES);
  CHECK(f.vfs.open_executable(f.caller, nullptr, "/nope").error() == abi::Errno::kENOENT);
  // The path walk is open()'s: a file as a directory is ENOTDIR; a final symlink is ELOOP
  // when not followed.
  CHECK(f.vfs.open_executable(f.caller, nullptr, "/exec/x").error() == abi::Errno::kENOTDIR);
  // /proc/self/exe is the caller's own program (busybox execs it to run its applets).
  const fs::Caller self{f.context, 100, "/exec"};
  auto again = f.vfs.open_executable(self, nullptr, "/proc/self/exe");
  REQUIRE(again.ok());
  CHECK(again.value()->path() == "/exec");
  CHECK(f.vfs.open_executable(self, nullptr, "/proc/100/exe").ok());
  CHECK(f.vfs.absolute_path(f.context, "exec") == "/exec");
  CHECK(f.vfs.absolute_path(f.context, "./nope/../x") == "/x");
}

TEST_CASE("chdir stores the canonical directory path", "[fs][vfs]") {
  Fixture f;
  CHECK(f.vfs.directory_path(f.caller, nullptr, "/dir/sub/..//sub/").value() == "/dir/sub");
  CHECK(f.vfs.directory_path(f.caller, nullptr, "/link/..").error() == abi::Errno::kENOTDIR);
  CHECK(f.vfs.directory_path(f.caller, nullptr, "/dir/file").error() == abi::Errno::kENOTDIR);
  CHECK(f.vfs.directory_path(f.caller, nullptr, "/proc/self").value() == "/proc/100");
  auto dir = f.open("/dir/sub");
  CHECK(fs::Vfs::directory_path_of(*dir).value() == "/dir/sub");
  auto file = f.open("/dir/file");
  CHECK(fs::Vfs::directory_path_of(*file).error() == abi::Errno::kENOTDIR);
}

// ---- The syscalls, through guest memory ----

namespace {

struct Guest {
  Tree tree;
  test::FakeRam ram{16 << 20};
  test::FakeCpu cpu;
  Kernel kernel{ram.memory(), cpu, options(tree.root()), nullptr};
  std::shared_ptr<Process> owner =
      std::make_shared<Process>(100, std::make_shared<mm::AddressSpace>(kernel.memory()));
  Process& process = *owner;
  Thread thread{100, owner};
  syscalls::SyscallContext ctx{kernel, process, thread, cpu};
  u64 mem = map(16 * kPageSize);

  Guest() { process.set_exe_path("/bin/prog"); }

  static KernelOptions options(std::string root) {
    KernelOptions o;
    o.root = std::move(root);
    return o;
  }
  u64 map(u64 len) {
    mm::MapRequest req;
    req.length = len;
    req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
    auto r = process.address_space().map(req);
    REQUIRE(r.ok());
    return r.value();
  }
  // A NUL-terminated string at `addr` in guest memory.
  u64 str(u64 addr, std::string_view s) {
    std::string copy(s);
    REQUIRE(mm::copy_to_user(process.address_space(), addr, copy.c_str(), copy.size() + 1).ok());
    return addr;
  }
  std::string bytes(u64 addr, u64 len) {
    std::string out(len, '\0');
    REQUIRE(mm::copy_from_user(process.address_space(), out.data(), addr, len).ok());
    return out;
  }
  // The value the guest would see in rax: the result or -errno.
  using Handler = Result<i64> (*)(syscalls::SyscallContext&, const syscalls::SyscallArgs&);
  i64 call(Handler h, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0, u64 a4 = 0) {
    syscalls::SyscallArgs args{0, {a0, a1, a2, a3, a4, 0}};
    Result<i64> r = h(ctx, args);
    return r.ok() ? r.value() : -static_cast<i64>(r.error());
  }
  i64 open(std::string_view path, u64 flags = abi::kO_RDONLY) {
    return call(syscalls::sys_open, str(mem, path), flags);
  }
};

constexpr u64 kAtFdcwd = static_cast<u64>(static_cast<i64>(abi::kAT_FDCWD));
constexpr u64 kUnmapped = 0x1000;

i64 err(abi::Errno e) {
  return -static_cast<i64>(e);
}

}  // namespace

TEST_CASE("open, read and close move file bytes into guest memory", "[fs][sys]") {
  Guest g;
  const i64 fd = g.open("/dir/file");
  REQUIRE(fd == 0);  // no stdio was installed
  const u64 buf = g.mem + kPageSize;
  CHECK(g.call(syscalls::sys_read, fd, buf, 100) == 12);
  CHECK(g.bytes(buf, 12) == "hello, world");
  CHECK(g.call(syscalls::sys_read, fd, buf, 100) == 0);
  CHECK(g.call(syscalls::sys_pread64, fd, buf, 5, 7) == 5);
  CHECK(g.bytes(buf, 5) == "world");
  CHECK(g.call(syscalls::sys_close, fd) == 0);
  CHECK(g.call(syscalls::sys_close, fd) == err(abi::Errno::kEBADF));
}

TEST_CASE("read and write check the descriptor, then the buffer", "[fs][sys]") {
  Guest g;
  const i64 fd = g.open("/dir/file");
  CHECK(g.call(syscalls::sys_read, fd, kUnmapped, 10) == err(abi::Errno::kEFAULT));
  CHECK(g.call(syscalls::sys_read, fd, g.mem, ~u64{0}) == err(abi::Errno::kEFAULT));
  CHECK(g.call(syscalls::sys_read, 77, g.mem, 10) == err(abi::Errno::kEBADF));
  CHECK(g.call(syscalls::sys_write, fd, g.mem, 10) == err(abi::Errno::kEBADF));
  CHECK(g.call(syscalls::sys_pwrite64, fd, g.mem, 10, 0) == err(abi::Errno::kEBADF));
  CHECK(g.call(syscalls::sys_pread64, fd, g.mem, 10, ~u64{0}) == err(abi::Errno::kEINVAL));
  CHECK(g.call(syscalls::sys_lseek, fd, 0, 5) == err(abi::Errno::kEINVAL));
  CHECK(g.call(syscalls::sys_lseek, fd, 3, abi::kSEEK_SET) == 3);
}

TEST_CASE("openat reports EROFS, ENOENT and ENOTDIR to the guest", "[fs][sys]") {
  Guest g;
  CHECK(g.open("/dir/file", abi::kO_WRONLY) == err(abi::Errno::kEROFS));
  CHECK(g.open("/dir/new", abi::kO_WRONLY | abi::kO_CREAT) == err(abi::Errno::kEROFS));
  CHECK(g.open("/nodir/new", abi::kO_WRONLY | abi::kO_CREAT) == err(abi::Errno::kENOENT));
  CHECK(g.open("/dir/file/x") == err(abi::Errno::kENOTDIR));
  CHECK(g.open("") == err(abi::Errno::kENOENT));
  CHECK(g.call(syscalls::sys_open, kUnmapped, 0) == err(abi::Errno::kEFAULT));
  const i64 dir = g.open("/dir", abi::kO_RDONLY | abi::kO_DIRECTORY);
  REQUIRE(dir >= 0);
  const i64 fd = g.call(syscalls::sys_openat, dir, g.str(g.mem + 512, "sub/../file"),
                        abi::kO_RDONLY | abi::kO_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK(g.call(syscalls::sys_fcntl, fd, abi::kF_GETFD) == abi::kFD_CLOEXEC);
  CHECK(g.call(syscalls::sys_openat, 55, g.str(g.mem + 512, "file"), 0) == err(abi::Errno::kEBADF));
  // An absolute path never looks at the dirfd.
  CHECK(g.call(syscalls::sys_openat, 55, g.str(g.mem + 512, "/dir/file"), 0) >= 0);
}

TEST_CASE("getdents64 fills the guest buffer and resumes across calls", "[fs][sys]") {
  Guest g;
  const i64 fd = g.open("/many", abi::kO_RDONLY | abi::kO_DIRECTORY);
  const u64 buf = g.mem + kPageSize;
  CHECK(g.call(syscalls::sys_getdents64, fd, buf, 8) == err(abi::Errno::kEINVAL));
  CHECK(g.call(syscalls::sys_getdents64, fd, kUnmapped, 4096) == err(abi::Errno::kEFAULT));
  std::multiset<std::string> names;
  for (;;) {
    const i64 n = g.call(syscalls::sys_getdents64, fd, buf, 100);
    REQUIRE(n >= 0);
    if (n == 0) break;
    const std::string bytes = g.bytes(buf, static_cast<u64>(n));
    for (const Dirent& d : parse_dirents(reinterpret_cast<const u8*>(bytes.data()), bytes.size()))
      names.insert(d.name);
  }
  CHECK(names == host_listing(g.tree.path() / "many"));
  const i64 file = g.open("/dir/file");
  CHECK(g.call(syscalls::sys_getdents64, file, buf, 4096) == err(abi::Errno::kENOTDIR));
}

TEST_CASE("stat, lstat, newfstatat and statx describe the same file", "[fs][sys]") {
  Guest g;
  const u64 st_addr = g.mem + kPageSize;
  const u64 path = g.str(g.mem, "/link");
  REQUIRE(g.call(syscalls::sys_stat, path, st_addr) == 0);
  const abi::Stat st = mm::read_user<abi::Stat>(g.process.address_space(), st_addr).value();
  CHECK(st.st_size == 12);
  REQUIRE(g.call(syscalls::sys_lstat, path, st_addr) == 0);
  abi::Stat lst = mm::read_user<abi::Stat>(g.process.address_space(), st_addr).value();
  CHECK((lst.st_mode & abi::kS_IFMT) == abi::kS_IFLNK);
  const i64 fd = g.open("/dir/file");
  REQUIRE(g.call(syscalls::sys_newfstatat, fd, g.str(g.mem, ""), st_addr, abi::kAT_EMPTY_PATH) ==
          0);
  CHECK(mm::read_user<abi::Stat>(g.process.address_space(), st_addr).value().st_ino == st.st_ino);
  CHECK(g.call(syscalls::sys_newfstatat, fd, g.mem, st_addr, 0) == err(abi::Errno::kENOENT));
  CHECK(g.call(syscalls::sys_newfstatat, fd, g.mem, st_addr, 0x8000) == err(abi::Errno::kEINVAL));
  REQUIRE(g.call(syscalls::sys_statx, kAtFdcwd, g.str(g.mem, "/dir/file"), 0,
                 abi::kSTATX_BASIC_STATS, st_addr) == 0);
  const abi::Statx stx = mm::read_user<abi::Statx>(g.process.address_space(), st_addr).value();
  CHECK(stx.stx_size == 12);
  CHECK(stx.stx_ino == st.st_ino);
  CHECK(stx.stx_mask == abi::kSTATX_BASIC_STATS);
  CHECK(g.call(syscalls::sys_fstat, fd, kUnmapped) == err(abi::Errno::kEFAULT));
}

TEST_CASE("readlink of /proc/self/exe gives the exe path, cut at bufsiz", "[fs][sys]") {
  // /proc/PID lists the kernel's processes: this needs one the kernel started.
  test::BootedKernel k;
  if (!k.start()) SKIP("no " << test::BootedKernel::kProgram);
  constexpr u64 kMmap = 9, kReadlink = 89, kReadlinkat = 267;
  const u64 mem = static_cast<u64>(k.call(kMmap, 0, 2 * kPageSize, 3, 0x22, ~u64{0}, 0));
  const u64 buf = mem + kPageSize;
  auto str = [&](std::string_view s) {
    const std::string copy(s);
    REQUIRE(mm::copy_to_user(k.as(), mem, copy.c_str(), copy.size() + 1).ok());
    return mem;
  };
  auto bytes = [&](u64 len) {
    std::string out(len, '\0');
    REQUIRE(mm::copy_from_user(k.as(), out.data(), buf, len).ok());
    return out;
  };
  const std::string exe = k.kernel.current().exe_path();
  REQUIRE(!exe.empty());
  const u64 path = str("/proc/self/exe");
  CHECK(k.call(kReadlink, path, buf, 64) == static_cast<i64>(exe.size()));
  CHECK(bytes(exe.size()) == exe);
  CHECK(k.call(kReadlink, path, buf, 4) == 4);
  CHECK(k.call(kReadlink, path, buf, 0) == err(abi::Errno::kEINVAL));
  CHECK(k.call(kReadlinkat, kAtFdcwd, str("/proc/self/maps"), buf, 64) == err(abi::Errno::kEINVAL));
}

TEST_CASE("access and faccessat2 check modes and flags", "[fs][sys]") {
  Guest g;
  const u64 path = g.str(g.mem, "/dir/file");
  CHECK(g.call(syscalls::sys_access, path, fs::kR_OK) == 0);
  CHECK(g.call(syscalls::sys_access, path, fs::kW_OK) == err(abi::Errno::kEROFS));
  CHECK(g.call(syscalls::sys_access, path, 8) == err(abi::Errno::kEINVAL));
  CHECK(g.call(syscalls::sys_faccessat2, kAtFdcwd, path, 0, 0x1) == err(abi::Errno::kEINVAL));
  CHECK(g.call(syscalls::sys_faccessat, kAtFdcwd, g.str(g.mem, "/nope"), 0) ==
        err(abi::Errno::kENOENT));
}

TEST_CASE("chdir, fchdir and getcwd keep a canonical cwd", "[fs][sys]") {
  Guest g;
  const u64 buf = g.mem + kPageSize;
  CHECK(g.call(syscalls::sys_chdir, g.str(g.mem, "/dir/./sub/../sub")) == 0);
  CHECK(g.call(syscalls::sys_getcwd, buf, 100) == 9);
  CHECK(g.bytes(buf, 9) == std::string("/dir/sub") + '\0');
  CHECK(g.call(syscalls::sys_getcwd, buf, 5) == err(abi::Errno::kERANGE));
  CHECK(g.call(syscalls::sys_chdir, g.str(g.mem, "/dir/file")) == err(abi::Errno::kENOTDIR));
  const i64 etc = g.open("/etc", abi::kO_PATH | abi::kO_DIRECTORY);
  CHECK(g.call(syscalls::sys_fchdir, etc) == 0);
  CHECK(g.process.fs().cwd == "/etc");
  CHECK(g.open("passwd") >= 0);
}

TEST_CASE("fcntl and dup work on the process's fd table", "[fs][sys]") {
  Guest g;
  const i64 fd = g.open("/dir/file");
  CHECK(g.call(syscalls::sys_fcntl, fd, abi::kF_GETFL) ==
        static_cast<i64>(abi::kO_RDONLY | abi::kO_LARGEFILE));
  CHECK(g.call(syscalls::sys_fcntl, fd, abi::kF_SETFL, abi::kO_NONBLOCK | abi::kO_RDWR) == 0);
  CHECK(g.call(syscalls::sys_fcntl, fd, abi::kF_GETFL) ==
        static_cast<i64>(abi::kO_NONBLOCK | abi::kO_LARGEFILE));
  CHECK(g.call(syscalls::sys_fcntl, fd, abi::kF_DUPFD, 10) == 10);
  CHECK(g.call(syscalls::sys_fcntl, fd, abi::kF_DUPFD_CLOEXEC, 10) == 11);
  CHECK(g.call(syscalls::sys_fcntl, 11, abi::kF_GETFD) == abi::kFD_CLOEXEC);
  CHECK(g.call(syscalls::sys_fcntl, fd, 9999) == err(abi::Errno::kEINVAL));
  CHECK(g.call(syscalls::sys_dup, fd) == 1);
  CHECK(g.call(syscalls::sys_dup2, fd, 5) == 5);
  CHECK(g.call(syscalls::sys_dup3, fd, 5, 0) == 5);
  CHECK(g.call(syscalls::sys_dup3, fd, fd, 0) == err(abi::Errno::kEINVAL));
  // dup'd descriptors share the offset.
  CHECK(g.call(syscalls::sys_lseek, 5, 7, abi::kSEEK_SET) == 7);
  CHECK(g.call(syscalls::sys_lseek, fd, 0, abi::kSEEK_CUR) == 7);
  const i64 path_fd = g.open("/dir/file", abi::kO_PATH);
  CHECK(g.call(syscalls::sys_read, path_fd, g.mem, 1) == err(abi::Errno::kEBADF));
  CHECK(g.call(syscalls::sys_fcntl, path_fd, abi::kF_SETFL, 0) == err(abi::Errno::kEBADF));
  CHECK(g.call(syscalls::sys_fstat, path_fd, g.mem) == 0);
}

TEST_CASE("ioctl answers terminal requests only for terminals", "[fs][sys]") {
  Guest g;
  const i64 fd = g.open("/dir/file");
  CHECK(g.call(syscalls::sys_ioctl, fd, abi::kTCGETS, g.mem) == err(abi::Errno::kENOTTY));
  CHECK(g.call(syscalls::sys_ioctl, fd, abi::kTIOCGWINSZ, g.mem) == err(abi::Errno::kENOTTY));
  CHECK(g.call(syscalls::sys_ioctl, fd, 0x5451 /* FIOCLEX */) == 0);
  CHECK(g.call(syscalls::sys_fcntl, fd, abi::kF_GETFD) == abi::kFD_CLOEXEC);
  CHECK(g.call(syscalls::sys_ioctl, 99, abi::kTCGETS, g.mem) == err(abi::Errno::kEBADF));
  auto out = fs::StdioFile::create(1);
  if (out.ok() && out.value()->is_terminal()) {
    REQUIRE(g.process.fds().install_at(7, out.value(), fs::CloseOnExec::No).ok());
    CHECK(g.call(syscalls::sys_ioctl, 7, abi::kTCGETS, g.mem) == 0);
  }
}

TEST_CASE("readv scatters a file and writev gathers into /dev/null", "[fs][sys]") {
  Guest g;
  const i64 fd = g.open("/dir/file");
  const u64 iov = g.mem + 3 * kPageSize;
  const u64 a = g.mem + kPageSize, b = g.mem + 2 * kPageSize;
  const abi::Iovec vecs[3] = {{a, 5}, {b, 0}, {b + 100, 100}};
  REQUIRE(mm::copy_to_user(g.process.address_space(), iov, vecs, sizeof(vecs)).ok());
  CHECK(g.call(syscalls::sys_readv, fd, iov, 3) == 12);
  CHECK(g.bytes(a, 5) == "hello");
  CHECK(g.bytes(b + 100, 7) == ", world");
  CHECK(g.call(syscalls::sys_readv, fd, iov, 1025) == err(abi::Errno::kEINVAL));
  CHECK(g.call(syscalls::sys_readv, fd, kUnmapped, 1) == err(abi::Errno::kEFAULT));
  const i64 null = g.open("/dev/null", abi::kO_WRONLY);
  CHECK(g.call(syscalls::sys_writev, null, iov, 3) == 105);
  CHECK(g.call(syscalls::sys_pwrite64, null, a, 5, 1000) == 5);
  CHECK(g.call(syscalls::sys_write, null, a, 0) == 0);
  const abi::Iovec bad[1] = {{kUnmapped, 4}};
  REQUIRE(mm::copy_to_user(g.process.address_space(), iov, bad, sizeof(bad)).ok());
  CHECK(g.call(syscalls::sys_writev, null, iov, 1) == err(abi::Errno::kEFAULT));
}
