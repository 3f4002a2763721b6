// Kernel access to guest virtual memory. Each call walks the guest's page tables and
// faults pages in as the guest would (demand-zero, stack growth, file pages), honouring
// the page protections: a read needs a readable page, a write a writable one.
// An unmapped or forbidden address anywhere in the range gives EFAULT.
#pragma once

#include <span>
#include <string>

#include "kernel/base/result.h"

namespace kernel::mm {

class AddressSpace;

Result<void> copy_from_user(AddressSpace& as, void* dst, u64 src, u64 len);
Result<void> copy_to_user(AddressSpace& as, u64 dst, const void* src, u64 len);
Result<void> clear_user(AddressSpace& as, u64 dst, u64 len);
// A NUL-terminated string of at most max_len bytes (without the NUL): ENAMETOOLONG when
// no NUL comes within max_len + 1 bytes, EFAULT when the string runs into a bad address.
Result<std::string> copy_string_from_user(AddressSpace& as, u64 src, u64 max_len);

template <typename T>
Result<T> read_user(AddressSpace& as, u64 src) {
  T value;
  TRY(copy_from_user(as, &value, src, sizeof(T)));
  return value;
}
template <typename T>
Result<void> write_user(AddressSpace& as, u64 dst, const T& value) {
  return copy_to_user(as, dst, &value, sizeof(T));
}

}  // namespace kernel::mm
