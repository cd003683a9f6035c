// The machine's own noise on fixed work (`tickwire bench gateway --probe`): the same few
// hundred instructions timed again and again. Their count, their data and their branches do
// not change from one run to the next, and they touch one 4 KiB table that stays in L1, so
// every run should take the same time; what varies is the machine's (interrupts, a tenant on
// the physical core's other hardware thread, frequency changes, the hypervisor). Measured in
// the same loop as a code path of about the same length, it tells that path's tail apart from
// the box's.
#include "CShims.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static uint64_t tw_probe_table[512];
static int tw_probe_ready;

uint64_t tw_noise_probe(uint32_t rounds) {
    if (!tw_probe_ready) {
        for (uint64_t i = 0; i < 512; i++) tw_probe_table[i] = (i + 1) * 0x9E3779B97F4A7C15ull;
        tw_probe_ready = 1;
    }
    uint64_t a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;
#if defined(__x86_64__)
    _mm_lfence();
    const uint64_t t0 = __rdtsc();
    _mm_lfence();
#else
    const uint64_t t0 = tw_rdtsc();
#endif
    // Six accumulators, three loads and one store a round, two to three instructions a cycle
    // on a recent x86 core: about as busy as the gateway's send path.
    for (uint32_t k = 0; k < rounds; k++) {
        a += tw_probe_table[(k * 7) & 511];
        b ^= tw_probe_table[(k * 13) & 511];
        c += b >> 3;
        d ^= a << 1;
        e += tw_probe_table[(k * 5 + 1) & 511];
        f ^= e + c;
        tw_probe_table[(k * 11 + 3) & 511] = d;
    }
#if defined(__x86_64__)
    unsigned aux;
    const uint64_t t1 = __rdtscp(&aux);
    _mm_lfence();
#else
    const uint64_t t1 = tw_rdtsc();
#endif
    tw_probe_table[0] ^= a ^ b ^ c ^ d ^ e ^ f;  // keeps the work
    return t1 - t0;
}
