/* sched_calls: the scheduling syscalls' values and errno paths, as root and as an
 * unprivileged user (a child that drops to uid 65534): policies and priorities with Linux's
 * validation, SCHED_RESET_ON_FORK, nice values through getpriority/setpriority (the raw
 * call's 20 - nice), sched_setaffinity's checks. No real-time policy is set as root (a
 * container may forbid it), and no CPU count is printed (the host's differs). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define SHOW(label, call)                                         \
    do {                                                          \
        long show_r_ = (long)(call);                              \
        int show_e_ = errno;                                      \
        printf("%s: %s\n", label, result_str(show_r_, show_e_)); \
    } while (0)

static void common_paths(void)
{
    struct sched_param p = {0};
    SHOW("getscheduler self", sched_getscheduler(0));
    SHOW("getscheduler -1", sched_getscheduler(-1));
    SHOW("getscheduler none", sched_getscheduler(0x3ffffff0));
    SHOW("getparam", sched_getparam(0, &p));
    printf("  priority=%d\n", p.sched_priority);
    SHOW("getparam NULL", syscall(SYS_sched_getparam, 0, NULL));
    SHOW("max FIFO", sched_get_priority_max(SCHED_FIFO));
    SHOW("min RR", sched_get_priority_min(SCHED_RR));
    SHOW("max OTHER", sched_get_priority_max(SCHED_OTHER));
    SHOW("min IDLE", sched_get_priority_min(SCHED_IDLE));
    SHOW("max 4", sched_get_priority_max(4));
    SHOW("max -1", sched_get_priority_max(-1));
    p.sched_priority = 5;
    SHOW("OTHER prio 5", sched_setscheduler(0, SCHED_OTHER, &p));
    p.sched_priority = 0;
    SHOW("FIFO prio 0", sched_setscheduler(0, SCHED_FIFO, &p));
    p.sched_priority = 100;
    SHOW("RR prio 100", sched_setscheduler(0, SCHED_RR, &p));
    p.sched_priority = 0;
    SHOW("policy 4", sched_setscheduler(0, 4, &p));
    SHOW("policy -3", syscall(SYS_sched_setscheduler, 0, -3, &p));
    SHOW("DEADLINE", sched_setscheduler(0, 6, &p));
    SHOW("pid -1", sched_setscheduler(-1, SCHED_OTHER, &p));
    SHOW("param NULL", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
    SHOW("no such pid", sched_setscheduler(0x3ffffff0, SCHED_OTHER, &p));
    SHOW("bad param ptr", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)8));
    SHOW("BATCH", sched_setscheduler(0, SCHED_BATCH, &p));
    SHOW("getscheduler", sched_getscheduler(0));
    SHOW("BATCH|RESET_ON_FORK", sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &p));
    SHOW("getscheduler", sched_getscheduler(0));
    SHOW("setparam", sched_setparam(0, &p));
    SHOW("getscheduler", sched_getscheduler(0));

    struct timespec ts;
    SHOW("rr_get_interval", sched_rr_get_interval(0, &ts));
    SHOW("rr_get_interval -1", sched_rr_get_interval(-1, &ts));
    SHOW("rr_get_interval none", sched_rr_get_interval(0x3ffffff0, &ts));

    /* Nice values: libc's getpriority is nice; the raw call is 20 - nice. */
    SHOW("raw getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    SHOW("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
    SHOW("raw getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, 0);
    printf("getpriority: %d errno=%s\n", nice_now, errname(errno));
    SHOW("setpriority 100 (clamped)", setpriority(PRIO_PROCESS, 0, 100));
    SHOW("raw getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    SHOW("setpriority which 9", setpriority(9, 0, 0));
    SHOW("getpriority which 9", syscall(SYS_getpriority, 9, 0));
    SHOW("getpriority no pid", syscall(SYS_getpriority, PRIO_PROCESS, 0x3ffffff0));
    SHOW("setpriority no pid", setpriority(PRIO_PROCESS, 0x3ffffff0, 0));

    /* Affinity: CPU 0 is always there; a CPU far beyond any machine is not. */
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    SHOW("setaffinity cpu0", sched_setaffinity(0, sizeof set, &set));
    CPU_ZERO(&set);
    CPU_SET(1000, &set);
    SHOW("setaffinity cpu1000", sched_setaffinity(0, sizeof set, &set));
    CPU_ZERO(&set);
    SHOW("setaffinity empty", sched_setaffinity(0, sizeof set, &set));
    SHOW("setaffinity none", sched_setaffinity(0x3ffffff0, sizeof set, &set));
    SHOW("setaffinity bad ptr", syscall(SYS_sched_setaffinity, 0, 128, (void *)8));
    CPU_ZERO(&set);
    SHOW("getaffinity", sched_getaffinity(0, sizeof set, &set) == 0 && CPU_ISSET(0, &set) ? 0 : -1);
    SHOW("getaffinity short", syscall(SYS_sched_getaffinity, 0, 4, &set));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "--cpus") == 0) {
        /* What the library counts (the machine's, not comparable with the host's). */
        cpu_set_t set;
        CPU_ZERO(&set);
        sched_getaffinity(0, sizeof set, &set);
        printf("cpus: nprocs=%d onln=%ld conf=%ld affinity=%d\n", get_nprocs(),
               sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF), CPU_COUNT(&set));
        return 0;
    }
    printf("== root\n");
    common_paths();
    /* As root: back to OTHER with a lower nice is allowed. */
    struct sched_param p = {0};
    SHOW("root: OTHER", sched_setscheduler(0, SCHED_OTHER, &p));
    SHOW("root: setpriority -5", setpriority(PRIO_PROCESS, 0, -5));
    SHOW("root: raw getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    SHOW("root: setpriority 0", setpriority(PRIO_PROCESS, 0, 0));

    /* The child inherits the attributes; SCHED_RESET_ON_FORK puts them back. */
    SHOW("IDLE|RESET_ON_FORK", sched_setscheduler(0, SCHED_IDLE | SCHED_RESET_ON_FORK, &p));
    pid_t c = fork();
    if (c == 0) {
        SHOW("child getscheduler", sched_getscheduler(0));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    SHOW("root: OTHER again", sched_setscheduler(0, SCHED_OTHER, &p));
    SHOW("root: setpriority 3", setpriority(PRIO_PROCESS, 0, 3));
    c = fork();
    if (c == 0) {
        SHOW("child raw getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    setpriority(PRIO_PROCESS, 0, 0);

    /* PRIO_PGRP over a group of one. */
    c = fork();
    if (c == 0) {
        setpgid(0, 0);
        SHOW("pgrp: setpriority 7", setpriority(PRIO_PGRP, 0, 7));
        SHOW("pgrp: raw getpriority", syscall(SYS_getpriority, PRIO_PGRP, 0));
        SHOW("pgrp: raw getpriority none", syscall(SYS_getpriority, PRIO_PGRP, 0x3ffffff0));
        _exit(0);
    }
    waitpid(c, NULL, 0);

    pid_t parent = getpid();
    c = fork();
    if (c == 0) {
        struct rlimit zero = {0, 0};
        setrlimit(RLIMIT_RTPRIO, &zero);
        setrlimit(RLIMIT_NICE, &zero);
        CHECK(setgid(65534) == 0 && setuid(65534) == 0);
        printf("== unprivileged\n");
        p.sched_priority = 10;
        SHOW("FIFO 10", sched_setscheduler(0, SCHED_FIFO, &p));
        p.sched_priority = 0;
        SHOW("setscheduler parent", sched_setscheduler(parent, SCHED_OTHER, &p));
        SHOW("getscheduler parent", sched_getscheduler(parent));
        SHOW("setpriority 2", setpriority(PRIO_PROCESS, 0, 2));
        SHOW("setpriority 1 (lower)", setpriority(PRIO_PROCESS, 0, 1));
        SHOW("setpriority parent", setpriority(PRIO_PROCESS, parent, 5));
        SHOW("IDLE", sched_setscheduler(0, SCHED_IDLE, &p));
        SHOW("IDLE -> OTHER", sched_setscheduler(0, SCHED_OTHER, &p));
        SHOW("BATCH|RESET_ON_FORK", sched_setscheduler(0, SCHED_IDLE | SCHED_RESET_ON_FORK, &p));
        SHOW("drop RESET_ON_FORK", sched_setscheduler(0, SCHED_IDLE, &p));
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        SHOW("setaffinity parent", sched_setaffinity(parent, sizeof set, &set));
        _exit(0);
    }
    int status;
    waitpid(c, &status, 0);
    printf("unprivileged child: %d\n", WEXITSTATUS(status));
    return 0;
}
