// A virtual memory area: what the program asked for over one address range (protection,
// sharing, backing file, advice). What actually backs each page lives in the page table.
#pragma once

#include <memory>

#include "kernel/abi/linux.h"
#include "kernel/base/types.h"
#include "kernel/mm/mempolicy.h"

namespace kernel::fs {
class File;
}

namespace kernel::mm {

class MemoryObject;

// Linux's VM_* flag values, so /proc/self/smaps "VmFlags" and traces can name them alike.
enum VmFlag : u64 {
  VM_READ = 0x1,
  VM_WRITE = 0x2,
  VM_EXEC = 0x4,
  VM_SHARED = 0x8,
  VM_MAYREAD = 0x10,
  VM_MAYWRITE = 0x20,
  VM_MAYEXEC = 0x40,
  VM_MAYSHARE = 0x80,
  VM_GROWSDOWN = 0x100,
  VM_PFNMAP = 0x400,  // raw frames without page records (device memory): none in emu yet
  VM_LOCKED = 0x2000,
  VM_IO = 0x4000,
  VM_SEQ_READ = 0x8000,
  VM_RAND_READ = 0x10000,
  VM_DONTCOPY = 0x20000,
  VM_DONTEXPAND = 0x40000,
  VM_LOCKONFAULT = 0x80000,
  VM_NORESERVE = 0x200000,
  VM_HUGETLB = 0x400000,
  VM_MIXEDMAP = 0x10000000,
  VM_WIPEONFORK = 0x2000000,
  // The whole VMA counts as soft-dirty: set on every new mapping, cleared by clear_refs.
  VM_SOFTDIRTY = 0x8000000,
  VM_DONTDUMP = 0x4000000,
  VM_HUGEPAGE = 0x20000000,
  VM_NOHUGEPAGE = 0x40000000,
  VM_MERGEABLE = 0x80000000,
};

inline constexpr u64 kVmAccessFlags = VM_READ | VM_WRITE | VM_EXEC;
inline constexpr u64 kVmLockedMask = VM_LOCKED | VM_LOCKONFAULT;

// What a VMA is, for naming in /proc/self/maps and for the brk and stack rules.
enum class VmaRole : u8 { Mapping, Heap, Stack };

struct Vma {
  u64 start = 0;  // page aligned
  u64 end = 0;    // page aligned, exclusive
  u64 flags = 0;  // VmFlag bits
  VmaRole role = VmaRole::Mapping;
  std::shared_ptr<fs::File> file;  // the file mapped (for naming); null for anonymous memory
  // The pages behind the range: a file's page cache, a tmpfs/memfd file, or the shared
  // anonymous memory of MAP_SHARED|MAP_ANONYMOUS. Null for private anonymous memory.
  std::shared_ptr<MemoryObject> object;
  u64 file_offset = 0;  // bytes; the object offset of `start`
  MemPolicy policy;     // mbind's policy (vm_policy); the default when never set

  u64 size() const { return end - start; }
  bool contains(u64 addr) const { return addr >= start && addr < end; }
  // Private anonymous memory (Linux's vma_is_anonymous): no object behind it.
  bool anonymous() const { return object == nullptr; }
  // The object page that backs addr.
  u64 page_index(u64 addr) const { return offset_of(addr) >> kPageShift; }
  bool shared() const { return flags & VM_SHARED; }
  // The file offset that backs addr.
  u64 offset_of(u64 addr) const { return file_offset + (addr - start); }
};

u64 vm_flags_from_prot(u64 prot);

}  // namespace kernel::mm
