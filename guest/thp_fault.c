/* Transparent huge pages at fault time and the splits that follow, compared natively and
 * under emu with /sys/kernel/mm/transparent_hugepage/enabled at "madvise": a write fault
 * under MADV_HUGEPAGE maps 2 MiB at once (AnonHugePages), none without the advice or
 * under MADV_NOHUGEPAGE; reads and writes after a read fault see zeros; a partial munmap, mprotect and MADV_DONTNEED split the huge page
 * and keep its data; fork shares it and the child's write copies one page, splitting only
 * the child's entry: the parent keeps its huge mapping until it writes itself. */
#include <sys/wait.h>
#include <unistd.h>

#include "thp.h"

static int thp_mode_is_madvise(void)
{
    char buf[64] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) return 0;
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
    return strstr(buf, "[madvise]") != NULL;
}

int main(void)
{
    if (!thp_mode_is_madvise()) {
        printf("THP mode is not madvise: nothing compared\n");
        return 0;
    }
    /* Without the advice: small pages only. */
    char *plain = thp_map_aligned(2 * HUGE);
    thp_fill(plain, 2 * HUGE, 1);
    thp_show("no advice, all written", plain, plain + 2 * HUGE);
    printf("THPeligible without advice: %ld\n", thp_smaps_sum(plain, plain + 2 * HUGE, "THPeligible"));

    /* MADV_HUGEPAGE: one write fault per 2 MiB. */
    char *p = thp_map_aligned(4 * HUGE);
    printf("madvise(MADV_HUGEPAGE): %s\n", madvise(p, 4 * HUGE, MADV_HUGEPAGE) == 0 ? "0" : errname(errno));
    printf("THPeligible with advice: %ld\n", thp_smaps_sum(p, p + 4 * HUGE, "THPeligible"));
    for (int i = 0; i < 4; ++i) p[i * HUGE + 100] = 1;
    thp_show("MADV_HUGEPAGE, one write per 2 MiB", p, p + 4 * HUGE);
    thp_fill(p, 4 * HUGE, 7);
    static unsigned char vec[4 * HUGE / PAGE];
    if (mincore(p, 4 * HUGE, vec) == 0) {
        int resident = 0;
        for (size_t i = 0; i < sizeof vec; ++i) resident += vec[i] & 1;
        printf("mincore: %d of %zu pages resident\n", resident, sizeof vec);
    }

    /* Partial munmap of the first huge page: split, the rest intact. */
    munmap(p + 5 * PAGE, PAGE);
    thp_show("after munmap of one page in the first", p, p + 4 * HUGE);
    printf("data around the hole: %s\n",
           thp_check(p, 5 * PAGE, 7) && thp_check(p + 6 * PAGE, HUGE - 6 * PAGE, 7 + 6) ? "intact" : "CHANGED");

    /* mprotect of part of the second: split. */
    printf("mprotect part: %s\n", mprotect(p + HUGE, 16 * PAGE, PROT_READ) == 0 ? "0" : errname(errno));
    thp_show("after mprotect of part of the second", p + HUGE, p + 4 * HUGE);
    printf("data of the second: %s\n", thp_check(p + HUGE, HUGE, 7 + 512) ? "intact" : "CHANGED");

    /* mprotect of a whole huge page keeps it huge. */
    printf("mprotect whole: %s\n", mprotect(p + 3 * HUGE, HUGE, PROT_READ) == 0 ? "0" : errname(errno));
    thp_show("after mprotect of the whole fourth", p + 2 * HUGE, p + 4 * HUGE);

    /* MADV_DONTNEED of part of the third: split, the part reads zero. */
    printf("MADV_DONTNEED part: %s\n", madvise(p + 2 * HUGE, 8 * PAGE, MADV_DONTNEED) == 0 ? "0" : errname(errno));
    thp_show("after MADV_DONTNEED of part of the third", p + 2 * HUGE, p + 3 * HUGE);
    printf("dropped part reads %d, the rest %s\n", p[2 * HUGE + PAGE],
           thp_check(p + 2 * HUGE + 8 * PAGE, HUGE - 8 * PAGE, 7 + 1024 + 8) ? "intact" : "CHANGED");

    /* A read maps the huge zero page: nothing resident; a write then takes one page. */
    char *z = thp_map_aligned(HUGE);
    madvise(z, HUGE, MADV_HUGEPAGE);
    volatile char sink = z[123];
    (void)sink;
    /* What the read maps is not compared: 6.1 maps the huge zero page (nothing resident),
     * newer kernels may differ. The Catch2 tests check emu's huge zero page. */
    printf("read %d\n", sink);
    z[5 * PAGE] = 9;
    printf("written %d, neighbour %d, first %d\n", z[5 * PAGE], z[6 * PAGE], z[0]);

    /* MADV_NOHUGEPAGE: small pages again. */
    char *n = thp_map_aligned(HUGE);
    madvise(n, HUGE, MADV_NOHUGEPAGE);
    n[0] = 1;
    thp_show("MADV_NOHUGEPAGE, written", n, n + HUGE);

    /* fork: the child sees the parent's huge page and its write is its own. */
    char *f = thp_map_aligned(HUGE);
    madvise(f, HUGE, MADV_HUGEPAGE);
    thp_fill(f, HUGE, 3);
    thp_show("before fork", f, f + HUGE);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        f[PAGE] = 100;
        printf("child: wrote %d, rest %s\n", f[PAGE], thp_check(f + 2 * PAGE, HUGE - 2 * PAGE, 3 + 2) ? "intact" : "CHANGED");
        thp_show("child after its write", f, f + HUGE);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent: page %s\n", thp_check(f, HUGE, 3) ? "intact" : "CHANGED");
    thp_show("parent after the child's write and exit", f, f + HUGE);

    /* The child's write splits only the child's entry: the parent, looking while the child
     * still maps the page's other frames, keeps its huge mapping. Its own write then splits
     * its entry too (the page is shared), and copies one page. */
    char *g = thp_map_aligned(HUGE);
    madvise(g, HUGE, MADV_HUGEPAGE);
    thp_fill(g, HUGE, 5);
    int to_parent[2], to_child[2];
    if (pipe(to_parent) != 0 || pipe(to_child) != 0) return 1;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        g[3 * PAGE] = 100;
        thp_show("child after its write", g, g + HUGE);
        fflush(stdout);
        char c = 1;
        if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1) _exit(1);
        printf("child: page %s\n",
               g[3 * PAGE] == 100 && thp_check(g + 4 * PAGE, HUGE - 4 * PAGE, 5 + 4) ? "as written" : "CHANGED");
        fflush(stdout);
        _exit(0);
    }
    char c;
    if (read(to_parent[0], &c, 1) != 1) return 1;
    thp_show("parent while the child maps it small", g, g + HUGE);
    g[7 * PAGE] = 7;
    thp_show("parent after its own write", g, g + HUGE);
    fflush(stdout);
    if (write(to_child[1], &c, 1) != 1) return 1;
    waitpid(pid, &status, 0);
    printf("parent: page %s\n", thp_check(g, 7 * PAGE, 5) && g[7 * PAGE] == 7 &&
                                    thp_check(g + 8 * PAGE, HUGE - 8 * PAGE, 5 + 8) ? "as written" : "CHANGED");
    return 0;
}
