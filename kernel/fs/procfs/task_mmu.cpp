#include "kernel/fs/procfs/task_mmu.h"

#include <algorithm>

#include "kernel/mm/vma.h"
#include "kernel/proc/exec.h"

namespace kernel::fs::procfs {

namespace {

// glibc's makedev() encoding (the guest's st_dev) back to the kernel's major and minor.
u64 dev_major(u64 dev) {
  return ((dev >> 8) & 0xfff) | ((dev >> 32) & ~u64{0xfff});
}
u64 dev_minor(u64 dev) {
  return (dev & 0xff) | ((dev >> 12) & ~u64{0xff});
}

// show_vma_header_prefix().
void vma_header(SeqBuf& m, u64 start, u64 end, u64 flags, u64 pgoff, u64 dev, u64 ino) {
  m.set_width(25 + 8 * 6 - 1);
  m.hex("", start, 8).hex("-", end, 8).putc(' ');
  m.putc(flags & mm::VM_READ ? 'r' : '-');
  m.putc(flags & mm::VM_WRITE ? 'w' : '-');
  m.putc(flags & mm::VM_EXEC ? 'x' : '-');
  m.putc(flags & mm::VM_MAYSHARE ? 's' : 'p');
  m.hex(" ", pgoff, 8).hex(" ", dev_major(dev), 2).hex(":", dev_minor(dev), 2);
  m.dec(" ", ino).putc(' ');
}

// seq_file_path(m, file, "\n"): a newline in the name is escaped as \012.
void put_path(SeqBuf& m, const std::string& path) {
  for (char c : path) {
    if (c == '\n')
      m.puts("\\012");
    else
      m.putc(c);
  }
}

// show_map_vma().
void map_line(SeqBuf& m, const VmaView& vma) {
  vma_header(m, vma.start, vma.end, vma.flags, vma.has_file ? vma.offset : 0,
             vma.has_file ? vma.dev : 0, vma.has_file ? vma.ino : 0);
  if (vma.has_file) {
    m.pad(' ');
    put_path(m, vma.path);
  } else if (vma.name == VmaView::Name::Heap) {
    m.pad(' ').puts("[heap]");
  } else if (vma.name == VmaView::Name::Stack) {
    m.pad(' ').puts("[stack]");
  }
  m.putc('\n');
}

constexpr unsigned kPssShift = 12;

// Linux's struct mem_size_stats (bytes; pss values shifted by kPssShift).
struct MemSizeStats {
  u64 resident = 0, shared_clean = 0, shared_dirty = 0, private_clean = 0, private_dirty = 0;
  u64 referenced = 0, anonymous = 0, lazyfree = 0, anonymous_thp = 0, shmem_thp = 0;
  u64 file_thp = 0, swap = 0, shared_hugetlb = 0, private_hugetlb = 0;
  u64 pss = 0, pss_anon = 0, pss_file = 0, pss_shmem = 0, pss_dirty = 0, pss_locked = 0;
  u64 swap_pss = 0;
};

// smaps_page_accumulate().
void accumulate(MemSizeStats& mss, const PageView& page, u64 size, u64 pss, bool locked,
                bool is_private) {
  mss.pss += pss;
  if (page.anonymous)
    mss.pss_anon += pss;
  else if (page.shmem)
    mss.pss_shmem += pss;
  else
    mss.pss_file += pss;
  if (locked) mss.pss_locked += pss;
  if (page.dirty) {
    mss.pss_dirty += pss;
    (is_private ? mss.private_dirty : mss.shared_dirty) += size;
  } else {
    (is_private ? mss.private_clean : mss.shared_clean) += size;
  }
}

// smap_gather_stats() for one VMA: smaps_pte_entry / smaps_pmd_entry and smaps_account().
void gather(const MmView& mm, const VmaView& vma, MemSizeStats& mss) {
  const bool locked = vma.flags & mm::VM_LOCKED;
  mm.for_each_page(vma, vma.start, vma.end, [&](u64, const PageView& page) {
    if (page.state == PageView::State::Swapped) {
      mss.swap += page.size;
      mss.swap_pss += page.size << kPssShift;  // one mapper per swap entry
      return;
    }
    if (page.zero_page) return;  // vm_normal_page() gives no page
    const u64 size = page.size;
    if (page.anonymous) {
      mss.anonymous += size;
      if (size > kPageSize) mss.anonymous_thp += size;
    } else if (size > kPageSize) {
      (page.shmem ? mss.shmem_thp : mss.file_thp) += size;
    }
    mss.resident += size;
    if (page.accessed) mss.referenced += size;
    if (page.mapcount <= 1) {
      accumulate(mss, page, size, size << kPssShift, locked, true);
      return;
    }
    accumulate(mss, page, size, (size << kPssShift) / page.mapcount, locked, false);
  });
}

// __show_smap().
void show_smap(SeqBuf& m, const MemSizeStats& mss, bool rollup) {
  auto kb = [&](std::string_view label, u64 bytes) { m.dec(label, bytes >> 10, 8); };
  kb("Rss:            ", mss.resident);
  kb(" kB\nPss:            ", mss.pss >> kPssShift);
  kb(" kB\nPss_Dirty:      ", mss.pss_dirty >> kPssShift);
  if (rollup) {
    kb(" kB\nPss_Anon:       ", mss.pss_anon >> kPssShift);
    kb(" kB\nPss_File:       ", mss.pss_file >> kPssShift);
    kb(" kB\nPss_Shmem:      ", mss.pss_shmem >> kPssShift);
  }
  kb(" kB\nShared_Clean:   ", mss.shared_clean);
  kb(" kB\nShared_Dirty:   ", mss.shared_dirty);
  kb(" kB\nPrivate_Clean:  ", mss.private_clean);
  kb(" kB\nPrivate_Dirty:  ", mss.private_dirty);
  kb(" kB\nReferenced:     ", mss.referenced);
  kb(" kB\nAnonymous:      ", mss.anonymous);
  kb(" kB\nLazyFree:       ", mss.lazyfree);
  kb(" kB\nAnonHugePages:  ", mss.anonymous_thp);
  kb(" kB\nShmemPmdMapped: ", mss.shmem_thp);
  // Always 0 in emu: only private anonymous memory gets huge entries (file and shmem
  // huge pages are not built), so no file or shmem page is ever mapped by a PMD.
  kb(" kB\nFilePmdMapped:  ", mss.file_thp);
  kb(" kB\nShared_Hugetlb: ", mss.shared_hugetlb);
  m.dec(" kB\nPrivate_Hugetlb: ", mss.private_hugetlb >> 10, 7);
  kb(" kB\nSwap:           ", mss.swap);
  kb(" kB\nSwapPss:        ", mss.swap_pss >> kPssShift);
  kb(" kB\nLocked:         ", mss.pss_locked >> kPssShift);
  m.puts(" kB\n");
}

// show_smap_vma_flags(): the two-letter name of each set bit, in bit order; a bit Linux
// 6.1 has no name for prints "??", and the protection-key bits (32-36) print nothing.
void vma_flags_line(SeqBuf& m, u64 flags) {
  static constexpr const char* kNames[64] = {
      "rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "um", "pf", "??", "uw",
      "lo", "io", "sr", "rr", "dc", "de", "??", "ac", "nr", "ht", "sf", "ar", "wf",
      "dd", "sd", "mm", "hg", "nh", "mg", "",   "",   "",   "",   "",   "??", "??",
      "??", "??", "??", "??", "??", "??", "??", "??", "??", "??", "??", "??", "??",
      "??", "??", "??", "??", "??", "??", "??", "??", "??", "??", "??", "??"};
  m.puts("VmFlags: ");
  for (unsigned bit = 0; bit < 64; ++bit) {
    if ((flags & (u64{1} << bit)) && kNames[bit][0]) m.puts(kNames[bit]).putc(' ');
  }
  m.putc('\n');
}

}  // namespace

std::string render_maps(const MmView& mm) {
  SeqBuf m;
  for (const VmaView& vma : mm.vmas()) map_line(m, vma);
  return m.take();
}

std::string render_smaps(const MmView& mm) {
  SeqBuf m;
  for (const VmaView& vma : mm.vmas()) {
    MemSizeStats mss;
    gather(mm, vma, mss);
    map_line(m, vma);
    m.dec("Size:           ", vma.size() >> 10, 8);
    m.dec(" kB\nKernelPageSize: ", kPageSize >> 10, 8);
    m.dec(" kB\nMMUPageSize:    ", kPageSize >> 10, 8);
    m.puts(" kB\n");
    show_smap(m, mss, false);
    // hugepage_vma_check(vma, smaps = true, in_pf = false, enforce_sysfs = true).
    m.puts(mm.thp_eligible(vma) ? "THPeligible:    1\n" : "THPeligible:    0\n");
    vma_flags_line(m, vma.flags);
  }
  return m.take();
}

std::string render_smaps_rollup(const MmView& mm) {
  SeqBuf m;
  MemSizeStats mss;
  u64 first = 0, last_end = 0;
  const std::vector<VmaView> vmas = mm.vmas();
  if (!vmas.empty()) {
    first = vmas.front().start;
    for (const VmaView& vma : vmas) {
      gather(mm, vma, mss);
      last_end = vma.end;
    }
  }
  vma_header(m, first, last_end, 0, 0, 0, 0);
  m.pad(' ').puts("[rollup]\n");
  show_smap(m, mss, true);
  return m.take();
}

namespace {

// PAGE_ALIGN(end_code) - (start_code & PAGE_MASK), in pages; 0 without a program.
u64 text_pages(const proc::ProgramLayout& layout) {
  if (layout.end_code <= layout.start_code) return 0;
  return (page_round_up(layout.end_code) - page_round_down(layout.start_code)) >> kPageShift;
}

}  // namespace

std::string render_statm(const MmView& mm, const proc::ProgramLayout& layout) {
  const MmCounters c = mm.counters();
  const u64 shared = c.file_pages + c.shmem_pages;
  SeqBuf m;
  m.dec("", c.total_vm).dec(" ", shared + c.anon_pages).dec(" ", shared);
  m.dec(" ", text_pages(layout)).dec(" ", 0).dec(" ", c.data_vm + c.stack_vm).dec(" ", 0);
  m.putc('\n');
  return m.take();
}

void render_task_mem(SeqBuf& m, const MmCounters& c, const proc::ProgramLayout& layout) {
  auto kb = [&](std::string_view label, u64 pages) { m.dec(label, pages << (kPageShift - 10), 8); };
  const u64 exec_bytes = c.exec_vm << kPageShift;
  const u64 text = std::min(text_pages(layout) << kPageShift, exec_bytes);
  const u64 lib = exec_bytes - text;
  kb("VmPeak:\t", std::max(c.hiwater_vm, c.total_vm));
  kb(" kB\nVmSize:\t", c.total_vm);
  kb(" kB\nVmLck:\t", c.locked_vm);
  kb(" kB\nVmPin:\t", c.pinned_vm);
  kb(" kB\nVmHWM:\t", std::max(c.hiwater_rss, c.rss()));
  kb(" kB\nVmRSS:\t", c.rss());
  kb(" kB\nRssAnon:\t", c.anon_pages);
  kb(" kB\nRssFile:\t", c.file_pages);
  kb(" kB\nRssShmem:\t", c.shmem_pages);
  kb(" kB\nVmData:\t", c.data_vm);
  kb(" kB\nVmStk:\t", c.stack_vm);
  m.dec(" kB\nVmExe:\t", text >> 10, 8);
  m.dec(" kB\nVmLib:\t", lib >> 10, 8);
  m.dec(" kB\nVmPTE:\t", c.page_table_bytes >> 10, 8);
  kb(" kB\nVmSwap:\t", c.swap_entries);
  m.puts(" kB\n");
  // hugetlb_report_usage()
  m.dec("HugetlbPages:\t", 0, 8).puts(" kB\n");
}

u64 render_pagemap(const MmView& mm, u64 first, std::span<u64> out, bool show_pfn) {
  const u64 end_index = mm.task_size() >> kPageShift;
  if (first >= end_index) return 0;
  const u64 count = std::min<u64>(out.size(), end_index - first);
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(count), 0);
  const u64 start_va = first << kPageShift;
  const u64 end_va = (first + count) << kPageShift;
  for (const VmaView& vma : mm.vmas()) {
    if (vma.end <= start_va || vma.start >= end_va) continue;
    const u64 lo = std::max(vma.start, start_va), hi = std::min(vma.end, end_va);
    // Every page of a soft-dirty VMA reads soft-dirty, mapped or not.
    if (vma.flags & mm::VM_SOFTDIRTY) {
      for (u64 va = lo; va < hi; va += kPageSize) out[(va >> kPageShift) - first] |= kPmSoftDirty;
    }
    mm.for_each_page(vma, lo, hi, [&](u64 va, const PageView& page) {
      const u64 page_end = std::min(hi, (va & ~(page.size - 1)) + page.size);
      for (u64 a = va; a < page_end; a += kPageSize) {
        u64 entry = 0;
        if (page.state == PageView::State::Swapped) {
          entry = ((page.swap_type | (page.swap_offset << 5)) & kPmPfnMask) | kPmSwap;
        } else {
          const u64 index = (a - (va & ~(page.size - 1))) >> kPageShift;
          if (show_pfn) entry = (page.pfn + index) & kPmPfnMask;
          entry |= kPmPresent;
          if (page.huge_zero) entry |= kPmFile;
          if (!page.zero_page) {
            if (!page.anonymous) entry |= kPmFile;
            if (page.mapcount == 1) entry |= kPmMmapExclusive;
          }
        }
        if (page.soft_dirty) entry |= kPmSoftDirty;
        out[(a >> kPageShift) - first] |= entry;
      }
    });
  }
  return count;
}

}  // namespace kernel::fs::procfs
