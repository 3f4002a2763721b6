/* threads: POSIX threads as musl and glibc build them on clone, futex and set_tid_address:
 * mutexes (normal, recursive, errorcheck, trylock), condition variables (signal, broadcast,
 * a timed wait that times out), thread-local storage (__thread, keys with destructors),
 * join and detach, cancellation (deferred at read() on an empty pipe and at
 * pthread_testcancel, asynchronous), barriers, rwlocks, semaphores between threads and
 * between processes over shared memory, and pthread_once. Prints only what is the same on
 * every run. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static void out(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) CHECK(write(1, buf, (size_t)n) == n);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// --- Mutexes ---

enum { kThreads = 4, kRounds = 2000 };
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void* count_up(void* arg) {
  (void)arg;
  for (int i = 0; i < kRounds; i++) {
    pthread_mutex_lock(&counter_lock);
    long v = counter;
    if (i % 64 == 0) sched_yield();  // let others run while holding the lock
    counter = v + 1;
    pthread_mutex_unlock(&counter_lock);
  }
  return (void*)(long)kRounds;
}

static void mutexes(void) {
  pthread_t t[kThreads];
  for (int i = 0; i < kThreads; i++) CHECK(pthread_create(&t[i], NULL, count_up, NULL) == 0);
  long sum = 0;
  for (int i = 0; i < kThreads; i++) {
    void* r;
    CHECK(pthread_join(t[i], &r) == 0);
    sum += (long)r;
  }
  out("normal mutex: counter %ld of %ld\n", counter, sum);

  pthread_mutexattr_t attr;
  pthread_mutex_t m;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  CHECK(pthread_mutex_init(&m, &attr) == 0);
  int a = pthread_mutex_lock(&m), b = pthread_mutex_lock(&m), c = pthread_mutex_trylock(&m);
  int d = pthread_mutex_unlock(&m), e = pthread_mutex_unlock(&m), f = pthread_mutex_unlock(&m);
  int g = pthread_mutex_unlock(&m);
  out("recursive: lock %d lock %d trylock %d unlock %d %d %d, one too many %s\n", a, b, c, d, e, f,
      errname(g));
  pthread_mutex_destroy(&m);

  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  CHECK(pthread_mutex_init(&m, &attr) == 0);
  a = pthread_mutex_lock(&m);
  b = pthread_mutex_lock(&m);
  c = pthread_mutex_trylock(&m);
  d = pthread_mutex_unlock(&m);
  e = pthread_mutex_unlock(&m);
  out("errorcheck: lock %d relock %s trylock %s unlock %d again %s\n", a, errname(b), errname(c), d,
      errname(e));
  pthread_mutex_destroy(&m);
  pthread_mutexattr_destroy(&attr);
}

// A mutex held by another thread: trylock is EBUSY, timedlock times out.
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static void* try_held(void* arg) {
  (void)arg;
  int a = pthread_mutex_trylock(&held);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 30 * 1000 * 1000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  int b = pthread_mutex_timedlock(&held, &ts);
  out("held elsewhere: trylock %s timedlock %s\n", errname(a), errname(b));
  return NULL;
}

static void contended(void) {
  pthread_mutex_lock(&held);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, try_held, NULL) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  pthread_mutex_unlock(&held);
}

// --- Condition variables ---

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int generation, waiting, woke;

static void* cv_waiter(void* arg) {
  (void)arg;
  pthread_mutex_lock(&cv_lock);
  int gen = generation;
  waiting++;
  pthread_cond_broadcast(&cv);  // tell main one more waits (main waits on the same cv)
  while (generation == gen) pthread_cond_wait(&cv, &cv_lock);
  woke++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&cv_lock);
  return NULL;
}

static void condvars(void) {
  pthread_t t[3];
  for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, cv_waiter, NULL) == 0);
  pthread_mutex_lock(&cv_lock);
  while (waiting < 3) pthread_cond_wait(&cv, &cv_lock);
  generation++;
  pthread_cond_broadcast(&cv);
  while (woke < 3) pthread_cond_wait(&cv, &cv_lock);
  pthread_mutex_unlock(&cv_lock);
  for (int i = 0; i < 3; i++) CHECK(pthread_join(t[i], NULL) == 0);
  out("broadcast woke %d of 3\n", woke);

  // pthread_cond_signal wakes one at a time: each signal lets exactly one more through.
  waiting = woke = 0;
  for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, cv_waiter, NULL) == 0);
  pthread_mutex_lock(&cv_lock);
  while (waiting < 3) pthread_cond_wait(&cv, &cv_lock);
  generation++;  // every waiter may go once woken; signal wakes them one by one
  for (int n = 1; n <= 3; n++) {
    pthread_cond_signal(&cv);
    while (woke < n) pthread_cond_wait(&cv, &cv_lock);
  }
  pthread_mutex_unlock(&cv_lock);
  for (int i = 0; i < 3; i++) CHECK(pthread_join(t[i], NULL) == 0);
  out("signal woke %d of 3\n", woke);

  // A timed wait nobody signals: ETIMEDOUT after (not before) the deadline.
  pthread_mutex_lock(&cv_lock);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long start = now_ms();
  ts.tv_nsec += 50 * 1000 * 1000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  int r = 0;
  while (r == 0) r = pthread_cond_timedwait(&cv, &cv_lock, &ts);
  long waited = now_ms() - start;
  pthread_mutex_unlock(&cv_lock);
  out("timedwait: %s after at least 45 ms %s\n", errname(r), yesno(waited >= 45));

  // A monotonic-clock condvar, too.
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_t mcv;
  pthread_cond_init(&mcv, &ca);
  pthread_mutex_lock(&cv_lock);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_nsec += 20 * 1000 * 1000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  start = now_ms();
  r = 0;
  while (r == 0) r = pthread_cond_timedwait(&mcv, &cv_lock, &ts);
  waited = now_ms() - start;
  pthread_mutex_unlock(&cv_lock);
  out("monotonic timedwait: %s after at least 15 ms %s\n", errname(r), yesno(waited >= 15));
  pthread_cond_destroy(&mcv);
}

// --- Thread-local storage ---

static __thread int tls_value = 7;
static __thread char tls_buf[64];
static pthread_key_t key;
static int destructed[8];
static pthread_mutex_t destructed_lock = PTHREAD_MUTEX_INITIALIZER;

static void destructor(void* value) {
  pthread_mutex_lock(&destructed_lock);
  destructed[(long)value]++;
  pthread_mutex_unlock(&destructed_lock);
}

static void* tls_thread(void* arg) {
  long id = (long)arg;
  int initial = tls_value;
  tls_value = (int)id * 100;
  snprintf(tls_buf, sizeof tls_buf, "thread %ld", id);
  CHECK(pthread_getspecific(key) == NULL);
  if (id != 3) CHECK(pthread_setspecific(key, (void*)id) == 0);  // thread 3 sets nothing
  sched_yield();
  int mine = tls_value == (int)id * 100 && pthread_getspecific(key) == (id != 3 ? (void*)id : NULL);
  char line[64];
  snprintf(line, sizeof line, "%s", tls_buf);
  return (void*)(long)(initial == 7 && mine && !strncmp(line, "thread", 6));
}

static void tls(void) {
  CHECK(pthread_key_create(&key, destructor) == 0);
  tls_value = 1;
  pthread_t t[4];
  for (long i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, tls_thread, (void*)(i + 1)) == 0);
  int ok = 1;
  for (int i = 0; i < 4; i++) {
    void* r;
    CHECK(pthread_join(t[i], &r) == 0);
    ok &= (long)r == 1;
  }
  out("TLS: each thread its own, starting from the initial image: %s; main's kept %d\n", yesno(ok),
      tls_value);
  out("key destructors ran for 1 %d, 2 %d, 3 %d, 4 %d\n", destructed[1], destructed[2],
      destructed[3], destructed[4]);
  out("main's key value: %s\n", pthread_getspecific(key) == NULL ? "null" : "set");
  CHECK(pthread_key_delete(key) == 0);
}

// --- Join, detach, exit values ---

static void* exit_with(void* arg) {
  if ((long)arg == 2) pthread_exit((void*)42);
  return arg;
}

static volatile int detached_ran;
static void* detached(void* arg) {
  (void)arg;
  detached_ran = 1;
  return NULL;
}

static void join_detach(void) {
  pthread_t t;
  void* r;
  CHECK(pthread_create(&t, NULL, exit_with, (void*)1) == 0);
  CHECK(pthread_join(t, &r) == 0);
  out("join: returned %ld\n", (long)r);
  CHECK(pthread_create(&t, NULL, exit_with, (void*)2) == 0);
  CHECK(pthread_join(t, &r) == 0);
  out("join: pthread_exit %ld\n", (long)r);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  CHECK(pthread_create(&t, &attr, detached, NULL) == 0);
  pthread_attr_destroy(&attr);
  for (int i = 0; i < 1000 && !detached_ran; i++) usleep(1000);
  out("detached thread ran: %s\n", yesno(detached_ran));

  detached_ran = 0;
  CHECK(pthread_create(&t, NULL, detached, NULL) == 0);
  out("pthread_detach: %d\n", pthread_detach(t));
  for (int i = 0; i < 1000 && !detached_ran; i++) usleep(1000);
  out("detached later ran: %s\n", yesno(detached_ran));

  // Many short threads, created and joined in turn: tids, stacks and TLS are recycled.
  int ok = 1;
  for (long i = 0; i < 200; i++) {
    CHECK(pthread_create(&t, NULL, exit_with, (void*)(i + 10)) == 0);
    CHECK(pthread_join(t, &r) == 0);
    ok &= (long)r == i + 10;
  }
  out("200 threads in turn: %s\n", yesno(ok));
}

// --- Cancellation ---

static int cleanups;
static void cleanup(void* arg) {
  cleanups += (int)(long)arg;
}

static void* cancel_in_read(void* arg) {
  int fd = *(int*)arg;
  pthread_cleanup_push(cleanup, (void*)1);
  char c;
  (void)!read(fd, &c, 1);  // empty pipe: waits until cancelled
  pthread_cleanup_pop(0);
  return (void*)2;
}

static volatile int spin_started;
static void* cancel_at_testcancel(void* arg) {
  (void)arg;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  pthread_cleanup_push(cleanup, (void*)10);
  spin_started = 1;
  while (spin_started != 2) sched_yield();  // cancel arrives while disabled
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  pthread_testcancel();
  pthread_cleanup_pop(0);
  return (void*)3;
}

static volatile unsigned long spins;
static void* cancel_async(void* arg) {
  (void)arg;
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  spin_started = 1;
  for (;;) spins++;  // no cancellation point
  return NULL;
}

static void cancellation(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  pthread_t t;
  void* r;
  CHECK(pthread_create(&t, NULL, cancel_in_read, &p[0]) == 0);
  usleep(20000);  // let it block in read (a cancel before that is acted on at read's start)
  CHECK(pthread_cancel(t) == 0);
  CHECK(pthread_join(t, &r) == 0);
  out("cancelled in read: %s, cleanup ran %d\n", yesno(r == PTHREAD_CANCELED), cleanups);

  spin_started = 0;
  CHECK(pthread_create(&t, NULL, cancel_at_testcancel, NULL) == 0);
  while (!spin_started) sched_yield();
  CHECK(pthread_cancel(t) == 0);
  spin_started = 2;
  CHECK(pthread_join(t, &r) == 0);
  out("cancelled at testcancel: %s, cleanups %d\n", yesno(r == PTHREAD_CANCELED), cleanups);

  spin_started = 0;
  CHECK(pthread_create(&t, NULL, cancel_async, NULL) == 0);
  while (!spin_started) sched_yield();
  CHECK(pthread_cancel(t) == 0);
  CHECK(pthread_join(t, &r) == 0);
  out("asynchronous cancel: %s\n", yesno(r == PTHREAD_CANCELED));
  out("cancel a finished thread: ");
  CHECK(pthread_create(&t, NULL, exit_with, (void*)5) == 0);
  usleep(10000);
  int c = pthread_cancel(t);
  CHECK(pthread_join(t, &r) == 0);
  out("%d, joined %ld\n", c, (long)r);
  close(p[0]);
  close(p[1]);
}

// --- Barriers, rwlocks, once ---

static pthread_barrier_t barrier;
static int arrived[3];
static void* barrier_thread(void* arg) {
  long id = (long)arg;
  int serial = 0;
  for (int round = 0; round < 3; round++) {
    __atomic_fetch_add(&arrived[round], 1, __ATOMIC_SEQ_CST);
    int r = pthread_barrier_wait(&barrier);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD)
      serial++;
    else
      CHECK(r == 0);
    // Everyone has arrived at this round before anyone leaves it.
    CHECK(__atomic_load_n(&arrived[round], __ATOMIC_SEQ_CST) == 4);
  }
  (void)id;
  return (void*)(long)serial;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int readers_in, max_readers, writer_in, rw_bad;
static pthread_mutex_t rw_stats = PTHREAD_MUTEX_INITIALIZER;

static void* rw_reader(void* arg) {
  (void)arg;
  for (int i = 0; i < 50; i++) {
    pthread_rwlock_rdlock(&rw);
    pthread_mutex_lock(&rw_stats);
    readers_in++;
    if (readers_in > max_readers) max_readers = readers_in;
    if (writer_in) rw_bad++;
    pthread_mutex_unlock(&rw_stats);
    sched_yield();
    pthread_mutex_lock(&rw_stats);
    readers_in--;
    pthread_mutex_unlock(&rw_stats);
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

static void* rw_writer(void* arg) {
  (void)arg;
  for (int i = 0; i < 50; i++) {
    pthread_rwlock_wrlock(&rw);
    pthread_mutex_lock(&rw_stats);
    if (writer_in || readers_in) rw_bad++;
    writer_in = 1;
    pthread_mutex_unlock(&rw_stats);
    sched_yield();
    pthread_mutex_lock(&rw_stats);
    writer_in = 0;
    pthread_mutex_unlock(&rw_stats);
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static void once_fn(void) {
  once_runs++;
  sched_yield();
}
static void* once_thread(void* arg) {
  (void)arg;
  pthread_once(&once, once_fn);
  return (void*)(long)once_runs;
}

static void sync_objects(void) {
  CHECK(pthread_barrier_init(&barrier, NULL, 4) == 0);
  pthread_t t[4];
  for (long i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, barrier_thread, (void*)i) == 0);
  long serial = 0;
  for (int i = 0; i < 4; i++) {
    void* r;
    CHECK(pthread_join(t[i], &r) == 0);
    serial += (long)r;
  }
  out("barrier: 3 rounds, serial threads %ld\n", serial);
  pthread_barrier_destroy(&barrier);

  for (long i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, rw_reader, NULL) == 0);
  CHECK(pthread_create(&t[3], NULL, rw_writer, NULL) == 0);
  for (int i = 0; i < 4; i++) CHECK(pthread_join(t[i], NULL) == 0);
  out("rwlock: exclusion violations %d\n", rw_bad);
  CHECK(pthread_rwlock_rdlock(&rw) == 0);
  int a = pthread_rwlock_tryrdlock(&rw), b = pthread_rwlock_trywrlock(&rw);
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_unlock(&rw);
  CHECK(pthread_rwlock_wrlock(&rw) == 0);
  int c = pthread_rwlock_tryrdlock(&rw);
  pthread_rwlock_unlock(&rw);
  out("rwlock: tryrdlock while read-held %d, trywrlock %s, tryrdlock while write-held %s\n", a,
      errname(b), errname(c));

  for (long i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, once_thread, NULL) == 0);
  int all_saw_one = 1;
  for (int i = 0; i < 4; i++) {
    void* r;
    CHECK(pthread_join(t[i], &r) == 0);
    all_saw_one &= (long)r == 1;
  }
  out("pthread_once: ran %d time(s), every caller saw it done %s\n", once_runs, yesno(all_saw_one));
}

// --- Semaphores ---

static sem_t items, spaces;
static int ring[4], produced_sum, consumed_sum;

static void* producer(void* arg) {
  (void)arg;
  for (int i = 1; i <= 100; i++) {
    sem_wait(&spaces);
    ring[i % 4] = i;
    produced_sum += i;
    sem_post(&items);
  }
  return NULL;
}

static void* consumer(void* arg) {
  (void)arg;
  for (int i = 1; i <= 100; i++) {
    sem_wait(&items);
    consumed_sum += ring[i % 4];
    sem_post(&spaces);
  }
  return NULL;
}

static void semaphores(void) {
  CHECK(sem_init(&items, 0, 0) == 0 && sem_init(&spaces, 0, 4) == 0);
  pthread_t p, c;
  CHECK(pthread_create(&c, NULL, consumer, NULL) == 0);
  CHECK(pthread_create(&p, NULL, producer, NULL) == 0);
  CHECK(pthread_join(p, NULL) == 0 && pthread_join(c, NULL) == 0);
  out("semaphores between threads: produced %d consumed %d\n", produced_sum, consumed_sum);
  int v;
  sem_getvalue(&spaces, &v);
  errno = 0;
  int r = sem_trywait(&items);
  out("spaces %d, trywait on empty: %d %s\n", v, r, errname(errno));
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 20 * 1000 * 1000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  errno = 0;
  r = sem_timedwait(&items, &ts);
  out("timedwait on empty: %d %s\n", r, errname(errno));

  // Process-shared semaphores in a shared mapping: a ping-pong between two processes.
  sem_t* s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  int* shared_count = (int*)(s + 2);
  CHECK(sem_init(&s[0], 1, 0) == 0 && sem_init(&s[1], 1, 0) == 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    for (int i = 0; i < 50; i++) {
      sem_wait(&s[0]);
      (*shared_count)++;
      sem_post(&s[1]);
    }
    _exit(0);
  }
  int in_order = 1;
  for (int i = 0; i < 50; i++) {
    sem_post(&s[0]);
    sem_wait(&s[1]);
    in_order &= *shared_count == i + 1;
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  out("semaphores between processes: count %d in order %s child status %d\n", *shared_count,
      yesno(in_order), st);
  munmap(s, 4096);
}

// --- A mutex shared between processes ---

static void process_shared_mutex(void) {
  struct shared {
    pthread_mutex_t m;
    long n;
  }* sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(sh != MAP_FAILED);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  CHECK(pthread_mutex_init(&sh->m, &attr) == 0);
  pid_t pids[3];
  for (int k = 0; k < 3; k++) {
    pids[k] = fork();
    CHECK(pids[k] >= 0);
    if (pids[k] == 0) {
      for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&sh->m);
        long v = sh->n;
        if (i % 50 == 0) sched_yield();
        sh->n = v + 1;
        pthread_mutex_unlock(&sh->m);
      }
      _exit(0);
    }
  }
  for (int k = 0; k < 3; k++) CHECK(waitpid(pids[k], NULL, 0) == pids[k]);
  out("process-shared mutex: %ld of 1500\n", sh->n);
  munmap(sh, 4096);
}

// --- Thread ids ---

static void* ids(void* arg) {
  (void)arg;
  return (void*)(long)(getpid() * 2 == (long)arg && syscall(SYS_gettid) != getpid());
}

static void thread_ids(void) {
  pthread_t t;
  void* r;
  CHECK(pthread_create(&t, NULL, ids, (void*)(long)(getpid() * 2)) == 0);
  CHECK(pthread_join(t, &r) == 0);
  out("a thread shares the pid, has its own tid: %s; main's tid is the pid: %s\n",
      yesno((long)r == 1), yesno(syscall(SYS_gettid) == getpid()));
}

int main(void) {
  mutexes();
  contended();
  condvars();
  tls();
  join_detach();
  cancellation();
  sync_objects();
  semaphores();
  process_shared_mutex();
  thread_ids();
  out("done\n");
  return 0;
}
