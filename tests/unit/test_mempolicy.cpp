// Memory policies on one node (mm/mempolicy.h, Linux 6.1's mm/mempolicy.c): mode and flag
// rules, node masks, and mbind's per-VMA policies splitting and merging VMAs.
#include <catch2/catch_test_macros.hpp>

#include "fake_machine.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/mempolicy.h"

using namespace kernel;
using namespace kernel::mm;

namespace {

NodeMask nodes(u64 low) {
  return NodeMask{low != 0, low};
}

}  // namespace

TEST_CASE("mempolicy: modes, flags and masks on one node", "[mempolicy]") {
  CHECK(make_mempolicy(kMPOL_DEFAULT, {}).value() == MemPolicy{});
  CHECK(make_mempolicy(kMPOL_DEFAULT, nodes(1)).error() == abi::Errno::kEINVAL);
  CHECK(make_mempolicy(kMPOL_BIND, nodes(1)).value() == MemPolicy{kMPOL_BIND, 0, 1});
  CHECK(make_mempolicy(kMPOL_BIND, nodes(3)).value() == MemPolicy{kMPOL_BIND, 0, 1});
  CHECK(make_mempolicy(kMPOL_BIND, nodes(2)).error() == abi::Errno::kEINVAL);  // node 1
  CHECK(make_mempolicy(kMPOL_BIND, {}).error() == abi::Errno::kEINVAL);
  // A node past the first 64 alone names no node with memory.
  CHECK(make_mempolicy(kMPOL_INTERLEAVE, NodeMask{true, 0}).error() == abi::Errno::kEINVAL);
  // PREFERRED with no nodes is LOCAL; LOCAL takes no nodes.
  CHECK(make_mempolicy(kMPOL_PREFERRED, {}).value().mode == kMPOL_LOCAL);
  CHECK(make_mempolicy(kMPOL_PREFERRED | kMPOL_F_STATIC_NODES, {}).error() == abi::Errno::kEINVAL);
  CHECK(make_mempolicy(kMPOL_LOCAL, nodes(1)).error() == abi::Errno::kEINVAL);
  // STATIC and RELATIVE keep the user's mask; RELATIVE folds any node onto node 0.
  CHECK(make_mempolicy(kMPOL_BIND | kMPOL_F_STATIC_NODES, nodes(0x21)).value().nodes == 0x21);
  CHECK(make_mempolicy(kMPOL_BIND | kMPOL_F_STATIC_NODES, nodes(0x20)).error() ==
        abi::Errno::kEINVAL);
  CHECK(make_mempolicy(kMPOL_BIND | kMPOL_F_RELATIVE_NODES, nodes(8)).value().nodes == 8);
  CHECK(make_mempolicy(kMPOL_BIND | kMPOL_F_STATIC_NODES | kMPOL_F_RELATIVE_NODES, nodes(1))
            .error() == abi::Errno::kEINVAL);
  CHECK(make_mempolicy(kMPOL_BIND | kMPOL_F_NUMA_BALANCING, nodes(1)).value().flags ==
        kMPOL_F_NUMA_BALANCING);
  CHECK(make_mempolicy(kMPOL_INTERLEAVE | kMPOL_F_NUMA_BALANCING, nodes(1)).error() ==
        abi::Errno::kEINVAL);
  CHECK(make_mempolicy(kMPOL_MAX, {}).error() == abi::Errno::kEINVAL);
  CHECK(make_mempolicy(-1, {}).error() == abi::Errno::kEINVAL);
}

TEST_CASE("mempolicy: mbind splits VMAs by policy and merges them back", "[mempolicy]") {
  test::FakeRam ram(4 << 20);
  test::FakeCpu cpu;
  MemoryManager memory(ram.memory(), cpu);
  AddressSpace as(memory);
  MapRequest req;
  req.length = 8 * kPageSize;
  req.prot = abi::kPROT_READ | abi::kPROT_WRITE;
  const u64 base = as.map(req).value();
  const MemPolicy bind = make_mempolicy(kMPOL_BIND, nodes(1)).value();
  REQUIRE(as.set_policy(base + 2 * kPageSize, base + 4 * kPageSize, bind, false).ok());
  CHECK(as.map_count() == 3);
  CHECK(as.find_vma(base)->policy == MemPolicy{});
  CHECK(as.find_vma(base + 3 * kPageSize)->policy == bind);
  CHECK(as.find_vma(base + 3 * kPageSize)->start == base + 2 * kPageSize);
  REQUIRE(as.set_policy(base + 2 * kPageSize, base + 4 * kPageSize, MemPolicy{}, true).ok());
  CHECK(as.map_count() == 1);
  // Holes: EFAULT, except for the default policy; a range wholly unmapped is EFAULT.
  REQUIRE(as.unmap(base + 7 * kPageSize, kPageSize).ok());
  CHECK(as.set_policy(base, base + 8 * kPageSize, bind, false).error() == abi::Errno::kEFAULT);
  CHECK(as.map_count() == 1);
  CHECK(as.set_policy(base, base + 8 * kPageSize, MemPolicy{}, true).ok());
  CHECK(as.set_policy(base + 7 * kPageSize, base + 8 * kPageSize, MemPolicy{}, true).error() ==
        abi::Errno::kEFAULT);
  // The map-count limit: a split that would pass it is ENOMEM.
  as.set_max_map_count(1);
  CHECK(as.set_policy(base + kPageSize, base + 2 * kPageSize, bind, false).error() ==
        abi::Errno::kENOMEM);
}
