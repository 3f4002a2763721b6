// A task's credentials (Linux's struct cred): user and group ids, supplementary groups,
// capability sets and securebits, with the rules of Linux 6.1 for changing them
// (kernel/sys.c, kernel/capability.c, security/commoncap.c) and for checking them
// (capable, kill_ok_by_cred, __ptrace_may_access, generic_permission's helpers).
//
// Every rule here is a pure function of credentials: the syscalls (sys_cred.cpp) copy the
// arguments in and out, the VFS and signal code ask the predicates.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "kernel/base/result.h"
#include "kernel/base/types.h"

namespace kernel {

// Capability numbers (include/uapi/linux/capability.h).
namespace cap {
inline constexpr int kChown = 0, kDacOverride = 1, kDacReadSearch = 2, kFowner = 3, kFsetid = 4,
                     kKill = 5, kSetgid = 6, kSetuid = 7, kSetpcap = 8, kLinuxImmutable = 9,
                     kNetBindService = 10, kNetBroadcast = 11, kNetAdmin = 12, kNetRaw = 13,
                     kIpcLock = 14, kIpcOwner = 15, kSysModule = 16, kSysRawio = 17,
                     kSysChroot = 18, kSysPtrace = 19, kSysPacct = 20, kSysAdmin = 21,
                     kSysBoot = 22, kSysNice = 23, kSysResource = 24, kSysTime = 25,
                     kSysTtyConfig = 26, kMknod = 27, kLease = 28, kAuditWrite = 29,
                     kAuditControl = 30, kSetfcap = 31, kMacOverride = 32, kMacAdmin = 33,
                     kSyslog = 34, kWakeAlarm = 35, kBlockSuspend = 36, kAuditRead = 37,
                     kPerfmon = 38, kBpf = 39, kCheckpointRestore = 40;
// CAP_LAST_CAP in Linux 6.1.
inline constexpr int kLast = kCheckpointRestore;
inline constexpr u64 kFullSet = (u64{1} << (kLast + 1)) - 1;  // CAP_FULL_SET
constexpr bool valid(u64 c) {
  return c <= static_cast<u64>(kLast);
}
constexpr u64 mask(int c) {
  return u64{1} << c;
}
// CAP_FS_SET: what fsuid 0 historically meant; it follows fsuid changes.
inline constexpr u64 kFsSet = mask(kChown) | mask(kMknod) | mask(kDacOverride) |
                              mask(kDacReadSearch) | mask(kFowner) | mask(kFsetid) |
                              mask(kLinuxImmutable) | mask(kMacOverride);
}  // namespace cap

// securebits (include/uapi/linux/securebits.h): each bit and its lock bit above it.
namespace securebits {
inline constexpr u32 kNoroot = 1u << 0, kNorootLocked = 1u << 1;
inline constexpr u32 kNoSetuidFixup = 1u << 2, kNoSetuidFixupLocked = 1u << 3;
inline constexpr u32 kKeepCaps = 1u << 4, kKeepCapsLocked = 1u << 5;
inline constexpr u32 kNoCapAmbientRaise = 1u << 6, kNoCapAmbientRaiseLocked = 1u << 7;
inline constexpr u32 kAllBits = kNoroot | kNoSetuidFixup | kKeepCaps | kNoCapAmbientRaise;
inline constexpr u32 kAllLocks = kAllBits << 1;
}  // namespace securebits

// NGROUPS_MAX: the most supplementary groups setgroups() takes.
inline constexpr u64 kNgroupsMax = 65536;

struct Credentials {
  u32 uid = 0, euid = 0, suid = 0, fsuid = 0;
  u32 gid = 0, egid = 0, sgid = 0, fsgid = 0;
  // Supplementary groups, sorted ascending as Linux's groups_sort() leaves them. Shared
  // between copies (Linux's refcounted group_info): copying credentials never allocates.
  std::shared_ptr<const std::vector<u32>> groups;
  // Capability sets, bit n for capability n. The defaults are a root shell's.
  u64 cap_inheritable = 0;
  u64 cap_permitted = cap::kFullSet;
  u64 cap_effective = cap::kFullSet;
  u64 cap_bounding = cap::kFullSet;
  u64 cap_ambient = 0;
  u32 securebits = 0;

  std::span<const u32> group_list() const {
    return groups ? std::span<const u32>(*groups) : std::span<const u32>();
  }

  // What a process started as `uid`:`gid` holds: root's full sets for uid 0, else no
  // capabilities at all under the full bounding set.
  static Credentials initial(u32 uid, u32 gid);
};

// --- Checks ---

// capable(): is `c` in the effective set?
bool capable(const Credentials& cred, int c);
// in_group_p(): is `gid` the fsgid or a supplementary group?
bool in_group(const Credentials& cred, u32 gid);
// kill_ok_by_cred(): may `sender` signal a process running as `target`? (The caller adds
// Linux's other exceptions: same thread group, SIGCONT within a session.)
bool may_signal(const Credentials& sender, const Credentials& target);

// ptrace access modes (include/linux/ptrace.h): READ or ATTACH, with FSCREDS or REALCREDS.
inline constexpr u32 kPtraceModeRead = 0x01, kPtraceModeAttach = 0x02, kPtraceModeNoaudit = 0x04,
                     kPtraceModeFscreds = 0x08, kPtraceModeRealcreds = 0x10;
inline constexpr u32 kPtraceModeReadFscreds = kPtraceModeRead | kPtraceModeFscreds;
inline constexpr u32 kPtraceModeReadRealcreds = kPtraceModeRead | kPtraceModeRealcreds;
inline constexpr u32 kPtraceModeAttachFscreds = kPtraceModeAttach | kPtraceModeFscreds;
inline constexpr u32 kPtraceModeAttachRealcreds = kPtraceModeAttach | kPtraceModeRealcreds;
// __ptrace_may_access() for a target in another thread group (a task may always inspect its
// own group: the caller checks that first). `target_dumpable` is false when the target's mm
// is not SUID_DUMP_USER (prctl PR_SET_DUMPABLE 0). Exactly one of FSCREDS and REALCREDS must
// be in `mode`, else the answer is no, as Linux's WARN path.
bool ptrace_may_access(const Credentials& caller, const Credentials& target, u32 mode,
                       bool target_dumpable = true);

// generic_permission() on an inode with `mode` (type and permission bits), owner `uid` and
// group `gid`, for `mask` (4 read, 2 write, 1 exec/search). EACCES when refused.
Result<void> inode_permission(const Credentials& cred, u32 mode, u32 uid, u32 gid, int mask);
// inode_owner_or_capable(): the fsuid owns the inode, or CAP_FOWNER.
bool owner_or_capable(const Credentials& cred, u32 inode_uid);
// __check_sticky(): in a sticky directory owned by `dir_uid`, may `cred` remove or rename
// an entry owned by `inode_uid`? (The caller looks at the sticky bit.)
bool may_bypass_sticky(const Credentials& cred, u32 dir_uid, u32 inode_uid);
// access_override_creds(): the credentials access()/faccessat() without AT_EACCESS check
// with: the real ids as fs ids, and the permitted set as effective only for real root.
Credentials access_credentials(const Credentials& cred);

// --- Changes (kernel/sys.c). Each leaves `cred` as it was when it fails. ---

inline constexpr u32 kNoId = ~0u;  // (uid_t)-1: "leave this id"; never a valid id

Result<void> set_uid(Credentials& cred, u32 uid);
Result<void> set_gid(Credentials& cred, u32 gid);
Result<void> set_reuid(Credentials& cred, u32 ruid, u32 euid);
Result<void> set_regid(Credentials& cred, u32 rgid, u32 egid);
Result<void> set_resuid(Credentials& cred, u32 ruid, u32 euid, u32 suid);
Result<void> set_resgid(Credentials& cred, u32 rgid, u32 egid, u32 sgid);
// setfsuid/setfsgid never fail: they answer the old fs id whether or not they changed it.
u32 set_fsuid(Credentials& cred, u32 fsuid);
u32 set_fsgid(Credentials& cred, u32 fsgid);
// setgroups(): CAP_SETGID, at most NGROUPS_MAX, no -1 entries. Sorts them.
Result<void> set_groups(Credentials& cred, std::vector<u32> groups);

// cap_capset(): the new sets, checked against the old ones (EPERM when refused).
Result<void> set_capabilities(Credentials& cred, u64 effective, u64 permitted, u64 inheritable);

// The capability prctls (cap_task_prctl): PR_CAPBSET_READ/DROP, PR_GET/SET_KEEPCAPS,
// PR_GET/SET_SECUREBITS and PR_CAP_AMBIENT. is_capability_prctl says which options these are.
bool is_capability_prctl(int option);
Result<i64> capability_prctl(Credentials& cred, int option, u64 arg2, u64 arg3, u64 arg4, u64 arg5);

// What execve() of a file without file capabilities or set-id bits does to the credentials
// (cap_bprm_creds_from_file): root gets its inheritable and bounding sets as permitted (and
// effective when euid is 0), anyone else keeps only the ambient set; KEEP_CAPS is cleared.
void exec_credentials(Credentials& cred);

}  // namespace kernel
