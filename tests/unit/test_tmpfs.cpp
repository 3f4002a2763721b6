// The mount layer and tmpfs: default mounts, crossing mount points, the errnos shared by
// every filesystem (EROFS, EXDEV, EBUSY), tmpfs limits, memory objects and binds.
#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "booted_kernel.h"
#include "kernel/fs/devices.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/memory_object.h"

using namespace kernel;
using fs::FollowSymlinks;

namespace {

namespace stdfs = std::filesystem;

class HostTree {
 public:
  HostTree() {
    std::string tmpl = (stdfs::temp_directory_path() / "emu-tmpfs-XXXXXX").string();
    m_top = ::mkdtemp(tmpl.data());
    stdfs::create_directories(m_top / "root" / "tmp");
    stdfs::create_directories(m_top / "root" / "mnt");
    stdfs::create_directories(m_top / "bind");
    std::ofstream(m_top / "root" / "file") << "host file";
    std::ofstream(m_top / "root" / "tmp" / "host-only") << "hidden";
    std::ofstream(m_top / "bind" / "inside") << "bound";
    std::ofstream(m_top / "secret") << "secret";
    stdfs::create_symlink("../secret", m_top / "bind" / "up");
  }
  ~HostTree() { stdfs::remove_all(m_top); }
  stdfs::path top() const { return m_top; }
  std::string root() const { return (m_top / "root").string(); }

 private:
  stdfs::path m_top;
};

struct Fixture : test::MemoryFixture {
  explicit Fixture(fs::HostAccess bind_access = fs::HostAccess::ReadOnly)
      : vfs(memory, tree.root(), {{(tree.top() / "bind").string(), "/mnt", bind_access}}) {}

  HostTree tree;
  fs::Vfs vfs;
  fs::FsContext context;
  fs::FdTable fds;
  fs::Caller caller{context, 7, "/bin/prog", &fds};

  abi::Errno error_of(Result<void> r) { return r.ok() ? abi::Errno::None : r.error(); }
  std::shared_ptr<fs::File> create(std::string_view path) {
    auto file = vfs.open(caller, nullptr, path, abi::kO_RDWR | abi::kO_CREAT, 0644);
    REQUIRE(file.ok());
    return file.release_value();
  }
  abi::Stat stat(std::string_view path) {
    auto st = vfs.stat(caller, nullptr, path, FollowSymlinks::No);
    REQUIRE(st.ok());
    return st.value();
  }
  std::string read(fs::File& file) {
    std::string out(256, '\0');
    auto n = file.pread({reinterpret_cast<u8*>(out.data()), out.size()}, 0);
    REQUIRE(n.ok());
    out.resize(n.value());
    return out;
  }
};

std::span<const u8> bytes(std::string_view s) {
  return {reinterpret_cast<const u8*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("tmp, run and dev/shm are tmpfs mounts that hide the host's directories", "[fs][tmpfs]") {
  Fixture f;
  for (const char* path : {"/tmp", "/run", "/dev/shm"}) {
    auto sf = f.vfs.statfs(f.caller, nullptr, path);
    REQUIRE(sf.ok());
    CHECK(sf.value().f_type == fs::kTMPFS_MAGIC);
  }
  CHECK(f.vfs.stat(f.caller, nullptr, "/tmp/host-only", FollowSymlinks::Yes).error() ==
        abi::Errno::kENOENT);
  CHECK(f.stat("/tmp").st_dev != f.stat("/").st_dev);
  CHECK(f.stat("/tmp").st_mode == (abi::kS_IFDIR | 01777));
  f.create("/tmp/new");
  CHECK_FALSE(stdfs::exists(f.tree.root() + "/tmp/new"));
}

TEST_CASE("dot-dot out of a mount's root goes back to the covered directory's parent",
          "[fs][tmpfs]") {
  Fixture f;
  REQUIRE(f.vfs.mkdir(f.caller, nullptr, "/dev/shm/a", 0755).ok());
  CHECK(f.stat("/dev/shm/a/../..").st_ino == f.stat("/dev").st_ino);
  CHECK(f.stat("/tmp/..").st_ino == f.stat("/").st_ino);
  CHECK(f.vfs.directory_path(f.caller, nullptr, "/dev/shm/a/../../shm/a").value() == "/dev/shm/a");
}

TEST_CASE("changes on the host view are EROFS, across mounts EXDEV, to mount points EBUSY",
          "[fs][tmpfs]") {
  Fixture f;
  CHECK(f.error_of(f.vfs.mkdir(f.caller, nullptr, "/newdir", 0755)) == abi::Errno::kEROFS);
  CHECK(f.error_of(f.vfs.unlink(f.caller, nullptr, "/file")) == abi::Errno::kEROFS);
  CHECK(f.vfs.open(f.caller, nullptr, "/created", abi::kO_WRONLY | abi::kO_CREAT, 0644).error() ==
        abi::Errno::kEROFS);
  f.create("/tmp/x");
  CHECK(f.error_of(f.vfs.rename(f.caller, nullptr, "/tmp/x", nullptr, "/dev/shm/x", 0)) ==
        abi::Errno::kEXDEV);
  CHECK(f.error_of(f.vfs.link(f.caller, nullptr, "/tmp/x", nullptr, "/run/x",
                              FollowSymlinks::No)) == abi::Errno::kEXDEV);
  CHECK(f.error_of(f.vfs.rmdir(f.caller, nullptr, "/dev/shm")) == abi::Errno::kEBUSY);
  CHECK(f.error_of(f.vfs.rmdir(f.caller, nullptr, "/")) == abi::Errno::kEBUSY);
  CHECK(f.error_of(f.vfs.rename(f.caller, nullptr, "/dev/shm", nullptr, "/dev/shm2", 0)) ==
        abi::Errno::kEBUSY);
}

TEST_CASE("a directory cannot be renamed below itself", "[fs][tmpfs]") {
  Fixture f;
  REQUIRE(f.vfs.mkdir(f.caller, nullptr, "/tmp/a", 0755).ok());
  REQUIRE(f.vfs.mkdir(f.caller, nullptr, "/tmp/a/b", 0755).ok());
  CHECK(f.error_of(f.vfs.rename(f.caller, nullptr, "/tmp/a", nullptr, "/tmp/a/b/c", 0)) ==
        abi::Errno::kEINVAL);
  CHECK(f.error_of(f.vfs.rename(f.caller, nullptr, "/tmp/a/b", nullptr, "/tmp/a", 0)) ==
        abi::Errno::kENOTEMPTY);
  CHECK(f.stat("/tmp/a").st_nlink == 3);
  REQUIRE(f.vfs.rename(f.caller, nullptr, "/tmp/a/b", nullptr, "/tmp/b", 0).ok());
  CHECK(f.stat("/tmp/a").st_nlink == 2);
  CHECK(f.stat("/tmp").st_nlink == 4);
}

TEST_CASE("tmpfs gives ENOSPC past its size and its inode limit", "[fs][tmpfs]") {
  test::MemoryFixture m;
  fs::TmpfsOptions options;
  options.max_bytes = 2 * kPageSize;
  options.max_inodes = 3;  // the root and two more
  fs::Tmpfs tmpfs(m.memory, options);
  const fs::Credentials root;
  auto dir = tmpfs.root();
  auto a = dir->create("a", abi::kS_IFREG | 0644, 0, root);
  REQUIRE(a.ok());
  REQUIRE(dir->create("b", abi::kS_IFREG | 0644, 0, root).ok());
  CHECK(dir->create("c", abi::kS_IFREG | 0644, 0, root).error() == abi::Errno::kENOSPC);
  auto& file = static_cast<fs::TmpfsInode&>(*a.value());
  const std::string page(kPageSize, 'x');
  CHECK(file.write(bytes(page), 0).value() == kPageSize);
  CHECK(file.write(bytes(page), kPageSize).value() == kPageSize);
  CHECK(file.write(bytes(page), 2 * kPageSize).error() == abi::Errno::kENOSPC);
  CHECK(file.fallocate(0, 5 * kPageSize, kPageSize).error() == abi::Errno::kENOSPC);
  auto sf = tmpfs.statfs();
  CHECK(sf.value().f_blocks == 2);
  CHECK(sf.value().f_bfree == 0);
  CHECK(sf.value().f_ffree == 0);
  // Removing a file gives its inode back.
  REQUIRE(dir->unlink("b").ok());
  CHECK(dir->create("c", abi::kS_IFREG | 0644, 0, root).ok());
}

TEST_CASE("a tmpfs file's data is its memory object, which read and write share", "[fs][tmpfs]") {
  Fixture f;
  auto file = f.create("/dev/shm/obj");
  REQUIRE(file->write(bytes("through write")).value() == 13);
  auto* inode = dynamic_cast<fs::TmpfsInode*>(file->inode().get());
  REQUIRE(inode != nullptr);
  std::shared_ptr<mm::MemoryObject> object = inode->object();
  CHECK(object->kind() == mm::ObjectKind::Tmpfs);
  CHECK(object->size() == 13);
  REQUIRE(object->write(bytes("THROUGH"), 0).ok());
  CHECK(f.read(*file) == "THROUGH write");
  CHECK(f.stat("/dev/shm/obj").st_blocks == 8);

  auto memfd = f.vfs.create_memfd("name", fs::kMFD_ALLOW_SEALING);
  REQUIRE(memfd.ok());
  auto* memfd_inode = dynamic_cast<fs::TmpfsInode*>(memfd.value()->inode().get());
  CHECK(memfd_inode->object()->kind() == mm::ObjectKind::Memfd);
  CHECK(memfd.value()->path() == "/memfd:name (deleted)");
  CHECK(memfd_inode->seals() == 0);
}

TEST_CASE("/dev/fd/N and /proc/self/fd/N reopen the file the descriptor names", "[fs][tmpfs]") {
  Fixture f;
  auto file = f.create("/tmp/orig");
  REQUIRE(file->write(bytes("original")).ok());
  const int fd = f.fds.allocate(file, fs::CloseOnExec::No).value();
  // Renamed after opening: the link still reaches the same file.
  REQUIRE(f.vfs.rename(f.caller, nullptr, "/tmp/orig", nullptr, "/tmp/moved", 0).ok());
  for (const std::string& path :
       {"/dev/fd/" + std::to_string(fd), "/proc/self/fd/" + std::to_string(fd)}) {
    auto again = f.vfs.open(f.caller, nullptr, path, abi::kO_RDONLY);
    REQUIRE(again.ok());
    CHECK(again.value()->inode() == file->inode());
    CHECK(f.read(*again.value()) == "original");
  }
  CHECK(f.vfs.readlink(f.caller, nullptr, "/dev/stdin").value() == "/proc/self/fd/0");
  CHECK(f.vfs.open(f.caller, nullptr, "/proc/self/fd/99", abi::kO_RDONLY).error() ==
        abi::Errno::kENOENT);
}

TEST_CASE("/dev/zero is recognisable for shared mappings, /dev/full refuses writes",
          "[fs][tmpfs]") {
  Fixture f;
  auto zero = f.vfs.open(f.caller, nullptr, "/dev/zero", abi::kO_RDWR);
  auto null = f.vfs.open(f.caller, nullptr, "/dev/null", abi::kO_RDWR);
  auto full = f.vfs.open(f.caller, nullptr, "/dev/full", abi::kO_RDWR);
  REQUIRE((zero.ok() && null.ok() && full.ok()));
  CHECK(fs::is_dev_zero(*zero.value()));
  CHECK_FALSE(fs::is_dev_zero(*null.value()));
  CHECK(full.value()->write(bytes("x")).error() == abi::Errno::kENOSPC);
}

TEST_CASE("a read-only bind shows host files and refuses changes", "[fs][tmpfs][bind]") {
  Fixture f;
  auto inside = f.vfs.open(f.caller, nullptr, "/mnt/inside", abi::kO_RDONLY);
  REQUIRE(inside.ok());
  CHECK(f.read(*inside.value()) == "bound");
  CHECK(f.vfs.open(f.caller, nullptr, "/mnt/inside", abi::kO_WRONLY).error() == abi::Errno::kEROFS);
  CHECK(f.error_of(f.vfs.mkdir(f.caller, nullptr, "/mnt/d", 0755)) == abi::Errno::kEROFS);
  // The bind's ".." is the guest's /, not the host's parent of the bound directory.
  CHECK(f.stat("/mnt/..").st_ino == f.stat("/").st_ino);
}

TEST_CASE("a :rw bind takes changes inside it and nowhere else", "[fs][tmpfs][bind]") {
  Fixture f(fs::HostAccess::ReadWrite);
  auto made = f.vfs.open(f.caller, nullptr, "/mnt/made", abi::kO_WRONLY | abi::kO_CREAT, 0640);
  REQUIRE(made.ok());
  REQUIRE(made.value()->write(bytes("new data")).ok());
  CHECK(stdfs::file_size(f.tree.top() / "bind" / "made") == 8);
  CHECK((stdfs::status(f.tree.top() / "bind" / "made").permissions() & stdfs::perms::all) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write | stdfs::perms::group_read));
  REQUIRE(f.vfs.rename(f.caller, nullptr, "/mnt/made", nullptr, "/mnt/renamed", 0).ok());
  CHECK(stdfs::exists(f.tree.top() / "bind" / "renamed"));
  REQUIRE(f.vfs.unlink(f.caller, nullptr, "/mnt/renamed").ok());
  CHECK_FALSE(stdfs::exists(f.tree.top() / "bind" / "renamed"));
  // The symlink climbs out of the bind into the guest's root (no "secret" there), never
  // the host's; ".." out of the bind reaches the read-only root.
  CHECK(f.vfs.open(f.caller, nullptr, "/mnt/up", abi::kO_WRONLY | abi::kO_TRUNC).error() ==
        abi::Errno::kENOENT);
  CHECK(f.vfs.open(f.caller, nullptr, "/mnt/../file", abi::kO_WRONLY).error() ==
        abi::Errno::kEROFS);
  CHECK(f.error_of(f.vfs.rename(f.caller, nullptr, "/mnt/inside", nullptr, "/moved", 0)) ==
        abi::Errno::kEXDEV);
  std::ifstream secret(f.tree.top() / "secret");
  std::string text;
  std::getline(secret, text);
  CHECK(text == "secret");
}
