/* lleaves single-row timing: calls the compiled forest's entry point directly, one row per call.
 * Linked against the object file lleaves writes with Model.compile(cache=...).
 * usage: lleaves_single_row rows.f64 ncol passes [preds_out.f64] */
#include "common.h"

/* lleaves' generated entry: rows [start, end) of a row-major double matrix -> out. */
void forest_root(double *data, double *out, int start, int end);

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s rows ncol passes [preds_out]\n", argv[0]); return 2; }
    int ncol = atoi(argv[2]), passes = atoi(argv[3]);
    long n;
    double *rows = read_rows(argv[1], ncol, &n);
    double out = 0, sink = 0;
    if (argc > 4) {
        double *preds = malloc(sizeof(double) * n);
        for (long r = 0; r < n; r++) { forest_root(rows + r * ncol, &out, 0, 1); preds[r] = out; }
        FILE *f = fopen(argv[4], "wb"); fwrite(preds, sizeof(double), n, f); fclose(f);
    }
    for (long r = 0; r < n; r++) { forest_root(rows + r * ncol, &out, 0, 1); sink += out; }
    double *per = malloc(sizeof(double) * passes);
    for (int p = 0; p < passes; p++) {
        uint64_t t0 = now_ns();
        for (long r = 0; r < n; r++) { forest_root(rows + r * ncol, &out, 0, 1); sink += out; }
        per[p] = (double)(now_ns() - t0) / n;
    }
    qsort(per, passes, sizeof(double), cmp_double);
    printf("{\"ns\":%.1f,\"min_ns\":%.1f,\"rows\":%ld,\"passes\":%d,\"checksum\":%.6g}\n", per[passes / 2], per[0], n, passes, sink);
    return 0;
}
