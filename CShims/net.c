// Kernel UDP sockets for the kernel backend: multicast join, batched recvmmsg and kernel
// receive timestamps (SO_TIMESTAMPING control messages, read with CMSG_* macros that Swift
// cannot import). Every call goes through TW_SYSCALL (tw_syscall.h: EINTR retried, -errno on
// failure); `step` names the failing call.
#define _GNU_SOURCE 1
#include "CShims.h"
#include "tw_syscall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct tw_udp_batch {
    unsigned capacity;
    unsigned bufsize;
    uint8_t *buffers;           // capacity * bufsize
    struct mmsghdr *msgs;       // capacity
    struct iovec *iovs;         // capacity
    struct sockaddr_in *addrs;  // capacity
    uint8_t *controls;          // capacity * TW_CTRL
};

#define TW_CTRL 256

// A set-up call failed with `rc` (-errno): name it, release the socket, return rc.
static int fail(int fd, const char **step, const char *name, long rc) {
    if (step) *step = name;
    if (fd >= 0) close(fd);
    return (int)rc;
}

// Runs a set-up call through the choke point; on failure returns from the calling function.
#define TW_TRY(fd, name, expr)                          \
    do {                                                \
        long tw_try_ = TW_SYSCALL(expr);                \
        if (tw_try_ < 0) return fail(fd, step, name, tw_try_); \
    } while (0)

int tw_udp_open_rx(uint32_t group_be, uint16_t port, uint32_t iface_addr_be, int rcvbuf,
                   const char **step) {
    long s = TW_SYSCALL(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (s < 0) return fail(-1, step, "socket", s);
    int fd = (int)s;
    int one = 1;
    TW_TRY(fd, "setsockopt(SO_REUSEADDR)", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
    if (rcvbuf > 0) TW_TRY(fd, "setsockopt(SO_RCVBUF)", setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
    bool mcast = IN_MULTICAST(ntohl(group_be));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    // Binding to the group keeps other groups on the same port out of this socket.
    sa.sin_addr.s_addr = mcast ? group_be : (group_be ? group_be : htonl(INADDR_ANY));
    TW_TRY(fd, "bind", bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
    if (mcast) {
        struct ip_mreq mr;
        mr.imr_multiaddr.s_addr = group_be;
        mr.imr_interface.s_addr = iface_addr_be;
        TW_TRY(fd, "setsockopt(IP_ADD_MEMBERSHIP)", setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
    }
    int ts = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    TW_TRY(fd, "setsockopt(SO_TIMESTAMPING)", setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)));
    return fd;
}

int tw_udp_open_tx(uint32_t iface_addr_be, int ttl, bool loop, const char **step) {
    long s = TW_SYSCALL(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (s < 0) return fail(-1, step, "socket", s);
    int fd = (int)s;
    unsigned char t = (unsigned char)ttl, l = loop ? 1 : 0;
    TW_TRY(fd, "setsockopt(IP_MULTICAST_TTL)", setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof(t)));
    TW_TRY(fd, "setsockopt(IP_MULTICAST_LOOP)", setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &l, sizeof(l)));
    if (iface_addr_be != 0) {
        struct in_addr ia = {.s_addr = iface_addr_be};
        TW_TRY(fd, "setsockopt(IP_MULTICAST_IF)", setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ia, sizeof(ia)));
    }
    return fd;
}

int tw_udp_sendto(int fd, const uint8_t *data, uint32_t len, uint32_t addr_be, uint16_t port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = addr_be;
    return (int)TW_SYSCALL(sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof(sa)));
}

tw_udp_batch *tw_udp_batch_create(unsigned capacity, unsigned bufsize) {
    if (capacity == 0 || bufsize == 0) return NULL;
    tw_udp_batch *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    b->capacity = capacity;
    b->bufsize = bufsize;
    b->buffers = calloc(capacity, bufsize);
    b->msgs = calloc(capacity, sizeof(*b->msgs));
    b->iovs = calloc(capacity, sizeof(*b->iovs));
    b->addrs = calloc(capacity, sizeof(*b->addrs));
    b->controls = calloc(capacity, TW_CTRL);
    if (!b->buffers || !b->msgs || !b->iovs || !b->addrs || !b->controls) {
        tw_udp_batch_destroy(b);
        return NULL;
    }
    return b;
}

void tw_udp_batch_destroy(tw_udp_batch *b) {
    if (!b) return;
    free(b->buffers);
    free(b->msgs);
    free(b->iovs);
    free(b->addrs);
    free(b->controls);
    free(b);
}

int tw_udp_recv_batch(int fd, tw_udp_batch *b, tw_pkt *pkts, unsigned n, uint32_t *src_addr_be,
                      uint16_t *src_port) {
    if (n > b->capacity) n = b->capacity;
    for (unsigned i = 0; i < n; i++) {
        b->iovs[i].iov_base = b->buffers + (size_t)i * b->bufsize;
        b->iovs[i].iov_len = b->bufsize;
        struct msghdr *h = &b->msgs[i].msg_hdr;
        h->msg_name = &b->addrs[i];
        h->msg_namelen = sizeof(b->addrs[i]);
        h->msg_iov = &b->iovs[i];
        h->msg_iovlen = 1;
        h->msg_control = b->controls + (size_t)i * TW_CTRL;
        h->msg_controllen = TW_CTRL;
        h->msg_flags = 0;
        b->msgs[i].msg_len = 0;
    }
    long rc = TW_SYSCALL(recvmmsg(fd, b->msgs, n, MSG_DONTWAIT, NULL));
    if (rc == -EAGAIN || rc == -EWOULDBLOCK) return 0;
    if (rc < 0) return (int)rc;
    int got = (int)rc;
    for (int i = 0; i < got; i++) {
        struct msghdr *h = &b->msgs[i].msg_hdr;
        tw_pkt *p = &pkts[i];
        p->data = b->iovs[i].iov_base;
        p->len = b->msgs[i].msg_len;
        p->handle = NULL;
        p->flags = (h->msg_flags & MSG_TRUNC) ? TW_PKT_TRUNCATED : 0;
        p->rx_timestamp = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
                struct timespec *ts = (struct timespec *)CMSG_DATA(c);
                // ts[0] is the software timestamp; ts[2] the raw hardware one (unused here).
                p->rx_timestamp = (uint64_t)ts[0].tv_sec * 1000000000ull + (uint64_t)ts[0].tv_nsec;
                p->flags |= TW_PKT_SW_TIMESTAMP;
            }
        }
        if (src_addr_be) src_addr_be[i] = b->addrs[i].sin_addr.s_addr;
        if (src_port) src_port[i] = ntohs(b->addrs[i].sin_port);
    }
    return got;
}

int tw_so_busy_poll(void) { return SO_BUSY_POLL; }
