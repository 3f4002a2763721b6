// Credential rules against Linux 6.1's answers: every set*id transition with its exact
// resulting ids and errno, the capability fix-ups that follow uid changes, capset's subset
// rules, the capability prctls, and the signal, ptrace and file permission checks.
#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "kernel/proc/credentials.h"

namespace {

using kernel::Credentials;
using kernel::kNoId;
using kernel::abi::Errno;
namespace cap = kernel::cap;
using kernel::u32;
using kernel::u64;

struct Ids {
  u32 r, e, s, fs;
  bool operator==(const Ids&) const = default;
};

Ids uids(const Credentials& c) {
  return {c.uid, c.euid, c.suid, c.fsuid};
}
Ids gids(const Credentials& c) {
  return {c.gid, c.egid, c.sgid, c.fsgid};
}

// An unprivileged process with real, effective and saved uids r, e, s (and gids the same).
Credentials user(u32 r, u32 e, u32 s) {
  Credentials c = Credentials::initial(r, r);
  c.euid = c.fsuid = e;
  c.suid = s;
  c.egid = c.fsgid = e;
  c.sgid = s;
  return c;
}

Errno errno_of(const kernel::Result<void>& r) {
  return r.error();
}

struct UidCase {
  const char* what;
  u32 a, b, c;
  Errno expect;
  Ids after;
};

}  // namespace

TEST_CASE("the first process is root with every capability, or a user with none", "[cred]") {
  const Credentials root = Credentials::initial(0, 0);
  CHECK(uids(root) == Ids{0, 0, 0, 0});
  CHECK(root.cap_permitted == 0x1ffffffffffull);
  CHECK(root.cap_effective == 0x1ffffffffffull);
  CHECK(root.cap_bounding == 0x1ffffffffffull);
  CHECK(root.cap_inheritable == 0);
  CHECK(root.cap_ambient == 0);
  const Credentials u = Credentials::initial(1000, 100);
  CHECK(uids(u) == Ids{1000, 1000, 1000, 1000});
  CHECK(gids(u) == Ids{100, 100, 100, 100});
  CHECK(u.cap_permitted == 0);
  CHECK(u.cap_effective == 0);
  CHECK(u.cap_bounding == 0x1ffffffffffull);
}

TEST_CASE("setuid: root sets all four ids, a user only the effective ones", "[cred]") {
  Credentials root = Credentials::initial(0, 0);
  REQUIRE(kernel::set_uid(root, 1000).ok());
  CHECK(uids(root) == Ids{1000, 1000, 1000, 1000});
  CHECK(root.cap_permitted == 0);
  CHECK(root.cap_effective == 0);
  CHECK(root.cap_bounding == cap::kFullSet);
  CHECK(errno_of(kernel::set_uid(root, 0)) == Errno::kEPERM);
  CHECK(uids(root) == Ids{1000, 1000, 1000, 1000});

  const UidCase cases[] = {
      {"to the real uid", 1000, 0, 0, Errno::None, {1000, 1000, 1002, 1000}},
      {"to the saved uid", 1002, 0, 0, Errno::None, {1000, 1002, 1002, 1002}},
      {"to the effective uid only", 1001, 0, 0, Errno::kEPERM, {1000, 1001, 1002, 1001}},
      {"to a stranger", 7, 0, 0, Errno::kEPERM, {1000, 1001, 1002, 1001}},
      {"to (uid_t)-1", kNoId, 0, 0, Errno::kEINVAL, {1000, 1001, 1002, 1001}},
  };
  for (const UidCase& t : cases) {
    INFO(t.what);
    Credentials c = user(1000, 1001, 1002);
    CHECK(errno_of(kernel::set_uid(c, t.a)) == t.expect);
    CHECK(uids(c) == t.after);
  }
}

TEST_CASE("setreuid: the real uid from real or effective, the saved uid follows", "[cred]") {
  const UidCase cases[] = {
      {"effective to saved", kNoId, 1002, 0, Errno::None, {1000, 1002, 1002, 1002}},
      {"real to effective", 1001, kNoId, 0, Errno::None, {1001, 1001, 1001, 1001}},
      {"real to saved", 1002, kNoId, 0, Errno::kEPERM, {1000, 1001, 1002, 1001}},
      {"effective back to real keeps saved", kNoId, 1000, 0, Errno::None, {1000, 1000, 1002, 1000}},
      {"swap real and effective", 1001, 1000, 0, Errno::None, {1001, 1000, 1000, 1000}},
      {"effective to a stranger", kNoId, 9, 0, Errno::kEPERM, {1000, 1001, 1002, 1001}},
      {"both -1", kNoId, kNoId, 0, Errno::None, {1000, 1001, 1002, 1001}},
  };
  for (const UidCase& t : cases) {
    INFO(t.what);
    Credentials c = user(1000, 1001, 1002);
    CHECK(errno_of(kernel::set_reuid(c, t.a, t.b)) == t.expect);
    CHECK(uids(c) == t.after);
  }
}

TEST_CASE("setresuid: any of the three current ids, or anything with CAP_SETUID", "[cred]") {
  const UidCase cases[] = {
      {"no change", kNoId, kNoId, kNoId, Errno::None, {1000, 1001, 1002, 1001}},
      {"a permutation", 1002, 1000, 1001, Errno::None, {1002, 1000, 1001, 1000}},
      {"a stranger as saved", kNoId, kNoId, 5, Errno::kEPERM, {1000, 1001, 1002, 1001}},
      {"a stranger as real", 5, 1000, 1000, Errno::kEPERM, {1000, 1001, 1002, 1001}},
      {"all to the saved uid", 1002, 1002, 1002, Errno::None, {1002, 1002, 1002, 1002}},
  };
  for (const UidCase& t : cases) {
    INFO(t.what);
    Credentials c = user(1000, 1001, 1002);
    CHECK(errno_of(kernel::set_resuid(c, t.a, t.b, t.c)) == t.expect);
    CHECK(uids(c) == t.after);
  }
}

TEST_CASE("uid changes carry the capability fix-ups of cap_task_fix_setuid", "[cred]") {
  SECTION("euid 0 -> 1000 with root still real: effective cleared, permitted kept") {
    Credentials c = Credentials::initial(0, 0);
    REQUIRE(kernel::set_resuid(c, kNoId, 1000, kNoId).ok());
    CHECK(uids(c) == Ids{0, 1000, 0, 1000});
    CHECK(c.cap_permitted == cap::kFullSet);
    CHECK(c.cap_effective == 0);
    // ... and back: effective becomes the permitted set again.
    REQUIRE(kernel::set_resuid(c, kNoId, 0, kNoId).ok());
    CHECK(c.cap_effective == cap::kFullSet);
  }
  SECTION("leaving root entirely clears permitted, effective and ambient") {
    Credentials c = Credentials::initial(0, 0);
    c.cap_inheritable = cap::mask(cap::kKill);
    c.cap_ambient = cap::mask(cap::kKill);
    REQUIRE(kernel::set_resuid(c, 1000, 1000, 1000).ok());
    CHECK(c.cap_permitted == 0);
    CHECK(c.cap_effective == 0);
    CHECK(c.cap_ambient == 0);
    CHECK(c.cap_inheritable == cap::mask(cap::kKill));
  }
  SECTION("KEEP_CAPS keeps the permitted set; effective still drops with euid") {
    Credentials c = Credentials::initial(0, 0);
    REQUIRE(kernel::capability_prctl(c, 8 /*PR_SET_KEEPCAPS*/, 1, 0, 0, 0).ok());
    REQUIRE(kernel::set_resuid(c, 1000, 1000, 1000).ok());
    CHECK(c.cap_permitted == cap::kFullSet);
    CHECK(c.cap_effective == 0);
  }
  SECTION("SECURE_NO_SETUID_FIXUP leaves the sets alone") {
    Credentials c = Credentials::initial(0, 0);
    c.securebits = kernel::securebits::kNoSetuidFixup;
    REQUIRE(kernel::set_uid(c, 1000).ok());
    CHECK(c.cap_permitted == cap::kFullSet);
    CHECK(c.cap_effective == cap::kFullSet);
  }
  SECTION("fsuid 0 -> nonzero drops exactly the filesystem capabilities, and back") {
    Credentials c = Credentials::initial(0, 0);
    CHECK(kernel::set_fsuid(c, 1000) == 0);
    CHECK(c.fsuid == 1000);
    CHECK(c.cap_effective == (cap::kFullSet & ~cap::kFsSet));
    CHECK(c.cap_effective == 0x1fef7fffde0ull);
    CHECK(c.cap_permitted == cap::kFullSet);
    CHECK(kernel::set_fsuid(c, 0) == 1000);
    CHECK(c.cap_effective == cap::kFullSet);
  }
}

TEST_CASE("setfsuid and setfsgid answer the old id whether or not they change it", "[cred]") {
  Credentials c = user(1000, 1001, 1002);
  CHECK(kernel::set_fsuid(c, 1002) == 1001);
  CHECK(c.fsuid == 1002);
  CHECK(kernel::set_fsuid(c, 5) == 1002);  // not one of the ids: unchanged
  CHECK(c.fsuid == 1002);
  CHECK(kernel::set_fsuid(c, kNoId) == 1002);
  CHECK(kernel::set_fsgid(c, 1000) == 1001);
  CHECK(c.fsgid == 1000);
  CHECK(kernel::set_fsgid(c, 77) == 1000);
  CHECK(c.fsgid == 1000);
}

TEST_CASE("setgid, setregid and setresgid follow the uid rules with CAP_SETGID", "[cred]") {
  Credentials c = user(100, 101, 102);
  CHECK(errno_of(kernel::set_gid(c, 101)) == Errno::kEPERM);  // effective only: no
  REQUIRE(kernel::set_gid(c, 102).ok());
  CHECK(gids(c) == Ids{100, 102, 102, 102});
  CHECK(errno_of(kernel::set_gid(c, kNoId)) == Errno::kEINVAL);

  Credentials r = user(100, 101, 102);
  REQUIRE(kernel::set_regid(r, kNoId, 102).ok());
  CHECK(gids(r) == Ids{100, 102, 102, 102});
  CHECK(errno_of(kernel::set_regid(r, 7, kNoId)) == Errno::kEPERM);

  Credentials s = user(100, 101, 102);
  REQUIRE(kernel::set_resgid(s, 102, 100, 101).ok());
  CHECK(gids(s) == Ids{102, 100, 101, 100});
  CHECK(errno_of(kernel::set_resgid(s, kNoId, 55, kNoId)) == Errno::kEPERM);
  CHECK(gids(s) == Ids{102, 100, 101, 100});

  Credentials root = Credentials::initial(0, 0);
  REQUIRE(kernel::set_gid(root, 500).ok());
  CHECK(gids(root) == Ids{500, 500, 500, 500});
  CHECK(root.cap_effective == cap::kFullSet);  // gid changes never touch capabilities
}

TEST_CASE("setgroups needs CAP_SETGID, bounds the count and sorts", "[cred]") {
  Credentials root = Credentials::initial(0, 0);
  REQUIRE(kernel::set_groups(root, {30, 10, 20, 10}).ok());
  const auto list = root.group_list();
  CHECK(std::vector<u32>(list.begin(), list.end()) == std::vector<u32>{10, 10, 20, 30});
  CHECK(kernel::in_group(root, 20));
  CHECK(kernel::in_group(root, 0));  // the fsgid
  CHECK_FALSE(kernel::in_group(root, 25));
  CHECK(errno_of(kernel::set_groups(root, {1, kNoId})) == Errno::kEINVAL);
  CHECK(errno_of(kernel::set_groups(root, std::vector<u32>(kernel::kNgroupsMax + 1, 1))) ==
        Errno::kEINVAL);
  REQUIRE(kernel::set_groups(root, std::vector<u32>(kernel::kNgroupsMax, 1)).ok());
  REQUIRE(kernel::set_groups(root, {}).ok());
  CHECK(root.group_list().empty());
  Credentials u = Credentials::initial(1000, 1000);
  CHECK(errno_of(kernel::set_groups(u, {1000})) == Errno::kEPERM);
}

TEST_CASE("capset: permitted only shrinks, effective within permitted, inheritable bounded",
          "[cred]") {
  const u64 kill = cap::mask(cap::kKill), chown = cap::mask(cap::kChown),
            setpcap = cap::mask(cap::kSetpcap);
  SECTION("root drops to a subset and cannot raise it again") {
    Credentials c = Credentials::initial(0, 0);
    REQUIRE(kernel::set_capabilities(c, kill, kill | chown, 0).ok());
    CHECK(c.cap_effective == kill);
    CHECK(c.cap_permitted == (kill | chown));
    CHECK(errno_of(kernel::set_capabilities(c, kill, kill | chown | setpcap, 0)) == Errno::kEPERM);
    CHECK(errno_of(kernel::set_capabilities(c, kill | setpcap, kill, 0)) == Errno::kEPERM);
    CHECK(c.cap_permitted == (kill | chown));
  }
  SECTION("without CAP_SETPCAP inheritable stays within inheritable | permitted") {
    Credentials c = Credentials::initial(0, 0);
    REQUIRE(kernel::set_capabilities(c, kill, kill, 0).ok());
    CHECK(errno_of(kernel::set_capabilities(c, kill, kill, chown)) == Errno::kEPERM);
    REQUIRE(kernel::set_capabilities(c, kill, kill, kill).ok());
    CHECK(c.cap_inheritable == kill);
  }
  SECTION("with CAP_SETPCAP inheritable may go beyond permitted, never beyond bounding") {
    Credentials c = Credentials::initial(0, 0);
    REQUIRE(kernel::set_capabilities(c, setpcap, setpcap, 0).ok());
    REQUIRE(kernel::set_capabilities(c, setpcap, setpcap, chown).ok());
    CHECK(c.cap_inheritable == chown);
    c.cap_bounding &= ~kill;
    CHECK(errno_of(kernel::set_capabilities(c, setpcap, setpcap, chown | kill)) == Errno::kEPERM);
  }
  SECTION("ambient keeps only what stays permitted and inheritable; bits above 40 ignored") {
    Credentials c = Credentials::initial(0, 0);
    c.cap_inheritable = kill | chown;
    c.cap_ambient = kill | chown;
    REQUIRE(kernel::set_capabilities(c, kill, kill | (u64{1} << 50), kill | chown).ok());
    CHECK(c.cap_permitted == kill);
    CHECK(c.cap_ambient == kill);
  }
}

TEST_CASE("the capability prctls", "[cred]") {
  constexpr int kRead = 23, kDrop = 24, kGetKeep = 7, kSetKeep = 8, kAmbient = 47, kGetSecure = 27,
                kSetSecure = 28;
  Credentials c = Credentials::initial(0, 0);
  CHECK(kernel::capability_prctl(c, kRead, cap::kSysAdmin, 0, 0, 0).value() == 1);
  CHECK(kernel::capability_prctl(c, kRead, 40, 0, 0, 0).value() == 1);
  CHECK(kernel::capability_prctl(c, kRead, 41, 0, 0, 0).error() == Errno::kEINVAL);
  CHECK(kernel::capability_prctl(c, kDrop, 41, 0, 0, 0).error() == Errno::kEINVAL);
  REQUIRE(kernel::capability_prctl(c, kDrop, cap::kSysAdmin, 0, 0, 0).ok());
  CHECK(kernel::capability_prctl(c, kRead, cap::kSysAdmin, 0, 0, 0).value() == 0);
  CHECK(c.cap_bounding == (cap::kFullSet & ~cap::mask(cap::kSysAdmin)));

  CHECK(kernel::capability_prctl(c, kGetKeep, 0, 0, 0, 0).value() == 0);
  CHECK(kernel::capability_prctl(c, kSetKeep, 2, 0, 0, 0).error() == Errno::kEINVAL);
  REQUIRE(kernel::capability_prctl(c, kSetKeep, 1, 0, 0, 0).ok());
  CHECK(kernel::capability_prctl(c, kGetKeep, 0, 0, 0, 0).value() == 1);
  CHECK(kernel::capability_prctl(c, kGetSecure, 0, 0, 0, 0).value() == 0x10);
  // Locking KEEP_CAPS makes it fixed; a lock is never undone.
  REQUIRE(kernel::capability_prctl(c, kSetSecure, 0x30, 0, 0, 0).ok());
  CHECK(kernel::capability_prctl(c, kSetKeep, 0, 0, 0, 0).error() == Errno::kEPERM);
  CHECK(kernel::capability_prctl(c, kSetSecure, 0x10, 0, 0, 0).error() == Errno::kEPERM);
  CHECK(kernel::capability_prctl(c, kSetSecure, 0x330, 0, 0, 0).error() == Errno::kEPERM);

  // Ambient: raise needs the capability permitted and inheritable.
  CHECK(kernel::capability_prctl(c, kAmbient, 2, cap::kKill, 0, 0).error() == Errno::kEPERM);
  c.cap_inheritable = cap::mask(cap::kKill);
  REQUIRE(kernel::capability_prctl(c, kAmbient, 2, cap::kKill, 0, 0).ok());
  CHECK(kernel::capability_prctl(c, kAmbient, 1, cap::kKill, 0, 0).value() == 1);
  CHECK(kernel::capability_prctl(c, kAmbient, 1, cap::kChown, 0, 0).value() == 0);
  CHECK(kernel::capability_prctl(c, kAmbient, 1, 41, 0, 0).error() == Errno::kEINVAL);
  CHECK(kernel::capability_prctl(c, kAmbient, 9, cap::kKill, 0, 0).error() == Errno::kEINVAL);
  CHECK(kernel::capability_prctl(c, kAmbient, 4, 1, 0, 0).error() == Errno::kEINVAL);
  REQUIRE(kernel::capability_prctl(c, kAmbient, 3, cap::kKill, 0, 0).ok());
  CHECK(c.cap_ambient == 0);
  REQUIRE(kernel::capability_prctl(c, kAmbient, 2, cap::kKill, 0, 0).ok());
  REQUIRE(kernel::capability_prctl(c, kAmbient, 4, 0, 0, 0).ok());
  CHECK(c.cap_ambient == 0);

  Credentials u = Credentials::initial(1000, 1000);
  CHECK(kernel::capability_prctl(u, kDrop, cap::kKill, 0, 0, 0).error() == Errno::kEPERM);
  CHECK(kernel::capability_prctl(u, kRead, cap::kKill, 0, 0, 0).value() == 1);
  CHECK_FALSE(kernel::is_capability_prctl(15));  // PR_SET_NAME is not one of these
}

TEST_CASE("may_signal: a real or effective uid meets the target's real or saved uid", "[cred]") {
  const Credentials target = user(2000, 2001, 2002);
  CHECK(kernel::may_signal(user(2000, 5, 5), target));            // uid == uid
  CHECK(kernel::may_signal(user(5, 2002, 5), target));            // euid == suid
  CHECK(kernel::may_signal(user(2002, 5, 5), target));            // uid == suid
  CHECK(kernel::may_signal(user(5, 2000, 5), target));            // euid == uid
  CHECK_FALSE(kernel::may_signal(user(5, 2001, 2001), target));   // the target's euid counts not
  CHECK_FALSE(kernel::may_signal(user(5, 6, 2000), target));      // nor the sender's suid
  CHECK(kernel::may_signal(Credentials::initial(0, 0), target));  // CAP_KILL
  Credentials no_kill = Credentials::initial(0, 0);
  no_kill.cap_effective &= ~cap::mask(cap::kKill);
  CHECK(kernel::may_signal(no_kill, Credentials::initial(0, 0)));  // same uid still
  CHECK_FALSE(kernel::may_signal(no_kill, target));
}

TEST_CASE("ptrace_may_access: all six ids match, or CAP_SYS_PTRACE", "[cred]") {
  using kernel::ptrace_may_access;
  const u32 read_real = kernel::kPtraceModeReadRealcreds,
            attach_fs = kernel::kPtraceModeAttachFscreds;
  const Credentials me = Credentials::initial(1000, 1000);
  CHECK(ptrace_may_access(me, Credentials::initial(1000, 1000), read_real));
  CHECK(ptrace_may_access(me, Credentials::initial(1000, 1000), attach_fs));
  CHECK_FALSE(ptrace_may_access(me, user(1000, 1000, 0), read_real));  // a setuid-root target
  Credentials other_group = Credentials::initial(1000, 1000);
  other_group.sgid = 5;
  CHECK_FALSE(ptrace_may_access(me, other_group, read_real));
  CHECK_FALSE(ptrace_may_access(me, Credentials::initial(2000, 2000), read_real));
  // FSCREDS compares the fs ids, REALCREDS the real ones.
  Credentials fs_differs = Credentials::initial(1000, 1000);
  fs_differs.fsuid = 2000;
  CHECK(ptrace_may_access(fs_differs, Credentials::initial(1000, 1000), read_real));
  CHECK_FALSE(ptrace_may_access(fs_differs, Credentials::initial(1000, 1000),
                                kernel::kPtraceModeReadFscreds));
  // Exactly one of FSCREDS and REALCREDS.
  CHECK_FALSE(ptrace_may_access(me, me, kernel::kPtraceModeRead));
  CHECK_FALSE(ptrace_may_access(
      me, me, kernel::kPtraceModeRead | kernel::kPtraceModeFscreds | kernel::kPtraceModeRealcreds));
  // A target that is not dumpable, or holds capabilities the caller lacks.
  CHECK_FALSE(ptrace_may_access(me, me, read_real, false));
  Credentials capable_target = Credentials::initial(1000, 1000);
  capable_target.cap_permitted = cap::mask(cap::kKill);
  CHECK_FALSE(ptrace_may_access(me, capable_target, read_real));
  // Root passes everything through CAP_SYS_PTRACE.
  const Credentials root = Credentials::initial(0, 0);
  CHECK(ptrace_may_access(root, Credentials::initial(2000, 2000), attach_fs, false));
  Credentials root_no_ptrace = root;
  root_no_ptrace.cap_effective &= ~cap::mask(cap::kSysPtrace);
  CHECK_FALSE(ptrace_may_access(root_no_ptrace, Credentials::initial(2000, 2000), read_real));
}

TEST_CASE("inode_permission: owner, group, other, then the DAC capabilities", "[cred]") {
  using kernel::inode_permission;
  constexpr u32 kReg = 0100000, kDir = 0040000;
  const Credentials u = Credentials::initial(1000, 100);
  CHECK(inode_permission(u, kReg | 0600, 1000, 0, 4).ok());
  CHECK(inode_permission(u, kReg | 0600, 0, 0, 4).error() == Errno::kEACCES);
  CHECK(inode_permission(u, kReg | 0060, 0, 100, 6).ok());  // group via fsgid
  // The owner's bits count for the owner even when "other" would allow more.
  CHECK(inode_permission(u, kReg | 0006, 1000, 0, 4).error() == Errno::kEACCES);
  Credentials member = u;
  REQUIRE(kernel::set_groups(member, {}).error() == Errno::kEPERM);
  member.groups = std::make_shared<const std::vector<u32>>(std::vector<u32>{27});
  CHECK(inode_permission(member, kReg | 0040, 0, 27, 4).ok());
  CHECK(inode_permission(u, kReg | 0040, 0, 27, 4).error() == Errno::kEACCES);
  CHECK(inode_permission(u, kDir | 0700, 0, 0, 1).error() == Errno::kEACCES);

  const Credentials root = Credentials::initial(0, 0);
  CHECK(inode_permission(root, kReg | 0000, 1000, 1000, 6).ok());
  CHECK(inode_permission(root, kReg | 0644, 1000, 1000, 1).error() == Errno::kEACCES);
  CHECK(inode_permission(root, kReg | 0100, 1000, 1000, 1).ok());
  CHECK(inode_permission(root, kDir | 0000, 1000, 1000, 7).ok());
  // CAP_DAC_READ_SEARCH alone: read files, read and search directories, never write.
  Credentials reader = u;
  reader.cap_effective = cap::mask(cap::kDacReadSearch);
  CHECK(inode_permission(reader, kReg | 0000, 0, 0, 4).ok());
  CHECK(inode_permission(reader, kReg | 0000, 0, 0, 2).error() == Errno::kEACCES);
  CHECK(inode_permission(reader, kDir | 0000, 0, 0, 5).ok());
  CHECK(inode_permission(reader, kDir | 0000, 0, 0, 3).error() == Errno::kEACCES);

  CHECK(kernel::may_bypass_sticky(u, 0, 1000));     // owns the entry
  CHECK(kernel::may_bypass_sticky(u, 1000, 0));     // owns the directory
  CHECK_FALSE(kernel::may_bypass_sticky(u, 0, 0));  // neither
  CHECK(kernel::may_bypass_sticky(root, 5, 6));     // CAP_FOWNER
  CHECK(kernel::owner_or_capable(u, 1000));
  CHECK_FALSE(kernel::owner_or_capable(u, 1001));
}

TEST_CASE("access() checks with the real ids; exec recomputes the sets", "[cred]") {
  Credentials c = Credentials::initial(0, 0);
  REQUIRE(kernel::set_resuid(c, 1000, 0, 0).ok());  // real 1000, effective root
  const Credentials a = kernel::access_credentials(c);
  CHECK(a.fsuid == 1000);
  CHECK(a.cap_effective == 0);
  CHECK(c.cap_effective == cap::kFullSet);

  Credentials root = Credentials::initial(0, 0);
  root.cap_bounding = cap::mask(cap::kKill) | cap::mask(cap::kChown);
  root.securebits = kernel::securebits::kKeepCaps;
  kernel::exec_credentials(root);
  CHECK(root.cap_permitted == (cap::mask(cap::kKill) | cap::mask(cap::kChown)));
  CHECK(root.cap_effective == root.cap_permitted);
  CHECK(root.securebits == 0);

  Credentials u = Credentials::initial(1000, 1000);
  u.cap_ambient = u.cap_inheritable = cap::mask(cap::kKill);
  kernel::exec_credentials(u);
  CHECK(u.cap_permitted == cap::mask(cap::kKill));
  CHECK(u.cap_effective == cap::mask(cap::kKill));
}
