#include "kernel/mm/address_space.h"

namespace kernel::mm {

Result<std::unique_ptr<AddressSpace>> AddressSpace::fork() {
  return abi::Errno::kENOSYS;
}

}  // namespace kernel::mm
