/* KSM as a guest sees it (Linux 6.1's mm/ksm.c, Documentation/admin-guide/mm/ksm.rst):
 * identical pages marked MADV_MERGEABLE are merged by ksmd (pages_sharing rises once
 * /sys/kernel/mm/ksm/run is 1 and two full scans have passed), a write gives the writer
 * a private copy, a fork child shares the merged pages, and MADV_UNMERGEABLE and run=2
 * unmerge. It rewrites the machine's KSM settings, so it runs under emu only
 * (tests/guest/ksm_check.sh), never natively.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define KSM "/sys/kernel/mm/ksm/"
#define PAGES 16
#define SAME 12

static long page_size;

static unsigned long read_ul(const char *path)
{
    char buf[64];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("open %s: %s\n", path, errname(errno));
        exit(1);
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) {
        printf("read %s failed\n", path);
        exit(1);
    }
    buf[n] = 0;
    return strtoul(buf, NULL, 10);
}

/* The value of one /proc/vmstat line. */
static unsigned long vmstat(const char *name)
{
    static char text[16384];
    int fd = open("/proc/vmstat", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    CHECK(n > 0);
    text[n] = 0;
    size_t len = strlen(name);
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, len) == 0 && line[len] == ' ')
            return strtoul(line + len + 1, NULL, 10);
    printf("no %s in /proc/vmstat\n", name);
    exit(1);
}

/* Writes `value` to a KSM file; returns 0 or the errno. */
static int write_str(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) return errno;
    ssize_t n = write(fd, value, strlen(value));
    int err = n < 0 ? errno : 0;
    close(fd);
    return err;
}

/* Waits until full_scans has advanced by `scans` (ksmd merges on the second look). */
static void wait_scans(unsigned long scans)
{
    unsigned long start = read_ul(KSM "full_scans");
    for (int i = 0; i < 20000; ++i) {
        if (read_ul(KSM "full_scans") >= start + scans) return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    printf("full_scans did not advance\n");
    exit(1);
}

static void show(const char *when)
{
    printf("%s: pages_shared %lu, pages_sharing %lu, merging %lu\n", when,
           read_ul(KSM "pages_shared"), read_ul(KSM "pages_sharing"),
           read_ul("/proc/self/ksm_merging_pages"));
}

static int page_is(const char *p, char c)
{
    for (long i = 0; i < page_size; ++i)
        if (p[i] != c) return 0;
    return 1;
}

int main(void)
{
    page_size = sysconf(_SC_PAGESIZE);
    printf("run %lu, pages_to_scan %lu, sleep_millisecs %lu, max_page_sharing %lu\n",
           read_ul(KSM "run"), read_ul(KSM "pages_to_scan"), read_ul(KSM "sleep_millisecs"),
           read_ul(KSM "max_page_sharing"));
    show("before");
    printf("run=3: %s\n", errname(write_str(KSM "run", "3")));
    printf("max_page_sharing=1: %s\n", errname(write_str(KSM "max_page_sharing", "1")));

    char *area =
        mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED);
    for (int i = 0; i < PAGES; ++i)
        memset(area + i * page_size, i < SAME ? 'K' : 'a' + i, page_size);
    CHECK(madvise(area, PAGES * page_size, MADV_MERGEABLE) == 0);
    show("mergeable, run 0");
    CHECK(write_str(KSM "sleep_millisecs", "5") == 0);
    CHECK(write_str(KSM "run", "1") == 0);
    /* ksmd runs on its own while the program sleeps. */
    unsigned long scans = read_ul(KSM "full_scans");
    struct timespec nap = {0, 200000000};
    nanosleep(&nap, NULL);
    printf("one 200 ms sleep: at least 2 full scans %s\n",
           yesno(read_ul(KSM "full_scans") >= scans + 2));
    wait_scans(2);
    show("after two scans");
    printf("merge_across_nodes=0 while shared: %s\n",
           errname(write_str(KSM "merge_across_nodes", "0")));

    /* A write gives the writer a private copy; the other pages keep the shared data. */
    unsigned long cow_before = vmstat("cow_ksm");
    area[3 * page_size + 10] = 'W';
    printf("cow_ksm after a write: +%lu\n", vmstat("cow_ksm") - cow_before);
    int others = 1;
    for (int i = 0; i < SAME; ++i)
        if (i != 3 && !page_is(area + i * page_size, 'K')) others = 0;
    printf("after a write: page 3 byte 10 '%c', byte 11 '%c', other pages intact %s\n",
           area[3 * page_size + 10], area[3 * page_size + 11], yesno(others));
    show("after a write");

    /* A fork child shares the merged pages; its write does not reach the parent. ksmd is
     * stopped meanwhile (run=0 keeps the merged pages), so the child sees the counts before
     * ksmd has looked at its entries: 6.1 counts them only from that look. */
    CHECK(write_str(KSM "run", "0") == 0);
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        area[0] = 'C';
        printf("child: page 0 '%c', page 1 '%c'\n", area[0], area[page_size]);
        show("child");
        fflush(stdout);
        _exit(0);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(write_str(KSM "run", "1") == 0);
    printf("parent after child: page 0 '%c', status %d\n", area[0], WEXITSTATUS(status));
    show("after fork");

    /* UNMERGEABLE over half the range: those pages get private copies at once. */
    CHECK(madvise(area, 6 * page_size, MADV_UNMERGEABLE) == 0);
    show("after UNMERGEABLE of 6 pages");
    /* run=2 unmerges everything; the data stays. */
    CHECK(write_str(KSM "run", "2") == 0);
    show("after run=2");
    int intact = 1;
    for (int i = 0; i < SAME; ++i)
        if (i != 3 && !page_is(area + i * page_size, 'K')) intact = 0;
    for (int i = SAME; i < PAGES; ++i)
        if (!page_is(area + i * page_size, 'a' + i)) intact = 0;
    printf("data intact %s\n", yesno(intact));
    printf("merge_across_nodes=0 after unmerge: %s\n",
           errname(write_str(KSM "merge_across_nodes", "0")));
    CHECK(write_str(KSM "merge_across_nodes", "1") == 0);
    CHECK(write_str(KSM "run", "0") == 0);
    return 0;
}
