// The fd table: Linux's rules for allocation, dup*, close-on-exec and the descriptor limit.
#include <catch2/catch_test_macros.hpp>
#include <memory>

#include "kernel/fs/fd_table.h"

using namespace kernel;
using fs::CloseOnExec;

namespace {

class TestFile final : public fs::File {
 public:
  Result<void> stat(abi::Stat& out) override {
    out = {};
    return {};
  }
  Result<u64> seek(i64 offset, int whence) override {
    position = static_cast<u64>(offset) + (whence == abi::kSEEK_CUR ? position : 0);
    return position;
  }
  u64 position = 0;
};

std::shared_ptr<fs::File> new_file() {
  return std::make_shared<TestFile>();
}

}  // namespace

TEST_CASE("descriptors are allocated lowest first", "[fs][fd]") {
  fs::FdTable fds;
  CHECK(fds.allocate(new_file(), CloseOnExec::No).value() == 0);
  CHECK(fds.allocate(new_file(), CloseOnExec::No).value() == 1);
  CHECK(fds.allocate(new_file(), CloseOnExec::No).value() == 2);
  REQUIRE(fds.close(1).ok());
  CHECK(fds.allocate(new_file(), CloseOnExec::No).value() == 1);
  CHECK(fds.allocate(new_file(), CloseOnExec::No, 10).value() == 10);
  CHECK(fds.allocate(new_file(), CloseOnExec::No).value() == 3);
  CHECK(fds.open_count() == 5);
}

TEST_CASE("closing or using a descriptor that is not open is EBADF", "[fs][fd]") {
  fs::FdTable fds;
  CHECK(fds.close(0).error() == abi::Errno::kEBADF);
  CHECK(fds.close(-1).error() == abi::Errno::kEBADF);
  CHECK(fds.get(5).error() == abi::Errno::kEBADF);
  REQUIRE(fds.allocate(new_file(), CloseOnExec::No).ok());
  REQUIRE(fds.close(0).ok());
  CHECK(fds.close(0).error() == abi::Errno::kEBADF);
  CHECK(fds.dup(0).error() == abi::Errno::kEBADF);
  CHECK(fds.close_on_exec(0).error() == abi::Errno::kEBADF);
}

TEST_CASE("dup'd descriptors share one file description", "[fs][fd]") {
  fs::FdTable fds;
  const int fd = fds.allocate(new_file(), CloseOnExec::Yes).value();
  const int copy = fds.dup(fd).value();
  CHECK(copy == 1);
  REQUIRE(fds.get(fd).value() == fds.get(copy).value());
  REQUIRE(fds.get(fd).value()->seek(42, abi::kSEEK_SET).ok());
  CHECK(fds.get(copy).value()->seek(0, abi::kSEEK_CUR).value() == 42);
  // close-on-exec belongs to the descriptor: dup clears it on the copy only.
  CHECK(fds.close_on_exec(fd).value());
  CHECK_FALSE(fds.close_on_exec(copy).value());
}

TEST_CASE("dup2 onto an open descriptor replaces it", "[fs][fd]") {
  fs::FdTable fds;
  auto first = new_file();
  auto second = new_file();
  REQUIRE(fds.allocate(first, CloseOnExec::No).ok());
  REQUIRE(fds.allocate(second, CloseOnExec::Yes).ok());
  CHECK(fds.dup2(0, 1).value() == 1);
  CHECK(fds.get(1).value() == first);
  CHECK(second.use_count() == 1);  // the table let go of the old description
  CHECK_FALSE(fds.close_on_exec(1).value());
  CHECK(fds.dup2(0, 7).value() == 7);
  CHECK(fds.get(7).value() == first);
}

TEST_CASE("dup2 to the same descriptor only checks that it is open", "[fs][fd]") {
  fs::FdTable fds;
  CHECK(fds.dup2(3, 3).error() == abi::Errno::kEBADF);
  REQUIRE(fds.allocate(new_file(), CloseOnExec::Yes).ok());
  CHECK(fds.dup2(0, 0).value() == 0);
  CHECK(fds.close_on_exec(0).value());  // untouched
}

TEST_CASE("dup3 refuses the same descriptor and unknown flags with EINVAL", "[fs][fd]") {
  fs::FdTable fds;
  REQUIRE(fds.allocate(new_file(), CloseOnExec::No).ok());
  CHECK(fds.dup3(0, 0, 0).error() == abi::Errno::kEINVAL);
  CHECK(fds.dup3(0, 1, abi::kO_NONBLOCK).error() == abi::Errno::kEINVAL);
  // The flags are checked before the descriptors.
  CHECK(fds.dup3(9, 1, abi::kO_NONBLOCK).error() == abi::Errno::kEINVAL);
  CHECK(fds.dup3(9, 1, 0).error() == abi::Errno::kEBADF);
  CHECK(fds.dup3(0, 1, abi::kO_CLOEXEC).value() == 1);
  CHECK(fds.close_on_exec(1).value());
}

TEST_CASE("dup2 and dup3 to a descriptor outside the limit are EBADF", "[fs][fd]") {
  fs::FdTable fds;
  REQUIRE(fds.allocate(new_file(), CloseOnExec::No).ok());
  CHECK(fds.dup2(0, fs::kDefaultMaxFds).error() == abi::Errno::kEBADF);
  CHECK(fds.dup2(0, -1).error() == abi::Errno::kEBADF);
  CHECK(fds.dup3(0, fs::kDefaultMaxFds, 0).error() == abi::Errno::kEBADF);
  CHECK(fds.dup2(0, fs::kDefaultMaxFds - 1).value() == fs::kDefaultMaxFds - 1);
}

TEST_CASE("F_DUPFD takes the lowest free descriptor at or above its argument", "[fs][fd]") {
  fs::FdTable fds;
  for (int i = 0; i < 6; ++i) REQUIRE(fds.allocate(new_file(), CloseOnExec::No).ok());
  REQUIRE(fds.close(4).ok());
  CHECK(fds.dup_from(0, 3, CloseOnExec::No).value() == 4);
  CHECK(fds.dup_from(0, 3, CloseOnExec::Yes).value() == 6);
  CHECK(fds.close_on_exec(6).value());
  CHECK(fds.dup_from(0, fs::kDefaultMaxFds, CloseOnExec::No).error() == abi::Errno::kEINVAL);
  CHECK(fds.dup_from(0, ~u64{0}, CloseOnExec::No).error() == abi::Errno::kEINVAL);
  CHECK(fds.dup_from(99, 0, CloseOnExec::No).error() == abi::Errno::kEBADF);
}

TEST_CASE("the 1025th descriptor is EMFILE", "[fs][fd]") {
  fs::FdTable fds;
  auto file = new_file();
  for (int i = 0; i < fs::kDefaultMaxFds; ++i) REQUIRE(fds.allocate(file, CloseOnExec::No).ok());
  CHECK(fds.allocate(file, CloseOnExec::No).error() == abi::Errno::kEMFILE);
  CHECK(fds.dup(0).error() == abi::Errno::kEMFILE);
  CHECK(fds.dup_from(0, 5, CloseOnExec::No).error() == abi::Errno::kEMFILE);
  REQUIRE(fds.close(500).ok());
  CHECK(fds.dup(0).value() == 500);
}

TEST_CASE("a lower limit stops allocation but keeps higher descriptors open", "[fs][fd]") {
  fs::FdTable fds;
  REQUIRE(fds.allocate(new_file(), CloseOnExec::No, 20).ok());
  fds.set_limit(8);
  CHECK(fds.get(20).ok());
  CHECK(fds.allocate(new_file(), CloseOnExec::No, 8).error() == abi::Errno::kEMFILE);
  CHECK(fds.allocate(new_file(), CloseOnExec::No).value() == 0);
}

TEST_CASE("F_SETFD toggles close-on-exec and exec closes the marked descriptors", "[fs][fd]") {
  fs::FdTable fds;
  for (int i = 0; i < 4; ++i) REQUIRE(fds.allocate(new_file(), CloseOnExec::No).ok());
  REQUIRE(fds.set_close_on_exec(1, CloseOnExec::Yes).ok());
  REQUIRE(fds.set_close_on_exec(3, CloseOnExec::Yes).ok());
  REQUIRE(fds.set_close_on_exec(3, CloseOnExec::No).ok());
  CHECK(fds.set_close_on_exec(9, CloseOnExec::Yes).error() == abi::Errno::kEBADF);
  fds.close_marked_on_exec();
  CHECK(fds.get(0).ok());
  CHECK(fds.get(1).error() == abi::Errno::kEBADF);
  CHECK(fds.get(2).ok());
  CHECK(fds.get(3).ok());
}

TEST_CASE("a copied table shares descriptions as fork does", "[fs][fd]") {
  fs::FdTable parent;
  REQUIRE(parent.allocate(new_file(), CloseOnExec::No).ok());
  fs::FdTable child = parent;
  REQUIRE(child.close(0).ok());
  CHECK(parent.get(0).ok());
  CHECK(parent.allocate(new_file(), CloseOnExec::No).value() == 1);
  CHECK(child.allocate(new_file(), CloseOnExec::No).value() == 0);
}

TEST_CASE("install_stdio mirrors the host's open stdio descriptors", "[fs][fd]") {
  fs::FdTable fds;
  fds.install_stdio();
  // Whoever runs the tests sees their output: fds 1 and 2 are open (0 may not be).
  for (int fd = 0; fd <= 2; ++fd) {
    auto file = fds.get(fd);
    if (fd == 0 && !file.ok()) continue;
    REQUIRE(file.ok());
    abi::Stat st{};
    CHECK(file.value()->stat(st).ok());
    CHECK_FALSE(fds.close_on_exec(fd).value());
  }
}
