/* Huge pages of shmem (memfd and shared anonymous memory) as Linux 6.1 gives them, run under
 * emu only: it sets /sys/kernel/mm/transparent_hugepage/shmem_enabled, a machine-wide
 * setting no test may change on its host (tests/guest/thp_shmem_check.sh holds the expected
 * output). Each step prints the smaps ShmemPmdMapped and Rss of the mapping and the
 * meminfo ShmemHugePages and ShmemPmdMapped lines. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "thp.h"

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

static int set_shmem_enabled(const char *mode)
{
    int fd = open(SHMEM_ENABLED, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, mode, strlen(mode));
    close(fd);
    return n == (ssize_t)strlen(mode) ? 0 : -1;
}

/* The number after `field` and `sep` on its line of a /proc file; -1 if absent. */
static long proc_field(const char *path, const char *field, char sep)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    long value = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == sep) value = atol(line + n + 1);
    fclose(f);
    return value;
}

static long meminfo_kb(const char *field)
{
    return proc_field("/proc/meminfo", field, ':');
}

static long vmstat(const char *field)
{
    return proc_field("/proc/vmstat", field, ' ');
}

static void show(const char *what, const char *lo, const char *hi)
{
    printf("%-40s ShmemPmdMapped %5ld kB  Rss %5ld kB | meminfo ShmemHugePages %5ld kB  "
           "ShmemPmdMapped %5ld kB\n",
           what, thp_smaps_sum(lo, hi, "ShmemPmdMapped"), thp_smaps_sum(lo, hi, "Rss"),
           meminfo_kb("ShmemHugePages"), meminfo_kb("ShmemPmdMapped"));
}

/* A 2 MiB-aligned shared mapping of `fd` (or of shared anonymous memory for fd -1). */
static char *map_shared_aligned(int fd, size_t len)
{
    char *p = thp_map_aligned(len);
    int flags = MAP_SHARED | MAP_FIXED | (fd < 0 ? MAP_ANONYMOUS : 0);
    if (mmap(p, len, PROT_READ | PROT_WRITE, flags, fd, 0) != p) {
        printf("mmap: %s\n", errname(errno));
        exit(1);
    }
    return p;
}

int main(void)
{
    if (set_shmem_enabled("advise") != 0) {
        printf("cannot set shmem_enabled: %s\n", errname(errno));
        return 1;
    }
    long alloc_before = vmstat("thp_file_alloc");

    /* advise: a memfd's pages come in huge only under MADV_HUGEPAGE. */
    int fd = (int)syscall(SYS_memfd_create, "thp", 0);
    if (fd < 0 || ftruncate(fd, 2 * HUGE) != 0) return 1;
    char *m = map_shared_aligned(fd, 2 * HUGE);
    printf("madvise(MADV_HUGEPAGE) second half: %s\n",
           madvise(m + HUGE, HUGE, MADV_HUGEPAGE) == 0 ? "0" : errname(errno));
    m[0] = 1;
    m[HUGE + 5 * PAGE] = 2;
    show("memfd, advise, one write in each half", m, m + 2 * HUGE);
    printf("thp_file_alloc +%ld\n", vmstat("thp_file_alloc") - alloc_before);

    /* A second mapping of the same memfd maps the huge page huge too; read() sees the write. */
    char *m2 = map_shared_aligned(fd, 2 * HUGE);
    printf("second mapping reads %d at +2M+5p\n", m2[HUGE + 5 * PAGE]);
    show("second mapping after its read", m2, m2 + 2 * HUGE);
    char byte = 0;
    ssize_t got = pread(fd, &byte, 1, HUGE + 5 * PAGE);
    printf("pread at +2M+5p: %zd byte %d\n", got, byte);

    /* A fork child refaults the shared mapping huge. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        m[HUGE + 6 * PAGE] = 3;
        show("child after its write", m, m + 2 * HUGE);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent reads the child's write: %d\n", m[HUGE + 6 * PAGE]);

    /* munmap of one page of the second mapping splits only its entry. */
    munmap(m2 + HUGE + PAGE, PAGE);
    show("second mapping after munmap of one page", m2, m2 + 2 * HUGE);
    show("first mapping meanwhile", m, m + 2 * HUGE);

    /* Truncating into the huge page splits it; what is left keeps its data. */
    if (ftruncate(fd, HUGE + HUGE / 2) != 0) return 1;
    show("after ftruncate to 3 MiB", m, m + HUGE + HUGE / 2);
    printf("data left: %d %d\n", m[HUGE + 5 * PAGE], m[HUGE + 6 * PAGE]);
    munmap(m, 2 * HUGE);
    munmap(m2, 2 * HUGE);
    close(fd);
    show("memfd closed and unmapped", m, m);

    /* always: shared anonymous memory comes in huge without advice. */
    set_shmem_enabled("always");
    char *a = map_shared_aligned(-1, HUGE);
    a[100] = 7;
    show("shared anonymous, always, one write", a, a + HUGE);
    munmap(a, HUGE);

    /* never again: small pages. */
    set_shmem_enabled("never");
    char *n = map_shared_aligned(-1, HUGE);
    n[100] = 7;
    show("shared anonymous, never, one write", n, n + HUGE);
    munmap(n, HUGE);
    return 0;
}
