/* sig_threads: signals between threads. pthread_kill reaches the named thread; a signal to
 * the process is taken by the one thread that does not block it; sigwaitinfo in a dedicated
 * thread takes queued signals with their values; sigtimedwait times out with EAGAIN, polls
 * with a zero timeout, returns a waited-for signal sent by another thread, and fails with
 * EINTR when a handled signal it does not wait for arrives. Prints no times or ids. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static pthread_t threads[2];
static volatile int taken_by = -1;
static volatile int usr1_hits;
static volatile int ready;

static int whoami(void)
{
    for (int i = 0; i < 2; i++)
        if (pthread_equal(pthread_self(), threads[i])) return i;
    return 9;  /* the main thread */
}

static void on_usr1(int sig)
{
    (void)sig;
    usr1_hits++;
    taken_by = whoami();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

/* Thread 0 blocks SIGUSR1, thread 1 does not; both wait until told to stop. */
static volatile int stop;
static void *waiter(void *arg)
{
    int idx = (int)(long)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(idx == 0 ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
    __sync_fetch_and_add(&ready, 1);
    while (!stop) sleep_ms(5);
    return NULL;
}

static void *sigwait_thread(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    for (int i = 0; i < 3; i++) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        printf("sigwaitinfo: sig=RTMIN+%d code_queue=%s value=%d\n", sig - SIGRTMIN,
               yesno(si.si_code == SI_QUEUE), si.si_value.sival_int);
    }
    return NULL;
}

static volatile int tw_result, tw_errno, tw_started;
static void *timedwait_thread(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    struct timespec ts = {10, 0};
    tw_started = 1;
    siginfo_t si;
    /* The raw call: musl's sigtimedwait retries after EINTR. */
    tw_result = (int)syscall(SYS_rt_sigtimedwait, &set, &si, &ts, 8);
    tw_errno = errno;
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR1, on_usr1);

    /* pthread_kill: the named thread runs the handler. */
    ready = 0;
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, waiter, (void *)(long)i);
    while (ready < 2) sleep_ms(1);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);  /* main blocks it too */
    pthread_kill(threads[1], SIGUSR1);
    while (usr1_hits < 1) sleep_ms(1);
    printf("pthread_kill: taken by thread %d\n", taken_by);

    /* kill(getpid()): only thread 1 does not block it. */
    taken_by = -1;
    kill(getpid(), SIGUSR1);
    while (usr1_hits < 2) sleep_ms(1);
    printf("kill to process: taken by thread %d\n", taken_by);

    /* A signal blocked by every thread stays pending for the process. */
    pthread_kill(threads[0], SIGUSR1);
    sleep_ms(20);
    sigset_t pending;
    sigpending(&pending);
    printf("blocked in thread 0: handled=%s\n", yesno(usr1_hits == 3));
    stop = 1;
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    (void)pending;

    /* Queued real-time signals, taken by a thread that waits for them. */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 1);
    pthread_sigmask(SIG_BLOCK, &rt, NULL);
    for (int v = 1; v <= 3; v++) {
        union sigval val = {.sival_int = v * 100};
        CHECK(sigqueue(getpid(), SIGRTMIN + 1, val) == 0);
    }
    pthread_t sw;
    pthread_create(&sw, NULL, sigwait_thread, NULL);
    pthread_join(sw, NULL);

    /* sigtimedwait: timeout, poll, a signal from another thread, EINTR. */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    struct timespec short_wait = {0, 30 * 1000000L}, zero = {0, 0};
    int r = sigtimedwait(&usr2, NULL, &short_wait);
    printf("sigtimedwait timeout: %s\n", result_str(r, errno));
    r = sigtimedwait(&usr2, NULL, &zero);
    printf("sigtimedwait poll: %s\n", result_str(r, errno));
    struct timespec bad = {0, 1000000000L};
    r = sigtimedwait(&usr2, NULL, &bad);
    printf("sigtimedwait bad timeout: %s\n", result_str(r, errno));
    raise(SIGUSR2);
    siginfo_t si;
    r = sigtimedwait(&usr2, &si, &zero);
    printf("sigtimedwait pending: %s code_tkill=%s\n", r == SIGUSR2 ? "SIGUSR2" : result_str(r, errno),
           yesno(si.si_code == SI_TKILL));

    pthread_t tw;
    tw_started = 0;
    pthread_create(&tw, NULL, timedwait_thread, NULL);
    while (!tw_started) sleep_ms(1);
    sleep_ms(50);
    pthread_kill(tw, SIGUSR2);
    pthread_join(tw, NULL);
    printf("sigtimedwait woken by pthread_kill: %s\n",
           tw_result == SIGUSR2 ? "SIGUSR2" : result_str(tw_result, tw_errno));

    /* A handled signal outside the set ends the wait with EINTR. */
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    tw_started = 0;
    usr1_hits = 0;
    pthread_create(&tw, NULL, timedwait_thread, NULL);
    while (!tw_started) sleep_ms(1);
    sleep_ms(50);
    pthread_kill(tw, SIGUSR1);
    pthread_join(tw, NULL);
    printf("sigtimedwait interrupted: %s handler=%s\n", result_str(tw_result, tw_errno),
           yesno(usr1_hits == 1));
    return 0;
}
