// Path resolution: every way out of the guest's root must land back inside it.
#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "booted_kernel.h"
#include "kernel/fs/path.h"
#include "kernel/fs/vfs.h"

using namespace kernel;
using fs::FollowSymlinks;

namespace {

namespace stdfs = std::filesystem;

// A host tree:  <tmp>/outside/secret   (must never be reachable)
//               <tmp>/root/...         (the guest's "/"), hostile symlinks included
class EscapeTree {
 public:
  EscapeTree() {
    std::string tmpl = (stdfs::temp_directory_path() / "emu-path-XXXXXX").string();
    m_top = ::mkdtemp(tmpl.data());
    m_root = m_top / "root";
    stdfs::create_directories(m_top / "outside");
    write(m_top / "outside" / "secret", "host secret");
    stdfs::create_directories(m_root / "etc");
    stdfs::create_directories(m_root / "dir" / "sub");
    stdfs::create_directories(m_root / "outside");
    write(m_root / "etc" / "passwd", "guest passwd");
    write(m_root / "outside" / "secret", "guest decoy");
    write(m_root / "dir" / "file", "file");
    link("../../etc", "dir/up_etc");  // relative, climbs past the root
    link("../../../../../../outside/secret", "dir/deep_escape");
    link("/etc/passwd", "abs_passwd");  // absolute: the guest's /etc
    link("/../../outside/secret", "abs_escape");
    link("..", "dir/sub/parent");
    link("loop_b", "loop_a");
    link("loop_a", "loop_b");
    link("self", "self");
    link("/proc/self/root/etc/passwd", "via_proc_root");
    link("/proc/self/exe", "exe_link");
    link("nowhere", "dangling");
    link("file", "dir/file_link");
    // A chain: chain0 -> chain1 -> ... -> chain40 -> dir/file (41 links to follow).
    for (int i = 0; i <= 40; ++i) {
      const std::string next = i == 40 ? "dir/file" : "chain" + std::to_string(i + 1);
      link(next, "chain" + std::to_string(i));
    }
  }
  ~EscapeTree() { stdfs::remove_all(m_top); }

  std::string root() const { return m_root.string(); }
  stdfs::path top() const { return m_top; }

 private:
  static void write(const stdfs::path& p, const std::string& text) { std::ofstream(p) << text; }
  void link(const std::string& target, const std::string& at) {
    stdfs::create_symlink(target, m_root / at);
  }

  stdfs::path m_top;
  stdfs::path m_root;
};

struct Fixture : test::MemoryFixture {
  EscapeTree tree;
  fs::Vfs vfs{memory, tree.root()};
  fs::FsContext context;
  fs::Caller caller{context, 100, "/bin/prog"};

  // The contents of the file `path` names, or "" with the errno in `err`.
  std::string read_all(std::string_view path, abi::Errno* err = nullptr) {
    auto file = vfs.open(caller, nullptr, path, abi::kO_RDONLY);
    if (!file.ok()) {
      if (err) *err = file.error();
      return "";
    }
    std::string out(256, '\0');
    auto n = file.value()->read({reinterpret_cast<u8*>(out.data()), out.size()});
    REQUIRE(n.ok());
    out.resize(n.value());
    return out;
  }

  abi::Errno open_error(std::string_view path, u64 flags = abi::kO_RDONLY) {
    auto file = vfs.open(caller, nullptr, path, flags);
    return file.ok() ? abi::Errno::None : file.error();
  }
};

}  // namespace

TEST_CASE("dot-dot at the root stays at the root", "[fs][path]") {
  Fixture f;
  CHECK(f.read_all("/../outside/secret") == "guest decoy");
  CHECK(f.read_all("/../../../../outside/secret") == "guest decoy");
  CHECK(f.read_all("../outside/secret") == "guest decoy");
  CHECK(f.read_all("/dir/../../outside/secret") == "guest decoy");
  auto st = f.vfs.stat(f.caller, nullptr, "/..", FollowSymlinks::Yes);
  REQUIRE(st.ok());
  auto root_st = f.vfs.stat(f.caller, nullptr, "/", FollowSymlinks::Yes);
  CHECK(st.value().st_ino == root_st.value().st_ino);
}

TEST_CASE("a relative symlink that climbs past the root is clamped at the root", "[fs][path]") {
  Fixture f;
  CHECK(f.read_all("/dir/up_etc/passwd") == "guest passwd");
  CHECK(f.read_all("/dir/deep_escape") == "guest decoy");
}

TEST_CASE("an absolute symlink restarts at the guest's root, not the host's", "[fs][path]") {
  Fixture f;
  CHECK(f.read_all("/abs_passwd") == "guest passwd");
  CHECK(f.read_all("/abs_escape") == "guest decoy");
}

TEST_CASE("a resolved path is canonical and names no host directory", "[fs][path]") {
  Fixture f;
  auto file = f.vfs.open(f.caller, nullptr, "/dir/sub/parent/up_etc/passwd", abi::kO_RDONLY);
  REQUIRE(file.ok());
  CHECK(file.value()->path() == "/etc/passwd");
  CHECK(f.vfs.absolute_path(f.context, "dir/sub/parent/file_link") == "/dir/file");
}

TEST_CASE("a missing last component reports where it would be created", "[fs][path]") {
  Fixture f;
  auto r =
      fs::resolve_path(f.vfs.mounts(), f.caller, "/dir", "sub/parent/new", FollowSymlinks::Yes);
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().exists);
  CHECK(r.value().path == "/dir/new");
  CHECK(r.value().name == "new");
  CHECK(r.value().parent != nullptr);
  auto deeper = fs::resolve_path(f.vfs.mounts(), f.caller, "/", "/nope/new", FollowSymlinks::Yes);
  CHECK(deeper.error() == abi::Errno::kENOENT);
}

TEST_CASE("symlink loops give ELOOP", "[fs][path]") {
  Fixture f;
  CHECK(f.open_error("/loop_a") == abi::Errno::kELOOP);
  CHECK(f.open_error("/self") == abi::Errno::kELOOP);
  CHECK(f.open_error("/loop_a/x") == abi::Errno::kELOOP);
}

TEST_CASE("forty symlinks are followed and the forty-first is ELOOP", "[fs][path]") {
  Fixture f;
  CHECK(f.read_all("/chain1") == "file");  // 40 links
  CHECK(f.open_error("/chain0") == abi::Errno::kELOOP);
}

TEST_CASE("a final symlink is not followed when the caller says so", "[fs][path]") {
  Fixture f;
  auto st = f.vfs.stat(f.caller, nullptr, "/loop_a", FollowSymlinks::No);
  REQUIRE(st.ok());
  CHECK((st.value().st_mode & abi::kS_IFMT) == abi::kS_IFLNK);
  auto target = f.vfs.readlink(f.caller, nullptr, "/abs_escape");
  REQUIRE(target.ok());
  CHECK(target.value() == "/../../outside/secret");
}

TEST_CASE("a missing component is ENOENT and a file used as a directory ENOTDIR", "[fs][path]") {
  Fixture f;
  CHECK(f.open_error("/missing") == abi::Errno::kENOENT);
  CHECK(f.open_error("/missing/file") == abi::Errno::kENOENT);
  CHECK(f.open_error("/dangling") == abi::Errno::kENOENT);
  CHECK(f.open_error("") == abi::Errno::kENOENT);
  CHECK(f.open_error("/dir/file/x") == abi::Errno::kENOTDIR);
  CHECK(f.open_error("/dir/file/") == abi::Errno::kENOTDIR);
  CHECK(f.open_error("/dir/file/..") == abi::Errno::kENOTDIR);
  CHECK(f.open_error("/dir/file_link/") == abi::Errno::kENOTDIR);
}

TEST_CASE("an over-long name is ENAMETOOLONG", "[fs][path]") {
  Fixture f;
  CHECK(f.open_error("/" + std::string(256, 'a')) == abi::Errno::kENAMETOOLONG);
  CHECK(f.open_error(std::string(fs::kPathMax, '/')) == abi::Errno::kENAMETOOLONG);
}

TEST_CASE("/proc/self/root and other /proc links do not reach the host", "[fs][path]") {
  Fixture f;
  CHECK(f.open_error("/proc/self/root/etc/passwd") == abi::Errno::kENOENT);
  CHECK(f.open_error("/via_proc_root") == abi::Errno::kENOENT);
  CHECK(f.open_error("/proc/self/cwd") == abi::Errno::kENOENT);
  CHECK(f.open_error("/proc/self/fd/0") == abi::Errno::kENOENT);
  CHECK(f.open_error("/proc/1/root") == abi::Errno::kENOENT);
  CHECK(f.open_error("/sys/kernel/mm") == abi::Errno::kENOENT);
  CHECK(f.open_error("/dev/sda") == abi::Errno::kENOENT);
}

TEST_CASE("/proc/self and /proc/<pid>/exe read as the caller's pid and executable", "[fs][path]") {
  Fixture f;
  CHECK(f.vfs.readlink(f.caller, nullptr, "/proc/self").value() == "100");
  CHECK(f.vfs.readlink(f.caller, nullptr, "/proc/self/exe").value() == "/bin/prog");
  CHECK(f.vfs.readlink(f.caller, nullptr, "/proc/100/exe").value() == "/bin/prog");
  CHECK(f.vfs.readlink(f.caller, nullptr, "/dir/../proc/./self/exe").value() == "/bin/prog");
  CHECK(f.vfs.readlink(f.caller, nullptr, "/proc/101/exe").error() == abi::Errno::kENOENT);
  CHECK(f.vfs.readlink(f.caller, nullptr, "/proc/0100/exe").error() == abi::Errno::kENOENT);
}

TEST_CASE("following /proc/self/exe opens the executable inside the root", "[fs][path]") {
  Fixture f;
  fs::Caller caller{f.context, 100, "/dir/file"};
  auto file = f.vfs.open(caller, nullptr, "/exe_link", abi::kO_RDONLY);
  REQUIRE(file.ok());
  CHECK(file.value()->path() == "/dir/file");
}

TEST_CASE("with the host's / as root, /proc/self/exe is still the guest's", "[fs][path]") {
  test::MemoryFixture m;
  fs::Vfs vfs(m.memory, "/");
  fs::FsContext context;
  fs::Caller caller{context, 42, "/usr/bin/guest"};
  CHECK(vfs.readlink(caller, nullptr, "/proc/self/exe").value() == "/usr/bin/guest");
  CHECK(vfs.readlink(caller, nullptr, "/proc/42/exe").value() == "/usr/bin/guest");
  CHECK(vfs.open(caller, nullptr, "/proc/self/maps", abi::kO_RDONLY).error() ==
        abi::Errno::kENOENT);
  CHECK(vfs.open(caller, nullptr, "/proc/cpuinfo", abi::kO_RDONLY).error() == abi::Errno::kENOENT);
}

TEST_CASE("relative paths start at the cwd or at a directory fd", "[fs][path]") {
  Fixture f;
  f.context.cwd = "/dir";
  CHECK(f.read_all("file") == "file");
  CHECK(f.read_all("sub/../file") == "file");
  auto etc = f.vfs.open(f.caller, nullptr, "/etc", abi::kO_RDONLY | abi::kO_DIRECTORY);
  REQUIRE(etc.ok());
  auto passwd = f.vfs.open(f.caller, etc.value().get(), "passwd", abi::kO_RDONLY);
  REQUIRE(passwd.ok());
  CHECK(passwd.value()->path() == "/etc/passwd");
  auto file = f.vfs.open(f.caller, nullptr, "/dir/file", abi::kO_RDONLY);
  CHECK(f.vfs.open(f.caller, file.value().get(), "x", abi::kO_RDONLY).error() ==
        abi::Errno::kENOTDIR);
}

TEST_CASE("a root that cannot be opened fails every lookup", "[fs][path]") {
  test::MemoryFixture m;
  fs::Vfs vfs(m.memory, "/nonexistent/emu/root");
  fs::FsContext context;
  fs::Caller caller{context, 1, ""};
  CHECK(vfs.root_status().error() == abi::Errno::kENOENT);
  CHECK(vfs.open(caller, nullptr, "/", abi::kO_RDONLY).error() == abi::Errno::kENOENT);
}

TEST_CASE("host paths map into the guest's namespace", "[fs][path]") {
  Fixture f;
  CHECK(f.vfs.guest_path_of_host(f.tree.root()) == "/");
  CHECK(f.vfs.guest_path_of_host(f.tree.root() + "/dir/sub") == "/dir/sub");
  CHECK(f.vfs.guest_path_of_host((f.tree.top() / "outside").string()) == "/");
}

TEST_CASE("lexical normalisation folds dots and slashes", "[fs][path]") {
  CHECK(fs::lexically_normal("/a/b", "c") == "/a/b/c");
  CHECK(fs::lexically_normal("/a/b", "../c/./d//") == "/a/c/d");
  CHECK(fs::lexically_normal("/a", "/x/../../y") == "/y");
  CHECK(fs::lexically_normal("/", "..") == "/");
}
