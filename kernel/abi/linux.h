// Guest ABI constants and structure layouts (Linux x86-64), in the kernel's own namespace.
// Host headers are never used for these: the guest ABI is fixed, the host's may differ.
// Each constant is Linux's name with a k prefix (abi::kMAP_PRIVATE): host headers define
// the bare names as macros, which would rewrite ours wherever both are seen.
#pragma once

#include "kernel/abi/errno.h"
#include "kernel/base/types.h"

namespace kernel::abi {

// mmap / mprotect
inline constexpr u64 kPROT_NONE = 0x0, kPROT_READ = 0x1, kPROT_WRITE = 0x2, kPROT_EXEC = 0x4;
inline constexpr u64 kPROT_GROWSDOWN = 0x01000000, kPROT_GROWSUP = 0x02000000;
inline constexpr u64 kMAP_SHARED = 0x01, kMAP_PRIVATE = 0x02, kMAP_SHARED_VALIDATE = 0x03;
inline constexpr u64 kMAP_TYPE = 0x0f, kMAP_FIXED = 0x10, kMAP_ANONYMOUS = 0x20;
inline constexpr u64 kMAP_32BIT = 0x40, kMAP_GROWSDOWN = 0x0100, kMAP_DENYWRITE = 0x0800;
inline constexpr u64 kMAP_EXECUTABLE = 0x1000, kMAP_LOCKED = 0x2000, kMAP_NORESERVE = 0x4000;
inline constexpr u64 kMAP_POPULATE = 0x8000, kMAP_NONBLOCK = 0x10000, kMAP_STACK = 0x20000;
inline constexpr u64 kMAP_HUGETLB = 0x40000, kMAP_SYNC = 0x80000, kMAP_FIXED_NOREPLACE = 0x100000;
inline constexpr u64 kMAP_UNINITIALIZED = 0x4000000;
// The flags a MAP_SHARED mapping keeps (the rest are ignored); MAP_SHARED_VALIDATE
// refuses any other with EOPNOTSUPP.
inline constexpr u64 kLEGACY_MAP_MASK =
    kMAP_SHARED | kMAP_PRIVATE | kMAP_FIXED | kMAP_ANONYMOUS | kMAP_DENYWRITE | kMAP_EXECUTABLE |
    kMAP_UNINITIALIZED | kMAP_GROWSDOWN | kMAP_LOCKED | kMAP_NORESERVE | kMAP_POPULATE |
    kMAP_NONBLOCK | kMAP_STACK | kMAP_HUGETLB | kMAP_32BIT | (u64{21} << 26) |
    (u64{30} << 26);  // MAP_HUGE_2MB, 1GB
inline constexpr u64 kMREMAP_MAYMOVE = 1, kMREMAP_FIXED = 2, kMREMAP_DONTUNMAP = 4;
// mlock2 / mlockall
inline constexpr u64 kMLOCK_ONFAULT = 0x01;
inline constexpr int kMCL_CURRENT = 1, kMCL_FUTURE = 2, kMCL_ONFAULT = 4;

// madvise
inline constexpr int kMADV_NORMAL = 0, kMADV_RANDOM = 1, kMADV_SEQUENTIAL = 2, kMADV_WILLNEED = 3;
inline constexpr int kMADV_DONTNEED = 4, kMADV_FREE = 8, kMADV_REMOVE = 9, kMADV_DONTFORK = 10;
inline constexpr int kMADV_DOFORK = 11, kMADV_MERGEABLE = 12, kMADV_UNMERGEABLE = 13;
inline constexpr int kMADV_HUGEPAGE = 14, kMADV_NOHUGEPAGE = 15, kMADV_DONTDUMP = 16;
inline constexpr int kMADV_DODUMP = 17, kMADV_WIPEONFORK = 18, kMADV_KEEPONFORK = 19;
inline constexpr int kMADV_COLD = 20, kMADV_PAGEOUT = 21, kMADV_POPULATE_READ = 22;
inline constexpr int kMADV_POPULATE_WRITE = 23, kMADV_DONTNEED_LOCKED = 24, kMADV_COLLAPSE = 25;
inline constexpr int kMADV_HWPOISON = 100, kMADV_SOFT_OFFLINE = 101;

// Signals
inline constexpr int kSIGHUP = 1, kSIGINT = 2, kSIGQUIT = 3, kSIGILL = 4, kSIGTRAP = 5,
                     kSIGABRT = 6;
inline constexpr int kSIGBUS = 7, kSIGFPE = 8, kSIGKILL = 9, kSIGUSR1 = 10, kSIGSEGV = 11;
inline constexpr int kSIGUSR2 = 12, kSIGPIPE = 13, kSIGALRM = 14, kSIGTERM = 15, kSIGCHLD = 17;
inline constexpr int kSIGCONT = 18, kSIGSTOP = 19, kSIGSYS = 31;
inline constexpr int kNumSignals = 64;
// si_code values
inline constexpr int kSI_USER = 0, kSI_KERNEL = 0x80, kSI_TKILL = -6;
inline constexpr int kSI_QUEUE = -1, kSI_TIMER = -2;
inline constexpr int kSIGVTALRM = 26, kSIGPROF = 27;
// sigevent's sigev_notify
inline constexpr int kSIGEV_SIGNAL = 0, kSIGEV_NONE = 1, kSIGEV_THREAD = 2, kSIGEV_THREAD_ID = 4;
// setitimer
inline constexpr int kITIMER_REAL = 0, kITIMER_VIRTUAL = 1, kITIMER_PROF = 2;
inline constexpr int kTIMER_ABSTIME = 1;
// The robust futex protocol (futex word bits)
inline constexpr u32 kFUTEX_WAITERS = 0x80000000, kFUTEX_OWNER_DIED = 0x40000000;
inline constexpr u32 kFUTEX_TID_MASK = 0x3fffffff;
// Scheduling policies
inline constexpr int kSCHED_OTHER = 0, kSCHED_FIFO = 1, kSCHED_RR = 2, kSCHED_BATCH = 3;
inline constexpr int kSCHED_IDLE = 5, kSCHED_DEADLINE = 6, kSCHED_RESET_ON_FORK = 0x40000000;
inline constexpr int kPRIO_PROCESS = 0, kPRIO_PGRP = 1, kPRIO_USER = 2;
inline constexpr int kSEGV_MAPERR = 1, kSEGV_ACCERR = 2;
inline constexpr int kBUS_ADRALN = 1, kBUS_ADRERR = 2, kBUS_OBJERR = 3;
inline constexpr int kBUS_MCEERR_AR = 4, kBUS_MCEERR_AO = 5;
inline constexpr int kILL_ILLOPN = 2, kFPE_INTDIV = 1, kTRAP_BRKPT = 1;
// The name of a signal as strace and the shell print it ("SIGSEGV"), or nullptr.
const char* signal_name(int sig);
// The name of a si_code for a signal ("SEGV_MAPERR", "SI_TKILL"), or nullptr.
const char* si_code_name(int sig, int code);

// Auxiliary vector
inline constexpr u64 kAT_NULL = 0, kAT_IGNORE = 1, kAT_EXECFD = 2, kAT_PHDR = 3, kAT_PHENT = 4;
inline constexpr u64 kAT_PHNUM = 5, kAT_PAGESZ = 6, kAT_BASE = 7, kAT_FLAGS = 8, kAT_ENTRY = 9;
inline constexpr u64 kAT_NOTELF = 10, kAT_UID = 11, kAT_EUID = 12, kAT_GID = 13, kAT_EGID = 14;
inline constexpr u64 kAT_PLATFORM = 15, kAT_HWCAP = 16, kAT_CLKTCK = 17, kAT_SECURE = 23;
inline constexpr u64 kAT_BASE_PLATFORM = 24, kAT_RANDOM = 25, kAT_HWCAP2 = 26, kAT_EXECFN = 31;
inline constexpr u64 kAT_SYSINFO_EHDR = 33, kAT_MINSIGSTKSZ = 51;

// Files
inline constexpr int kAT_FDCWD = -100;
inline constexpr int kAT_SYMLINK_NOFOLLOW = 0x100, kAT_REMOVEDIR = 0x200;
inline constexpr int kAT_SYMLINK_FOLLOW = 0x400, kAT_NO_AUTOMOUNT = 0x800, kAT_EMPTY_PATH = 0x1000;
inline constexpr int kAT_STATX_SYNC_TYPE = 0x6000;
inline constexpr u64 kO_RDONLY = 0, kO_WRONLY = 1, kO_RDWR = 2, kO_ACCMODE = 3;
inline constexpr u64 kO_CREAT = 0100, kO_EXCL = 0200, kO_NOCTTY = 0400, kO_TRUNC = 01000;
inline constexpr u64 kO_APPEND = 02000, kO_NONBLOCK = 04000, kO_DSYNC = 010000;
inline constexpr u64 kO_ASYNC = 020000, kO_DIRECT = 040000, kO_LARGEFILE = 0100000;
inline constexpr u64 kO_DIRECTORY = 0200000, kO_NOFOLLOW = 0400000, kO_NOATIME = 01000000;
inline constexpr u64 kO_CLOEXEC = 02000000, kO_PATH = 010000000, kO_TMPFILE = 020200000;
inline constexpr int kSEEK_SET = 0, kSEEK_CUR = 1, kSEEK_END = 2;
inline constexpr int kF_DUPFD = 0, kF_GETFD = 1, kF_SETFD = 2, kF_GETFL = 3, kF_SETFL = 4;
inline constexpr int kF_DUPFD_CLOEXEC = 1030, kFD_CLOEXEC = 1;
inline constexpr u32 kS_IFMT = 0170000, kS_IFDIR = 0040000, kS_IFREG = 0100000;
inline constexpr u32 kS_IFLNK = 0120000, kS_IFCHR = 0020000, kS_IFIFO = 0010000;
inline constexpr u32 kS_IFBLK = 0060000, kS_IFSOCK = 0140000;

// clone / clone3
inline constexpr u64 kCSIGNAL = 0xff, kCLONE_VM = 0x100, kCLONE_FS = 0x200, kCLONE_FILES = 0x400;
inline constexpr u64 kCLONE_SIGHAND = 0x800, kCLONE_PIDFD = 0x1000, kCLONE_PTRACE = 0x2000;
inline constexpr u64 kCLONE_VFORK = 0x4000, kCLONE_PARENT = 0x8000, kCLONE_THREAD = 0x10000;
inline constexpr u64 kCLONE_NEWNS = 0x20000, kCLONE_SYSVSEM = 0x40000, kCLONE_SETTLS = 0x80000;
inline constexpr u64 kCLONE_PARENT_SETTID = 0x100000, kCLONE_CHILD_CLEARTID = 0x200000;
inline constexpr u64 kCLONE_DETACHED = 0x400000, kCLONE_UNTRACED = 0x800000;
inline constexpr u64 kCLONE_CHILD_SETTID = 0x1000000, kCLONE_NEWCGROUP = 0x2000000;
inline constexpr u64 kCLONE_NEWUTS = 0x4000000, kCLONE_NEWIPC = 0x8000000;
inline constexpr u64 kCLONE_NEWUSER = 0x10000000, kCLONE_NEWPID = 0x20000000;
inline constexpr u64 kCLONE_NEWNET = 0x40000000, kCLONE_IO = 0x80000000;
inline constexpr u64 kCLONE_CLEAR_SIGHAND = 0x100000000, kCLONE_INTO_CGROUP = 0x200000000;
inline constexpr u64 kCLONE_NEWTIME = 0x80;
inline constexpr u64 kCLONE_NAMESPACES = kCLONE_NEWNS | kCLONE_NEWCGROUP | kCLONE_NEWUTS |
                                         kCLONE_NEWIPC | kCLONE_NEWUSER | kCLONE_NEWPID |
                                         kCLONE_NEWNET;

// wait4 / waitid
inline constexpr int kWNOHANG = 1, kWUNTRACED = 2, kWSTOPPED = 2, kWEXITED = 4, kWCONTINUED = 8;
inline constexpr int kWNOWAIT = 0x01000000, kWNOTHREAD = 0x20000000, kWALL = 0x40000000;
inline constexpr int kWCLONE = static_cast<int>(0x80000000u);
inline constexpr int kP_ALL = 0, kP_PID = 1, kP_PGID = 2, kP_PIDFD = 3;
inline constexpr int kCLD_EXITED = 1, kCLD_KILLED = 2, kCLD_DUMPED = 3, kCLD_TRAPPED = 4;
inline constexpr int kCLD_STOPPED = 5, kCLD_CONTINUED = 6;

// poll
inline constexpr u32 kPOLLIN = 0x1, kPOLLPRI = 0x2, kPOLLOUT = 0x4, kPOLLERR = 0x8;
inline constexpr u32 kPOLLHUP = 0x10, kPOLLNVAL = 0x20, kPOLLRDNORM = 0x40, kPOLLRDBAND = 0x80;
inline constexpr u32 kPOLLWRNORM = 0x100, kPOLLWRBAND = 0x200, kPOLLRDHUP = 0x2000;

// arch_prctl
inline constexpr int kARCH_SET_GS = 0x1001, kARCH_SET_FS = 0x1002, kARCH_GET_FS = 0x1003;
inline constexpr int kARCH_GET_GS = 0x1004, kARCH_GET_CPUID = 0x1011, kARCH_SET_CPUID = 0x1012;

// Clocks
inline constexpr int kCLOCK_REALTIME = 0, kCLOCK_MONOTONIC = 1, kCLOCK_PROCESS_CPUTIME_ID = 2;
inline constexpr int kCLOCK_THREAD_CPUTIME_ID = 3, kCLOCK_MONOTONIC_RAW = 4;
inline constexpr int kCLOCK_REALTIME_COARSE = 5, kCLOCK_MONOTONIC_COARSE = 6, kCLOCK_BOOTTIME = 7;

// getrandom
inline constexpr u64 kGRND_NONBLOCK = 1, kGRND_RANDOM = 2, kGRND_INSECURE = 4;

// rt_sigprocmask
inline constexpr int kSIG_BLOCK = 0, kSIG_UNBLOCK = 1, kSIG_SETMASK = 2;
inline constexpr u64 kSIG_DFL = 0, kSIG_IGN = 1;

// ioctl
inline constexpr u64 kTCGETS = 0x5401, kTIOCGWINSZ = 0x5413, kTIOCGPGRP = 0x540f;

// prlimit resources
inline constexpr int kRLIMIT_CPU = 0, kRLIMIT_FSIZE = 1, kRLIMIT_DATA = 2, kRLIMIT_STACK = 3;
inline constexpr int kRLIMIT_CORE = 4, kRLIMIT_RSS = 5, kRLIMIT_NPROC = 6, kRLIMIT_NOFILE = 7;
inline constexpr int kRLIMIT_MEMLOCK = 8, kRLIMIT_AS = 9, kRLIMIT_LOCKS = 10;
inline constexpr int kRLIMIT_SIGPENDING = 11, kRLIMIT_MSGQUEUE = 12, kRLIMIT_NICE = 13;
inline constexpr int kRLIMIT_RTPRIO = 14, kRLIMIT_RTTIME = 15;
inline constexpr u64 kRLIM_INFINITY = ~u64{0};

// /proc/kpageflags bit numbers (include/uapi/linux/kernel-page-flags.h; from 32 on the
// kernel-internal ones of include/linux/kernel-page-flags.h that 6.1 exports too)
inline constexpr int kKPF_LOCKED = 0, kKPF_ERROR = 1, kKPF_REFERENCED = 2, kKPF_UPTODATE = 3;
inline constexpr int kKPF_DIRTY = 4, kKPF_LRU = 5, kKPF_ACTIVE = 6, kKPF_SLAB = 7;
inline constexpr int kKPF_WRITEBACK = 8, kKPF_RECLAIM = 9, kKPF_BUDDY = 10, kKPF_MMAP = 11;
inline constexpr int kKPF_ANON = 12, kKPF_SWAPCACHE = 13, kKPF_SWAPBACKED = 14;
inline constexpr int kKPF_COMPOUND_HEAD = 15, kKPF_COMPOUND_TAIL = 16, kKPF_HUGE = 17;
inline constexpr int kKPF_UNEVICTABLE = 18, kKPF_HWPOISON = 19, kKPF_NOPAGE = 20, kKPF_KSM = 21;
inline constexpr int kKPF_THP = 22, kKPF_OFFLINE = 23, kKPF_ZERO_PAGE = 24, kKPF_IDLE = 25;
inline constexpr int kKPF_PGTABLE = 26, kKPF_RESERVED = 32, kKPF_MLOCKED = 33;
inline constexpr int kKPF_MAPPEDTODISK = 34, kKPF_PRIVATE = 35, kKPF_PRIVATE_2 = 36;
inline constexpr int kKPF_OWNER_PRIVATE = 37, kKPF_ARCH = 38, kKPF_UNCACHED = 39;
inline constexpr int kKPF_SOFTDIRTY = 40, kKPF_ARCH_2 = 41;

// Structure layouts, exactly as the x86-64 guest sees them.
struct Timespec {
  i64 tv_sec;
  i64 tv_nsec;
};
static_assert(sizeof(Timespec) == 16);

struct Iovec {
  u64 base;
  u64 len;
};
static_assert(sizeof(Iovec) == 16);

struct Stat {
  u64 st_dev;
  u64 st_ino;
  u64 st_nlink;
  u32 st_mode;
  u32 st_uid;
  u32 st_gid;
  u32 pad0;
  u64 st_rdev;
  i64 st_size;
  i64 st_blksize;
  i64 st_blocks;
  Timespec st_atim;
  Timespec st_mtim;
  Timespec st_ctim;
  i64 unused[3];
};
static_assert(sizeof(Stat) == 144);

struct StatxTimestamp {
  i64 tv_sec;
  u32 tv_nsec;
  i32 reserved;
};

struct Statx {
  u32 stx_mask;
  u32 stx_blksize;
  u64 stx_attributes;
  u32 stx_nlink;
  u32 stx_uid;
  u32 stx_gid;
  u16 stx_mode;
  u16 pad1;
  u64 stx_ino;
  u64 stx_size;
  u64 stx_blocks;
  u64 stx_attributes_mask;
  StatxTimestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
  u32 stx_rdev_major, stx_rdev_minor;
  u32 stx_dev_major, stx_dev_minor;
  u64 stx_mnt_id;
  u32 stx_dio_mem_align, stx_dio_offset_align;
  u64 spare[12];
};
static_assert(sizeof(Statx) == 256);
inline constexpr u32 kSTATX_BASIC_STATS = 0x7ff, kSTATX_BTIME = 0x800, kSTATX_MNT_ID = 0x1000;

struct Utsname {
  char sysname[65];
  char nodename[65];
  char release[65];
  char version[65];
  char machine[65];
  char domainname[65];
};
static_assert(sizeof(Utsname) == 390);

struct Rlimit {
  u64 cur;
  u64 max;
};

struct Winsize {
  u16 ws_row, ws_col, ws_xpixel, ws_ypixel;
};

// ELF (only what the loader reads)
inline constexpr u16 kET_EXEC = 2, kET_DYN = 3, kEM_X86_64 = 62;
inline constexpr u32 kPT_NULL = 0, kPT_LOAD = 1, kPT_DYNAMIC = 2, kPT_INTERP = 3, kPT_NOTE = 4;
inline constexpr u32 kPT_PHDR = 6, kPT_TLS = 7, kPT_GNU_STACK = 0x6474e551;
inline constexpr u32 kPF_X = 1, kPF_W = 2, kPF_R = 4;

struct Elf64Ehdr {
  u8 e_ident[16];
  u16 e_type;
  u16 e_machine;
  u32 e_version;
  u64 e_entry;
  u64 e_phoff;
  u64 e_shoff;
  u32 e_flags;
  u16 e_ehsize;
  u16 e_phentsize;
  u16 e_phnum;
  u16 e_shentsize;
  u16 e_shnum;
  u16 e_shstrndx;
};
static_assert(sizeof(Elf64Ehdr) == 64);

struct Elf64Phdr {
  u32 p_type;
  u32 p_flags;
  u64 p_offset;
  u64 p_vaddr;
  u64 p_paddr;
  u64 p_filesz;
  u64 p_memsz;
  u64 p_align;
};
static_assert(sizeof(Elf64Phdr) == 56);

}  // namespace kernel::abi
