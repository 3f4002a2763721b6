/* fork_memory: what a child's memory holds after fork. Private memory is copy-on-write
 * (neither side sees the other's writes), MAP_SHARED memory (anonymous or a memfd) stays
 * shared. The fork advice: MADV_DONTFORK leaves the range out of the child (touching it is
 * SIGSEGV, maps and mincore do not know it), MADV_DOFORK undoes that; MADV_WIPEONFORK
 * gives the child zeros, on private anonymous memory only, and the child keeps the flag
 * for its own children; MADV_KEEPONFORK undoes it; a new program (execve) has neither.
 * smaps' VmFlags shows `dc` and `wf`. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif

static void out(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) CHECK(write(1, buf, (size_t)n) == n);
}

static const char* res(long ret) {
  return result_str(ret, errno);
}

static long page;

// The VmFlags of the smaps entry that holds `addr`, reduced to the flags this test is
// about, or "absent" when no entry holds it. Four results may be in use at once.
static const char* vmflags(void* addr) {
  static char results[4][64];
  static int next;
  char* result = results[next++ % 4];
  FILE* f = fopen("/proc/self/smaps", "r");
  CHECK(f != NULL);
  char line[512];
  int in = 0;
  snprintf(result, 64, "absent");
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    char space;
    if (sscanf(line, "%lx-%lx%c", &s, &e, &space) == 3 && space == ' ') {
      in = s <= (unsigned long)addr && (unsigned long)addr < e;
      continue;
    }
    if (in && !strncmp(line, "VmFlags:", 8)) {
      result[0] = 0;
      static const char* names[] = {"rd", "wr", "sh", "dc", "wf"};
      size_t len = strlen(line);
      if (len && line[len - 1] == '\n') line[len - 1] = ' ';
      for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        char pattern[8];
        snprintf(pattern, sizeof pattern, " %s ", names[i]);
        if (strstr(line + 7, pattern)) strcat(result, names[i]), strcat(result, " ");
      }
      break;
    }
  }
  fclose(f);
  return result;
}

static sigjmp_buf jump;
static volatile int fault_code;
static void on_segv(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  fault_code = si->si_code;
  siglongjmp(jump, 1);
}

// Reads one byte; -1 and the si_code in fault_code when that faults.
static int probe(volatile char* p) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, &old);
  int v;
  if (sigsetjmp(jump, 1) == 0) {
    v = *p;
  } else {
    v = -1;
  }
  sigaction(SIGSEGV, &old, NULL);
  return v;
}

static const char* code_name(int c) {
  return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "?";
}

static void wait_child(pid_t pid, const char* what) {
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  out("%s: child status 0x%x\n", what, st);
}

static char* map_anon(long pages, int flags) {
  char* p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  return p;
}

static void cow(void) {
  char* p = map_anon(2, MAP_PRIVATE);
  memset(p, 'a', 2 * page);
  int to_child[2], from_child[2];
  CHECK(pipe(to_child) == 0 && pipe(from_child) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    p[0] = 'c';  // the child's own copy
    CHECK(write(from_child[1], "w", 1) == 1);
    char c;
    CHECK(read(to_child[0], &c, 1) == 1);  // the parent has written page 1
    out("  child sees: page0 %c page1 %c\n", p[0], p[page]);
    _exit(0);
  }
  char c;
  CHECK(read(from_child[0], &c, 1) == 1);
  p[page] = 'p';
  out("parent sees its own page0 %c after the child wrote\n", p[0]);
  CHECK(write(to_child[1], "g", 1) == 1);
  wait_child(pid, "private copy-on-write");
  out("parent page1 %c\n", p[page]);
  munmap(p, 2 * page);
  close(to_child[0]), close(to_child[1]), close(from_child[0]), close(from_child[1]);
}

static void shared(void) {
  char* s = map_anon(1, MAP_SHARED);
  strcpy(s, "before");
  int fd = memfd_create("fork_memory", 0);
  CHECK(fd >= 0);
  CHECK(ftruncate(fd, page) == 0);
  char* m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  strcpy(m, "memfd before");
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    strcpy(s, "child wrote");
    strcpy(m, "memfd child wrote");
    // The same memfd at a second address in the child: the same pages.
    char* m2 = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    out("  child's second mapping: %s\n", m2);
    strcpy(m2 + 100, "through the second");
    _exit(0);
  }
  wait_child(pid, "shared memory");
  out("parent sees: anon '%s' memfd '%s' '%s'\n", s, m, m + 100);
  munmap(s, page);
  munmap(m, page);
  close(fd);
}

static void dontfork(void) {
  char* p = map_anon(3, MAP_PRIVATE);
  memset(p, 'x', 3 * page);
  CHECK(madvise(p + page, page, MADV_DONTFORK) == 0);
  out("DONTFORK: parent flags %s| %s| %s\n", vmflags(p), vmflags(p + page), vmflags(p + 2 * page));
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    unsigned char vec[3];
    errno = 0;
    long r = mincore(p, 3 * page, vec);
    out("  child: mincore over the range %s, ", res(r));
    r = mincore(p + page, page, vec);
    out("over page1 %s, ", res(r));
    r = mincore(p, page, vec);
    out("over page0 %s\n", res(r));
    out("  child: page0 %d page2 %d\n", probe(p), probe(p + 2 * page));
    int v = probe(p + page);
    out("  child: the DONTFORK page reads %d (%s)\n", v, code_name(fault_code));
    _exit(0);
  }
  wait_child(pid, "DONTFORK");
  out("parent still has it: %c\n", p[page]);
  CHECK(madvise(p + page, page, MADV_DOFORK) == 0);
  out("DOFORK: flags %s| %s\n", vmflags(p), vmflags(p + page));
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    out("  child after DOFORK: page1 %c\n", probe(p + page));
    _exit(0);
  }
  wait_child(pid, "DOFORK");
  munmap(p, 3 * page);
}

static void wipeonfork(void) {
  char* p = map_anon(3, MAP_PRIVATE);
  memset(p, 'w', 3 * page);
  CHECK(madvise(p, 2 * page, MADV_WIPEONFORK) == 0);
  out("WIPEONFORK: flags %s | %s\n", vmflags(p), vmflags(p + 2 * page));
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    out("  child: page0 %d page1 %d page2 %c, flags %s\n", p[0], p[page + 5], p[2 * page],
        vmflags(p));
    // The child keeps the advice: its own child gets zeros again.
    memset(p, 'k', page);
    pid_t g = fork();
    if (g == 0) {
      out("    grandchild: page0 %d\n", p[0]);
      _exit(0);
    }
    wait_child(g, "  grandchild");
    _exit(0);
  }
  wait_child(pid, "WIPEONFORK");
  out("parent keeps its data: %c %c\n", p[0], p[page]);
  CHECK(madvise(p, page, MADV_KEEPONFORK) == 0);
  out("KEEPONFORK on page0: flags %s | %s\n", vmflags(p), vmflags(p + page));
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    out("  child: page0 %c page1 %d\n", p[0], p[page]);
    _exit(0);
  }
  wait_child(pid, "KEEPONFORK");
  munmap(p, 3 * page);

  // Only private anonymous memory may be wiped.
  char* s = map_anon(1, MAP_SHARED);
  out("WIPEONFORK on shared anonymous: %s\n", res(madvise(s, page, MADV_WIPEONFORK)));
  out("KEEPONFORK on shared anonymous: %s\n", res(madvise(s, page, MADV_KEEPONFORK)));
  out("DONTFORK on shared anonymous: %s\n", res(madvise(s, page, MADV_DONTFORK)));
  munmap(s, page);
  int fd = memfd_create("wipe", 0);
  CHECK(fd >= 0 && ftruncate(fd, page) == 0);
  char* fp = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(fp != MAP_FAILED);
  out("WIPEONFORK on a private file mapping: %s\n", res(madvise(fp, page, MADV_WIPEONFORK)));
  munmap(fp, page);
  fp = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  out("WIPEONFORK on a shared file mapping: %s\n", res(madvise(fp, page, MADV_WIPEONFORK)));
  munmap(fp, page);
  close(fd);
  p = map_anon(2, MAP_PRIVATE);
  out("WIPEONFORK unaligned: %s\n", res(madvise(p + 1, page, MADV_WIPEONFORK)));
  CHECK(munmap(p + page, page) == 0);
  const char* r = res(madvise(p, 2 * page, MADV_WIPEONFORK));
  out("WIPEONFORK over a hole: %s, ", r);
  out("flags %s\n", vmflags(p));
  r = res(madvise(p, 2 * page, MADV_DONTFORK));
  out("DONTFORK over a hole: %s, ", r);
  out("flags %s\n", vmflags(p));
  munmap(p, page);
}

// After execve the program has a new address space: no range carries the advice.
static int exec_helper(void) {
  FILE* f = fopen("/proc/self/smaps", "r");
  CHECK(f != NULL);
  char line[512];
  int dc = 0, wf = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmFlags:", 8)) continue;
    if (strstr(line, " dc")) dc++;
    if (strstr(line, " wf")) wf++;
  }
  fclose(f);
  out("  after execve: ranges with dc %d, with wf %d\n", dc, wf);
  return 0;
}

static void advice_and_exec(const char* self) {
  char* p = map_anon(1, MAP_PRIVATE);
  CHECK(madvise(p, page, MADV_WIPEONFORK) == 0);
  char* q = map_anon(1, MAP_PRIVATE);
  CHECK(madvise(q, page, MADV_DONTFORK) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    char* argv[] = {(char*)self, "after-exec", NULL};
    execv(self, argv);
    _exit(101);
  }
  wait_child(pid, "exec after the advice");
  munmap(p, page);
  munmap(q, page);
}

int main(int argc, char** argv) {
  page = sysconf(_SC_PAGESIZE);
  if (argc > 1 && !strcmp(argv[1], "after-exec")) return exec_helper();
  cow();
  shared();
  dontfork();
  wipeonfork();
  advice_and_exec(argv[0]);
  out("done\n");
  return 0;
}
