/* epoll: level and edge triggering, one-shot, EPOLLRDHUP, nesting, closing watched files,
 * a forked writer waking epoll_wait, timeouts, signals, and every errno of the calls. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* The result of a call, with the errno it left (read after the call, never before). */
static const char *res(long r) { return result_str(r, errno); }

static int wait_show(const char *what, int ep, int timeout)
{
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, timeout);
    int err = errno;
    /* Sort by data so that the order of simultaneous events does not matter. */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (ev[j].data.u64 < ev[i].data.u64) {
                struct epoll_event t = ev[i];
                ev[i] = ev[j];
                ev[j] = t;
            }
    printf("%s: %s", what, result_str(n, err));
    for (int i = 0; i < n; i++)
        printf(" {%llu %#x}", (unsigned long long)ev[i].data.u64, ev[i].events);
    printf("\n");
    return n;
}

static void add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
}

static void level_and_edge(void)
{
    int ep = epoll_create1(0);
    int p[2], q[2];
    CHECK(pipe(p) == 0 && pipe(q) == 0);
    add(ep, p[0], EPOLLIN, 1);
    add(ep, q[0], EPOLLIN | EPOLLET, 2);
    add(ep, p[1], EPOLLOUT, 3);
    wait_show("only the write end", ep, 0);
    CHECK(write(p[1], "ab", 2) == 2 && write(q[1], "ab", 2) == 2);
    wait_show("both have data", ep, 0);
    wait_show("level again, edge consumed", ep, 0);
    char c;
    CHECK(read(q[0], &c, 1) == 1);
    wait_show("edge after a partial read", ep, 0);
    CHECK(write(q[1], "c", 1) == 1);
    wait_show("edge after more data", ep, 0);

    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 4};
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &ev) == 0);
    wait_show("MOD re-arms the edge", ep, 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0);
    wait_show("after DEL", ep, 0);
    close(p[0]), close(p[1]), close(q[0]), close(q[1]);
    wait_show("closed files leave", ep, 0);
    close(ep);
}

static void oneshot_and_hup(void)
{
    int ep = epoll_create(1);
    int efd = eventfd(3, EFD_NONBLOCK);
    add(ep, efd, EPOLLIN | EPOLLONESHOT, 7);
    wait_show("oneshot fires", ep, 0);
    wait_show("oneshot disabled", ep, 0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 8};
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) == 0);
    wait_show("oneshot re-armed", ep, 0);
    close(efd);

    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 9);
    wait_show("idle socket", ep, 0);
    CHECK(shutdown(sv[1], SHUT_WR) == 0);
    wait_show("peer shut down writing", ep, 0);
    close(sv[1]);
    wait_show("peer closed", ep, 0);
    close(sv[0]);

    int p[2];
    CHECK(pipe(p) == 0);
    add(ep, p[1], EPOLLOUT, 10);
    close(p[0]);
    wait_show("pipe reader gone", ep, 0);
    close(p[1]);
    close(ep);
}

static void dup_keeps_item(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("cloexec: %d\n", fcntl(ep, F_GETFD));
    int efd = eventfd(1, 0);
    add(ep, efd, EPOLLIN, 11);
    int copy = dup(efd);
    close(efd);
    wait_show("dup keeps the description watched", ep, 0);
    struct epoll_event ev = {.events = EPOLLIN};
    int r = epoll_ctl(ep, EPOLL_CTL_DEL, copy, &ev);
    printf("DEL by the other fd: %s\n", res(r));
    close(copy);
    wait_show("last close removes it", ep, 0);
    close(ep);
}

static void nested(void)
{
    int outer = epoll_create1(0), inner = epoll_create1(0);
    int efd = eventfd(0, 0);
    add(inner, efd, EPOLLIN, 12);
    add(outer, inner, EPOLLIN, 13);
    wait_show("inner idle", outer, 0);
    uint64_t one = 1;
    CHECK(write(efd, &one, 8) == 8);
    wait_show("inner ready", outer, 0);
    struct epoll_event ev = {.events = EPOLLIN};
    int r = epoll_ctl(inner, EPOLL_CTL_ADD, outer, &ev);
    printf("loop: %s\n", res(r));
    r = epoll_ctl(inner, EPOLL_CTL_ADD, inner, &ev);
    printf("self: %s\n", res(r));
    close(efd), close(inner), close(outer);
}

static void waiting(void)
{
    int ep = epoll_create1(0);
    int p[2];
    CHECK(pipe(p) == 0);
    add(ep, p[0], EPOLLIN, 14);
    wait_show("30ms timeout", ep, 30);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        CHECK(write(p[1], "x", 1) == 1);
        _exit(0);
    }
    wait_show("woken by child", ep, -1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    struct timespec ts = {0, 10 * 1000 * 1000};
    struct epoll_event ev[2];
    char c;
    CHECK(read(p[0], &c, 1) == 1);
    int r = syscall(SYS_epoll_pwait2, ep, ev, 2, &ts, NULL, 8);
    printf("epoll_pwait2 10ms: %s\n", res(r));
    close(p[0]), close(p[1]), close(ep);
}

static volatile sig_atomic_t got;
static void on_sig(int s) { (void)s; got++; }

static void signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_RESTART; /* epoll_wait is never restarted */
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
    int ep = epoll_create1(0);
    int p[2];
    CHECK(pipe(p) == 0);
    add(ep, p[0], EPOLLIN, 15);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    wait_show("interrupted", ep, -1);
    printf("handler %d\n", (int)got);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR2);
    struct epoll_event ev;
    int r = epoll_pwait(ep, &ev, 1, -1, &empty);
    printf("epoll_pwait takes the blocked signal: %s handler %d\n", res(r), (int)got);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    close(p[0]), close(p[1]), close(ep);
}

static void errors(void)
{
    int ep = epoll_create1(0);
    int efd = eventfd(0, 0);
    struct epoll_event ev = {.events = EPOLLIN};
    struct epoll_event out[1];
    printf("create(0): %s\n", res(epoll_create(0)));
    printf("create1(bad): %s\n", res(epoll_create1(1)));
    printf("ctl bad epfd: %s\n", res(epoll_ctl(99, EPOLL_CTL_ADD, efd, &ev)));
    printf("ctl bad fd: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev)));
    printf("ctl not epoll: %s\n", res(epoll_ctl(efd, EPOLL_CTL_ADD, ep, &ev)));
    printf("ctl bad op: %s\n", res(epoll_ctl(ep, 9, efd, &ev)));
    printf("ctl bad event ptr: %s\n",
           res(epoll_ctl(ep, EPOLL_CTL_ADD, efd, (void *)8)));
    printf("MOD missing: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev)));
    printf("DEL missing: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, efd, &ev)));
    printf("ADD: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev)));
    printf("ADD again: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev)));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    printf("MOD exclusive: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev)));
    int fd = open("/proc/self/exe", O_RDONLY);
    ev.events = EPOLLIN;
    printf("regular file: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)));
    close(fd);
    printf("wait maxevents 0: %s\n", res(epoll_wait(ep, out, 0, 0)));
    printf("wait maxevents huge: %s\n", res(syscall(SYS_epoll_wait, ep, out, 0x7fffffff, 0)));
    printf("wait bad ptr: %s\n", res(epoll_wait(ep, (void *)-4096L, 1, 0)));
    printf("wait not epoll: %s\n", res(epoll_wait(efd, out, 1, 0)));
    printf("wait bad fd: %s\n", res(epoll_wait(99, out, 1, 0)));
    struct timespec bad = {0, -1};
    printf("pwait2 bad timeout: %s\n",
           res(syscall(SYS_epoll_pwait2, ep, out, 1, &bad, NULL, 8)));
    sigset_t s;
    sigemptyset(&s);
    printf("pwait bad sigsetsize: %s\n",
           res(syscall(SYS_epoll_pwait, ep, out, 1, 0, &s, 4)));
    printf("sizeof(struct epoll_event) = %zu\n", sizeof(struct epoll_event));
    close(efd), close(ep);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    level_and_edge();
    oneshot_and_hup();
    dup_keeps_item();
    nested();
    waiting();
    signals();
    errors();
    return 0;
}
