// The permission checks of process_madvise (mm_access with PTRACE_MODE_READ_FSCREDS, then
// CAP_SYS_NICE) and the pidfd calls, against Linux 6.1's answers; and the syscalls
// themselves on a booted kernel.
#include <catch2/catch_test_macros.hpp>

#include "booted_kernel.h"
#include "kernel/abi/linux.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/pidfd.h"
#include "kernel/proc/remote_access.h"

namespace {

using kernel::Credentials;
using kernel::u64;
using kernel::abi::Errno;
namespace cap = kernel::cap;

Errno access(const Credentials& caller, const Credentials& target, bool same_mm = false,
             bool dumpable = true) {
  auto r = kernel::proc::process_madvise_access(caller, target, same_mm, dumpable);
  return r.ok() ? Errno::None : r.error();
}

Credentials user(kernel::u32 uid) {
  return Credentials::initial(uid, uid);
}

Credentials with_caps(Credentials c, u64 caps) {
  c.cap_permitted |= caps;
  c.cap_effective |= caps;
  return c;
}

}  // namespace

TEST_CASE("process_madvise: the same uid still needs CAP_SYS_NICE", "[pidfd][cred]") {
  CHECK(access(user(1000), user(1000)) == Errno::kEPERM);
  CHECK(access(with_caps(user(1000), cap::mask(cap::kSysNice)), user(1000)) == Errno::None);
  // Root has both; root without CAP_SYS_NICE in its effective set is refused.
  const Credentials root = Credentials::initial(0, 0);
  CHECK(access(root, root) == Errno::None);
  Credentials no_nice = root;
  no_nice.cap_effective &= ~cap::mask(cap::kSysNice);
  CHECK(access(no_nice, root) == Errno::kEPERM);
}

TEST_CASE("process_madvise: another uid is EACCES without CAP_SYS_PTRACE", "[pidfd][cred]") {
  const Credentials nice = with_caps(user(1000), cap::mask(cap::kSysNice));
  CHECK(access(nice, user(1001)) == Errno::kEACCES);
  // The ptrace check comes first: no capability at all is still EACCES, not EPERM.
  CHECK(access(user(1000), user(1001)) == Errno::kEACCES);
  CHECK(access(with_caps(user(1000), cap::mask(cap::kSysPtrace)), user(1001)) == Errno::kEPERM);
  CHECK(access(with_caps(user(1000), cap::mask(cap::kSysPtrace) | cap::mask(cap::kSysNice)),
               user(1001)) == Errno::None);
  // A target with capabilities the caller lacks (root) is out of reach of a user.
  CHECK(access(nice, Credentials::initial(0, 0)) == Errno::kEACCES);
}

TEST_CASE("process_madvise: a non-dumpable target needs CAP_SYS_PTRACE", "[pidfd][cred]") {
  const Credentials nice = with_caps(user(1000), cap::mask(cap::kSysNice));
  CHECK(access(nice, user(1000), false, false) == Errno::kEACCES);
  CHECK(access(with_caps(nice, cap::mask(cap::kSysPtrace)), user(1000), false, false) ==
        Errno::None);
}

TEST_CASE("process_madvise: memory shared with the caller skips the ptrace check",
          "[pidfd][cred]") {
  // mm_access() asks nothing when the mm is the caller's own; CAP_SYS_NICE still counts.
  CHECK(access(user(1000), user(1001), true) == Errno::kEPERM);
  CHECK(access(with_caps(user(1000), cap::mask(cap::kSysNice)), user(1001), true) == Errno::None);
}

TEST_CASE("pidfd syscalls on a booted kernel: errnos and advice on oneself", "[pidfd]") {
  test::BootedKernel b;
  if (!b.start()) SKIP("no " << b.kProgram);
  constexpr u64 kPidfdOpen = 434, kProcessMadvise = 440, kProcessMrelease = 448,
                kPidfdSendSignal = 424, kPidfdGetfd = 438, kMmap = 9;
  const auto E = [](Errno e) { return -static_cast<kernel::i64>(e); };
  const int pid = b.kernel.current().pid();
  CHECK(b.call(kPidfdOpen, pid, 1) == E(Errno::kEINVAL));
  CHECK(b.call(kPidfdOpen, 0, 0) == E(Errno::kEINVAL));
  CHECK(b.call(kPidfdOpen, 4242, 0) == E(Errno::kESRCH));
  const kernel::i64 fd = b.call(kPidfdOpen, pid, kernel::abi::kO_NONBLOCK);
  REQUIRE(fd >= 0);
  CHECK(b.kernel.current().fds().close_on_exec(static_cast<int>(fd)).value());

  // A page for the iovec, and four pages to advise.
  const u64 rw = kernel::abi::kPROT_READ | kernel::abi::kPROT_WRITE;
  const u64 flags = kernel::abi::kMAP_PRIVATE | kernel::abi::kMAP_ANONYMOUS;
  const kernel::i64 vec = b.call(kMmap, 0, 4096, rw, flags, ~u64{0}, 0);
  const kernel::i64 mem = b.call(kMmap, 0, 8 * 4096, rw, flags, ~u64{0}, 0);
  REQUIRE(vec > 0);
  REQUIRE(mem > 0);
  REQUIRE(b.call(11 /* munmap */, mem + 4 * 4096, 4 * 4096) == 0);
  const kernel::abi::Iovec iov[2] = {{static_cast<u64>(mem), 4 * 4096},
                                     {static_cast<u64>(mem) + 4 * 4096, 4096}};
  REQUIRE(kernel::mm::copy_to_user(b.as(), static_cast<u64>(vec), iov, sizeof iov).ok());
  const int cold = kernel::abi::kMADV_COLD;
  CHECK(b.call(kProcessMadvise, fd, vec, 1, cold, 1) == E(Errno::kEINVAL));
  CHECK(b.call(kProcessMadvise, fd, vec, 1025, cold, 0) == E(Errno::kEINVAL));
  CHECK(b.call(kProcessMadvise, fd, 8, 1, cold, 0) == E(Errno::kEFAULT));
  CHECK(b.call(kProcessMadvise, 99, vec, 1, cold, 0) == E(Errno::kEBADF));
  CHECK(b.call(kProcessMadvise, fd, vec, 1, kernel::abi::kMADV_DONTNEED, 0) == E(Errno::kEINVAL));
  // Linux 6.1 wants CAP_SYS_NICE even for oneself.
  kernel::Credentials& creds = b.kernel.current().creds();
  creds.cap_effective &= ~cap::mask(cap::kSysNice);
  CHECK(b.call(kProcessMadvise, fd, vec, 1, cold, 0) == E(Errno::kEPERM));
  creds.cap_effective |= cap::mask(cap::kSysNice);
  CHECK(b.call(kProcessMadvise, fd, vec, 1, cold, 0) == 4 * 4096);
  // The second range is unmapped: the bytes of the first.
  CHECK(b.call(kProcessMadvise, fd, vec, 2, cold, 0) == 4 * 4096);
  CHECK(b.call(kProcessMadvise, fd, vec + 16, 1, cold, 0) == E(Errno::kENOMEM));
  // MADV_COLLAPSE of a range inside one huge page is EINVAL (6.1's madvise_collapse)...
  CHECK(b.call(kProcessMadvise, fd, vec, 1, kernel::abi::kMADV_COLLAPSE, 0) == E(Errno::kEINVAL));
  // ...and collapses written small pages remotely into a huge page.
  const u64 huge = 0x4000'0000;
  REQUIRE(b.call(kMmap, huge, 2 << 20, rw, flags | kernel::abi::kMAP_FIXED, ~u64{0}, 0) ==
          static_cast<kernel::i64>(huge));
  for (u64 off = 0; off < (2 << 20); off += 64 * 4096)
    REQUIRE(kernel::mm::write_user(b.as(), huge + off, kernel::u8{7}).ok());
  const kernel::abi::Iovec whole{huge, 2 << 20};
  REQUIRE(kernel::mm::copy_to_user(b.as(), static_cast<u64>(vec), &whole, sizeof whole).ok());
  CHECK(b.call(kProcessMadvise, fd, vec, 1, kernel::abi::kMADV_COLLAPSE, 0) == (2 << 20));
  CHECK(b.as().page_table().lookup(huge).level == 2);
  CHECK(kernel::mm::read_user<kernel::u8>(b.as(), huge + 64 * 4096).value() == 7);
  CHECK(b.call(11 /* munmap */, huge, 2 << 20) == 0);

  // Oneself is alive and not dying.
  CHECK(b.call(kProcessMrelease, fd, 1) == E(Errno::kEINVAL));
  CHECK(b.call(kProcessMrelease, fd, 0) == E(Errno::kEINVAL));
  CHECK(b.call(kPidfdSendSignal, fd, 0, 0, 0) == 0);
  CHECK(b.call(kPidfdSendSignal, fd, 0, 0, 1) == E(Errno::kEINVAL));
  CHECK(b.call(kPidfdSendSignal, 99, 0, 0, 0) == E(Errno::kEBADF));
  const kernel::i64 copy = b.call(kPidfdGetfd, fd, fd, 0);
  REQUIRE(copy >= 0);
  CHECK(copy != fd);
  CHECK(b.call(kPidfdGetfd, fd, fd, 1) == E(Errno::kEINVAL));
  CHECK(b.call(kPidfdGetfd, fd, 500, 0) == E(Errno::kEBADF));
}

TEST_CASE("a pidfd polls readable once its process has ended, and shows its pid", "[pidfd]") {
  auto process = std::make_shared<kernel::Process>(42, nullptr);
  auto file = kernel::proc::make_pidfd(process, kernel::abi::kO_NONBLOCK);
  CHECK(file->status_flags == (kernel::abi::kO_RDWR | kernel::abi::kO_NONBLOCK));
  CHECK(file->poll_ready() == 0);
  CHECK(file->poll_queue() == &process->exit_wait());
  CHECK(file->fdinfo() == "Pid:\t42\nNSpid:\t42\n");
  process->state() = kernel::ProcessState::Zombie;
  CHECK(file->poll_ready() == (kernel::abi::kPOLLIN | kernel::abi::kPOLLRDNORM));
  CHECK(file->fdinfo() == "Pid:\t42\nNSpid:\t42\n");
  process->state() = kernel::ProcessState::Reaped;
  CHECK(file->poll_ready() == (kernel::abi::kPOLLIN | kernel::abi::kPOLLRDNORM));
  CHECK(file->fdinfo() == "Pid:\t-1\nNSpid:\t-1\n");
  CHECK(kernel::proc::as_pidfd(*file) != nullptr);
}
