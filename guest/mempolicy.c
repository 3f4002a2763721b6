/* NUMA memory policies on a machine with one node (set_mempolicy, get_mempolicy, mbind),
 * as Linux 6.1's mm/mempolicy.c answers them: the modes, the mode flags, node masks naming
 * nodes that exist or not, per-VMA policies that split and merge VMAs, and the errors.
 * Compared with the host, which has one node too.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2
#define MPOL_MF_MOVE_ALL 4

static long set_policy(int mode, const unsigned long *mask, unsigned long maxnode)
{
    return syscall(SYS_set_mempolicy, mode, mask, maxnode);
}

static long get_policy(int *mode, unsigned long *mask, unsigned long maxnode, void *addr,
                       unsigned long flags)
{
    return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}

static long do_mbind(void *addr, unsigned long len, int mode, const unsigned long *mask,
                     unsigned long maxnode, unsigned flags)
{
    return syscall(SYS_mbind, addr, len, mode, mask, maxnode, flags);
}

static void show_set(const char *what, int mode, unsigned long mask0, unsigned long maxnode)
{
    unsigned long mask[2] = {mask0, 0};
    long r = set_policy(mode, mask0 == ~0ul ? NULL : mask, maxnode);
    printf("set_mempolicy(%s) = %s", what, result_str(r, errno));
    if (r == 0) {
        int got = -1;
        unsigned long nodes[2] = {0xdead, 0xbeef};
        r = get_policy(&got, nodes, 128, NULL, 0);
        printf("; get = %s mode %#x nodes %#lx %#lx", result_str(r, errno), got, nodes[0],
               nodes[1]);
    }
    printf("\n");
}

static int vma_count(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n') ++n;
    fclose(f);
    return n;
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    int mode = -1;
    unsigned long nodes[2] = {0xdead, 0xbeef};

    long r = get_policy(&mode, nodes, 128, NULL, 0);
    printf("initial: %s mode %d nodes %#lx %#lx\n", result_str(r, errno), mode, nodes[0], nodes[1]);
    r = get_policy(&mode, nodes, 128, NULL, MPOL_F_MEMS_ALLOWED);
    printf("mems_allowed: %s nodes %#lx\n", result_str(r, errno), nodes[0]);
    r = get_policy(NULL, NULL, 0, NULL, 0);
    printf("all NULL: %s\n", result_str(r, errno));
    r = get_policy(NULL, nodes, 0, NULL, 0);
    printf("maxnode 0 with a mask: %s\n", result_str(r, errno));
    r = get_policy(NULL, nodes, 128, NULL, 8);
    printf("unknown flag: %s\n", result_str(r, errno));
    r = get_policy(NULL, nodes, 128, NULL, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE);
    printf("MEMS_ALLOWED|NODE: %s\n", result_str(r, errno));
    r = get_policy(&mode, NULL, 0, (void *)page, 0);
    printf("addr without F_ADDR: %s\n", result_str(r, errno));
    r = get_policy(&mode, NULL, 0, NULL, MPOL_F_NODE);
    printf("F_NODE under the default policy: %s\n", result_str(r, errno));
    r = get_policy((int *)8, NULL, 0, NULL, 0);
    printf("bad policy pointer: %s\n", result_str(r, errno));

    show_set("DEFAULT", MPOL_DEFAULT, ~0ul, 0);
    show_set("DEFAULT node 0", MPOL_DEFAULT, 1, 65);
    show_set("PREFERRED node 0", MPOL_PREFERRED, 1, 65);
    show_set("PREFERRED no nodes", MPOL_PREFERRED, 0, 65);
    show_set("PREFERRED|STATIC no nodes", MPOL_PREFERRED | MPOL_F_STATIC_NODES, 0, 65);
    show_set("BIND node 0", MPOL_BIND, 1, 65);
    show_set("BIND node 1", MPOL_BIND, 2, 65);
    show_set("BIND nodes 0-1", MPOL_BIND, 3, 65);
    show_set("BIND no nodes", MPOL_BIND, 0, 65);
    show_set("BIND|STATIC nodes 0,5", MPOL_BIND | MPOL_F_STATIC_NODES, 0x21, 65);
    show_set("BIND|RELATIVE node 3", MPOL_BIND | MPOL_F_RELATIVE_NODES, 8, 65);
    show_set("BIND|STATIC|RELATIVE", MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES, 1,
             65);
    show_set("BIND|NUMA_BALANCING", MPOL_BIND | MPOL_F_NUMA_BALANCING, 1, 65);
    show_set("INTERLEAVE|NUMA_BALANCING", MPOL_INTERLEAVE | MPOL_F_NUMA_BALANCING, 1, 65);
    show_set("INTERLEAVE node 0", MPOL_INTERLEAVE, 1, 65);
    r = get_policy(&mode, NULL, 0, NULL, MPOL_F_NODE);
    printf("F_NODE under INTERLEAVE: %s node %d\n", result_str(r, errno), mode);
    show_set("LOCAL", MPOL_LOCAL, ~0ul, 0);
    show_set("LOCAL node 0", MPOL_LOCAL, 1, 65);
    show_set("PREFERRED_MANY node 0", MPOL_PREFERRED_MANY, 1, 65);
    show_set("mode 6", 6, ~0ul, 0);
    show_set("mode -1", -1, ~0ul, 0);
    show_set("BIND node 0, maxnode 1 (no bits)", MPOL_BIND, 1, 1);
    show_set("BIND node 0, maxnode 2", MPOL_BIND, 1, 2);
    show_set("BIND node 0, maxnode 32770", MPOL_BIND, 1, 32770);
    r = set_policy(MPOL_BIND, (unsigned long *)8, 65);
    printf("set_mempolicy(bad mask pointer) = %s\n", result_str(r, errno));
    r = set_policy(9, (unsigned long *)8, 65);
    printf("set_mempolicy(bad mode, bad mask pointer) = %s\n", result_str(r, errno));

    /* A bit past MAX_NUMNODES (1024) is EINVAL; inside it (a node that does not exist),
     * the mask merely names no node with memory. */
    unsigned long big[20];
    memset(big, 0, sizeof big);
    big[0] = 1;
    big[17] = 1; /* node 1088 */
    r = set_policy(MPOL_BIND, big, 20 * 64);
    printf("node 1088 named: %s\n", result_str(r, errno));
    big[17] = 0;
    big[15] = 1ul << 63; /* node 1023 */
    r = set_policy(MPOL_BIND, big, 20 * 64);
    printf("nodes 0 and 1023 named: %s\n", result_str(r, errno));

    /* The policy is per thread and a fork child inherits it. */
    unsigned long one = 1;
    CHECK(set_policy(MPOL_PREFERRED, &one, 65) == 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int m = -1;
        get_policy(&m, NULL, 0, NULL, 0);
        printf("child's policy: %d\n", m);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(set_policy(MPOL_DEFAULT, NULL, 0) == 0);

    /* mbind: per-VMA policies, reported through MPOL_F_ADDR, split and merge the VMA. */
    char *area = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED);
    int before = vma_count();
    r = do_mbind(area + 2 * page, 2 * page, MPOL_BIND, &one, 65, MPOL_MF_STRICT | MPOL_MF_MOVE);
    printf("mbind BIND pages 2-3: %s, VMAs %+d\n", result_str(r, errno), vma_count() - before);
    for (int i = 0; i < 5; i += 2) {
        nodes[0] = 0xdead;
        r = get_policy(&mode, nodes, 65, area + i * page, MPOL_F_ADDR);
        printf("page %d: %s mode %d nodes %#lx\n", i, result_str(r, errno), mode, nodes[0]);
    }
    r = get_policy(&mode, NULL, 0, area + 2 * page, MPOL_F_ADDR | MPOL_F_NODE);
    printf("page 2 node: %s %d\n", result_str(r, errno), mode);
    r = do_mbind(area + 2 * page, 2 * page, MPOL_DEFAULT, NULL, 0, 0);
    printf("mbind DEFAULT pages 2-3: %s, VMAs %+d\n", result_str(r, errno), vma_count() - before);
    r = do_mbind(area, 8 * page, MPOL_INTERLEAVE | MPOL_F_STATIC_NODES, &one, 65, 0);
    printf("mbind INTERLEAVE|STATIC all: %s, VMAs %+d\n", result_str(r, errno),
           vma_count() - before);
    r = get_policy(&mode, nodes, 65, area + 7 * page, MPOL_F_ADDR);
    printf("page 7: %s mode %#x nodes %#lx\n", result_str(r, errno), mode, nodes[0]);
    r = do_mbind(area + 1, page, MPOL_BIND, &one, 65, 0);
    printf("mbind unaligned: %s\n", result_str(r, errno));
    r = do_mbind(area, page, MPOL_BIND, &one, 65, 8);
    printf("mbind MPOL_MF_LAZY: %s\n", result_str(r, errno));
    r = do_mbind(area, 0, MPOL_BIND, &one, 65, 0);
    printf("mbind length 0: %s\n", result_str(r, errno));
    unsigned long two = 2;
    r = do_mbind(area, page, MPOL_BIND, &two, 65, 0);
    printf("mbind node 1: %s\n", result_str(r, errno));
    CHECK(munmap(area + 8 * page - page, page) == 0);
    r = do_mbind(area, 8 * page, MPOL_BIND, &one, 65, 0);
    printf("mbind over a hole at the end: %s\n", result_str(r, errno));
    r = do_mbind(area, 8 * page, MPOL_DEFAULT, NULL, 0, 0);
    printf("mbind DEFAULT over a hole: %s\n", result_str(r, errno));
    r = do_mbind(area + 7 * page, page, MPOL_DEFAULT, NULL, 0, 0);
    printf("mbind DEFAULT wholly in a hole: %s\n", result_str(r, errno));
    r = get_policy(&mode, NULL, 0, area + 7 * page, MPOL_F_ADDR);
    printf("get_mempolicy F_ADDR in a hole: %s\n", result_str(r, errno));
    return 0;
}
