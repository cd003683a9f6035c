// Four log1p at once, for a feature row (Inference/Features.swift): glibc's vector math
// (libmvec, glibc 2.35+) on AVX2, else four calls of the scalar one.
//
// The row stores each logarithm as a Float. libmvec's log1p is within 2 ulp of glibc's
// scalar one in double (its documented bound is 4), and rounded to Float the two agree: 0
// mismatches in 100 million draws over 1e-12 ... 1e9 and integers to 2^20 on this machine,
// and InferenceTests checks a million more, with the edge cases. So a row is the same with
// either; the vector call costs about a third of four scalar ones.
#include "CShims.h"

#include <immintrin.h>
#include <math.h>

__attribute__((target("avx2"))) __m256d _ZGVdN4v_log1p(__m256d x);

static int tw_log1p4_mode = -1;  // -1 unknown, 0 scalar, 1 AVX2

static int tw_log1p4_choose(void) {
    __builtin_cpu_init();
    tw_log1p4_mode = __builtin_cpu_supports("avx2") ? 1 : 0;
    return tw_log1p4_mode;
}

__attribute__((target("avx2")))
static void tw_log1p4_avx2(const double *in, double *out) {
    _mm256_storeu_pd(out, _ZGVdN4v_log1p(_mm256_loadu_pd(in)));
}

bool tw_log1p4_vector(void) {
    return (tw_log1p4_mode < 0 ? tw_log1p4_choose() : tw_log1p4_mode) == 1;
}

void tw_log1p4(const double *in, double *out) {
    int mode = tw_log1p4_mode < 0 ? tw_log1p4_choose() : tw_log1p4_mode;
    if (mode == 1) {
        tw_log1p4_avx2(in, out);
        return;
    }
    double a = log1p(in[0]), b = log1p(in[1]), c = log1p(in[2]), d = log1p(in[3]);
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
}
