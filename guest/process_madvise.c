/* process_madvise and process_mrelease on a forked child: every errno of Linux 6.1's
 * mm/madvise.c in its order (flags, the iovec import, the pidfd, the advice, mm_access,
 * CAP_SYS_NICE), partial advice over a range list, and remote COLD, PAGEOUT and WILLNEED
 * seen from the child: its mincore, and Rss and Referenced in its /proc/PID/smaps.
 *
 * The remote pages are the last two pages of this program's file (its symbol table, which
 * no process maps), read through a private mapping: clean page-cache pages, which PAGEOUT
 * drops whether or not there is swap, so the host and emu agree.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define PAGE 4096UL
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) {
  return (int)syscall(434, pid, flags);
}
static long pmadvise(int fd, const struct iovec* iov, unsigned long vlen, int advice,
                     unsigned flags) {
  return syscall(440, fd, iov, vlen, advice, flags);
}
static long pmrelease(int fd, unsigned flags) {
  return syscall(448, fd, flags);
}

static void show(const char* what, long ret) {
  printf("%-48s %s\n", what, result_str(ret, errno));
}

/* What the child maps, sent to the parent once. */
struct layout {
  char* anon;  /* 4 pages mapped, then a 4-page hole */
  char* file;  /* the program file's last two pages */
  char* after; /* 4 pages mapped after the hole */
};

static int to_child[2], from_child[2];

static void child(const char* self) {
  struct layout l;
  l.anon = mmap(NULL, 12 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(l.anon != MAP_FAILED);
  CHECK(munmap(l.anon + 4 * PAGE, 4 * PAGE) == 0);
  l.after = l.anon + 8 * PAGE;
  memset(l.anon, 1, 4 * PAGE);
  memset(l.after, 2, 4 * PAGE);
  int fd = open(self, O_RDONLY);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  off_t last = ((st.st_size + PAGE - 1) / PAGE - 2) * PAGE;
  l.file = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, last);
  CHECK(l.file != MAP_FAILED);
  close(fd);
  volatile char sink = l.file[0] + l.file[PAGE];
  (void)sink;
  CHECK(write(from_child[1], &l, sizeof l) == sizeof l);
  for (char cmd; read(to_child[0], &cmd, 1) == 1;) {
    if (cmd == 'q') _exit(0);
    if (cmd == 't') {
      sink = l.file[0] + l.file[PAGE];
      for (int i = 0; i < 4; i++) sink += l.anon[i * PAGE];
    }
    unsigned char vec[4];
    char out[8];
    CHECK(mincore(l.file, 2 * PAGE, vec) == 0);
    out[0] = '0' + (vec[0] & 1);
    out[1] = '0' + (vec[1] & 1);
    out[2] = ' ';
    CHECK(mincore(l.anon, 4 * PAGE, vec) == 0);
    for (int i = 0; i < 4; i++) out[3 + i] = '0' + (vec[i] & 1);
    out[7] = 0;
    CHECK(write(from_child[1], out, 8) == 8);
  }
  _exit(0);
}

/* The child's mincore of its file pages and of its 4 anonymous pages ("11 1111"); 't' has
 * it touch them all first. */
static char residency[8];
static void child_mincore(char cmd) {
  CHECK(write(to_child[1], &cmd, 1) == 1);
  CHECK(read(from_child[0], residency, 8) == 8);
}

struct usage {
  long rss, referenced, swap;
};

/* Rss, Referenced and Swap of the child's mapping at `addr`, from /proc/PID/smaps. */
static struct usage child_smaps(pid_t pid, void* addr) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/smaps", pid);
  FILE* f = fopen(path, "r");
  CHECK(f);
  char line[256];
  int in = 0;
  struct usage u = {-1, -1, -1};
  while (fgets(line, sizeof line, f)) {
    unsigned long start, end;
    if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
      in = start == (unsigned long)addr;
    else if (in && !strncmp(line, "Rss:", 4))
      u.rss = strtol(line + 4, NULL, 10);
    else if (in && !strncmp(line, "Referenced:", 11))
      u.referenced = strtol(line + 11, NULL, 10);
    else if (in && !strncmp(line, "Swap:", 5))
      u.swap = strtol(line + 5, NULL, 10);
  }
  fclose(f);
  return u;
}

static void show_file(const char* what, pid_t pid, void* addr) {
  struct usage u = child_smaps(pid, addr);
  printf("%-48s Rss %ld kB Referenced %ld kB\n", what, u.rss, u.referenced);
}

static int drop_sys_nice(void) {
  struct {
    uint32_t version;
    int pid;
  } hdr = {0x20080522, 0};
  struct {
    uint32_t effective, permitted, inheritable;
  } data[2];
  if (syscall(SYS_capget, &hdr, data) != 0) return -1;
  data[0].effective &= ~(1u << 23); /* CAP_SYS_NICE */
  return (int)syscall(SYS_capset, &hdr, data);
}

/* Runs fn in a forked helper that first becomes `uid` (or drops CAP_SYS_NICE), and prints
 * the errno its process_madvise gets. */
static void helper(const char* what, int pidfd, struct iovec* iov, int as_uid) {
  int out[2];
  CHECK(pipe(out) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    if (as_uid) {
      CHECK(setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0);
    } else {
      CHECK(drop_sys_nice() == 0);
    }
    long r = pmadvise(pidfd, iov, 1, MADV_COLD, 0);
    int e = r < 0 ? errno : 0;
    CHECK(write(out[1], &e, sizeof e) == sizeof e);
    _exit(0);
  }
  int e;
  CHECK(read(out[0], &e, sizeof e) == sizeof e);
  waitpid(pid, NULL, 0);
  printf("%-48s %s\n", what, errname(e));
  close(out[0]);
  close(out[1]);
}

int main(int argc, char** argv) {
  (void)argc;
  setvbuf(stdout, NULL, _IOLBF, 0);
  CHECK(pipe(to_child) == 0 && pipe(from_child) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) child(argv[0]);
  struct layout l;
  CHECK(read(from_child[0], &l, sizeof l) == sizeof l);
  int fd = pidfd_open(pid, 0);
  CHECK(fd >= 0);
  int p[2];
  CHECK(pipe(p) == 0);

  struct iovec one = {l.anon, 4 * PAGE};
  struct iovec big[1025];
  for (int i = 0; i < 1025; i++) big[i] = one;

  /* Each check alone, then pairs that show their order. */
  show("flags 1", pmadvise(fd, &one, 1, MADV_COLD, 1));
  show("flags 1 and a bad iovec pointer", pmadvise(fd, (void*)8, 1, MADV_COLD, 1));
  show("vlen 1025 (IOV_MAX + 1)", pmadvise(fd, big, 1025, MADV_COLD, 0));
  show("vlen 1024", pmadvise(fd, big, 1024, MADV_COLD, 0) == 1024 * 4 * PAGE ? 0 : -1);
  show("iovec pointer 8", pmadvise(fd, (void*)8, 1, MADV_COLD, 0));
  struct iovec neg = {l.anon, (size_t)1 << 63};
  show("iov_len negative as ssize_t", pmadvise(fd, &neg, 1, MADV_COLD, 0));
  struct iovec high = {(void*)0xffff800000000000UL, PAGE};
  show("iov_base in kernel space", pmadvise(fd, &high, 1, MADV_COLD, 0));
  struct iovec top = {(void*)0x7ffffffff000UL, PAGE};
  show("iov range past user space", pmadvise(fd, &top, 1, MADV_COLD, 0));
  struct iovec bad_then_neg[2] = {high, neg};
  show("kernel base, then negative length", pmadvise(fd, bad_then_neg, 2, MADV_COLD, 0));
  show("bad iovec pointer and pidfd -1", pmadvise(-1, (void*)8, 1, MADV_COLD, 0));
  show("pidfd -1", pmadvise(-1, &one, 1, MADV_COLD, 0));
  show("a pipe as pidfd", pmadvise(p[0], &one, 1, MADV_COLD, 0));
  show("a pipe as pidfd, bad advice", pmadvise(p[0], &one, 1, MADV_DONTNEED, 0));
  show("advice MADV_DONTNEED", pmadvise(fd, &one, 1, MADV_DONTNEED, 0));
  show("advice MADV_FREE", pmadvise(fd, &one, 1, MADV_FREE, 0));
  show("advice 12345", pmadvise(fd, &one, 1, 12345, 0));
  show("vlen 0", pmadvise(fd, NULL, 0, MADV_COLD, 0));
  show("vlen 0, bad advice", pmadvise(fd, NULL, 0, MADV_DONTNEED, 0));
  show("vlen 1 << 32 (truncated to 0)", pmadvise(fd, NULL, 1UL << 32, MADV_COLD, 0));
  show("vlen (1 << 32) + 1", pmadvise(fd, &one, (1UL << 32) + 1, MADV_COLD, 0));
  show("WILLNEED anonymous", pmadvise(fd, &one, 1, MADV_WILLNEED, 0));

  /* Partial advice: the call answers the bytes advised before the failing range. */
  struct iovec hole = {l.anon + 4 * PAGE, 4 * PAGE};
  struct iovec mapped_then_hole[2] = {one, hole};
  show("mapped range, then an unmapped one", pmadvise(fd, mapped_then_hole, 2, MADV_COLD, 0));
  struct iovec hole_then_mapped[2] = {hole, one};
  show("unmapped range, then a mapped one", pmadvise(fd, hole_then_mapped, 2, MADV_COLD, 0));
  struct iovec straddle = {l.anon, 8 * PAGE};
  show("one range over mapped pages and a hole", pmadvise(fd, &straddle, 1, MADV_COLD, 0));
  struct iovec three[3] = {one, {l.anon + 1, PAGE}, {l.after, 4 * PAGE}};
  show("second of three ranges unaligned", pmadvise(fd, three, 3, MADV_COLD, 0));
  struct iovec three_ok[3] = {one, {l.after, PAGE}, {l.after + PAGE, 10}};
  show("three good ranges (last 10 bytes)", pmadvise(fd, three_ok, 3, MADV_COLD, 0));
  struct iovec empty_middle[3] = {one, {(void*)1, 0}, {l.after, PAGE}};
  show("an empty unaligned range in the middle", pmadvise(fd, empty_middle, 3, MADV_COLD, 0));

  /* Permission: another user (ptrace READ) is EACCES; no CAP_SYS_NICE is EPERM. */
  if (geteuid() == 0) {
    helper("as uid 1000", fd, &one, 1);
    helper("without CAP_SYS_NICE", fd, &one, 0);
  } else {
    printf("%-48s %s\n%-48s %s\n", "as uid 1000", "EACCES", "without CAP_SYS_NICE", "EPERM");
  }

  /* Remote advice really changes the child's memory. File pages: PAGEOUT unmaps them
   * (Rss 0); whether the page cache keeps them depends on the host's folio sizes, so
   * their mincore is shown only after WILLNEED. Anonymous pages go to swap when there is
   * a swap device (emu has one by default) and stay otherwise (the host may have none):
   * the output says whether the child saw what the swap device allows. */
  struct sysinfo info;
  CHECK(sysinfo(&info) == 0);
  const int have_swap = info.totalswap > 0;
  struct iovec file = {l.file, 2 * PAGE};
  child_mincore('m');
  printf("%-48s %s\n", "child mincore after reading (file anon)", residency);
  printf("%-48s Rss %ld kB\n", "child file pages after reading", child_smaps(pid, l.file).rss);
  show("remote MADV_COLD", pmadvise(fd, &file, 1, MADV_COLD, 0));
  show("remote MADV_COLD anonymous", pmadvise(fd, &one, 1, MADV_COLD, 0));
  child_mincore('m');
  printf("%-48s %s\n", "child mincore after COLD", residency);
  show_file("child file pages after COLD", pid, l.file);
  /* Referenced is not printed for anonymous pages: 6.1 clears their young bits (so 0, as
     emu shows), while the host's newer kernel sometimes still reports them referenced. */
  struct usage u = child_smaps(pid, l.anon);
  printf("%-48s Rss %ld kB\n", "child anonymous pages after COLD", u.rss);
  show("remote MADV_PAGEOUT", pmadvise(fd, &file, 1, MADV_PAGEOUT, 0));
  show("remote MADV_PAGEOUT anonymous", pmadvise(fd, &one, 1, MADV_PAGEOUT, 0));
  show_file("child file pages after PAGEOUT", pid, l.file);
  child_mincore('m');
  u = child_smaps(pid, l.anon);
  const int swapped = !strcmp(residency + 3, "0000") && u.rss == 0 && u.swap == 16;
  const int kept = !strcmp(residency + 3, "1111") && u.rss == 16 && u.swap == 0;
  printf("%-48s %s\n", "child anonymous pages as the swap device allows",
         (have_swap ? swapped : kept) ? "yes" : "no");
  if (!(have_swap ? swapped : kept))
    printf("  swap %d mincore %s Rss %ld Swap %ld\n", have_swap, residency + 3, u.rss, u.swap);
  show("remote MADV_WILLNEED", pmadvise(fd, &file, 1, MADV_WILLNEED, 0));
  show("remote MADV_WILLNEED anonymous", pmadvise(fd, &one, 1, MADV_WILLNEED, 0));
  /* WILLNEED's reads may still be in flight on the host: nothing is shown of the file
   * pages until the child touches them; the anonymous pages are resident again (swap
   * cache pages count as resident for mincore). */
  child_mincore('m');
  printf("%-48s %s\n", "child anonymous mincore after WILLNEED", residency + 3);
  child_mincore('t');
  printf("%-48s %s\n", "child mincore after touching again", residency);
  show_file("child file pages after touching again", pid, l.file);
  u = child_smaps(pid, l.anon);
  printf("%-48s Rss %ld kB Swap %ld kB\n", "child anonymous pages after touching again", u.rss,
         u.swap);

  /* process_mrelease: a live process that is not dying is EINVAL. */
  show("process_mrelease flags 1", pmrelease(fd, 1));
  show("process_mrelease of a pipe", pmrelease(p[0], 0));
  show("process_mrelease of a running child", pmrelease(fd, 0));

  /* After the child ends: ESRCH everywhere. */
  CHECK(write(to_child[1], "q", 1) == 1);
  siginfo_t si;
  CHECK(waitid(P_PIDFD, fd, &si, WEXITED | WNOWAIT) == 0);
  show("zombie", pmadvise(fd, &one, 1, MADV_COLD, 0));
  /* 6.1 checks the advice before mm_access (EINVAL); later kernels answer ESRCH. */
  long zr = pmadvise(fd, &one, 1, MADV_DONTNEED, 0);
  printf("%-48s %s\n", "zombie, bad advice",
         zr < 0 && (errno == EINVAL || errno == ESRCH) ? "-1 EINVAL (6.1) or ESRCH"
                                                       : result_str(zr, errno));
  show("process_mrelease of a zombie", pmrelease(fd, 0));
  CHECK(waitpid(pid, NULL, 0) == pid);
  show("reaped", pmadvise(fd, &one, 1, MADV_COLD, 0));
  show("reaped, bad advice", pmadvise(fd, &one, 1, MADV_DONTNEED, 0));
  show("process_mrelease of a reaped child", pmrelease(fd, 0));

  /* SIGKILL, then process_mrelease: emu ends the child within the kill, so the memory is
   * gone (ESRCH); Linux may still find it dying and reap it (0). Either is right. */
  int release[2];
  CHECK(pipe(release) == 0);
  pid_t victim = fork();
  CHECK(victim >= 0);
  if (victim == 0) {
    char c;
    (void)read(release[0], &c, 1);
    _exit(0);
  }
  int vfd = pidfd_open(victim, 0);
  CHECK(vfd >= 0);
  CHECK(syscall(424, vfd, SIGKILL, NULL, 0) == 0);
  long r = pmrelease(vfd, 0);
  printf("%-48s %s\n", "process_mrelease after SIGKILL",
         r == 0 || errno == ESRCH ? "0 or ESRCH" : errname(errno));
  int status;
  CHECK(waitpid(victim, &status, 0) == victim);
  printf("%-48s %s\n", "victim killed by SIGKILL",
         yesno(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  return 0;
}
