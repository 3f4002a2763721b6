/* bench_getpid: N getpid system calls through syscall(SYS_getpid), bypassing any libc
 * caching. Usage: bench_getpid [N]   (default 2000000; N=0 measures start-up only).
 * Prints the iteration count and a checksum so the loop cannot be optimised away. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    CHECK(n >= 0);
    long pid = syscall(SYS_getpid);
    CHECK(pid > 0);
    long same = 0;
    for (long i = 0; i < n; i++)
        same += syscall(SYS_getpid) == pid;
    printf("getpid calls: %ld, consistent: %s\n", n, yesno(same == n));
    CHECK(fflush(stdout) == 0);
    return same == n ? 0 : 1;
}
