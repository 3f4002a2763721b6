/* thread_affinity: sched_getaffinity takes a thread id, as every sched_* call does: another
 * thread's tid, the caller's own tid and 0 all work; a reaped child's pid and -1 are ESRCH;
 * a length that is not a multiple of 8 is EINVAL. Only results are printed, never the mask,
 * which depends on the machine. glibc's pthread_getattr_np asks for the affinity too. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static long getaffinity(long tid, unsigned long len) {
  static unsigned long mask[16];
  errno = 0;
  return syscall(SYS_sched_getaffinity, tid, len, mask);
}

static const char* ok_or_errno(long r) {
  return r > 0 ? "ok" : result_str(r, errno);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long worker_tid;
static int finish;

static void* worker(void* arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  worker_tid = syscall(SYS_gettid);
  printf("worker, its own tid: %s\n", ok_or_errno(getaffinity(worker_tid, 128)));
  printf("worker, 0: %s\n", ok_or_errno(getaffinity(0, 128)));
  pthread_attr_t attr;
  printf("worker, pthread_getattr_np: %d\n", pthread_getattr_np(pthread_self(), &attr));
  pthread_attr_destroy(&attr);
  pthread_cond_broadcast(&cond);
  while (!finish) pthread_cond_wait(&cond, &lock);
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(void) {
  printf("main, 0: %s\n", ok_or_errno(getaffinity(0, 128)));
  printf("main, its pid: %s\n", ok_or_errno(getaffinity(getpid(), 128)));
  printf("main, length 12: %s\n", ok_or_errno(getaffinity(0, 12)));
  printf("main, -1: %s\n", ok_or_errno(getaffinity(-1, 128)));
  fflush(stdout);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) _exit(0);
  CHECK(waitpid(child, NULL, 0) == child);
  printf("main, a reaped child: %s\n", ok_or_errno(getaffinity(child, 128)));

  pthread_t t;
  CHECK(pthread_create(&t, NULL, worker, NULL) == 0);
  pthread_mutex_lock(&lock);
  while (!worker_tid) pthread_cond_wait(&cond, &lock);
  printf("main, the worker's tid: %s\n", ok_or_errno(getaffinity(worker_tid, 128)));
  finish = 1;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&lock);
  CHECK(pthread_join(t, NULL) == 0);
  return 0;
}
