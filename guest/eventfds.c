/* eventfd, signalfd and timerfd: counter rules, semaphore mode, blocking and non-blocking
 * reads, a threaded writer, signals read as records, timers read as expiration counts. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* The result of a call, with the errno it left (read after the call, never before). */
static const char *res(long r) { return result_str(r, errno); }

static void show_rw(const char *what, long r, int err, uint64_t v)
{
    if (r < 0)
        printf("%s: %s\n", what, result_str(r, err));
    else
        printf("%s: %ld value %llu\n", what, r, (unsigned long long)v);
}

static void *writer(void *arg)
{
    int fd = *(int *)arg;
    usleep(20000);
    uint64_t v = 5;
    CHECK(write(fd, &v, 8) == 8);
    return NULL;
}

static void eventfd_rules(void)
{
    int fd = eventfd(2, EFD_NONBLOCK);
    uint64_t v = 0;
    long r = read(fd, &v, 8);
    show_rw("read counter 2", r, errno, v);
    r = read(fd, &v, 8);
    show_rw("read at 0", r, errno, v);
    r = read(fd, &v, 4);
    show_rw("read 4 bytes", r, errno, v);
    v = 0xffffffffffffffffULL;
    r = write(fd, &v, 8);
    show_rw("write ~0", r, errno, v);
    v = 0xfffffffffffffffeULL;
    r = write(fd, &v, 8);
    show_rw("write max", r, errno, v);
    v = 1;
    r = write(fd, &v, 8);
    show_rw("write past max", r, errno, v);
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    printf("full poll: %#x\n", p.revents);
    r = write(fd, &v, 4);
    show_rw("write 4 bytes", r, errno, v);
    uint64_t two[2] = {0, 0};
    r = read(fd, two, 16);
    show_rw("read 16 bytes", r, errno, two[0]);
    close(fd);

    fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    for (int i = 0; i < 4; i++) {
        r = read(fd, &v, 8);
        show_rw("semaphore read", r, errno, v);
    }
    close(fd);
    printf("bad flags: %s\n", res(eventfd(0, 0x10)));
    fd = eventfd(0, EFD_CLOEXEC);
    printf("cloexec %d flags %#x\n", fcntl(fd, F_GETFD), fcntl(fd, F_GETFL) & ~0100000);

    /* A blocking read waits for another thread's write. */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, writer, &fd) == 0);
    r = read(fd, &v, 8);
    show_rw("blocking read", r, errno, v);
    pthread_join(t, NULL);
    close(fd);
}

static void signalfd_rules(void)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &mask, NULL) == 0);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK);
    struct signalfd_siginfo si[2];
    long r = read(fd, si, sizeof si);
    printf("nothing pending: %s\n", res(r));
    struct pollfd p = {fd, POLLIN, 0};
    printf("poll idle: %d\n", poll(&p, 1, 0));
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    int pr = poll(&p, 1, 0);
    printf("poll pending: %d %#x\n", pr, p.revents);
    r = read(fd, si, sizeof si);
    printf("read %ld:", r);
    for (long i = 0; i < r / (long)sizeof si[0]; i++)
        printf(" signo=%u code=%d pid_is_me=%d uid=%u", si[i].ssi_signo, si[i].ssi_code,
               si[i].ssi_pid == (uint32_t)getpid(), si[i].ssi_uid);
    printf("\n");
    r = read(fd, si, 100);
    printf("short buffer: %s\n", res(r));

    /* A child's kill wakes a blocking read. */
    sigset_t only1;
    sigemptyset(&only1);
    sigaddset(&only1, SIGUSR1);
    int fd2 = signalfd(-1, &only1, 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    r = read(fd2, si, sizeof si[0]);
    printf("blocking read: %ld signo=%u code=%d from_child=%d\n", r, si[0].ssi_signo,
           si[0].ssi_code, si[0].ssi_pid == (uint32_t)pid);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);

    /* Changing the mask of an existing signalfd. */
    kill(getpid(), SIGUSR2);
    struct pollfd p2 = {fd2, POLLIN, 0};
    printf("USR2 not in mask yet: %d\n", poll(&p2, 1, 0));
    printf("update: %d\n", signalfd(fd2, &mask, 0) == fd2);
    r = read(fd2, si, sizeof si[0]);
    printf("after update: %ld signo=%u\n", r, si[0].ssi_signo);
    printf("bad size: %s\n", res(syscall(SYS_signalfd4, -1, &mask, 4, 0)));
    printf("bad flags: %s\n", res(syscall(SYS_signalfd4, -1, &mask, 8, 1)));
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    printf("not a signalfd: %s\n", res(signalfd(pfd[0], &mask, 0)));
    printf("bad fd: %s\n", res(signalfd(77, &mask, 0)));
    close(pfd[0]), close(pfd[1]);
    CHECK(sigprocmask(SIG_UNBLOCK, &mask, NULL) == 0);
    close(fd), close(fd2);
}

static void timerfd_rules(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    uint64_t n = 0;
    long r = read(fd, &n, 8);
    printf("disarmed read: %s\n", res(r));
    struct itimerspec its = {{0, 0}, {0, 20 * 1000 * 1000}};
    CHECK(timerfd_settime(fd, 0, &its, NULL) == 0);
    r = read(fd, &n, 8);
    printf("before expiry: %s\n", res(r));
    struct pollfd p = {fd, POLLIN, 0};
    r = poll(&p, 1, 1000);
    printf("poll wakes at expiry: %ld %#x\n", r, p.revents);
    r = read(fd, &n, 8);
    printf("one shot: %ld count %llu\n", r, (unsigned long long)n);
    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    printf("disarmed after: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    close(fd);

    /* An interval timer read after sleeping past exactly one expiry. */
    fd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec iv = {{10, 0}, {0, 10 * 1000 * 1000}};
    struct itimerspec old;
    CHECK(timerfd_settime(fd, 0, &iv, &old) == 0);
    printf("old value: %ld\n", (long)old.it_value.tv_sec);
    usleep(50000);
    r = read(fd, &n, 8);
    printf("interval: %ld count %llu\n", r, (unsigned long long)n);
    timerfd_gettime(fd, &cur);
    printf("interval %ld, next in under 10s: %d\n", (long)cur.it_interval.tv_sec,
           cur.it_value.tv_sec < 10);
    close(fd);

    /* A blocking read waits for the expiry; an absolute timer in the past fires at once. */
    fd = timerfd_create(CLOCK_REALTIME, 0);
    struct itimerspec rel = {{0, 0}, {0, 15 * 1000 * 1000}};
    CHECK(timerfd_settime(fd, 0, &rel, NULL) == 0);
    r = read(fd, &n, 8);
    printf("blocking read: %ld count %llu\n", r, (unsigned long long)n);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec abs = {{0, 0}, {now.tv_sec - 1, 0}};
    CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &abs, NULL) == 0);
    r = read(fd, &n, 8);
    printf("past absolute: %ld count %llu\n", r, (unsigned long long)n);
    r = read(fd, &n, 4);
    printf("short read: %s\n", res(r));
    close(fd);

    printf("bad clock: %s\n", res(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0)));
    printf("bad flags: %s\n", res(timerfd_create(CLOCK_MONOTONIC, 1)));
    fd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC);
    printf("boottime cloexec: %d\n", fcntl(fd, F_GETFD));
    struct itimerspec badv = {{0, 0}, {0, 1000000000}};
    printf("bad value: %s\n", res(timerfd_settime(fd, 0, &badv, NULL)));
    printf("bad settime flags: %s\n", res(timerfd_settime(fd, 4, &its, NULL)));
    int efd = eventfd(0, 0);
    printf("not a timerfd: %s\n", res(timerfd_settime(efd, 0, &its, NULL)));
    printf("gettime not a timerfd: %s\n", res(timerfd_gettime(efd, &cur)));
    printf("gettime bad ptr: %s\n", res(timerfd_gettime(fd, (void *)8)));
    close(efd), close(fd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    eventfd_rules();
    signalfd_rules();
    timerfd_rules();
    return 0;
}
