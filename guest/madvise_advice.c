/* Every madvise advice value's observable effect and errno paths, compared natively and
 * under emu: validation, holes, DONTNEED on private/shared/file memory, FREE with and
 * without a later write, REMOVE, POPULATE_READ/WRITE, WILLNEED and mincore, the fork and
 * dump flags. The program's own executable is the file it maps (read-only).
 * MADV_HWPOISON and MADV_COLLAPSE are not tried: natively they would act on the host. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"


#define PAGE 4096UL

static void report(const char *what, int ret)
{
    printf("%-40s %s\n", what, ret == 0 ? "0" : errname(errno));
}

static char *map(size_t len, int prot, int flags, int fd)
{
    char *p = mmap(NULL, len, prot, flags, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap failed: %s\n", errname(errno));
        exit(1);
    }
    return p;
}

static void residency(const char *what, void *p, size_t pages)
{
    unsigned char vec[64];
    if (mincore(p, pages * PAGE, vec) != 0) {
        printf("%-40s mincore %s\n", what, errname(errno));
        return;
    }
    printf("%-40s ", what);
    for (size_t i = 0; i < pages; i++) putchar(vec[i] & 1 ? '1' : '0');
    putchar('\n');
}

int main(int argc, char **argv)
{
    (void)argc;
    const int rw = PROT_READ | PROT_WRITE;
    const int anon = MAP_PRIVATE | MAP_ANONYMOUS;

    /* Validation happens before any VMA is looked at. */
    char *p = map(4 * PAGE, rw, anon, -1);
    report("unaligned start", madvise(p + 1, PAGE, MADV_DONTNEED));
    report("length 0", madvise(p, 0, MADV_DONTNEED));
    report("length 0, unaligned", madvise(p + 1, 0, MADV_DONTNEED));
    report("unknown advice 999", madvise(p, PAGE, 999));
    report("unknown advice 26", madvise(p, PAGE, 26));
    report("length that wraps", madvise(p, (size_t)-PAGE, MADV_NORMAL));
    report("length rounding to 0", madvise(p, (size_t)-1, MADV_NORMAL));
    report("unmapped low range", madvise((void *)PAGE, PAGE, MADV_NORMAL));
    report("above the user half", madvise((void *)0xffff800000000000UL, PAGE, MADV_NORMAL));

    /* A hole: the mapped parts are advised, the call says ENOMEM. */
    memset(p, 'a', 4 * PAGE);
    munmap(p + PAGE, PAGE);
    report("DONTNEED over a hole", madvise(p, 4 * PAGE, MADV_DONTNEED));
    printf("%-40s %d %d %d\n", "after it, pages 0 2 3 read", p[0], p[2 * PAGE], p[3 * PAGE]);
    memset(p + 2 * PAGE, 'b', PAGE);
    report("POPULATE_WRITE over a hole", madvise(p, 4 * PAGE, MADV_POPULATE_WRITE));
    printf("%-40s %c\n", "page 2 kept its data", p[2 * PAGE]);
    report("NORMAL over a hole", madvise(p, 4 * PAGE, MADV_NORMAL));
    report("RANDOM over a hole", madvise(p, 4 * PAGE, MADV_RANDOM));
    munmap(p, 4 * PAGE);

    /* DONTNEED: private anonymous memory reads back zero, shared keeps its data. */
    p = map(2 * PAGE, rw, anon, -1);
    memset(p, 'x', 2 * PAGE);
    report("DONTNEED private anon", madvise(p, 2 * PAGE, MADV_DONTNEED));
    printf("%-40s %d\n", "private anon reads", p[100]);
    residency("private anon after DONTNEED", p, 2);
    munmap(p, 2 * PAGE);

    char *s = map(2 * PAGE, rw, MAP_SHARED | MAP_ANONYMOUS, -1);
    memset(s, 'y', 2 * PAGE);
    report("DONTNEED shared anon", madvise(s, 2 * PAGE, MADV_DONTNEED));
    printf("%-40s %c\n", "shared anon reads", s[100]);
    residency("shared anon after DONTNEED", s, 2);
    report("FREE shared anon", madvise(s, 2 * PAGE, MADV_FREE));
    report("WIPEONFORK shared anon", madvise(s, PAGE, MADV_WIPEONFORK));
    report("REMOVE shared anon", madvise(s, PAGE, MADV_REMOVE));
    printf("%-40s %d %c\n", "after REMOVE pages 0 1 read", s[0], s[PAGE]);
    report("MERGEABLE shared anon", madvise(s, 2 * PAGE, MADV_MERGEABLE));
    munmap(s, 2 * PAGE);

    /* A private file mapping: writes are private; DONTNEED brings the file back. */
    int fd = open(argv[0], O_RDONLY);
    if (fd < 0) {
        printf("open self: %s\n", errname(errno));
        return 1;
    }
    struct stat st;
    fstat(fd, &st);
    unsigned char orig[16];
    if (pread(fd, orig, sizeof orig, PAGE) != (ssize_t)sizeof orig) return 1;
    char *f = map(4 * PAGE, rw, MAP_PRIVATE, fd);
    f[PAGE] = 'Z';
    printf("%-40s %d\n", "private file page written", f[PAGE] == 'Z');
    report("DONTNEED private file", madvise(f, 4 * PAGE, MADV_DONTNEED));
    printf("%-40s %d\n", "file contents back", memcmp(f + PAGE, orig, sizeof orig) == 0);
    residency("file pages still cached", f, 1);
    report("FREE private file", madvise(f, PAGE, MADV_FREE));
    report("REMOVE private file", madvise(f, PAGE, MADV_REMOVE));
    report("WIPEONFORK private file", madvise(f, PAGE, MADV_WIPEONFORK));
    report("WILLNEED private file", madvise(f, 4 * PAGE, MADV_WILLNEED));
    residency("after WILLNEED", f, 4);
    report("SEQUENTIAL private file", madvise(f, 4 * PAGE, MADV_SEQUENTIAL));
    report("COLD private file", madvise(f, 4 * PAGE, MADV_COLD));
    munmap(f, 4 * PAGE);

    /* Shared read-only file mapping: REMOVE needs shared and writable. */
    char *sf = map(PAGE, PROT_READ, MAP_SHARED, fd);
    report("REMOVE shared read-only file", madvise(sf, PAGE, MADV_REMOVE));
    munmap(sf, PAGE);

    /* POPULATE: permissions are EINVAL, a fault past EOF is EFAULT. */
    const size_t file_pages = (st.st_size + PAGE - 1) / PAGE;
    char *tail = map((file_pages + 2) * PAGE, PROT_READ, MAP_PRIVATE, fd);
    report("POPULATE_READ file in range", madvise(tail, file_pages * PAGE, MADV_POPULATE_READ));
    report("POPULATE_READ past EOF", madvise(tail, (file_pages + 1) * PAGE, MADV_POPULATE_READ));
    report("POPULATE_WRITE read-only", madvise(tail, PAGE, MADV_POPULATE_WRITE));
    munmap(tail, (file_pages + 2) * PAGE);
    close(fd);

    p = map(4 * PAGE, PROT_NONE, anon, -1);
    report("POPULATE_READ PROT_NONE", madvise(p, PAGE, MADV_POPULATE_READ));
    report("POPULATE_WRITE PROT_NONE", madvise(p, PAGE, MADV_POPULATE_WRITE));
    mprotect(p, 4 * PAGE, PROT_WRITE);
    report("POPULATE_READ write-only", madvise(p, PAGE, MADV_POPULATE_READ));
    mprotect(p, 4 * PAGE, rw);
    residency("before POPULATE_WRITE", p, 4);
    report("POPULATE_WRITE private anon", madvise(p, 4 * PAGE, MADV_POPULATE_WRITE));
    residency("after POPULATE_WRITE", p, 4);
    report("DONTNEED", madvise(p, 4 * PAGE, MADV_DONTNEED));
    report("POPULATE_READ private anon", madvise(p, 2 * PAGE, MADV_POPULATE_READ));
    residency("after POPULATE_READ", p, 4);

    /* FREE: without memory pressure the data stays; a write after it is kept. */
    memset(p, 'f', 4 * PAGE);
    report("FREE private anon", madvise(p, 4 * PAGE, MADV_FREE));
    p[PAGE] = 'g';
    printf("%-40s %c %c\n", "after FREE pages 0 1 read", p[0], p[PAGE]);

    /* Flag advice: each value accepted on private anonymous memory. */
    static const struct {
        int advice;
        const char *name;
    } flags[] = {
        {MADV_NORMAL, "NORMAL"},         {MADV_RANDOM, "RANDOM"},
        {MADV_SEQUENTIAL, "SEQUENTIAL"}, {MADV_WILLNEED, "WILLNEED"},
        {MADV_DONTFORK, "DONTFORK"},     {MADV_DOFORK, "DOFORK"},
        {MADV_MERGEABLE, "MERGEABLE"},   {MADV_UNMERGEABLE, "UNMERGEABLE"},
        {MADV_HUGEPAGE, "HUGEPAGE"},     {MADV_NOHUGEPAGE, "NOHUGEPAGE"},
        {MADV_DONTDUMP, "DONTDUMP"},     {MADV_DODUMP, "DODUMP"},
        {MADV_WIPEONFORK, "WIPEONFORK"}, {MADV_KEEPONFORK, "KEEPONFORK"},
        {MADV_COLD, "COLD"},             {MADV_PAGEOUT, "PAGEOUT"},
        {MADV_DONTNEED_LOCKED, "DONTNEED_LOCKED"},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s private anon", flags[i].name);
        report(what, madvise(p + PAGE, 2 * PAGE, flags[i].advice));
    }
    printf("%-40s %d\n", "after DONTNEED_LOCKED page 1 reads", p[PAGE]);
    printf("%-40s %c\n", "page 0 untouched", p[0]);
    return 0;
}
