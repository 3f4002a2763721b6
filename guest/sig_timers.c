/* sig_timers: alarm and pause; setitimer/getitimer (ITIMER_REAL intervals, ITIMER_VIRTUAL
 * and ITIMER_PROF while the process computes); POSIX timers: SIGEV_SIGNAL with its siginfo
 * (SI_TIMER, the value, the overrun), SIGEV_NONE, SIGEV_THREAD_ID, the library's
 * SIGEV_THREAD, TIMER_ABSTIME, overrun counting and timer_getoverrun, and the errors.
 * Prints whether things happened, never how long they took. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* Prints a call's result; errno is read after the call. */
#define SHOW(label, call)                                         \
    do {                                                          \
        long show_r_ = (long)(call);                              \
        int show_e_ = errno;                                      \
        printf("%s: %s\n", label, result_str(show_r_, show_e_)); \
    } while (0)

static volatile int alarms, vtalarms, profs;
static void on_alrm(int sig) { (void)sig; alarms++; }
static void on_vtalrm(int sig) { (void)sig; vtalarms++; }
static void on_prof(int sig) { (void)sig; profs++; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The kernel's struct sigevent, for SIGEV_THREAD_ID through the raw syscall. */
struct ksigevent {
    union sigval value;
    int signo;
    int notify;
    int tid;
    int pad[11];
};

static int raw_timer_create(clockid_t clock, struct ksigevent *ev, int *id)
{
    return (int)syscall(SYS_timer_create, clock, ev, id);
}

static volatile int thread_tid;
static volatile int thread_got_sig, thread_got_value, thread_code_ok, thread_ready;
static void *timer_target(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 2);
    thread_tid = (int)syscall(SYS_gettid);
    thread_ready = 1;
    siginfo_t si;
    struct timespec limit = {10, 0};
    int sig = sigtimedwait(&set, &si, &limit);
    thread_got_sig = sig;
    thread_got_value = si.si_value.sival_int;
    thread_code_ok = si.si_code == SI_TIMER;
    return NULL;
}

static sem_t notified;
static volatile int notify_value;
static void on_notify(union sigval v)
{
    notify_value = v.sival_int;
    sem_post(&notified);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGALRM, on_alrm);
    signal(SIGVTALRM, on_vtalrm);
    signal(SIGPROF, on_prof);

    /* alarm: the time left, rounded; pause until it rings. */
    printf("alarm(100) first: %u\n", alarm(100));
    unsigned left = alarm(0);
    printf("alarm(0) after: 99..100 %s\n", yesno(left == 99 || left == 100));
    alarm(1);
    pause();
    printf("alarm + pause: alarms=%d\n", alarms);

    /* ITIMER_REAL every 20 ms: five signals, counted with sigsuspend. */
    struct itimerval it = {{0, 20000}, {0, 20000}}, old;
    sigset_t alrm, empty;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    alarms = 0;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    getitimer(ITIMER_REAL, &old);
    printf("getitimer interval: %ld.%06ld value_ok=%s\n", (long)old.it_interval.tv_sec,
           (long)old.it_interval.tv_usec,
           yesno(old.it_value.tv_sec == 0 && old.it_value.tv_usec > 0 && old.it_value.tv_usec <= 20000));
    while (alarms < 5) sigsuspend(&empty);
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, &old) == 0);
    printf("itimer real: alarms=%d old interval=%ld\n", alarms, (long)old.it_interval.tv_usec);
    getitimer(ITIMER_REAL, &old);
    printf("after disarm: %ld %ld %ld %ld\n", (long)old.it_interval.tv_sec,
           (long)old.it_interval.tv_usec, (long)old.it_value.tv_sec, (long)old.it_value.tv_usec);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    SHOW("setitimer bad usec", setitimer(ITIMER_REAL, &bad, NULL));
    SHOW("setitimer bad which", setitimer(7, &it, NULL));
    SHOW("getitimer bad which", getitimer(-1, &old));

    /* ITIMER_VIRTUAL and ITIMER_PROF fire while the process computes. */
    struct itimerval cpu = {{0, 0}, {0, 30000}};
    CHECK(setitimer(ITIMER_VIRTUAL, &cpu, NULL) == 0);
    CHECK(setitimer(ITIMER_PROF, &cpu, NULL) == 0);
    double start = now_s();
    volatile unsigned long spin = 0;
    while ((!vtalarms || !profs) && now_s() - start < 20) spin++;
    printf("cpu itimers: virtual=%d prof=%d\n", vtalarms, profs);

    /* POSIX timer, SIGEV_SIGNAL: the siginfo. */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    sigaddset(&rt, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    struct ksigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.notify = SIGEV_SIGNAL;
    ev.signo = SIGRTMIN;
    ev.value.sival_int = 42;
    int id = -1;
    CHECK(raw_timer_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec ts = {{0, 0}, {0, 10 * 1000000L}}, cur;
    CHECK(syscall(SYS_timer_settime, id, 0, &ts, NULL) == 0);
    sigset_t only_rtmin;
    sigemptyset(&only_rtmin);
    sigaddset(&only_rtmin, SIGRTMIN);
    siginfo_t si;
    int sig = sigwaitinfo(&only_rtmin, &si);
    printf("timer signal: %s code=%s value=%d timerid_ok=%s overrun=%d\n",
           sig == SIGRTMIN ? "RTMIN" : "?", si.si_code == SI_TIMER ? "SI_TIMER" : "?",
           si.si_value.sival_int, yesno(si.si_timerid == id), si.si_overrun);
    syscall(SYS_timer_gettime, id, &cur);
    printf("expired one-shot gettime: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_nsec);

    /* A periodic timer whose signal waits blocked counts the expiries it missed. */
    struct itimerspec periodic = {{0, 5 * 1000000L}, {0, 5 * 1000000L}};
    CHECK(syscall(SYS_timer_settime, id, 0, &periodic, NULL) == 0);
    struct timespec nap = {0, 80 * 1000000L};
    while (nanosleep(&nap, &nap) == -1 && errno == EINTR) {}
    sig = sigwaitinfo(&only_rtmin, &si);
    int over = (int)syscall(SYS_timer_getoverrun, id);
    printf("periodic: overrun>=5 %s getoverrun matches %s\n", yesno(si.si_overrun >= 5),
           yesno(over == si.si_overrun));
    syscall(SYS_timer_gettime, id, &cur);
    printf("periodic gettime: interval=%ldms value_ok=%s\n", cur.it_interval.tv_nsec / 1000000L,
           yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
                 cur.it_value.tv_nsec <= 5 * 1000000L));
    CHECK(syscall(SYS_timer_delete, id) == 0);
    SHOW("timer_delete again", syscall(SYS_timer_delete, id));
    SHOW("timer_settime deleted", syscall(SYS_timer_settime, id, 0, &ts, NULL));
    SHOW("timer_getoverrun deleted", syscall(SYS_timer_getoverrun, id));
    /* A signal it sent before it went may still be queued: take it. */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&only_rtmin, &si, &zero) > 0) {}

    /* SIGEV_NONE: nothing is sent, the time left can be read. */
    ev.notify = SIGEV_NONE;
    CHECK(raw_timer_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec one_sec = {{0, 0}, {1, 0}};
    CHECK(syscall(SYS_timer_settime, id, 0, &one_sec, NULL) == 0);
    syscall(SYS_timer_gettime, id, &cur);
    printf("SIGEV_NONE: left_ok=%s\n",
           yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 500 * 1000000L));
    struct itimerspec disarm = {{0, 0}, {0, 0}};
    CHECK(syscall(SYS_timer_settime, id, 0, &disarm, &cur) == 0);
    printf("disarm old left_ok=%s\n", yesno(cur.it_value.tv_nsec > 0));
    syscall(SYS_timer_gettime, id, &cur);
    /* Linux still reports a disarmed SIGEV_NONE timer's old expiry as time left. */
    printf("disarmed: interval=%ld stale_left=%s\n", (long)cur.it_interval.tv_nsec,
           yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0));
    syscall(SYS_timer_delete, id);

    /* TIMER_ABSTIME on CLOCK_REALTIME. */
    ev.notify = SIGEV_SIGNAL;
    ev.value.sival_int = 99;
    CHECK(raw_timer_create(CLOCK_REALTIME, &ev, &id) == 0);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    wall.tv_nsec += 20 * 1000000L;
    if (wall.tv_nsec >= 1000000000L) { wall.tv_sec++; wall.tv_nsec -= 1000000000L; }
    struct itimerspec abs_ts = {{0, 0}, wall};
    CHECK(syscall(SYS_timer_settime, id, TIMER_ABSTIME, &abs_ts, NULL) == 0);
    sig = sigwaitinfo(&only_rtmin, &si);
    printf("abstime realtime: value=%d\n", si.si_value.sival_int);
    syscall(SYS_timer_delete, id);

    /* SIGEV_THREAD_ID: the signal goes to the one thread. */
    pthread_t t;
    pthread_create(&t, NULL, timer_target, NULL);
    while (!thread_ready) usleep(1000);
    ev.notify = SIGEV_THREAD_ID;
    ev.signo = SIGRTMIN + 2;
    ev.value.sival_int = 7;
    ev.tid = thread_tid;
    CHECK(raw_timer_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    CHECK(syscall(SYS_timer_settime, id, 0, &ts, NULL) == 0);
    pthread_join(t, NULL);
    printf("SIGEV_THREAD_ID: sig_ok=%s value=%d code_ok=%s\n", yesno(thread_got_sig == SIGRTMIN + 2),
           thread_got_value, yesno(thread_code_ok));
    syscall(SYS_timer_delete, id);
    ev.tid = 0x3ffffff0;
    SHOW("SIGEV_THREAD_ID bad tid", raw_timer_create(CLOCK_MONOTONIC, &ev, &id));

    /* The library's SIGEV_THREAD. */
    sem_init(&notified, 0, 0);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = on_notify;
    sev.sigev_value.sival_int = 1234;
    timer_t lt;
    CHECK(timer_create(CLOCK_MONOTONIC, &sev, &lt) == 0);
    CHECK(timer_settime(lt, 0, &ts, NULL) == 0);
    sem_wait(&notified);
    printf("SIGEV_THREAD: value=%d\n", notify_value);
    timer_delete(lt);

    /* A timer on the process's CPU time fires while it computes. */
    ev.notify = SIGEV_SIGNAL;
    ev.signo = SIGRTMIN;
    ev.value.sival_int = 55;
    CHECK(raw_timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &id) == 0);
    struct itimerspec cpu_ts = {{0, 0}, {0, 30 * 1000000L}};
    CHECK(syscall(SYS_timer_settime, id, 0, &cpu_ts, NULL) == 0);
    syscall(SYS_timer_gettime, id, &cur);
    printf("cpu timer armed: %s\n", yesno(cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 30 * 1000000L));
    sigset_t pend;
    start = now_s();
    do {
        for (int i = 0; i < 100000; i++) spin++;
        sigpending(&pend);
    } while (!sigismember(&pend, SIGRTMIN) && now_s() - start < 20);
    sig = sigwaitinfo(&only_rtmin, &si);
    printf("cpu timer: code=%s value=%d\n", si.si_code == SI_TIMER ? "SI_TIMER" : "?", si.si_value.sival_int);
    syscall(SYS_timer_delete, id);

    /* Errors. */
    ev.notify = SIGEV_SIGNAL;
    ev.signo = SIGRTMIN;
    SHOW("bad clock", raw_timer_create(99, &ev, &id));
    SHOW("raw clock", raw_timer_create(CLOCK_MONOTONIC_RAW, &ev, &id));
    ev.notify = 77;
    SHOW("bad notify", raw_timer_create(CLOCK_MONOTONIC, &ev, &id));
    ev.notify = SIGEV_SIGNAL;
    ev.signo = 65;
    SHOW("bad signo", raw_timer_create(CLOCK_MONOTONIC, &ev, &id));
    ev.signo = SIGRTMIN;
    SHOW("bad sigevent pointer", raw_timer_create(CLOCK_MONOTONIC, (void *)8, &id));
    CHECK(raw_timer_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec badns = {{0, 0}, {0, 1000000000L}};
    SHOW("settime bad nsec", syscall(SYS_timer_settime, id, 0, &badns, NULL));
    SHOW("settime bad id", syscall(SYS_timer_settime, 12345, 0, &ts, NULL));
    SHOW("gettime bad id", syscall(SYS_timer_gettime, 12345, &cur));
    syscall(SYS_timer_delete, id);
    return 0;
}
