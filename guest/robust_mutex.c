/* robust_mutex: a robust pthread mutex whose owner thread exits while holding it is handed
 * to the next locker with EOWNERDEAD (a waiter already blocked on it is woken), can be made
 * consistent and used again; without pthread_mutex_consistent it becomes unusable
 * (ENOTRECOVERABLE). A process-shared robust mutex held by a child that dies goes to the
 * parent the same way. get_robust_list reports the head the library registered. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static pthread_mutex_t m;
static volatile int locked;

static void *lock_and_exit(void *arg)
{
    int hold_ms = (int)(long)arg;
    CHECK(pthread_mutex_lock(&m) == 0);
    locked = 1;
    if (hold_ms) usleep(hold_ms * 1000);
    return NULL;  /* exits holding it */
}

static const char *name(int r)
{
    switch (r) {
    case 0: return "0";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EBUSY: return "EBUSY";
    default: return errname(r);
    }
}

static void init_robust(pthread_mutex_t *mx, int pshared)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pshared) pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    CHECK(pthread_mutex_init(mx, &a) == 0);
    pthread_mutexattr_destroy(&a);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    init_robust(&m, 0);

    /* The owner exits; the next lock reports it. */
    pthread_t t;
    pthread_create(&t, NULL, lock_and_exit, (void *)0L);
    pthread_join(t, NULL);
    int r = pthread_mutex_lock(&m);
    printf("lock after owner exit: %s\n", name(r));
    printf("consistent: %s\n", name(pthread_mutex_consistent(&m)));
    printf("unlock: %s\n", name(pthread_mutex_unlock(&m)));
    printf("lock again: %s\n", name(pthread_mutex_lock(&m)));
    pthread_mutex_unlock(&m);

    /* A waiter blocked on the lock is woken when the owner dies. */
    locked = 0;
    pthread_create(&t, NULL, lock_and_exit, (void *)50L);
    while (!locked) usleep(1000);
    r = pthread_mutex_lock(&m);
    printf("blocked waiter: %s\n", name(r));
    pthread_join(t, NULL);
    /* Not made consistent: unusable once unlocked. */
    pthread_mutex_unlock(&m);
    printf("lock unrecovered: %s\n", name(pthread_mutex_lock(&m)));

    /* trylock sees it too. */
    pthread_mutex_t m2;
    init_robust(&m2, 0);
    m = m2;
    pthread_create(&t, NULL, lock_and_exit, (void *)0L);
    pthread_join(t, NULL);
    printf("trylock after owner exit: %s\n", name(pthread_mutex_trylock(&m)));
    pthread_mutex_consistent(&m);
    pthread_mutex_unlock(&m);

    /* Process-shared, in shared memory, held by a child that dies. */
    pthread_mutex_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    init_robust(shared, 1);
    pid_t child = fork();
    if (child == 0) {
        pthread_mutex_lock(shared);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("shared lock after child exit: %s\n", name(pthread_mutex_lock(shared)));
    pthread_mutex_consistent(shared);
    pthread_mutex_unlock(shared);

    /* The head the library registered for this thread. */
    void *head = NULL;
    size_t len = 0;
    long rr = syscall(SYS_get_robust_list, 0, &head, &len);
    printf("get_robust_list: %s len=%zu head_set=%s\n", result_str(rr, errno), len, yesno(head != NULL));
    rr = syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len);
    printf("get_robust_list bad tid: %s\n", result_str(rr, errno));
    rr = syscall(SYS_set_robust_list, head, 12);
    printf("set_robust_list bad len: %s\n", result_str(rr, errno));
    return 0;
}
