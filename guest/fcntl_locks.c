/* fcntl: descriptor and status flags, pipe sizes, owners, and record locks (POSIX and
 * open-file-description) between a parent and its child; dup, dup2, dup3 and pipe2. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* The result of a call, with the errno it left (read after the call, never before). */
static const char *res(long r) { return result_str(r, errno); }

static void flags(void)
{
    int p[2];
    CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    printf("pipe2 flags %#x fd %d\n", fcntl(p[0], F_GETFL), fcntl(p[0], F_GETFD));
    printf("pipe2 bad flags: %s\n", res(pipe2(p, O_APPEND)));
    printf("F_SETFL: %s\n", res(fcntl(p[1], F_SETFL, O_APPEND | O_RDWR | O_NOATIME)));
    printf("after: %#x\n", fcntl(p[1], F_GETFL));
    printf("F_SETFD: %s\n", res(fcntl(p[1], F_SETFD, 0)));
    printf("F_GETFD: %d\n", fcntl(p[1], F_GETFD));
    int d = fcntl(p[0], F_DUPFD, 10);
    printf("F_DUPFD >= 10: %d\n", d >= 10);
    printf("cloexec %d\n", fcntl(d, F_GETFD));
    int d2 = fcntl(p[0], F_DUPFD_CLOEXEC, 10);
    printf("F_DUPFD_CLOEXEC: %d\n", d2 > d);
    printf("cloexec %d\n", fcntl(d2, F_GETFD));
    printf("F_DUPFD huge: %s\n", res(fcntl(p[0], F_DUPFD, 1 << 30)));
    printf("dup2 same: %d\n", dup2(d, d) == d);
    printf("dup3 same: %s\n", res(dup3(d, d, 0)));
    printf("dup3 bad flags: %s\n", res(dup3(d, 20, O_NONBLOCK)));
    printf("dup3 cloexec: %s\n", res(dup3(d, 20, O_CLOEXEC)));
    printf("cloexec %d\n", fcntl(20, F_GETFD));
    printf("dup2 bad old: %s\n", res(dup2(99, 21)));
    printf("dup2 over an open fd: %s\n", res(dup2(p[1], 20)));
    printf("fcntl bad fd: %s\n", res(fcntl(99, F_GETFL)));
    printf("fcntl bad cmd: %s\n", res(fcntl(p[0], 9999)));
    close(d), close(d2), close(20);

    printf("F_GETPIPE_SZ: %d\n", fcntl(p[0], F_GETPIPE_SZ));
    printf("F_SETPIPE_SZ 5000: %d\n", fcntl(p[0], F_SETPIPE_SZ, 5000));
    printf("F_SETPIPE_SZ 0: %d\n", fcntl(p[0], F_SETPIPE_SZ, 0));
    CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
    char big[8192];
    memset(big, 'x', sizeof big);
    long w = write(p[1], big, sizeof big);
    printf("write to a 4096 pipe: %ld\n", w);
    printf("shrink below content: %s\n", res(fcntl(p[0], F_SETPIPE_SZ, 4096)));
    printf("grow: %d\n", fcntl(p[1], F_SETPIPE_SZ, 65536));
    printf("F_SETPIPE_SZ too big: %s\n", res(fcntl(p[0], F_SETPIPE_SZ, (1L << 31) + 1)));
    int f = open("/proc/self/exe", O_RDONLY);
    printf("F_GETPIPE_SZ not a pipe: %s\n", res(fcntl(f, F_GETPIPE_SZ)));
    close(f);

    printf("F_GETOWN: %d\n", fcntl(p[0], F_GETOWN));
    printf("F_SETOWN me: %s\n", res(fcntl(p[0], F_SETOWN, getpid())));
    printf("owner is me: %d\n", fcntl(p[0], F_GETOWN) == getpid());
    printf("F_SETOWN no such pid: %s\n", res(fcntl(p[0], F_SETOWN, 999999)));
    printf("F_SETSIG: %s\n", res(fcntl(p[0], F_SETSIG, SIGUSR1)));
    printf("F_GETSIG: %d\n", fcntl(p[0], F_GETSIG));
    printf("F_SETSIG bad: %s\n", res(fcntl(p[0], F_SETSIG, 65)));
    close(p[0]), close(p[1]);

    /* Packet mode: each write is one message. */
    CHECK(pipe2(p, O_DIRECT) == 0);
    CHECK(write(p[1], "abc", 3) == 3 && write(p[1], "defgh", 5) == 5);
    char buf[16];
    long r = read(p[0], buf, sizeof buf);
    printf("packet 1: %ld '%.*s'\n", r, (int)r, buf);
    r = read(p[0], buf, 2);
    printf("packet 2 cut short: %ld '%.*s'\n", r, (int)r, buf);
    printf("rest dropped: %s\n", res(fcntl(p[0], F_SETFL, O_NONBLOCK)));
    r = read(p[0], buf, sizeof buf);
    printf("then: %s\n", res(r));
    close(p[0]), close(p[1]);
}

static void show_lock(const char *what, int fd, short type, off_t start, off_t len, int cmd)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    int r = fcntl(fd, cmd, &fl);
    int err = errno;
    if (r < 0) {
        printf("%s: %s\n", what, result_str(r, err));
        return;
    }
    printf("%s: type %s start %ld len %ld pid %s\n", what,
           fl.l_type == F_UNLCK ? "UNLCK" : fl.l_type == F_RDLCK ? "RDLCK" : "WRLCK",
           (long)fl.l_start, (long)fl.l_len,
           fl.l_pid == 0 ? "0" : fl.l_pid == -1 ? "-1" : fl.l_pid == getppid() ? "parent" : "other");
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static void locks(void)
{
    const char *path = "/tmp/fcntl_locks_test";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, "0123456789", 10) == 10);
    CHECK(setlk(fd, F_SETLK, F_WRLCK, 0, 4) == 0);
    CHECK(setlk(fd, F_SETLK, F_RDLCK, 6, 0) == 0);
    int sync_pipe[2], done_pipe[2];
    CHECK(pipe(sync_pipe) == 0 && pipe(done_pipe) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = open(path, O_RDWR);
        show_lock("child GETLK 0-9 write", cfd, F_WRLCK, 0, 10, F_GETLK);
        show_lock("child GETLK 4-5 write", cfd, F_WRLCK, 4, 2, F_GETLK);
        show_lock("child GETLK 6- read", cfd, F_RDLCK, 6, 0, F_GETLK);
        show_lock("child GETLK 7- write", cfd, F_WRLCK, 7, 0, F_GETLK);
        printf("child SETLK 2: %s\n", res(setlk(cfd, F_SETLK, F_WRLCK, 2, 1)));
        printf("child SETLK read 8: %s\n", res(setlk(cfd, F_SETLK, F_RDLCK, 8, 1)));
        /* Tell the parent, then wait for the write lock it holds. */
        CHECK(write(sync_pipe[1], "g", 1) == 1);
        printf("child SETLKW 0-3: %s\n", res(setlk(cfd, F_SETLKW, F_WRLCK, 0, 4)));
        show_lock("child GETLK after", cfd, F_WRLCK, 0, 10, F_GETLK);
        _exit(0);
    }
    char c;
    CHECK(read(sync_pipe[0], &c, 1) == 1);
    usleep(20000);
    /* Unlocking part of the range splits the lock; the rest still blocks the child. */
    CHECK(setlk(fd, F_SETLK, F_UNLCK, 3, 1) == 0);
    usleep(20000);
    printf("parent unlocks 0-2\n");
    CHECK(setlk(fd, F_SETLK, F_UNLCK, 0, 3) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    printf("child exit %d\n", WEXITSTATUS(st));

    /* The child's locks went with it. */
    show_lock("parent GETLK after child exit", fd, F_WRLCK, 0, 0, F_GETLK);

    /* Closing any fd of the file drops the process's POSIX locks. */
    CHECK(setlk(fd, F_SETLK, F_WRLCK, 0, 0) == 0);
    int other = open(path, O_RDONLY);
    close(other);
    pid = fork();
    if (pid == 0) {
        int cfd = open(path, O_RDWR);
        show_lock("child sees after parent's close", cfd, F_WRLCK, 0, 0, F_GETLK);
        _exit(0);
    }
    CHECK(waitpid(pid, &st, 0) == pid);

    /* OFD locks belong to the description: two opens in one process conflict. */
    int a = open(path, O_RDWR), b = open(path, O_RDWR);
    printf("OFD a: %s\n", res(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 5)));
    printf("OFD b conflicts: %s\n", res(setlk(b, F_OFD_SETLK, F_WRLCK, 3, 5)));
    show_lock("OFD GETLK from b", b, F_RDLCK, 0, 0, F_OFD_GETLK);
    struct flock bad = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 1};
    printf("OFD l_pid set: %s\n", res(fcntl(b, F_OFD_SETLK, &bad)));
    close(a);
    printf("OFD b after a closed: %s\n", res(setlk(b, F_OFD_SETLK, F_WRLCK, 3, 5)));
    close(b);

    int ro = open(path, O_RDONLY);
    printf("write lock on a read-only fd: %s\n", res(setlk(ro, F_SETLK, F_WRLCK, 0, 1)));
    printf("bad type: %s\n", res(setlk(ro, F_SETLK, 7, 0, 1)));
    printf("GETLK unlock type: %s\n", res(setlk(ro, F_GETLK, F_UNLCK, 0, 1)));
    struct flock w = {.l_type = F_RDLCK, .l_whence = 9};
    printf("bad whence: %s\n", res(fcntl(ro, F_SETLK, &w)));
    printf("negative start: %s\n", res(setlk(ro, F_SETLK, F_RDLCK, -5, 1)));
    printf("negative len: %s\n", res(setlk(ro, F_SETLK, F_RDLCK, 5, -3)));
    printf("len before 0: %s\n", res(setlk(ro, F_SETLK, F_RDLCK, 2, -3)));
    printf("bad pointer: %s\n", res(fcntl(ro, F_SETLK, (void *)8)));
    close(ro);
    close(fd);
    unlink(path);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    flags();
    locks();
    return 0;
}
