// The --strace formatter. Expected lines are copied from strace 6.1 tracing the same calls on
// Linux, so a difference here is a difference from real strace.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/syscalls/strace.h"
#include "kernel/syscalls/syscall.h"

using namespace kernel;
using namespace kernel::syscalls;

namespace {

// Guest memory behind the peek callback: one readable range of whole pages at kBase, and
// nothing readable anywhere else, like unmapped pages around a mapping.
class FakeGuest {
 public:
  static constexpr u64 kBase = 0x10000;

  explicit FakeGuest(u64 pages = 2) : m_bytes(pages * kPageSize, 0) {}

  // Copies `data` into the next free bytes and returns its guest address.
  u64 put(std::string_view data) { return put(data.data(), data.size()); }
  u64 put(const void* data, u64 len) {
    u64 addr = kBase + m_used;
    write(addr, data, len);
    m_used += len;
    return addr;
  }
  void write(u64 addr, const void* data, u64 len) {
    std::memcpy(m_bytes.data() + (addr - kBase), data, len);
  }
  u64 end() const { return kBase + m_bytes.size(); }
  u64 largest_peek() const { return m_largest_peek; }

  StraceReader reader() { return {&FakeGuest::peek, this}; }

 private:
  static bool peek(void* ctx, u64 addr, void* dst, u64 len) {
    auto* self = static_cast<FakeGuest*>(ctx);
    self->m_largest_peek = std::max(self->m_largest_peek, len);
    if (addr < kBase || addr - kBase > self->m_bytes.size()) return false;
    if (len > self->m_bytes.size() - (addr - kBase)) return false;
    std::memcpy(dst, self->m_bytes.data() + (addr - kBase), len);
    return true;
  }

  std::vector<u8> m_bytes;
  u64 m_used = 0;
  u64 m_largest_peek = 0;
};

SyscallArgs call(u64 nr, std::initializer_list<u64> values) {
  SyscallArgs args;
  args.nr = nr;
  std::copy(values.begin(), values.end(), args.a);
  return args;
}

i64 err(abi::Errno e) {
  return -static_cast<i64>(e);
}

const SyscallInfo kRead{0, "read", nullptr, Arg::Ret, {Arg::Fd, Arg::OutBuf, Arg::UInt}, 3};
const SyscallInfo kWrite{1, "write", nullptr, Arg::Ret, {Arg::Fd, Arg::InBuf, Arg::UInt}, 3};
const SyscallInfo kClose{3, "close", nullptr, Arg::Ret, {Arg::Fd}, 1};
const SyscallInfo kFstat{5, "fstat", nullptr, Arg::Ret, {Arg::Fd, Arg::StatBuf}, 2};
const SyscallInfo kLseek{8, "lseek", nullptr, Arg::Ret, {Arg::Fd, Arg::Int, Arg::Whence}, 3};
const SyscallInfo kMmap{9,
                        "mmap",
                        nullptr,
                        Arg::RetHex,
                        {Arg::Ptr, Arg::UInt, Arg::Prot, Arg::MapFlags, Arg::Fd, Arg::Hex},
                        6};
const SyscallInfo kMprotect{10, "mprotect", nullptr, Arg::Ret, {Arg::Ptr, Arg::UInt, Arg::Prot}, 3};
const SyscallInfo kMunmap{11, "munmap", nullptr, Arg::Ret, {Arg::Ptr, Arg::UInt}, 2};
const SyscallInfo kReadv{19, "readv", nullptr, Arg::Ret, {Arg::Fd, Arg::OutIovec, Arg::Int}, 3};
const SyscallInfo kWritev{20, "writev", nullptr, Arg::Ret, {Arg::Fd, Arg::Iovec, Arg::Int}, 3};
const SyscallInfo kMadvise{28, "madvise", nullptr, Arg::Ret, {Arg::Ptr, Arg::UInt, Arg::Madvise},
                           3};
const SyscallInfo kKill{62, "kill", nullptr, Arg::Ret, {Arg::Int, Arg::Signal}, 2};
const SyscallInfo kArchPrctl{158, "arch_prctl", nullptr, Arg::Ret, {Arg::ArchPrctl, Arg::Hex}, 2};
const SyscallInfo kClockGettime{228,      "clock_gettime",          nullptr,
                                Arg::Ret, {Arg::ClockId, Arg::Ptr}, 2};
const SyscallInfo kExitGroup{231, "exit_group", nullptr, Arg::Ret, {Arg::Int}, 1};
const SyscallInfo kOpenat{
    257, "openat", nullptr, Arg::Ret, {Arg::DirFd, Arg::Path, Arg::OpenFlags, Arg::Mode}, 4};
const SyscallInfo kNewfstatat{
    262, "newfstatat", nullptr, Arg::Ret, {Arg::DirFd, Arg::Path, Arg::StatBuf, Arg::AtFlags}, 4};
const SyscallInfo kStatx{
    332, "statx", nullptr, Arg::Ret, {Arg::DirFd, Arg::Path, Arg::AtFlags, Arg::Hex, Arg::Ptr}, 5};
const SyscallInfo kFaccessat2{
    439, "faccessat2", nullptr, Arg::Ret, {Arg::DirFd, Arg::Path, Arg::Int, Arg::AtFlags}, 4};

constexpr u64 kMapAddr = 0x7f0000000000;

abi::Stat make_stat(u32 mode, i64 size, u64 rdev = 0) {
  abi::Stat st{};
  st.st_mode = mode;
  st.st_size = size;
  st.st_rdev = rdev;
  return st;
}

}  // namespace

TEST_CASE("write shows its buffer as a quoted string", "[strace]") {
  FakeGuest guest;
  u64 buf = guest.put("hello\n");
  CHECK(format_syscall(&kWrite, call(1, {1, buf, 6}), 6, guest.reader()) ==
        "write(1, \"hello\\n\", 6) = 6");
}

TEST_CASE("openat shows the path and flags, and the errno of a failure", "[strace]") {
  FakeGuest guest;
  u64 path = guest.put(std::string_view("/nope", 6));
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), path, abi::kO_RDONLY, 0x1234}),
                       err(abi::Errno::kENOENT), guest.reader()) ==
        "openat(AT_FDCWD, \"/nope\", O_RDONLY) = -1 ENOENT (No such file or directory)");
}

TEST_CASE("openat shows the mode only when it creates a file", "[strace]") {
  FakeGuest guest;
  u64 path = guest.put(std::string_view("/tmp/x", 7));
  u64 flags = abi::kO_WRONLY | abi::kO_CREAT | abi::kO_TRUNC | abi::kO_CLOEXEC;
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), path, flags, 0644}), 3, guest.reader()) ==
        "openat(AT_FDCWD, \"/tmp/x\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = 3");
  CHECK(format_syscall(&kOpenat, call(257, {5, path, abi::kO_RDWR | abi::kO_TMPFILE, 0}), 6,
                       guest.reader()) == "openat(5, \"/tmp/x\", O_RDWR|O_TMPFILE, 000) = 6");
}

TEST_CASE("open flags print in strace's order with unknown bits in hex", "[strace]") {
  FakeGuest guest;
  u64 path = guest.put(std::string_view("/x", 3));
  u64 flags = abi::kO_WRONLY | abi::kO_CREAT | abi::kO_TRUNC | abi::kO_APPEND | abi::kO_NONBLOCK |
              04010000 | abi::kO_ASYNC | abi::kO_DIRECT | abi::kO_NOFOLLOW | abi::kO_NOATIME |
              abi::kO_CLOEXEC | 0x80000000;
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), path, flags, 0644}), 5, guest.reader()) ==
        "openat(AT_FDCWD, \"/x\", O_WRONLY|O_CREAT|O_TRUNC|O_APPEND|O_NONBLOCK|O_SYNC|O_DIRECT|"
        "O_NOFOLLOW|O_NOATIME|O_CLOEXEC|FASYNC|0x80000000, 0644) = 5");
  flags = abi::kO_RDONLY | 04000000 | abi::kO_LARGEFILE | abi::kO_NOFOLLOW | abi::kO_DIRECTORY;
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), path, flags}), 3, guest.reader()) ==
        "openat(AT_FDCWD, \"/x\", O_RDONLY|__O_SYNC|O_LARGEFILE|O_NOFOLLOW|O_DIRECTORY) = 3");
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), path, 3}), 3, guest.reader()) ==
        "openat(AT_FDCWD, \"/x\", O_ACCMODE) = 3");
}

TEST_CASE("mmap shows prot and map flags and returns an address", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(&kMmap,
                       call(9, {0, 8192, abi::kPROT_READ | abi::kPROT_WRITE,
                                abi::kMAP_PRIVATE | abi::kMAP_ANONYMOUS, u64(-1), 0}),
                       kMapAddr, guest.reader()) ==
        "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = "
        "0x7f0000000000");
  CHECK(format_syscall(
            &kMmap,
            call(9, {0x7f0e5b728000, 1400832, abi::kPROT_READ | abi::kPROT_EXEC,
                     abi::kMAP_PRIVATE | abi::kMAP_FIXED | abi::kMAP_DENYWRITE, 3, 0x26000}),
            0x7f0e5b728000, guest.reader()) ==
        "mmap(0x7f0e5b728000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, "
        "3, 0x26000) = 0x7f0e5b728000");
}

TEST_CASE("mmap flags follow strace's table order, not bit order", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(
            &kMmap,
            call(9, {kMapAddr, 4096, abi::kPROT_NONE,
                     abi::kMAP_ANONYMOUS | abi::kMAP_FIXED | abi::kMAP_PRIVATE, u64(-1), 0}),
            kMapAddr, guest.reader()) ==
        "mmap(0x7f0000000000, 4096, PROT_NONE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = "
        "0x7f0000000000");
  u64 flags = abi::kMAP_PRIVATE | abi::kMAP_FIXED | abi::kMAP_GROWSDOWN | abi::kMAP_DENYWRITE |
              abi::kMAP_EXECUTABLE | abi::kMAP_LOCKED | abi::kMAP_HUGETLB | 0x600;
  CHECK(format_syscall(&kMmap, call(9, {0, 4096, 0xf, flags, u64(-1), 0}), err(abi::Errno::kEBADF),
                       guest.reader()) ==
        "mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM, MAP_PRIVATE|MAP_FIXED|"
        "MAP_GROWSDOWN|MAP_DENYWRITE|MAP_EXECUTABLE|MAP_LOCKED|MAP_HUGETLB|0x600, -1, 0) = "
        "-1 EBADF (Bad file descriptor)");
}

TEST_CASE("mmap prints odd types, huge page sizes and unknown prot bits like strace", "[strace]") {
  FakeGuest guest;
  u64 huge = abi::kMAP_SHARED_VALIDATE | abi::kMAP_ANONYMOUS | abi::kMAP_HUGETLB | (u64{21} << 26);
  CHECK(format_syscall(&kMmap, call(9, {0, 4096, abi::kPROT_READ, huge, u64(-1), 0}),
                       err(abi::Errno::kENOMEM), guest.reader()) ==
        "mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE|MAP_ANONYMOUS|MAP_HUGETLB|"
        "21<<MAP_HUGE_SHIFT, -1, 0) = -1 ENOMEM (Cannot allocate memory)");
  CHECK(format_syscall(&kMmap, call(9, {0, 4096, abi::kPROT_READ, 5 | 0x80, u64(-1), 0}),
                       err(abi::Errno::kEBADF), guest.reader()) ==
        "mmap(NULL, 4096, PROT_READ, 0x5 /* MAP_??? */|0x80, -1, 0) = -1 EBADF (Bad file "
        "descriptor)");
  CHECK(format_syscall(&kMmap, call(9, {0, 4096, abi::kPROT_READ, abi::kMAP_ANONYMOUS, u64(-1), 0}),
                       err(abi::Errno::kEINVAL), guest.reader()) ==
        "mmap(NULL, 4096, PROT_READ, MAP_FILE|MAP_ANONYMOUS, -1, 0) = -1 EINVAL (Invalid "
        "argument)");
  CHECK(format_syscall(&kMprotect, call(10, {0, 0, 0x10000000}), 0, guest.reader()) ==
        "mprotect(NULL, 0, 0x10000000 /* PROT_??? */) = 0");
  CHECK(format_syscall(&kMprotect, call(10, {0, 0, abi::kPROT_READ | abi::kPROT_GROWSDOWN | 0x10}),
                       0,
                       guest.reader()) == "mprotect(NULL, 0, PROT_READ|PROT_GROWSDOWN|0x10) = 0");
}

TEST_CASE("madvise names its advice, or shows an unknown one in hex", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(&kMadvise, call(28, {kMapAddr, 4096, abi::kMADV_DONTNEED}), 0,
                       guest.reader()) == "madvise(0x7f0000000000, 4096, MADV_DONTNEED) = 0");
  CHECK(format_syscall(&kMadvise, call(28, {0, 4096, abi::kMADV_COLLAPSE}),
                       err(abi::Errno::kENOMEM), guest.reader()) ==
        "madvise(NULL, 4096, MADV_COLLAPSE) = -1 ENOMEM (Cannot allocate memory)");
  CHECK(format_syscall(&kMadvise, call(28, {0, 4096, 77}), err(abi::Errno::kEINVAL),
                       guest.reader()) ==
        "madvise(NULL, 4096, 0x4d /* MADV_??? */) = -1 EINVAL (Invalid argument)");
}

TEST_CASE("exit_group does not return", "[strace]") {
  FakeGuest guest;
  CHECK(format_noreturn(&kExitGroup, call(231, {0}), guest.reader()) == "exit_group(0) = ?");
}

TEST_CASE("a failed read shows its buffer as an address", "[strace]") {
  FakeGuest guest;
  u64 buf = guest.put(std::string(10, 'x'));
  CHECK(format_syscall(&kRead, call(0, {99, buf, 10}), err(abi::Errno::kEBADF), guest.reader()) ==
        "read(99, 0x10000, 10) = -1 EBADF (Bad file descriptor)");
}

TEST_CASE("a successful read shows the bytes it returned", "[strace]") {
  FakeGuest guest;
  u64 buf = guest.put("hey and more that was not read");
  CHECK(format_syscall(&kRead, call(0, {3, buf, 100}), 3, guest.reader()) ==
        "read(3, \"hey\", 100) = 3");
}

TEST_CASE("buffers longer than 32 bytes are cut with an ellipsis", "[strace]") {
  FakeGuest guest;
  u64 buf = guest.put("0123456789012345678901234567890123456789");
  CHECK(format_syscall(&kWrite, call(1, {1, buf, 40}), 40, guest.reader()) ==
        "write(1, \"01234567890123456789012345678901\"..., 40) = 40");
  CHECK(format_syscall(&kWrite, call(1, {1, buf, 32}), 32, guest.reader()) ==
        "write(1, \"01234567890123456789012345678901\", 32) = 32");
  CHECK(format_syscall(&kRead, call(0, {3, buf, 100}), 40, guest.reader()) ==
        "read(3, \"01234567890123456789012345678901\"..., 100) = 40");
}

TEST_CASE("a large write peeks only the bytes it shows", "[strace]") {
  FakeGuest guest;
  u64 buf = guest.put(std::string(64, 'a'));
  format_syscall(&kWrite, call(1, {1, buf, 1 << 20}), 1 << 20, guest.reader());
  CHECK(guest.largest_peek() == 32);
}

TEST_CASE("strings escape like C, with octal as short as strace makes it", "[strace]") {
  FakeGuest guest;
  // 17 bytes, then the NUL and a zero byte past it, as in the literal strace was shown.
  static constexpr char kBytes[19] =
      "a\0b\0"
      "1\033x\377\n\t\"\\\r\v\f\a\x7f";
  u64 buf = guest.put(kBytes, 19);
  CHECK(format_syscall(&kWrite, call(1, {1, buf, 19}), 19, guest.reader()) ==
        R"(write(1, "a\0b\0001\33x\377\n\t\"\\\r\v\f\7\177\0\0", 19) = 19)");
  u64 digits = guest.put(
      "\1"
      "2\0"
      "9\0"
      "7",
      6);
  CHECK(format_syscall(&kWrite, call(1, {1, digits, 6}), 6, guest.reader()) ==
        R"(write(1, "\0012\09\0007", 6) = 6)");
}

TEST_CASE("unreadable memory prints as an address and NULL as NULL", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(&kWrite, call(1, {1, 0x10, 5}), 5, guest.reader()) ==
        "write(1, 0x10, 5) = 5");
  CHECK(format_syscall(&kWrite, call(1, {1, 0, 0}), 0, guest.reader()) == "write(1, NULL, 0) = 0");
  CHECK(format_syscall(&kWrite, call(1, {1, 0x10, 0}), 0, guest.reader()) ==
        "write(1, \"\", 0) = 0");
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), 0x10, 0}), err(abi::Errno::kEFAULT),
                       guest.reader()) ==
        "openat(AT_FDCWD, 0x10, O_RDONLY) = -1 EFAULT (Bad address)");
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), 0, 0}), err(abi::Errno::kEFAULT),
                       guest.reader()) ==
        "openat(AT_FDCWD, NULL, O_RDONLY) = -1 EFAULT (Bad address)");
}

TEST_CASE("a buffer running off readable memory prints as an address", "[strace]") {
  FakeGuest guest;
  u64 tail = guest.end() - 3;
  guest.write(tail, "abc", 3);
  CHECK(format_syscall(&kWrite, call(1, {1, tail, 5}), 5, guest.reader()) ==
        "write(1, 0x11ffd, 5) = 5");
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), tail, 0}), err(abi::Errno::kEFAULT),
                       guest.reader()) ==
        "openat(AT_FDCWD, 0x11ffd, O_RDONLY) = -1 EFAULT (Bad address)");
}

TEST_CASE("a path ending right before unreadable memory still prints", "[strace]") {
  FakeGuest guest;
  u64 path = guest.end() - 4;
  guest.write(path, "abc", 4);
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), path, 0}), err(abi::Errno::kENOENT),
                       guest.reader()) ==
        "openat(AT_FDCWD, \"abc\", O_RDONLY) = -1 ENOENT (No such file or directory)");
}

TEST_CASE("paths are not cut at 32 bytes, only beyond PATH_MAX", "[strace]") {
  FakeGuest guest;
  std::string name(100, 'a');
  u64 path = guest.put(name.c_str(), name.size() + 1);
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), path, 0}), err(abi::Errno::kENOENT),
                       guest.reader()) ==
        "openat(AT_FDCWD, \"" + name + "\", O_RDONLY) = -1 ENOENT (No such file or directory)");
  std::string longest(5000, 'b');
  u64 long_path = guest.put(longest.c_str(), longest.size() + 1);
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), long_path, 0}),
                       err(abi::Errno::kENAMETOOLONG), guest.reader()) ==
        "openat(AT_FDCWD, \"" + std::string(4095, 'b') +
            "\"..., O_RDONLY) = -1 ENAMETOOLONG (File name too long)");
}

TEST_CASE("paths escape like buffers", "[strace]") {
  FakeGuest guest;
  u64 path = guest.put("a\nb\377c", 6);
  CHECK(format_syscall(&kOpenat, call(257, {u64(-100), path, 0}), err(abi::Errno::kENOENT),
                       guest.reader()) ==
        R"(openat(AT_FDCWD, "a\nb\377c", O_RDONLY) = -1 ENOENT (No such file or directory))");
}

TEST_CASE("writev shows each iovec's bytes", "[strace]") {
  FakeGuest guest;
  abi::Iovec iov[2] = {{guest.put("hello"), 5}, {guest.put("x"), 1}};
  u64 vec = guest.put(iov, sizeof(iov));
  CHECK(format_syscall(&kWritev, call(20, {4, vec, 2}), 6, guest.reader()) ==
        "writev(4, [{iov_base=\"hello\", iov_len=5}, {iov_base=\"x\", iov_len=1}], 2) = 6");
  CHECK(format_syscall(&kWritev, call(20, {4, vec, 0}), 0, guest.reader()) ==
        "writev(4, [], 0) = 0");
  CHECK(format_syscall(&kWritev, call(20, {1, 0x10, 3}), err(abi::Errno::kEFAULT),
                       guest.reader()) == "writev(1, 0x10, 3) = -1 EFAULT (Bad address)");
  CHECK(format_syscall(&kWritev, call(20, {1, 0, 3}), err(abi::Errno::kEFAULT), guest.reader()) ==
        "writev(1, NULL, 3) = -1 EFAULT (Bad address)");
}

TEST_CASE("process_madvise shows its ranges as addresses", "[strace]") {
  const kernel::syscalls::SyscallInfo* info = kernel::syscalls::lookup_syscall(440);
  REQUIRE(info != nullptr);
  FakeGuest guest;
  abi::Iovec iov[2] = {{0x7f0000001000, 16384}, {guest.put("x"), 0}};
  u64 vec = guest.put(iov, sizeof(iov));
  char second[32];
  std::snprintf(second, sizeof second, "%#llx", static_cast<unsigned long long>(iov[1].base));
  CHECK(format_syscall(info, call(440, {7, vec, 2, 21, 0}), 16384, guest.reader()) ==
        "process_madvise(7, [{iov_base=0x7f0000001000, iov_len=16384}, {iov_base=" +
            std::string(second) + ", iov_len=0}], 2, MADV_PAGEOUT, 0) = 16384");
}

TEST_CASE("readv shows only the bytes it read, or addresses on failure", "[strace]") {
  FakeGuest guest;
  u64 first = guest.put("helXXXXX");
  u64 second = guest.put("loxYYYYYYYYYY");
  abi::Iovec iov[2] = {{first, 3}, {second, 10}};
  u64 vec = guest.put(iov, sizeof(iov));
  CHECK(format_syscall(&kReadv, call(19, {3, vec, 2}), 6, guest.reader()) ==
        "readv(3, [{iov_base=\"hel\", iov_len=3}, {iov_base=\"lox\", iov_len=10}], 2) = 6");
  CHECK(format_syscall(&kReadv, call(19, {99, vec, 2}), err(abi::Errno::kEBADF), guest.reader()) ==
        "readv(99, [{iov_base=0x10000, iov_len=3}, {iov_base=0x10008, iov_len=10}], 2) = -1 "
        "EBADF (Bad file descriptor)");
}

TEST_CASE("iovec arrays stop after 32 elements and at unreadable memory", "[strace]") {
  FakeGuest guest;
  u64 ab = guest.put("ab");
  std::vector<abi::Iovec> many(40, abi::Iovec{ab, 2});
  u64 vec = guest.put(many.data(), many.size() * sizeof(abi::Iovec));
  std::string expected = "writev(1, [";
  for (int i = 0; i < 32; ++i) expected += "{iov_base=\"ab\", iov_len=2}, ";
  expected += "...], 40) = 80";
  CHECK(format_syscall(&kWritev, call(20, {1, vec, 40}), 80, guest.reader()) == expected);

  u64 last = guest.end() - sizeof(abi::Iovec);
  abi::Iovec zz{guest.put("zz"), 2};
  guest.write(last, &zz, sizeof(zz));
  CHECK(
      format_syscall(&kWritev, call(20, {1, last, 3}), err(abi::Errno::kEFAULT), guest.reader()) ==
      "writev(1, [{iov_base=\"zz\", iov_len=2}, ... /* 0x12000 */], 3) = -1 EFAULT (Bad "
      "address)");
}

TEST_CASE("a syscall emu does not implement prints its name and raw arguments", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(nullptr, call(425, {0x10, 0x7ffd0000, 9, 9, 9, 9}), err(abi::Errno::kENOSYS),
                       guest.reader()) ==
        "io_uring_setup(0x10, 0x7ffd0000) = -1 ENOSYS (Function not implemented)");
  CHECK(format_syscall(nullptr, call(24, {1, 2, 3}), err(abi::Errno::kENOSYS), guest.reader()) ==
        "sched_yield() = -1 ENOSYS (Function not implemented)");
}

TEST_CASE("an unknown syscall number prints as syscall_0x with six arguments", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(nullptr, call(0x1c8, {1, 0, 0x7fff12, 0xffffffff, 0, 0}),
                       err(abi::Errno::kENOSYS), guest.reader()) ==
        "syscall_0x1c8(0x1, 0, 0x7fff12, 0xffffffff, 0, 0) = -1 ENOSYS (Function not "
        "implemented)");
}

TEST_CASE("stat buffers show mode and size, or the device of a device file", "[strace]") {
  FakeGuest guest;
  abi::Stat regular = make_stat(abi::kS_IFREG | 0644, 1221);
  u64 st = guest.put(&regular, sizeof(regular));
  CHECK(format_syscall(&kFstat, call(5, {3, st}), 0, guest.reader()) ==
        "fstat(3, {st_mode=S_IFREG|0644, st_size=1221, ...}) = 0");
  abi::Stat null_dev = make_stat(abi::kS_IFCHR | 0666, 0, 0x103);
  guest.write(st, &null_dev, sizeof(null_dev));
  CHECK(format_syscall(&kFstat, call(5, {0, st}), 0, guest.reader()) ==
        "fstat(0, {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}) = 0");
  abi::Stat loop = make_stat(abi::kS_IFBLK | 0600, 0, 0x700);
  guest.write(st, &loop, sizeof(loop));
  CHECK(format_syscall(&kFstat, call(5, {0, st}), 0, guest.reader()) ==
        "fstat(0, {st_mode=S_IFBLK|0600, st_rdev=makedev(0x7, 0), ...}) = 0");
  abi::Stat setuid = make_stat(abi::kS_IFREG | 07755, 16344);
  guest.write(st, &setuid, sizeof(setuid));
  CHECK(format_syscall(&kFstat, call(5, {0, st}), 0, guest.reader()) ==
        "fstat(0, {st_mode=S_IFREG|S_ISUID|S_ISGID|S_ISVTX|0755, st_size=16344, ...}) = 0");
  CHECK(format_syscall(&kFstat, call(5, {99, st}), err(abi::Errno::kEBADF), guest.reader()) ==
        "fstat(99, 0x10000) = -1 EBADF (Bad file descriptor)");
}

TEST_CASE("at flags use the table of their syscall", "[strace]") {
  FakeGuest guest;
  u64 path = guest.put(std::string_view("/", 2));
  u64 st = guest.put(std::string(sizeof(abi::Stat), '\0'));
  u64 flags = abi::kAT_SYMLINK_NOFOLLOW | abi::kAT_EMPTY_PATH | 1;
  CHECK(format_syscall(&kNewfstatat, call(262, {u64(-100), path, st, flags}),
                       err(abi::Errno::kEINVAL), guest.reader()) ==
        "newfstatat(AT_FDCWD, \"/\", 0x10002, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH|0x1) = -1 EINVAL "
        "(Invalid argument)");
  CHECK(format_syscall(&kNewfstatat, call(262, {u64(-100), path, st, 1}), err(abi::Errno::kEINVAL),
                       guest.reader()) ==
        "newfstatat(AT_FDCWD, \"/\", 0x10002, 0x1 /* AT_??? */) = -1 EINVAL (Invalid argument)");
  CHECK(format_syscall(&kFaccessat2, call(439, {u64(-100), path, 0, 0x200}), 0, guest.reader()) ==
        "faccessat2(AT_FDCWD, \"/\", 0, AT_EACCESS) = 0");
  CHECK(format_syscall(&kStatx, call(332, {u64(-100), path, 0, 0, st}), 0, guest.reader()) ==
        "statx(AT_FDCWD, \"/\", AT_STATX_SYNC_AS_STAT, 0, 0x10002) = 0");
  CHECK(format_syscall(&kStatx, call(332, {u64(-100), path, 0x4100, 0, st}), 0, guest.reader()) ==
        "statx(AT_FDCWD, \"/\", AT_STATX_DONT_SYNC|AT_SYMLINK_NOFOLLOW, 0, 0x10002) = 0");
}

TEST_CASE("signals, whence, clocks and arch_prctl codes print by name", "[strace]") {
  FakeGuest guest;
  auto line = [&](const SyscallInfo& info, std::initializer_list<u64> values, i64 result) {
    return format_syscall(&info, call(info.nr, values), result, guest.reader());
  };
  CHECK(line(kKill, {4806, 0}, 0) == "kill(4806, 0) = 0");
  CHECK(line(kKill, {1, abi::kSIGSEGV}, 0) == "kill(1, SIGSEGV) = 0");
  CHECK(line(kKill, {1, 16}, 0) == "kill(1, SIGSTKFLT) = 0");
  CHECK(line(kKill, {1, 32}, 0) == "kill(1, SIGRTMIN) = 0");
  CHECK(line(kKill, {1, 34}, 0) == "kill(1, SIGRT_2) = 0");
  CHECK(line(kKill, {1, 64}, 0) == "kill(1, SIGRT_32) = 0");
  CHECK(line(kKill, {1, 65}, 0) == "kill(1, 65) = 0");
  CHECK(line(kKill, {1, 0x100000009}, 0) == "kill(1, SIGKILL) = 0");
  CHECK(line(kLseek, {1, u64(-5), abi::kSEEK_CUR}, 0) == "lseek(1, -5, SEEK_CUR) = 0");
  CHECK(line(kLseek, {1, 0, 4}, 0) == "lseek(1, 0, SEEK_HOLE) = 0");
  CHECK(line(kLseek, {1, 0, 7}, 0) == "lseek(1, 0, 0x7 /* SEEK_??? */) = 0");
  CHECK(line(kClockGettime, {abi::kCLOCK_MONOTONIC, 0x1000}, 0) ==
        "clock_gettime(CLOCK_MONOTONIC, 0x1000) = 0");
  CHECK(line(kClockGettime, {11, 0}, 0) == "clock_gettime(CLOCK_TAI, NULL) = 0");
  CHECK(line(kClockGettime, {u64(-2), 0}, 0) ==
        "clock_gettime(0xfffffffe /* CLOCK_??? */, NULL) = 0");
  CHECK(line(kArchPrctl, {abi::kARCH_SET_FS, 0x7f00001234}, 0) ==
        "arch_prctl(ARCH_SET_FS, 0x7f00001234) = 0");
  CHECK(line(kArchPrctl, {0x3001, 0}, err(abi::Errno::kEINVAL)) ==
        "arch_prctl(0x3001 /* ARCH_??? */, 0) = -1 EINVAL (Invalid argument)");
}

TEST_CASE("fds and ints are 32-bit, sizes are 64-bit unsigned", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(&kClose, call(3, {0x1ffffffff}), err(abi::Errno::kEBADF), guest.reader()) ==
        "close(-1) = -1 EBADF (Bad file descriptor)");
  CHECK(format_syscall(&kMunmap, call(11, {0x1000, u64(-1)}), err(abi::Errno::kEINVAL),
                       guest.reader()) ==
        "munmap(0x1000, 18446744073709551615) = -1 EINVAL (Invalid argument)");
  CHECK(format_syscall(&kOpenat, call(257, {0xffffffff00000005, 0, 0}), err(abi::Errno::kEFAULT),
                       guest.reader()) == "openat(5, NULL, O_RDONLY) = -1 EFAULT (Bad address)");
}

TEST_CASE("results outside the errno range are plain values", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(&kLseek, call(8, {3, 0, abi::kSEEK_END}), -4096, guest.reader()) ==
        "lseek(3, 0, SEEK_END) = -4096");
  CHECK(format_syscall(&kMmap, call(9, {0, 4096, 0, abi::kMAP_PRIVATE, 3, 0}), 0, guest.reader()) ==
        "mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE, 3, 0) = 0");
}

TEST_CASE("errnos without a name print as strace prints them", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(&kClose, call(3, {3}), -523, guest.reader()) ==
        "close(3) = -1 ERRNO_523 (Unknown error 523)");
  CHECK(format_syscall(&kClose, call(3, {3}), -512, guest.reader()) ==
        "close(3) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
}

TEST_CASE("syscall_name knows every x86-64 syscall of Linux 6.1", "[strace]") {
  CHECK(std::string(syscall_name(0)) == "read");
  CHECK(std::string(syscall_name(10)) == "mprotect");
  CHECK(std::string(syscall_name(28)) == "madvise");
  CHECK(std::string(syscall_name(231)) == "exit_group");
  CHECK(std::string(syscall_name(334)) == "rseq");
  CHECK(std::string(syscall_name(424)) == "pidfd_send_signal");
  CHECK(std::string(syscall_name(434)) == "pidfd_open");
  CHECK(std::string(syscall_name(440)) == "process_madvise");
  CHECK(std::string(syscall_name(450)) == "set_mempolicy_home_node");
  CHECK(syscall_name(335) == nullptr);
  CHECK(syscall_name(423) == nullptr);
  CHECK(syscall_name(451) == nullptr);
  CHECK(syscall_name(~u64{0}) == nullptr);
  for (u64 nr = 0; nr <= 450; ++nr) {
    if (nr > 334 && nr < 424) continue;
    INFO("nr " << nr);
    CHECK(syscall_name(nr) != nullptr);
  }
}

TEST_CASE("syscall_arg_count follows strace, and is six for unknown numbers", "[strace]") {
  CHECK(syscall_arg_count(0) == 3);
  CHECK(syscall_arg_count(9) == 6);
  CHECK(syscall_arg_count(24) == 0);
  CHECK(syscall_arg_count(231) == 1);
  CHECK(syscall_arg_count(440) == 5);
  CHECK(syscall_arg_count(0x1c8) == 6);
}

// --- Processes and threads. Expected lines are strace 6.1's for the same calls (strace -f of
// a static test program on Linux 6.1), with its addresses replaced by the fake guest's. ---

namespace {

const SyscallInfo kClone{
    56, "clone", nullptr, Arg::Ret, {Arg::CloneFlags, Arg::Ptr, Arg::Ptr, Arg::Ptr, Arg::Hex}, 5};
const SyscallInfo kClone3{435, "clone3", nullptr, Arg::Ret, {Arg::CloneArgs, Arg::UInt}, 2};
const SyscallInfo kFutex{202,
                         "futex",
                         nullptr,
                         Arg::Ret,
                         {Arg::Ptr, Arg::FutexOp, Arg::UInt, Arg::Timespec, Arg::Ptr, Arg::Hex},
                         6};
const SyscallInfo kWait4{
    61, "wait4", nullptr, Arg::Ret, {Arg::Int, Arg::WaitStatus, Arg::WaitOptions, Arg::Rusage}, 4};
const SyscallInfo kPoll{7, "poll", nullptr, Arg::Ret, {Arg::PollFds, Arg::UInt, Arg::Int}, 3};
const SyscallInfo kPpoll{271,
                         "ppoll",
                         nullptr,
                         Arg::Ret,
                         {Arg::PollFds, Arg::UInt, Arg::Timespec, Arg::SigMask, Arg::UInt},
                         5};
const SyscallInfo kExecve{
    59, "execve", nullptr, Arg::Ret, {Arg::Path, Arg::StrArray, Arg::EnvArray}, 3};
const SyscallInfo kTgkill{234, "tgkill", nullptr, Arg::Ret, {Arg::Int, Arg::Int, Arg::Signal}, 3};

constexpr u64 kThreadFlags = abi::kCLONE_VM | abi::kCLONE_FS | abi::kCLONE_FILES |
                             abi::kCLONE_SIGHAND | abi::kCLONE_THREAD | abi::kCLONE_SYSVSEM |
                             abi::kCLONE_SETTLS | abi::kCLONE_PARENT_SETTID |
                             abi::kCLONE_CHILD_CLEARTID;

std::string hex(u64 v) {
  char text[32];
  std::snprintf(text, sizeof text, "%#llx", static_cast<unsigned long long>(v));
  return text;
}

struct PollFd {
  i32 fd;
  u16 events;
  u16 revents;
};

}  // namespace

TEST_CASE("clone decodes its flags and prints the pointers its flags use", "[strace]") {
  FakeGuest guest;
  const u64 fork_flags = abi::kCLONE_CHILD_CLEARTID | abi::kCLONE_CHILD_SETTID | abi::kSIGCHLD;
  CHECK(format_syscall(&kClone, call(56, {fork_flags, 0, 0, 0x4b2650, 0}), 102, guest.reader()) ==
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
        "child_tidptr=0x4b2650) = 102");
  const i32 tid = 103;
  const u64 ptid = guest.put(&tid, sizeof tid);
  CHECK(format_syscall(&kClone,
                       call(56, {kThreadFlags, 0x7f00000ff000, ptid, ptid, 0x7f00000ff700}), 103,
                       guest.reader()) ==
        "clone(child_stack=0x7f00000ff000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
        "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
        "parent_tid=[103], tls=0x7f00000ff700, child_tidptr=0x10000) = 103");
  // vfork as posix_spawn asks for it; no pointer is used, so nothing follows the flags.
  CHECK(format_syscall(
            &kClone,
            call(56, {abi::kCLONE_VM | abi::kCLONE_VFORK | abi::kSIGCHLD, 0x7f0000, 0, 0, 0}), 104,
            guest.reader()) ==
        "clone(child_stack=0x7f0000, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 104");
  CHECK(format_syscall(&kClone, call(56, {0, 0, 0, 0, 0}), 105, guest.reader()) ==
        "clone(child_stack=NULL, flags=0) = 105");
  CHECK(format_syscall(&kClone, call(56, {abi::kCLONE_DETACHED | abi::kSIGCHLD, 0, 0, 0, 0}), 105,
                       guest.reader()) ==
        "clone(child_stack=NULL, flags=0x400000 /* CLONE_??? */|SIGCHLD) = 105");
  // Split where strace splits it: the pointers are printed when the call returns.
  CHECK(format_entry(&kClone, call(56, {fork_flags, 0, 0, 0x4b2650, 0}), guest.reader()) ==
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  CHECK(format_clone_flags(kThreadFlags) ==
        "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|"
        "CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID");
  CHECK(format_clone_flags(abi::kSIGCHLD) == "SIGCHLD");
  CHECK(format_clone_flags(abi::kCLONE_VM | abi::kCLONE_VFORK | abi::kSIGCHLD) ==
        "CLONE_VM|CLONE_VFORK|SIGCHLD");
}

TEST_CASE("clone3 prints its struct, and the tid it wrote", "[strace]") {
  FakeGuest guest;
  const i32 tid = 15809;
  const u64 tid_word = guest.put(&tid, sizeof tid);
  const u64 args[11] = {kThreadFlags,   0,        tid_word,      tid_word, 0,
                        0x7f4882eeb000, 0x800300, 0x7f48836eb6c0};
  const u64 addr = guest.put(args, sizeof args);
  CHECK(format_syscall(&kClone3, call(435, {addr, 88}), 15809, guest.reader()) ==
        "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
        "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x10000, "
        "parent_tid=0x10000, exit_signal=0, stack=0x7f4882eeb000, stack_size=0x800300, "
        "tls=0x7f48836eb6c0} => {parent_tid=[15809]}, 88) = 15809");
  CHECK(format_entry(&kClone3, call(435, {addr, 88}), guest.reader())
            .ends_with("tls=0x7f48836eb6c0}"));
  const u64 fork_args[8] = {0, 0, 0, 0, abi::kSIGCHLD, 0, 0, 0};
  const u64 fork_addr = guest.put(fork_args, sizeof fork_args);
  CHECK(format_syscall(&kClone3, call(435, {fork_addr, 64}), 110, guest.reader()) ==
        "clone3({flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 64) = 110");
  CHECK(format_syscall(&kClone3, call(435, {fork_addr, 32}), err(abi::Errno::kEINVAL),
                       guest.reader()) ==
        "clone3(" + hex(fork_addr) + ", 32) = -1 EINVAL (Invalid argument)");
}

TEST_CASE("futex prints the arguments each operation takes", "[strace]") {
  FakeGuest guest;
  const u64 word = 0x4a70d0, word2 = 0x4a92f0;
  auto line = [&](std::initializer_list<u64> values, i64 result) {
    return format_syscall(&kFutex, call(202, values), result, guest.reader());
  };
  CHECK(line({word, 128, 4, 0, 0, 0}, err(abi::Errno::kEAGAIN)) ==
        "futex(0x4a70d0, FUTEX_WAIT_PRIVATE, 4, NULL) = -1 EAGAIN (Resource temporarily "
        "unavailable)");
  const abi::Timespec ts{1, 500};
  const u64 timeout = guest.put(&ts, sizeof ts);
  CHECK(line({word, 128, 5, timeout, 0, 0}, err(abi::Errno::kETIMEDOUT)) ==
        "futex(0x4a70d0, FUTEX_WAIT_PRIVATE, 5, {tv_sec=1, tv_nsec=500}) = -1 ETIMEDOUT "
        "(Connection timed out)");
  CHECK(line({word, 129, 1, 0, 0, 0}, 0) == "futex(0x4a70d0, FUTEX_WAKE_PRIVATE, 1) = 0");
  CHECK(line({word, 9 | 128 | 256, 4, 0, 0, 0xffffffff}, err(abi::Errno::kEAGAIN)) ==
        "futex(0x4a70d0, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 4, NULL, "
        "FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)");
  CHECK(line({word, 10, 1, 0, 0, 3}, 0) == "futex(0x4a70d0, FUTEX_WAKE_BITSET, 1, 0x3) = 0");
  CHECK(line({word, 5 | 128, 1, 1, word2, 0x04000001}, 0) ==
        "futex(0x4a70d0, FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x4a92f0, "
        "FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1) = 0");
  CHECK(line({word, 4 | 128, 1, 2147483647, word2, 5}, 0) ==
        "futex(0x4a70d0, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2147483647, 0x4a92f0, 5) = 0");
  CHECK(line({word, 3, 1, 3, word2, 0}, 0) == "futex(0x4a70d0, FUTEX_REQUEUE, 1, 3, 0x4a92f0) = 0");
  CHECK(line({word, 99, 1, 3, word2, 0}, err(abi::Errno::kENOSYS)) ==
        "futex(0x4a70d0, 0x63 /* FUTEX_??? */, 1, 0x3, 0x4a92f0, 0) = -1 ENOSYS (Function not "
        "implemented)");
  // All of it is printed on entry: a wait cut short shows everything before "<unfinished".
  CHECK(format_entry(&kFutex, call(202, {word, 128, 2, 0, 0, 0}), guest.reader()) ==
        "futex(0x4a70d0, FUTEX_WAIT_PRIVATE, 2, NULL");
  CHECK(format_exit(&kFutex, call(202, {word, 128, 2, 0, 0, 0}), 0, guest.reader()) == ") = 0");
}

TEST_CASE("wait4 shows the status it wrote, its options and the rusage", "[strace]") {
  FakeGuest guest;
  const i32 exited = 3 << 8;
  const u64 status = guest.put(&exited, sizeof exited);
  CHECK(format_syscall(&kWait4, call(61, {u64(-1), status, 0, 0}), 105, guest.reader()) ==
        "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 105");
  const i32 killed = 9;
  guest.write(status, &killed, sizeof killed);
  CHECK(format_syscall(&kWait4, call(61, {104, status, u64(abi::kWALL), 0}), 104, guest.reader()) ==
        "wait4(104, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], __WALL, NULL) = 104");
  const u64 rusage[18] = {0, 783};
  const u64 ru = guest.put(rusage, sizeof rusage);
  guest.write(status, &exited, sizeof exited);
  CHECK(format_syscall(&kWait4, call(61, {u64(-1), status, 0, ru}), 105, guest.reader()) ==
        "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, {ru_utime={tv_sec=0, "
        "tv_usec=783}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 105");
  CHECK(format_syscall(&kWait4, call(61, {u64(-1), status, u64(abi::kWNOHANG), 0}),
                       err(abi::Errno::kECHILD), guest.reader()) ==
        "wait4(-1, 0x10000, WNOHANG, NULL) = -1 ECHILD (No child processes)");
  CHECK(format_syscall(&kWait4, call(61, {u64(-1), status, u64(abi::kWNOHANG), 0}), 0,
                       guest.reader()) == "wait4(-1, 0x10000, WNOHANG, NULL) = 0");
  // strace prints the pid when the call starts, the rest when it returns.
  CHECK(format_entry(&kWait4, call(61, {104, status, 0, 0}), guest.reader()) == "wait4(104, ");
  CHECK(format_exit(&kWait4, call(61, {104, status, 0, 0}), 104, guest.reader()) ==
        "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 104");
  CHECK(format_wait_status(0x137f) == "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]");
  CHECK(format_wait_status(0x8b) == "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]");
  CHECK(format_wait_status(0) == "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]");
}

TEST_CASE("poll shows the array it was given and the descriptors that are ready", "[strace]") {
  FakeGuest guest;
  PollFd fds[2] = {{3, 1, 1}, {4, 1 | 4, 4}};
  const u64 addr = guest.put(fds, sizeof fds);
  CHECK(format_syscall(&kPoll, call(7, {addr, 2, u64(-1)}), 2, guest.reader()) ==
        "poll([{fd=3, events=POLLIN}, {fd=4, events=POLLIN|POLLOUT}], 2, -1) = 2 ([{fd=3, "
        "revents=POLLIN}, {fd=4, revents=POLLOUT}])");
  PollFd none{-1, 1, 0};
  const u64 none_addr = guest.put(&none, sizeof none);
  CHECK(format_syscall(&kPoll, call(7, {none_addr, 1, 0}), 0, guest.reader()) ==
        "poll([{fd=-1}], 1, 0) = 0 (Timeout)");
  CHECK(format_entry(&kPoll, call(7, {addr, 1, u64(-1)}), guest.reader()) ==
        "poll([{fd=3, events=POLLIN}], 1, -1");
  CHECK(format_syscall(&kPoll, call(7, {0x10, 1, 0}), err(abi::Errno::kEFAULT), guest.reader()) ==
        "poll(0x10, 1, 0) = -1 EFAULT (Bad address)");
  const abi::Timespec ts{1, 999998437};
  const u64 timeout = guest.put(&ts, sizeof ts);
  const u64 usr1 = u64{1} << (abi::kSIGUSR1 - 1);
  const u64 mask = guest.put(&usr1, sizeof usr1);
  CHECK(format_syscall(&kPpoll, call(271, {addr, 1, timeout, mask, 8}), 1, guest.reader()) ==
        "ppoll([{fd=3, events=POLLIN}], 1, {tv_sec=1, tv_nsec=999998437}, [USR1], 8) = 1 "
        "([{fd=3, revents=POLLIN}], left {tv_sec=1, tv_nsec=999998437})");
  CHECK(format_syscall(&kPpoll, call(271, {addr, 1, 0, 0, 8}), 1, guest.reader()) ==
        "ppoll([{fd=3, events=POLLIN}], 1, NULL, NULL, 8) = 1 ([{fd=3, revents=POLLIN}])");
}

TEST_CASE("execve shows argv and counts envp", "[strace]") {
  FakeGuest guest;
  const u64 path = guest.put(std::string_view("/nonexistent/x", 15));
  const u64 strings[] = {path, guest.put(std::string_view("a", 2)),
                         guest.put(std::string_view("b c", 4)), 0};
  const u64 argv = guest.put(strings, sizeof strings);
  const u64 env_strings[] = {guest.put(std::string_view("A=1", 4)),
                             guest.put(std::string_view("B=2", 4)), 0};
  const u64 envp = guest.put(env_strings, sizeof env_strings);
  CHECK(format_syscall(&kExecve, call(59, {path, argv, envp}), err(abi::Errno::kENOENT),
                       guest.reader()) ==
        "execve(\"/nonexistent/x\", [\"/nonexistent/x\", \"a\", \"b c\"], " + hex(envp) +
            " /* 2 vars */) = -1 ENOENT (No such file or directory)");
  const u64 one[] = {env_strings[0], 0};
  const u64 one_env = guest.put(one, sizeof one);
  CHECK(format_entry(&kExecve, call(59, {path, 0, one_env}), guest.reader()) ==
        "execve(\"/nonexistent/x\", NULL, " + hex(one_env) + " /* 1 var */");
  CHECK(format_syscall(&kExecve, call(59, {path, 0x10, 0}), err(abi::Errno::kEFAULT),
                       guest.reader()) ==
        "execve(\"/nonexistent/x\", 0x10, NULL) = -1 EFAULT (Bad address)");
}

TEST_CASE("tgkill names its signal", "[strace]") {
  FakeGuest guest;
  CHECK(format_syscall(&kTgkill, call(234, {26684, 26684, abi::kSIGCONT}), 0, guest.reader()) ==
        "tgkill(26684, 26684, SIGCONT) = 0");
}

TEST_CASE("signal and exit lines are strace's", "[strace]") {
  abi::Siginfo chld{};
  chld.si_signo = abi::kSIGCHLD;
  chld.si_code = abi::kCLD_EXITED;
  chld.fields.child.pid = 101;
  chld.fields.child.status = 3;
  CHECK(format_siginfo_line(chld) ==
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101, si_uid=0, si_status=3, "
        "si_utime=0, si_stime=0} ---");
  chld.si_code = abi::kCLD_KILLED;
  chld.fields.child.status = abi::kSIGKILL;
  CHECK(format_siginfo_line(chld) ==
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=101, si_uid=0, "
        "si_status=SIGKILL, si_utime=0, si_stime=0} ---");
  abi::Siginfo cont{};
  cont.si_signo = abi::kSIGCONT;
  cont.si_code = abi::kSI_TKILL;
  cont.fields.kill.pid = 26684;
  CHECK(format_siginfo_line(cont) ==
        "--- SIGCONT {si_signo=SIGCONT, si_code=SI_TKILL, si_pid=26684, si_uid=0} ---");
  abi::Siginfo segv{};
  segv.si_signo = abi::kSIGSEGV;
  segv.si_code = abi::kSEGV_MAPERR;
  CHECK(format_siginfo_line(segv) ==
        "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---");
  CHECK(format_exit_line(0) == "+++ exited with 0 +++");
  CHECK(format_exit_line(3 << 8) == "+++ exited with 3 +++");
  CHECK(format_exit_line(abi::kSIGKILL) == "+++ killed by SIGKILL +++");
  CHECK(format_exit_line(abi::kSIGSEGV | 0x80) == "+++ killed by SIGSEGV (core dumped) +++");
}

TEST_CASE("a call's entry and exit halves make its line", "[strace]") {
  FakeGuest guest;
  u64 buf = guest.put("child");
  // read: the fd when it starts; the bytes once they are there.
  CHECK(format_entry(&kRead, call(0, {3, buf, 16}), guest.reader()) == "read(3, ");
  CHECK(format_exit(&kRead, call(0, {3, buf, 16}), 5, guest.reader()) == "\"child\", 16) = 5");
  // write: everything when it starts.
  CHECK(format_entry(&kWrite, call(1, {4, buf, 5}), guest.reader()) == "write(4, \"child\", 5");
  CHECK(format_exit(&kWrite, call(1, {4, buf, 5}), 5, guest.reader()) == ") = 5");
  CHECK(format_entry(nullptr, call(24, {}), guest.reader()) == "sched_yield(");
}
