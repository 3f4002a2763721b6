// NUMA memory policies (Linux 6.1's mm/mempolicy.c) on a machine with one memory node,
// node 0. Every page comes from node 0 whatever the policy says, but the policies
// themselves are kept and reported exactly: a thread's (set_mempolicy), each VMA's
// (mbind, split and merged with the VMA), with 6.1's rules for modes, flags and node masks
// (a mask naming no node that exists is EINVAL).
#pragma once

#include "kernel/base/result.h"
#include "kernel/base/types.h"

namespace kernel::mm {

// Policy modes and flags (uapi/linux/mempolicy.h).
inline constexpr int kMPOL_DEFAULT = 0, kMPOL_PREFERRED = 1, kMPOL_BIND = 2, kMPOL_INTERLEAVE = 3,
                     kMPOL_LOCAL = 4, kMPOL_PREFERRED_MANY = 5, kMPOL_MAX = 6;
inline constexpr int kMPOL_F_STATIC_NODES = 1 << 15, kMPOL_F_RELATIVE_NODES = 1 << 14,
                     kMPOL_F_NUMA_BALANCING = 1 << 13;
inline constexpr int kMPOL_MODE_FLAGS =
    kMPOL_F_STATIC_NODES | kMPOL_F_RELATIVE_NODES | kMPOL_F_NUMA_BALANCING;
// get_mempolicy flags.
inline constexpr u64 kMPOL_F_NODE = 1 << 0, kMPOL_F_ADDR = 1 << 1, kMPOL_F_MEMS_ALLOWED = 1 << 2;
// mbind flags.
inline constexpr u64 kMPOL_MF_STRICT = 1 << 0, kMPOL_MF_MOVE = 1 << 1, kMPOL_MF_MOVE_ALL = 1 << 2;
inline constexpr u64 kMPOL_MF_VALID = kMPOL_MF_STRICT | kMPOL_MF_MOVE | kMPOL_MF_MOVE_ALL;
// CONFIG_NODES_SHIFT 10 (Debian's amd64 kernels): node masks have 1024 bits.
inline constexpr u64 kMaxNumNodes = 1024;
// nr_node_ids: one node.
inline constexpr u64 kNrNodeIds = 1;

// A node mask as read from the guest: only what a one-node machine can tell apart.
struct NodeMask {
  bool any = false;  // some node named at all
  u64 low = 0;       // nodes 0..63 as given (echoed back for STATIC/RELATIVE policies)
};

struct MemPolicy {
  int mode = kMPOL_DEFAULT;
  int flags = 0;  // kMPOL_F_* mode flags as given
  u64 nodes = 0;  // the nodes get_mempolicy reports
  bool operator==(const MemPolicy&) const = default;
};

// sanitize_mpol_flags: EINVAL for an unknown mode or a bad mix of mode flags.
Result<void> check_mempolicy_mode(int mode_with_flags);
// sanitize_mpol_flags + mpol_new + mpol_set_nodemask: the policy `mode_with_flags` with
// `mask` makes, or EINVAL.
Result<MemPolicy> make_mempolicy(int mode_with_flags, const NodeMask& mask);

}  // namespace kernel::mm
