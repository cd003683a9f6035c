// libpcap wrappers: the capture file reader (pcap in us or ns, pcapng) and the classic pcap writer.
// libpcap is the maintained reader for both formats and DPDK's net_pcap already links it.
#define _GNU_SOURCE 1
#include "CShims.h"

#include <pcap/pcap.h>
#include <zlib.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(PCAP_ERRBUF_SIZE <= 256, "callers pass a 256-byte errbuf");

typedef struct tw_pcap_reader {
    pcap_t *p;
} tw_pcap_reader;

// gzip-compressed captures (IEX publishes .pcap.gz): zlib's gzFile behind a stdio FILE made
// with fopencookie, handed to pcap_fopen_offline, which then reads it like any file.
static ssize_t gz_cookie_read(void *cookie, char *buf, size_t size) {
    int n = gzread((gzFile)cookie, buf, size > INT_MAX ? INT_MAX : (unsigned)size);
    return n < 0 ? -1 : n;
}

static int gz_cookie_close(void *cookie) { return gzclose((gzFile)cookie) == Z_OK ? 0 : EOF; }

static bool has_gz_suffix(const char *path) {
    size_t n = strlen(path);
    return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

void *tw_pcap_open_read(const char *path, char *errbuf) {
    // Ask for nanosecond precision: libpcap scales microsecond files up, so every timestamp
    // reaching Swift is in ns whatever the file holds.
    if (!has_gz_suffix(path))
        return pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s: %s", path, strerror(errno ? errno : ENOENT));
        return NULL;
    }
    gzbuffer(gz, 1 << 18);
    cookie_io_functions_t io = {.read = gz_cookie_read, .write = NULL, .seek = NULL, .close = gz_cookie_close};
    FILE *fp = fopencookie(gz, "rb", io);
    if (!fp) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "fopencookie: %s", strerror(errno));
        gzclose(gz);
        return NULL;
    }
    // On success libpcap owns fp (pcap_close closes it, and so the gzFile).
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) fclose(fp);
    return p;
}

int tw_pcap_datalink(void *h) { return pcap_datalink((pcap_t *)h); }
int tw_pcap_snaplen(void *h) { return pcap_snapshot((pcap_t *)h); }

int tw_pcap_next(void *h, tw_pkt *pkt, uint32_t *wire_len) {
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex((pcap_t *)h, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) return 0;
    if (rc != 1) return -1;
    pkt->data = data;
    pkt->len = hdr->caplen;
    pkt->flags = TW_PKT_FILE_TIMESTAMP | (hdr->caplen < hdr->len ? TW_PKT_TRUNCATED : 0);
    // Classic pcap stores 32-bit seconds, which libpcap 1.10 reads as signed: a record after
    // 2038-01-19 comes back with a negative tv_sec. The field is unsigned in the file format
    // (wiretap reads it so), so take it back to 0..2^32-1; pcapng's 64-bit times never go negative.
    int64_t sec = (int64_t)hdr->ts.tv_sec;
    if (sec < 0 && sec >= INT32_MIN) sec += (int64_t)1 << 32;
    pkt->rx_timestamp = (uint64_t)sec * 1000000000ull + (uint64_t)hdr->ts.tv_usec;
    pkt->handle = NULL;
    if (wire_len) *wire_len = hdr->len;
    return 1;
}

const char *tw_pcap_error(void *h) { return pcap_geterr((pcap_t *)h); }
void tw_pcap_close(void *h) { pcap_close((pcap_t *)h); }

typedef struct tw_pcap_writer {
    pcap_t *dead;
    pcap_dumper_t *d;
    bool nano;
    int err; // first write error (errno), kept until close: pcap_dump itself reports none
} tw_pcap_writer;

void *tw_pcap_open_write(const char *path, int linktype, int snaplen, bool nano, char *errbuf) {
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        linktype, snaplen, nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    if (!dead) {
        snprintf(errbuf, 256, "pcap_open_dead_with_tstamp_precision failed");
        return NULL;
    }
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    if (!d) {
        snprintf(errbuf, 256, "pcap_dump_open: %s", pcap_geterr(dead));
        pcap_close(dead);
        return NULL;
    }
    tw_pcap_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        pcap_dump_close(d);
        pcap_close(dead);
        snprintf(errbuf, 256, "out of memory");
        return NULL;
    }
    w->dead = dead;
    w->d = d;
    w->nano = nano;
    return w;
}

void tw_pcap_write(void *h, const uint8_t *data, uint32_t caplen, uint32_t wire_len, uint64_t ts_ns) {
    tw_pcap_writer *w = h;
    struct pcap_pkthdr hdr;
    hdr.ts.tv_sec = (time_t)(ts_ns / 1000000000ull);
    uint64_t frac = ts_ns % 1000000000ull;
    // With a nanosecond dumper libpcap writes tv_usec as-is into the ns field.
    hdr.ts.tv_usec = (suseconds_t)(w->nano ? frac : frac / 1000ull);
    hdr.caplen = caplen;
    hdr.len = wire_len < caplen ? caplen : wire_len;
    pcap_dump((u_char *)w->d, &hdr, data);
    // pcap_dump ignores fwrite's result. Once stdio failed to write its buffer (ENOSPC, EIO)
    // the stream's error flag is set and the bytes are gone, and a later fflush of the now empty
    // buffer succeeds: so the failure is caught here, with its errno, and reported by the flush.
    if (!w->err) {
        FILE *f = pcap_dump_file(w->d);
        if (f && ferror(f)) w->err = errno ? errno : EIO;
    }
}

// pcap_dump_flush, plus the write error tw_pcap_write saw: -1 with errno set, and again on
// every later call (the file has lost data).
int tw_pcap_flush(void *h) {
    tw_pcap_writer *w = h;
    if (!w->err) {
        errno = 0;
        if (pcap_dump_flush(w->d) != 0) w->err = errno ? errno : EIO;
    }
    if (w->err) {
        errno = w->err;
        return -1;
    }
    return 0;
}

void tw_pcap_close_write(void *h) {
    tw_pcap_writer *w = h;
    if (!w) return;
    pcap_dump_close(w->d);
    pcap_close(w->dead);
    free(w);
}
