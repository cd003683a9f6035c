// CShims: the only C in Tickwire. It wraps DPDK 22.11 (the only place that includes rte_*.h),
// libpcap, and the socket calls whose control-message macros Swift cannot import; and it holds
// one compute kernel, the AVX-512 GBDT evaluation (gbdt.c), which Swift cannot target per function.
//
// Rules kept by every wrapper here:
// - every symbol is prefixed `tw_`;
// - setup calls return 0 or a negative errno (DPDK's rte_errno where DPDK sets it), and
//   tw_strerror() turns that into text; nothing here prints or exits;
// - fast-path calls (rx/tx bursts, mbuf bulk ops) return counts and never fail loudly;
// - structs that Swift reads are plain C with _Static_assert on their layout (in the .c files).
#ifndef TICKWIRE_CSHIMS_H
#define TICKWIRE_CSHIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------------
// Packet descriptor: what every backend's rx burst hands to Swift, one per frame, 32 bytes.
// `data`/`len` point into the mbuf (DPDK), the socket's preallocated buffer (kernel) or
// libpcap's buffer (file); the frame stays valid until the descriptor is released.
// ---------------------------------------------------------------------------------------------

/// `rx_timestamp` holds a NIC hardware timestamp (device clock ticks or ns, PMD-defined).
#define TW_PKT_HW_TIMESTAMP 0x1u
/// `rx_timestamp` holds a kernel software receive timestamp in ns since the Unix epoch.
#define TW_PKT_SW_TIMESTAMP 0x2u
/// `rx_timestamp` holds a capture timestamp in ns since the Unix epoch (pcap file).
#define TW_PKT_FILE_TIMESTAMP 0x4u
/// The frame was cut short by the capture (caplen < wire length).
#define TW_PKT_TRUNCATED 0x8u
// The NIC's checksum verdicts: DPDK's four ol_flags bits, passed through by one shift and mask
// (rx burst), so that a frame pays nothing to translate them. A verdict is GOOD when its GOOD bit
// is set (alone: checked and right; with BAD: DPDK's NONE, the field not final but the data
// intact), BAD when its BAD bit is set without GOOD, and unknown when neither is (software checks).
/// L4 (UDP/TCP) checksum found wrong, unless TW_PKT_L4_CKSUM_GOOD is set too.
#define TW_PKT_L4_CKSUM_BAD 0x10u
/// IPv4 header checksum found wrong, unless TW_PKT_IP_CKSUM_GOOD is set too.
#define TW_PKT_IP_CKSUM_BAD 0x20u
/// IPv4 header checksum checked and right (or the header intact).
#define TW_PKT_IP_CKSUM_GOOD 0x100u
/// L4 checksum checked and right (or the data intact).
#define TW_PKT_L4_CKSUM_GOOD 0x200u

typedef struct tw_pkt {
    const uint8_t *data;
    uint32_t len;
    uint32_t flags;
    uint64_t rx_timestamp;
    void *handle; // rte_mbuf* for DPDK, NULL otherwise
} tw_pkt;

// ---------------------------------------------------------------------------------------------
// Time: the TSC, read inline so that Swift's hot path pays one instruction, not a call.
// ---------------------------------------------------------------------------------------------

/// Wraps `rdtsc`: cycles since reset; not serialising (cheap, may be reordered with loads).
static inline uint64_t tw_rdtsc(void) {
#if defined(__x86_64__)
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
#error "tw_rdtsc: unsupported architecture"
#endif
}

/// Wraps `rdtscp`: waits for earlier instructions to finish; for the end of a timed section.
static inline uint64_t tw_rdtscp(void) {
#if defined(__x86_64__)
    uint32_t lo, hi, aux;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
    return ((uint64_t)hi << 32) | lo;
#else
    return tw_rdtsc();
#endif
}

/// TSC ticks of one run of a fixed piece of work, `rounds` rounds of integer loads, adds and
/// stores in a table that stays in L1, between fenced TSC reads (CShims/probe.c). Every run
/// does the same: how the times spread is the machine's noise, not a code path's.
uint64_t tw_noise_probe(uint32_t rounds);

/// Wraps `prefetcht0`: starts loading the cache line of `p` into every cache level; never faults,
/// whatever `p` is. For software pipelines that know an address several messages ahead.
static inline void tw_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

/// As tw_prefetch, for a line about to be written.
static inline void tw_prefetch_write(const void *p) {
    __builtin_prefetch(p, 1, 3);
}

/// Wraps `pause` (spin-wait hint) so that busy loops do not starve an SMT sibling.
static inline void tw_cpu_relax(void) {
#if defined(__x86_64__)
    __asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

/// Reads CLOCK_MONOTONIC_RAW and CLOCK_REALTIME in ns (calibration only, never on the hot path).
int64_t tw_clock_monotonic_raw_ns(void);
int64_t tw_clock_realtime_ns(void);

// ---------------------------------------------------------------------------------------------
// Threads: affinity and names for any thread (EAL lcores get theirs from the EAL).
// ---------------------------------------------------------------------------------------------

/// Pins the calling thread to one CPU (pthread_setaffinity_np; CPU_SET is a macro Swift cannot call).
int tw_thread_pin_self(int cpu);
/// The CPUs the calling thread may run on, written as ids into `cpus`; returns how many, or -errno.
int tw_thread_affinity_self(int *cpus, int capacity);
/// Lets the calling thread run on `count` CPUs (pthread_setaffinity_np with a CPU_SET of them):
/// undoes a pin, so that processes started from this thread do not inherit one core.
int tw_thread_set_affinity_self(const int *cpus, int count);
/// sched_setaffinity(2) of thread `tid` (any thread of this process, by its kernel id) to
/// `count` CPUs: moves threads that others started (the runtime's workers) off a core.
int tw_thread_set_affinity_tid(int tid, const int *cpus, int count);
/// Names the calling thread (15 characters at most, as the kernel allows).
int tw_thread_set_name_self(const char *name);
/// The CPU the calling thread runs on now (sched_getcpu).
int tw_current_cpu(void);
/// The calling thread's kernel id (gettid: what /proc/self/task/TID names).
int tw_gettid(void);

// ---------------------------------------------------------------------------------------------
// DPDK EAL, mempools, ports. Every function returns 0 or a negative errno unless it says otherwise.
// ---------------------------------------------------------------------------------------------

/// rte_version(): e.g. "DPDK 22.11.11".
const char *tw_dpdk_version(void);
/// rte_strerror() for a negative or positive errno value (DPDK errors included).
const char *tw_strerror(int err);

/// rte_eal_init with the arguments passed through unchanged (argv[0] is the program name).
/// Returns the number of arguments consumed, or -rte_errno. The EAL can start once per process.
int tw_eal_init(int argc, char **argv);
/// rte_eal_cleanup: releases EAL memory; the EAL cannot be started again in this process.
int tw_eal_cleanup(void);
/// True once tw_eal_init succeeded (and until cleanup).
bool tw_eal_is_running(void);

/// rte_get_tsc_hz: the TSC frequency the EAL measured (0 before EAL init).
uint64_t tw_eal_tsc_hz(void);
/// rte_lcore_count / rte_get_main_lcore / rte_socket_count.
unsigned tw_lcore_count(void);
unsigned tw_main_lcore(void);
unsigned tw_socket_count(void);

/// rte_pktmbuf_pool_create on NUMA `socket` (-1: any). Returns NULL and sets *err on failure.
void *tw_mempool_create(const char *name, unsigned n, unsigned cache, uint16_t data_room, int socket, int *err);
/// rte_mempool_free.
void tw_mempool_free(void *pool);
/// rte_mempool_avail_count / rte_mempool_in_use_count.
unsigned tw_mempool_avail(const void *pool);
unsigned tw_mempool_in_use(const void *pool);

/// rte_eth_dev_count_avail.
uint16_t tw_port_count(void);
/// rte_eth_dev_get_port_by_name.
int tw_port_by_name(const char *name, uint16_t *port);
/// rte_vdev_init + rte_eth_dev_get_port_by_name: creates a virtual device after EAL start
/// (e.g. name "net_pcap0", args "rx_pcap=in.pcap,tx_pcap=out.pcap").
int tw_vdev_create(const char *name, const char *args, uint16_t *port);
/// rte_vdev_uninit (the port must be stopped and closed first).
int tw_vdev_destroy(const char *name);
/// Two net_ring ports joined back to back, as two NICs on one cable: what `a` sends, `b`
/// receives, and the other way round (two 1,024-slot rings, rte_eth_from_rings). A `net_ring`
/// vdev made with rte_vdev_init sends into its own receive ring instead. rte_eth_from_rings
/// lives in the net_ring PMD, which Debian's EAL loads as a plugin: it is looked up there
/// (dlopen of the loaded library, dlsym), not linked. Names: "<name>_a", "<name>_b".
int tw_ring_pair_create(const char *name, uint16_t *a, uint16_t *b);

typedef struct tw_port_info {
    char name[64];        // rte_eth_dev_get_name_by_port
    char driver[64];      // dev_info.driver_name
    int32_t socket;       // rte_eth_dev_socket_id (-1: unknown)
    uint16_t max_rx_queues;
    uint16_t max_tx_queues;
    uint64_t rx_offload_capa;
    uint64_t tx_offload_capa;
    uint8_t mac[6];
    uint16_t mtu;
    uint32_t if_index;    // kernel interface, 0 if none
    uint32_t link_speed_mbps;
    uint8_t link_up;
    uint8_t rx_timestamp_capable; // RTE_ETH_RX_OFFLOAD_TIMESTAMP in rx_offload_capa
    uint8_t read_clock_capable;   // rte_eth_read_clock answered
    uint8_t reserved;
} tw_port_info;

int tw_port_info_get(uint16_t port, tw_port_info *info);
/// rte_eth_dev_rx_offload_name for a single offload bit (e.g. "TIMESTAMP").
const char *tw_rx_offload_name(uint64_t bit);
const char *tw_tx_offload_name(uint64_t bit);

typedef struct tw_port_conf {
    uint16_t rx_queues;
    uint16_t tx_queues;
    uint16_t rx_descs;
    uint16_t tx_descs;
    void *mempool;                // rx queues take mbufs from here
    uint8_t want_rx_timestamp;    // ask for RTE_ETH_RX_OFFLOAD_TIMESTAMP if the PMD has it
    uint8_t reserved[7];
} tw_port_conf;

/// rte_eth_dev_configure + rx/tx queue setup on the port's NUMA socket. Sets *rx_timestamp_on
/// when the hardware timestamp offload was enabled and its mbuf dynfield registered.
int tw_port_configure(uint16_t port, const tw_port_conf *conf, int *rx_timestamp_on);
/// rte_eth_dev_start / rte_eth_dev_stop / rte_eth_dev_close.
int tw_port_start(uint16_t port);
// 1 when the rx timestamp dynfield is registered (by a port's offload, or by a PMD on its own).
int tw_rx_timestamp_lookup(void);
int tw_port_stop(uint16_t port);
int tw_port_close(uint16_t port);
/// rte_eth_promiscuous_enable/disable and rte_eth_allmulticast_enable/disable; -ENOTSUP means
/// the PMD has no filter to open (af_packet), which callers treat as "not needed".
int tw_port_promiscuous(uint16_t port, bool on);
int tw_port_allmulticast(uint16_t port, bool on);
/// rte_eth_read_clock (experimental API): the NIC clock, in the unit of its rx timestamps.
int tw_port_read_clock(uint16_t port, uint64_t *clock);

typedef struct tw_port_stats {
    uint64_t ipackets, opackets, ibytes, obytes, imissed, ierrors, oerrors, rx_nombuf;
} tw_port_stats;
int tw_port_stats_get(uint16_t port, tw_port_stats *stats);
/// One queue's counters (rte_eth_stats' q_* arrays: queues below RTE_ETHDEV_QUEUE_STAT_CNTRS).
typedef struct tw_queue_stats {
    uint64_t ipackets, opackets, ibytes, obytes, errors;
} tw_queue_stats;
/// The first `n` queues' counters into `out`; returns how many were filled (at most the
/// ethdev's per-queue limit, 16 in 22.11), or a negative errno.
int tw_port_queue_stats_get(uint16_t port, tw_queue_stats *out, uint16_t n);
int tw_port_stats_reset(uint16_t port);

// ---------------------------------------------------------------------------------------------
// Fast path: bursts and mbufs. No checks beyond what DPDK does; callers own every mbuf they get.
// ---------------------------------------------------------------------------------------------

/// rte_eth_rx_burst into `mbufs` (caller's array of at least `n`, n at most 256), and one
/// descriptor per frame into `pkts`: data, length, the mbuf (`handle`), the NIC's checksum bits,
/// and the hardware timestamp when the mbuf's dynflag says it is valid (recycled mbufs keep stale
/// values, so the flag is checked on every packet). Multi-segment frames report the first
/// segment. `mbufs` then holds the burst's mbufs in order, for tw_mbuf_free_bulk in one call.
uint16_t tw_rx_burst(uint16_t port, uint16_t queue, tw_pkt *pkts, void **mbufs, uint16_t n);
/// rte_eth_rx_burst into `mbufs` alone (caller's array of at least `n`, n at most 256): the hot
/// loops read each frame from its mbuf with tw_mbuf_rx_pkt when they handle it, so a frame costs
/// no descriptor written and read back, and a field a loop does not use is never loaded.
uint16_t tw_rx_burst_mbufs(uint16_t port, uint16_t queue, void **mbufs, uint16_t n);
/// rte_pktmbuf_free_bulk of the descriptors' mbufs (gathered from `handle`).
void tw_pkts_free(tw_pkt *pkts, uint16_t n);

/// The rx timestamp's mbuf dynflag (0 until a port has one: no timestamp source) and dynfield
/// offset; set when a port starts (tw_port_start), read once a burst by the hot loops.
extern uint64_t tw_rx_ts_flag;
extern int32_t tw_rx_ts_offset;
static inline uint64_t tw_rx_timestamp_flag(void) { return tw_rx_ts_flag; }
static inline int32_t tw_rx_timestamp_offset(void) { return tw_rx_ts_offset; }

// Offsets in DPDK 22.11's struct rte_mbuf (asserted in dpdk.c, which sees the real struct): Swift
// does not import DPDK's headers, and reads a received frame through these.
#define TW_MBUF_BUF_ADDR 0
#define TW_MBUF_DATA_OFF 16
#define TW_MBUF_OL_FLAGS 24
#define TW_MBUF_DATA_LEN 40
#define TW_PKT_CKSUM_BITS (TW_PKT_L4_CKSUM_BAD | TW_PKT_IP_CKSUM_BAD | TW_PKT_IP_CKSUM_GOOD | TW_PKT_L4_CKSUM_GOOD)

/// The descriptor of a frame DPDK received, read from its mbuf: the one definition of what a
/// DPDK frame's data, length, checksum bits and hardware timestamp are (`ts_flag`/`ts_offset`:
/// tw_rx_ts_flag/tw_rx_ts_offset). Inline, so a caller pays only for the fields it reads.
/// Multi-segment frames report the first segment.
static inline tw_pkt tw_mbuf_rx_pkt(const void *mbuf, uint64_t ts_flag, int32_t ts_offset) {
    const uint8_t *m = (const uint8_t *)mbuf;
    const uint8_t *buf;
    uint16_t off, len;
    uint64_t ol;
    __builtin_memcpy(&buf, m + TW_MBUF_BUF_ADDR, sizeof buf);
    __builtin_memcpy(&off, m + TW_MBUF_DATA_OFF, sizeof off);
    __builtin_memcpy(&ol, m + TW_MBUF_OL_FLAGS, sizeof ol);
    __builtin_memcpy(&len, m + TW_MBUF_DATA_LEN, sizeof len);
    tw_pkt p;
    p.data = buf + off;
    p.len = len;
    p.flags = (uint32_t)(ol << 1) & TW_PKT_CKSUM_BITS;
    p.handle = (void *)mbuf;
    p.rx_timestamp = 0;
    // Recycled mbufs keep stale stamps: the dynflag says whether this frame's is valid.
    if (ol & ts_flag) {
        __builtin_memcpy(&p.rx_timestamp, m + ts_offset, sizeof p.rx_timestamp);
        p.flags |= TW_PKT_HW_TIMESTAMP;
    }
    return p;
}
/// rte_eth_tx_burst: returns how many were taken; the caller still owns (and must free) the rest.
uint16_t tw_tx_burst(uint16_t port, uint16_t queue, void **mbufs, uint16_t n);
/// rte_pktmbuf_alloc_bulk: all or nothing, 0 or -ENOENT.
int tw_mbuf_alloc_bulk(void *pool, void **mbufs, unsigned n);
/// rte_pktmbuf_append: room for `len` more bytes at the end of the data, NULL if it does not fit.
uint8_t *tw_mbuf_append(void *mbuf, uint16_t len);
/// rte_pktmbuf_mtod / rte_pktmbuf_data_len.
uint8_t *tw_mbuf_data(void *mbuf);
uint16_t tw_mbuf_data_len(const void *mbuf);
/// rte_pktmbuf_alloc: one mbuf for a frame to send (Tickwire's own stack builds frames in
/// place); NULL when the pool is empty. *data gets the start of its data room, *room its size.
void *tw_mbuf_alloc_tx(void *pool, uint8_t **data, uint16_t *room);
/// Sets a single-segment mbuf's data_len and pkt_len to `len` before it is sent (len must fit
/// the data room, which tw_mbuf_alloc_tx reported).
void tw_mbuf_set_len(void *mbuf, uint16_t len);
/// rte_mbuf_refcnt_update(+1): one more owner of the mbuf (each owner frees it once).
void tw_mbuf_ref(void *mbuf);
/// rte_pktmbuf_free / rte_pktmbuf_free_bulk.
void tw_mbuf_free(void *mbuf);
void tw_mbuf_free_bulk(void **mbufs, unsigned n);

// ---------------------------------------------------------------------------------------------
// The io benchmark's loop in plain C: rx burst -> EtherType classify -> free, with the DPDK
// inline calls directly, so that the Swift loop over tw_rx_burst can be compared with it.
// ---------------------------------------------------------------------------------------------

typedef struct tw_classify_counts {
    uint64_t ipv4, ipv6, arp, vlan, other, runt;
} tw_classify_counts;

typedef struct tw_bench_io_result {
    uint64_t packets;
    uint64_t cycles;
    int64_t ns;
    uint64_t empty_polls;
    tw_classify_counts counts;
} tw_bench_io_result;

int tw_bench_io_c(uint16_t port, uint16_t queue, uint64_t packets, tw_bench_io_result *out);

// ---------------------------------------------------------------------------------------------
// libpcap: offline read (classic pcap in us or ns, and pcapng), classic pcap write.
// ---------------------------------------------------------------------------------------------

/// pcap_open_offline_with_tstamp_precision(path, nano): reads pcap and pcapng; timestamps come
/// back in ns whatever the file holds. NULL on failure with the message in errbuf (256 bytes).
void *tw_pcap_open_read(const char *path, char *errbuf);
/// pcap_datalink and pcap_snapshot of an open reader (the file format is told by PcapReader
/// from the magic number).
int tw_pcap_datalink(void *h);
int tw_pcap_snaplen(void *h);
/// pcap_next_ex: 1 and the frame (valid until the next call), 0 at end of file, -1 on error.
int tw_pcap_next(void *h, tw_pkt *pkt, uint32_t *wire_len);
/// pcap_geterr.
const char *tw_pcap_error(void *h);
void tw_pcap_close(void *h);

/// pcap_open_dead_with_tstamp_precision + pcap_dump_open: a classic pcap writer with
/// microsecond (nano=false) or nanosecond (nano=true) timestamps.
void *tw_pcap_open_write(const char *path, int linktype, int snaplen, bool nano, char *errbuf);
/// pcap_dump of one frame with its timestamp in ns since the epoch.
void tw_pcap_write(void *h, const uint8_t *data, uint32_t caplen, uint32_t wire_len, uint64_t ts_ns);
/// pcap_dump_flush; returns -1 on error.
int tw_pcap_flush(void *h);
void tw_pcap_close_write(void *h);

// ---------------------------------------------------------------------------------------------
// Kernel sockets: UDP multicast receive with batched recvmmsg and SO_TIMESTAMPING.
// ---------------------------------------------------------------------------------------------

/// SO_BUSY_POLL from the C headers (Glibc's Swift overlay does not export it).
int tw_so_busy_poll(void);

/// socket + SO_REUSEADDR + bind(group or any, port) + IP_ADD_MEMBERSHIP (when `group` is a
/// multicast address) on the interface with address `iface_addr` (INADDR_ANY: kernel's choice)
/// + SO_TIMESTAMPING (software receive) + SO_RCVBUF + O_NONBLOCK. Addresses in network order.
/// Returns the fd or -errno; *step names the call that failed.
int tw_udp_open_rx(uint32_t group_be, uint16_t port, uint32_t iface_addr_be, int rcvbuf,
                   const char **step);
/// A UDP socket for sending (multicast TTL, loop, outgoing interface set). Returns fd or -errno.
int tw_udp_open_tx(uint32_t iface_addr_be, int ttl, bool loop, const char **step);
/// sendto one datagram; returns bytes or -errno (EINTR retried).
int tw_udp_sendto(int fd, const uint8_t *data, uint32_t len, uint32_t addr_be, uint16_t port);

/// Receive state for recvmmsg: `capacity` buffers of `bufsize` bytes, allocated once.
typedef struct tw_udp_batch tw_udp_batch;
tw_udp_batch *tw_udp_batch_create(unsigned capacity, unsigned bufsize);
void tw_udp_batch_destroy(tw_udp_batch *b);
/// recvmmsg(MSG_DONTWAIT) of up to `n` datagrams into the batch's buffers; fills `pkts` with the
/// payloads (valid until the next call) and their kernel receive timestamps. Returns the count,
/// 0 when nothing is waiting, or -errno (EINTR retried). Source address/port go to src_* if not NULL.
int tw_udp_recv_batch(int fd, tw_udp_batch *b, tw_pkt *pkts, unsigned n, uint32_t *src_addr_be,
                      uint16_t *src_port);

// ---------------------------------------------------------------------------------------------
// GBDT inference on AVX-512 or AVX2 (gbdt.c): the one kernel Swift cannot express, since Swift
// has no per-function target attribute and the binary must still run on CPUs without either. The
// model's layout is built and owned by Swift (Inference/GBDTModel.swift, layout `.binned`):
// every tree padded to depth 6, its 63 nodes in "bit order" (the top three levels in bits 0-6,
// then the eight three-level subtrees, seven bits each), and each node's threshold replaced by
// its rank among the distinct thresholds of its feature, so that `key(x) > threshold` becomes
// `bin(x) > rank` on bytes and one 64-byte compare tests a whole tree.
// ---------------------------------------------------------------------------------------------

typedef struct tw_gbdt_binned {
    /// featureCount x 16: every 16th threshold key of the feature (entry 16j+15), for the first
    /// step of the two-step search.
    const int32_t *pivots;
    /// featureCount x 256: the feature's distinct threshold keys, ascending, padded with INT32_MAX.
    const int32_t *thresholds;
    /// treeCount x 64: each node's feature (bit order; entry 63 unused).
    const uint8_t *features;
    /// treeCount x 64: each node's threshold rank; 255 for a padding node (never right).
    const uint8_t *ranks;
    /// treeCount each, a bit per node: NaN goes right; missing means NaN or zero (LightGBM's
    /// missing_type Zero); of those, missing goes right.
    const uint64_t *nan_right;
    const uint64_t *zero_missing;
    const uint64_t *zero_right;
    /// treeCount x 64 leaf values, left to right.
    const double *leaves;
    /// For the AVX2 kernel: the features some tree splits on ("slots"), ascending, and a bit per
    /// feature of the same set.
    const uint8_t *avx2_slots;
    uint64_t avx2_used;
    /// For the AVX2 kernel's two-step walk, with tables = max(1, ceil(avx2_slot_count / 16)), each
    /// node's index byte per table (the node's slot - 16k where the slot is in table k, else 0x80)
    /// and its rank XOR 0x80. `avx2_top`: per group of four trees, a block of 32 x (tables + 1)
    /// bytes: for each table, then the ranks, the group's trees one after the other, 8 bytes each:
    /// the tree's top three levels (bits 0...6) and a padding byte. `avx2_sub`: per tree (the
    /// count rounded up to a multiple of 4), a block of 64 x (tables + 1) bytes: for each table,
    /// then the ranks, its eight three-level subtrees, 8 bytes each (subtree s: bits 7 + 7s ...
    /// 13 + 7s) and a padding byte. A padding byte is index 0x80 / rank 0x7f (never right).
    const uint8_t *avx2_top;
    const uint8_t *avx2_sub;
    /// For tw_gbdt_binned_decide: entry j (j = 0 ... (tree_count - 1) / 4; the kernels read the
    /// even j from 2 on, after every eighth tree) bounds what trees
    /// 4j ... tree_count - 1 can still add: at most exit_max[j], at least exit_min[j] (the sums of
    /// their largest and smallest leaves, widened by exit_slack); exit_slack: more than the
    /// rounding of adding the model's leaves in any order (its sums differ from the tree-order
    /// sum by less).
    const double *exit_max;
    const double *exit_min;
    double exit_slack;
    int32_t feature_count;  // 1...64
    int32_t tree_count;
    int32_t has_zero_missing;
    int32_t avx2_slot_count;  // 0...feature_count
} tw_gbdt_binned;

/// Whether this CPU (and the OS, for the ZMM state) runs tw_gbdt_binned_sum: AVX-512 F, BW,
/// VBMI and POPCNT.
bool tw_gbdt_binned_available(void);
/// The sum of the leaves, in tree order (bit-identical to a sequential double sum), for the
/// `feature_count` floats at `x` (NaN is missing). No allocation, no branch per node.
double tw_gbdt_binned_sum(const tw_gbdt_binned *model, const float *x);
/// Whether this CPU runs tw_gbdt_binned_sum_avx2: AVX2, POPCNT and BMI2.
bool tw_gbdt_binned_avx2_available(void);
/// tw_gbdt_binned_sum on AVX2 (the same tables, the same result bit for bit): a tree's 63 bins
/// looked up 32 at a time with byte shuffles.
double tw_gbdt_binned_sum_avx2(const tw_gbdt_binned *model, const float *x);
/// Whether the sum of the leaves for `x` (tw_gbdt_binned_sum's, in tree order) is below `lo`
/// or above `hi`, settled as early as the trees allow: the leaves are added into four running
/// sums (four short chains of adds, not one long one); after every eighth tree, a partial sum s
/// with s + exit_max[j] < lo can only end below lo, and s + exit_min[j] > hi only above hi.
/// Returns -k (below) or +k (above) when the first k trees settled it (k <= tree_count), and 0
/// when they did not (the sum lies between lo and hi, or too close to either for any order but
/// the tree order to tell): `*sum` then
/// holds tw_gbdt_binned_sum's result, bit for bit. lo = -inf and hi = +inf settle nothing, and
/// lo <= hi is required.
int tw_gbdt_binned_decide(const tw_gbdt_binned *model, const float *x, double lo, double hi, double *sum);
/// tw_gbdt_binned_decide on the AVX2 kernel.
int tw_gbdt_binned_decide_avx2(const tw_gbdt_binned *model, const float *x, double lo, double hi, double *sum);

/// getrandom(2) of `len` bytes (blocking until the pool is seeded, EINTR retried): 0 or -errno.
/// Setup only (TCP ISN key, ephemeral ports), never the hot path.
int tw_random_bytes(void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
