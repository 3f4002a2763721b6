/* sig_queue: real-time signals queue in order with their values, standard ones do not;
 * rt_sigqueueinfo and rt_tgsigqueueinfo pass the siginfo as given and refuse to let another
 * process pose as kill/tkill (EPERM); RLIMIT_SIGPENDING bounds the queued signals
 * (sigqueue fails with EAGAIN beyond it, kill still sends). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int order_sig[16], order_val[16], order_code[16];
static volatile int count;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (count < 16) {
        order_sig[count] = sig;
        order_val[count] = si->si_value.sival_int;
        order_code[count] = si->si_code;
    }
    count++;
}

static const char *signame(int sig)
{
    static char buf[16];
    if (sig == SIGUSR1) return "SIGUSR1";
    if (sig == SIGUSR2) return "SIGUSR2";
    snprintf(buf, sizeof buf, "RTMIN+%d", sig - SIGRTMIN);
    return buf;
}

static long queued_now(void)
{
    /* SigQ: queued/limit for the real user. */
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long q = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SigQ: %ld/", &q) == 1) break;
    if (f) fclose(f);
    return q;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
    int sigs[] = {SIGUSR1, SIGUSR2, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 5};
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        sigaction(sigs[i], &sa, NULL);
        sigaddset(&set, sigs[i]);
    }
    sigprocmask(SIG_BLOCK, &set, NULL);

    /* Queue out of order; deliver on unblock: lowest signal first, each RT signal FIFO. */
    union sigval v;
    v.sival_int = 51; sigqueue(getpid(), SIGRTMIN + 5, v);
    v.sival_int = 11; sigqueue(getpid(), SIGRTMIN + 1, v);
    v.sival_int = 1;  sigqueue(getpid(), SIGRTMIN, v);
    v.sival_int = 12; sigqueue(getpid(), SIGRTMIN + 1, v);
    v.sival_int = 2;  sigqueue(getpid(), SIGRTMIN, v);
    v.sival_int = 7;  sigqueue(getpid(), SIGUSR1, v);
    v.sival_int = 8;  sigqueue(getpid(), SIGUSR1, v);  /* merged with the first */
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR2);
    sigset_t pend;
    sigpending(&pend);
    printf("pending: USR1=%s USR2=%s RTMIN=%s RTMIN+5=%s\n", yesno(sigismember(&pend, SIGUSR1)),
           yesno(sigismember(&pend, SIGUSR2)), yesno(sigismember(&pend, SIGRTMIN)),
           yesno(sigismember(&pend, SIGRTMIN + 5)));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("delivered %d:\n", count);
    for (int i = 0; i < count && i < 16; i++)
        printf("  %s value=%d code=%s\n", signame(order_sig[i]),
               order_code[i] == SI_QUEUE ? order_val[i] : 0,
               order_code[i] == SI_QUEUE ? "SI_QUEUE" : order_code[i] == SI_USER ? "SI_USER" : "?");

    /* rt_sigqueueinfo: the siginfo as given. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR2;  /* replaced by the signal argument */
    si.si_code = -42;
    si.si_value.sival_int = 4242;
    count = 0;
    sigprocmask(SIG_BLOCK, &set, NULL);
    long r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &si);
    printf("rt_sigqueueinfo self code -42: %s\n", result_str(r, errno));
    siginfo_t got;
    sigset_t rtmin;
    sigemptyset(&rtmin);
    sigaddset(&rtmin, SIGRTMIN);
    struct timespec zero = {0, 0};
    int s = sigtimedwait(&rtmin, &got, &zero);
    printf("  taken: %s code=%d value=%d\n", s == SIGRTMIN ? "RTMIN" : "none", got.si_code,
           got.si_value.sival_int);
    si.si_code = SI_USER;
    r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &si);
    printf("rt_sigqueueinfo self SI_USER: %s\n", result_str(r, errno));
    sigtimedwait(&rtmin, &got, &zero);
    r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, (void *)16);
    printf("rt_sigqueueinfo bad pointer: %s\n", result_str(r, errno));
    r = syscall(SYS_rt_tgsigqueueinfo, 0, getpid(), SIGRTMIN, &si);
    printf("rt_tgsigqueueinfo tgid 0: %s\n", result_str(r, errno));
    si.si_code = SI_QUEUE;
    r = syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), 99, &si);
    printf("rt_tgsigqueueinfo signal 99: %s\n", result_str(r, errno));

    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    si.si_code = SI_USER;
    r = syscall(SYS_rt_sigqueueinfo, child, SIGUSR1, &si);
    printf("rt_sigqueueinfo other SI_USER: %s\n", result_str(r, errno));
    si.si_code = SI_TKILL;
    r = syscall(SYS_rt_sigqueueinfo, child, SIGUSR1, &si);
    printf("rt_sigqueueinfo other SI_TKILL: %s\n", result_str(r, errno));
    si.si_code = 1;
    r = syscall(SYS_rt_tgsigqueueinfo, child, child, SIGUSR1, &si);
    printf("rt_tgsigqueueinfo other code 1: %s\n", result_str(r, errno));
    si.si_code = SI_QUEUE;
    r = syscall(SYS_rt_tgsigqueueinfo, child, child, SIGTERM, &si);
    printf("rt_tgsigqueueinfo other SI_QUEUE: %s\n", result_str(r, errno));
    int status;
    waitpid(child, &status, 0);
    printf("child: %s\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? "SIGTERM" : "?");
    r = syscall(SYS_rt_sigqueueinfo, child, SIGUSR1, &si);
    printf("rt_sigqueueinfo reaped: %s\n", result_str(r, errno));

    /* RLIMIT_SIGPENDING counts queued signals of the user: a user of its own (nobody
     * else's signals count), in a child. */
    child = fork();
    if (child == 0) {
        struct rlimit lim = {3, 3};
        CHECK(setrlimit(RLIMIT_SIGPENDING, &lim) == 0);
        CHECK(setgid(54321) == 0 && setuid(54321) == 0);
        printf("queued at start: %ld\n", queued_now());
        for (int i = 0; i < 5; i++) {
            v.sival_int = i;
            r = sigqueue(getpid(), SIGRTMIN + 1, v);
            printf("sigqueue %d under limit: %s\n", i, result_str(r, errno));
        }
        printf("queued now: %ld\n", queued_now());
        r = kill(getpid(), SIGUSR2);
        printf("kill beyond limit: %s\n", result_str(r, errno));
        sigpending(&pend);
        printf("USR2 pending: %s\n", yesno(sigismember(&pend, SIGUSR2)));
        count = 0;
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        printf("delivered after unblock %d:", count);
        for (int i = 0; i < count && i < 16; i++) printf(" %s", signame(order_sig[i]));
        printf("\nqueued after: %ld\n", queued_now());
        _exit(0);
    }
    waitpid(child, &status, 0);
    printf("limit child: %d\n", WEXITSTATUS(status));
    return 0;
}
