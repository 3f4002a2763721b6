/* exec: execve and execveat of this same program (run again as a helper with a mode
 * argument) and of `#!` scripts, with arguments, environment, close-on-exec descriptors,
 * signal dispositions and the mask carried across; exec's errnos; execve from a thread
 * ending the other threads; vfork then exec. The helper modes print what they find. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char** environ;

static void out(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) CHECK(write(1, buf, (size_t)n) == n);
}

static const char* res(long ret) {
  return result_str(ret, errno);
}

static char self[PATH_MAX];  // this program's absolute path
static char script[64];      // a scratch script in /tmp

static int fd_open(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

// --- The helper: what the program finds after an exec ---

static int helper(int argc, char** argv) {
  const char* mode = argv[1];
  if (!strcmp(mode, "args")) {
    out("  helper argc %d:", argc);
    for (int i = 2; i < argc; i++) out(" [%s]", argv[i]);
    out("\n  env EXEC_A=%s EXEC_B=%s PATH set %s\n", getenv("EXEC_A") ? getenv("EXEC_A") : "(none)",
        getenv("EXEC_B") ? getenv("EXEC_B") : "(none)", yesno(getenv("PATH") != NULL));
    return 5;
  }
  if (!strcmp(mode, "fds")) {
    out("  open after exec:");
    for (int i = 2; i < argc; i++) out(" %s=%s", argv[i], yesno(fd_open(atoi(argv[i]))));
    out("\n");
    return 0;
  }
  if (!strcmp(mode, "signals")) {
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    out("  SIGUSR1 handled before: now %s\n", sa.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
    sigaction(SIGUSR2, NULL, &sa);
    out("  SIGUSR2 ignored before: now %s\n", sa.sa_handler == SIG_IGN ? "SIG_IGN" : "other");
    sigset_t mask;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    out("  mask keeps SIGTERM %d, SIGHUP %d\n", sigismember(&mask, SIGTERM),
        sigismember(&mask, SIGHUP));
    sigset_t pending;
    sigpending(&pending);
    out("  pending SIGTERM kept %d\n", sigismember(&pending, SIGTERM));
    return 0;
  }
  if (!strcmp(mode, "threads")) {
    // Exec'd from a thread that was not the leader: the process keeps its pid.
    int threads = -1;
    FILE* f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
      if (!strncmp(line, "Threads:", 8)) threads = atoi(line + 8);
    if (f) fclose(f);
    out("  after exec from a thread: threads %d, pid kept %s, tid is pid %s\n", threads,
        yesno(getpid() == atoi(argv[2])), yesno(syscall(SYS_gettid) == getpid()));
    return 0;
  }
  if (!strcmp(mode, "exit")) return atoi(argv[2]);
  out("unknown helper mode %s\n", mode);
  return 1;
}

// --- The tests ---

// Runs `fn` in a child and waits: the status it ended with.
static int in_child(void (*fn)(void*), void* arg) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    fn(arg);
    _exit(100);
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  return st;
}

static void do_execve(void* arg) {
  char** argv = arg;
  char* envp[] = {"EXEC_A=one", "EXEC_B=two words", NULL};
  execve(argv[0], argv, envp);
  out("  execve: %s\n", res(-1));
  _exit(101);
}

static void plain_exec(void) {
  char* argv[] = {self, "args", "a b", "", "--x=1", NULL};
  out("execve self: status 0x%x\n", in_child(do_execve, argv));
  // The environment as given, nothing more (no PATH).
}

static void write_file(const char* path, const char* text, mode_t mode) {
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  CHECK(fd >= 0);
  CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  CHECK(close(fd) == 0);
  CHECK(chmod(path, mode) == 0);
}

static void scripts(void) {
  char text[PATH_MAX + 64];
  // A shell script run by busybox sh.
  write_file(script, "#!/bin/busybox sh\necho \"  sh script: $# args: $1 $2\"\nexit 3\n", 0755);
  char* argv[] = {script, "x", "y z", NULL};
  out("busybox script: status 0x%x\n", in_child(do_execve, argv));
  // This program as the interpreter, with one argument (the rest of the line, spaces too).
  snprintf(text, sizeof text, "#!%s interp  with spaces \nignored\n", self);
  write_file(script, text, 0755);
  out("interpreter with an argument: status 0x%x\n", in_child(do_execve, argv));
  // No argument, tabs around the interpreter.
  snprintf(text, sizeof text, "#!\t %s\t\n", self);
  write_file(script, text, 0755);
  char* argv2[] = {script, "interp", NULL};
  out("interpreter without an argument: status 0x%x\n", in_child(do_execve, argv2));
  // An interpreter that does not exist.
  write_file(script, "#!/nonexistent/interpreter\n", 0755);
  out("missing interpreter: status 0x%x\n", in_child(do_execve, argv));
  // A script without the execute bit.
  write_file(script, "#!/bin/busybox sh\nexit 0\n", 0644);
  out("script without x: status 0x%x\n", in_child(do_execve, argv));
  // Not a program at all.
  write_file(script, "just text\n", 0755);
  out("text file: status 0x%x\n", in_child(do_execve, argv));
  write_file(script, "", 0755);
  out("empty file: status 0x%x\n", in_child(do_execve, argv));
  unlink(script);
}

static void errnos(void) {
  char* argv[] = {"x", NULL};
  errno = 0;
  out("execve nonexistent: %s\n", res(execve("/nonexistent/program", argv, environ)));
  out("execve a directory: %s\n", res(execve("/", argv, environ)));
  out("execve empty path: %s\n", res(execve("", argv, environ)));
  out("execve bad path pointer: %s\n", res(syscall(SYS_execve, (char*)8, argv, environ)));
  out("execve bad argv: %s\n", res(syscall(SYS_execve, self, (char**)8, environ)));
  out("execve bad argv[0]: %s\n",
      res(syscall(SYS_execve, self, (char*[]){(char*)8, NULL}, environ)));
  out("execve through a file: %s\n", res(execve("/proc/self/status/x", argv, environ)));
  out("execveat bad flags: %s\n", res(syscall(SYS_execveat, AT_FDCWD, self, argv, environ, 0x4)));
  out("execveat empty path without AT_EMPTY_PATH: %s\n",
      res(syscall(SYS_execveat, AT_FDCWD, "", argv, environ, 0)));
  out("execveat bad fd: %s\n", res(syscall(SYS_execveat, 999, "x", argv, environ, 0)));
  out("execveat AT_SYMLINK_NOFOLLOW on a symlink: %s\n",
      res(syscall(SYS_execveat, AT_FDCWD, "/proc/self/exe", argv, environ, AT_SYMLINK_NOFOLLOW)));
  int dir = open("/", O_RDONLY | O_DIRECTORY);
  out("execveat AT_EMPTY_PATH on a directory: %s\n",
      res(syscall(SYS_execveat, dir, "", argv, environ, AT_EMPTY_PATH)));
  close(dir);
}

static void do_execveat(void* arg) {
  int how = *(int*)arg;
  char* argv[] = {"exec-by-fd", "exit", "7", NULL};
  long r = -1;
  if (how == 0) {
    int fd = open(self, O_RDONLY);
    r = syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
  } else if (how == 1) {
    int fd = open(self, O_PATH);
    r = syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
  } else if (how == 2) {
    // A directory fd and a name in it.
    char dirpath[PATH_MAX];
    strcpy(dirpath, self);
    char* slash = strrchr(dirpath, '/');
    *slash = 0;
    int dfd = open(dirpath, O_RDONLY | O_DIRECTORY);
    r = syscall(SYS_execveat, dfd, slash + 1, argv, environ, 0);
  } else if (how == 3) {
    // An absolute path ignores the fd.
    r = syscall(SYS_execveat, 12345, self, argv, environ, 0);
  }
  out("  execveat %d: %s\n", how, res(r));
  _exit(101);
}

static void execveat_tests(void) {
  for (int how = 0; how < 4; how++)
    out("execveat way %d: status 0x%x\n", how, in_child(do_execveat, &how));
}

static void do_fds(void* arg) {
  (void)arg;
  int p[2], q[2];
  CHECK(pipe2(p, O_CLOEXEC) == 0);  // 3, 4
  CHECK(pipe(q) == 0);              // 5, 6
  CHECK(dup2(p[0], 20) == 20);      // dup2 clears close-on-exec
  CHECK(fcntl(q[0], F_DUPFD_CLOEXEC, 30) == 30);
  CHECK(fcntl(q[1], F_SETFD, FD_CLOEXEC) == 0);
  CHECK(dup3(q[0], 40, O_CLOEXEC) == 40);
  CHECK(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) == 7);
  CHECK(open("/", O_RDONLY | O_DIRECTORY) == 8);
  char* argv[] = {self, "fds", "3", "4", "5", "6", "7", "8", "20", "30", "40", NULL};
  execve(self, argv, environ);
  _exit(101);
}

static void cloexec(void) {
  // Descriptors 3 and up are free here: everything this program opened is closed.
  out("O_CLOEXEC and FD_CLOEXEC: status 0x%x\n", in_child(do_fds, NULL));
}

static void on_usr1(int sig) {
  (void)sig;
}

static void do_signals(void* arg) {
  (void)arg;
  signal(SIGUSR1, on_usr1);
  signal(SIGUSR2, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGTERM);  // pending across the exec
  char* argv[] = {self, "signals", NULL};
  execve(self, argv, environ);
  _exit(101);
}

static void signals_across(void) {
  out("signal state across exec: status 0x%x\n", in_child(do_signals, NULL));
}

static void* exec_thread(void* arg) {
  char pid[16];
  snprintf(pid, sizeof pid, "%d", (int)(long)arg);
  char* argv[] = {self, "threads", pid, NULL};
  execve(self, argv, environ);
  out("  exec from thread: %s\n", res(-1));
  return NULL;
}

static void* blocker(void* arg) {
  int* p = arg;
  char c;
  (void)!read(p[0], &c, 1);  // never returns: the exec ends this thread
  out("  blocked thread woke up\n");
  return NULL;
}

static void do_thread_exec(void* arg) {
  (void)arg;
  int p[2];
  CHECK(pipe(p) == 0);
  pthread_t t1, t2;
  CHECK(pthread_create(&t1, NULL, blocker, p) == 0);
  CHECK(pthread_create(&t2, NULL, exec_thread, (void*)(long)getpid()) == 0);
  for (;;) pause();  // the leader waits too
}

static void thread_exec(void) {
  out("execve from a second thread: status 0x%x\n", in_child(do_thread_exec, NULL));
}

static void vfork_exec(void) {
  pid_t pid = vfork();
  if (pid == 0) {
    char* argv[] = {self, "exit", "12", NULL};
    execve(self, argv, environ);
    _exit(101);
  }
  CHECK(pid > 0);
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  out("vfork + execve: status 0x%x\n", st);
  pid = vfork();
  if (pid == 0) {
    char* argv[] = {"x", NULL};
    execve("/nonexistent", argv, environ);
    _exit(errno == ENOENT ? 13 : 14);
  }
  CHECK(waitpid(pid, &st, 0) == pid);
  out("vfork + failed execve: status 0x%x\n", st);
}

int main(int argc, char** argv) {
  if (argv[0][0] == '/') {
    snprintf(self, sizeof self, "%s", argv[0]);
  } else {
    char cwd[PATH_MAX / 2];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(self, sizeof self, "%s/%s", cwd, argv[0]);
  }
  snprintf(script, sizeof script, "/tmp/emu-exec-%d.sh", (int)getpid());
  if (argc > 1) {
    // As a script's interpreter: the script's path comes after this program's.
    for (int i = 1; i < argc; i++)
      if (!strncmp(argv[i], "/tmp/emu-exec-", 14)) {
        snprintf(script, sizeof script, "%s", argv[i]);
        out("  interpreter argc %d:", argc);
        for (int j = 1; j < argc; j++) out(" [%s]", !strcmp(argv[j], script) ? "SCRIPT" : argv[j]);
        out("\n");
        return 6;
      }
    return helper(argc, argv);
  }
  plain_exec();
  scripts();
  errnos();
  execveat_tests();
  cloexec();
  signals_across();
  thread_exec();
  vfork_exec();
  out("done\n");
  return 0;
}
