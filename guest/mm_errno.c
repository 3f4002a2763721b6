/* mm_errno: the mmap family's flags and errno paths (mmap, munmap, mprotect, mremap in every
 * direction, mlock, mlock2, munlock, mlockall, munlockall, mincore, brk), through raw
 * syscalls so that both libcs ask the kernel the same thing. Prints results, never
 * addresses. Run as root natively, the RLIMIT_MEMLOCK checks are waived on both sides. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define PAGE 4096UL
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static const uintptr_t noncanonical = 0x0000800000000000UL;
static const uintptr_t kernel_half = 0xffff800000001000UL;

static long sys6(long nr, uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d, uintptr_t e,
                 uintptr_t f) {
  return syscall(nr, a, b, c, d, e, f);
}

/* Prints "label: ok" (any non-error return) or "label: ENAME". */
static long show(const char* label, long ret) {
  int e = errno;
  if (ret == -1 && e != 0)
    printf("%s: %s\n", label, errname(e));
  else
    printf("%s: ok\n", label);
  errno = 0;
  return ret;
}

static char* map(size_t len, int prot, int flags, uintptr_t hint) {
  errno = 0;
  long r = sys6(SYS_mmap, hint, len, prot, flags | MAP_ANONYMOUS, (uintptr_t)-1, 0);
  CHECK(r != -1);
  madvise((void*)r, len, MADV_NOHUGEPAGE);
  return (char*)r;
}

static int resident(const void* p, size_t pages) {
  unsigned char v[64];
  CHECK(pages <= sizeof v);
  CHECK(syscall(SYS_mincore, p, pages * PAGE, v) == 0);
  int n = 0;
  for (size_t i = 0; i < pages; i++) n += v[i] & 1;
  return n;
}

static void mmap_flags(const char* self) {
  puts("-- mmap");
  const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
  errno = 0;
  show("len 0", sys6(SYS_mmap, 0, 0, PROT_READ, anon, -1, 0));
  show("len huge", sys6(SYS_mmap, 0, -PAGE / 2, PROT_READ, anon, -1, 0));
  show("len past task size", sys6(SYS_mmap, 0, 1UL << 48, PROT_READ, anon, -1, 0));
  show("offset unaligned", sys6(SYS_mmap, 0, PAGE, PROT_READ, anon, -1, 1));
  show("no type", sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
  show("type 0xf", sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_ANONYMOUS | 0xf, -1, 0));
  show("anon shared_validate",
       sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0));
  show("shared growsdown",
       sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0));
  show("fixed unaligned", sys6(SYS_mmap, 0x10000001, PAGE, PROT_READ, anon | MAP_FIXED, -1, 0));
  show("fixed past task size",
       sys6(SYS_mmap, 0x7ffffffff000UL, 2 * PAGE, PROT_READ, anon | MAP_FIXED, -1, 0));
  show("fixed non-canonical",
       sys6(SYS_mmap, noncanonical, PAGE, PROT_READ, anon | MAP_FIXED, -1, 0));
  show("hugetlb anon", sys6(SYS_mmap, 0, 2 << 20, PROT_READ, anon | MAP_HUGETLB, -1, 0));
  show("bad fd", sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 999, 0));

  int fd = open(self, O_RDONLY);
  CHECK(fd >= 0);
  show("file shared_validate", sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE, fd, 0));
  show("file shared_validate sync",
       sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0));
  show("file shared_validate noreplace", sys6(SYS_mmap, 0x300000000000UL, PAGE, PROT_READ,
                                              MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, fd, 0));
  show("file shared write on O_RDONLY",
       sys6(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  show("file growsdown", sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0));
  show("file hugetlb", sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_HUGETLB, fd, 0));
  show("file offset overflow",
       sys6(SYS_mmap, 0, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, (uintptr_t)-PAGE));

  /* DONTUNMAP of a private file mapping: the old range reads the file again. */
  char* f = (char*)sys6(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(f != MAP_FAILED);
  char* g =
      (char*)sys6(SYS_mremap, (uintptr_t)f, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0, 0);
  show("file dontunmap", (long)g);
  if (g != MAP_FAILED)
    printf("file dontunmap: old %s new %s\n", yesno(memcmp(f, "\177ELF", 4) == 0),
           yesno(memcmp(g, "\177ELF", 4) == 0));
  close(fd);

  /* MAP_FIXED_NOREPLACE over a mapping: EEXIST; over a hole: placed there. */
  char* a = map(4 * PAGE, PROT_READ, MAP_PRIVATE, 0);
  show("noreplace over mapping",
       sys6(SYS_mmap, (uintptr_t)a + PAGE, PAGE, PROT_READ, anon | MAP_FIXED_NOREPLACE, -1, 0));
  CHECK(munmap(a + PAGE, PAGE) == 0);
  long r = sys6(SYS_mmap, (uintptr_t)a + PAGE, PAGE, PROT_READ, anon | MAP_FIXED_NOREPLACE, -1, 0);
  printf("noreplace into hole: %s\n", yesno(r == (long)(a + PAGE)));

  /* MAP_POPULATE and MAP_LOCKED fault the pages in; MAP_NONBLOCK cancels POPULATE. */
  char* p = map(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE, 0);
  printf("populate resident: %d\n", resident(p, 4));
  p = map(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE | MAP_NONBLOCK, 0);
  printf("populate nonblock resident: %d\n", resident(p, 4));
  p = map(4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_LOCKED, 0);
  printf("locked resident: %d\n", resident(p, 4));
  p = map(4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_POPULATE, 0);
  printf("populate prot_none resident: %d\n", resident(p, 4));
  p = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, 0);
  p[0] = 1;
  printf("noreserve usable: %s\n", yesno(p[0] == 1));

  /* MAP_32BIT: below 2 GiB, from 1 GiB up. */
  p = map(PAGE, PROT_READ, MAP_PRIVATE | MAP_32BIT, 0);
  printf("32bit in [1G, 2G): %s\n",
         yesno((uintptr_t)p >= (1UL << 30) && (uintptr_t)p < (2UL << 30)));

  /* MAP_GROWSDOWN: a touch just below grows the mapping down. */
  char* gd = (char*)sys6(SYS_mmap, 0x200000000000UL, 2 * PAGE, PROT_READ | PROT_WRITE,
                         anon | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(gd != MAP_FAILED);
  gd[-1] = 3;
  printf("growsdown grew: %s\n", yesno(gd[-1] == 3));
}

static void munmap_mprotect(void) {
  puts("-- munmap / mprotect");
  char* a = map(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  show("munmap len 0", syscall(SYS_munmap, a, 0));
  show("munmap unaligned", syscall(SYS_munmap, a + 1, PAGE));
  show("munmap non-canonical", syscall(SYS_munmap, noncanonical, PAGE));
  show("munmap kernel half", syscall(SYS_munmap, kernel_half, PAGE));
  show("munmap huge len", syscall(SYS_munmap, a, -PAGE));
  show("munmap unmapped", syscall(SYS_munmap, 0x300000000000UL, PAGE));
  show("mprotect unaligned", syscall(SYS_mprotect, a + 1, PAGE, PROT_READ));
  show("mprotect len 0", syscall(SYS_mprotect, a, 0, PROT_READ));
  show("mprotect wraps", syscall(SYS_mprotect, a, -PAGE, PROT_READ));
  show("mprotect bad prot", syscall(SYS_mprotect, a, PAGE, 0x10));
  show("mprotect prot_sem", syscall(SYS_mprotect, a, PAGE, PROT_READ | 0x8));
  show("mprotect growsdown+up",
       syscall(SYS_mprotect, a, PAGE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP));
  show("mprotect growsdown on plain", syscall(SYS_mprotect, a, PAGE, PROT_READ | PROT_GROWSDOWN));
  show("mprotect growsup", syscall(SYS_mprotect, a, PAGE, PROT_READ | PROT_GROWSUP));
  show("mprotect non-canonical", syscall(SYS_mprotect, noncanonical, PAGE, PROT_READ));
  show("mprotect kernel half", syscall(SYS_mprotect, kernel_half, PAGE, PROT_READ));
  show("mprotect unmapped", syscall(SYS_mprotect, 0x300000000000UL, PAGE, PROT_READ));
  /* A hole in the middle: the part before it changes, then ENOMEM. */
  CHECK(munmap(a + 2 * PAGE, PAGE) == 0);
  show("mprotect over hole", syscall(SYS_mprotect, a, 4 * PAGE, PROT_READ));
  show("mlock read-only part", syscall(SYS_mlock, a, 2 * PAGE));
  /* PROT_NONE then back: a resident page stays resident (mincore counts it). */
  char* b = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  b[0] = 1;
  CHECK(mprotect(b, 2 * PAGE, PROT_NONE) == 0);
  printf("prot_none resident: %d\n", resident(b, 2));
  CHECK(mprotect(b, 2 * PAGE, PROT_READ) == 0);
  printf("kept across prot_none: %s\n", yesno(b[0] == 1));
}

static void mremap_dirs(void) {
  puts("-- mremap");
  const int mm = MREMAP_MAYMOVE;
  /* Five pages less the last: the space right after a is free. */
  char* a = map(5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  CHECK(munmap(a + 4 * PAGE, PAGE) == 0);
  for (int i = 0; i < 4; i++) a[i * PAGE] = (char)(10 + i);
  show("bad flags", sys6(SYS_mremap, (uintptr_t)a, PAGE, PAGE, 8, 0, 0));
  show("fixed without maymove",
       sys6(SYS_mremap, (uintptr_t)a, PAGE, PAGE, MREMAP_FIXED, 0x300000000000UL, 0));
  show("dontunmap without maymove",
       sys6(SYS_mremap, (uintptr_t)a, PAGE, PAGE, MREMAP_DONTUNMAP, 0, 0));
  show("dontunmap resize",
       sys6(SYS_mremap, (uintptr_t)a, PAGE, 2 * PAGE, mm | MREMAP_DONTUNMAP, 0, 0));
  show("unaligned", sys6(SYS_mremap, (uintptr_t)a + 1, PAGE, PAGE, mm, 0, 0));
  show("new len 0", sys6(SYS_mremap, (uintptr_t)a, PAGE, 0, mm, 0, 0));
  show("old len 0 private", sys6(SYS_mremap, (uintptr_t)a, 0, PAGE, mm, 0, 0));
  show("unmapped", sys6(SYS_mremap, 0x300000000000UL, PAGE, PAGE, mm, 0, 0));
  show("non-canonical", sys6(SYS_mremap, noncanonical, PAGE, PAGE, mm, 0, 0));
  show("kernel half", sys6(SYS_mremap, kernel_half, PAGE, PAGE, mm, 0, 0));
  show("huge old len shrink", sys6(SYS_mremap, (uintptr_t)a, -PAGE, PAGE, mm, 0, 0));
  show("huge old len 2^63", sys6(SYS_mremap, (uintptr_t)a, 1UL << 63, PAGE, mm, 0, 0));
  show("old len past vma grow", sys6(SYS_mremap, (uintptr_t)a, 8 * PAGE, 16 * PAGE, mm, 0, 0));
  show("fixed unaligned dest",
       sys6(SYS_mremap, (uintptr_t)a, PAGE, PAGE, mm | MREMAP_FIXED, 0x300000000001UL, 0));
  show("fixed overlapping", sys6(SYS_mremap, (uintptr_t)a, 2 * PAGE, 2 * PAGE, mm | MREMAP_FIXED,
                                 (uintptr_t)a + PAGE, 0));
  show("fixed past task size",
       sys6(SYS_mremap, (uintptr_t)a, PAGE, 2 * PAGE, mm | MREMAP_FIXED, 0x7ffffffff000UL, 0));
  show("fixed non-canonical",
       sys6(SYS_mremap, (uintptr_t)a, PAGE, PAGE, mm | MREMAP_FIXED, noncanonical, 0));

  /* Shrink in place. */
  long r = sys6(SYS_mremap, (uintptr_t)a, 4 * PAGE, 3 * PAGE, 0, 0, 0);
  printf("shrink: %s same %s data %d\n", r == -1 ? errname(errno) : "ok", yesno(r == (long)a),
         a[2 * PAGE]);
  /* Grow in place (the space after was just freed). */
  r = sys6(SYS_mremap, (uintptr_t)a, 3 * PAGE, 4 * PAGE, 0, 0, 0);
  printf("grow in place: %s same %s new page %d\n", r == -1 ? errname(errno) : "ok",
         yesno(r == (long)a), a[3 * PAGE]);
  /* Blocked growth without MAYMOVE: ENOMEM; with it: moved, contents kept. */
  char* block = (char*)sys6(SYS_mmap, (uintptr_t)a + 4 * PAGE, PAGE, PROT_READ,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(block == a + 4 * PAGE);
  show("grow blocked", sys6(SYS_mremap, (uintptr_t)a, 4 * PAGE, 6 * PAGE, 0, 0, 0));
  char* m = (char*)sys6(SYS_mremap, (uintptr_t)a, 4 * PAGE, 6 * PAGE, mm, 0, 0);
  CHECK(m != MAP_FAILED);
  printf("move: moved %s data %d %d %d tail %d old gone %s\n", yesno(m != a), m[0], m[PAGE],
         m[2 * PAGE], m[5 * PAGE], yesno(syscall(SYS_madvise, a, PAGE, MADV_NORMAL) == -1));
  /* FIXED onto a chosen place, replacing what was there. */
  char* dest = map(2 * PAGE, PROT_READ, MAP_PRIVATE, 0);
  char* fx = (char*)sys6(SYS_mremap, (uintptr_t)m, 2 * PAGE, 2 * PAGE, mm | MREMAP_FIXED,
                         (uintptr_t)dest, 0);
  printf("fixed: at dest %s data %d %d writable %s\n", yesno(fx == dest), fx[0], fx[PAGE],
         yesno(syscall(SYS_mprotect, fx, 2 * PAGE, PROT_READ | PROT_WRITE) == 0));
  /* FIXED into the same VMA (the tail of m moves to its head's freed place). */
  char* big = map(8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  big[6 * PAGE] = 66;
  big[7 * PAGE] = 77;
  r = sys6(SYS_mremap, (uintptr_t)big + 6 * PAGE, 2 * PAGE, 2 * PAGE, mm | MREMAP_FIXED,
           (uintptr_t)big, 0);
  printf("fixed same vma: %s data %d %d\n", yesno(r == (long)big), big[0], big[PAGE]);
  /* A shrinking FIXED move. */
  r = sys6(SYS_mremap, (uintptr_t)big, 2 * PAGE, PAGE, mm | MREMAP_FIXED, (uintptr_t)big + 4 * PAGE,
           0);
  printf("fixed shrink: %s data %d\n", yesno(r == (long)(big + 4 * PAGE)), big[4 * PAGE]);
  /* DONTUNMAP: moved, the old range stays and reads zero. */
  char* d = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  d[0] = 5;
  d[PAGE] = 6;
  char* nd = (char*)sys6(SYS_mremap, (uintptr_t)d, 2 * PAGE, 2 * PAGE, mm | MREMAP_DONTUNMAP, 0, 0);
  CHECK(nd != MAP_FAILED);
  printf("dontunmap: moved %s new %d %d old resident %d old %d\n", yesno(nd != d), nd[0], nd[PAGE],
         resident(d, 2), d[0]);
  /* DONTUNMAP with FIXED. */
  char* fd2 = map(2 * PAGE, PROT_READ, MAP_PRIVATE, 0);
  r = sys6(SYS_mremap, (uintptr_t)nd, 2 * PAGE, 2 * PAGE, mm | MREMAP_FIXED | MREMAP_DONTUNMAP,
           (uintptr_t)fd2, 0);
  printf("dontunmap fixed: %s data %d old %d\n", yesno(r == (long)fd2), fd2[PAGE], nd[PAGE]);
  /* Shared anonymous memory: old_len 0 duplicates (the duplicate is checked only for
   * being mapped). */
  char* s = map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
  r = sys6(SYS_mremap, (uintptr_t)s, 0, PAGE, mm, 0, 0);
  printf("shared duplicate: %s\n", r == -1 ? errname(errno) : "ok");
}

static void mlock_family(void) {
  puts("-- mlock");
  char* a = map(8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  show("mlock len 0", syscall(SYS_mlock, a, 0));
  show("mlock unaligned start", syscall(SYS_mlock, a + 100, PAGE));
  printf("mlock rounds: resident %d\n", resident(a, 8));
  show("mlock wraps", syscall(SYS_mlock, a, -1UL));
  show("mlock unmapped", syscall(SYS_mlock, 0x300000000000UL, PAGE));
  show("mlock non-canonical", syscall(SYS_mlock, noncanonical, PAGE));
  show("mlock kernel half", syscall(SYS_mlock, kernel_half, PAGE));
  show("mlock2 bad flags", syscall(SYS_mlock2, a, PAGE, 2));
  show("mlock2 onfault", syscall(SYS_mlock2, a + 4 * PAGE, 2 * PAGE, MLOCK_ONFAULT));
  printf("onfault resident: %d\n", resident(a + 4 * PAGE, 2));
  show("munlock", syscall(SYS_munlock, a, 8 * PAGE));
  show("munlock unmapped", syscall(SYS_munlock, 0x300000000000UL, PAGE));
  show("munlock wraps", syscall(SYS_munlock, a, -1UL));
  char* n = map(2 * PAGE, PROT_NONE, MAP_PRIVATE, 0);
  show("mlock prot_none", syscall(SYS_mlock, n, 2 * PAGE));
  CHECK(munmap(a + 2 * PAGE, PAGE) == 0);
  show("mlock over hole", syscall(SYS_mlock, a, 4 * PAGE));
  /* A locked range refuses MADV_DONTNEED. */
  show("dontneed locked", syscall(SYS_madvise, a, PAGE, MADV_DONTNEED));
  show("mlockall 0", syscall(SYS_mlockall, 0));
  show("mlockall onfault only", syscall(SYS_mlockall, MCL_ONFAULT));
  show("mlockall bad bit", syscall(SYS_mlockall, MCL_CURRENT | 8));
  show("mlockall future", syscall(SYS_mlockall, MCL_FUTURE));
  char* f = map(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  printf("future mapping resident: %d\n", resident(f, 3));
  show("mlockall future onfault", syscall(SYS_mlockall, MCL_FUTURE | MCL_ONFAULT));
  f = map(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  printf("future onfault resident: %d\n", resident(f, 3));
  /* MCL_CURRENT populates every VMA it can, going past a PROT_NONE one below it. */
  char* hi = map(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  char* lo = map(2 * PAGE, PROT_NONE, MAP_PRIVATE, 0);
  printf("prot_none below: %s\n", yesno(lo < hi));
  show("mlockall current", syscall(SYS_mlockall, MCL_CURRENT));
  printf("current resident past prot_none: %d\n", resident(hi, 3));
  show("munlockall", syscall(SYS_munlockall));
  f = map(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  printf("after munlockall resident: %d\n", resident(f, 3));
  show("dontneed after munlockall", syscall(SYS_madvise, a, PAGE, MADV_DONTNEED));
  struct rlimit rl;
  CHECK(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
  printf("memlock limit set: %s\n", yesno(rl.rlim_cur > 0));
}

static void mincore_brk(void) {
  puts("-- mincore / brk");
  char* a = map(4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
  unsigned char v[4];
  show("mincore unaligned", syscall(SYS_mincore, a + 1, PAGE, v));
  show("mincore len 0", syscall(SYS_mincore, a, 0, v));
  show("mincore non-canonical", syscall(SYS_mincore, noncanonical, PAGE, v));
  show("mincore huge len", syscall(SYS_mincore, a, 1UL << 62, v));
  show("mincore unmapped", syscall(SYS_mincore, 0x300000000000UL, PAGE, v));
  show("mincore vec null", syscall(SYS_mincore, a, PAGE, NULL));
  show("mincore vec kernel half", syscall(SYS_mincore, a, PAGE, kernel_half));
  show("mincore vec read-only",
       syscall(SYS_mincore, a, PAGE, map(PAGE, PROT_READ, MAP_PRIVATE, 0)));
  a[PAGE] = 1;
  printf("mincore partial page len: %d\n", resident(a, 2));
  long cur = syscall(SYS_brk, 0);
  printf("brk(-100) keeps break: %s\n", yesno(syscall(SYS_brk, (uintptr_t)-100) == cur));
  printf("brk(2^47) keeps break: %s\n", yesno(syscall(SYS_brk, 1UL << 47) == cur));
  printf("brk(1) keeps break: %s\n", yesno(syscall(SYS_brk, 1) == cur));
  long grown = syscall(SYS_brk, cur + 3 * PAGE);
  printf("brk grows: %s\n", yesno(grown == cur + (long)(3 * PAGE)));
  printf("brk shrinks: %s\n", yesno(syscall(SYS_brk, cur) == cur));
}

int main(int argc, char** argv) {
  (void)argc;
  setvbuf(stdout, NULL, _IONBF, 0);
  mmap_flags(argv[0]);
  munmap_mprotect();
  mremap_dirs();
  mlock_family();
  mincore_brk();
  puts("done");
  return 0;
}
