/* MADV_COLLAPSE, compared natively and under emu: small pages written without advice
 * (THP mode "madvise") collapse into a huge page with their data; the errno rules of
 * Linux 6.1's madvise_collapse (EINVAL under MADV_NOHUGEPAGE, for a range of
 * nothing but empty entries and for a range inside one huge page). A range only read is
 * left out: 6.1 refuses it (no writable entry), newer kernels collapse it. */
#include <unistd.h>

#include "thp.h"

static void report(const char *what, int ret)
{
    printf("%-48s %s\n", what, ret == 0 ? "0" : errname(errno));
}

/* MADV_COLLAPSE where it is expected to succeed. EAGAIN is its transient failure (a page
 * still in a per-CPU LRU batch on the host): madvise(2) says to try again, and so does
 * this, a few times. */
static int collapse(void *addr, size_t length)
{
    int ret = -1;
    for (int tries = 0; tries < 5; ++tries) {
        ret = madvise(addr, length, MADV_COLLAPSE);
        if (ret == 0 || errno != EAGAIN) break;
        usleep(10000);
    }
    return ret;
}

int main(void)
{
    char *p = thp_map_aligned(2 * HUGE);
    thp_fill(p, 2 * HUGE, 11);
    thp_show("written without advice", p, p + 2 * HUGE);
    report("MADV_COLLAPSE of both", collapse(p, 2 * HUGE));
    thp_show("after MADV_COLLAPSE", p, p + 2 * HUGE);
    printf("data: %s\n", thp_check(p, 2 * HUGE, 11) ? "intact" : "CHANGED");
    report("MADV_COLLAPSE again (already huge)", madvise(p, 2 * HUGE, MADV_COLLAPSE));

    /* Some pages missing: MADV_COLLAPSE takes any number of empty entries. */
    char *q = thp_map_aligned(HUGE);
    for (size_t i = 0; i < HUGE; i += 4 * PAGE) q[i] = 5;
    report("MADV_COLLAPSE with 3 of 4 pages empty", collapse(q, HUGE));
    thp_show("after it", q, q + HUGE);
    printf("written %d, empty %d\n", q[4 * PAGE], q[PAGE]);

    /* Errors. */
    char *n = thp_map_aligned(HUGE);
    n[0] = 1;
    madvise(n, HUGE, MADV_NOHUGEPAGE);
    report("MADV_COLLAPSE under MADV_NOHUGEPAGE", madvise(n, HUGE, MADV_COLLAPSE));
    char *e = thp_map_aligned(HUGE);
    report("MADV_COLLAPSE of an untouched range", madvise(e, HUGE, MADV_COLLAPSE));
    report("MADV_COLLAPSE shorter than 2 MiB", madvise(p + PAGE, 16 * PAGE, MADV_COLLAPSE));
    report("MADV_COLLAPSE unaligned start", madvise(p + 1, HUGE, MADV_COLLAPSE));
    /* Splitting what was collapsed keeps the data. */
    munmap(p + HUGE + 3 * PAGE, PAGE);
    thp_show("collapsed, then one page unmapped", p, p + 2 * HUGE);
    printf("data: %s\n", thp_check(p, HUGE + 3 * PAGE, 11) ? "intact" : "CHANGED");
    return 0;
}
