/* signals: delivery of signals to handlers. Faults (SIGSEGV, SIGFPE, SIGILL, SIGTRAP) caught
 * and left with siglongjmp or fixed and returned from; signals sent to oneself (raise, kill,
 * SIGPIPE), blocked and unblocked, pending, suspended for; SA_SIGINFO, SA_RESETHAND,
 * SA_NODEFER, SA_ONSTACK with sigaltstack; nested handlers; the interrupted context in the
 * ucontext (after a syscall: rip, rcx, r11) and changed by a handler; the FPU and SSE state
 * kept across a handler that clobbers it. Prints only values that are the same natively. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "common.h"

static sigjmp_buf jump;
static volatile sig_atomic_t hits;
static volatile int got_sig, got_code, got_pid_ok, got_errno;
static void *volatile got_addr;

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void record(int sig, siginfo_t *si)
{
    hits++;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    got_errno = si->si_errno;
    got_pid_ok = si->si_pid == getpid();
}

static void jump_out(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    record(sig, si);
    siglongjmp(jump, 1);
}

/* --- faults ------------------------------------------------------------------------- */

static void test_segv(void)
{
    install(SIGSEGV, jump_out, 0);
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED);
    hits = 0;
    if (sigsetjmp(jump, 1) == 0) {
        ((volatile char *)ro)[5] = 1;
        printf("segv/readonly: no fault\n");
    }
    printf("segv/readonly: hits %d signo %d code ACCERR %s addr exact %s errno %d\n", hits,
           got_sig, yesno(got_code == SEGV_ACCERR), yesno(got_addr == ro + 5), got_errno);

    char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(gone != MAP_FAILED && munmap(gone, 4096) == 0);
    hits = 0;
    if (sigsetjmp(jump, 1) == 0) {
        ((volatile char *)gone)[9] = 1;
        printf("segv/unmapped: no fault\n");
    }
    printf("segv/unmapped: hits %d code MAPERR %s addr exact %s\n", hits,
           yesno(got_code == SEGV_MAPERR), yesno(got_addr == gone + 9));

    /* siglongjmp restored the mask saved by sigsetjmp: SIGSEGV is not left blocked. */
    sigset_t now;
    CHECK(sigprocmask(SIG_SETMASK, NULL, &now) == 0);
    printf("segv: blocked after siglongjmp %s\n", yesno(sigismember(&now, SIGSEGV)));
    munmap(ro, 4096);
}

static char *fix_page;

static void fix_it(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    record(sig, si);
    if (mprotect(fix_page, 4096, PROT_READ | PROT_WRITE) != 0) _exit(3);
}

static void test_segv_fixed(void)
{
    install(SIGSEGV, fix_it, 0);
    fix_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(fix_page != MAP_FAILED);
    hits = 0;
    ((volatile char *)fix_page)[100] = 42; /* faults once, then runs again and succeeds */
    printf("segv/fixed: hits %d value %d addr exact %s\n", hits, fix_page[100],
           yesno(got_addr == fix_page + 100));
    munmap(fix_page, 4096);
}

static void test_fpe(void)
{
    install(SIGFPE, jump_out, 0);
    volatile int zero = 0, result = 0;
    hits = 0;
    if (sigsetjmp(jump, 1) == 0) {
        result = 10 / zero;
        printf("fpe: no fault (%d)\n", result);
    }
    printf("fpe: hits %d signo %d code INTDIV %s addr set %s\n", hits, got_sig,
           yesno(got_code == FPE_INTDIV), yesno(got_addr != NULL));
}

/* ud2 at a known address; the handler skips it by moving rip in the ucontext. */
extern char ud2_site[], int3_after[];
static volatile uintptr_t ill_rip;

static void skip_ud2(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    record(sig, si);
    ill_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uc->uc_mcontext.gregs[REG_RIP] += 2;
}

__attribute__((noipa)) static int run_ud2(void)
{
    int after = 0;
    __asm__ volatile(".globl ud2_site\nud2_site: ud2\n\tmovl $7, %0" : "=r"(after));
    return after;
}

static void test_ill(void)
{
    install(SIGILL, skip_ud2, 0);
    hits = 0;
    const int after = run_ud2();
    printf("ill: hits %d code ILLOPN %s addr is ud2 %s rip was ud2 %s resumed after it %s\n",
           hits, yesno(got_code == ILL_ILLOPN), yesno(got_addr == (void *)ud2_site),
           yesno(ill_rip == (uintptr_t)ud2_site), yesno(after == 7));
}

static void note_trap(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    record(sig, si);
    ill_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

__attribute__((noipa)) static void run_int3(void)
{
    __asm__ volatile("int3\n.globl int3_after\nint3_after: nop");
}

static void test_trap(void)
{
    install(SIGTRAP, note_trap, 0);
    hits = 0;
    run_int3();
    printf("trap: hits %d code SI_KERNEL %s rip after int3 %s\n", hits,
           yesno(got_code == SI_KERNEL), yesno(ill_rip == (uintptr_t)int3_after));
}

/* --- signals sent to oneself ----------------------------------------------------------- */

static void plain(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    record(sig, si);
}

static void test_raise_siginfo(void)
{
    install(SIGUSR1, plain, 0);
    hits = 0;
    CHECK(raise(SIGUSR1) == 0);
    printf("raise: hits %d signo %d code TKILL %s pid ok %s\n", hits, got_sig,
           yesno(got_code == SI_TKILL), yesno(got_pid_ok));
    hits = 0;
    CHECK(kill(getpid(), SIGUSR1) == 0);
    printf("kill: hits %d code USER %s pid ok %s\n", hits, yesno(got_code == SI_USER),
           yesno(got_pid_ok));
}

static volatile int old_style_sig;
static void old_style(int sig) { old_style_sig = sig; }

static void test_resethand(void)
{
    struct sigaction sa, now;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = old_style;
    sa.sa_flags = SA_RESETHAND;
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
    old_style_sig = 0;
    CHECK(raise(SIGUSR2) == 0);
    CHECK(sigaction(SIGUSR2, NULL, &now) == 0);
    printf("resethand: handler ran with %d, now default %s\n", old_style_sig,
           yesno(now.sa_handler == SIG_DFL));
}

static void test_blocked_then_unblocked(void)
{
    install(SIGUSR1, plain, 0);
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    hits = 0;
    CHECK(raise(SIGUSR1) == 0);
    CHECK(sigpending(&pending) == 0);
    printf("blocked: hits while blocked %d, pending %s\n", hits,
           yesno(sigismember(&pending, SIGUSR1)));
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
    CHECK(sigpending(&pending) == 0);
    printf("blocked: hits after unblock %d, pending %s\n", hits,
           yesno(sigismember(&pending, SIGUSR1)));
}

/* Two pending signals unblocked at once: SIGUSR1 (the lower) is delivered first, so its
 * frame is below SIGUSR2's and SIGUSR2's handler runs first. */
static char order[16];
static volatile int order_len;
static void note_order(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    order[order_len++] = sig == SIGUSR1 ? '1' : '2';
}

static void test_two_pending(void)
{
    install(SIGUSR1, note_order, 0);
    install(SIGUSR2, note_order, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    CHECK(raise(SIGUSR2) == 0);
    CHECK(raise(SIGUSR1) == 0);
    order_len = 0;
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
    order[order_len] = 0;
    printf("two pending: handlers ran in order %s\n", order);
}

static void test_suspend(void)
{
    install(SIGUSR1, plain, 0);
    sigset_t set, empty, now;
    sigemptyset(&set);
    sigemptyset(&empty);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    CHECK(raise(SIGUSR1) == 0);
    hits = 0;
    errno = 0;
    const int r = sigsuspend(&empty);
    const int e = errno;
    CHECK(sigprocmask(SIG_SETMASK, NULL, &now) == 0);
    printf("sigsuspend: returned %s, hits %d, mask restored %s\n", result_str(r, e), hits,
           yesno(sigismember(&now, SIGUSR1)));
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
}

static void test_sigpipe(void)
{
    install(SIGPIPE, plain, 0);
    int fds[2];
    CHECK(pipe(fds) == 0);
    close(fds[0]);
    hits = 0;
    errno = 0;
    const ssize_t n = write(fds[1], "x", 1);
    const int e = errno;
    printf("sigpipe: write %s, hits %d, code USER %s pid ok %s\n", result_str(n, e), hits,
           yesno(got_code == SI_USER), yesno(got_pid_ok));
    close(fds[1]);
}

/* --- nesting ------------------------------------------------------------------------- */

static char trail[32];
static volatile int trail_len;

static void outer(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    const int first = trail_len == 0;
    trail[trail_len++] = '(';
    raise(SIGUSR2); /* not blocked while SIGUSR1's handler runs: nests */
    if (first) raise(SIGUSR1); /* blocked in its own handler: runs again after it returns */
    trail[trail_len++] = ')';
}

static void inner(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    trail[trail_len++] = '*';
}

static volatile int depth, max_depth;
static void recurse(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    depth++;
    if (depth > max_depth) max_depth = depth;
    if (depth < 3) raise(sig); /* SA_NODEFER: runs again at once, one frame deeper */
    depth--;
}

static void test_nested(void)
{
    install(SIGUSR1, outer, 0);
    install(SIGUSR2, inner, 0);
    trail_len = 0;
    CHECK(raise(SIGUSR1) == 0);
    trail[trail_len] = 0;
    printf("nested: %s\n", trail);

    install(SIGUSR2, recurse, SA_NODEFER);
    depth = max_depth = 0;
    CHECK(raise(SIGUSR2) == 0);
    printf("nodefer: max depth %d, back to %d\n", max_depth, depth);
}

/* --- the alternate stack --------------------------------------------------------------- */

static char alt[65536] __attribute__((aligned(16)));
static volatile int on_alt, onstack_flag;

static void where_am_i(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    char here;
    on_alt = &here > alt && &here < alt + sizeof alt;
    stack_t now;
    onstack_flag = sigaltstack(NULL, &now) == 0 && (now.ss_flags & SS_ONSTACK);
}

static void test_altstack(void)
{
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0}, old;
    CHECK(sigaltstack(&ss, &old) == 0);
    printf("altstack: initially disabled %s\n", yesno(old.ss_flags == SS_DISABLE));
    install(SIGUSR1, where_am_i, SA_ONSTACK);
    CHECK(raise(SIGUSR1) == 0);
    printf("altstack: handler on it %s, reports SS_ONSTACK %s\n", yesno(on_alt),
           yesno(onstack_flag));
    install(SIGUSR1, where_am_i, 0);
    CHECK(raise(SIGUSR1) == 0);
    printf("altstack: without SA_ONSTACK on it %s, reports SS_ONSTACK %s\n", yesno(on_alt),
           yesno(onstack_flag));
    stack_t now;
    CHECK(sigaltstack(NULL, &now) == 0);
    printf("altstack: outside a handler flags %d size ok %s\n", now.ss_flags,
           yesno(now.ss_size == sizeof alt));
    ss.ss_flags = SS_DISABLE;
    CHECK(sigaltstack(&ss, NULL) == 0);
}

/* --- the interrupted context and the FPU ----------------------------------------------- */

extern char after_kill[];
static volatile int ctx_rip_ok, ctx_rcx_ok, ctx_r11_ok, ctx_rdi_ok, ctx_rax, ctx_aligned;
static volatile unsigned ctx_mxcsr, handler_mxcsr;
static volatile unsigned short ctx_fcw, handler_fcw;
static volatile double ctx_xmm8;

static void clobber(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    const greg_t *g = uc->uc_mcontext.gregs;
    ctx_rip_ok = g[REG_RIP] == (greg_t)(uintptr_t)after_kill;
    ctx_rcx_ok = g[REG_RCX] == g[REG_RIP];
    ctx_r11_ok = (g[REG_R11] & ~0x10000) == (g[REG_EFL] & ~0x10000);
    ctx_rdi_ok = g[REG_RDI] == getpid();
    ctx_rax = (int)g[REG_RAX];
    ctx_aligned = ((uintptr_t)uc % 16) == 0 && ((uintptr_t)uc->uc_mcontext.fpregs % 64) == 0;
    ctx_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    ctx_fcw = uc->uc_mcontext.fpregs->cwd;
    memcpy((void *)&ctx_xmm8, &uc->uc_mcontext.fpregs->_xmm[8], sizeof(double));
    /* A handler starts with the FPU in its initial state. */
    unsigned m;
    unsigned short c;
    __asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(m), "=m"(c));
    handler_mxcsr = m;
    handler_fcw = c;
    /* Clobber SSE and x87 state: sigreturn must bring the interrupted values back. */
    volatile double x = 1.0;
    for (int i = 0; i < 10; i++) x = x * 3.5 + 0.25;
    unsigned rz = 0x7f80; /* round toward zero, all exceptions masked */
    unsigned short c2 = 0x0c7f;
    __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\tpcmpeqd %%xmm8, %%xmm8\n\t"
                     "xorpd %%xmm15, %%xmm15\n\tldmxcsr %0\n\tfldcw %1"
                     :
                     : "m"(rz), "m"(c2)
                     : "xmm0", "xmm8", "xmm15");
}

static void test_context_and_fpu(void)
{
    install(SIGUSR1, clobber, 0);
    const double a = 1.25, b = -2.5e10, c = 3.0e-7;
    double ra, rb, rc;
    unsigned mx_in = 0x3f80, mx_out = 0; /* round down, all exceptions masked */
    unsigned short cw_in = 0x027f, cw_out = 0; /* 53-bit precision */
    long ret;
    const long pid = getpid();
    __asm__ volatile("ldmxcsr %[mx_in]\n\t"
                     "fldcw %[cw_in]\n\t"
                     "movsd %[a], %%xmm0\n\t"
                     "movsd %[b], %%xmm8\n\t"
                     "movsd %[c], %%xmm15\n\t"
                     "mov $62, %%eax\n\t" /* kill(pid, SIGUSR1) */
                     "mov %[pid], %%rdi\n\t"
                     "mov $10, %%esi\n\t"
                     "syscall\n"
                     ".globl after_kill\n"
                     "after_kill:\n\t"
                     "movsd %%xmm0, %[ra]\n\t"
                     "movsd %%xmm8, %[rb]\n\t"
                     "movsd %%xmm15, %[rc]\n\t"
                     "stmxcsr %[mx_out]\n\t"
                     "fnstcw %[cw_out]\n\t"
                     "ldmxcsr %[mx_default]\n\t"
                     "fldcw %[cw_default]"
                     : "=&a"(ret), [ra] "=m"(ra), [rb] "=m"(rb), [rc] "=m"(rc),
                       [mx_out] "=m"(mx_out), [cw_out] "=m"(cw_out)
                     : [a] "m"(a), [b] "m"(b), [c] "m"(c), [pid] "r"(pid), [mx_in] "m"(mx_in),
                       [cw_in] "m"(cw_in), [mx_default] "m"((unsigned){0x1f80}),
                       [cw_default] "m"((unsigned short){0x037f})
                     : "rdi", "rsi", "rcx", "r11", "memory", "xmm0", "xmm8", "xmm15");
    printf("context: rip after syscall %s, rcx = rip %s, r11 = rflags %s, rdi kept %s, "
           "rax %d\n",
           yesno(ctx_rip_ok), yesno(ctx_rcx_ok), yesno(ctx_r11_ok), yesno(ctx_rdi_ok), ctx_rax);
    printf("context: ucontext 16-aligned and fpstate 64-aligned %s\n", yesno(ctx_aligned));
    printf("fpu in frame: mxcsr %#x fcw %#x xmm8 %g\n", ctx_mxcsr, ctx_fcw, ctx_xmm8);
    printf("fpu in handler: mxcsr %#x fcw %#x\n", handler_mxcsr, handler_fcw);
    printf("fpu after: xmm0 %g xmm8 %g xmm15 %g mxcsr %#x fcw %#x syscall returned %ld\n", ra,
           rb, rc, mx_out, cw_out, ret);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_segv();
    test_segv_fixed();
    test_fpe();
    test_ill();
    test_trap();
    test_raise_siginfo();
    test_resethand();
    test_blocked_then_unblocked();
    test_two_pending();
    test_suspend();
    test_sigpipe();
    test_nested();
    test_altstack();
    test_context_and_fpu();
    printf("done\n");
    return 0;
}
