/* socketpair(AF_UNIX): stream and datagram semantics (message boundaries, MSG_PEEK,
 * truncation), shutdown, EPIPE and SIGPIPE, SCM_RIGHTS, socket options, and socket()'s
 * errors. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* The result of a call, with the errno it left (read after the call, never before). */
static const char *res(long r) { return result_str(r, errno); }

static volatile sig_atomic_t got_pipe;
static void on_pipe(int s) { (void)s; got_pipe++; }

static void stream(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[0], "hello ", 6) == 6);
    CHECK(send(sv[0], "world", 5, 0) == 5);
    char buf[64] = {0};
    long r = recv(sv[1], buf, 3, MSG_PEEK);
    printf("peek %ld '%.*s'\n", r, (int)r, buf);
    r = read(sv[1], buf, sizeof buf);
    printf("stream merges: %ld '%.*s'\n", r, (int)r, buf);
    r = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    printf("empty: %s\n", res(r));

    /* writev / readv and sendmsg / recvmsg with iovecs. */
    struct iovec out[2] = {{"abc", 3}, {"defg", 4}};
    CHECK(writev(sv[1], out, 2) == 7);
    char a[2], b[10];
    struct iovec in[2] = {{a, 2}, {b, 10}};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = in;
    m.msg_iovlen = 2;
    r = recvmsg(sv[0], &m, 0);
    printf("recvmsg %ld '%.2s' '%.*s' flags %#x\n", r, a, (int)(r - 2), b, m.msg_flags);

    /* MSG_WAITALL waits for the whole request from a forked writer. */
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 4; i++) {
            usleep(5000);
            CHECK(write(sv[1], "0123", 4) == 4);
        }
        _exit(0);
    }
    r = recv(sv[0], buf, 16, MSG_WAITALL);
    printf("waitall %ld '%.*s'\n", r, (int)r, buf);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);

    CHECK(shutdown(sv[1], SHUT_WR) == 0);
    r = read(sv[0], buf, sizeof buf);
    printf("after peer SHUT_WR: %ld\n", r);
    r = write(sv[1], "x", 1);
    printf("write after own SHUT_WR: %s sigpipe %d\n", res(r), (int)got_pipe);
    r = send(sv[1], "x", 1, MSG_NOSIGNAL);
    printf("MSG_NOSIGNAL: %s sigpipe %d\n", res(r), (int)got_pipe);
    CHECK(write(sv[0], "back", 4) == 4);
    r = read(sv[1], buf, sizeof buf);
    printf("other direction still works: %ld\n", r);
    printf("shutdown bad how: %s\n", res(shutdown(sv[0], 3)));
    close(sv[1]);
    r = write(sv[0], "x", 1);
    printf("write to closed peer: %s sigpipe %d\n", res(r), (int)got_pipe);
    close(sv[0]);

    /* The peer closes with data it never read: the reader sees ECONNRESET. */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[0], "lost", 4) == 4);
    close(sv[1]);
    r = read(sv[0], buf, sizeof buf);
    printf("peer closed unread: %s\n", res(r));
    r = read(sv[0], buf, sizeof buf);
    printf("then: %s\n", res(r));
    close(sv[0]);
}

static void dgram(int type, const char *name)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
    CHECK(send(sv[0], "one", 3, 0) == 3);
    CHECK(send(sv[0], "second", 6, 0) == 6);
    CHECK(send(sv[0], "", 0, 0) == 0);
    char buf[64];
    long r = recv(sv[1], buf, sizeof buf, MSG_PEEK);
    printf("%s peek %ld\n", name, r);
    r = recv(sv[1], buf, sizeof buf, 0);
    printf("%s boundary %ld '%.*s'\n", name, r, (int)r, buf);
    struct iovec v = {buf, 3};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    r = recvmsg(sv[1], &m, 0);
    printf("%s truncated %ld '%.*s' MSG_TRUNC=%d\n", name, r, (int)r, buf,
           (m.msg_flags & MSG_TRUNC) != 0);
    r = recv(sv[1], buf, sizeof buf, 0);
    printf("%s empty message %ld\n", name, r);
    CHECK(send(sv[0], "abcdef", 6, 0) == 6);
    r = recv(sv[1], buf, 2, MSG_TRUNC);
    printf("%s recv MSG_TRUNC gives the full length %ld\n", name, r);
    r = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    printf("%s nothing: %s\n", name, res(r));
    CHECK(shutdown(sv[1], SHUT_RD) == 0);
    r = send(sv[0], "x", 1, 0);
    printf("%s send to SHUT_RD peer: %s\n", name, res(r));
    r = recv(sv[1], buf, sizeof buf, 0);
    printf("%s recv after own SHUT_RD: %ld\n", name, r);
    close(sv[1]);
    r = send(sv[0], "x", 1, MSG_NOSIGNAL);
    printf("%s send to closed peer: %s\n", name, res(r));
    r = send(sv[0], "x", 1, MSG_NOSIGNAL);
    printf("%s and again: %s\n", name, res(r));
    close(sv[0]);
    /* A datagram socket's EPIPE raises no SIGPIPE. */
    CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
    CHECK(shutdown(sv[0], SHUT_WR) == 0);
    int before = got_pipe;
    r = write(sv[0], "x", 1);
    printf("%s write after own SHUT_WR: %s, SIGPIPE %d\n", name, res(r), got_pipe - before);
    close(sv[0]), close(sv[1]);
}

static void pass_fds(void)
{
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        /* The child sends its pipe's write end and exits. */
        char cbuf[CMSG_SPACE(sizeof(int))];
        memset(cbuf, 0, sizeof cbuf);
        struct iovec v = {"fd", 2};
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = &v;
        m.msg_iovlen = 1;
        m.msg_control = cbuf;
        m.msg_controllen = sizeof cbuf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &p[1], sizeof(int));
        CHECK(sendmsg(sv[0], &m, 0) == 2);
        _exit(0);
    }
    close(p[1]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    char data[4];
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec v = {data, sizeof data};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    long r = recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    printf("recvmsg %ld controllen %zu level %d type %d len %zu\n", r, (size_t)m.msg_controllen,
           c ? c->cmsg_level : -1, c ? c->cmsg_type : -1, c ? (size_t)c->cmsg_len : 0);
    int got;
    memcpy(&got, CMSG_DATA(c), sizeof got);
    printf("cloexec %d\n", fcntl(got, F_GETFD));
    CHECK(write(got, "via passed fd", 13) == 13);
    close(got);
    char buf[32];
    r = read(p[0], buf, sizeof buf);
    printf("pipe got %ld '%.*s'\n", r, (int)r, buf);
    r = read(p[0], buf, sizeof buf);
    printf("then EOF %ld\n", r);
    close(p[0]);

    /* No room for the fds: MSG_CTRUNC. */
    int q[2];
    CHECK(pipe(q) == 0);
    char cb2[CMSG_SPACE(sizeof(int))];
    memset(cb2, 0, sizeof cb2);
    struct iovec v2 = {"x", 1};
    struct msghdr m2;
    memset(&m2, 0, sizeof m2);
    m2.msg_iov = &v2;
    m2.msg_iovlen = 1;
    m2.msg_control = cb2;
    m2.msg_controllen = sizeof cb2;
    struct cmsghdr *c2 = CMSG_FIRSTHDR(&m2);
    c2->cmsg_level = SOL_SOCKET;
    c2->cmsg_type = SCM_RIGHTS;
    c2->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c2), &q[0], sizeof(int));
    CHECK(sendmsg(sv[0], &m2, 0) == 1);
    memset(&m, 0, sizeof m);
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    r = recvmsg(sv[1], &m, 0);
    printf("no control buffer: %ld MSG_CTRUNC=%d controllen %zu\n", r,
           (m.msg_flags & MSG_CTRUNC) != 0, (size_t)m.msg_controllen);
    int bad = 999;
    memcpy(CMSG_DATA(c2), &bad, sizeof(int));
    r = sendmsg(sv[0], &m2, 0);
    printf("send a bad fd: %s\n", res(r));
    c2->cmsg_len = 200;
    r = sendmsg(sv[0], &m2, 0);
    printf("cmsg_len too long: %s\n", res(r));
    close(q[0]), close(q[1]), close(sv[0]), close(sv[1]);
}

static void options_and_errors(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    printf("flags %#x cloexec %d\n", fcntl(sv[0], F_GETFL) & O_NONBLOCK, fcntl(sv[0], F_GETFD));
    int v = -1;
    socklen_t len = sizeof v;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len) == 0);
    printf("SO_TYPE %d len %u\n", v, (unsigned)len);
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &len) == 0);
    printf("SO_ERROR %d\n", v);
    v = 8192;
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v) == 0);
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0);
    printf("SO_SNDBUF after 8192: %d\n", v);
    v = 1;
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v) == 0);
    v = 0;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, &len) == 0);
    printf("SO_REUSEADDR %d\n", v);
    struct ucred cred;
    len = sizeof cred;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0);
    printf("SO_PEERCRED pid is me %d uid %u len %u\n", cred.pid == getpid(), cred.uid,
           (unsigned)len);
    printf("bad option: %s\n", res(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &len)));
    printf("not a socket: %s\n", res(getsockopt(0 + 100, SOL_SOCKET, SO_TYPE, &v, &len)));
    int p[2];
    CHECK(pipe(p) == 0);
    printf("send on a pipe: %s\n", res(send(p[1], "x", 1, 0)));
    close(p[0]), close(p[1]);
    char big[16384];
    memset(big, 'b', sizeof big);
    printf("message over sndbuf: %s\n", res(send(sv[0], big, sizeof big, 0)));

    printf("socket(99): %s\n", res(socket(99, SOCK_STREAM, 0)));
    printf("socket bad flags: %s\n", res(socket(AF_UNIX, SOCK_STREAM | 0x100, 0)));
    printf("socket(AF_UNIX, SOCK_RDM): %s\n", res(socket(AF_UNIX, SOCK_RDM, 0)));
    /* SOCK_RAW is taken as SOCK_DGRAM. */
    int raw = socket(AF_UNIX, SOCK_RAW, 0);
    len = sizeof v;
    CHECK(getsockopt(raw, SOL_SOCKET, SO_TYPE, &v, &len) == 0);
    printf("SOCK_RAW becomes type %d\n", v);
    close(raw);
    printf("socket(AF_UNIX, proto 7): %s\n", res(socket(AF_UNIX, SOCK_STREAM, 7)));
    printf("socketpair(AF_UNIX, SOCK_RDM): %s\n", res(socketpair(AF_UNIX, SOCK_RDM, 0, sv)));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("socket(AF_UNIX) ok: %d\n", s >= 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, "/no/such/socket");
    printf("connect missing path: %s\n",
           res(connect(s, (struct sockaddr *)&addr, sizeof addr)));
    strcpy(addr.sun_path, "/");
    printf("connect to a directory: %s\n",
           res(connect(s, (struct sockaddr *)&addr, sizeof addr)));
    printf("connect short address: %s\n", res(connect(s, (struct sockaddr *)&addr, 2)));
    printf("send unconnected: %s\n", res(send(s, "x", 1, MSG_NOSIGNAL)));
    char c;
    printf("recv unconnected stream: %s\n", res(recv(s, &c, 1, 0)));
    struct pollfd pf = {s, POLLIN | POLLOUT, 0};
    int pr = poll(&pf, 1, 0);
    printf("poll unconnected: %d %#x\n", pr, pf.revents);
    close(s);
    close(sv[0]), close(sv[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, on_pipe);
    stream();
    dgram(SOCK_DGRAM, "dgram");
    dgram(SOCK_SEQPACKET, "seqpacket");
    pass_fds();
    options_and_errors();
    return 0;
}
