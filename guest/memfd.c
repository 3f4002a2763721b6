/* memfd_create: flags, the name limit, data, seals (F_ADD_SEALS / F_GET_SEALS) and the
 * name /proc/self/fd shows.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define SHOW(label, expr)                                         \
    do {                                                          \
        errno = 0;                                                \
        long r_ = (long)(expr);                                   \
        printf("%s: %s\n", label, result_str(r_, errno));         \
    } while (0)

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif
#define SEAL_FUTURE_WRITE 16
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#define MFD_ALLOW_SEALING 2U
#endif

static int memfd(const char *name, unsigned flags)
{
    return (int)syscall(SYS_memfd_create, name, flags);
}

static void show_link(int fd)
{
    char path[64], target[300] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    printf("link: %s\n", n < 0 ? errname(errno) : target);
}

int main(void)
{
    char name[300];
    memset(name, 'm', sizeof name);
    name[249] = 0;
    int fd = memfd(name, 0);
    SHOW("249-byte name", fd >= 0 ? 0 : -1);
    close(fd);
    name[249] = 'm';
    name[250] = 0;
    SHOW("250-byte name", memfd(name, 0));
    SHOW("unknown flag", memfd("x", 0x100));
    SHOW("bad name pointer", memfd((const char *)8, 0));

    fd = memfd("buf", MFD_CLOEXEC);
    CHECK(fd >= 0);
    printf("FD_CLOEXEC: %s\n", yesno(fcntl(fd, F_GETFD) & FD_CLOEXEC));
    show_link(fd);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("regular: %s nlink %ld size %lld mode %o\n", yesno(S_ISREG(st.st_mode)),
           (long)st.st_nlink, (long long)st.st_size, st.st_mode & 07777);
    printf("access mode O_RDWR: %s\n", yesno((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR));
    SHOW("write", write(fd, "memfd data", 10));
    SHOW("ftruncate 4", ftruncate(fd, 4));
    char buf[32] = {0};
    SHOW("pread", pread(fd, buf, sizeof buf, 0));
    printf("contents: %s\n", buf);
    SHOW("F_GET_SEALS without sealing", fcntl(fd, F_GET_SEALS));
    SHOW("F_ADD_SEALS without sealing", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    int again = open(proc, O_RDONLY);
    SHOW("reopen through /proc/self/fd", again >= 0 ? 0 : -1);
    memset(buf, 0, sizeof buf);
    SHOW("read reopened", read(again, buf, sizeof buf));
    printf("reopened contents: %s\n", buf);
    close(again);
    SHOW("linkat of a memfd", linkat(fd, "", AT_FDCWD, "/tmp/emu-memfd-never", AT_EMPTY_PATH));
    close(fd);

    fd = memfd("sealed", MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    CHECK(write(fd, "0123456789", 10) == 10);
    SHOW("add SHRINK", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    SHOW("ftruncate smaller", ftruncate(fd, 5));
    SHOW("ftruncate larger", ftruncate(fd, 20));
    SHOW("add GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    SHOW("ftruncate larger again", ftruncate(fd, 40));
    SHOW("write past the end", pwrite(fd, "abcdef", 6, 18));
    SHOW("write inside", pwrite(fd, "AB", 2, 0));
    SHOW("fallocate past the end", fallocate(fd, 0, 0, 4096));
    SHOW("add unknown seal", fcntl(fd, F_ADD_SEALS, 0x100));
    SHOW("add FUTURE_WRITE", fcntl(fd, F_ADD_SEALS, SEAL_FUTURE_WRITE));
    SHOW("write after FUTURE_WRITE", pwrite(fd, "x", 1, 0));
    SHOW("add WRITE", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    SHOW("write after WRITE", write(fd, "x", 1));
    SHOW("punch after WRITE", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1));
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    SHOW("open for writing", open(proc, O_RDWR));
    SHOW("add SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
    SHOW("add after SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    memset(buf, 0, sizeof buf);
    SHOW("pread", pread(fd, buf, 20, 0));
    printf("contents: %.20s\n", buf);
    int ro = open(proc, O_RDONLY);
    CHECK(ro >= 0);
    SHOW("F_GET_SEALS through a read-only fd", fcntl(ro, F_GET_SEALS));
    close(ro);
    close(fd);

    fd = memfd("ro-seal", MFD_ALLOW_SEALING);
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ro = open(proc, O_RDONLY);
    SHOW("add seal through a read-only fd", fcntl(ro, F_ADD_SEALS, F_SEAL_GROW));
    close(ro);
    close(fd);
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    SHOW("F_GET_SEALS of a pipe", fcntl(pipefd[0], F_GET_SEALS));
    printf("memfd done\n");
    return 0;
}
