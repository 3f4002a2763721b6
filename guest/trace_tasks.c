/* trace_tasks: a fixed sequence of process and thread events for the tracing checks
 * (tests/guest/strace_check.sh and trace_check.sh): a child that exits with 3 and is waited
 * for, a child that execs this program again ("child": exit status 7) and is waited for, and
 * a thread that hands a futex word back and forth with main before it is joined. The
 * processes are made with raw clone/wait4/execve so that musl and glibc make the same calls. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* musl ships no <linux/futex.h>. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static unsigned handoff;

static void futex_wait_for(unsigned want) {
  unsigned seen;
  while ((seen = __atomic_load_n(&handoff, __ATOMIC_ACQUIRE)) != want)
    syscall(SYS_futex, &handoff, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_set(unsigned value) {
  __atomic_store_n(&handoff, value, __ATOMIC_RELEASE);
  syscall(SYS_futex, &handoff, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void* worker(void* arg) {
  (void)arg;
  futex_wait_for(1);
  futex_set(2);
  return (void*)42;
}

static int wait_child(long pid) {
  int status = 0;
  CHECK(syscall(SYS_wait4, pid, &status, 0, NULL) == pid);
  return status;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) syscall(SYS_exit_group, 7);
  fflush(stdout);

  long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  CHECK(pid >= 0);
  if (pid == 0) syscall(SYS_exit_group, 3);
  int status = wait_child(pid);
  printf("child exited: %d with %d\n", WIFEXITED(status), WEXITSTATUS(status));
  fflush(stdout);

  pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  CHECK(pid >= 0);
  if (pid == 0) {
    char* child_argv[] = {argv[0], "child", NULL};
    char* child_envp[] = {"TRACE_TASKS=1", NULL};
    syscall(SYS_execve, argv[0], child_argv, child_envp);
    syscall(SYS_exit_group, 127);
  }
  status = wait_child(pid);
  printf("exec'd child exited: %d with %d\n", WIFEXITED(status), WEXITSTATUS(status));
  fflush(stdout);

  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, worker, NULL) == 0);
  futex_set(1);
  futex_wait_for(2);
  void* result = NULL;
  CHECK(pthread_join(thread, &result) == 0);
  printf("thread handed back %u and returned %ld\n", handoff, (long)result);
  return 0;
}
