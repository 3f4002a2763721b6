/* sig_group: signals and whole thread groups. SIGSTOP stops every thread of a
 * multi-threaded child (its counter stops moving) and SIGCONT resumes them, as
 * waitpid(WUNTRACED|WCONTINUED) reports; a fatal signal raised in one thread ends the
 * whole process (the parent sees the signal, without a core flag under RLIMIT_CORE 0);
 * exit_group ends a process whose other threads are blocked; a signal's default action
 * kills a process whose main thread waits in pause. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile unsigned long *counter;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static void *count_forever(void *arg)
{
    (void)arg;
    for (;;) {
        __sync_fetch_and_add(counter, 1);
        sleep_ms(1);
    }
    return NULL;
}

static void *block_forever(void *arg)
{
    int *fds = arg;
    char c;
    (void)!read(fds[0], &c, 1);
    return NULL;
}

static void *crash_thread(void *arg)
{
    int how = (int)(long)arg;
    sleep_ms(20);
    if (how == 0) abort();
    if (how == 1) *(volatile int *)8 = 1;
    if (how == 2) exit(7);
    return NULL;
}

static void describe(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by %d core=%s\n", what, WTERMSIG(status), yesno(WCOREDUMP(status)));
    else if (WIFSTOPPED(status))
        printf("%s: stopped by %d\n", what, WSTOPSIG(status));
    else if (WIFCONTINUED(status))
        printf("%s: continued\n", what);
}

static void no_core(void)
{
    struct rlimit zero = {0, 0};
    setrlimit(RLIMIT_CORE, &zero);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(counter != MAP_FAILED);

    /* Stop and continue a child with three counting threads. */
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        for (int i = 0; i < 2; i++) pthread_create(&t, NULL, count_forever, NULL);
        count_forever(NULL);
    }
    while (*counter < 30) sleep_ms(2);
    int status;
    kill(c, SIGSTOP);
    CHECK(waitpid(c, &status, WUNTRACED) == c);
    describe("after SIGSTOP", status);
    unsigned long frozen = *counter;
    sleep_ms(60);
    printf("threads frozen: %s\n", yesno(*counter == frozen));
    printf("no second report: %s\n", yesno(waitpid(c, &status, WUNTRACED | WNOHANG) == 0));
    kill(c, SIGCONT);
    CHECK(waitpid(c, &status, WCONTINUED) == c);
    describe("after SIGCONT", status);
    unsigned long resumed = *counter;
    while (*counter < resumed + 30) sleep_ms(2);
    printf("threads run again: yes\n");
    kill(c, SIGTERM);
    waitpid(c, &status, 0);
    describe("after SIGTERM", status);

    /* A fatal signal in one thread ends the process. */
    const char *names[] = {"abort in a thread", "SIGSEGV in a thread", "exit in a thread"};
    for (int how = 0; how < 3; how++) {
        c = fork();
        if (c == 0) {
            no_core();
            pthread_t t;
            pthread_create(&t, NULL, crash_thread, (void *)(long)how);
            pause();
            _exit(99);
        }
        waitpid(c, &status, 0);
        describe(names[how], status);
    }

    /* exit_group while other threads wait in read and in a futex. */
    c = fork();
    if (c == 0) {
        int fds[2];
        CHECK(pipe(fds) == 0);
        pthread_t t;
        pthread_create(&t, NULL, block_forever, fds);
        pthread_create(&t, NULL, block_forever, fds);
        sleep_ms(20);
        exit(3);
    }
    waitpid(c, &status, 0);
    describe("exit_group with blocked threads", status);

    /* kill of a process whose threads all wait. */
    c = fork();
    if (c == 0) {
        int fds[2];
        CHECK(pipe(fds) == 0);
        pthread_t t;
        pthread_create(&t, NULL, block_forever, fds);
        pause();
        _exit(99);
    }
    sleep_ms(30);
    kill(c, SIGUSR1);
    waitpid(c, &status, 0);
    describe("SIGUSR1 to waiting threads", status);
    return 0;
}
