/* bench_fork: N rounds of fork, the child's _exit(0) and the parent's waitpid.
 * Usage: bench_fork [N]   (default 2000; N=0 measures start-up only).
 * Prints the round count and whether every child exited with status 0. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    CHECK(n >= 0);
    long clean = 0;
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            _exit(0);
        int status = -1;
        CHECK(waitpid(pid, &status, 0) == pid);
        clean += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    printf("fork+exit+wait rounds: %ld, all exited 0: %s\n", n, yesno(clean == n));
    CHECK(fflush(stdout) == 0);
    return clean == n ? 0 : 1;
}
