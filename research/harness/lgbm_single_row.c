/* LightGBM C API single-row timing: LGBM_BoosterPredictForMatSingleRowFast in a C loop.
 * usage: lgbm_single_row model.txt rows.f64 ncol passes [preds_out.f64]
 * Declarations copied from LightGBM's include/LightGBM/c_api.h (v4): the wheel ships only the .so. */
#include "common.h"

typedef void *BoosterHandle;
typedef void *FastConfigHandle;
int LGBM_BoosterCreateFromModelfile(const char *filename, int *out_num_iterations, BoosterHandle *out);
int LGBM_BoosterPredictForMatSingleRowFastInit(BoosterHandle handle, const int predict_type,
    const int start_iteration, const int num_iteration, const int data_type, const int32_t ncol,
    const char *parameter, FastConfigHandle *out_fastConfig);
int LGBM_BoosterPredictForMatSingleRowFast(FastConfigHandle fastConfig_handle, const void *data,
    int64_t *out_len, double *out_result);
const char *LGBM_GetLastError(void);
#define C_API_PREDICT_RAW_SCORE 1
#define C_API_DTYPE_FLOAT64 1

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: %s model rows ncol passes [preds_out]\n", argv[0]); return 2; }
    int ncol = atoi(argv[3]), passes = atoi(argv[4]);
    long n;
    double *rows = read_rows(argv[2], ncol, &n);
    BoosterHandle b; int iters;
    if (LGBM_BoosterCreateFromModelfile(argv[1], &iters, &b)) { fprintf(stderr, "%s\n", LGBM_GetLastError()); return 1; }
    FastConfigHandle fc;
    if (LGBM_BoosterPredictForMatSingleRowFastInit(b, C_API_PREDICT_RAW_SCORE, 0, -1, C_API_DTYPE_FLOAT64,
                                                   ncol, "num_threads=1", &fc)) {
        fprintf(stderr, "%s\n", LGBM_GetLastError()); return 1;
    }
    double out = 0, sink = 0; int64_t len;
    if (argc > 5) {
        double *preds = malloc(sizeof(double) * n);
        for (long r = 0; r < n; r++) { LGBM_BoosterPredictForMatSingleRowFast(fc, rows + r * ncol, &len, &out); preds[r] = out; }
        FILE *f = fopen(argv[5], "wb"); fwrite(preds, sizeof(double), n, f); fclose(f);
    }
    for (long r = 0; r < n; r++) { LGBM_BoosterPredictForMatSingleRowFast(fc, rows + r * ncol, &len, &out); sink += out; }
    double *per = malloc(sizeof(double) * passes);
    for (int p = 0; p < passes; p++) {
        uint64_t t0 = now_ns();
        for (long r = 0; r < n; r++) { LGBM_BoosterPredictForMatSingleRowFast(fc, rows + r * ncol, &len, &out); sink += out; }
        per[p] = (double)(now_ns() - t0) / n;
    }
    qsort(per, passes, sizeof(double), cmp_double);
    printf("{\"ns\":%.1f,\"min_ns\":%.1f,\"rows\":%ld,\"passes\":%d,\"checksum\":%.6g}\n", per[passes / 2], per[0], n, passes, sink);
    return 0;
}
