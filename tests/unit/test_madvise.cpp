// Each madvise advice's effect on an address space, on private anonymous memory, shared
// objects and a file's page cache (a memory object that fills pages with a pattern).
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>

#include "booted_kernel.h"
#include "kernel/fs/procfs/mm_view.h"
#include "kernel/fs/procfs/task_mmu.h"
#include "kernel/mm/advice.h"
#include "kernel/mm/memory_object.h"

using namespace kernel;
using x86_64::Pte;

namespace {

constexpr u32 kRead = mm::kFaultUser;
constexpr u32 kWrite = mm::kFaultUser | mm::kFaultWrite;
constexpr u64 kRw = abi::kPROT_READ | abi::kPROT_WRITE;

// A file's page cache whose page i holds the byte 'A' + i % 26, as a host file would.
class PatternFile final : public mm::MemoryObject {
 public:
  PatternFile(mm::MemoryManager& mm, u64 pages) : MemoryObject(mm, mm::ObjectKind::PageCache) {
    set_size(pages * kPageSize);
  }
  int reads = 0;

 protected:
  Result<void> fill(u64 index, u8* page) override {
    ++reads;
    std::memset(page, 'A' + static_cast<int>(index % 26), kPageSize);
    return {};
  }
};

struct Fixture : test::MemoryFixture {
  Fixture() : test::MemoryFixture(32 << 20) {}
  std::unique_ptr<mm::AddressSpace> owned = new_address_space();
  mm::AddressSpace& as = *owned;

  u64 map(u64 pages, u64 prot = kRw, bool shared = false,
          std::shared_ptr<mm::MemoryObject> object = nullptr) {
    mm::MapRequest req;
    req.length = pages * kPageSize;
    req.prot = prot;
    req.shared = shared;
    req.object = std::move(object);
    auto r = as.map(req);
    REQUIRE(r.ok());
    return r.value();
  }
  u8 read(u64 va) {
    const Pte pte = as.page_table().lookup(va).pte;
    if (!pte.present()) REQUIRE(as.handle_fault(va, kRead).handled());
    return *(ram.memory().frame(as.page_table().lookup(va).pte.pfn()) + (va & kPageMask));
  }
  void write(u64 va, u8 value) {
    Pte pte = as.page_table().lookup(va).pte;
    if (!pte.present() || !pte.writable())
      REQUIRE(as.handle_fault(va, kWrite | (pte.present() ? mm::kFaultPresent : 0)).handled());
    pte = as.page_table().lookup(va).pte;
    *(ram.memory().frame(pte.pfn()) + (va & kPageMask)) = value;
  }
  bool present(u64 va) { return as.page_table().lookup(va).pte.present(); }
  abi::Errno advise(u64 va, u64 pages, int advice) {
    auto r = as.madvise(va, pages * kPageSize, advice);
    return r.ok() ? abi::Errno::None : r.error();
  }
};

}  // namespace

TEST_CASE("every advice value has one table row, in numeric order", "[madvise]") {
  int last = -1;
  for (const mm::AdviceInfo& info : mm::advice_table()) {
    CHECK(info.value > last);
    last = info.value;
    CHECK(mm::find_advice(info.value) == &info);
    CHECK((info.handler != nullptr) == info.supported);
  }
  CHECK(mm::advice_table().size() == 25);
  CHECK(mm::find_advice(26) == nullptr);
  CHECK(mm::find_advice(99) == nullptr);
  // process_madvise takes exactly these (Linux 6.1's process_madvise_behavior_valid).
  for (const mm::AdviceInfo& info : mm::advice_table())
    CHECK(info.process_madvise ==
          (info.value == abi::kMADV_COLD || info.value == abi::kMADV_PAGEOUT ||
           info.value == abi::kMADV_WILLNEED || info.value == abi::kMADV_COLLAPSE));
}

TEST_CASE("DONTNEED zeroes private anonymous pages and keeps shared ones", "[madvise]") {
  Fixture f;
  const u64 priv = f.map(2);
  f.write(priv, 'p');
  auto shm = std::make_shared<mm::MemoryObject>(f.memory, mm::ObjectKind::SharedAnon);
  REQUIRE(shm->resize(2 * kPageSize).ok());
  const u64 shared = f.map(2, kRw, true, shm);
  f.write(shared, 's');
  CHECK(f.advise(priv, 2, abi::kMADV_DONTNEED) == abi::Errno::None);
  CHECK(f.advise(shared, 2, abi::kMADV_DONTNEED) == abi::Errno::None);
  CHECK_FALSE(f.present(priv));
  CHECK_FALSE(f.present(shared));
  CHECK(f.read(priv) == 0);
  CHECK(f.read(shared) == 's');
  CHECK(f.as.page_resident(shared + kPageSize) == false);  // never written: not in the object
}

TEST_CASE("DONTNEED on a private file mapping brings the file's bytes back", "[madvise]") {
  Fixture f;
  auto file = std::make_shared<PatternFile>(f.memory, 4);
  const u64 at = f.map(4, kRw, false, file);
  CHECK(f.read(at + kPageSize) == 'B');
  f.write(at + kPageSize, 'z');
  CHECK(f.read(at + kPageSize) == 'z');
  CHECK(f.advise(at, 4, abi::kMADV_DONTNEED) == abi::Errno::None);
  CHECK(f.read(at + kPageSize) == 'B');
}

TEST_CASE("DONTNEED and FREE refuse locked VMAs; DONTNEED_LOCKED does not", "[madvise]") {
  Fixture f;
  mm::MapRequest req;
  req.length = kPageSize;
  req.prot = kRw;
  req.extra_flags = mm::VM_LOCKED;
  const u64 at = f.as.map(req).value();
  f.write(at, 'l');
  CHECK(f.advise(at, 1, abi::kMADV_DONTNEED) == abi::Errno::kEINVAL);
  CHECK(f.advise(at, 1, abi::kMADV_FREE) == abi::Errno::kEINVAL);
  CHECK(f.advise(at, 1, abi::kMADV_REMOVE) == abi::Errno::kEINVAL);
  CHECK(f.advise(at, 1, abi::kMADV_COLD) == abi::Errno::kEINVAL);
  CHECK(f.advise(at, 1, abi::kMADV_PAGEOUT) == abi::Errno::kEINVAL);
  CHECK(f.read(at) == 'l');
  CHECK(f.advise(at, 1, abi::kMADV_DONTNEED_LOCKED) == abi::Errno::None);
  CHECK(f.read(at) == 0);
}

TEST_CASE("FREE leaves the data until reclaim and marks the page lazily freed", "[madvise]") {
  Fixture f;
  const u64 at = f.map(2);
  f.write(at, 'f');
  f.write(at + kPageSize, 'g');
  const Pfn frame = f.as.page_table().lookup(at).pte.pfn();
  CHECK(f.as.page_table().lookup(at).pte.dirty());
  CHECK(f.advise(at, 2, abi::kMADV_FREE) == abi::Errno::None);
  const Pte after = f.as.page_table().lookup(at).pte;
  CHECK(after.present());
  CHECK_FALSE(after.dirty());
  CHECK_FALSE(after.accessed());
  CHECK(f.memory.frame(frame).test(mm::PG_lazyfree));
  CHECK(f.read(at) == 'f');
  CHECK(f.cpu.tlb_flushes > 0);
}

TEST_CASE("FREE is EINVAL on shared and file memory", "[madvise]") {
  Fixture f;
  auto shm = std::make_shared<mm::MemoryObject>(f.memory, mm::ObjectKind::SharedAnon);
  REQUIRE(shm->resize(kPageSize).ok());
  CHECK(f.advise(f.map(1, kRw, true, shm), 1, abi::kMADV_FREE) == abi::Errno::kEINVAL);
  auto file = std::make_shared<PatternFile>(f.memory, 1);
  CHECK(f.advise(f.map(1, kRw, false, file), 1, abi::kMADV_FREE) == abi::Errno::kEINVAL);
}

TEST_CASE("REMOVE punches the object for every mapper and keeps its size", "[madvise]") {
  Fixture f;
  auto shm = std::make_shared<mm::MemoryObject>(f.memory, mm::ObjectKind::Memfd);
  REQUIRE(shm->resize(3 * kPageSize).ok());
  const u64 a = f.map(3, kRw, true, shm);
  const u64 b = f.map(3, kRw, true, shm);
  for (u64 i = 0; i < 3; ++i) f.write(a + i * kPageSize, static_cast<u8>('1' + i));
  CHECK(f.read(b + kPageSize) == '2');
  CHECK(f.advise(a + kPageSize, 1, abi::kMADV_REMOVE) == abi::Errno::None);
  CHECK_FALSE(f.present(b + kPageSize));
  CHECK(f.read(b + kPageSize) == 0);
  CHECK(f.read(b) == '1');
  CHECK(shm->size() == 3 * kPageSize);
  // Private anonymous memory has nothing to punch; a read-only or private object mapping
  // may not punch its object.
  CHECK(f.advise(f.map(1), 1, abi::kMADV_REMOVE) == abi::Errno::kEINVAL);
  CHECK(f.advise(f.map(1, abi::kPROT_READ, true, shm), 1, abi::kMADV_REMOVE) ==
        abi::Errno::kEACCES);
  CHECK(f.advise(f.map(1, kRw, false, shm), 1, abi::kMADV_REMOVE) == abi::Errno::kEACCES);
}

TEST_CASE("file faults read around, ahead, or one page as the advice says", "[madvise]") {
  Fixture f;
  auto file = std::make_shared<PatternFile>(f.memory, 128);
  const u64 at = f.map(128, abi::kPROT_READ, false, file);
  auto cached = [&](u64 first, u64 last) {
    std::string s;
    for (u64 i = first; i < last; ++i) s += file->find_page(i) ? '1' : '0';
    return s;
  };
  SECTION("NORMAL: the 32-page window around the fault") {
    CHECK(f.read(at + 64 * kPageSize) == 'A' + 64 % 26);
    CHECK(cached(46, 82) == "00" + std::string(32, '1') + "00");
  }
  SECTION("SEQUENTIAL: the window ahead of the fault") {
    CHECK(f.advise(at, 128, abi::kMADV_SEQUENTIAL) == abi::Errno::None);
    (void)f.read(at + 64 * kPageSize);
    CHECK(cached(62, 98) == "00" + std::string(32, '1') + "00");
  }
  SECTION("RANDOM: the faulting page alone") {
    CHECK(f.advise(at, 128, abi::kMADV_RANDOM) == abi::Errno::None);
    (void)f.read(at + 64 * kPageSize);
    CHECK(cached(0, 128) == std::string(64, '0') + "1" + std::string(63, '0'));
    CHECK(file->reads == 1);
  }
  SECTION("WILLNEED reads the whole range in, unmapped") {
    CHECK(f.advise(at + 100 * kPageSize, 10, abi::kMADV_WILLNEED) == abi::Errno::None);
    CHECK(cached(99, 111) == "0" + std::string(10, '1') + "0");
    CHECK_FALSE(f.present(at + 100 * kPageSize));
    CHECK(f.as.page_resident(at + 100 * kPageSize));
  }
}

TEST_CASE("PAGEOUT drops clean page-cache pages only this mapping uses", "[madvise]") {
  Fixture f;
  auto file = std::make_shared<PatternFile>(f.memory, 4);
  const u64 mine = f.map(4, abi::kPROT_READ, false, file);
  const u64 other = f.map(4, abi::kPROT_READ, false, file);
  CHECK(f.advise(mine, 4, abi::kMADV_RANDOM) == abi::Errno::None);
  (void)f.read(mine);
  (void)f.read(mine + kPageSize);
  (void)f.read(other + kPageSize);  // page 1 has two mappers
  CHECK(f.advise(mine, 4, abi::kMADV_PAGEOUT) == abi::Errno::None);
  CHECK_FALSE(file->find_page(0).has_value());
  CHECK(file->find_page(1).has_value());
  CHECK(f.present(mine + kPageSize));
  CHECK(f.read(mine) == 'A');  // read from the file again
}

TEST_CASE("COLD clears accessed bits and the active state of exclusive pages", "[madvise]") {
  Fixture f;
  const u64 at = f.map(1);
  f.write(at, 'c');
  const Pfn frame = f.as.page_table().lookup(at).pte.pfn();
  f.memory.frame(frame).set(mm::PG_active);
  CHECK(f.as.page_table().lookup(at).pte.accessed());
  CHECK(f.advise(at, 1, abi::kMADV_COLD) == abi::Errno::None);
  CHECK_FALSE(f.as.page_table().lookup(at).pte.accessed());
  CHECK_FALSE(f.memory.frame(frame).test(mm::PG_active));
  CHECK(f.read(at) == 'c');
}

TEST_CASE("POPULATE gives EINVAL for permissions, EFAULT past EOF, ENOMEM for holes", "[madvise]") {
  Fixture f;
  const u64 none = f.map(2, abi::kPROT_NONE);
  CHECK(f.advise(none, 1, abi::kMADV_POPULATE_READ) == abi::Errno::kEINVAL);
  const u64 ro = f.map(2, abi::kPROT_READ);
  CHECK(f.advise(ro, 2, abi::kMADV_POPULATE_WRITE) == abi::Errno::kEINVAL);
  CHECK(f.advise(ro, 2, abi::kMADV_POPULATE_READ) == abi::Errno::None);
  CHECK(f.present(ro + kPageSize));
  auto file = std::make_shared<PatternFile>(f.memory, 1);
  const u64 past = f.map(3, abi::kPROT_READ, false, file);
  CHECK(f.advise(past, 3, abi::kMADV_POPULATE_READ) == abi::Errno::kEFAULT);
  const u64 rw = f.map(3);
  REQUIRE(f.as.unmap(rw + kPageSize, kPageSize).ok());
  CHECK(f.advise(rw, 3, abi::kMADV_POPULATE_WRITE) == abi::Errno::kENOMEM);
  // Both mapped parts were populated before the hole was reported.
  CHECK(f.present(rw));
  CHECK(f.present(rw + 2 * kPageSize));
}

TEST_CASE("flag advice splits VMAs, sets VM_* bits and merges back", "[madvise]") {
  Fixture f;
  const u64 at = f.map(4);
  const size_t before = f.as.vmas().size();
  CHECK(f.advise(at + kPageSize, 2, abi::kMADV_DONTDUMP) == abi::Errno::None);
  CHECK(f.as.vmas().size() == before + 2);
  CHECK(f.as.find_vma(at + kPageSize)->flags & mm::VM_DONTDUMP);
  CHECK_FALSE(f.as.find_vma(at)->flags & mm::VM_DONTDUMP);
  CHECK(f.advise(at + kPageSize, 2, abi::kMADV_DODUMP) == abi::Errno::None);
  CHECK(f.as.vmas().size() == before);
  struct Case {
    int advice;
    u64 set;
  };
  for (Case c :
       {Case{abi::kMADV_RANDOM, mm::VM_RAND_READ}, Case{abi::kMADV_SEQUENTIAL, mm::VM_SEQ_READ},
        Case{abi::kMADV_DONTFORK, mm::VM_DONTCOPY}, Case{abi::kMADV_WIPEONFORK, mm::VM_WIPEONFORK},
        Case{abi::kMADV_HUGEPAGE, mm::VM_HUGEPAGE}, Case{abi::kMADV_NOHUGEPAGE, mm::VM_NOHUGEPAGE},
        Case{abi::kMADV_MERGEABLE, mm::VM_MERGEABLE}}) {
    INFO("advice " << c.advice);
    CHECK(f.advise(at, 4, c.advice) == abi::Errno::None);
    CHECK(f.as.find_vma(at)->flags & c.set);
  }
  CHECK_FALSE(f.as.find_vma(at)->flags & mm::VM_HUGEPAGE);   // NOHUGEPAGE cleared it
  CHECK_FALSE(f.as.find_vma(at)->flags & mm::VM_RAND_READ);  // SEQUENTIAL cleared it
  for (int undo :
       {abi::kMADV_NORMAL, abi::kMADV_DOFORK, abi::kMADV_KEEPONFORK, abi::kMADV_UNMERGEABLE})
    CHECK(f.advise(at, 4, undo) == abi::Errno::None);
  const u64 flags = f.as.find_vma(at)->flags;
  CHECK_FALSE(flags & (mm::VM_SEQ_READ | mm::VM_DONTCOPY | mm::VM_WIPEONFORK | mm::VM_MERGEABLE));
}

TEST_CASE("MERGEABLE leaves shared mappings unchanged; WIPEONFORK refuses them", "[madvise]") {
  Fixture f;
  auto shm = std::make_shared<mm::MemoryObject>(f.memory, mm::ObjectKind::SharedAnon);
  REQUIRE(shm->resize(kPageSize).ok());
  const u64 at = f.map(1, kRw, true, shm);
  CHECK(f.advise(at, 1, abi::kMADV_MERGEABLE) == abi::Errno::None);
  CHECK_FALSE(f.as.find_vma(at)->flags & mm::VM_MERGEABLE);
  CHECK(f.advise(at, 1, abi::kMADV_WIPEONFORK) == abi::Errno::kEINVAL);
}

TEST_CASE(
    "COLLAPSE of less than a huge page, and HWPOISON or SOFT_OFFLINE in a VMA walk, are EINVAL",
    "[madvise]") {
  Fixture f;
  const u64 at = f.map(1);
  // MADV_COLLAPSE works (test_thp.cpp); a range inside one huge page is EINVAL in 6.1.
  // MADV_HWPOISON and MADV_SOFT_OFFLINE go to the kernel's memory-failure code before any
  // VMA walk (test_hwpoison.cpp); an address space's own walk refuses them.
  CHECK(f.advise(at, 1, abi::kMADV_COLLAPSE) == abi::Errno::kEINVAL);
  CHECK(f.advise(at, 1, abi::kMADV_HWPOISON) == abi::Errno::kEINVAL);
  CHECK(f.advise(at, 1, abi::kMADV_SOFT_OFFLINE) == abi::Errno::kEINVAL);
}

TEST_CASE("a range past the last VMA is ENOMEM after the mapped part is advised", "[madvise]") {
  Fixture f;
  const u64 at = f.map(1);
  f.write(at, 'q');
  // Nothing maps the pages above the newest mapping's end... except older mappings; pick
  // the top of the address space, where nothing is.
  CHECK(f.advise(mm::kTaskSize - kPageSize, 1, abi::kMADV_DONTNEED) == abi::Errno::kENOMEM);
  CHECK(f.read(at) == 'q');
}

TEST_CASE("advice recorded on a VMA shows in smaps VmFlags", "[madvise]") {
  Fixture f;
  const u64 at = f.map(1);
  auto vmflags = [&] {
    const std::string smaps = fs::procfs::render_smaps(fs::procfs::MmView(f.as, f.frames));
    const auto pos = smaps.find("VmFlags:");
    REQUIRE(pos != std::string::npos);
    return smaps.substr(pos, smaps.find('\n', pos) - pos);
  };
  CHECK(vmflags() == "VmFlags: rd wr mr mw me sd ");
  struct Case {
    int advice;
    const char* shown;
  };
  for (Case c : {Case{abi::kMADV_SEQUENTIAL, " sr "}, Case{abi::kMADV_RANDOM, " rr "},
                 Case{abi::kMADV_DONTFORK, " dc "}, Case{abi::kMADV_WIPEONFORK, " wf "},
                 Case{abi::kMADV_DONTDUMP, " dd "}, Case{abi::kMADV_HUGEPAGE, " hg "},
                 Case{abi::kMADV_NOHUGEPAGE, " nh "}, Case{abi::kMADV_MERGEABLE, " mg "}}) {
    INFO("advice " << c.advice);
    REQUIRE(f.advise(at, 1, c.advice) == abi::Errno::None);
    CHECK(vmflags().find(c.shown) != std::string::npos);
  }
  for (int undo : {abi::kMADV_NORMAL, abi::kMADV_DOFORK, abi::kMADV_KEEPONFORK, abi::kMADV_DODUMP,
                   abi::kMADV_UNMERGEABLE})
    REQUIRE(f.advise(at, 1, undo) == abi::Errno::None);
  CHECK(vmflags() == "VmFlags: rd wr mr mw me sd nh ");
}
