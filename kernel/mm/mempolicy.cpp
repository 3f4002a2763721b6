// Building a memory policy as 6.1's mpol_new and mpol_set_nodemask do, on one node.
#include "kernel/mm/mempolicy.h"

#include "kernel/abi/linux.h"

namespace kernel::mm {

Result<void> check_mempolicy_mode(int mode_with_flags) {
  const int flags = mode_with_flags & kMPOL_MODE_FLAGS;
  const int mode = mode_with_flags & ~kMPOL_MODE_FLAGS;
  if (static_cast<unsigned>(mode) >= static_cast<unsigned>(kMPOL_MAX)) return abi::Errno::kEINVAL;
  if ((flags & kMPOL_F_STATIC_NODES) && (flags & kMPOL_F_RELATIVE_NODES))
    return abi::Errno::kEINVAL;
  if ((flags & kMPOL_F_NUMA_BALANCING) && mode != kMPOL_BIND) return abi::Errno::kEINVAL;
  return {};
}

Result<MemPolicy> make_mempolicy(int mode_with_flags, const NodeMask& mask) {
  TRY(check_mempolicy_mode(mode_with_flags));
  const int flags = mode_with_flags & kMPOL_MODE_FLAGS;
  int mode = mode_with_flags & ~kMPOL_MODE_FLAGS;
  const bool user_nodes = flags & (kMPOL_F_STATIC_NODES | kMPOL_F_RELATIVE_NODES);
  // mpol_new.
  if (mode == kMPOL_DEFAULT) {
    if (mask.any) return abi::Errno::kEINVAL;
    return MemPolicy{};
  }
  if (mode == kMPOL_PREFERRED) {
    if (!mask.any) {
      if (user_nodes) return abi::Errno::kEINVAL;
      mode = kMPOL_LOCAL;
    }
  } else if (mode == kMPOL_LOCAL) {
    if (mask.any || user_nodes) return abi::Errno::kEINVAL;
  } else if (!mask.any) {
    return abi::Errno::kEINVAL;
  }
  MemPolicy policy{mode, flags, 0};
  if (mode == kMPOL_LOCAL) return policy;
  // mpol_set_nodemask: the nodes that have memory (node 0) among those named; a relative
  // mask folds onto them, so naming any node names node 0.
  const bool node0 = (flags & kMPOL_F_RELATIVE_NODES) ? mask.any : (mask.low & 1);
  if (!node0) return abi::Errno::kEINVAL;
  // The user's own mask is kept for STATIC/RELATIVE policies (mpol_store_user_nodemask).
  policy.nodes = user_nodes ? mask.low : 1;
  return policy;
}

}  // namespace kernel::mm
