/* Files in RAM mapped shared: a memfd, a file on /dev/shm (tmpfs) and /dev/zero. write()
 * and the mapping see each other; other mappings share the pages; DONTNEED keeps the
 * data, REMOVE punches it out with the size unchanged; a private mapping copies on write;
 * a page past the end of the file is SIGBUS (BUS_ADRERR) after ftruncate; msync's errnos. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define PAGE 4096L

static sigjmp_buf jump;
static int bus_code;

static void on_bus(int sig, siginfo_t *info, void *ctx)
{
    (void)sig, (void)ctx;
    bus_code = info->si_code;
    siglongjmp(jump, 1);
}

static void report(const char *what, int ret)
{
    printf("%-44s %s\n", what, ret == 0 ? "0" : errname(errno));
}

static char *map(int fd, size_t len, int prot, int flags)
{
    char *p = mmap(NULL, len, prot, flags, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap: %s\n", errname(errno));
        exit(1);
    }
    return p;
}

static void exercise(const char *name, int fd)
{
    char buf[16] = {0};
    printf("== %s\n", name);
    if (ftruncate(fd, 3 * PAGE) != 0) printf("ftruncate: %s\n", errname(errno));
    if (pwrite(fd, "written", 7, PAGE) != 7) printf("pwrite: %s\n", errname(errno));
    char *a = map(fd, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *b = map(fd, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *priv = map(fd, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    printf("%-44s %.7s\n", "mapping sees pwrite", a + PAGE);
    memcpy(a + 2 * PAGE, "mapped", 6);
    pread(fd, buf, 6, 2 * PAGE);
    printf("%-44s %.6s\n", "pread sees the mapping's store", buf);
    printf("%-44s %.6s\n", "second mapping sees it", b + 2 * PAGE);
    priv[2 * PAGE] = 'P';
    pread(fd, buf, 6, 2 * PAGE);
    printf("%-44s %.6s %c\n", "private write stays private", buf, priv[2 * PAGE]);
    pwrite(fd, "again", 5, 2 * PAGE + 100);
    printf("%-44s %.5s\n", "private copy keeps its snapshot", priv[2 * PAGE + 100] ? "changed" : "kept");
    report("DONTNEED shared", madvise(a, 3 * PAGE, MADV_DONTNEED));
    printf("%-44s %.7s\n", "data still there", a + PAGE);
    report("REMOVE page 1", madvise(a + PAGE, PAGE, MADV_REMOVE));
    struct stat st;
    fstat(fd, &st);
    printf("%-44s %d size %lld\n", "page 1 reads zero, size", b[PAGE], (long long)st.st_size);
    report("msync MS_SYNC", msync(a, 3 * PAGE, MS_SYNC));
    report("msync MS_ASYNC|MS_INVALIDATE", msync(a, PAGE, MS_ASYNC | MS_INVALIDATE));
    if (ftruncate(fd, PAGE) != 0) printf("ftruncate: %s\n", errname(errno));
    bus_code = 0;
    if (sigsetjmp(jump, 1) == 0) {
        volatile char c = b[2 * PAGE];
        (void)c;
        printf("%-44s no signal\n", "read past the end after ftruncate");
    } else {
        printf("%-44s SIGBUS %s\n", "read past the end after ftruncate",
               bus_code == BUS_ADRERR ? "BUS_ADRERR" : "other");
    }
    bus_code = 0;
    if (sigsetjmp(jump, 1) == 0) {
        volatile char c = priv[2 * PAGE];
        (void)c;
        printf("%-44s kept\n", "private copy past the end");
    } else {
        printf("%-44s SIGBUS %s\n", "private copy past the end",
               bus_code == BUS_ADRERR ? "BUS_ADRERR" : "other");
    }
    printf("%-44s %d\n", "private page inside the file", priv[0]);
    munmap(a, 3 * PAGE);
    munmap(b, 3 * PAGE);
    munmap(priv, 3 * PAGE);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);

    int mfd = (int)syscall(SYS_memfd_create, "shared-test", 0);
    if (mfd < 0) {
        printf("memfd_create: %s\n", errname(errno));
        return 1;
    }
    exercise("memfd", mfd);
    close(mfd);

    char path[64];
    snprintf(path, sizeof path, "/dev/shm/emu-shared-%d", (int)getpid() % 1000);
    int tfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (tfd < 0) {
        printf("open /dev/shm: %s\n", errname(errno));
        return 1;
    }
    exercise("tmpfs file", tfd);
    close(tfd);
    unlink(path);

    printf("== /dev/zero\n");
    int z = open("/dev/zero", O_RDWR);
    char *s = map(z, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *p = map(z, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    s[0] = 's';
    p[0] = 'p';
    report("DONTNEED shared /dev/zero", madvise(s, 2 * PAGE, MADV_DONTNEED));
    report("DONTNEED private /dev/zero", madvise(p, 2 * PAGE, MADV_DONTNEED));
    printf("%-44s %c %d\n", "shared keeps, private is zero", s[0], p[0]);
    report("REMOVE shared /dev/zero", madvise(s, PAGE, MADV_REMOVE));
    printf("%-44s %d\n", "after REMOVE", s[0]);
    report("FREE private /dev/zero", madvise(p, PAGE, MADV_FREE));
    char *n = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, open("/dev/null", O_RDONLY), 0);
    printf("%-44s %s\n", "mmap /dev/null", n == MAP_FAILED ? errname(errno) : "mapped");

    printf("== msync errnos\n");
    report("unaligned", msync(s + 1, PAGE, MS_SYNC));
    report("unknown flag", msync(s, PAGE, 8));
    report("MS_SYNC|MS_ASYNC", msync(s, PAGE, MS_SYNC | MS_ASYNC));
    report("length 0", msync(s, 0, MS_SYNC));
    munmap(s + PAGE, PAGE);
    report("hole, MS_SYNC", msync(s, 2 * PAGE, MS_SYNC));
    report("hole, MS_ASYNC", msync(s, 2 * PAGE, MS_ASYNC));
    report("unmapped", msync((void *)PAGE, PAGE, MS_ASYNC));
    return 0;
}
