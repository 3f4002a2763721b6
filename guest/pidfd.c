/* pidfd_open, waitid(P_PIDFD), pidfd_send_signal and pidfd_getfd on forked children: every
 * errno Linux 6.1 gives, the descriptor's flags and /proc/self/fdinfo, and what each call
 * does to the child. Pids are printed relative to the child ("child"), never as numbers.
 * (Polling a pidfd is left to a test of its own once emu has poll and epoll.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) {
  return (int)syscall(434, pid, flags);
}
static int pidfd_send_signal(int fd, int sig, siginfo_t* info, unsigned flags) {
  return (int)syscall(424, fd, sig, info, flags);
}
static int pidfd_getfd(int fd, int target, unsigned flags) {
  return (int)syscall(438, fd, target, flags);
}

static void show(const char* what, long ret) {
  printf("%-44s %s\n", what, result_str(ret, errno));
}

/* A child that waits until the parent writes a byte to *release, then exits with `code`. */
static pid_t waiting_child(int* release, int code) {
  int p[2];
  CHECK(pipe(p) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(p[1]);
    char c;
    ssize_t n = read(p[0], &c, 1);
    _exit(n == 1 ? code : 99);
  }
  close(p[0]);
  *release = p[1];
  return pid;
}

/* The Pid: and NSpid: lines of /proc/self/fdinfo/FD, with `pid` shown as "child". */
static void show_fdinfo(const char* what, int fd, pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY);
  CHECK(f >= 0);
  ssize_t n = read(f, buf, sizeof buf - 1);
  close(f);
  CHECK(n > 0);
  buf[n] = 0;
  for (char* line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "Pid:", 4) && strncmp(line, "NSpid:", 6)) continue;
    char* tab = strchr(line, '\t');
    CHECK(tab);
    *tab = 0;
    long v = strtol(tab + 1, NULL, 10);
    if (v == pid)
      printf("%-44s %s child\n", what, line);
    else
      printf("%-44s %s %ld\n", what, line, v);
  }
}

static void* thread_tid(void* arg) {
  *(pid_t*)arg = (pid_t)syscall(SYS_gettid);
  sleep(1);
  return NULL;
}

static void open_errors(void) {
  show("pidfd_open flags 1", pidfd_open(getpid(), 1));
  show("pidfd_open flags O_CLOEXEC", pidfd_open(getpid(), O_CLOEXEC));
  show("pidfd_open pid 0", pidfd_open(0, 0));
  show("pidfd_open pid -1", pidfd_open(-1, 0));
  show("pidfd_open bad flags and pid 0", pidfd_open(0, 2));

  /* A thread that is not the group leader names no thread group. */
  pthread_t t;
  volatile pid_t tid = 0;
  CHECK(pthread_create(&t, NULL, thread_tid, (void*)&tid) == 0);
  while (!tid) sched_yield();
  /* Linux 6.1 answers EINVAL; 6.9 and later (PIDFD_THREAD) ENOENT. */
  int r = pidfd_open(tid, 0);
  printf("%-44s %s\n", "pidfd_open of a non-leader thread",
         r < 0 && (errno == EINVAL || errno == ENOENT) ? "-1 EINVAL (6.1) or ENOENT (6.9+)"
                                                       : result_str(r, errno));
  pthread_join(t, NULL);

  int self = pidfd_open(getpid(), 0);
  CHECK(self >= 0);
  printf("%-44s %s\n", "pidfd_open self FD_CLOEXEC", yesno(fcntl(self, F_GETFD) & FD_CLOEXEC));
  printf("%-44s %s\n", "pidfd_open self O_RDWR",
         yesno((fcntl(self, F_GETFL) & O_ACCMODE) == O_RDWR));
  printf("%-44s %s\n", "pidfd_open self O_NONBLOCK", yesno(fcntl(self, F_GETFL) & O_NONBLOCK));
  close(self);
  int nb = pidfd_open(getpid(), PIDFD_NONBLOCK);
  CHECK(nb >= 0);
  printf("%-44s %s\n", "PIDFD_NONBLOCK O_NONBLOCK", yesno(fcntl(nb, F_GETFL) & O_NONBLOCK));
  close(nb);

  /* RLIMIT_NOFILE: no free descriptor below the limit. */
  struct rlimit old;
  getrlimit(RLIMIT_NOFILE, &old);
  struct rlimit low = {8, old.rlim_max};
  CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
  int fds[8], n = 0;
  for (int fd; n < 8 && (fd = open("/dev/null", O_RDONLY)) >= 0;) fds[n++] = fd;
  printf("%-44s %d\n", "descriptors opened up to the limit", n);
  show("pidfd_open with no free descriptor", pidfd_open(getpid(), 0));
  while (n) close(fds[--n]);
  setrlimit(RLIMIT_NOFILE, &old);
}

static void wait_for_exit(void) {
  int release;
  pid_t pid = waiting_child(&release, 7);
  int fd = pidfd_open(pid, 0);
  CHECK(fd >= 0);
  int nb = pidfd_open(pid, PIDFD_NONBLOCK);
  CHECK(nb >= 0);
  show_fdinfo("fdinfo while running", fd, pid);

  siginfo_t si;
  memset(&si, 0, sizeof si);
  show("waitid P_PIDFD nonblocking pidfd", waitid(P_PIDFD, nb, &si, WEXITED));
  show("waitid P_PIDFD WNOHANG", waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG));
  printf("%-44s %d\n", "WNOHANG si_pid", si.si_pid);
  show("pidfd_send_signal 0 to a running child", pidfd_send_signal(fd, 0, NULL, 0));

  CHECK(write(release, "x", 1) == 1);
  memset(&si, 0, sizeof si);
  show("waitid P_PIDFD WNOWAIT", waitid(P_PIDFD, fd, &si, WEXITED | WNOWAIT));
  printf("%-44s %s %d\n", "WNOWAIT reports", si.si_pid == pid ? "child" : "other", si.si_status);
  show_fdinfo("fdinfo of a zombie", fd, pid);
  show("pidfd_send_signal 0 to a zombie", pidfd_send_signal(fd, 0, NULL, 0));
  show("pidfd_send_signal SIGTERM to a zombie", pidfd_send_signal(fd, SIGTERM, NULL, 0));
  show("pidfd_open of a zombie", pidfd_open(pid, 0) >= 0 ? 0 : -1);

  memset(&si, 0, sizeof si);
  show("waitid P_PIDFD WEXITED", waitid(P_PIDFD, fd, &si, WEXITED));
  printf("%-44s %s %s %d\n", "waitid reports", si.si_pid == pid ? "child" : "other",
         si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status);
  show_fdinfo("fdinfo after reaping", fd, pid);
  show("pidfd_send_signal after reaping", pidfd_send_signal(fd, SIGTERM, NULL, 0));
  show("pidfd_send_signal 0 after reaping", pidfd_send_signal(fd, 0, NULL, 0));
  show("pidfd_getfd after reaping", pidfd_getfd(fd, 0, 0));
  show("waitid P_PIDFD after reaping", waitid(P_PIDFD, fd, &si, WEXITED));
  show("pidfd_open of a reaped child", pidfd_open(pid, 0));
  close(fd);
  close(nb);
  close(release);
}

static volatile sig_atomic_t got_code, got_value;

static void on_usr1(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  got_code = si->si_code;
  got_value = si->si_value.sival_int;
}

static void send_signal(void) {
  int release;
  pid_t pid = waiting_child(&release, 0);
  int fd = pidfd_open(pid, 0);
  CHECK(fd >= 0);
  int p[2];
  CHECK(pipe(p) == 0);
  show("pidfd_send_signal flags 8", pidfd_send_signal(fd, SIGTERM, NULL, 8));
  show("pidfd_send_signal on a pipe", pidfd_send_signal(p[0], SIGTERM, NULL, 0));
  show("pidfd_send_signal on fd -1", pidfd_send_signal(-1, SIGTERM, NULL, 0));
  show("pidfd_send_signal on a closed fd", pidfd_send_signal(99, SIGTERM, NULL, 0));
  show("pidfd_send_signal signal 65", pidfd_send_signal(fd, 65, NULL, 0));
  show("pidfd_send_signal bad info pointer", pidfd_send_signal(fd, SIGTERM, (void*)8, 0));

  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = SIGUSR1;
  si.si_code = SI_QUEUE;
  show("info si_signo differs from sig", pidfd_send_signal(fd, SIGTERM, &si, 0));
  si.si_code = SI_USER;
  show("info SI_USER to another process", pidfd_send_signal(fd, SIGUSR1, &si, 0));
  si.si_code = SI_TKILL;
  show("info SI_TKILL to another process", pidfd_send_signal(fd, SIGUSR1, &si, 0));
  si.si_code = 1;
  show("info si_code 1 to another process", pidfd_send_signal(fd, SIGUSR1, &si, 0));

  /* To oneself, any si_code goes, and the handler sees it. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  int self = pidfd_open(getpid(), 0);
  CHECK(self >= 0);
  si.si_code = SI_QUEUE;
  si.si_value.sival_int = 42;
  show("info SI_QUEUE to oneself", pidfd_send_signal(self, SIGUSR1, &si, 0));
  printf("%-44s %d %d\n", "handler saw si_code, value", got_code, got_value);
  si.si_code = 7;
  si.si_value.sival_int = 43;
  show("info si_code 7 to oneself", pidfd_send_signal(self, SIGUSR1, &si, 0));
  printf("%-44s %d %d\n", "handler saw si_code, value", got_code, got_value);
  show("no info to oneself", pidfd_send_signal(self, SIGUSR1, NULL, 0));
  printf("%-44s %s\n", "handler saw SI_USER", yesno(got_code == SI_USER));
  close(self);

  si.si_code = SI_QUEUE;
  si.si_signo = SIGTERM;
  show("info SI_QUEUE SIGTERM to the child", pidfd_send_signal(fd, SIGTERM, &si, 0));
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  printf("%-44s %s %d\n", "child ended by signal", yesno(WIFSIGNALED(status)), WTERMSIG(status));
  show("pidfd_send_signal after reaping", pidfd_send_signal(fd, SIGKILL, NULL, 0));
  close(fd);
  close(release);
  close(p[0]);
  close(p[1]);
}

static void get_fd(void) {
  /* The child opens a pipe, writes to it, and tells the parent the descriptor. */
  int report[2], release[2];
  CHECK(pipe(report) == 0 && pipe(release) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int q[2];
    CHECK(pipe(q) == 0);
    CHECK(write(q[1], "from the child", 14) == 14);
    CHECK(write(report[1], &q[0], sizeof q[0]) == sizeof q[0]);
    char c;
    (void)read(release[0], &c, 1);
    _exit(0);
  }
  int child_fd;
  CHECK(read(report[0], &child_fd, sizeof child_fd) == sizeof child_fd);
  int fd = pidfd_open(pid, 0);
  CHECK(fd >= 0);
  show("pidfd_getfd flags 1", pidfd_getfd(fd, child_fd, 1));
  show("pidfd_getfd on a pipe", pidfd_getfd(report[0], child_fd, 0));
  show("pidfd_getfd of a closed fd", pidfd_getfd(fd, 77, 0));
  show("pidfd_getfd of fd -1", pidfd_getfd(fd, -1, 0));
  int got = pidfd_getfd(fd, child_fd, 0);
  printf("%-44s %s\n", "pidfd_getfd of the child's pipe", got >= 0 ? "ok" : errname(errno));
  if (got >= 0) {
    printf("%-44s %s\n", "new fd FD_CLOEXEC", yesno(fcntl(got, F_GETFD) & FD_CLOEXEC));
    char buf[32] = {0};
    ssize_t n = read(got, buf, sizeof buf - 1);
    printf("%-44s %zd \"%s\"\n", "read through it", n, n > 0 ? buf : "");
    close(got);
  }
  int self = pidfd_open(getpid(), 0);
  int mine = pidfd_getfd(self, report[0], 0);
  printf("%-44s %s\n", "pidfd_getfd of one's own fd", mine >= 0 ? "ok" : errname(errno));
  if (mine >= 0) close(mine);
  close(self);

  CHECK(write(release[1], "x", 1) == 1);
  siginfo_t si;
  CHECK(waitid(P_PIDFD, fd, &si, WEXITED | WNOWAIT) == 0);
  show("pidfd_getfd of a zombie", pidfd_getfd(fd, child_fd, 0));
  CHECK(waitpid(pid, NULL, 0) == pid);
  show("pidfd_getfd after reaping", pidfd_getfd(fd, child_fd, 0));
  close(fd);
  close(report[0]);
  close(report[1]);
  close(release[0]);
  close(release[1]);
}

/* A child running as another user may not take a root process's descriptors. */
static void get_fd_permission(void) {
  if (geteuid() != 0) {
    printf("%-44s %s\n", "pidfd_getfd as another user", "EPERM");
    return;
  }
  int release;
  pid_t target = waiting_child(&release, 0);
  int fd = pidfd_open(target, 0);
  CHECK(fd >= 0);
  int out[2];
  CHECK(pipe(out) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    CHECK(setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0);
    int r = pidfd_getfd(fd, 0, 0);
    int e = r < 0 ? errno : 0;
    CHECK(write(out[1], &e, sizeof e) == sizeof e);
    _exit(0);
  }
  int e;
  CHECK(read(out[0], &e, sizeof e) == sizeof e);
  printf("%-44s %s\n", "pidfd_getfd as another user", errname(e));
  waitpid(pid, NULL, 0);
  CHECK(write(release, "x", 1) == 1);
  waitpid(target, NULL, 0);
  close(fd);
  close(release);
  close(out[0]);
  close(out[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  open_errors();
  wait_for_exit();
  send_signal();
  get_fd();
  get_fd_permission();
  return 0;
}
