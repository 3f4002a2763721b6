/* process_mrelease (Linux 6.1's mm/oom_kill.c): its errnos in the order Linux checks them,
 * and its work: the memory of a process killed by SIGKILL is taken before the process has
 * finished dying.
 *
 * Whether the killed child is still dying when process_mrelease runs is a race natively
 * (another CPU may run its exit first): success (0) and "already gone" (ESRCH) are both
 * right then, and print alike as "reaped or gone". What is checked either way: a success
 * leaves the child with less resident anonymous memory than it had (its shared memory
 * stays), or the child has already ended and shows none.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum { kAnonPages = 2048, kSharedPages = 256, kPage = 4096 };

static int pidfd_open(pid_t pid, unsigned flags) {
  return (int)syscall(434, pid, flags);
}
static long mrelease(int pidfd, unsigned flags) {
  return syscall(448, pidfd, flags);
}
static int pidfd_send_signal(int fd, int sig) {
  return (int)syscall(424, fd, sig, NULL, 0);
}

static void show(const char* what, long ret) {
  printf("%-48s %s\n", what, result_str(ret, errno));
}

/* A "Name:   N kB" line of /proc/PID/status in kB; -1 when the line is not there (a zombie
 * has no memory lines) or the process is gone. */
static long status_kb(pid_t pid, const char* name) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  const size_t len = strlen(name);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, name, len) && line[len] == ':') {
      kb = strtol(line + len + 1, NULL, 10);
      break;
    }
  fclose(f);
  return kb;
}

/* A child with kAnonPages of private anonymous memory and kSharedPages of shared anonymous
 * memory, all touched, that says so on the pipe and waits to be killed. */
static pid_t memory_child(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    char* anon = mmap(NULL, (size_t)kAnonPages * kPage, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char* shared = mmap(NULL, (size_t)kSharedPages * kPage, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (anon == MAP_FAILED || shared == MAP_FAILED) _exit(90);
    for (int i = 0; i < kAnonPages; ++i) anon[(size_t)i * kPage] = (char)(i + 1);
    for (int i = 0; i < kSharedPages; ++i) shared[(size_t)i * kPage] = (char)(i + 1);
    if (write(p[1], "r", 1) != 1) _exit(91);
    for (;;) pause();
  }
  close(p[1]);
  char c;
  CHECK(read(p[0], &c, 1) == 1);
  close(p[0]);
  return pid;
}

/* Kills a memory child with `kill_how`, then releases its memory at once. */
static void kill_and_release(const char* label, int use_pidfd_signal) {
  pid_t pid = memory_child();
  int pidfd = pidfd_open(pid, 0);
  CHECK(pidfd >= 0);
  const long anon_before = status_kb(pid, "RssAnon");
  const long shmem_before = status_kb(pid, "RssShmem");
  printf("%s: child's RssAnon at least %d kB: %s, RssShmem at least %d kB: %s\n", label,
         kAnonPages * 4, yesno(anon_before >= kAnonPages * 4), kSharedPages * 4,
         yesno(shmem_before >= kSharedPages * 4));

  if (use_pidfd_signal)
    CHECK(pidfd_send_signal(pidfd, SIGKILL) == 0);
  else
    CHECK(kill(pid, SIGKILL) == 0);
  errno = 0;
  const long r = mrelease(pidfd, 0);
  const int err = errno;
  const long anon_after = status_kb(pid, "RssAnon");
  const long shmem_after = status_kb(pid, "RssShmem");
  if (r == 0 || (r == -1 && err == ESRCH))
    printf("%s: process_mrelease after SIGKILL: reaped or gone\n", label);
  else
    printf("%s: process_mrelease after SIGKILL: %s\n", label, result_str(r, err));
  if (r == 0) {
    /* The private memory went; the shared memory stays with its object until exit. A
     * child that has meanwhile ended shows no memory at all. */
    const int ok = anon_after == -1 || (anon_after < anon_before && anon_after < 64 &&
                                        (shmem_after == -1 || shmem_after >= shmem_before));
    printf("%s: private memory released: %s\n", label, yesno(ok));
    if (!ok)
      printf("%s:   RssAnon %ld -> %ld kB, RssShmem %ld -> %ld kB\n", label, anon_before,
             anon_after, shmem_before, shmem_after);
    /* Asked again while the child may still be dying: nothing is left, and that is no
     * error; once it has ended, ESRCH. */
    errno = 0;
    const long again = mrelease(pidfd, 0);
    printf("%s: again: %s\n", label,
           again == 0 || errno == ESRCH ? "reaped or gone" : result_str(again, errno));
  } else {
    printf("%s: private memory released: yes\n", label);
    printf("%s: again: reaped or gone\n", label);
  }

  /* The child ends as killed by SIGKILL, its pidfd readable, whatever was released. */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK(waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOWAIT) == 0);
  printf("%s: child %s by signal %d\n", label, si.si_code == CLD_KILLED ? "killed" : "ended",
         si.si_status);
  show("process_mrelease on the zombie", mrelease(pidfd, 0));
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  printf("%s: wait status: signaled %s, signal %d\n", label, yesno(WIFSIGNALED(status)),
         WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  show("process_mrelease after the child is reaped", mrelease(pidfd, 0));
  close(pidfd);
}

int main(void) {
  /* Bad arguments, before any child: flags are looked at first. */
  show("process_mrelease(-1, 0)", mrelease(-1, 0));
  show("process_mrelease(-1, 1)", mrelease(-1, 1));
  show("process_mrelease(999, 0) (not open)", mrelease(999, 0));
  int devnull = open("/dev/null", O_RDONLY);
  CHECK(devnull >= 0);
  show("process_mrelease(/dev/null fd, 0)", mrelease(devnull, 0));
  close(devnull);

  /* A live child: not dying, so nothing may be taken. */
  pid_t pid = memory_child();
  int pidfd = pidfd_open(pid, 0);
  CHECK(pidfd >= 0);
  show("process_mrelease(live child, 1)", mrelease(pidfd, 1));
  show("process_mrelease(live child, ~0)", mrelease(pidfd, ~0u));
  show("process_mrelease(live child, 0)", mrelease(pidfd, 0));
  const long anon = status_kb(pid, "RssAnon");
  printf("live child keeps its memory: %s\n", yesno(anon >= kAnonPages * 4));
  /* A signal the child handles by default without dying (SIGCONT) changes nothing. */
  CHECK(kill(pid, SIGCONT) == 0);
  show("process_mrelease(live child after SIGCONT, 0)", mrelease(pidfd, 0));
  /* Its own pidfd: the caller is alive. */
  int self = pidfd_open(getpid(), 0);
  CHECK(self >= 0);
  show("process_mrelease(own pidfd, 0)", mrelease(self, 0));
  close(self);
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(waitpid(pid, NULL, 0) == pid);
  close(pidfd);

  kill_and_release("kill", 0);
  kill_and_release("pidfd_send_signal", 1);
  printf("done\n");
  return 0;
}
