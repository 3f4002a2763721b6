// User and group ids, supplementary groups and capabilities: the guest's own credentials
// (Process::creds()), never emu's. The rules live in kernel/proc/credentials.cpp; these
// handlers copy arguments in and results out in Linux's order, so faults land where they do
// on Linux.
#include <vector>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

using abi::Errno;

namespace {

Credentials& creds_of(SyscallContext& ctx) {
  return ctx.process.creds();
}

u32 id_arg(u64 v) {
  return static_cast<u32>(v);  // uid_t and gid_t: the low 32 bits
}

// getresuid / getresgid: three put_user()s, each only if the one before succeeded.
Result<i64> put_three_ids(SyscallContext& ctx, const SyscallArgs& args, u32 a, u32 b, u32 c) {
  auto& as = ctx.process.address_space();
  TRY(mm::write_user(as, args.a[0], a));
  TRY(mm::write_user(as, args.a[1], b));
  TRY(mm::write_user(as, args.a[2], c));
  return 0;
}

// capget / capset: struct __user_cap_header_struct and one __user_cap_data_struct per
// 32 capabilities.
struct CapHeader {
  u32 version;
  i32 pid;
};
struct CapData {
  u32 effective;
  u32 permitted;
  u32 inheritable;
};
constexpr u32 kCapVersion1 = 0x19980330, kCapVersion2 = 0x20071026, kCapVersion3 = 0x20080522;

// cap_validate_magic(): how many data structs the header's version carries. An unknown
// version is answered with the kernel's own (written back) and EINVAL.
Result<int> validate_cap_version(SyscallContext& ctx, u64 header) {
  auto& as = ctx.process.address_space();
  const u32 version = TRY(mm::read_user<u32>(as, header));
  switch (version) {
    case kCapVersion1:
      return 1;
    case kCapVersion2:
    case kCapVersion3:
      return 2;
    default:
      TRY(mm::write_user(as, header, kCapVersion3));
      return Errno::kEINVAL;
  }
}

}  // namespace

Result<i64> sys_getuid(SyscallContext& ctx, const SyscallArgs&) {
  return creds_of(ctx).uid;
}
Result<i64> sys_geteuid(SyscallContext& ctx, const SyscallArgs&) {
  return creds_of(ctx).euid;
}
Result<i64> sys_getgid(SyscallContext& ctx, const SyscallArgs&) {
  return creds_of(ctx).gid;
}
Result<i64> sys_getegid(SyscallContext& ctx, const SyscallArgs&) {
  return creds_of(ctx).egid;
}

Result<i64> sys_setuid(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(set_uid(creds_of(ctx), id_arg(args.a[0])));
  return 0;
}
Result<i64> sys_setgid(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(set_gid(creds_of(ctx), id_arg(args.a[0])));
  return 0;
}
Result<i64> sys_setreuid(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(set_reuid(creds_of(ctx), id_arg(args.a[0]), id_arg(args.a[1])));
  return 0;
}
Result<i64> sys_setregid(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(set_regid(creds_of(ctx), id_arg(args.a[0]), id_arg(args.a[1])));
  return 0;
}
Result<i64> sys_setresuid(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(set_resuid(creds_of(ctx), id_arg(args.a[0]), id_arg(args.a[1]), id_arg(args.a[2])));
  return 0;
}
Result<i64> sys_setresgid(SyscallContext& ctx, const SyscallArgs& args) {
  TRY(set_resgid(creds_of(ctx), id_arg(args.a[0]), id_arg(args.a[1]), id_arg(args.a[2])));
  return 0;
}
Result<i64> sys_getresuid(SyscallContext& ctx, const SyscallArgs& args) {
  const Credentials& c = creds_of(ctx);
  return put_three_ids(ctx, args, c.uid, c.euid, c.suid);
}
Result<i64> sys_getresgid(SyscallContext& ctx, const SyscallArgs& args) {
  const Credentials& c = creds_of(ctx);
  return put_three_ids(ctx, args, c.gid, c.egid, c.sgid);
}
Result<i64> sys_setfsuid(SyscallContext& ctx, const SyscallArgs& args) {
  return set_fsuid(creds_of(ctx), id_arg(args.a[0]));
}
Result<i64> sys_setfsgid(SyscallContext& ctx, const SyscallArgs& args) {
  return set_fsgid(creds_of(ctx), id_arg(args.a[0]));
}

Result<i64> sys_getgroups(SyscallContext& ctx, const SyscallArgs& args) {
  const int size = static_cast<int>(args.a[0]);
  if (size < 0) return Errno::kEINVAL;
  const auto groups = creds_of(ctx).group_list();
  const i64 n = static_cast<i64>(groups.size());
  if (size == 0) return n;
  if (n > size) return Errno::kEINVAL;
  TRY(mm::copy_to_user(ctx.process.address_space(), args.a[1], groups.data(),
                       groups.size() * sizeof(u32)));
  return n;
}

Result<i64> sys_setgroups(SyscallContext& ctx, const SyscallArgs& args) {
  Credentials& cred = creds_of(ctx);
  if (!capable(cred, cap::kSetgid)) return Errno::kEPERM;
  const int size = static_cast<int>(args.a[0]);
  if (static_cast<u32>(size) > kNgroupsMax) return Errno::kEINVAL;
  // groups_from_user(): entry by entry, so a fault and an invalid id are met in order.
  std::vector<u32> groups(static_cast<size_t>(size));
  constexpr size_t kChunk = 256;
  for (size_t done = 0; done < groups.size(); done += kChunk) {
    const size_t n = std::min(kChunk, groups.size() - done);
    u32 chunk[kChunk];
    if (auto r = mm::copy_from_user(ctx.process.address_space(), chunk,
                                    args.a[1] + done * sizeof(u32), n * sizeof(u32));
        !r.ok()) {
      // The valid prefix still decides between EINVAL and EFAULT.
      for (size_t i = 0; i < n; ++i) {
        auto one =
            mm::read_user<u32>(ctx.process.address_space(), args.a[1] + (done + i) * sizeof(u32));
        if (!one.ok()) return one.error();
        if (one.value() == kNoId) return Errno::kEINVAL;
      }
      return r.error();
    }
    for (size_t i = 0; i < n; ++i) {
      if (chunk[i] == kNoId) return Errno::kEINVAL;
      groups[done + i] = chunk[i];
    }
  }
  TRY(set_groups(cred, std::move(groups)));
  return 0;
}

Result<i64> sys_capget(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 header = args.a[0], data = args.a[1];
  auto copies = validate_cap_version(ctx, header);
  // A null data pointer asks only which version the kernel speaks (glibc probes this way).
  if (!copies.ok()) {
    if (data == 0 && copies.error() == Errno::kEINVAL) return 0;
    return copies.error();
  }
  if (data == 0) return 0;
  auto& as = ctx.process.address_space();
  const i32 pid = TRY(mm::read_user<i32>(as, header + sizeof(u32)));
  if (pid < 0) return Errno::kEINVAL;
  const Credentials* target = &creds_of(ctx);
  if (pid != 0 && pid != ctx.process.pid()) {
    Process* other = ctx.kernel.find_process(pid);
    if (!other) return Errno::kESRCH;
    target = &other->creds();
  }
  CapData out[2];
  for (int i = 0; i < 2; ++i) {
    out[i].effective = static_cast<u32>(target->cap_effective >> (32 * i));
    out[i].permitted = static_cast<u32>(target->cap_permitted >> (32 * i));
    out[i].inheritable = static_cast<u32>(target->cap_inheritable >> (32 * i));
  }
  TRY(mm::copy_to_user(as, data, out, copies.value() * sizeof(CapData)));
  return 0;
}

Result<i64> sys_capset(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 header = args.a[0], data = args.a[1];
  const int copies = TRY(validate_cap_version(ctx, header));
  auto& as = ctx.process.address_space();
  const i32 pid = TRY(mm::read_user<i32>(as, header + sizeof(u32)));
  // A process may change only its own capabilities.
  if (pid != 0 && pid != ctx.process.pid()) return Errno::kEPERM;
  CapData in[2] = {};
  TRY(mm::copy_from_user(as, in, data, copies * sizeof(CapData)));
  auto combine = [&](u32 CapData::*field) { return u64{in[0].*field} | (u64{in[1].*field} << 32); };
  TRY(set_capabilities(creds_of(ctx), combine(&CapData::effective), combine(&CapData::permitted),
                       combine(&CapData::inheritable)));
  return 0;
}

}  // namespace kernel::syscalls
