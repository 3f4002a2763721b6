#include "kernel/fs/pseudo_fs.h"

namespace kernel::fs {

Result<u64> PseudoDirectory::seek(i64 offset, int whence) {
  i64 target = offset;
  if (whence == abi::kSEEK_CUR) {
    if (__builtin_add_overflow(static_cast<i64>(m_position), offset, &target))
      return abi::Errno::kEINVAL;
  } else if (whence != abi::kSEEK_SET) {
    return abi::Errno::kEINVAL;
  }
  if (target < 0) return abi::Errno::kEINVAL;
  m_position = static_cast<u64>(target);
  return m_position;
}

}  // namespace kernel::fs
