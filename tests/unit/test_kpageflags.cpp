// /proc/kpageflags and /proc/kpagecount (fs/procfs/kpage.h, Linux 6.1's fs/proc/page.c)
// over every page state emu has, with exact flag words; and debugfs's split_huge_pages
// (mm/split_huge_pages.h, fs/sysfs/debugfs.cpp): its walk, its input and its answers.
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <initializer_list>
#include <string>

#include "booted_kernel.h"
#include "fake_machine.h"
#include "guest_access.h"
#include "kernel/fs/procfs/kpage.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/huge_memory.h"
#include "kernel/mm/hwpoison.h"
#include "kernel/mm/ksm.h"
#include "kernel/mm/memory_manager.h"
#include "kernel/mm/split_huge_pages.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "mm_consistency.h"

using namespace kernel;
using namespace kernel::abi;
using fs::procfs::kpage_mapcount;
using fs::procfs::stable_page_flags;

namespace {

using test::huge_at;
using test::peek;
using test::pfn_at;
using test::poke;

constexpr u32 kRead = mm::kFaultUser;
constexpr u64 kRw = kPROT_READ | kPROT_WRITE;
constexpr u64 kHuge = kHugePageSize;
constexpr u64 kBase = 0x4000'0000;  // 2 MiB aligned

// The flag word with these KPF_* bits.
u64 kpf(std::initializer_list<int> bits) {
  u64 word = 0;
  for (int bit : bits) word |= u64{1} << bit;
  return word;
}

// What 6.1 shows for its common pages.
const u64 kAnonPage = kpf({kKPF_UPTODATE, kKPF_LRU, kKPF_MMAP, kKPF_ANON, kKPF_SWAPBACKED});
const u64 kThpHead = kAnonPage | kpf({kKPF_COMPOUND_HEAD, kKPF_THP});
const u64 kThpTail = kpf({kKPF_MMAP, kKPF_ANON, kKPF_COMPOUND_TAIL, kKPF_THP});

// A page that was part of a split THP: 6.1's __split_huge_pmd_locked() dirties the page of
// a dirty huge entry, and the split copies that to every part.
const u64 kSplitPage = kAnonPage | kpf({kKPF_DIRTY});

struct Machine {
  explicit Machine(u64 ram_size = 64 << 20)
      : ram(ram_size), memory(ram.memory(), cpu, mm::MemoryOptions{u64{16} << 20}) {
    memory.set_thp_settings(&thp);
  }
  std::unique_ptr<mm::AddressSpace> new_address_space() {
    return std::make_unique<mm::AddressSpace>(memory);
  }
  u64 flags(Pfn pfn) { return stable_page_flags(memory, pfn); }
  u64 count(Pfn pfn) { return kpage_mapcount(memory, pfn); }

  mm::ThpSettings thp;
  test::FakeRam ram;
  test::FakeCpu cpu;
  mm::MemoryManager memory;
};

// A private anonymous mapping at addr, with MADV_HUGEPAGE when asked.
void map_at(mm::AddressSpace& as, u64 addr, u64 length, bool hugepage) {
  mm::MapRequest req;
  req.addr = addr;
  req.length = length;
  req.prot = kRw;
  req.placement = mm::MapPlacement::Fixed;
  REQUIRE(as.map(req).ok());
  if (hugepage) REQUIRE(as.madvise(addr, length, kMADV_HUGEPAGE).ok());
}

Pfn nth(Pfn head, u64 i) {
  return Pfn(head.value + i);
}

// Writes a distinct byte into every page of [va, va + pages).
void fill(mm::AddressSpace& as, u64 va, u64 pages, u8 seed) {
  for (u64 i = 0; i < pages; ++i) poke(as, va + i * kPageSize + 5, static_cast<u8>(seed + i));
}
bool intact(mm::AddressSpace& as, u64 va, u64 pages, u8 seed) {
  for (u64 i = 0; i < pages; ++i)
    if (peek(as, va + i * kPageSize + 5) != static_cast<u8>(seed + i)) return false;
  return true;
}

// A THP at kBase in a new address space, written through.
Pfn huge_page_at_base(mm::AddressSpace& as, u8 seed) {
  map_at(as, kBase, kHuge, true);
  fill(as, kBase, 512, seed);
  REQUIRE(huge_at(as, kBase));
  return pfn_at(as, kBase);
}

}  // namespace

TEST_CASE("kpageflags: every frame of a free block is buddy alone", "[kpageflags]") {
  Machine m;
  const Pfn p = *m.memory.frames().allocate(0);
  m.memory.frames().free(p);
  CHECK(m.flags(p) == kpf({kKPF_BUDDY}));
  CHECK(m.count(p) == 0);
  // Not only the first frame of the block (PageBuddy) but its others (is_free_buddy_page).
  const Pfn last = Pfn(m.ram.memory().frame_count() - 1);
  REQUIRE(m.memory.frames().is_free(last));
  CHECK(m.flags(last) == kpf({kKPF_BUDDY}));
  CHECK(m.count(last) == 0);
}

TEST_CASE("kpageflags: memory without a frame record is reserved to the section's end",
          "[kpageflags]") {
  Machine m;  // 64 MiB: 16384 frames, half of a 128 MiB section
  CHECK(fs::procfs::kpage_dump_frames(m.memory) == 32768);
  CHECK(m.flags(Pfn(0)) == kpf({kKPF_RESERVED}));
  CHECK(m.flags(Pfn(1)) == kpf({kKPF_RESERVED}));  // the kernel's per-frame records
  CHECK(m.flags(Pfn(16384)) == kpf({kKPF_RESERVED}));
  CHECK(m.flags(Pfn(32767)) == kpf({kKPF_RESERVED}));
  CHECK(m.count(Pfn(16384)) == 0);
  // A read stops at the section's end.
  u64 out[4] = {1, 1, 1, 1};
  CHECK(fs::procfs::read_kpageflags(m.memory, 32766, out) == 2);
  CHECK(out[0] == kpf({kKPF_RESERVED}));
  CHECK(out[2] == 1);
  CHECK(fs::procfs::read_kpageflags(m.memory, 32768, out) == 0);
  CHECK(fs::procfs::read_kpagecount(m.memory, 32767, out) == 1);
  CHECK(out[0] == 0);
}

TEST_CASE("kpageflags: an anonymous page, shared after fork and read back from swap",
          "[kpageflags]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, 4 * kPageSize, false);
  poke(*as, kBase, 1);
  const Pfn page = pfn_at(*as, kBase);
  CHECK(m.flags(page) == kAnonPage);
  CHECK(m.count(page) == 1);
  auto child = as->fork().value();
  CHECK(m.flags(page) == kAnonPage);
  CHECK(m.count(page) == 2);
  child.reset();
  CHECK(m.count(page) == 1);
  SECTION("swapped out and read back: dirty, as RAM holds its only copy") {
    REQUIRE(as->madvise(kBase, kPageSize, kMADV_PAGEOUT).ok());
    CHECK(m.flags(page) == kpf({kKPF_BUDDY}));
    (void)as->handle_fault(kBase, kRead);
    const Pfn back = pfn_at(*as, kBase);
    CHECK(m.flags(back) == (kAnonPage | kpf({kKPF_DIRTY})));
    CHECK(m.count(back) == 1);
    CHECK(peek(*as, kBase) == 1);
  }
  SECTION("in the swap cache while a fork child still names the swap slot") {
    REQUIRE(as->madvise(kBase, kPageSize, kMADV_PAGEOUT).ok());
    auto other = as->fork().value();
    (void)as->handle_fault(kBase, kRead);
    const Pfn back = pfn_at(*as, kBase);
    // 6.1's PG_swapcache is PG_owner_priv_1, copied raw as well.
    CHECK(m.flags(back) == (kAnonPage | kpf({kKPF_SWAPCACHE, kKPF_OWNER_PRIVATE})));
    CHECK(m.count(back) == 1);
    CHECK(peek(*other, kBase) == 1);
  }
}

TEST_CASE("kpageflags: a PMD-mapped THP's head and tails", "[kpageflags][thp]") {
  Machine m;
  auto as = m.new_address_space();
  const Pfn head = huge_page_at_base(*as, 1);
  CHECK(m.flags(head) == kThpHead);
  CHECK(m.count(head) == 1);
  for (u64 i : {1, 2, 255, 511}) {
    CHECK(m.flags(nth(head, i)) == kThpTail);
    CHECK(m.count(nth(head, i)) == 1);
  }
}

TEST_CASE("kpageflags: a THP mapped huge by a parent and small by its fork child",
          "[kpageflags][thp]") {
  Machine m;
  auto parent = m.new_address_space();
  const Pfn head = huge_page_at_base(*parent, 3);
  auto child = parent->fork().value();
  // The child's write splits its own entry and copies one page; the parent stays huge.
  poke(*child, kBase + 9 * kPageSize + 5, 200);
  REQUIRE(huge_at(*parent, kBase));
  const Pfn copy = pfn_at(*child, kBase + 9 * kPageSize);
  REQUIRE(copy != nth(head, 9));
  // Every frame counts the parent's huge entry and the child's small entry on it. The
  // child's dirty huge entry left the page dirty when it was split (SetPageDirty).
  CHECK(m.flags(head) == (kThpHead | kpf({kKPF_DIRTY})));
  CHECK(m.count(head) == 2);
  CHECK(m.flags(nth(head, 10)) == kThpTail);
  CHECK(m.count(nth(head, 10)) == 2);
  // The frame the child no longer maps: the parent's huge entry alone.
  CHECK(m.flags(nth(head, 9)) == kThpTail);
  CHECK(m.count(nth(head, 9)) == 1);
  CHECK(m.flags(copy) == kAnonPage);
  CHECK(m.count(copy) == 1);
  SECTION("the parent's exit: the child's frames become ordinary pages") {
    // emu splits a page when its last huge entry goes; 6.1 keeps it compound, mapped small
    // by the child, until the deferred-split shrinker runs (mm/README.md).
    parent.reset();
    CHECK(m.flags(head) == kSplitPage);
    CHECK(m.count(head) == 1);
    CHECK(m.flags(nth(head, 10)) == kSplitPage);
    CHECK(m.count(nth(head, 10)) == 1);
    CHECK(m.flags(nth(head, 9)) == kpf({kKPF_BUDDY}));
  }
}

TEST_CASE("kpageflags: the zero page and the huge zero page", "[kpageflags][thp]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, kHuge, true);
  map_at(*as, kBase + kHuge, 4 * kPageSize, false);
  (void)as->handle_fault(kBase + kHuge, kRead);
  const Pfn zero = pfn_at(*as, kBase + kHuge);
  REQUIRE(zero == m.memory.zero_page());
  CHECK(m.flags(zero) == kpf({kKPF_ZERO_PAGE, kKPF_RESERVED}));
  CHECK(m.count(zero) == 0);
  (void)as->handle_fault(kBase, kRead);
  REQUIRE(huge_at(*as, kBase));
  const Pfn huge_zero = pfn_at(*as, kBase);
  REQUIRE(m.memory.is_huge_zero(huge_zero));
  // Mapped by a PMD but never counted, as 6.1's huge zero page; not reserved there.
  CHECK(m.flags(huge_zero) == kpf({kKPF_COMPOUND_HEAD, kKPF_THP, kKPF_ZERO_PAGE}));
  CHECK(m.flags(nth(huge_zero, 300)) == kpf({kKPF_COMPOUND_TAIL, kKPF_THP, kKPF_ZERO_PAGE}));
  CHECK(m.count(huge_zero) == 0);
  CHECK(m.count(nth(huge_zero, 300)) == 0);
}

TEST_CASE("kpageflags: a KSM page counts each entry that maps it", "[kpageflags][ksm]") {
  Machine m;
  auto a = m.new_address_space();
  auto b = m.new_address_space();
  map_at(*a, kBase, 2 * kPageSize, false);
  map_at(*b, kBase, kPageSize, false);
  for (u64 i = 0; i < 2; ++i) poke(*a, kBase + i * kPageSize, 'k');
  poke(*b, kBase, 'k');
  REQUIRE(a->madvise(kBase, 2 * kPageSize, kMADV_MERGEABLE).ok());
  REQUIRE(b->madvise(kBase, kPageSize, kMADV_MERGEABLE).ok());
  REQUIRE(m.memory.ksm().set_run(1).ok());
  m.memory.ksm().scan(1000);
  m.memory.ksm().scan(1000);
  const Pfn kpage = pfn_at(*a, kBase);
  REQUIRE(m.memory.frame(kpage).test(mm::PG_ksm));
  REQUIRE(pfn_at(*b, kBase) == kpage);
  // Merging write-protects the entries, and a dirty entry dirties the page, as in 6.1's
  // write_protect_page().
  CHECK(m.flags(kpage) == (kAnonPage | kpf({kKPF_DIRTY, kKPF_KSM})));
  CHECK(m.count(kpage) == 3);
}

TEST_CASE("kpageflags: a poisoned page keeps its kind, unmapped and off the LRU",
          "[kpageflags][hwpoison]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, 2 * kPageSize, false);
  poke(*as, kBase, 1);
  const Pfn page = pfn_at(*as, kBase);
  (void)mm::memory_failure(m.memory, page, 0);
  CHECK(m.flags(page) == kpf({kKPF_UPTODATE, kKPF_ANON, kKPF_SWAPBACKED, kKPF_HWPOISON}));
  CHECK(m.count(page) == 0);
  SECTION("a free frame taken off the free lists: poisoned alone") {
    const Pfn p = *m.memory.frames().allocate(0);
    m.memory.frames().free(p);
    (void)mm::memory_failure(m.memory, p, 0);
    CHECK(m.flags(p) == kpf({kKPF_HWPOISON}));
  }
}

TEST_CASE("split_huge_pages: a range's THPs split for every mapper, data intact",
          "[kpageflags][thp][split_huge_pages]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, 3 * kHuge, true);
  fill(*as, kBase, 3 * 512, 7);
  const Pfn first = pfn_at(*as, kBase);
  const Pfn second = pfn_at(*as, kBase + kHuge);
  const Pfn third = pfn_at(*as, kBase + 2 * kHuge);
  REQUIRE(m.flags(second) == kThpHead);
  SECTION("one page inside a THP is enough to split it") {
    const auto c = mm::split_huge_pages_in_range(m.memory, *as, kBase + kHuge + 0x5123,
                                                 kBase + kHuge + 0x6000);
    CHECK(c.total == 1);
    CHECK(c.split == 1);
    CHECK(m.flags(second) == kSplitPage);
    CHECK(m.flags(nth(second, 5)) == kSplitPage);
    CHECK(m.flags(first) == kThpHead);
    CHECK(m.flags(third) == kThpHead);
    CHECK(m.memory.stats().thp_split_page == 1);
  }
  SECTION("the end is rounded down: a range ending inside a THP's first page misses it") {
    const auto c = mm::split_huge_pages_in_range(m.memory, *as, kBase + kHuge - kPageSize,
                                                 kBase + kHuge + 0xfff);
    CHECK(c.total == 1);
    CHECK(m.flags(first) == kSplitPage);
    CHECK(m.flags(second) == kThpHead);
  }
  SECTION("the whole mapping") {
    CHECK(mm::split_huge_pages_in_range(m.memory, *as, kBase, kBase + 3 * kHuge).split == 3);
    for (Pfn p : {first, second, third}) CHECK(m.flags(nth(p, 100)) == kSplitPage);
    CHECK_FALSE(huge_at(*as, kBase));
  }
  CHECK(intact(*as, kBase, 3 * 512, 7));
  test::check_consistent(m.memory, {as.get()});
}

TEST_CASE("split_huge_pages: the walk stops at the first address outside every VMA",
          "[kpageflags][thp][split_huge_pages]") {
  Machine m;
  auto as = m.new_address_space();
  map_at(*as, kBase, kHuge, true);
  map_at(*as, kBase + 2 * kHuge, kHuge, true);
  fill(*as, kBase, 512, 1);
  fill(*as, kBase + 2 * kHuge, 512, 2);
  const Pfn before = pfn_at(*as, kBase);
  const Pfn after = pfn_at(*as, kBase + 2 * kHuge);
  const auto c = mm::split_huge_pages_in_range(m.memory, *as, kBase, kBase + 3 * kHuge);
  CHECK(c.split == 1);
  CHECK(m.flags(before) == kSplitPage);
  CHECK(m.flags(after) == kThpHead);
  // Starting in the hole finds nothing at all.
  CHECK(mm::split_huge_pages_in_range(m.memory, *as, kBase + kHuge, kBase + 3 * kHuge).total == 0);
  CHECK(m.flags(after) == kThpHead);
  test::check_consistent(m.memory, {as.get()});
}

TEST_CASE("split_huge_pages: a THP the range maps small is split for the mapper with it huge",
          "[kpageflags][thp][split_huge_pages]") {
  Machine m;
  auto parent = m.new_address_space();
  const Pfn head = huge_page_at_base(*parent, 9);
  auto child = parent->fork().value();
  poke(*child, kBase + 5, 42);  // the child's entry is split: it maps the THP small
  REQUIRE(huge_at(*parent, kBase));
  REQUIRE(m.flags(nth(head, 3)) == kThpTail);
  const auto c =
      mm::split_huge_pages_in_range(m.memory, *child, kBase + 3 * kPageSize, kBase + 4 * kPageSize);
  CHECK(c.split == 1);
  CHECK_FALSE(huge_at(*parent, kBase));
  CHECK(m.flags(head) == kSplitPage);
  CHECK(m.count(head) == 1);
  CHECK(m.flags(nth(head, 3)) == kSplitPage);
  CHECK(m.count(nth(head, 3)) == 2);
  CHECK(intact(*parent, kBase, 512, 9));
  CHECK(peek(*child, kBase + 5) == 42);
  CHECK(intact(*child, kBase + kPageSize, 511, 10));
  test::check_consistent(m.memory, {parent.get(), child.get()});
}

TEST_CASE("split_huge_pages: everything in RAM but the huge zero page",
          "[kpageflags][thp][split_huge_pages]") {
  Machine m;
  auto a = m.new_address_space();
  auto b = m.new_address_space();
  const Pfn ha = huge_page_at_base(*a, 1);
  const Pfn hb = huge_page_at_base(*b, 2);
  map_at(*a, kBase + 2 * kHuge, kHuge, true);
  (void)a->handle_fault(kBase + 2 * kHuge, kRead);
  const Pfn huge_zero = pfn_at(*a, kBase + 2 * kHuge);
  REQUIRE(m.memory.is_huge_zero(huge_zero));
  const auto c = mm::split_huge_pages_all(m.memory);
  CHECK(c.total == 2);
  CHECK(c.split == 2);
  CHECK(m.flags(ha) == kSplitPage);
  CHECK(m.flags(hb) == kSplitPage);
  CHECK(huge_at(*a, kBase + 2 * kHuge));
  CHECK(m.flags(huge_zero) == kpf({kKPF_COMPOUND_HEAD, kKPF_THP, kKPF_ZERO_PAGE}));
  CHECK(intact(*a, kBase, 512, 1));
  CHECK(intact(*b, kBase, 512, 2));
  test::check_consistent(m.memory, {a.get(), b.get()});
}

// ---- The files, as a booted guest sees them ----

namespace {

constexpr u64 kReadNr = 0, kWriteNr = 1, kOpenNr = 2, kCloseNr = 3, kStatNr = 4, kLseekNr = 8;
constexpr u64 kMmapNr = 9, kPreadNr = 17, kMadviseNr = 28, kSetresuidNr = 117;

i64 err(Errno e) {
  return -static_cast<i64>(e);
}

struct Guest {
  Guest() { started = k.start(); }

  u64 scratch() {
    if (!m_mem) m_mem = static_cast<u64>(k.call(kMmapNr, 0, 4 * kPageSize, 3, 0x22, ~u64{0}, 0));
    return m_mem;
  }
  u64 str(std::string_view s) {
    const std::string copy(s);
    REQUIRE(mm::copy_to_user(k.as(), scratch(), copy.c_str(), copy.size() + 1).ok());
    return scratch();
  }
  i64 open(std::string_view path, u64 flags = kO_RDONLY) {
    return k.call(kOpenNr, str(path), flags);
  }
  // pread of `n` u64 entries at entry `index`: the bytes read (or -errno), entries in out.
  i64 pread(i64 fd, u64 index, u64 n, u64* out, u64 byte_offset = 0) {
    const i64 got = k.call(kPreadNr, static_cast<u64>(fd), scratch() + kPageSize, n * 8,
                           index * 8 + byte_offset);
    if (got > 0)
      REQUIRE(mm::copy_from_user(k.as(), out, scratch() + kPageSize, static_cast<u64>(got)).ok());
    return got;
  }
  i64 write(i64 fd, std::string_view text) {
    REQUIRE(mm::copy_to_user(k.as(), scratch() + kPageSize, text.data(), text.size()).ok());
    return k.call(kWriteNr, static_cast<u64>(fd), scratch() + kPageSize, text.size());
  }
  // One write to /sys/kernel/debug/split_huge_pages: its answer.
  i64 split(std::string_view text) {
    const i64 fd = open("/sys/kernel/debug/split_huge_pages", kO_WRONLY);
    if (fd < 0) return fd;
    const i64 n = write(fd, text);
    k.call(kCloseNr, static_cast<u64>(fd));
    return n;
  }
  u32 mode(std::string_view path) {
    abi::Stat st{};
    REQUIRE(k.call(kStatNr, str(path), scratch() + kPageSize) == 0);
    REQUIRE(mm::copy_from_user(k.as(), &st, scratch() + kPageSize, sizeof st).ok());
    return st.st_mode;
  }
  // A THP-backed 2 MiB range in the guest, each page written.
  u64 huge_range() {
    const u64 raw = static_cast<u64>(k.call(kMmapNr, 0, 3 * kHuge, 3, 0x22, ~u64{0}, 0));
    const u64 va = (raw + kHuge - 1) & ~(kHuge - 1);
    REQUIRE(k.call(kMadviseNr, va, kHuge, kMADV_HUGEPAGE) == 0);
    fill(k.as(), va, 512, 30);
    REQUIRE(huge_at(k.as(), va));
    return va;
  }
  u64 flags(Pfn pfn) { return stable_page_flags(k.kernel.memory(), pfn); }

  test::BootedKernel k;
  bool started = false;

 private:
  u64 m_mem = 0;
};

#define BOOT(g) \
  Guest g;      \
  if (!g.started) SKIP("no " << test::BootedKernel::kProgram)

}  // namespace

TEST_CASE("/proc/kpageflags and kpagecount: root's files of one u64 per frame",
          "[kpageflags][procfs]") {
  BOOT(g);
  CHECK(g.mode("/proc/kpageflags") == (kS_IFREG | 0400));
  CHECK(g.mode("/proc/kpagecount") == (kS_IFREG | 0400));
  mm::AddressSpace& as = g.k.as();
  const u64 mem = g.scratch();
  poke(as, mem + 2 * kPageSize, 1);
  const Pfn page = pfn_at(as, mem + 2 * kPageSize);
  // The frame pagemap names, read at pfn * 8.
  const i64 pagemap = g.open("/proc/self/pagemap");
  const i64 flags = g.open("/proc/kpageflags");
  const i64 counts = g.open("/proc/kpagecount");
  REQUIRE(pagemap >= 0);
  REQUIRE(flags >= 0);
  REQUIRE(counts >= 0);
  u64 entry = 0;
  REQUIRE(g.pread(pagemap, (mem + 2 * kPageSize) >> kPageShift, 1, &entry) == 8);
  CHECK((entry & ((u64{1} << 55) - 1)) == page.value);
  u64 out[3] = {};
  REQUIRE(g.pread(flags, page.value - 1, 3, out) == 24);
  CHECK(out[1] == kAnonPage);
  CHECK(out[0] == g.flags(Pfn(page.value - 1)));
  CHECK(out[2] == g.flags(Pfn(page.value + 1)));
  REQUIRE(g.pread(counts, page.value, 1, out) == 8);
  CHECK(out[0] == 1);
  // Whole entries only; past the last section nothing; a write is EINVAL.
  CHECK(g.pread(flags, page.value, 1, out, 4) == err(Errno::kEINVAL));
  CHECK(g.k.call(kPreadNr, static_cast<u64>(flags), g.scratch() + kPageSize, 12, 0) ==
        err(Errno::kEINVAL));
  const u64 end = fs::procfs::kpage_dump_frames(g.k.kernel.memory());
  CHECK(g.pread(flags, end - 1, 3, out) == 8);
  CHECK(out[0] == kpf({kKPF_RESERVED}));
  CHECK(g.pread(counts, end, 1, out) == 0);
  // read() goes on from the file position, which lseek sets to any entry.
  CHECK(g.k.call(kLseekNr, static_cast<u64>(flags), page.value * 8, kSEEK_SET) ==
        static_cast<i64>(page.value * 8));
  CHECK(g.k.call(kReadNr, static_cast<u64>(flags), g.scratch() + kPageSize, 8) == 8);
  REQUIRE(mm::copy_from_user(as, out, g.scratch() + kPageSize, 8).ok());
  CHECK(out[0] == kAnonPage);
  const i64 rw = g.open("/proc/kpageflags", kO_RDWR);
  REQUIRE(rw >= 0);
  CHECK(g.write(rw, "12345678") == err(Errno::kEINVAL));
  // Without root, the mode keeps the files closed.
  REQUIRE(g.k.call(kSetresuidNr, 1000, 1000, 1000) == 0);
  CHECK(g.open("/proc/kpageflags") == err(Errno::kEACCES));
  CHECK(g.open("/proc/kpagecount") == err(Errno::kEACCES));
}

TEST_CASE("split_huge_pages: pid and range, split everything, or a file",
          "[kpageflags][split_huge_pages][sysfs]") {
  BOOT(g);
  CHECK(g.mode("/sys/kernel/debug") == (kS_IFDIR | 0700));
  CHECK(g.mode("/sys/kernel/debug/split_huge_pages") == (kS_IFREG | 0200));
  const u64 va = g.huge_range();
  const Pfn head = pfn_at(g.k.as(), va);
  REQUIRE(g.flags(nth(head, 7)) == kThpTail);
  const int pid = g.k.kernel.current().pid();
  char text[96];
  SECTION("the process's own range: the answer is the length of the input") {
    const int n = std::snprintf(text, sizeof text, "%d,0x%llx,0x%llx", pid,
                                static_cast<unsigned long long>(va + 7 * kPageSize),
                                static_cast<unsigned long long>(va + 8 * kPageSize));
    CHECK(g.split(text) == n);
    CHECK(g.flags(nth(head, 7)) == kSplitPage);
    CHECK(g.flags(head) == kSplitPage);
    CHECK_FALSE(huge_at(g.k.as(), va));
    CHECK(intact(g.k.as(), va, 512, 30));
  }
  SECTION("a range that holds no THP splits nothing") {
    std::snprintf(text, sizeof text, "%d,0x%llx,0x%llx\n", pid,
                  static_cast<unsigned long long>(g.scratch()),
                  static_cast<unsigned long long>(g.scratch() + kPageSize));
    CHECK(g.split(text) == static_cast<i64>(std::strlen(text)));
    CHECK(g.flags(head) == kThpHead);
  }
  SECTION("\"1\" alone splits every THP") {
    CHECK(g.split("1\n") == 2);
    CHECK(g.flags(head) == kSplitPage);
    CHECK(intact(g.k.as(), va, 512, 30));
  }
  SECTION("so does a 1 whose range does not parse: sscanf made one conversion") {
    CHECK(g.split("1,0X1000,0x2000") == 15);
    CHECK(g.flags(head) == kSplitPage);
  }
  SECTION("bad input: EINVAL; no such process: ESRCH") {
    CHECK(g.split("") == err(Errno::kEINVAL));
    CHECK(g.split("x") == err(Errno::kEINVAL));
    CHECK(g.split("2") == err(Errno::kEINVAL));
    CHECK(g.split("1,0x1000") == err(Errno::kEINVAL));
    CHECK(g.split("5,0X1000,0x2000") == err(Errno::kEINVAL));
    CHECK(g.split("99999,0x0,0x1000") == err(Errno::kESRCH));
    CHECK(g.split("0,0x0,0x1000") == err(Errno::kESRCH));
    CHECK(g.split("-3,0x0,0x1000") == err(Errno::kESRCH));
    CHECK(g.flags(head) == kThpHead);
  }
  SECTION("a file: opened, and with no huge page-cache pages nothing to split") {
    CHECK(g.split("/proc/meminfo,0x0,0x400") == 23);
    CHECK(g.split("/no/such/file,0x0,0x400") == err(Errno::kEINVAL));
    CHECK(g.split("/proc/meminfo,0,0x400") == err(Errno::kEINVAL));
    CHECK(g.split("/proc/meminfo") == err(Errno::kEINVAL));
    CHECK(g.flags(head) == kThpHead);
  }
  SECTION("a tmpfs file's shmem huge page (shmem_enabled force) is split") {
    const i64 knob = g.open("/sys/kernel/mm/transparent_hugepage/shmem_enabled", kO_WRONLY);
    REQUIRE(knob >= 0);
    REQUIRE(g.write(knob, "force") == 5);
    const i64 fd = g.open("/tmp/thp_file", kO_WRONLY | kO_CREAT);
    REQUIRE(fd >= 0);
    REQUIRE(g.write(fd, "x") == 1);  // write() brings the 2 MiB in as one huge page
    const mm::VmStats& stats = g.k.kernel.memory().stats();
    REQUIRE(stats.nr_shmem_thps == 1);
    const u64 splits = stats.thp_split_page;
    CHECK(g.split("/tmp/thp_file,0x200,0x400") == 25);  // past it: nothing
    CHECK(stats.nr_shmem_thps == 1);
    CHECK(g.split("/tmp/thp_file,0x0,0x400") == 23);
    CHECK(stats.nr_shmem_thps == 0);
    CHECK(stats.thp_split_page == splits + 1);
    CHECK(g.flags(head) == kThpHead);  // the anonymous one is another matter
  }
  SECTION("the input is a C string of at most 254 characters") {
    // " 1" and 298 more spaces: sscanf sees " 1" and spaces, 254 characters in all.
    CHECK(g.split(" 1" + std::string(298, ' ')) == 254);
    CHECK(g.flags(head) == kSplitPage);
  }
  SECTION("what the NUL ends is not seen") {
    CHECK(g.split(std::string("1\0,0x0,0x1", 10)) == 1);
    CHECK(g.flags(head) == kSplitPage);
  }
  SECTION("no read, no seek; root only") {
    const i64 fd = g.open("/sys/kernel/debug/split_huge_pages", kO_RDWR);
    REQUIRE(fd >= 0);
    CHECK(g.k.call(kReadNr, static_cast<u64>(fd), g.scratch(), 8) == err(Errno::kEINVAL));
    CHECK(g.k.call(kLseekNr, static_cast<u64>(fd), 0, kSEEK_SET) == err(Errno::kESPIPE));
    REQUIRE(g.k.call(kSetresuidNr, 1000, 1000, 1000) == 0);
    CHECK(g.open("/sys/kernel/debug/split_huge_pages", kO_WRONLY) == err(Errno::kEACCES));
    CHECK(g.flags(head) == kThpHead);
  }
}
