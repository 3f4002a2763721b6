/* syscall_fuzz: calls every syscall number 0..459 with random arguments (fixed seed),
 * skipping those that would end or stop the process, unmap its own code or wait for ever. The test is
 * that the emulator survives and the program gets to say so; native runs are not compared:
 * a host kernel may kill it for calls emu does not have (seccomp, modify_ldt ...). */
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
static uint64_t s = 88172645463325252ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static uint64_t arg(void) {
  switch (rnd() % 6) {
    case 0: return 0;
    case 1: return rnd();
    case 2: return rnd() & 0xfff;
    case 3: return (uint64_t)-1 - (rnd() & 0xff);
    case 4: return 0x7ffffffff000ull - (rnd() & 0xffff);
    default: return 0x400000 + (rnd() & 0xfffff);
  }
}
int main(void) {
  for (int round = 0; round < 10; round++)
    for (long nr = 0; nr < 460; nr++) {
      switch (nr) {
        case SYS_exit: case SYS_exit_group: case SYS_kill: case SYS_tkill: case SYS_tgkill:
        case SYS_munmap: case SYS_mremap: case SYS_mprotect: case SYS_brk: case SYS_rt_sigreturn:
        case SYS_pause: case SYS_rt_sigsuspend: case SYS_read: case SYS_readv: case SYS_pread64:
        case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_fork: case SYS_vfork: case SYS_clone:
        case SYS_clone3: case SYS_execve: case SYS_execveat: case SYS_madvise: case SYS_mmap:
        case SYS_arch_prctl: case SYS_rt_sigprocmask: case SYS_prctl: case SYS_setrlimit:
        case SYS_prlimit64: case SYS_close: case SYS_dup2: case SYS_dup3: case SYS_sendfile:
        case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_chdir: case SYS_fchdir:
        case SYS_set_tid_address: case SYS_sched_yield: case SYS_sigaltstack:
        case SYS_rt_sigaction: case SYS_pipe: case SYS_pipe2:
        /* Calls that may wait for ever, as read does. */
        case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6: case SYS_epoll_wait:
        case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_recvfrom: case SYS_recvmsg:
        case SYS_sendto: case SYS_sendmsg: case SYS_fcntl:
          continue;
      }
      syscall(nr, arg(), arg(), arg(), arg(), arg(), arg());
    }
  puts("survived");
  return 0;
}
