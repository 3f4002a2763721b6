#include "kernel/proc/credentials.h"

#include <algorithm>

#include "kernel/abi/errno.h"

namespace kernel {

using abi::Errno;

namespace {

constexpr u32 kRootId = 0;

bool secure(const Credentials& cred, u32 bit) {
  return cred.securebits & bit;
}

bool is_valid_id(u32 id) {
  return id != kNoId;
}

// cap_emulate_setxuid(): capabilities follow a change of the real, effective or saved uid.
void emulate_setxuid(Credentials& next, const Credentials& old) {
  const bool had_root = old.uid == kRootId || old.euid == kRootId || old.suid == kRootId;
  const bool has_root = next.uid == kRootId || next.euid == kRootId || next.suid == kRootId;
  if (had_root && !has_root) {
    if (!secure(old, securebits::kKeepCaps)) {
      next.cap_permitted = 0;
      next.cap_effective = 0;
    }
    // Programs that predate ambient capabilities expect a drop to non-root to drop them.
    next.cap_ambient = 0;
  }
  if (old.euid == kRootId && next.euid != kRootId) next.cap_effective = 0;
  if (old.euid != kRootId && next.euid == kRootId) next.cap_effective = next.cap_permitted;
}

// cap_task_fix_setuid() for LSM_SETID_RE / ID / RES.
void fix_setuid(Credentials& next, const Credentials& old) {
  if (!secure(old, securebits::kNoSetuidFixup)) emulate_setxuid(next, old);
}

// cap_task_fix_setuid() for LSM_SETID_FS: the filesystem capabilities follow fsuid 0.
void fix_setfsuid(Credentials& next, const Credentials& old) {
  if (secure(old, securebits::kNoSetuidFixup)) return;
  if (old.fsuid == kRootId && next.fsuid != kRootId) next.cap_effective &= ~cap::kFsSet;
  if (old.fsuid != kRootId && next.fsuid == kRootId)
    next.cap_effective |= next.cap_permitted & cap::kFsSet;
}

bool is_subset(u64 a, u64 b) {
  return (a & ~b) == 0;
}

bool one_of(u32 id, u32 a, u32 b, u32 c) {
  return id == a || id == b || id == c;
}

}  // namespace

Credentials Credentials::initial(u32 uid, u32 gid) {
  Credentials cred;
  cred.uid = cred.euid = cred.suid = cred.fsuid = uid;
  cred.gid = cred.egid = cred.sgid = cred.fsgid = gid;
  if (uid != kRootId) cred.cap_permitted = cred.cap_effective = 0;
  return cred;
}

bool capable(const Credentials& cred, int c) {
  return cap::valid(static_cast<u64>(c)) && (cred.cap_effective & cap::mask(c));
}

bool in_group(const Credentials& cred, u32 gid) {
  if (gid == cred.fsgid) return true;
  const auto groups = cred.group_list();
  return std::binary_search(groups.begin(), groups.end(), gid);
}

bool may_signal(const Credentials& sender, const Credentials& target) {
  return sender.euid == target.suid || sender.euid == target.uid || sender.uid == target.suid ||
         sender.uid == target.uid || capable(sender, cap::kKill);
}

bool ptrace_may_access(const Credentials& caller, const Credentials& target, u32 mode,
                       bool target_dumpable) {
  const bool fscreds = mode & kPtraceModeFscreds;
  if (fscreds == static_cast<bool>(mode & kPtraceModeRealcreds)) return false;
  const u32 caller_uid = fscreds ? caller.fsuid : caller.uid;
  const u32 caller_gid = fscreds ? caller.fsgid : caller.gid;
  const bool has_ptrace_cap = capable(caller, cap::kSysPtrace);
  const bool same_ids = caller_uid == target.euid && caller_uid == target.suid &&
                        caller_uid == target.uid && caller_gid == target.egid &&
                        caller_gid == target.sgid && caller_gid == target.gid;
  if (!same_ids && !has_ptrace_cap) return false;
  if (!target_dumpable && !has_ptrace_cap) return false;
  // cap_ptrace_access_check(): the caller must hold every capability the target may use.
  const u64 caller_caps = fscreds ? caller.cap_effective : caller.cap_permitted;
  return is_subset(target.cap_permitted, caller_caps) || has_ptrace_cap;
}

Result<void> inode_permission(const Credentials& cred, u32 mode, u32 uid, u32 gid, int mask) {
  constexpr u32 kIfmt = 0170000, kIfdir = 0040000;
  constexpr int kMayExec = 1, kMayWrite = 2, kMayRead = 4;
  const int want = mask & 7;
  // acl_permission_check()
  u32 granted = mode;
  if (cred.fsuid == uid) {
    granted >>= 6;
  } else if ((want & (mode ^ (mode >> 3))) && in_group(cred, gid)) {
    granted >>= 3;
  }
  if (!(want & ~granted & 7)) return {};
  // generic_permission(): the capabilities that override the mode bits.
  if ((mode & kIfmt) == kIfdir) {
    if (!(want & kMayWrite) && capable(cred, cap::kDacReadSearch)) return {};
    if (capable(cred, cap::kDacOverride)) return {};
    return Errno::kEACCES;
  }
  if (want == kMayRead && capable(cred, cap::kDacReadSearch)) return {};
  // Execute is overridable only when someone may execute.
  if (!(want & kMayExec) || (mode & 0111))
    if (capable(cred, cap::kDacOverride)) return {};
  return Errno::kEACCES;
}

bool owner_or_capable(const Credentials& cred, u32 inode_uid) {
  return cred.fsuid == inode_uid || capable(cred, cap::kFowner);
}

bool may_bypass_sticky(const Credentials& cred, u32 dir_uid, u32 inode_uid) {
  return inode_uid == cred.fsuid || dir_uid == cred.fsuid || capable(cred, cap::kFowner);
}

Credentials access_credentials(const Credentials& cred) {
  Credentials out = cred;
  out.fsuid = cred.uid;
  out.fsgid = cred.gid;
  if (!secure(cred, securebits::kNoSetuidFixup))
    out.cap_effective = cred.uid == kRootId ? cred.cap_permitted : 0;
  return out;
}

Result<void> set_uid(Credentials& cred, u32 uid) {
  if (!is_valid_id(uid)) return Errno::kEINVAL;
  Credentials next = cred;
  if (capable(cred, cap::kSetuid)) {
    next.uid = next.suid = uid;
  } else if (uid != cred.uid && uid != cred.suid) {
    return Errno::kEPERM;
  }
  next.euid = next.fsuid = uid;
  fix_setuid(next, cred);
  cred = std::move(next);
  return {};
}

Result<void> set_gid(Credentials& cred, u32 gid) {
  if (!is_valid_id(gid)) return Errno::kEINVAL;
  if (capable(cred, cap::kSetgid)) {
    cred.gid = cred.egid = cred.sgid = cred.fsgid = gid;
  } else if (gid == cred.gid || gid == cred.sgid) {
    cred.egid = cred.fsgid = gid;
  } else {
    return Errno::kEPERM;
  }
  return {};
}

Result<void> set_reuid(Credentials& cred, u32 ruid, u32 euid) {
  const bool privileged = capable(cred, cap::kSetuid);
  Credentials next = cred;
  if (ruid != kNoId) {
    if (ruid != cred.uid && ruid != cred.euid && !privileged) return Errno::kEPERM;
    next.uid = ruid;
  }
  if (euid != kNoId) {
    if (!one_of(euid, cred.uid, cred.euid, cred.suid) && !privileged) return Errno::kEPERM;
    next.euid = euid;
  }
  if (ruid != kNoId || (euid != kNoId && euid != cred.uid)) next.suid = next.euid;
  next.fsuid = next.euid;
  fix_setuid(next, cred);
  cred = std::move(next);
  return {};
}

Result<void> set_regid(Credentials& cred, u32 rgid, u32 egid) {
  const bool privileged = capable(cred, cap::kSetgid);
  Credentials next = cred;
  if (rgid != kNoId) {
    if (rgid != cred.gid && rgid != cred.egid && !privileged) return Errno::kEPERM;
    next.gid = rgid;
  }
  if (egid != kNoId) {
    if (!one_of(egid, cred.gid, cred.egid, cred.sgid) && !privileged) return Errno::kEPERM;
    next.egid = egid;
  }
  if (rgid != kNoId || (egid != kNoId && egid != cred.gid)) next.sgid = next.egid;
  next.fsgid = next.egid;
  cred = std::move(next);
  return {};
}

Result<void> set_resuid(Credentials& cred, u32 ruid, u32 euid, u32 suid) {
  // (uid_t)-1 means "unchanged"; there is no other invalid id without user namespaces.
  if ((ruid == kNoId || ruid == cred.uid) && (euid == kNoId || euid == cred.euid) &&
      (suid == kNoId || suid == cred.suid))
    return {};
  auto is_new = [&](u32 id) { return id != kNoId && !one_of(id, cred.uid, cred.euid, cred.suid); };
  if ((is_new(ruid) || is_new(euid) || is_new(suid)) && !capable(cred, cap::kSetuid))
    return Errno::kEPERM;
  Credentials next = cred;
  if (ruid != kNoId) next.uid = ruid;
  if (euid != kNoId) next.euid = euid;
  if (suid != kNoId) next.suid = suid;
  next.fsuid = next.euid;
  fix_setuid(next, cred);
  cred = std::move(next);
  return {};
}

Result<void> set_resgid(Credentials& cred, u32 rgid, u32 egid, u32 sgid) {
  if ((rgid == kNoId || rgid == cred.gid) && (egid == kNoId || egid == cred.egid) &&
      (sgid == kNoId || sgid == cred.sgid))
    return {};
  auto is_new = [&](u32 id) { return id != kNoId && !one_of(id, cred.gid, cred.egid, cred.sgid); };
  if ((is_new(rgid) || is_new(egid) || is_new(sgid)) && !capable(cred, cap::kSetgid))
    return Errno::kEPERM;
  if (rgid != kNoId) cred.gid = rgid;
  if (egid != kNoId) cred.egid = egid;
  if (sgid != kNoId) cred.sgid = sgid;
  cred.fsgid = cred.egid;
  return {};
}

u32 set_fsuid(Credentials& cred, u32 fsuid) {
  const u32 old_fsuid = cred.fsuid;
  if (!is_valid_id(fsuid)) return old_fsuid;
  const bool allowed = fsuid == cred.uid || fsuid == cred.euid || fsuid == cred.suid ||
                       fsuid == cred.fsuid || capable(cred, cap::kSetuid);
  if (allowed && fsuid != cred.fsuid) {
    Credentials next = cred;
    next.fsuid = fsuid;
    fix_setfsuid(next, cred);
    cred = std::move(next);
  }
  return old_fsuid;
}

u32 set_fsgid(Credentials& cred, u32 fsgid) {
  const u32 old_fsgid = cred.fsgid;
  if (!is_valid_id(fsgid)) return old_fsgid;
  const bool allowed = fsgid == cred.gid || fsgid == cred.egid || fsgid == cred.sgid ||
                       fsgid == cred.fsgid || capable(cred, cap::kSetgid);
  if (allowed) cred.fsgid = fsgid;
  return old_fsgid;
}

Result<void> set_groups(Credentials& cred, std::vector<u32> groups) {
  if (!capable(cred, cap::kSetgid)) return Errno::kEPERM;
  if (groups.size() > kNgroupsMax) return Errno::kEINVAL;
  if (std::find(groups.begin(), groups.end(), kNoId) != groups.end()) return Errno::kEINVAL;
  std::sort(groups.begin(), groups.end());
  if (groups.empty())
    cred.groups.reset();
  else
    cred.groups = std::make_shared<const std::vector<u32>>(std::move(groups));
  return {};
}

Result<void> set_capabilities(Credentials& cred, u64 effective, u64 permitted, u64 inheritable) {
  effective &= cap::kFullSet;
  permitted &= cap::kFullSet;
  inheritable &= cap::kFullSet;
  // Without CAP_SETPCAP no new inheritable capability beyond the permitted set.
  if (!capable(cred, cap::kSetpcap) &&
      !is_subset(inheritable, cred.cap_inheritable | cred.cap_permitted))
    return Errno::kEPERM;
  // Never one outside the bounding set.
  if (!is_subset(inheritable, cred.cap_inheritable | cred.cap_bounding)) return Errno::kEPERM;
  if (!is_subset(permitted, cred.cap_permitted)) return Errno::kEPERM;
  if (!is_subset(effective, permitted)) return Errno::kEPERM;
  cred.cap_effective = effective;
  cred.cap_permitted = permitted;
  cred.cap_inheritable = inheritable;
  // Ambient capabilities must stay both permitted and inheritable.
  cred.cap_ambient &= permitted & inheritable;
  return {};
}

namespace {
constexpr int kPrCapbsetRead = 23, kPrCapbsetDrop = 24, kPrGetKeepcaps = 7, kPrSetKeepcaps = 8,
              kPrGetSecurebits = 27, kPrSetSecurebits = 28, kPrCapAmbient = 47;
constexpr u64 kAmbientIsSet = 1, kAmbientRaise = 2, kAmbientLower = 3, kAmbientClearAll = 4;
}  // namespace

bool is_capability_prctl(int option) {
  switch (option) {
    case kPrCapbsetRead:
    case kPrCapbsetDrop:
    case kPrGetKeepcaps:
    case kPrSetKeepcaps:
    case kPrGetSecurebits:
    case kPrSetSecurebits:
    case kPrCapAmbient:
      return true;
    default:
      return false;
  }
}

Result<i64> capability_prctl(Credentials& cred, int option, u64 arg2, u64 arg3, u64 arg4,
                             u64 arg5) {
  switch (option) {
    case kPrCapbsetRead:
      if (!cap::valid(arg2)) return Errno::kEINVAL;
      return (cred.cap_bounding >> arg2) & 1;
    case kPrCapbsetDrop:
      if (!capable(cred, cap::kSetpcap)) return Errno::kEPERM;
      if (!cap::valid(arg2)) return Errno::kEINVAL;
      cred.cap_bounding &= ~cap::mask(static_cast<int>(arg2));
      return 0;
    case kPrSetSecurebits: {
      const u64 old = cred.securebits;
      const u64 locks = old & securebits::kAllLocks;
      if (((locks >> 1) & (old ^ arg2)) || (locks & ~arg2) ||
          (arg2 & ~u64{securebits::kAllLocks | securebits::kAllBits}) ||
          !capable(cred, cap::kSetpcap))
        return Errno::kEPERM;
      cred.securebits = static_cast<u32>(arg2);
      return 0;
    }
    case kPrGetSecurebits:
      return cred.securebits;
    case kPrGetKeepcaps:
      return secure(cred, securebits::kKeepCaps) ? 1 : 0;
    case kPrSetKeepcaps:
      if (arg2 > 1) return Errno::kEINVAL;
      if (secure(cred, securebits::kKeepCapsLocked)) return Errno::kEPERM;
      if (arg2)
        cred.securebits |= securebits::kKeepCaps;
      else
        cred.securebits &= ~securebits::kKeepCaps;
      return 0;
    case kPrCapAmbient: {
      if (arg2 == kAmbientClearAll) {
        if (arg3 | arg4 | arg5) return Errno::kEINVAL;
        cred.cap_ambient = 0;
        return 0;
      }
      if (!cap::valid(arg3) || arg4 || arg5) return Errno::kEINVAL;
      const u64 bit = cap::mask(static_cast<int>(arg3));
      if (arg2 == kAmbientIsSet) return (cred.cap_ambient & bit) ? 1 : 0;
      if (arg2 != kAmbientRaise && arg2 != kAmbientLower) return Errno::kEINVAL;
      if (arg2 == kAmbientRaise) {
        if (!(cred.cap_permitted & bit) || !(cred.cap_inheritable & bit) ||
            secure(cred, securebits::kNoCapAmbientRaise))
          return Errno::kEPERM;
        cred.cap_ambient |= bit;
      } else {
        cred.cap_ambient &= ~bit;
      }
      return 0;
    }
    default:
      return Errno::kEINVAL;
  }
}

void exec_credentials(Credentials& cred) {
  bool effective = false;
  cred.cap_permitted = 0;
  if (!secure(cred, securebits::kNoroot)) {
    // Root keeps its privileges across exec as if every file carried full capabilities.
    if (cred.euid == kRootId || cred.uid == kRootId)
      cred.cap_permitted = cred.cap_bounding | cred.cap_inheritable;
    effective = cred.euid == kRootId;
  }
  cred.suid = cred.fsuid = cred.euid;
  cred.sgid = cred.fsgid = cred.egid;
  cred.cap_permitted |= cred.cap_ambient;
  cred.cap_effective = effective ? cred.cap_permitted : cred.cap_ambient;
  cred.securebits &= ~securebits::kKeepCaps;
}

}  // namespace kernel
