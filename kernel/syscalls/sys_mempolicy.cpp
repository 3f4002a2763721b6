// set_mempolicy, get_mempolicy and mbind (Linux 6.1's mm/mempolicy.c) on one memory node:
// the policies are checked, kept and reported as 6.1 does on a one-node machine; every
// page comes from node 0 whatever they say.
#include <algorithm>

#include "kernel/abi/linux.h"
#include "kernel/kernel.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/mempolicy.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

namespace {

constexpr u64 kBitsPerLong = 64;

// get_bitmap: BITS_TO_LONGS(bits) words from `addr`, the last masked to `bits`.
Result<void> read_bitmap(mm::AddressSpace& as, u64* out, u64 addr, u64 bits) {
  const u64 longs = (bits + kBitsPerLong - 1) / kBitsPerLong;
  TRY(mm::copy_from_user(as, out, addr, longs * sizeof(u64)));
  if (bits % kBitsPerLong) out[longs - 1] &= (u64{1} << (bits % kBitsPerLong)) - 1;
  return {};
}

// get_nodes: the node mask the guest passed, with its maxnode.
Result<mm::NodeMask> read_nodes(mm::AddressSpace& as, u64 nmask, u64 maxnode) {
  mm::NodeMask mask;
  --maxnode;
  if (maxnode == 0 || !nmask) return mask;
  if (maxnode > kPageSize * 8) return abi::Errno::kEINVAL;
  // Bits past MAX_NUMNODES must be clear, checked a word at a time from the end.
  while (maxnode > mm::kMaxNumNodes) {
    const u64 bits = std::min(maxnode, kBitsPerLong);
    u64 t = 0;
    TRY(read_bitmap(as, &t, nmask + ((maxnode - 1) / kBitsPerLong) * sizeof(u64), bits));
    if (maxnode - bits >= mm::kMaxNumNodes) {
      maxnode -= bits;
    } else {
      maxnode = mm::kMaxNumNodes;
      t &= ~((u64{1} << (mm::kMaxNumNodes % kBitsPerLong)) - 1);
    }
    if (t) return abi::Errno::kEINVAL;
  }
  u64 words[mm::kMaxNumNodes / kBitsPerLong] = {};
  TRY(read_bitmap(as, words, nmask, maxnode));
  mask.low = words[0];
  mask.any = std::any_of(std::begin(words), std::end(words), [](u64 w) { return w != 0; });
  return mask;
}

// copy_nodes_to_user: nr_node_ids is 1, so one word of nodes and zeros after it.
Result<void> write_nodes(mm::AddressSpace& as, u64 nmask, u64 maxnode, u64 nodes) {
  u64 copy = ((maxnode - 1 + kBitsPerLong - 1) & ~(kBitsPerLong - 1)) / 8;
  constexpr u64 kNodeBytes = sizeof(u64);
  if (copy > kNodeBytes) {
    if (copy > kPageSize) return abi::Errno::kEINVAL;
    TRY(mm::clear_user(as, nmask + kNodeBytes, copy - kNodeBytes));
    copy = kNodeBytes;
  }
  if (copy) TRY(mm::copy_to_user(as, nmask, &nodes, copy));
  return {};
}

// The nodes get_mempolicy reports for a policy (get_policy_nodemask, or the user's mask
// for STATIC/RELATIVE policies).
u64 reported_nodes(const mm::MemPolicy& policy) {
  if (policy.flags & (mm::kMPOL_F_STATIC_NODES | mm::kMPOL_F_RELATIVE_NODES)) return policy.nodes;
  if (policy.mode == mm::kMPOL_DEFAULT || policy.mode == mm::kMPOL_LOCAL) return 0;
  return policy.nodes;
}

}  // namespace

Result<i64> sys_set_mempolicy(SyscallContext& ctx, const SyscallArgs& args) {
  const int mode = static_cast<int>(args.a[0]);
  TRY(mm::check_mempolicy_mode(mode));
  const mm::NodeMask mask = TRY(read_nodes(ctx.process.address_space(), args.a[1], args.a[2]));
  ctx.thread.mempolicy() = TRY(mm::make_mempolicy(mode, mask));
  return 0;
}

Result<i64> sys_get_mempolicy(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 policy_addr = args.a[0], nmask = args.a[1], maxnode = args.a[2];
  const u64 addr = args.a[3], flags = args.a[4];
  mm::AddressSpace& as = ctx.process.address_space();
  if (nmask && maxnode < mm::kNrNodeIds) return abi::Errno::kEINVAL;
  // do_get_mempolicy.
  if (flags & ~(mm::kMPOL_F_NODE | mm::kMPOL_F_ADDR | mm::kMPOL_F_MEMS_ALLOWED))
    return abi::Errno::kEINVAL;
  int value = 0;
  u64 nodes = 0;
  if (flags & mm::kMPOL_F_MEMS_ALLOWED) {
    if (flags & (mm::kMPOL_F_NODE | mm::kMPOL_F_ADDR)) return abi::Errno::kEINVAL;
    nodes = 1;  // cpuset_current_mems_allowed: node 0
  } else {
    mm::MemPolicy policy = ctx.thread.mempolicy();
    if (flags & mm::kMPOL_F_ADDR) {
      const mm::Vma* vma = as.find_vma(addr);
      if (!vma) return abi::Errno::kEFAULT;
      policy = vma->policy;
    } else if (addr) {
      return abi::Errno::kEINVAL;
    }
    if (flags & mm::kMPOL_F_NODE) {
      if (flags & mm::kMPOL_F_ADDR) {
        // lookup_node: the page is faulted in (as get_user_pages would) and its node is 0.
        u8 byte;
        TRY(mm::copy_from_user(as, &byte, addr & ~kPageMask, 1));
        value = 0;
      } else if (policy.mode == mm::kMPOL_INTERLEAVE) {
        value = 0;  // the next interleave node: the only one
      } else {
        return abi::Errno::kEINVAL;
      }
    } else {
      value = policy.mode | (policy.flags & mm::kMPOL_MODE_FLAGS);
    }
    nodes = reported_nodes(policy);
  }
  if (policy_addr) TRY(mm::write_user<int>(as, policy_addr, value));
  if (nmask) TRY(write_nodes(as, nmask, maxnode, nodes));
  return 0;
}

Result<i64> sys_mbind(SyscallContext& ctx, const SyscallArgs& args) {
  const u64 start = args.a[0], len_in = args.a[1];
  const int mode = static_cast<int>(args.a[2]);
  const u64 flags = args.a[5];
  mm::AddressSpace& as = ctx.process.address_space();
  TRY(mm::check_mempolicy_mode(mode));
  const mm::NodeMask mask = TRY(read_nodes(as, args.a[3], args.a[4]));
  // do_mbind.
  if (flags & ~mm::kMPOL_MF_VALID) return abi::Errno::kEINVAL;
  if ((flags & mm::kMPOL_MF_MOVE_ALL) && !capable(ctx.process.creds(), cap::kSysNice))
    return abi::Errno::kEPERM;
  if (start & kPageMask) return abi::Errno::kEINVAL;
  const u64 len = page_round_up(len_in);
  if (len < len_in) return abi::Errno::kEINVAL;  // PAGE_ALIGN wrapped
  const u64 end = start + len;
  if (end < start) return abi::Errno::kEINVAL;
  if (end == start) return 0;
  const mm::MemPolicy policy = TRY(mm::make_mempolicy(mode, mask));
  // Every page is on node 0, which every valid policy allows: MPOL_MF_STRICT finds no
  // misplaced page and MPOL_MF_MOVE has nothing to move.
  TRY(as.set_policy(start, end, policy, policy.mode == mm::kMPOL_DEFAULT));
  return 0;
}

}  // namespace kernel::syscalls
