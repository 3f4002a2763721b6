// The name of every x86-64 Linux syscall (Linux 6.1, arch/x86/entry/syscalls/syscall_64.tbl),
// with the number of arguments strace shows for it. --strace uses these for the calls emu does
// not implement, so a guest's failed io_uring_setup still reads as io_uring_setup.
#include "kernel/syscalls/strace.h"
#include "kernel/syscalls/syscall.h"

namespace kernel::syscalls {

namespace {

struct SyscallName {
  const char* name;
  int arg_count;  // as strace's x86_64 syscallent.h has it
};

// Numbers 0..334 are dense.
constexpr SyscallName kLowNames[] = {
    {"read", 3},                    // 0
    {"write", 3},                   // 1
    {"open", 3},                    // 2
    {"close", 1},                   // 3
    {"stat", 2},                    // 4
    {"fstat", 2},                   // 5
    {"lstat", 2},                   // 6
    {"poll", 3},                    // 7
    {"lseek", 3},                   // 8
    {"mmap", 6},                    // 9
    {"mprotect", 3},                // 10
    {"munmap", 2},                  // 11
    {"brk", 1},                     // 12
    {"rt_sigaction", 4},            // 13
    {"rt_sigprocmask", 4},          // 14
    {"rt_sigreturn", 0},            // 15
    {"ioctl", 3},                   // 16
    {"pread64", 4},                 // 17
    {"pwrite64", 4},                // 18
    {"readv", 3},                   // 19
    {"writev", 3},                  // 20
    {"access", 2},                  // 21
    {"pipe", 1},                    // 22
    {"select", 5},                  // 23
    {"sched_yield", 0},             // 24
    {"mremap", 5},                  // 25
    {"msync", 3},                   // 26
    {"mincore", 3},                 // 27
    {"madvise", 3},                 // 28
    {"shmget", 3},                  // 29
    {"shmat", 3},                   // 30
    {"shmctl", 3},                  // 31
    {"dup", 1},                     // 32
    {"dup2", 2},                    // 33
    {"pause", 0},                   // 34
    {"nanosleep", 2},               // 35
    {"getitimer", 2},               // 36
    {"alarm", 1},                   // 37
    {"setitimer", 3},               // 38
    {"getpid", 0},                  // 39
    {"sendfile", 4},                // 40
    {"socket", 3},                  // 41
    {"connect", 3},                 // 42
    {"accept", 3},                  // 43
    {"sendto", 6},                  // 44
    {"recvfrom", 6},                // 45
    {"sendmsg", 3},                 // 46
    {"recvmsg", 3},                 // 47
    {"shutdown", 2},                // 48
    {"bind", 3},                    // 49
    {"listen", 2},                  // 50
    {"getsockname", 3},             // 51
    {"getpeername", 3},             // 52
    {"socketpair", 4},              // 53
    {"setsockopt", 5},              // 54
    {"getsockopt", 5},              // 55
    {"clone", 5},                   // 56
    {"fork", 0},                    // 57
    {"vfork", 0},                   // 58
    {"execve", 3},                  // 59
    {"exit", 1},                    // 60
    {"wait4", 4},                   // 61
    {"kill", 2},                    // 62
    {"uname", 1},                   // 63
    {"semget", 3},                  // 64
    {"semop", 3},                   // 65
    {"semctl", 4},                  // 66
    {"shmdt", 1},                   // 67
    {"msgget", 2},                  // 68
    {"msgsnd", 4},                  // 69
    {"msgrcv", 5},                  // 70
    {"msgctl", 3},                  // 71
    {"fcntl", 3},                   // 72
    {"flock", 2},                   // 73
    {"fsync", 1},                   // 74
    {"fdatasync", 1},               // 75
    {"truncate", 2},                // 76
    {"ftruncate", 2},               // 77
    {"getdents", 3},                // 78
    {"getcwd", 2},                  // 79
    {"chdir", 1},                   // 80
    {"fchdir", 1},                  // 81
    {"rename", 2},                  // 82
    {"mkdir", 2},                   // 83
    {"rmdir", 1},                   // 84
    {"creat", 2},                   // 85
    {"link", 2},                    // 86
    {"unlink", 1},                  // 87
    {"symlink", 2},                 // 88
    {"readlink", 3},                // 89
    {"chmod", 2},                   // 90
    {"fchmod", 2},                  // 91
    {"chown", 3},                   // 92
    {"fchown", 3},                  // 93
    {"lchown", 3},                  // 94
    {"umask", 1},                   // 95
    {"gettimeofday", 2},            // 96
    {"getrlimit", 2},               // 97
    {"getrusage", 2},               // 98
    {"sysinfo", 1},                 // 99
    {"times", 1},                   // 100
    {"ptrace", 4},                  // 101
    {"getuid", 0},                  // 102
    {"syslog", 3},                  // 103
    {"getgid", 0},                  // 104
    {"setuid", 1},                  // 105
    {"setgid", 1},                  // 106
    {"geteuid", 0},                 // 107
    {"getegid", 0},                 // 108
    {"setpgid", 2},                 // 109
    {"getppid", 0},                 // 110
    {"getpgrp", 0},                 // 111
    {"setsid", 0},                  // 112
    {"setreuid", 2},                // 113
    {"setregid", 2},                // 114
    {"getgroups", 2},               // 115
    {"setgroups", 2},               // 116
    {"setresuid", 3},               // 117
    {"getresuid", 3},               // 118
    {"setresgid", 3},               // 119
    {"getresgid", 3},               // 120
    {"getpgid", 1},                 // 121
    {"setfsuid", 1},                // 122
    {"setfsgid", 1},                // 123
    {"getsid", 1},                  // 124
    {"capget", 2},                  // 125
    {"capset", 2},                  // 126
    {"rt_sigpending", 2},           // 127
    {"rt_sigtimedwait", 4},         // 128
    {"rt_sigqueueinfo", 3},         // 129
    {"rt_sigsuspend", 2},           // 130
    {"sigaltstack", 2},             // 131
    {"utime", 2},                   // 132
    {"mknod", 3},                   // 133
    {"uselib", 1},                  // 134
    {"personality", 1},             // 135
    {"ustat", 2},                   // 136
    {"statfs", 2},                  // 137
    {"fstatfs", 2},                 // 138
    {"sysfs", 3},                   // 139
    {"getpriority", 2},             // 140
    {"setpriority", 3},             // 141
    {"sched_setparam", 2},          // 142
    {"sched_getparam", 2},          // 143
    {"sched_setscheduler", 3},      // 144
    {"sched_getscheduler", 1},      // 145
    {"sched_get_priority_max", 1},  // 146
    {"sched_get_priority_min", 1},  // 147
    {"sched_rr_get_interval", 2},   // 148
    {"mlock", 2},                   // 149
    {"munlock", 2},                 // 150
    {"mlockall", 1},                // 151
    {"munlockall", 0},              // 152
    {"vhangup", 0},                 // 153
    {"modify_ldt", 3},              // 154
    {"pivot_root", 2},              // 155
    {"_sysctl", 1},                 // 156
    {"prctl", 5},                   // 157
    {"arch_prctl", 2},              // 158
    {"adjtimex", 1},                // 159
    {"setrlimit", 2},               // 160
    {"chroot", 1},                  // 161
    {"sync", 0},                    // 162
    {"acct", 1},                    // 163
    {"settimeofday", 2},            // 164
    {"mount", 5},                   // 165
    {"umount2", 2},                 // 166
    {"swapon", 2},                  // 167
    {"swapoff", 1},                 // 168
    {"reboot", 4},                  // 169
    {"sethostname", 2},             // 170
    {"setdomainname", 2},           // 171
    {"iopl", 1},                    // 172
    {"ioperm", 3},                  // 173
    {"create_module", 2},           // 174
    {"init_module", 3},             // 175
    {"delete_module", 2},           // 176
    {"get_kernel_syms", 1},         // 177
    {"query_module", 5},            // 178
    {"quotactl", 4},                // 179
    {"nfsservctl", 3},              // 180
    {"getpmsg", 5},                 // 181
    {"putpmsg", 5},                 // 182
    {"afs_syscall", 5},             // 183
    {"tuxcall", 3},                 // 184
    {"security", 3},                // 185
    {"gettid", 0},                  // 186
    {"readahead", 3},               // 187
    {"setxattr", 5},                // 188
    {"lsetxattr", 5},               // 189
    {"fsetxattr", 5},               // 190
    {"getxattr", 4},                // 191
    {"lgetxattr", 4},               // 192
    {"fgetxattr", 4},               // 193
    {"listxattr", 3},               // 194
    {"llistxattr", 3},              // 195
    {"flistxattr", 3},              // 196
    {"removexattr", 2},             // 197
    {"lremovexattr", 2},            // 198
    {"fremovexattr", 2},            // 199
    {"tkill", 2},                   // 200
    {"time", 1},                    // 201
    {"futex", 6},                   // 202
    {"sched_setaffinity", 3},       // 203
    {"sched_getaffinity", 3},       // 204
    {"set_thread_area", 1},         // 205
    {"io_setup", 2},                // 206
    {"io_destroy", 1},              // 207
    {"io_getevents", 5},            // 208
    {"io_submit", 3},               // 209
    {"io_cancel", 3},               // 210
    {"get_thread_area", 1},         // 211
    {"lookup_dcookie", 3},          // 212
    {"epoll_create", 1},            // 213
    {"epoll_ctl_old", 4},           // 214
    {"epoll_wait_old", 4},          // 215
    {"remap_file_pages", 5},        // 216
    {"getdents64", 3},              // 217
    {"set_tid_address", 1},         // 218
    {"restart_syscall", 0},         // 219
    {"semtimedop", 4},              // 220
    {"fadvise64", 4},               // 221
    {"timer_create", 3},            // 222
    {"timer_settime", 4},           // 223
    {"timer_gettime", 2},           // 224
    {"timer_getoverrun", 1},        // 225
    {"timer_delete", 1},            // 226
    {"clock_settime", 2},           // 227
    {"clock_gettime", 2},           // 228
    {"clock_getres", 2},            // 229
    {"clock_nanosleep", 4},         // 230
    {"exit_group", 1},              // 231
    {"epoll_wait", 4},              // 232
    {"epoll_ctl", 4},               // 233
    {"tgkill", 3},                  // 234
    {"utimes", 2},                  // 235
    {"vserver", 5},                 // 236
    {"mbind", 6},                   // 237
    {"set_mempolicy", 3},           // 238
    {"get_mempolicy", 5},           // 239
    {"mq_open", 4},                 // 240
    {"mq_unlink", 1},               // 241
    {"mq_timedsend", 5},            // 242
    {"mq_timedreceive", 5},         // 243
    {"mq_notify", 2},               // 244
    {"mq_getsetattr", 3},           // 245
    {"kexec_load", 4},              // 246
    {"waitid", 5},                  // 247
    {"add_key", 5},                 // 248
    {"request_key", 4},             // 249
    {"keyctl", 5},                  // 250
    {"ioprio_set", 3},              // 251
    {"ioprio_get", 2},              // 252
    {"inotify_init", 0},            // 253
    {"inotify_add_watch", 3},       // 254
    {"inotify_rm_watch", 2},        // 255
    {"migrate_pages", 4},           // 256
    {"openat", 4},                  // 257
    {"mkdirat", 3},                 // 258
    {"mknodat", 4},                 // 259
    {"fchownat", 5},                // 260
    {"futimesat", 3},               // 261
    {"newfstatat", 4},              // 262
    {"unlinkat", 3},                // 263
    {"renameat", 4},                // 264
    {"linkat", 5},                  // 265
    {"symlinkat", 3},               // 266
    {"readlinkat", 4},              // 267
    {"fchmodat", 3},                // 268
    {"faccessat", 3},               // 269
    {"pselect6", 6},                // 270
    {"ppoll", 5},                   // 271
    {"unshare", 1},                 // 272
    {"set_robust_list", 2},         // 273
    {"get_robust_list", 3},         // 274
    {"splice", 6},                  // 275
    {"tee", 4},                     // 276
    {"sync_file_range", 4},         // 277
    {"vmsplice", 4},                // 278
    {"move_pages", 6},              // 279
    {"utimensat", 4},               // 280
    {"epoll_pwait", 6},             // 281
    {"signalfd", 3},                // 282
    {"timerfd_create", 2},          // 283
    {"eventfd", 1},                 // 284
    {"fallocate", 4},               // 285
    {"timerfd_settime", 4},         // 286
    {"timerfd_gettime", 2},         // 287
    {"accept4", 4},                 // 288
    {"signalfd4", 4},               // 289
    {"eventfd2", 2},                // 290
    {"epoll_create1", 1},           // 291
    {"dup3", 3},                    // 292
    {"pipe2", 2},                   // 293
    {"inotify_init1", 1},           // 294
    {"preadv", 4},                  // 295
    {"pwritev", 4},                 // 296
    {"rt_tgsigqueueinfo", 4},       // 297
    {"perf_event_open", 5},         // 298
    {"recvmmsg", 5},                // 299
    {"fanotify_init", 2},           // 300
    {"fanotify_mark", 5},           // 301
    {"prlimit64", 4},               // 302
    {"name_to_handle_at", 5},       // 303
    {"open_by_handle_at", 3},       // 304
    {"clock_adjtime", 2},           // 305
    {"syncfs", 1},                  // 306
    {"sendmmsg", 4},                // 307
    {"setns", 2},                   // 308
    {"getcpu", 3},                  // 309
    {"process_vm_readv", 6},        // 310
    {"process_vm_writev", 6},       // 311
    {"kcmp", 5},                    // 312
    {"finit_module", 3},            // 313
    {"sched_setattr", 3},           // 314
    {"sched_getattr", 4},           // 315
    {"renameat2", 5},               // 316
    {"seccomp", 3},                 // 317
    {"getrandom", 3},               // 318
    {"memfd_create", 2},            // 319
    {"kexec_file_load", 5},         // 320
    {"bpf", 3},                     // 321
    {"execveat", 5},                // 322
    {"userfaultfd", 1},             // 323
    {"membarrier", 3},              // 324
    {"mlock2", 3},                  // 325
    {"copy_file_range", 6},         // 326
    {"preadv2", 6},                 // 327
    {"pwritev2", 6},                // 328
    {"pkey_mprotect", 4},           // 329
    {"pkey_alloc", 2},              // 330
    {"pkey_free", 1},               // 331
    {"statx", 5},                   // 332
    {"io_pgetevents", 6},           // 333
    {"rseq", 4},                    // 334
};

// 335..423 are reserved on x86-64 so that the generic numbers from 424 on line up.
constexpr u64 kHighBase = 424;
constexpr SyscallName kHighNames[] = {
    {"pidfd_send_signal", 4},        // 424
    {"io_uring_setup", 2},           // 425
    {"io_uring_enter", 6},           // 426
    {"io_uring_register", 4},        // 427
    {"open_tree", 3},                // 428
    {"move_mount", 5},               // 429
    {"fsopen", 2},                   // 430
    {"fsconfig", 5},                 // 431
    {"fsmount", 3},                  // 432
    {"fspick", 3},                   // 433
    {"pidfd_open", 2},               // 434
    {"clone3", 2},                   // 435
    {"close_range", 3},              // 436
    {"openat2", 4},                  // 437
    {"pidfd_getfd", 3},              // 438
    {"faccessat2", 4},               // 439
    {"process_madvise", 5},          // 440
    {"epoll_pwait2", 6},             // 441
    {"mount_setattr", 5},            // 442
    {"quotactl_fd", 4},              // 443
    {"landlock_create_ruleset", 3},  // 444
    {"landlock_add_rule", 4},        // 445
    {"landlock_restrict_self", 2},   // 446
    {"memfd_secret", 1},             // 447
    {"process_mrelease", 2},         // 448
    {"futex_waitv", 5},              // 449
    {"set_mempolicy_home_node", 4},  // 450
};

constexpr u64 kLowCount = sizeof(kLowNames) / sizeof(kLowNames[0]);
constexpr u64 kHighCount = sizeof(kHighNames) / sizeof(kHighNames[0]);
static_assert(kLowCount == 335, "0..334 must all be listed");
static_assert(kHighCount == 27, "424..450 must all be listed");

const SyscallName* find(u64 nr) {
  if (nr < kLowCount) return &kLowNames[nr];
  if (nr >= kHighBase && nr - kHighBase < kHighCount) return &kHighNames[nr - kHighBase];
  return nullptr;
}

}  // namespace

const char* syscall_name(u64 nr) {
  const SyscallName* entry = find(nr);
  return entry ? entry->name : nullptr;
}

int syscall_arg_count(u64 nr) {
  const SyscallName* entry = find(nr);
  return entry ? entry->arg_count : kMaxSyscallArgs;
}

}  // namespace kernel::syscalls
