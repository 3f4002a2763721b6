// fork()'s memory, after Linux 6.1's dup_mmap() (kernel/fork.c) and copy_page_range()
// with its copy_pte_range / copy_present_pte / copy_nonpresent_pte (mm/memory.c).
//
// The child gets a copy of each VMA and of each entry of the private ones:
//   present or PROT_NONE frame  one more reference and reverse-map item; in a
//                               copy-on-write mapping both entries lose write access
//   zero page                   copied as it is (never counted)
//   swap entry                  the same slot, its count one higher
// Shared mappings are not copied: the child faults their object's pages in itself, as
// Linux does for a shared VMA without anonymous pages. The write fault that follows a
// fork (fault_write_protected) copies the page, or reuses it once no one else holds it.
#include "kernel/mm/address_space.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/memory_manager.h"

namespace kernel::mm {

using x86_64::Pte;

namespace {

// Linux's is_cow_mapping(): private and possibly writable, so writes must copy.
bool is_cow_mapping(u64 flags) {
  return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

// mm_init(): of mm->def_flags only VM_NOHUGEPAGE passes to a child (VM_INIT_DEF_MASK), so
// mlockall(MCL_FUTURE) is not inherited.
constexpr u64 kInheritedDefFlags = VM_NOHUGEPAGE;

}  // namespace

Result<std::unique_ptr<AddressSpace>> AddressSpace::fork() {
  // The child's top-level table is allocated by its constructor, which cannot fail: make
  // sure a frame is to be had first (reclaiming if need be), then give it back for it.
  auto probe = m_frames.allocate();
  if (!probe) return abi::Errno::kENOMEM;
  m_frames.put(*probe);
  auto child = std::make_unique<AddressSpace>(m_mm);
  child->m_brk_start = m_brk_start;
  child->m_brk = m_brk;
  child->m_mmap_base = m_mmap_base;
  child->m_max_map_count = m_max_map_count;
  child->m_def_flags = m_def_flags & kInheritedDefFlags;
  // ksm_fork: a child of a process on KSM's scan list joins it (its KSM pages stay shared).
  m_mm.ksm().fork(this, child.get());
  child->m_khugepaged_entered = m_khugepaged_entered;  // khugepaged_fork

  Result<void> copied;
  for (const auto& [start, vma] : m_vmas) {
    if (vma.flags & VM_DONTCOPY) continue;
    Vma copy = vma;
    copy.flags &= ~kVmLockedMask;  // mlock is not inherited
    // Unlike mmap, dup_mmap does not merge: VMAs that differed only in their lock flags
    // stay apart in the child. The VMA goes in before its entries, so destroying a
    // partial child drops every reference it took.
    child->m_vmas.emplace(start, std::move(copy));
    // VM_WIPEONFORK: the range reads as fresh zero-fill memory in the child.
    if (vma.flags & VM_WIPEONFORK) continue;
    if (vma.shared()) continue;
    copied = copy_page_range(*child, vma);
    if (!copied.ok()) break;
  }
  // flush_tlb_mm(oldmm): the parent may still hold writable translations of the entries
  // just write-protected. One flush covers the whole fork.
  m_mm.flush_tlb("fork", 0, kTaskSize);
  if (!copied.ok()) return copied.error();  // the partial child goes, its references too
  return child;
}

Result<void> AddressSpace::copy_page_range(AddressSpace& child, const Vma& vma) {
  const bool cow = is_cow_mapping(vma.flags);
  // Huge entries first (copy_huge_pmd): the child maps the same huge page.
  Result<void> huge_copied;
  m_page_table.for_each_huge(vma.start, vma.end, [&](u64 haddr, Pte& pde) {
    if (huge_copied.ok()) huge_copied = copy_huge_pmd(child, vma, haddr, pde);
  });
  TRY(huge_copied);
  bool out_of_memory = false;
  // Allocating the child's tables may reclaim, which rewrites entries but never frees a
  // table: the walk goes on over the same tables, and each entry is read only after the
  // child's slot for it exists.
  m_page_table.for_each_leaf(vma.start, vma.end, [&](u64 va, Pte& leaf) {
    if (out_of_memory) return;
    Pte* slot = child.m_page_table.leaf_entry(va, x86_64::Allocate::Yes);
    if (!slot) {
      out_of_memory = true;
      return;
    }
    const Pte pte = leaf;
    if (pte.none()) return;  // reclaim took it meanwhile
    VERIFY(slot->none());
    switch (pte.soft_type()) {
      case Pte::SoftType::None: {  // present
        const Pfn frame = pte.pfn();
        Pte copy = pte;
        if (cow && pte.writable()) {
          leaf = pte.without(Pte::kWritable);
          copy = copy.without(Pte::kWritable);
        }
        // The child has not used the page yet (pte_mkold); a private page keeps its dirty
        // bit (the data differs from any backing store in both).
        copy = copy.without(Pte::kAccessed);
        if (frame != m_zero_page) m_frames.get(frame);
        child.set_leaf(slot, va, copy);
        return;
      }
      case Pte::SoftType::ProtNone: {
        // A present page under PROT_NONE: shared like any other. It has no write access to
        // take away; when access comes back, a write goes through the copy-on-write fault.
        const Pfn frame(pte.soft_value());
        *slot = pte;
        if (frame == m_zero_page) return;
        m_frames.get(frame);
        m_mm.rmap().add(frame, &child, va);
        return;
      }
      case Pte::SoftType::Swap:
        // swap_duplicate(): the page swaps in once, through the swap cache, whoever
        // touches it first.
        m_mm.swap().dup(pte.soft_value());
        *slot = pte;
        return;
      default:
        // Other software entries (poison, migration) carry no reference: copied as they are.
        *slot = pte;
        return;
    }
  });
  if (out_of_memory) return abi::Errno::kENOMEM;
  return {};
}

}  // namespace kernel::mm
