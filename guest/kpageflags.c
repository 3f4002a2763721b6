/* /proc/kpageflags, /proc/kpagecount and debugfs's split_huge_pages, used as Linux 6.1's
 * vm selftest split_huge_page_test uses them (split_pmd_thp, split_pte_mapped_thp), in a
 * form that holds on 6.1 itself: the THPs are found through /proc/self/pagemap's frame
 * numbers and KPF_THP, and a range is split by writing "<pid>,0x<start>,0x<end>".
 *   1. Four THPs mapped huge: 2048 THP pages; splitting the range leaves none, data intact.
 *   2. A THP mapped huge by the parent and small by its fork child (the child's write split
 *      its own entry): the child sees 511 THP pages; splitting the child's range splits the
 *      parent's entry too.
 *   3. "1" splits every THP in the system; bad input is EINVAL, no such process ESRCH.
 * Needs root and debugfs, and would split the host's pages natively: emu only, checked by
 * tests/guest/kpage_check.sh. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "thp.h"

#define KPF_LRU 5
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_THP 22
#define PFN_MASK ((UINT64_C(1) << 55) - 1)
#define SPLIT_DEBUGFS "/sys/kernel/debug/split_huge_pages"

static int pagemap_fd, kpageflags_fd, kpagecount_fd;

static void open_files(void) {
  pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
  kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
  kpagecount_fd = open("/proc/kpagecount", O_RDONLY);
  if (pagemap_fd < 0 || kpageflags_fd < 0 || kpagecount_fd < 0) {
    printf("open: %s\n", errname(errno));
    exit(1);
  }
}

static uint64_t read_u64(int fd, uint64_t index) {
  uint64_t v = 0;
  if (pread(fd, &v, sizeof v, (off_t)(index * sizeof v)) != sizeof v) {
    printf("pread: %s\n", errname(errno));
    exit(1);
  }
  return v;
}

static uint64_t pfn_of(const char* va) {
  return read_u64(pagemap_fd, (uintptr_t)va / PAGE) & PFN_MASK;
}

static uint64_t flags_of(const char* va) {
  return read_u64(kpageflags_fd, pfn_of(va));
}

static uint64_t count_of(const char* va) {
  return read_u64(kpagecount_fd, pfn_of(va));
}

/* Pages of [p, p + len) whose frame is part of a THP, and how many frames head one. */
static void count_thp(const char* p, size_t len, long* thp, long* heads) {
  *thp = *heads = 0;
  for (size_t i = 0; i < len; i += PAGE) {
    uint64_t f = flags_of(p + i);
    if (f & (UINT64_C(1) << KPF_THP)) ++*thp;
    if (f & (UINT64_C(1) << KPF_COMPOUND_HEAD)) ++*heads;
  }
}

static void show_thp(const char* what, const char* p, size_t len) {
  long thp, heads;
  count_thp(p, len, &thp, &heads);
  printf("%-34s THP pages %4ld, compound heads %ld, AnonHugePages %5ld kB\n", what, thp, heads,
         thp_smaps_sum(p, p + len, "AnonHugePages"));
}

/* The names of the bits a page's state decides. Left out: the LRU's aging bits, and
 * KPF_DIRTY, which follows how the page was written (the unit tests check it). */
static void show_flags(const char* what, const char* va) {
  static const struct {
    int bit;
    const char* name;
  } names[] = {{KPF_LRU, "lru"},
               {KPF_MMAP, "mmap"},
               {KPF_ANON, "anonymous"},
               {KPF_COMPOUND_HEAD, "head"},
               {KPF_COMPOUND_TAIL, "tail"},
               {KPF_THP, "thp"}};
  uint64_t f = flags_of(va);
  printf("%-34s", what);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (f & (UINT64_C(1) << names[i].bit)) printf(" %s", names[i].name);
  printf(", count %llu\n", (unsigned long long)count_of(va));
}

/* One write to split_huge_pages: "ok" when it took the whole input, else the errno. */
static const char* split(const char* input) {
  static char answer[64];
  int fd = open(SPLIT_DEBUGFS, O_WRONLY);
  if (fd < 0) return errname(errno);
  ssize_t n = write(fd, input, strlen(input));
  int e = errno;
  close(fd);
  if (n < 0) return errname(e);
  if ((size_t)n == strlen(input)) return "ok";
  snprintf(answer, sizeof answer, "took %zd of %zu", n, strlen(input));
  return answer;
}

static const char* split_range(pid_t pid, const char* start, const char* end) {
  char input[80];
  snprintf(input, sizeof input, "%d,0x%lx,0x%lx", (int)pid, (unsigned long)(uintptr_t)start,
           (unsigned long)(uintptr_t)end);
  return split(input);
}

static int bytes_intact(const char* p, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (p[i] != (char)i) return 0;
  return 1;
}

/* split_pmd_thp: four THPs mapped huge, split through the process's own range. */
static void split_pmd_thp(void) {
  size_t len = 4 * HUGE;
  char* p = thp_map_aligned(len);
  madvise(p, len, MADV_HUGEPAGE);
  for (size_t i = 0; i < len; ++i) p[i] = (char)i;
  show_thp("PMD-mapped, written:", p, len);
  show_flags("  a THP's first page:", p);
  show_flags("  a THP's 100th page:", p + 99 * PAGE);
  printf("split own range: %s\n", split_range(getpid(), p, p + len));
  printf("data after the split: %s\n", bytes_intact(p, len) ? "intact" : "CORRUPTED");
  show_thp("after the split:", p, len);
  show_flags("  the first page:", p);
  show_flags("  the 100th page:", p + 99 * PAGE);
  munmap(p, len);
}

/* split_pte_mapped_thp: a THP the range maps with small entries while another process
 * maps it huge (emu keeps a page compound while a huge entry maps it). */
static void split_pte_mapped_thp(void) {
  char* p = thp_map_aligned(HUGE);
  madvise(p, HUGE, MADV_HUGEPAGE);
  for (size_t i = 0; i < HUGE; ++i) p[i] = (char)i;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    /* The inherited pagemap descriptor shows the parent's pages. */
    close(pagemap_fd);
    pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
    p[0] = 1; /* copies page 0; the child's entry becomes 512 small ones */
    show_thp("child, PTE-mapped:", p, HUGE);
    /* A fresh small page may wait in a per-CPU batch before 6.1 puts it on the LRU:
     * only what it is not, and its count. */
    printf("  page 0 (its own copy):           %s, count %llu\n",
           flags_of(p) & (UINT64_C(1) << KPF_THP) ? "thp" : "not thp",
           (unsigned long long)count_of(p));
    show_flags("  page 1 (shared):", p + PAGE);
    printf("child splits its range: %s\n", split_range(getpid(), p + PAGE, p + 2 * PAGE));
    show_thp("child, after the split:", p, HUGE);
    show_flags("  page 1:", p + PAGE);
    p[0] = 0;
    printf("child's data: %s\n", bytes_intact(p, HUGE) ? "intact" : "CORRUPTED");
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  show_thp("parent, after the child's split:", p, HUGE);
  printf("parent's data: %s\n", bytes_intact(p, HUGE) ? "intact" : "CORRUPTED");
  munmap(p, HUGE);
}

static void split_all_and_errors(void) {
  char* p = thp_map_aligned(2 * HUGE);
  madvise(p, 2 * HUGE, MADV_HUGEPAGE);
  thp_fill(p, 2 * HUGE, 3);
  show_thp("two more THPs:", p, 2 * HUGE);
  printf("\"2\": %s\n", split("2"));
  printf("\"5,0x1000\": %s\n", split("5,0x1000"));
  printf("pid 0: %s\n", split("0,0x0,0x1000"));
  printf("no such pid: %s\n", split("2147483647,0x0,0x1000"));
  printf("a file without huge pages: %s\n", split("/proc/meminfo,0x0,0x400"));
  printf("no such file: %s\n", split("/no/such/file,0x0,0x400"));
  show_thp("after those:", p, 2 * HUGE);
  printf("\"1\": %s\n", split("1\n"));
  show_thp("after \"1\":", p, 2 * HUGE);
  printf("data: %s\n", thp_check(p, 2 * HUGE, 3) ? "intact" : "CORRUPTED");
  munmap(p, 2 * HUGE);
}

int main(void) {
  open_files();
  uint64_t v;
  printf("kpageflags at a byte offset: %s\n",
         pread(kpageflags_fd, &v, sizeof v, 4) < 0 ? errname(errno) : "read");
  printf("kpageflags, 4 bytes: %s\n", pread(kpageflags_fd, &v, 4, 0) < 0 ? errname(errno) : "read");
  int fd = open(SPLIT_DEBUGFS, O_RDONLY);
  char c;
  printf("split_huge_pages opened for reading: %s, read: %s\n", fd < 0 ? errname(errno) : "0",
         read(fd, &c, 1) < 0 ? errname(errno) : "data");
  close(fd);
  split_pmd_thp();
  split_pte_mapped_thp();
  split_all_and_errors();
  return 0;
}
