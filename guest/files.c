/* files: read-only file system calls.
 * Usage: files [FILE DIR]
 *   Always: openat of a missing file (ENOENT), read on a bad fd (EBADF) and other errors.
 *   FILE:   open/fstat (size only)/read/pread/lseek/readv/dup/fcntl on a regular file.
 *   DIR:    getdents64 listing (sorted names with their type), openat relative to the
 *           directory, fstatat and readlinkat of entries.
 * Never prints inode numbers, times or addresses. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"

#define SHOW(label, expr)                                                                  \
    do {                                                                                   \
        errno = 0;                                                                         \
        long r_ = (long)(expr);                                                            \
        printf("%s: %s\n", label, result_str(r_, errno));                                  \
    } while (0)

/* Print up to n bytes with non-printable characters escaped. */
static void print_bytes(const char *label, const char *b, long n)
{
    printf("%s: \"", label);
    for (long i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == '\n')
            printf("\\n");
        else if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 32 || c > 126)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("\" (%ld bytes)\n", n);
}

static void error_cases(void)
{
    char buf[16];
    SHOW("openat(AT_FDCWD, \"/nope/missing-file\", O_RDONLY)",
         openat(AT_FDCWD, "/nope/missing-file", O_RDONLY));
    SHOW("open(\"\", O_RDONLY)", open("", O_RDONLY));
    char longname[PATH_MAX + 16];
    memset(longname, 'x', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = 0;
    SHOW("open(name longer than PATH_MAX)", open(longname, O_RDONLY));
    SHOW("read(999, ...)", read(999, buf, sizeof buf));
    SHOW("read(-1, ...)", read(-1, buf, sizeof buf));
    SHOW("close(999)", close(999));
    SHOW("fstat(999)", ({ struct stat st_; fstat(999, &st_); }));
    SHOW("lseek(999, 0, SEEK_SET)", lseek(999, 0, SEEK_SET));
}

static void file_cases(const char *path)
{
    printf("-- file\n");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("fstat: regular file: %s, size %lld\n", yesno(S_ISREG(st.st_mode)), (long long)st.st_size);
    struct stat st2;
    CHECK(stat(path, &st2) == 0);
    printf("stat size matches fstat: %s\n", yesno(st2.st_size == st.st_size));
    SHOW("access(R_OK)", access(path, R_OK));
    int fdflags = fcntl(fd, F_GETFD);
    CHECK(fdflags >= 0);
    printf("FD_CLOEXEC set by O_CLOEXEC: %s\n", yesno(fdflags & FD_CLOEXEC));
    int flflags = fcntl(fd, F_GETFL);
    CHECK(flflags >= 0);
    printf("access mode is O_RDONLY: %s\n", yesno((flflags & O_ACCMODE) == O_RDONLY));

    /* Whole file in 1000-byte reads. */
    char buf[1000];
    long long total = 0;
    unsigned long long sum = FNV_INIT;
    long reads = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        CHECK(n >= 0);
        if (n == 0)
            break;
        sum = fnv1a(sum, buf, (size_t)n);
        total += n;
        reads++;
    }
    printf("read total %lld bytes in %ld reads, fnv1a %016llx\n", total, reads, sum);
    printf("read size matches fstat: %s\n", yesno(total == (long long)st.st_size));
    SHOW("read at EOF", read(fd, buf, sizeof buf));

    SHOW("lseek(0, SEEK_END)", lseek(fd, 0, SEEK_END));
    SHOW("lseek(10, SEEK_SET)", lseek(fd, 10, SEEK_SET));
    ssize_t n = read(fd, buf, 16);
    CHECK(n >= 0);
    print_bytes("read 16 at offset 10", buf, n);
    SHOW("lseek(0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
    n = pread(fd, buf, 12, 3);
    CHECK(n >= 0);
    print_bytes("pread 12 at offset 3", buf, n);
    SHOW("lseek(0, SEEK_CUR) after pread", lseek(fd, 0, SEEK_CUR));
    SHOW("pread at offset size+10", pread(fd, buf, 12, st.st_size + 10));
    SHOW("pread at offset -1", pread(fd, buf, 12, -1));
    SHOW("lseek(-1, SEEK_SET)", lseek(fd, -1, SEEK_SET));
    errno = 0;
    off_t end = lseek(fd, 1000, SEEK_END);
    if (end == -1)
        printf("lseek(1000, SEEK_END): %s\n", result_str(-1, errno));
    else
        printf("lseek(1000, SEEK_END) == size + 1000: %s\n", yesno(end == st.st_size + 1000));
    SHOW("read past EOF", read(fd, buf, 12));
    SHOW("lseek(0, 99 /* bad whence */)", lseek(fd, 0, 99));

    /* readv into two buffers. */
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    char v1[5], v2[7];
    struct iovec iov[2] = {{v1, sizeof v1}, {v2, sizeof v2}};
    n = readv(fd, iov, 2);
    CHECK(n >= 0);
    printf("readv returned %ld\n", (long)n);
    print_bytes("readv first buffer", v1, n < 5 ? n : 5);
    print_bytes("readv second buffer", v2, n > 5 ? n - 5 : 0);

    /* dup shares the file offset; the duplicate has no FD_CLOEXEC. */
    int fd2 = dup(fd);
    CHECK(fd2 >= 0);
    printf("dup returned a different fd: %s\n", yesno(fd2 != fd));
    SHOW("lseek(dup, 0, SEEK_CUR)", lseek(fd2, 0, SEEK_CUR));
    CHECK(lseek(fd2, 2, SEEK_SET) == 2);
    SHOW("original offset after seeking the dup", lseek(fd, 0, SEEK_CUR));
    int dflags = fcntl(fd2, F_GETFD);
    CHECK(dflags >= 0);
    printf("dup has FD_CLOEXEC: %s\n", yesno(dflags & FD_CLOEXEC));
    SHOW("close(dup)", close(fd2));
    SHOW("close(file)", close(fd));
    SHOW("close(file) again", close(fd));
    SHOW("open(file, O_RDONLY|O_DIRECTORY)", open(path, O_RDONLY | O_DIRECTORY));
}

struct entry {
    char name[256];
    unsigned char type;
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static char type_char(unsigned char t)
{
    switch (t) {
    case DT_REG: return 'f';
    case DT_DIR: return 'd';
    case DT_LNK: return 'l';
    case DT_FIFO: return 'p';
    case DT_CHR: return 'c';
    case DT_BLK: return 'b';
    case DT_SOCK: return 's';
    case DT_UNKNOWN: return '?';
    default: return '!';
    }
}

/* struct linux_dirent64, declared here because musl and glibc name it differently. */
struct dirent64_raw {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static void dir_cases(const char *path)
{
    printf("-- directory\n");
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dfd >= 0);
    struct stat st;
    CHECK(fstat(dfd, &st) == 0);
    printf("fstat: directory: %s\n", yesno(S_ISDIR(st.st_mode)));
    char small[8];
    SHOW("read(directory fd)", read(dfd, small, sizeof small));
    SHOW("getdents64 with an 8-byte buffer", syscall(SYS_getdents64, dfd, small, sizeof small));

    static struct entry entries[512];
    size_t count = 0;
    long calls = 0;
    /* A small buffer forces several getdents64 calls. */
    _Alignas(8) char buf[256];
    for (;;) {
        long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
        CHECK(n >= 0);
        if (n == 0)
            break;
        calls++;
        for (long off = 0; off < n;) {
            struct dirent64_raw *d = (struct dirent64_raw *)(buf + off);
            CHECK(d->d_reclen > 0 && off + d->d_reclen <= n);
            CHECK(count < sizeof entries / sizeof entries[0]);
            snprintf(entries[count].name, sizeof entries[count].name, "%s", d->d_name);
            entries[count].type = d->d_type;
            count++;
            off += d->d_reclen;
        }
    }
    printf("getdents64: %zu entries, more than one call: %s\n", count, yesno(calls > 1));
    SHOW("getdents64 at end", syscall(SYS_getdents64, dfd, buf, sizeof buf));
    qsort(entries, count, sizeof entries[0], cmp_entry);
    for (size_t i = 0; i < count; i++) {
        const char *name = entries[i].name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) {
            printf("  %c %s\n", type_char(entries[i].type), name);
            continue;
        }
        struct stat est;
        CHECK(fstatat(dfd, name, &est, AT_SYMLINK_NOFOLLOW) == 0);
        if (S_ISREG(est.st_mode)) {
            int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
            CHECK(fd >= 0);
            char data[4096];
            ssize_t n = read(fd, data, sizeof data);
            CHECK(n >= 0);
            CHECK(close(fd) == 0);
            printf("  %c %s size %lld fnv1a %016llx\n", type_char(entries[i].type), name,
                   (long long)est.st_size, fnv1a(FNV_INIT, data, (size_t)n));
        } else if (S_ISLNK(est.st_mode)) {
            char target[256];
            ssize_t n = readlinkat(dfd, name, target, sizeof target - 1);
            CHECK(n >= 0);
            target[n] = 0;
            printf("  %c %s -> %s\n", type_char(entries[i].type), name, target);
        } else {
            printf("  %c %s (%s)\n", type_char(entries[i].type), name,
                   S_ISDIR(est.st_mode) ? "directory" : "other");
        }
    }
    SHOW("openat(dir, \"missing\")", openat(dfd, "missing", O_RDONLY));
    SHOW("close(directory)", close(dfd));
}

int main(int argc, char **argv)
{
    if (argc != 1 && argc != 3) {
        fprintf(stderr, "usage: files [FILE DIR]\n");
        return 2;
    }
    error_cases();
    if (argc == 3) {
        file_cases(argv[1]);
        dir_cases(argv[2]);
    }
    printf("files done\n");
    CHECK(fflush(stdout) == 0);
    return 0;
}
