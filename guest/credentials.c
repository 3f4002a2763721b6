/* Credentials: ids, groups, capabilities and the permission checks they drive.
 *
 * Runs as root (natively and under emu's default); a run as anyone else prints only its
 * ids. The host's capability sets may lack some bits (containers drop a few), so sets are
 * printed as relations and single bits, never as raw masks. Privileges are dropped
 * in-process, first the effective uid only (to test files, then come back to clean up),
 * at the end for good; the files live in a fresh directory under /tmp that is removed.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

struct cap_header {
    uint32_t version;
    int pid;
};
struct cap_data {
    uint32_t effective, permitted, inheritable;
};
#define CAP_V1 0x19980330u
#define CAP_V3 0x20080522u
enum { C_CHOWN = 0, C_DAC_OVERRIDE = 1, C_FOWNER = 3, C_KILL = 5, C_SETGID = 6, C_SETUID = 7,
       C_SETPCAP = 8, C_SYS_PTRACE = 19, C_SYS_BOOT = 22 };

static int capget3(struct cap_data d[2])
{
    struct cap_header h = {CAP_V3, 0};
    return (int)syscall(SYS_capget, &h, d);
}
static int capset3(uint64_t eff, uint64_t prm, uint64_t inh)
{
    struct cap_header h = {CAP_V3, 0};
    struct cap_data d[2] = {{(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
                            {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)}};
    return (int)syscall(SYS_capset, &h, d);
}
static void sets(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
    struct cap_data d[2];
    if (capget3(d) != 0) { printf("capget failed\n"); exit(1); }
    *eff = d[0].effective | (uint64_t)d[1].effective << 32;
    *prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
    *inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
}
static int has(uint64_t set, int cap) { return (int)((set >> cap) & 1); }

static void show_ids(const char *when)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    printf("%s: uid %u %u %u fsuid %d gid %u %u %u\n", when, r, e, s, setfsuid(-1), gr, ge, gs);
}
static void show_caps(const char *when, uint64_t root_prm)
{
    uint64_t eff, prm, inh;
    sets(&eff, &prm, &inh);
    printf("%s: eff==prm %d prm==root %d prm0 %d eff0 %d inh %llx setuid %d kill %d chown %d "
           "dac %d ptrace %d\n",
           when, eff == prm, prm == root_prm, prm == 0, eff == 0, (unsigned long long)inh,
           has(eff, C_SETUID), has(eff, C_KILL), has(eff, C_CHOWN), has(eff, C_DAC_OVERRIDE),
           has(eff, C_SYS_PTRACE));
}
static void status_lines(const char *prefixes[])
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[512];
    if (!f) { printf("no status\n"); return; }
    while (fgets(line, sizeof line, f))
        for (const char **p = prefixes; *p; ++p)
            if (strncmp(line, *p, strlen(*p)) == 0) fputs(line, stdout);
    fclose(f);
}
static void result(const char *what, long rc)
{
    printf("%s = %ld %s\n", what, rc, rc < 0 ? errname(errno) : "");
}
static void owner(const char *what, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) { printf("%s: stat %s\n", what, errname(errno)); return; }
    printf("%s: uid %u gid %u mode %o\n", what, st.st_uid, st.st_gid, st.st_mode & 07777);
}

int main(void)
{
    if (getuid() != 0 || geteuid() != 0) {
        show_ids("not root");
        return 0;
    }
    show_ids("start");
    uint64_t root_eff, root_prm, root_inh;
    sets(&root_eff, &root_prm, &root_inh);
    show_caps("root", root_prm);

    /* capget's version handshake and pid rules. */
    struct cap_header h = {0x12345678, 0};
    struct cap_data d[2];
    errno = 0;
    long rc = syscall(SYS_capget, &h, d);
    printf("capget bad version = %ld %s version %x\n", rc, errname(errno), h.version);
    h.version = 0x12345678;
    rc = syscall(SYS_capget, &h, NULL);
    printf("capget probe = %ld version %x\n", rc, h.version);
    h.version = CAP_V1;
    memset(d, 0xff, sizeof d);
    rc = syscall(SYS_capget, &h, d);
    printf("capget v1 = %ld second struct untouched %d\n", rc, d[1].effective == 0xffffffffu);
    h.version = CAP_V3;
    h.pid = -1;
    result("capget pid -1", syscall(SYS_capget, &h, d));
    struct cap_data keep[2];
    h.pid = 0;
    capget3(keep);
    h.pid = getpid() + 1000;
    result("capset other pid", syscall(SYS_capset, &h, keep));

    /* Bounding set and ambient capabilities. */
    result("capbset_read setuid", prctl(PR_CAPBSET_READ, C_SETUID, 0, 0, 0));
    result("capbset_read 41", prctl(PR_CAPBSET_READ, 41, 0, 0, 0));
    result("capbset_drop sys_boot", prctl(PR_CAPBSET_DROP, C_SYS_BOOT, 0, 0, 0));
    result("capbset_read sys_boot", prctl(PR_CAPBSET_READ, C_SYS_BOOT, 0, 0, 0));
    result("ambient raise kill (not inheritable)",
           prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, C_KILL, 0, 0));
    result("capset inh kill", capset3(root_eff, root_prm, 1ull << C_KILL));
    result("ambient raise kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, C_KILL, 0, 0));
    result("ambient is_set kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, C_KILL, 0, 0));
    result("ambient clear_all extra", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
    result("capset eff beyond prm", capset3(1ull << C_KILL, 0, 1ull << C_KILL));
    result("keepcaps 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
    result("get keepcaps", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));

    /* Groups. */
    gid_t set[3] = {30, 10, 20}, got[8];
    result("setgroups", setgroups(3, set));
    int n = getgroups(8, got);
    printf("getgroups = %d:", n);
    for (int i = 0; i < n; ++i) printf(" %u", got[i]);
    printf("\n");
    result("getgroups too small", getgroups(1, got));
    const char *id_lines[] = {"Uid:", "Gid:", "Groups:", NULL};
    status_lines(id_lines);

    /* fsuid alone: a new file belongs to it, capabilities follow it. */
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/emu-cred-%d", (int)getpid());
    if (mkdir(dir, 0700) != 0 || chmod(dir, 01777) != 0) { printf("mkdir failed\n"); return 1; }
    printf("setfsuid 1234 = %d\n", setfsuid(1234));
    show_caps("fsuid 1234", root_prm);
    snprintf(path, sizeof path, "%s/by_fsuid", dir);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    owner("by_fsuid", path);
    printf("setfsuid 0 = %d\n", setfsuid(0));
    show_caps("fsuid 0", root_prm);

    /* Root-owned files to test against, in a sticky directory and a set-group-ID one. */
    char secret[128], rootfile[128], sgid[128];
    snprintf(secret, sizeof secret, "%s/secret", dir);
    snprintf(rootfile, sizeof rootfile, "%s/rootfile", dir);
    snprintf(sgid, sizeof sgid, "%s/sgid", dir);
    close(open(secret, O_CREAT | O_WRONLY, 0600));
    chmod(secret, 0600);
    close(open(rootfile, O_CREAT | O_WRONLY, 0666));
    chmod(rootfile, 0666);
    mkdir(sgid, 0777);
    chown(sgid, 0, 100);
    chmod(sgid, 02777);

    /* Effective uid 65534 only: the real and saved uids stay root. */
    result("setresuid -1 65534 -1", setresuid(-1, 65534, -1));
    show_ids("euid dropped");
    show_caps("euid dropped", root_prm);
    errno = 0;
    result("open secret", open(secret, O_RDONLY));
    result("access secret (real ids)", access(secret, R_OK));
    result("faccessat secret AT_EACCESS", faccessat(AT_FDCWD, secret, R_OK, AT_EACCESS));
    int fd = open(rootfile, O_RDWR);
    printf("open rootfile rw ok %d\n", fd >= 0);
    close(fd);
    result("unlink rootfile (sticky)", unlink(rootfile));
    result("chmod rootfile (not owner)", chmod(rootfile, 0600));
    result("chown rootfile", chown(rootfile, 65534, -1));
    snprintf(path, sizeof path, "%s/mine", dir);
    fd = open(path, O_CREAT | O_WRONLY, 0640);
    printf("create mine ok %d\n", fd >= 0);
    close(fd);
    owner("mine", path);
    result("chmod mine", chmod(path, 0600));
    result("chown mine to root", chown(path, 0, -1));
    result("chown mine to self", chown(path, 65534, -1));
    result("rename mine over rootfile", rename(path, rootfile));
    snprintf(path, sizeof path, "%s/file", sgid);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    owner("file in sgid dir", path);
    snprintf(path, sizeof path, "%s/sub", sgid);
    mkdir(path, 0755);
    owner("dir in sgid dir", path);
    result("setgroups unprivileged", setgroups(0, NULL));
    result("setuid 0 with root saved", setresuid(-1, 0, -1));
    show_caps("back to root", root_prm);

    /* Clean up as root. */
    snprintf(path, sizeof path, "%s/file", sgid);
    unlink(path);
    snprintf(path, sizeof path, "%s/sub", sgid);
    rmdir(path);
    rmdir(sgid);
    unlink(secret);
    unlink(rootfile);
    snprintf(path, sizeof path, "%s/mine", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/by_fsuid", dir);
    unlink(path);
    result("rmdir", rmdir(dir));

    /* For good, keeping the permitted set through the drop. */
    result("set keepcaps", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    result("setresuid 65534", setresuid(65534, 65534, 65534));
    show_ids("dropped");
    show_caps("dropped keepcaps", root_prm);
    result("ambient is_set kill", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, C_KILL, 0, 0));
    result("capset eff kill", capset3(1ull << C_KILL, root_prm, 0));
    show_caps("eff kill", root_prm);
    result("capset all empty", capset3(0, 0, 0));
    result("capset regain", capset3(0, 1ull << C_KILL, 0));
    result("setuid 0", setuid(0));
    result("setresuid 0", setresuid(0, 0, 0));
    result("setreuid 65534 -1", setreuid(65534, -1));
    result("setgid 1", setgid(1));
    result("capbset_drop unprivileged", prctl(PR_CAPBSET_DROP, C_CHOWN, 0, 0, 0));
    printf("setfsuid 0 = %d then %d\n", setfsuid(0), setfsuid(-1));
    show_ids("final");
    const char *cap_lines[] = {"Uid:", "Gid:", "CapInh:", "CapPrm:", "CapEff:", "CapAmb:", NULL};
    status_lines(cap_lines);
    return 0;
}
