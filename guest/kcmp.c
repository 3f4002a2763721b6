/* kcmp(2): which resources two threads share. The order kcmp reports for different
 * objects (1 or 2) is a secret of the kernel's, so only "same" or "different" is printed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

enum { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM };

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%-40s -1 %s\n", what, errname(errno));
    else
        printf("%-40s %s\n", what, r == 0 ? "same" : (r == 1 || r == 2) ? "different" : "?");
}

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
    return syscall(SYS_kcmp, a, b, type, i1, i2);
}

static pid_t main_tid;
static pid_t child_pid;

static void *thread_main(void *arg)
{
    (void)arg;
    pid_t self = (pid_t)syscall(SYS_gettid);
    show("thread vs leader: VM", kcmp(self, main_tid, KCMP_VM, 0, 0));
    show("thread vs leader: FILES", kcmp(self, main_tid, KCMP_FILES, 0, 0));
    show("thread vs leader: FS", kcmp(self, main_tid, KCMP_FS, 0, 0));
    show("thread vs leader: SIGHAND", kcmp(self, main_tid, KCMP_SIGHAND, 0, 0));
    show("thread vs forked child: VM", kcmp(self, child_pid, KCMP_VM, 0, 0));
    return NULL;
}

int main(void)
{
    pid_t me = getpid();
    main_tid = me;
    int a = open("/dev/null", O_RDONLY);
    int b = dup(a);
    int c = open("/dev/null", O_RDONLY);
    show("dup'd descriptors", kcmp(me, me, KCMP_FILE, a, b));
    show("two opens of one file", kcmp(me, me, KCMP_FILE, a, c));
    show("bad descriptor", kcmp(me, me, KCMP_FILE, a, 999));
    show("self: VM", kcmp(me, me, KCMP_VM, 0, 0));
    show("self: IO", kcmp(me, me, KCMP_IO, 0, 0));
    show("unknown type", kcmp(me, me, 99, 0, 0));
    show("no such process", kcmp(me, 999999, KCMP_VM, 0, 0));

    int go[2];
    if (pipe(go) != 0) return 1;
    child_pid = fork();
    if (child_pid == 0) {
        char x;
        read(go[0], &x, 1);
        _exit(0);
    }
    show("forked child: inherited descriptor", kcmp(me, child_pid, KCMP_FILE, a, a));
    show("forked child: VM", kcmp(me, child_pid, KCMP_VM, 0, 0));
    show("forked child: FILES", kcmp(me, child_pid, KCMP_FILES, 0, 0));
    show("forked child: FS", kcmp(me, child_pid, KCMP_FS, 0, 0));
    show("forked child: SIGHAND", kcmp(me, child_pid, KCMP_SIGHAND, 0, 0));

    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);

    write(go[1], "x", 1);
    int status;
    waitpid(child_pid, &status, 0);
    show("reaped child", kcmp(me, child_pid, KCMP_VM, 0, 0));
    return 0;
}
