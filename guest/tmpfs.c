/* tmpfs: names (mkdir, rmdir, unlink, rename, link, symlink), file data (write, read,
 * truncate, fallocate, holes), attributes (chmod, chown, utimensat, umask, st_nlink,
 * st_blocks) and their errnos. Natively it works in a fresh directory under /tmp (and
 * /dev/shm, a tmpfs, for what depends on the filesystem), removed at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"

#define SHOW(label, expr)                                         \
    do {                                                          \
        errno = 0;                                                \
        long r_ = (long)(expr);                                   \
        printf("%s: %s\n", label, result_str(r_, errno));         \
    } while (0)

static char top[64], shm[64];

static const char *at(const char *base, const char *name)
{
    static char buf[4][512];
    static int next;
    char *out = buf[next++ % 4];
    snprintf(out, 512, "%s/%s", base, name);
    return out;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    CHECK(close(fd) == 0);
}

static void show_file(const char *label, const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: open %s\n", label, errname(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    CHECK(n >= 0);
    buf[n] = 0;
    close(fd);
    printf("%s: \"%s\"\n", label, buf);
}

static void show_stat(const char *label, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("%s: lstat %s\n", label, errname(errno));
        return;
    }
    /* A directory's size is the filesystem's business (natively /tmp may not be tmpfs). */
    if (S_ISDIR(st.st_mode))
        printf("%s: mode %o nlink %ld\n", label, st.st_mode, (long)st.st_nlink);
    else
        printf("%s: mode %o nlink %ld size %lld\n", label, st.st_mode, (long)st.st_nlink,
               (long long)st.st_size);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *label, const char *path)
{
    DIR *d = opendir(path);
    CHECK(d != NULL);
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    printf("%s:", label);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void names(void)
{
    printf("-- names\n");
    SHOW("mkdir d", mkdir(at(top, "d"), 0755));
    SHOW("mkdir d again", mkdir(at(top, "d"), 0755));
    SHOW("mkdir missing/x", mkdir(at(top, "missing/x"), 0755));
    SHOW("mkdir d/sub/", mkdir(at(top, "d/sub/"), 0700));
    show_stat("d", at(top, "d"));
    write_file(at(top, "f"), "hello");
    SHOW("mkdir f/x", mkdir(at(top, "f/x"), 0755));
    SHOW("open f/ O_CREAT", open(at(top, "f/"), O_RDWR | O_CREAT, 0644));
    SHOW("open new/ O_CREAT", open(at(top, "new/"), O_RDWR | O_CREAT, 0644));
    SHOW("open f O_CREAT|O_EXCL", open(at(top, "f"), O_RDWR | O_CREAT | O_EXCL, 0644));
    SHOW("open d O_WRONLY", open(at(top, "d"), O_WRONLY));
    SHOW("rmdir d (not empty)", rmdir(at(top, "d")));
    SHOW("rmdir f", rmdir(at(top, "f")));
    SHOW("rmdir d/.", rmdir(at(top, "d/.")));
    SHOW("rmdir d/sub/..", rmdir(at(top, "d/sub/..")));
    SHOW("unlink d", unlink(at(top, "d")));
    SHOW("unlink f/", unlink(at(top, "f/")));
    SHOW("unlink nope", unlink(at(top, "nope")));
    SHOW("unlinkat d/sub AT_REMOVEDIR", unlinkat(AT_FDCWD, at(top, "d/sub"), AT_REMOVEDIR));
    SHOW("unlinkat bad flags", unlinkat(AT_FDCWD, at(top, "d"), 0x1));
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    SHOW("mkdir 256-byte name", mkdir(at(top, longname), 0755));
    show_stat("d after", at(top, "d"));

    printf("-- links\n");
    SHOW("link f g", link(at(top, "f"), at(top, "g")));
    show_stat("f", at(top, "f"));
    SHOW("link f g again", link(at(top, "f"), at(top, "g")));
    SHOW("link d e (directory)", link(at(top, "d"), at(top, "e")));
    SHOW("symlink f s", symlink("f", at(top, "s")));
    SHOW("symlink x s again", symlink("x", at(top, "s")));
    char target[64] = {0};
    SHOW("readlink s", readlink(at(top, "s"), target, sizeof target));
    printf("s -> %s\n", target);
    SHOW("readlink f", readlink(at(top, "f"), target, sizeof target));
    show_file("through s", at(top, "s"));
    SHOW("symlink loop1 -> loop2", symlink("loop2", at(top, "loop1")));
    SHOW("symlink loop2 -> loop1", symlink("loop1", at(top, "loop2")));
    SHOW("open loop1", open(at(top, "loop1"), O_RDONLY));
    SHOW("open s O_NOFOLLOW", open(at(top, "s"), O_RDONLY | O_NOFOLLOW));
    SHOW("symlink dangling", symlink("made-by-creat", at(top, "dangling")));
    int fd = open(at(top, "dangling"), O_WRONLY | O_CREAT, 0600);
    printf("O_CREAT through a dangling symlink: %s\n", yesno(fd >= 0));
    close(fd);
    show_stat("made-by-creat", at(top, "made-by-creat"));
    SHOW("unlink g", unlink(at(top, "g")));
    show_stat("f after unlink g", at(top, "f"));
    SHOW("linkat s l2 (no follow)", linkat(AT_FDCWD, at(top, "s"), AT_FDCWD, at(top, "l2"), 0));
    show_stat("l2", at(top, "l2"));
    SHOW("linkat s l3 AT_SYMLINK_FOLLOW",
         linkat(AT_FDCWD, at(top, "s"), AT_FDCWD, at(top, "l3"), AT_SYMLINK_FOLLOW));
    show_stat("l3", at(top, "l3"));
    SHOW("linkat bad flags", linkat(AT_FDCWD, at(top, "s"), AT_FDCWD, at(top, "l4"), 0x1));

    printf("-- rename\n");
    write_file(at(top, "r1"), "one");
    write_file(at(top, "r2"), "two");
    SHOW("rename r1 r2", rename(at(top, "r1"), at(top, "r2")));
    show_file("r2", at(top, "r2"));
    SHOW("rename r1 (gone)", rename(at(top, "r1"), at(top, "r3")));
    SHOW("mkdir d/in", mkdir(at(top, "d/in"), 0755));
    SHOW("rename d d/in/x", rename(at(top, "d"), at(top, "d/in/x")));
    SHOW("rename d r2 (dir over file)", rename(at(top, "d"), at(top, "r2")));
    SHOW("rename r2 d (file over dir)", rename(at(top, "r2"), at(top, "d")));
    SHOW("mkdir e", mkdir(at(top, "e"), 0755));
    SHOW("rename e d (over non-empty)", rename(at(top, "e"), at(top, "d")));
    SHOW("rename d/in e (over empty)", rename(at(top, "d/in"), at(top, "e")));
    show_stat("d", at(top, "d"));
    show_stat("e", at(top, "e"));
    write_file(at(top, "x1"), "x-one");
    write_file(at(top, "x2"), "x-two");
    SHOW("renameat2 NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, at(top, "x1"), AT_FDCWD,
                                        at(top, "x2"), 1));
    SHOW("renameat2 EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, at(top, "x1"), AT_FDCWD,
                                       at(top, "x2"), 2));
    show_file("x1", at(top, "x1"));
    show_file("x2", at(top, "x2"));
    SHOW("renameat2 EXCHANGE missing", syscall(SYS_renameat2, AT_FDCWD, at(top, "x1"),
                                               AT_FDCWD, at(top, "x9"), 2));
    SHOW("renameat2 both flags", syscall(SYS_renameat2, AT_FDCWD, at(top, "x1"), AT_FDCWD,
                                         at(top, "x2"), 3));
    SHOW("renameat2 NOREPLACE new", syscall(SYS_renameat2, AT_FDCWD, at(top, "x1"), AT_FDCWD,
                                            at(top, "x3"), 1));
    SHOW("rename x2 x2", rename(at(top, "x2"), at(top, "x2")));
    SHOW("rename f l3 (same inode)", rename(at(top, "f"), at(top, "l3")));
    show_stat("f", at(top, "f"));
    SHOW("rename across filesystems", rename(at(top, "x3"), at(shm, "x3")));
    SHOW("link across filesystems", link(at(top, "x3"), at(shm, "x3")));
    SHOW("rmdir /dev/shm (mount point)", rmdir("/dev/shm"));
    list_dir("listing", top);
}

static void data(void)
{
    printf("-- data\n");
    const char *p = at(shm, "data");
    int fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("new: size %lld blocks %lld\n", (long long)st.st_size, (long long)st.st_blocks);
    CHECK(pwrite(fd, "abc", 3, 10000) == 3);
    CHECK(fstat(fd, &st) == 0);
    printf("after pwrite at 10000: size %lld blocks %lld\n", (long long)st.st_size,
           (long long)st.st_blocks);
    SHOW("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
    SHOW("SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
    SHOW("SEEK_HOLE 8192", lseek(fd, 8192, SEEK_HOLE));
    SHOW("SEEK_DATA past end", lseek(fd, 20000, SEEK_DATA));
    char buf[16];
    CHECK(pread(fd, buf, 4, 9998) == 4);
    printf("pread hole+data: %02x %02x %c %c\n", buf[0], buf[1], buf[2], buf[3]);
    SHOW("ftruncate 5000", ftruncate(fd, 5000));
    CHECK(fstat(fd, &st) == 0);
    printf("after ftruncate: size %lld blocks %lld\n", (long long)st.st_size,
           (long long)st.st_blocks);
    SHOW("ftruncate -1", ftruncate(fd, -1));
    SHOW("fallocate 0..8192", fallocate(fd, 0, 0, 8192));
    CHECK(fstat(fd, &st) == 0);
    printf("after fallocate: size %lld blocks %lld\n", (long long)st.st_size,
           (long long)st.st_blocks);
    SHOW("fallocate KEEP_SIZE to 16384", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
    CHECK(fstat(fd, &st) == 0);
    printf("after KEEP_SIZE: size %lld blocks %lld\n", (long long)st.st_size,
           (long long)st.st_blocks);
    SHOW("PUNCH_HOLE|KEEP_SIZE 0..4096",
         fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    CHECK(fstat(fd, &st) == 0);
    printf("after punch: size %lld blocks %lld\n", (long long)st.st_size,
           (long long)st.st_blocks);
    SHOW("PUNCH_HOLE alone", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
    SHOW("COLLAPSE_RANGE", fallocate(fd, 0x08, 0, 4096));
    SHOW("ZERO_RANGE", fallocate(fd, 0x10, 0, 4096));
    SHOW("fallocate len 0", fallocate(fd, 0, 0, 0));
    SHOW("fallocate offset -1", fallocate(fd, 0, -1, 10));
    int ro = open(p, O_RDONLY);
    SHOW("fallocate read-only fd", fallocate(ro, 0, 0, 10));
    SHOW("ftruncate read-only fd", ftruncate(ro, 0));
    close(ro);
    SHOW("fsync", fsync(fd));
    SHOW("fdatasync", fdatasync(fd));
    close(fd);

    struct statfs sf;
    CHECK(statfs(shm, &sf) == 0);
    printf("statfs f_type tmpfs: %s, f_bsize %ld, f_namelen %ld\n",
           yesno(sf.f_type == 0x01021994), (long)sf.f_bsize, (long)sf.f_namelen);
    SHOW("statfs missing", statfs(at(shm, "nope"), &sf));
    SHOW("truncate path 3", truncate(p, 3));
    show_stat("data", p);
    SHOW("truncate dir", truncate(shm, 0));
    SHOW("truncate missing", truncate(at(shm, "nope"), 0));

    printf("-- append and trunc\n");
    const char *a = at(top, "append");
    write_file(a, "start");
    fd = open(a, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(write(fd, "+end", 4) == 4);
    close(fd);
    show_file("append", a);
    fd = open(a, O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    show_stat("after O_TRUNC", a);
    struct iovec iov[2] = {{"ab", 2}, {"cdef", 4}};
    SHOW("writev", writev(fd, iov, 2));
    char x[3], y[3];
    struct iovec in[2] = {{x, 3}, {y, 3}};
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    SHOW("readv", readv(fd, in, 2));
    printf("readv: %.3s|%.3s\n", x, y);
    close(fd);
}

static void attributes(void)
{
    printf("-- attributes\n");
    mode_t old = umask(027);
    int fd = open(at(top, "masked"), O_WRONLY | O_CREAT, 0777);
    CHECK(fd >= 0);
    close(fd);
    SHOW("mkdir masked-dir", mkdir(at(top, "masked-dir"), 0777));
    umask(old);
    show_stat("masked", at(top, "masked"));
    show_stat("masked-dir", at(top, "masked-dir"));
    SHOW("chmod 4711", chmod(at(top, "masked"), 04711));
    show_stat("masked", at(top, "masked"));
    SHOW("chown 1 2", chown(at(top, "masked"), 1, 2));
    struct stat st;
    CHECK(stat(at(top, "masked"), &st) == 0);
    printf("owner %u:%u mode %o\n", st.st_uid, st.st_gid, st.st_mode);
    SHOW("lchown of symlink", lchown(at(top, "s"), 3, 4));
    CHECK(lstat(at(top, "s"), &st) == 0);
    printf("symlink owner %u:%u\n", st.st_uid, st.st_gid);
    fd = open(at(top, "masked"), O_RDONLY);
    SHOW("fchmod 600", fchmod(fd, 0600));
    SHOW("fchown -1 5", fchown(fd, -1, 5));
    CHECK(fstat(fd, &st) == 0);
    printf("after fchmod/fchown: %u:%u mode %o\n", st.st_uid, st.st_gid, st.st_mode);
    close(fd);
    SHOW("fchmodat", fchmodat(AT_FDCWD, at(top, "masked"), 0640, 0));
    struct timespec ts[2] = {{1000000000, 5}, {1200000000, 7}};
    SHOW("utimensat", utimensat(AT_FDCWD, at(top, "masked"), ts, 0));
    CHECK(stat(at(top, "masked"), &st) == 0);
    printf("times: atime %lld.%ld mtime %lld.%ld\n", (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
    SHOW("utimensat OMIT atime", utimensat(AT_FDCWD, at(top, "masked"), omit, 0));
    CHECK(stat(at(top, "masked"), &st) == 0);
    printf("times: atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec,
           (long long)st.st_mtim.tv_sec);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    SHOW("utimensat bad nsec", utimensat(AT_FDCWD, at(top, "masked"), bad, 0));
    SHOW("utimensat bad flags", utimensat(AT_FDCWD, at(top, "masked"), ts, 0x1));
    SHOW("utimensat NOW", utimensat(AT_FDCWD, at(top, "masked"), NULL, 0));
    CHECK(stat(at(top, "masked"), &st) == 0);
    printf("mtime is recent: %s\n", yesno(st.st_mtim.tv_sec > 1600000000));
    struct timeval tv[2] = {{1100000000, 3}, {1100000001, 4}};
    SHOW("utimes", utimes(at(top, "masked"), tv));
    CHECK(stat(at(top, "masked"), &st) == 0);
    printf("utimes: atime %lld.%ld mtime %lld.%ld\n", (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    SHOW("chmod missing", chmod(at(top, "nope"), 0600));
}

static void unnamed_files(void)
{
    printf("-- O_TMPFILE\n");
    int fd = open(top, O_TMPFILE | O_RDWR, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, "unnamed", 7) == 7);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("tmpfile nlink %ld size %lld\n", (long)st.st_nlink, (long long)st.st_size);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    SHOW("linkat via /proc/self/fd",
         linkat(AT_FDCWD, proc, AT_FDCWD, at(top, "named"), AT_SYMLINK_FOLLOW));
    show_file("named", at(top, "named"));
    CHECK(fstat(fd, &st) == 0);
    printf("tmpfile nlink after link %ld\n", (long)st.st_nlink);
    close(fd);
    fd = open(top, O_TMPFILE | O_RDWR | O_EXCL, 0600);
    CHECK(fd >= 0);
    SHOW("linkat O_EXCL tmpfile", linkat(fd, "", AT_FDCWD, at(top, "named2"), AT_EMPTY_PATH));
    close(fd);
    SHOW("O_TMPFILE read-only", open(top, O_TMPFILE | O_RDONLY, 0600));
    SHOW("O_TMPFILE on a file", open(at(top, "named"), O_TMPFILE | O_RDWR, 0600));
    fd = open(at(top, "named"), O_RDONLY);
    snprintf(proc, sizeof proc, "/dev/fd/%d", fd);
    show_file("reopened through /dev/fd", proc);
    close(fd);
}

static void cleanup(void)
{
    static const char *files[] = {"f", "s", "loop1", "loop2", "dangling", "made-by-creat",
                                  "l2", "l3", "r2", "x1", "x2", "x3", "append", "masked",
                                  "named", "d", "e", "masked-dir"};
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        if (unlink(at(top, files[i])) != 0) rmdir(at(top, files[i]));
    SHOW("rmdir top", rmdir(top));
    unlink(at(shm, "data"));
    SHOW("rmdir shm dir", rmdir(shm));
}

int main(void)
{
    snprintf(top, sizeof top, "/tmp/emu-tmpfs-%d", (int)getpid());
    snprintf(shm, sizeof shm, "/dev/shm/emu-tmpfs-%d", (int)getpid());
    CHECK(mkdir(top, 0700) == 0);
    CHECK(mkdir(shm, 0700) == 0);
    names();
    data();
    attributes();
    unnamed_files();
    cleanup();
    printf("tmpfs done\n");
    return 0;
}
