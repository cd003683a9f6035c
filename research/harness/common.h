/* Shared timing loop for the C harnesses: same method as `tickwire bench infer` (one warm-up pass, then
 * `passes` passes over every row in order; mean ns per call per pass; median over passes). */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>

static double *read_rows(const char *path, int ncol, long *nrows) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    double *rows = malloc(bytes);
    if (fread(rows, 1, bytes, f) != (size_t)bytes) { perror("fread"); exit(1); }
    fclose(f);
    *nrows = bytes / (long)(sizeof(double) * ncol);
    return rows;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
