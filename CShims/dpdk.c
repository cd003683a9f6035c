// DPDK 22.11 wrappers. The only translation unit in Tickwire that includes rte_*.h.
// rte_eth_read_clock is still experimental in 22.11: ALLOW_EXPERIMENTAL_API unlocks it.
#define ALLOW_EXPERIMENTAL_API 1
#define _GNU_SOURCE 1

#include "CShims.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_version.h>

// Swift reads these as plain structs: pin the layout Swift was compiled against.
_Static_assert(sizeof(tw_pkt) == 32, "tw_pkt is 32 bytes: two per cache line");
_Static_assert(offsetof(tw_pkt, data) == 0, "tw_pkt.data at 0");
_Static_assert(offsetof(tw_pkt, len) == 8, "tw_pkt.len at 8");
_Static_assert(offsetof(tw_pkt, flags) == 12, "tw_pkt.flags at 12");
_Static_assert(offsetof(tw_pkt, rx_timestamp) == 16, "tw_pkt.rx_timestamp at 16");
_Static_assert(offsetof(tw_pkt, handle) == 24, "tw_pkt.handle at 24");
_Static_assert(sizeof(tw_port_conf) == 24, "tw_port_conf layout");
_Static_assert(sizeof(tw_port_stats) == 64, "tw_port_stats layout");
_Static_assert(RTE_ETH_RX_OFFLOAD_TIMESTAMP != 0, "timestamp offload bit");

static bool eal_running = false;

// Offset and flag of the rx timestamp dynfield; the flag stays 0 until a port asks for it, so
// a frame's test costs one AND on a field already in cache.
int32_t tw_rx_ts_offset = 0;
uint64_t tw_rx_ts_flag = 0;

const char *tw_dpdk_version(void) { return rte_version(); }

const char *tw_strerror(int err) { return rte_strerror(err < 0 ? -err : err); }

int tw_eal_init(int argc, char **argv) {
    if (eal_running) return -EALREADY;
    int n = rte_eal_init(argc, argv);
    if (n < 0) return -rte_errno;
    eal_running = true;
    return n;
}

int tw_eal_cleanup(void) {
    if (!eal_running) return 0;
    int rc = rte_eal_cleanup();
    eal_running = false;
    return rc;
}

bool tw_eal_is_running(void) { return eal_running; }

uint64_t tw_eal_tsc_hz(void) { return eal_running ? rte_get_tsc_hz() : 0; }
unsigned tw_lcore_count(void) { return rte_lcore_count(); }
unsigned tw_main_lcore(void) { return rte_get_main_lcore(); }
unsigned tw_socket_count(void) { return rte_socket_count(); }

void *tw_mempool_create(const char *name, unsigned n, unsigned cache, uint16_t data_room, int socket,
                        int *err) {
    struct rte_mempool *mp = rte_pktmbuf_pool_create(name, n, cache, 0, data_room,
                                                     socket < 0 ? SOCKET_ID_ANY : socket);
    if (mp == NULL && err) *err = -rte_errno;
    return mp;
}

void tw_mempool_free(void *pool) { rte_mempool_free(pool); }
unsigned tw_mempool_avail(const void *pool) { return rte_mempool_avail_count(pool); }
unsigned tw_mempool_in_use(const void *pool) { return rte_mempool_in_use_count(pool); }

uint16_t tw_port_count(void) { return rte_eth_dev_count_avail(); }

int tw_port_by_name(const char *name, uint16_t *port) {
    return rte_eth_dev_get_port_by_name(name, port);
}

int tw_vdev_create(const char *name, const char *args, uint16_t *port) {
    int rc = rte_vdev_init(name, args);
    if (rc < 0) return rc;
    if (rc > 0) return -rc;
    rc = rte_eth_dev_get_port_by_name(name, port);
    if (rc < 0) {
        rte_vdev_uninit(name);
        return rc;
    }
    return 0;
}

int tw_vdev_destroy(const char *name) { return rte_vdev_uninit(name); }

int tw_ring_pair_create(const char *name, uint16_t *a, uint16_t *b) {
    typedef int (*from_rings_fn)(const char *, struct rte_ring *const[], unsigned, struct rte_ring *const[], unsigned, unsigned);
    // Linked in (a static DPDK build), else the plugin: DPDK 22.11's ABI name, or the
    // development link libdpdk-dev installs.
    from_rings_fn from_rings = (from_rings_fn)dlsym(RTLD_DEFAULT, "rte_eth_from_rings");
    static const char *const names[] = {"librte_net_ring.so.23", "librte_net_ring.so"};
    for (size_t i = 0; from_rings == NULL && i < sizeof names / sizeof names[0]; i++) {
        void *lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (lib != NULL) from_rings = (from_rings_fn)dlsym(lib, "rte_eth_from_rings");
    }
    if (from_rings == NULL) return -ENOENT;
    char n[RTE_RING_NAMESIZE];
    snprintf(n, sizeof(n), "%s_ab", name);
    struct rte_ring *ab = rte_ring_create(n, 1024, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
    snprintf(n, sizeof(n), "%s_ba", name);
    struct rte_ring *ba = rte_ring_create(n, 1024, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (ab == NULL || ba == NULL) {
        rte_ring_free(ab);
        rte_ring_free(ba);
        return -rte_errno;
    }
    snprintf(n, sizeof(n), "%s_a", name);
    int pa = from_rings(n, &ba, 1, &ab, 1, rte_socket_id());
    int err = pa < 0 ? rte_errno : 0;
    int pb = -1;
    if (pa >= 0) {
        snprintf(n, sizeof(n), "%s_b", name);
        pb = from_rings(n, &ab, 1, &ba, 1, rte_socket_id());
        if (pb < 0) {
            err = rte_errno;
            (void)rte_eth_dev_close((uint16_t)pa);  // the first port goes, then the rings it used
        }
    }
    if (pa < 0 || pb < 0) {
        rte_ring_free(ab);
        rte_ring_free(ba);
        return -(err != 0 ? err : EINVAL);
    }
    *a = (uint16_t)pa;
    *b = (uint16_t)pb;
    return 0;
}

int tw_port_info_get(uint16_t port, tw_port_info *info) {
    if (!rte_eth_dev_is_valid_port(port)) return -ENODEV;
    memset(info, 0, sizeof(*info));
    struct rte_eth_dev_info di;
    int rc = rte_eth_dev_info_get(port, &di);
    if (rc < 0) return rc;
    rte_eth_dev_get_name_by_port(port, info->name);
    snprintf(info->driver, sizeof(info->driver), "%s", di.driver_name ? di.driver_name : "");
    info->socket = rte_eth_dev_socket_id(port);
    info->max_rx_queues = di.max_rx_queues;
    info->max_tx_queues = di.max_tx_queues;
    info->rx_offload_capa = di.rx_offload_capa;
    info->tx_offload_capa = di.tx_offload_capa;
    info->if_index = di.if_index;
    info->rx_timestamp_capable = (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) != 0;
    struct rte_ether_addr mac;
    if (rte_eth_macaddr_get(port, &mac) == 0) memcpy(info->mac, mac.addr_bytes, 6);
    uint16_t mtu = 0;
    if (rte_eth_dev_get_mtu(port, &mtu) == 0) info->mtu = mtu;
    struct rte_eth_link link;
    if (rte_eth_link_get_nowait(port, &link) == 0) {
        info->link_speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
        info->link_up = link.link_status == RTE_ETH_LINK_UP;
    }
    uint64_t clock;
    info->read_clock_capable = rte_eth_read_clock(port, &clock) == 0;
    return 0;
}

const char *tw_rx_offload_name(uint64_t bit) { return rte_eth_dev_rx_offload_name(bit); }
const char *tw_tx_offload_name(uint64_t bit) { return rte_eth_dev_tx_offload_name(bit); }

int tw_port_configure(uint16_t port, const tw_port_conf *conf, int *rx_timestamp_on) {
    if (!rte_eth_dev_is_valid_port(port)) return -ENODEV;
    if (conf->mempool == NULL && conf->rx_queues > 0) return -EINVAL;
    struct rte_eth_dev_info di;
    int rc = rte_eth_dev_info_get(port, &di);
    if (rc < 0) return rc;
    if (conf->rx_queues > di.max_rx_queues || conf->tx_queues > di.max_tx_queues) return -EINVAL;

    struct rte_eth_conf ec;
    memset(&ec, 0, sizeof(ec));
    int ts_on = 0;
    if (conf->want_rx_timestamp && (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)) {
        ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
        if (tw_rx_ts_flag == 0) {
            rc = rte_mbuf_dyn_rx_timestamp_register(&tw_rx_ts_offset, &tw_rx_ts_flag);
            if (rc < 0) return -rte_errno;
        }
        ts_on = 1;
    }
    rc = rte_eth_dev_configure(port, conf->rx_queues, conf->tx_queues, &ec);
    if (rc < 0) return rc;

    uint16_t nb_rxd = conf->rx_descs ? conf->rx_descs : 1024;
    uint16_t nb_txd = conf->tx_descs ? conf->tx_descs : 1024;
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
    if (rc < 0) return rc;

    int socket = rte_eth_dev_socket_id(port);
    unsigned sock = socket < 0 ? SOCKET_ID_ANY : (unsigned)socket;
    for (uint16_t q = 0; q < conf->rx_queues; q++) {
        struct rte_eth_rxconf rxc = di.default_rxconf;
        rxc.offloads = ec.rxmode.offloads;
        rc = rte_eth_rx_queue_setup(port, q, nb_rxd, sock, &rxc, conf->mempool);
        if (rc < 0) return rc;
    }
    for (uint16_t q = 0; q < conf->tx_queues; q++) {
        struct rte_eth_txconf txc = di.default_txconf;
        txc.offloads = ec.txmode.offloads;
        rc = rte_eth_tx_queue_setup(port, q, nb_txd, sock, &txc);
        if (rc < 0) return rc;
    }
    if (rx_timestamp_on) *rx_timestamp_on = ts_on;
    return 0;
}

// A PMD may fill the rx timestamp dynfield without advertising the offload (DPDK 22.11's
// net_pcap stamps every packet with its pcap record's time, in microseconds): once a port has
// started, the field and its flag are looked up by name, so every frame read sees such stamps too.
int tw_rx_timestamp_lookup(void) {
    if (tw_rx_ts_flag != 0) return 1;
    int offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
    int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
    if (offset < 0 || bit < 0) return 0;
    tw_rx_ts_offset = offset;
    tw_rx_ts_flag = 1ULL << bit;
    return 1;
}

int tw_port_start(uint16_t port) {
    int rc = rte_eth_dev_start(port);
    if (rc == 0) (void)tw_rx_timestamp_lookup();
    return rc;
}
int tw_port_stop(uint16_t port) { return rte_eth_dev_stop(port); }
int tw_port_close(uint16_t port) { return rte_eth_dev_close(port); }

int tw_port_promiscuous(uint16_t port, bool on) {
    return on ? rte_eth_promiscuous_enable(port) : rte_eth_promiscuous_disable(port);
}

int tw_port_allmulticast(uint16_t port, bool on) {
    return on ? rte_eth_allmulticast_enable(port) : rte_eth_allmulticast_disable(port);
}

int tw_port_read_clock(uint16_t port, uint64_t *clock) { return rte_eth_read_clock(port, clock); }

int tw_port_queue_stats_get(uint16_t port, tw_queue_stats *out, uint16_t n) {
    struct rte_eth_stats st;
    int rc = rte_eth_stats_get(port, &st);
    if (rc < 0) return rc;
    uint16_t k = n < RTE_ETHDEV_QUEUE_STAT_CNTRS ? n : RTE_ETHDEV_QUEUE_STAT_CNTRS;
    for (uint16_t i = 0; i < k; i++) {
        out[i].ipackets = st.q_ipackets[i];
        out[i].opackets = st.q_opackets[i];
        out[i].ibytes = st.q_ibytes[i];
        out[i].obytes = st.q_obytes[i];
        out[i].errors = st.q_errors[i];
    }
    return k;
}

int tw_port_stats_get(uint16_t port, tw_port_stats *s) {
    struct rte_eth_stats st;
    int rc = rte_eth_stats_get(port, &st);
    if (rc < 0) return rc;
    s->ipackets = st.ipackets;
    s->opackets = st.opackets;
    s->ibytes = st.ibytes;
    s->obytes = st.obytes;
    s->imissed = st.imissed;
    s->ierrors = st.ierrors;
    s->oerrors = st.oerrors;
    s->rx_nombuf = st.rx_nombuf;
    return 0;
}

int tw_port_stats_reset(uint16_t port) { return rte_eth_stats_reset(port); }

// ----- fast path -----

#define TW_MAX_BURST 256

_Static_assert(RTE_MBUF_F_RX_L4_CKSUM_BAD << 1 == TW_PKT_L4_CKSUM_BAD &&
               RTE_MBUF_F_RX_IP_CKSUM_BAD << 1 == TW_PKT_IP_CKSUM_BAD &&
               RTE_MBUF_F_RX_IP_CKSUM_GOOD << 1 == TW_PKT_IP_CKSUM_GOOD &&
               RTE_MBUF_F_RX_L4_CKSUM_GOOD << 1 == TW_PKT_L4_CKSUM_GOOD,
               "the descriptor's checksum bits are ol_flags' shifted by one");
_Static_assert(offsetof(struct rte_mbuf, buf_addr) == TW_MBUF_BUF_ADDR &&
               offsetof(struct rte_mbuf, data_off) == TW_MBUF_DATA_OFF &&
               offsetof(struct rte_mbuf, ol_flags) == TW_MBUF_OL_FLAGS &&
               offsetof(struct rte_mbuf, data_len) == TW_MBUF_DATA_LEN &&
               sizeof(((struct rte_mbuf *)0)->data_off) == 2 && sizeof(((struct rte_mbuf *)0)->data_len) == 2 &&
               sizeof(((struct rte_mbuf *)0)->ol_flags) == 8,
               "tw_mbuf_rx_pkt's offsets are struct rte_mbuf's");

uint16_t tw_rx_burst(uint16_t port, uint16_t queue, tw_pkt *pkts, void **mbufs, uint16_t n) {
    if (n > TW_MAX_BURST) n = TW_MAX_BURST;
    uint16_t got = rte_eth_rx_burst(port, queue, (struct rte_mbuf **)mbufs, n);
    const uint64_t flag = tw_rx_ts_flag;
    const int32_t offset = tw_rx_ts_offset;
    for (uint16_t i = 0; i < got; i++) pkts[i] = tw_mbuf_rx_pkt(mbufs[i], flag, offset);
    return got;
}

uint16_t tw_rx_burst_mbufs(uint16_t port, uint16_t queue, void **mbufs, uint16_t n) {
    if (n > TW_MAX_BURST) n = TW_MAX_BURST;
    return rte_eth_rx_burst(port, queue, (struct rte_mbuf **)mbufs, n);
}

void tw_pkts_free(tw_pkt *pkts, uint16_t n) {
    struct rte_mbuf *mb[TW_MAX_BURST];
    while (n > 0) {
        uint16_t k = n > TW_MAX_BURST ? TW_MAX_BURST : n;
        for (uint16_t i = 0; i < k; i++) mb[i] = pkts[i].handle;
        rte_pktmbuf_free_bulk(mb, k);
        pkts += k;
        n -= k;
    }
}

uint16_t tw_tx_burst(uint16_t port, uint16_t queue, void **mbufs, uint16_t n) {
    return rte_eth_tx_burst(port, queue, (struct rte_mbuf **)mbufs, n);
}

int tw_mbuf_alloc_bulk(void *pool, void **mbufs, unsigned n) {
    return rte_pktmbuf_alloc_bulk(pool, (struct rte_mbuf **)mbufs, n);
}

uint8_t *tw_mbuf_append(void *mbuf, uint16_t len) {
    return (uint8_t *)rte_pktmbuf_append(mbuf, len);
}

uint8_t *tw_mbuf_data(void *mbuf) { return rte_pktmbuf_mtod((struct rte_mbuf *)mbuf, uint8_t *); }
uint16_t tw_mbuf_data_len(const void *mbuf) { return ((const struct rte_mbuf *)mbuf)->data_len; }
void *tw_mbuf_alloc_tx(void *pool, uint8_t **data, uint16_t *room) {
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    if (m == NULL) return NULL;
    *data = rte_pktmbuf_mtod(m, uint8_t *);
    *room = rte_pktmbuf_tailroom(m);
    return m;
}

void tw_mbuf_set_len(void *mbuf, uint16_t len) {
    struct rte_mbuf *m = mbuf;
    m->data_len = len;
    m->pkt_len = len;
}

void tw_mbuf_ref(void *mbuf) { rte_mbuf_refcnt_update(mbuf, 1); }
void tw_mbuf_free(void *mbuf) { rte_pktmbuf_free(mbuf); }
void tw_mbuf_free_bulk(void **mbufs, unsigned n) {
    rte_pktmbuf_free_bulk((struct rte_mbuf **)mbufs, n);
}

// ----- the C reference loop of `tickwire bench io` -----

static inline void classify(const uint8_t *d, uint32_t len, tw_classify_counts *c) {
    if (len < 14) {
        c->runt++;
        return;
    }
    uint16_t et = (uint16_t)(d[12] << 8 | d[13]);
    if (et == 0x8100 || et == 0x88A8) {
        if (len < 18) {
            c->runt++;
            return;
        }
        c->vlan++;
        et = (uint16_t)(d[16] << 8 | d[17]);
    }
    switch (et) {
    case 0x0800: c->ipv4++; break;
    case 0x86DD: c->ipv6++; break;
    case 0x0806: c->arp++; break;
    default: c->other++; break;
    }
}

int tw_bench_io_c(uint16_t port, uint16_t queue, uint64_t packets, tw_bench_io_result *out) {
    struct rte_mbuf *mb[32];
    memset(out, 0, sizeof(*out));
    int64_t t0 = tw_clock_monotonic_raw_ns();
    uint64_t c0 = tw_rdtsc();
    uint64_t done = 0;
    while (done < packets) {
        uint16_t n = rte_eth_rx_burst(port, queue, mb, 32);
        if (n == 0) {
            out->empty_polls++;
            continue;
        }
        for (uint16_t i = 0; i < n; i++)
            classify(rte_pktmbuf_mtod(mb[i], const uint8_t *), mb[i]->data_len, &out->counts);
        rte_pktmbuf_free_bulk(mb, n);
        done += n;
    }
    out->cycles = tw_rdtscp() - c0;
    out->ns = tw_clock_monotonic_raw_ns() - t0;
    out->packets = done;
    return 0;
}
