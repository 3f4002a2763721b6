/* fork_wait: fork and vfork, exit status encodings, wait4 and waitid (P_PID, P_PGID, P_ALL,
 * WNOHANG, WNOWAIT, WEXITED, WSTOPPED, WCONTINUED) with their errnos, zombies, SIGCHLD and
 * its siginfo, reparenting to the nearest child subreaper, and the rules of getppid,
 * getpgid, setpgid, setsid and getsid. Only the first process prints; children report
 * through exit statuses and pipes, so the output does not depend on scheduling. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#endif

static void out(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) CHECK(write(1, buf, (size_t)n) == n);
}

static void nap(void) {
  struct timespec ts = {0, 2 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

static const char* code_name(int code) {
  switch (code) {
    case CLD_EXITED:
      return "CLD_EXITED";
    case CLD_KILLED:
      return "CLD_KILLED";
    case CLD_DUMPED:
      return "CLD_DUMPED";
    case CLD_STOPPED:
      return "CLD_STOPPED";
    case CLD_CONTINUED:
      return "CLD_CONTINUED";
    case 0:
      return "0";
    default:
      return "?";
  }
}

/* "0" or "-1 ENAME" for a call's result; a function, so that errno is read after the call. */
static const char* res(long ret) {
  return result_str(ret, errno);
}

static pid_t spawn_exit(int code) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) _exit(code);
  return pid;
}

static pid_t spawn_pause(void) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    for (;;) pause();
  }
  return pid;
}

static void exit_statuses(void) {
  static const int codes[] = {0, 1, 42, 255, 256, 257};
  for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    pid_t pid = spawn_exit(codes[i]);
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid);
    out("exit(%d): status 0x%x exited %d code %d\n", codes[i], st, WIFEXITED(st), WEXITSTATUS(st));
  }
  static const int sigs[] = {SIGKILL, SIGTERM, SIGUSR1, SIGHUP};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    pid_t pid = spawn_pause();
    CHECK(kill(pid, sigs[i]) == 0);
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid);
    out("killed by %d: status 0x%x signaled %d sig %d\n", sigs[i], st, WIFSIGNALED(st),
        WTERMSIG(st));
  }
  /* A signal the child raises itself, with its default action. */
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    raise(SIGUSR2);
    _exit(99);
  }
  int st = -1;
  CHECK(waitpid(pid, &st, 0) == pid);
  out("raise(SIGUSR2): status 0x%x\n", st);
}

static void wait_errnos(void) {
  int st;
  errno = 0;
  out("wait4 no children: %s\n", res(wait4(-1, &st, 0, NULL)));
  errno = 0;
  out("wait4 WNOHANG no children: %s\n", res(wait4(-1, &st, WNOHANG, NULL)));
  siginfo_t si;
  errno = 0;
  out("waitid no children: %s\n", res(waitid(P_ALL, 0, &si, WEXITED)));

  pid_t pid = spawn_pause();
  static const int bad_wait4[] = {WEXITED, WNOWAIT, WSTOPPED | WNOWAIT, 0x100, 0x40000};
  for (unsigned i = 0; i < sizeof bad_wait4 / sizeof bad_wait4[0]; i++) {
    errno = 0;
    out("wait4 options 0x%x: %s\n", bad_wait4[i],
        res(wait4(pid, &st, bad_wait4[i] | WNOHANG, NULL)));
  }
  static const int bad_waitid[] = {0, WNOHANG, WNOWAIT, 0x100, 0x40000 | WEXITED};
  for (unsigned i = 0; i < sizeof bad_waitid / sizeof bad_waitid[0]; i++) {
    errno = 0;
    out("waitid options 0x%x: %s\n", bad_waitid[i], res(waitid(P_PID, pid, &si, bad_waitid[i])));
  }
  errno = 0;
  out("waitid P_PID 0: %s\n", res(waitid(P_PID, 0, &si, WEXITED | WNOHANG)));
  errno = 0;
  out("waitid P_PGID -1: %s\n", res(syscall(SYS_waitid, P_PGID, -1, &si, WEXITED | WNOHANG, NULL)));
  errno = 0;
  out("waitid idtype 7: %s\n", res(syscall(SYS_waitid, 7, 0, &si, WEXITED | WNOHANG, NULL)));
  errno = 0;
  out("wait4 INT_MIN: %s\n", res(syscall(SYS_wait4, -2147483647 - 1, &st, WNOHANG, NULL)));
  errno = 0;
  out("wait4 other pid: %s\n", res(wait4(pid + 100000, &st, WNOHANG, NULL)));

  /* A running child: WNOHANG says 0, and waitid clears what it would have filled. */
  st = 12345;
  long got = wait4(pid, &st, WNOHANG, NULL);
  out("wait4 WNOHANG running: %ld status untouched %s\n", got, yesno(st == 12345));
  memset(&si, 0x5a, sizeof si);
  long r = waitid(P_PID, pid, &si, WEXITED | WNOHANG);
  out("waitid WNOHANG running: %ld si_pid %d si_signo %d si_code %d si_status %d\n", r, si.si_pid,
      si.si_signo, si.si_code, si.si_status);
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(waitpid(pid, &st, 0) == pid);
}

static void zombies(void) {
  pid_t pid = spawn_exit(7);
  siginfo_t si;
  for (int round = 0; round < 2; round++) {
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0);
    out("WNOWAIT round %d: pid ok %s signo %d code %s status %d\n", round, yesno(si.si_pid == pid),
        si.si_signo, code_name(si.si_code), si.si_status);
  }
  /* The zombie is still there for getpgid, and for kill (which succeeds on a zombie). */
  out("getpgid(zombie) ok: %s\n", yesno(getpgid(pid) == getpgrp()));
  out("kill(zombie, 0): %d\n", kill(pid, 0));
  int st = 0;
  pid_t got = wait4(pid, &st, WNOHANG, NULL);
  out("wait4 WNOHANG zombie: pid ok %s status 0x%x\n", yesno(got == pid), st);
  errno = 0;
  out("after reaping: waitid %s\n", res(waitid(P_PID, pid, &si, WEXITED)));
  errno = 0;
  out("after reaping: kill %s\n", res(kill(pid, 0)));

  /* P_ALL and P_PGID choose among several; each is reported once. */
  pid_t a = spawn_exit(11), b = spawn_exit(12);
  int seen = 0;
  for (int i = 0; i < 2; i++) {
    memset(&si, 0, sizeof si);
    CHECK(waitid(i == 0 ? P_ALL : P_PGID, i == 0 ? 0 : (id_t)getpgrp(), &si, WEXITED) == 0);
    if (si.si_pid == a) seen |= 1;
    if (si.si_pid == b) seen |= 2;
    out("reaped one: status %d\n", si.si_status == 11 || si.si_status == 12);
  }
  out("both reaped: %s\n", yesno(seen == 3));

  /* wait4(0, ...) is this process group; a child in its own group is not in it. */
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    setpgid(0, 0);
    _exit(5);
  }
  setpgid(c, c); /* whichever runs first; one of them succeeds */
  errno = 0;
  long r = wait4(0, &st, WNOHANG, NULL);
  out("wait4(0) with the child in its own group: %s\n", res(r));
  errno = 0;
  r = wait4(-c, &st, 0, NULL);
  out("wait4(-pgid): pid ok %s status 0x%x\n", yesno(r == c), st);
}

static volatile sig_atomic_t handled;

static void on_chld(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)si;
  (void)uc;
  handled++;
}

// SIGCHLD is blocked; this waits for it with sigsuspend and a handler that keeps its
// siginfo.
static volatile sig_atomic_t chld_seen;
static siginfo_t chld_info;

static void keep_chld(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  chld_info = *si;
  chld_seen = 1;
}

static void wait_chld(siginfo_t* si) {
  struct sigaction sa, old_sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = keep_chld;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGCHLD, &sa, &old_sa) == 0);
  sigset_t unblocked;
  sigprocmask(SIG_SETMASK, NULL, &unblocked);
  sigdelset(&unblocked, SIGCHLD);
  chld_seen = 0;
  while (!chld_seen) sigsuspend(&unblocked);
  *si = chld_info;
  CHECK(sigaction(SIGCHLD, &old_sa, NULL) == 0);
}

static void print_chld(const char* what, pid_t pid) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  wait_chld(&si);
  out("SIGCHLD %s: signo %d code %s pid ok %s uid ok %s status %d\n", what, si.si_signo,
      code_name(si.si_code), yesno(si.si_pid == pid), yesno(si.si_uid == getuid()), si.si_status);
}

static void stop_continue(void) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);

  pid_t pid = spawn_pause();
  siginfo_t si;
  int st;
  CHECK(kill(pid, SIGSTOP) == 0);
  print_chld("stop", pid);
  memset(&si, 0, sizeof si);
  CHECK(waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT) == 0);
  out("waitid WSTOPPED|WNOWAIT: code %s status %d\n", code_name(si.si_code), si.si_status);
  st = 0;
  pid_t got = wait4(pid, &st, WUNTRACED, NULL);
  out("wait4 WUNTRACED: pid ok %s status 0x%x stopped %d sig %d\n", yesno(got == pid), st,
      WIFSTOPPED(st), WSTOPSIG(st));
  out("wait4 WUNTRACED again: %ld\n", (long)wait4(pid, &st, WUNTRACED | WNOHANG, NULL));
  memset(&si, 0, sizeof si);
  out("waitid WSTOPPED again: %d pid %d\n", waitid(P_PID, pid, &si, WSTOPPED | WNOHANG), si.si_pid);
  /* Stopped twice: no new report. */
  CHECK(kill(pid, SIGTSTP) == 0);
  out("wait4 after a second stop: %ld\n", (long)wait4(pid, &st, WUNTRACED | WNOHANG, NULL));

  CHECK(kill(pid, SIGCONT) == 0);
  print_chld("continue", pid);
  memset(&si, 0, sizeof si);
  CHECK(waitid(P_PID, pid, &si, WCONTINUED) == 0);
  out("waitid WCONTINUED: code %s status %d\n", code_name(si.si_code), si.si_status);
  out("wait4 WCONTINUED again: %ld\n", (long)wait4(pid, &st, WCONTINUED | WNOHANG, NULL));

  CHECK(kill(pid, SIGSTOP) == 0);
  print_chld("stop 2", pid);
  CHECK(kill(pid, SIGCONT) == 0);
  print_chld("continue 2", pid);
  st = 0;
  got = wait4(pid, &st, WCONTINUED, NULL);
  out("wait4 WCONTINUED: pid ok %s status 0x%x continued %d\n", yesno(got == pid), st,
      WIFCONTINUED(st));
  /* The stop report was overtaken by the continue. */
  out("wait4 WUNTRACED after continue: %ld\n", (long)wait4(pid, &st, WUNTRACED | WNOHANG, NULL));

  CHECK(kill(pid, SIGKILL) == 0);
  print_chld("kill", pid);
  CHECK(waitpid(pid, &st, 0) == pid);
  out("killed: 0x%x\n", st);

  pid = spawn_exit(3);
  print_chld("exit", pid);
  CHECK(waitpid(pid, &st, 0) == pid);

  /* SA_NOCLDSTOP: no SIGCHLD for a stop, but wait still reports it. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
  CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
  pid = spawn_pause();
  CHECK(kill(pid, SIGSTOP) == 0);
  CHECK(wait4(pid, &st, WUNTRACED, NULL) == pid);
  sigset_t pending;
  sigpending(&pending);
  out("SA_NOCLDSTOP: stop reported 0x%x, SIGCHLD pending %d\n", st, sigismember(&pending, SIGCHLD));
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(waitpid(pid, &st, 0) == pid);
  sigpending(&pending);
  out("SA_NOCLDSTOP: after the kill SIGCHLD pending %d\n", sigismember(&pending, SIGCHLD));
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
  out("handled %d\n", (int)handled);

  /* SIG_IGN: children are reaped at once, and wait says ECHILD once they are gone. */
  signal(SIGCHLD, SIG_IGN);
  pid = spawn_exit(4);
  errno = 0;
  out("SIGCHLD ignored: wait4 %s\n", res(wait4(pid, &st, 0, NULL)));
  signal(SIGCHLD, SIG_DFL);
}

/* A pipe's read end yields one int from a child. */
static int read_int(int fd) {
  int v = -1;
  CHECK(read(fd, &v, sizeof v) == sizeof v);
  return v;
}

static void reparenting(void) {
  pid_t top = getpid();
  int v = -1;
  int r = prctl(PR_GET_CHILD_SUBREAPER, &v);
  out("subreaper before: %d %d\n", r, v);
  CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v) == 0);
  out("subreaper after: %d\n", v);

  /* A grandchild orphaned while running comes to this process. */
  int p[2];
  CHECK(pipe(p) == 0);
  pid_t mid = fork();
  CHECK(mid >= 0);
  if (mid == 0) {
    int inherited = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &inherited);
    pid_t me_mid = getpid();
    pid_t g = fork();
    if (g == 0) {
      while (getppid() == me_mid) nap();
      int report[3] = {getppid() == top, inherited, 0};
      CHECK(write(p[1], report, sizeof report) == sizeof report);
      _exit(9);
    }
    CHECK(write(p[1], &g, sizeof g) == sizeof g);
    _exit(0);
  }
  pid_t g = read_int(p[0]);
  int st;
  CHECK(waitpid(mid, &st, 0) == mid);
  int report[3];
  CHECK(read(p[0], report, sizeof report) == sizeof report);
  out("orphan's new parent is the subreaper: %s; the subreaper flag inherited: %d\n",
      yesno(report[0]), report[1]);
  st = 0;
  pid_t got = waitpid(g, &st, 0);
  out("the subreaper reaps it: %s status 0x%x\n", yesno(got == g), st);

  /* A zombie orphan: its new parent is told with SIGCHLD (before the dead middle child's
   * own SIGCHLD, which then merges into the pending one), and can reap it. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
  mid = fork();
  CHECK(mid >= 0);
  if (mid == 0) {
    pid_t z = fork();
    if (z == 0) _exit(21);
    siginfo_t si;
    waitid(P_PID, z, &si, WEXITED | WNOWAIT);
    CHECK(write(p[1], &z, sizeof z) == sizeof z);
    _exit(0);
  }
  pid_t z = read_int(p[0]);
  CHECK(waitpid(mid, &st, 0) == mid);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  wait_chld(&si);
  out("zombie orphan: SIGCHLD from it %s code %s status %d\n", yesno(si.si_pid == z),
      code_name(si.si_code), si.si_status);
  st = 0;
  got = waitpid(z, &st, 0);
  out("zombie orphan reaped: %s status 0x%x\n", yesno(got == z), st);
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);

  /* The nearest subreaper wins: top > a (subreaper) > b > c; b dies, c goes to a. */
  pid_t a = fork();
  CHECK(a >= 0);
  if (a == 0) {
    pid_t apid = getpid();
    CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    pid_t b = fork();
    if (b == 0) {
      pid_t bpid = getpid();
      pid_t c = fork();
      if (c == 0) {
        while (getppid() == bpid) nap();
        _exit(getppid() == apid ? 30 : 31);
      }
      _exit(0);
    }
    int s;
    CHECK(waitpid(b, &s, 0) == b);
    pid_t got = wait(&s);
    _exit(got > 0 && WIFEXITED(s) ? WEXITSTATUS(s) : 32);
  }
  CHECK(waitpid(a, &st, 0) == a);
  out("nested subreaper: %d (30 = the grandchild went to the nearest subreaper)\n",
      WEXITSTATUS(st));
  errno = 0;
  out("no children left: %s\n", res(wait(&st)));
  CHECK(prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
  CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v) == 0);
  out("subreaper cleared: %d\n", v);
  close(p[0]);
  close(p[1]);
}

static void vfork_tests(void) {
  static volatile int shared_step;
  shared_step = 0;
  pid_t pid = vfork();
  if (pid == 0) {
    shared_step = 1;
    _exit(6);
  }
  CHECK(pid > 0);
  out("vfork: the child ran first and shares memory: %s\n", yesno(shared_step == 1));
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  out("vfork child status 0x%x\n", st);
}

static void ids_and_groups(void) {
  pid_t me = getpid();
  out("getpgid(0) == getpgrp(): %s\n", yesno(getpgid(0) == getpgrp()));
  out("getsid(0) == getsid(me): %s\n", yesno(getsid(0) == getsid(me)));
  errno = 0;
  out("getpgid(no such): %s\n", res(getpgid(0x3ffffff0)));
  errno = 0;
  out("getsid(no such): %s\n", res(getsid(0x3ffffff0)));
  errno = 0;
  out("setpgid(0, -1): %s\n", res(setpgid(0, -1)));
  errno = 0;
  out("setpgid(no such, 0): %s\n", res(setpgid(0x3ffffff0, 0)));
  errno = 0;
  out("setpgid(-1, 0): %s\n", res(setpgid(-1, 0)));

  /* A child: its parent, its group, a new session, and what a session leader may not do. */
  int to_child[2], from_child[2];
  CHECK(pipe(to_child) == 0 && pipe(from_child) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int r[8];
    r[0] = getppid() == me;
    r[1] = getpgrp() == getpgid(me);
    r[2] = getsid(0) == getsid(me);
    CHECK(write(from_child[1], r, 3 * sizeof r[0]) == 3 * sizeof r[0]);
    char c;
    CHECK(read(to_child[0], &c, 1) == 1); /* the parent moved us into our own group */
    r[3] = getpgrp() == getpid();
    errno = 0;
    r[4] = setsid() == -1 ? errno : 0;   /* a group leader may not */
    CHECK(setpgid(0, getpgid(me)) == 0); /* back into the parent's group */
    r[5] = setsid() == getpid() ? 0 : errno;
    errno = 0;
    r[6] = setsid() == -1 ? errno : 0;
    errno = 0;
    r[7] = setpgid(0, 0) == -1 ? errno : 0; /* a session leader stays where it is */
    CHECK(write(from_child[1], r + 3, 5 * sizeof r[0]) == 5 * sizeof r[0]);
    CHECK(read(to_child[0], &c, 1) == 1);
    _exit(0);
  }
  int r[8];
  CHECK(read(from_child[0], r, 3 * sizeof r[0]) == 3 * sizeof r[0]);
  out("parent moves child into its own group: %d\n", setpgid(pid, pid));
  out("getpgid(child) is the child: %s\n", yesno(getpgid(pid) == pid));
  errno = 0;
  out("setpgid(child, no such group): %s\n", res(setpgid(pid, 0x3ffffff0)));
  CHECK(write(to_child[1], "g", 1) == 1);
  CHECK(read(from_child[0], r + 3, 5 * sizeof r[0]) == 5 * sizeof r[0]);
  out("child: getppid %d, group %d, session %d, own group %d\n", r[0], r[1], r[2], r[3]);
  out("child: setsid as group leader %s, setsid %s, again %s, setpgid as session leader %s\n",
      errname(r[4]), errname(r[5]), errname(r[6]), errname(r[7]));
  out("getsid(child) is the child: %s; getpgid(child) too: %s\n", yesno(getsid(pid) == pid),
      yesno(getpgid(pid) == pid));
  errno = 0;
  out("setpgid(child in another session): %s\n", res(setpgid(pid, getpgrp())));
  errno = 0;
  out("setpgid(self, the child's group in another session): %s\n", res(setpgid(0, pid)));
  CHECK(write(to_child[1], "x", 1) == 1);
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);

  /* A grandchild is not ours to move. */
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    pid_t g = fork();
    if (g == 0) {
      char c;
      read(to_child[0], &c, 1);
      _exit(0);
    }
    CHECK(write(from_child[1], &g, sizeof g) == sizeof g);
    int s;
    waitpid(g, &s, 0);
    _exit(0);
  }
  pid_t g = read_int(from_child[0]);
  errno = 0;
  out("setpgid(grandchild): %s\n", res(setpgid(g, g)));
  CHECK(write(to_child[1], "x", 1) == 1);
  CHECK(waitpid(pid, &st, 0) == pid);
  close(to_child[0]);
  close(to_child[1]);
  close(from_child[0]);
  close(from_child[1]);
}

int main(void) {
  exit_statuses();
  wait_errnos();
  zombies();
  stop_continue();
  reparenting();
  vfork_tests();
  ids_and_groups();
  out("done\n");
  return 0;
}
