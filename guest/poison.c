/* poison: hardware-poison cases checked against Linux 6.1's memory-failure semantics.
 * The host cannot run these safely (MADV_HWPOISON retires real RAM), so
 * tests/guest/poison_check.sh runs them under emu only, against expected output, and
 * compare.sh leaves poison* out.
 *
 * Usage: poison CASE [ARGS]. Addresses print as offsets from the mapping they fall in.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef PR_MCE_KILL
#define PR_MCE_KILL 33
#define PR_MCE_KILL_GET 34
#endif
#define EHWPOISON_VALUE 133
#define PAGE 4096L

static sigjmp_buf jump;
static volatile int got_code;
static volatile uintptr_t got_addr;
static volatile int got_lsb;
static volatile int got_signal;

static void on_sigbus(int sig, siginfo_t* info, void* uc) {
  (void)uc;
  got_signal = sig;
  got_code = info->si_code;
  got_addr = (uintptr_t)info->si_addr;
  /* si_addr_lsb sits right after si_addr (offset 0x18) in both libcs' layouts. */
  got_lsb = *(short*)((char*)info + 0x18);
  siglongjmp(jump, 1);
}

static void catch_sigbus(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, NULL);
}

static const char* code_name(int code) {
  switch (code) {
    case 4:
      return "BUS_MCEERR_AR";
    case 5:
      return "BUS_MCEERR_AO";
    case 0x80:
      return "SI_KERNEL";
    default:
      return "?";
  }
}

static const char* err(int e) {
  return e == EHWPOISON_VALUE ? "EHWPOISON" : errname(e);
}

/* Touches *p (read or write); prints what happened, relative to base. */
static void touch(const char* who, char* base, char* p, int write) {
  got_signal = 0;
  if (sigsetjmp(jump, 1) == 0) {
    if (write)
      *(volatile char*)p = 'w';
    else
      (void)*(volatile char*)p;
    printf("%s: %s +%#lx ok\n", who, write ? "write" : "read", (long)(p - base));
  } else {
    printf("%s: %s +%#lx SIGBUS %s addr=+%#lx lsb=%d\n", who, write ? "write" : "read",
           (long)(p - base), code_name(got_code), (long)(got_addr - (uintptr_t)base), got_lsb);
  }
  fflush(stdout);
}

static long hardware_corrupted_kb(void) {
  FILE* f = fopen("/proc/meminfo", "r");
  char line[256];
  long kb = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "HardwareCorrupted: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb;
}

static uint64_t pagemap_entry(void* addr) {
  uint64_t entry = 0;
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0) return 0;
  if (pread(fd, &entry, sizeof entry, (off_t)((uintptr_t)addr / PAGE) * 8) != sizeof entry)
    entry = 0;
  close(fd);
  return entry;
}

static uint64_t pfn_of(void* addr) {
  return pagemap_entry(addr) & ((1ULL << 55) - 1);
}

static char* map_pages(int n, char fill) {
  char* p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  for (int i = 0; i < n; i++) memset(p + i * PAGE, fill + i, PAGE);
  return p;
}

static int intact(char* page, char value) {
  for (long i = 0; i < PAGE; i++)
    if (page[i] != value) return 0;
  return 1;
}

static int madv(void* p, long len, int advice) {
  return madvise(p, len, advice) == 0 ? 0 : errno;
}

/* MADV_HWPOISON on one page of four: the neighbours are intact, the page's entry is a
 * hwpoison entry (pagemap), touching it is SIGBUS BUS_MCEERR_AR at the exact address,
 * HardwareCorrupted grew by one page, mincore says resident, populate is EHWPOISON, and
 * syscalls copying from or to it fail with EFAULT. */
static int case_anon(void) {
  catch_sigbus();
  char* p = map_pages(4, 'a');
  long before = hardware_corrupted_kb();
  uint64_t pfn = pfn_of(p + PAGE);
  printf("madvise(MADV_HWPOISON) = %s\n", err(madv(p + PAGE, PAGE, MADV_HWPOISON)));
  printf("HardwareCorrupted grew by %ld kB\n", hardware_corrupted_kb() - before);
  for (int i = 0; i < 4; i++)
    if (i != 1) printf("page %d intact: %s\n", i, intact(p + i * PAGE, 'a' + i) ? "yes" : "no");
  uint64_t e = pagemap_entry(p + PAGE);
  printf("pagemap: present=%d swap=%d type=%d offset-is-pfn=%s\n", (int)(e >> 63 & 1),
         (int)(e >> 62 & 1), (int)(e & 31), ((e & ((1ULL << 55) - 1)) >> 5) == pfn ? "yes" : "no");
  touch("anon", p, p + PAGE + 17, 0);
  touch("anon", p, p + PAGE + 100, 1);
  touch("anon", p, p + 2 * PAGE, 0);
  unsigned char vec[4];
  printf("mincore = %s:", err(mincore(p, 4 * PAGE, vec) == 0 ? 0 : errno));
  for (int i = 0; i < 4; i++) printf(" %d", vec[i] & 1);
  printf("\n");
  printf("MADV_POPULATE_READ = %s\n", err(madv(p, 4 * PAGE, MADV_POPULATE_READ)));
  printf("MADV_POPULATE_WRITE = %s\n", err(madv(p, 4 * PAGE, MADV_POPULATE_WRITE)));
  printf("MADV_POPULATE_READ (page 0 only) = %s\n", err(madv(p, PAGE, MADV_POPULATE_READ)));
  int fds[2];
  if (pipe(fds) != 0) return 1;
  ssize_t w = write(fds[1], p + PAGE, 16);
  printf("write(pipe, poisoned) = %s\n", w < 0 ? err(errno) : "data");
  w = write(fds[1], p, 16);
  printf("write(pipe, page 0) = %ld\n", (long)w);
  ssize_t r = read(fds[0], p + PAGE, 16);
  printf("read(pipe, into poisoned) = %s\n", r < 0 ? err(errno) : "data");
  printf("madvise(MADV_HWPOISON) again = %s\n", err(madv(p + PAGE, PAGE, MADV_HWPOISON)));
  printf("munmap = %s\n", err(munmap(p, 4 * PAGE) == 0 ? 0 : errno));
  printf("HardwareCorrupted grew by %ld kB in all\n", hardware_corrupted_kb() - before);
  return 0;
}

/* A page shared copy-on-write after fork: poisoning it reaches both processes' entries.
 * Late kill (default): each gets BUS_MCEERR_AR when it touches the page. With `early`, the
 * child asked for early kill (PR_MCE_KILL_EARLY) and gets BUS_MCEERR_AO at once. */
static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));
  printf("write %s = %s\n", path, n < 0 ? err(errno) : "ok");
  if (fd >= 0) close(fd);
}

/* early: 1 for the child's own PR_MCE_KILL_EARLY, 2 for the sysctl
 * vm.memory_failure_early_kill (every thread without a choice of its own). */
static int case_fork(int early) {
  catch_sigbus();
  if (early == 2) write_file("/proc/sys/vm/memory_failure_early_kill", "1\n");
  char* p = map_pages(2, 'f');
  int go[2], ready[2];
  if (pipe(go) != 0 || pipe(ready) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    if (early == 1) {
      printf("child: PR_MCE_KILL = %d\n", prctl(PR_MCE_KILL, 1, 1, 0, 0));
      printf("child: PR_MCE_KILL_GET = %d\n", prctl(PR_MCE_KILL_GET, 0, 0, 0, 0));
    }
    fflush(stdout);
    char c = 'r';
    (void)!write(ready[1], &c, 1);
    got_signal = 0;
    if (sigsetjmp(jump, 1) == 0) {
      (void)!read(go[0], &c, 1);
      printf("child: no signal while waiting\n");
    } else {
      printf("child: SIGBUS %s addr=+%#lx lsb=%d while waiting\n", code_name(got_code),
             (long)(got_addr - (uintptr_t)p), got_lsb);
    }
    fflush(stdout);
    touch("child", p, p + 8, 0);
    printf("child: page 1 intact: %s\n", intact(p + PAGE, 'g') ? "yes" : "no");
    fflush(stdout);
    _exit(0);
  }
  char c;
  (void)!read(ready[0], &c, 1);
  /* The parent reports only once the child has gone, so that the two never interleave
   * (the child may run as soon as a signal wakes it). */
  char outcome[128];
  got_signal = 0;
  if (sigsetjmp(jump, 1) == 0) {
    int r = madv(p, PAGE, MADV_HWPOISON);
    snprintf(outcome, sizeof outcome, "parent: madvise(MADV_HWPOISON) = %s", err(r));
  } else {
    /* vm.memory_failure_early_kill reaches the caller too (no action required). */
    snprintf(outcome, sizeof outcome, "parent: SIGBUS %s addr=+%#lx lsb=%d on return from madvise",
             code_name(got_code), (long)(got_addr - (uintptr_t)p), got_lsb);
  }
  (void)!write(go[1], &c, 1);
  int status;
  waitpid(child, &status, 0);
  printf("%s\n", outcome);
  printf("child exit status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  touch("parent", p, p + 8, 1);
  printf("parent: page 1 intact: %s\n", intact(p + PAGE, 'g') ? "yes" : "no");
  return 0;
}

/* MADV_SOFT_OFFLINE: every page's contents move to a new frame (pagemap shows another
 * pfn), the data survives, the pages stay writable; 6.1 counts each retired frame in
 * HardwareCorrupted. Also a page shared after fork: both processes keep the data. */
static int case_soft(int pages) {
  char* p = map_pages(pages, 'A');
  uint64_t* before = calloc((size_t)pages, sizeof *before);
  for (int i = 0; i < pages; i++) before[i] = pfn_of(p + i * PAGE);
  long hc = hardware_corrupted_kb();
  printf("madvise(MADV_SOFT_OFFLINE) = %s\n", err(madv(p, pages * PAGE, MADV_SOFT_OFFLINE)));
  int moved = 0, kept = 0;
  for (int i = 0; i < pages; i++) {
    if (pfn_of(p + i * PAGE) != before[i]) moved++;
    if (intact(p + i * PAGE, (char)('A' + i))) kept++;
  }
  printf("pages moved to a new frame: %d of %d\n", moved, pages);
  printf("pages with their data: %d of %d\n", kept, pages);
  printf("HardwareCorrupted grew by %ld pages\n", (hardware_corrupted_kb() - hc) / 4);
  memset(p, 'z', PAGE);
  printf("write after: %s\n", intact(p, 'z') ? "ok" : "lost");

  char* s = map_pages(1, 's');
  pid_t child = fork();
  if (child == 0) {
    sleep(0);
    _exit(intact(s, 's') ? 0 : 1);
  }
  printf("shared: madvise(MADV_SOFT_OFFLINE) = %s\n", err(madv(s, PAGE, MADV_SOFT_OFFLINE)));
  int status;
  waitpid(child, &status, 0);
  printf("shared: child sees its data: %s, parent: %s\n",
         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no",
         intact(s, 's') ? "yes" : "no");
  printf("soft offline of page 1 again = %s\n", err(madv(p + PAGE, PAGE, MADV_SOFT_OFFLINE)));
  return 0;
}

/* Without CAP_SYS_ADMIN both advice values are EPERM, and nothing changes. */
static int case_eperm(void) {
  char* p = map_pages(1, 'e');
  long hc = hardware_corrupted_kb();
  printf("MADV_HWPOISON = %s\n", err(madv(p, PAGE, MADV_HWPOISON)));
  printf("MADV_SOFT_OFFLINE = %s\n", err(madv(p, PAGE, MADV_SOFT_OFFLINE)));
  printf("data intact: %s, HardwareCorrupted grew by %ld kB\n", intact(p, 'e') ? "yes" : "no",
         hardware_corrupted_kb() - hc);
  int fd = open("/sys/devices/system/memory/hard_offline_page", O_WRONLY);
  printf("open(hard_offline_page) = %s\n", fd < 0 ? err(errno) : "ok");
  if (fd >= 0) {
    ssize_t w = write(fd, "0x100000\n", 9);
    printf("write(hard_offline_page) = %s\n", w < 0 ? err(errno) : "ok");
    close(fd);
  }
  return 0;
}

/* Shared file mappings: a clean page-cache page is dropped and read again, without any
 * signal; a dirty one is lost: SIGBUS on touch, EIO from the next fsync, then 0. The file
 * keeps what was last written back. tmpfs pages stay poisoned in the file: read() is EIO. */
static int case_file(const char* path) {
  catch_sigbus();
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("open %s: %s\n", path, err(errno));
    return 1;
  }
  char buf[2 * PAGE];
  memset(buf, 'c', PAGE);
  memset(buf + PAGE, 'd', PAGE);
  if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) return 1;
  printf("fsync = %s\n", err(fsync(fd) == 0 ? 0 : errno));
  char* m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return 1;
  /* Page 0: clean. */
  printf("clean: first byte %c\n", m[0]);
  printf("clean: madvise(MADV_HWPOISON) = %s\n", err(madv(m, PAGE, MADV_HWPOISON)));
  touch("clean", m, m + 5, 0);
  printf("clean: page intact: %s\n", intact(m, 'c') ? "yes" : "no");
  /* Page 1: dirtied through the mapping. */
  memset(m + PAGE, 'D', PAGE);
  printf("dirty: madvise(MADV_HWPOISON) = %s\n", err(madv(m + PAGE, PAGE, MADV_HWPOISON)));
  touch("dirty", m, m + PAGE + 5, 0);
  printf("fsync = %s\n", err(fsync(fd) == 0 ? 0 : errno));
  printf("fsync again = %s\n", err(fsync(fd) == 0 ? 0 : errno));
  printf("fdatasync = %s\n", err(fdatasync(fd) == 0 ? 0 : errno));
  char got[4] = {0};
  ssize_t r = pread(fd, got, 3, PAGE);
  printf("pread page 1 = %ld \"%s\"\n", (long)r, got);
  close(fd);
  return 0;
}

static int case_tmpfs(void) {
  catch_sigbus();
  int fd = open("/tmp/poison-shmem", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("open: %s\n", err(errno));
    return 1;
  }
  char buf[PAGE];
  memset(buf, 't', PAGE);
  (void)!write(fd, buf, PAGE);
  (void)!write(fd, buf, PAGE);
  char* m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return 1;
  printf("tmpfs: madvise(MADV_HWPOISON) = %s\n", err(madv(m, PAGE, MADV_HWPOISON)));
  touch("tmpfs", m, m + 9, 0);
  char got[8];
  ssize_t r = pread(fd, got, sizeof got, 0);
  printf("tmpfs: pread page 0 = %s\n", r < 0 ? err(errno) : "data");
  r = pread(fd, got, sizeof got, PAGE);
  printf("tmpfs: pread page 1 = %ld\n", (long)r);
  printf("tmpfs: page 1 intact: %s\n", intact(m + PAGE, 't') ? "yes" : "no");
  unlink("/tmp/poison-shmem");
  return 0;
}

/* Poison injected from outside (--poison / --poison-after): page 1 gets its frame from the
 * kernel (MADV_POPULATE_WRITE: zero-filled without the CPU touching it), so the first access
 * to it is the guest's own, here. `print` shows the page's physical address (root reads
 * pagemap pfns); frames are handed out the same way in every run, so the next run can
 * poison it with --poison. */
static int case_touch(int print) {
  catch_sigbus();
  char* p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  memset(p, 'm', PAGE);
  memset(p + 2 * PAGE, 'o', PAGE);
  printf("MADV_POPULATE_WRITE = %s\n", err(madv(p + PAGE, PAGE, MADV_POPULATE_WRITE)));
  if (print) printf("paddr %#llx\n", (unsigned long long)(pfn_of(p + PAGE) * PAGE));
  long hc = hardware_corrupted_kb();
  touch("touch", p, p + PAGE + 0x123, 0);
  printf("page 0 intact: %s, page 2 intact: %s\n", intact(p, 'm') ? "yes" : "no",
         intact(p + 2 * PAGE, 'o') ? "yes" : "no");
  touch("touch again", p, p + PAGE + 0x10, 1);
  printf("HardwareCorrupted grew by %ld kB\n", hardware_corrupted_kb() - hc);
  return 0;
}

/* As `touch`, but a syscall reaches the poison first: write() from the page consumes it in
 * a kernel copy (EFAULT, memory_failure without a signal), and the guest's own access then
 * meets the hwpoison entry. */
static int case_copy(int print) {
  catch_sigbus();
  char* p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  memset(p, 'c', PAGE);
  printf("MADV_POPULATE_WRITE = %s\n", err(madv(p + PAGE, PAGE, MADV_POPULATE_WRITE)));
  if (print) printf("paddr %#llx\n", (unsigned long long)(pfn_of(p + PAGE) * PAGE));
  int fds[2];
  if (pipe(fds) != 0) return 1;
  ssize_t w = write(fds[1], p + PAGE + 8, 16);
  printf("write(pipe, page 1) = %s\n", w < 0 ? err(errno) : "data");
  touch("touch", p, p + PAGE + 0x123, 0);
  printf("page 0 intact: %s\n", intact(p, 'c') ? "yes" : "no");
  return 0;
}

/* A memfd page mapped shared by a parent and its child, both entries made by the kernel
 * (MADV_POPULATE_READ) so that the child's read is the first access, a machine check:
 * memory_failure unmaps both entries, the child gets BUS_MCEERR_AR at the page, and the
 * parent BUS_MCEERR_AO at once under `early` (PR_MCE_KILL_EARLY), else BUS_MCEERR_AR when
 * it touches the page. */
static int case_fork_touch(int early, int print) {
  catch_sigbus();
  if (early) printf("PR_MCE_KILL = %d\n", prctl(PR_MCE_KILL, 1, 1, 0, 0));
  int fd = memfd_create("poison", 0);
  char buf[PAGE];
  memset(buf, 'k', PAGE);
  if (fd < 0 || write(fd, buf, PAGE) != PAGE) return 1;
  char* p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return 1;
  printf("MADV_POPULATE_READ = %s\n", err(madv(p, PAGE, MADV_POPULATE_READ)));
  if (print) printf("paddr %#llx\n", (unsigned long long)(pfn_of(p) * PAGE));
  int go[2];
  if (pipe(go) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    char c;
    (void)!madv(p, PAGE, MADV_POPULATE_READ);
    (void)!read(go[0], &c, 1);
    touch("child", p, p + 0x40, 0);
    _exit(0);
  }
  int status;
  got_signal = 0;
  if (sigsetjmp(jump, 1) == 0) {
    char c = 'g';
    (void)!write(go[1], &c, 1);
    waitpid(child, &status, 0);
    printf("parent: no signal while waiting\n");
  } else {
    /* The child's own report comes first: the parent prints once it has gone. */
    waitpid(child, &status, 0);
    printf("parent: SIGBUS %s addr=+%#lx lsb=%d while waiting\n", code_name(got_code),
           (long)(got_addr - (uintptr_t)p), got_lsb);
  }
  touch("parent", p, p + 0x80, 0);
  return 0;
}

/* /sys/devices/system/memory/{hard,soft}_offline_page take a physical address: hard
 * offline is memory_failure (the page's entry becomes a hwpoison entry, touching it is
 * SIGBUS); soft offline moves the page and keeps its data. */
static int case_sysfs(void) {
  catch_sigbus();
  char* p = map_pages(2, 'S');
  char text[64];
  long hc = hardware_corrupted_kb();
  snprintf(text, sizeof text, "%#llx\n", (unsigned long long)(pfn_of(p + PAGE) * PAGE));
  uint64_t before = pfn_of(p + PAGE);
  write_file("/sys/devices/system/memory/soft_offline_page", text);
  printf("soft: moved %s, data intact: %s\n", pfn_of(p + PAGE) != before ? "yes" : "no",
         intact(p + PAGE, 'T') ? "yes" : "no");
  snprintf(text, sizeof text, "%llu\n", (unsigned long long)(pfn_of(p) * PAGE));
  write_file("/sys/devices/system/memory/hard_offline_page", text);
  touch("hard", p, p + 0x30, 0);
  printf("page 1 intact: %s\n", intact(p + PAGE, 'T') ? "yes" : "no");
  write_file("/sys/devices/system/memory/hard_offline_page", "0x10zz\n");
  write_file("/sys/devices/system/memory/hard_offline_page", "0xffffffffff000\n");
  printf("HardwareCorrupted grew by %ld pages\n", (hardware_corrupted_kb() - hc) / 4);
  return 0;
}

/* madvise07's kind: MADV_HWPOISON on a written page, then an access with no handler: the
 * process dies of SIGBUS (BUS_MCEERR_AR). */
static int case_die(void) {
  char* p = map_pages(2, 'x');
  printf("madvise(MADV_HWPOISON) = %s\n", err(madv(p, PAGE, MADV_HWPOISON)));
  fflush(stdout);
  p[10] = 1;
  printf("still alive\n");
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    fprintf(stderr, "usage: poison CASE\n");
    return 2;
  }
  const char* c = argv[1];
  if (!strcmp(c, "anon")) return case_anon();
  if (!strcmp(c, "fork")) return case_fork(0);
  if (!strcmp(c, "fork-early")) return case_fork(1);
  if (!strcmp(c, "fork-sysctl")) return case_fork(2);
  if (!strcmp(c, "sysfs")) return case_sysfs();
  if (!strcmp(c, "copy")) return case_copy(argc > 2 && !strcmp(argv[2], "print"));
  if (!strcmp(c, "soft")) return case_soft(argc > 2 ? atoi(argv[2]) : 8);
  if (!strcmp(c, "eperm")) return case_eperm();
  if (!strcmp(c, "file") && argc > 2) return case_file(argv[2]);
  if (!strcmp(c, "die")) return case_die();
  if (!strcmp(c, "tmpfs")) return case_tmpfs();
  if (!strcmp(c, "touch")) return case_touch(argc > 2 && !strcmp(argv[2], "print"));
  if (!strcmp(c, "fork-touch"))
    return case_fork_touch(argc > 2 && !strcmp(argv[2], "early"),
                           argc > 3 && !strcmp(argv[3], "print"));
  fprintf(stderr, "poison: unknown case %s\n", c);
  return 2;
}
