/* poll, ppoll, select and pselect over pipes, eventfds and socketpairs: readiness, a forked
 * writer waking a waiter, timeouts (whether they expire, never how long), signals ending a
 * wait, and the errno of every bad argument. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* The result of a call, with the errno it left (read after the call, never before). */
static const char *res(long r) { return result_str(r, errno); }

static void show_poll(const char *what, struct pollfd *p, int n, int r, int err)
{
    printf("%s: %s", what, result_str(r, err));
    for (int i = 0; i < n; i++)
        printf(" [%d]=%#x", i, (unsigned)p[i].revents);
    printf("\n");
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1++; }

static void readiness(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    struct pollfd fds[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0}};
    int r = poll(fds, 3, 0);
    show_poll("empty pipe", fds, 3, r, errno);
    CHECK(write(p[1], "x", 1) == 1);
    r = poll(fds, 3, 0);
    show_poll("one byte", fds, 3, r, errno);
    close(p[1]);
    fds[1].fd = -1;
    r = poll(fds, 2, 0);
    show_poll("writer closed, data left", fds, 2, r, errno);
    char c;
    CHECK(read(p[0], &c, 1) == 1);
    r = poll(fds, 2, 0);
    show_poll("writer closed, drained", fds, 2, r, errno);
    close(p[0]);

    CHECK(pipe(p) == 0);
    close(p[0]);
    struct pollfd w = {p[1], POLLOUT, 0};
    r = poll(&w, 1, 0);
    show_poll("reader closed", &w, 1, r, errno);
    close(p[1]);

    /* A closed fd is POLLNVAL, counted; events 0 still reports POLLHUP. */
    CHECK(pipe(p) == 0);
    close(p[1]);
    struct pollfd bad[2] = {{100, POLLIN, 0}, {p[0], 0, 0}};
    r = poll(bad, 2, 0);
    show_poll("bad fd and events 0", bad, 2, r, errno);
    close(p[0]);

    int efd = eventfd(0, 0);
    struct pollfd e = {efd, POLLIN | POLLOUT, 0};
    r = poll(&e, 1, 0);
    show_poll("eventfd 0", &e, 1, r, errno);
    uint64_t one = 1;
    CHECK(write(efd, &one, 8) == 8);
    r = poll(&e, 1, 0);
    show_poll("eventfd 1", &e, 1, r, errno);
    close(efd);

    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct pollfd s = {sv[0], POLLIN | POLLOUT | POLLRDHUP, 0};
    r = poll(&s, 1, 0);
    show_poll("socket idle", &s, 1, r, errno);
    CHECK(shutdown(sv[1], SHUT_WR) == 0);
    r = poll(&s, 1, 0);
    show_poll("peer SHUT_WR", &s, 1, r, errno);
    close(sv[1]);
    r = poll(&s, 1, 0);
    show_poll("peer closed", &s, 1, r, errno);
    close(sv[0]);
}

static void forked_writer(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        usleep(20000);
        CHECK(write(p[1], "hello", 5) == 5);
        _exit(0);
    }
    struct pollfd f = {p[0], POLLIN, 0};
    int r = poll(&f, 1, -1);
    show_poll("waited for child", &f, 1, r, errno);
    char buf[8] = {0};
    CHECK(read(p[0], buf, sizeof buf) == 5);
    printf("read %s\n", buf);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);

    /* select waiting on two pipes; the child writes the second. */
    int q[2];
    CHECK(pipe(q) == 0);
    pid = fork();
    if (pid == 0) {
        usleep(20000);
        CHECK(write(q[1], "z", 1) == 1);
        _exit(0);
    }
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    FD_SET(q[0], &rd);
    int maxfd = (p[0] > q[0] ? p[0] : q[0]) + 1;
    r = select(maxfd, &rd, NULL, NULL, NULL);
    printf("select: %s p=%d q=%d\n", res(r), FD_ISSET(p[0], &rd) != 0,
           FD_ISSET(q[0], &rd) != 0);
    CHECK(waitpid(pid, &st, 0) == pid);
    close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

static void timeouts(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    struct pollfd f = {p[0], POLLIN, 0};
    int r = poll(&f, 1, 30);
    show_poll("poll 30ms timeout", &f, 1, r, errno);
    struct timespec ts = {0, 20 * 1000 * 1000};
    r = ppoll(&f, 1, &ts, NULL);
    show_poll("ppoll 20ms", &f, 1, r, errno);

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 20000};
    r = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select timeout: %s set=%d tv=%ld.%06ld\n", res(r),
           FD_ISSET(p[0], &rd) != 0, (long)tv.tv_sec, (long)tv.tv_usec);
    /* With data there, select leaves time on the clock. */
    CHECK(write(p[1], "a", 1) == 1);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    tv.tv_sec = 5, tv.tv_usec = 0;
    r = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select ready: %s set=%d time left=%s\n", res(r),
           FD_ISSET(p[0], &rd) != 0, tv.tv_sec >= 4 ? "most" : "little");
    /* A zero timeval is not written back. */
    tv.tv_sec = 0, tv.tv_usec = 0;
    FD_ZERO(&rd);
    r = select(0, &rd, NULL, NULL, &tv);
    printf("select nothing: %s\n", res(r));
    close(p[0]), close(p[1]);
}

static void signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct pollfd f = {p[0], POLLIN, 0};
    int r = poll(&f, 1, -1);
    show_poll("poll interrupted", &f, 1, r, errno);
    printf("handler ran %d\n", (int)got_usr1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);

    /* ppoll with SIGUSR1 blocked outside and unblocked for the wait. */
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
    got_usr1 = 0;
    kill(getpid(), SIGUSR1);
    printf("pending while blocked, handler ran %d\n", (int)got_usr1);
    r = ppoll(&f, 1, NULL, &empty);
    show_poll("ppoll takes the pending signal", &f, 1, r, errno);
    printf("handler ran %d\n", (int)got_usr1);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR1));
    got_usr1 = 0;
    kill(getpid(), SIGUSR1);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    r = pselect(p[0] + 1, &rd, NULL, NULL, NULL, &empty);
    printf("pselect: %s handler %d\n", res(r), (int)got_usr1);
    CHECK(sigprocmask(SIG_UNBLOCK, &block, NULL) == 0);
    close(p[0]), close(p[1]);
}

static void errors(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    struct pollfd f = {p[0], POLLIN, 0};
    errno = 0;
    long r = syscall(SYS_poll, 8L, 1, 0);
    printf("poll bad pointer: %s\n", res(r));
    r = syscall(SYS_poll, &f, 1 << 30, 0);
    printf("poll nfds too big: %s\n", res(r));
    r = poll(NULL, 0, 10);
    printf("poll nothing 10ms: %s\n", res(r));
    struct timespec bad = {0, 1000000000};
    r = ppoll(&f, 1, &bad, NULL);
    printf("ppoll bad nsec: %s\n", res(r));
    struct timespec neg = {-1, 0};
    r = ppoll(&f, 1, &neg, NULL);
    printf("ppoll negative: %s\n", res(r));
    sigset_t s;
    sigemptyset(&s);
    struct timespec zero = {0, 0};
    r = syscall(SYS_ppoll, &f, 1, &zero, &s, 4);
    printf("ppoll sigsetsize 4: %s\n", res(r));
    r = syscall(SYS_ppoll, &f, 1, (void *)8, NULL, 8);
    printf("ppoll bad timespec pointer: %s\n", res(r));

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 0};
    r = select(-1, &rd, NULL, NULL, &tv);
    printf("select n<0: %s\n", res(r));
    FD_ZERO(&rd);
    FD_SET(60, &rd);
    r = select(61, &rd, NULL, NULL, &tv);
    printf("select closed fd: %s\n", res(r));
    struct timeval badtv = {0, -1};
    FD_ZERO(&rd);
    r = select(1, &rd, NULL, NULL, &badtv);
    printf("select negative usec: %s\n", res(r));
    struct timeval bigusec = {0, 2000000};
    FD_ZERO(&rd);
    FD_SET(p[1], &rd);
    r = select(p[1] + 1, NULL, &rd, NULL, &bigusec);
    printf("select usec 2e6 folds to seconds: %s\n", res(r));
    r = select(p[0] + 1, (fd_set *)8, NULL, NULL, &tv);
    printf("select bad set: %s\n", res(r));
    close(p[0]), close(p[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    readiness();
    forked_writer();
    timeouts();
    signals();
    errors();
    return 0;
}
