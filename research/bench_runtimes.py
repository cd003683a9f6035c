#!/usr/bin/env python3
"""Single-row GBDT latency: Tickwire vs LightGBM C API vs lleaves vs onnxruntime, same model,
same rows, one run.

Data flow (documented so the numbers can be trusted):
  1. This script trains a LightGBM binary model: 100 trees, max_depth=6, num_leaves=64,
     20 features, and saves it as <work>/model.txt. Every runtime loads that one file
     (onnxruntime loads the ONNX conversion of the same booster).
  2. It draws <rows> fresh rows (default 100,000; float32 values, 1% NaN) and writes them twice:
     <work>/rows.f32 (float32, row-major, for the Swift bench) and <work>/rows.f64 (the same
     values widened to float64, for LightGBM and lleaves, whose APIs take double). The values
     are identical, so every runtime sees the same inputs.
  3. Every timed loop predicts each row once per pass, in order (no row repeated within a pass),
     reports the mean ns per prediction of each pass, and the median over passes.
  4. Before timing, each runtime's predictions on all rows are compared with
     booster.predict(raw_score=True) (onnxruntime: probabilities vs booster.predict()).

Timed variants:
  tickwire           .build/release/tickwire bench infer --lightgbm model.txt --rows rows.f32 (Swift loop)
  lgbm_c_api_c       LGBM_BoosterPredictForMatSingleRowFast in a C loop (research/harness)
  lgbm_c_api_py      the same call through ctypes, loop in Python
  lleaves_c          lleaves' compiled forest_root(row, &out, 0, 1) in a C loop
  lleaves_py         lleaves Model.predict(1-row array, n_jobs=1) from Python
  lgbm_python        Booster.predict(1-row array) from Python
  onnxruntime_py     InferenceSession.run on a 1-row float32 array (onnxmltools conversion)
Python-level variants are timed on the first --py-rows rows (they cost microseconds each).

usage: research/bench_runtimes.py [--work DIR] [--rows N] [--passes P] [--py-rows N]
Run from the package root after `make release`, in a venv with
research/requirements-runtimes.txt (lleaves, onnxruntime).
"""
import argparse
import ctypes
import importlib.metadata
import json
import os
import subprocess
import sys
import time

import numpy as np
import lightgbm as lgb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
F = 20


def median_pass_ns(fn, n, passes):
    """Mean ns per call of fn(i) for i in range(n), median over passes (after one warm-up)."""
    for i in range(min(n, 1000)):
        fn(i)
    per = []
    for _ in range(passes):
        t0 = time.perf_counter_ns()
        for i in range(n):
            fn(i)
        per.append((time.perf_counter_ns() - t0) / n)
    per.sort()
    return per[len(per) // 2]


def max_err(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(ROOT, "bench-work"))
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--passes", type=int, default=7)
    ap.add_argument("--py-rows", type=int, default=20_000)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    w = lambda name: os.path.join(args.work, name)
    results, notes, errors = {}, {}, {}

    # ---- model and rows -----------------------------------------------------------------
    rng = np.random.default_rng(99)
    n_train = 50_000
    x = rng.standard_normal((n_train, F)).astype(np.float32)
    x[rng.random(x.shape) < 0.01] = np.nan
    xz = np.nan_to_num(x)
    logit = 1.2 * xz[:, 0] - 0.8 * xz[:, 1] + 0.6 * xz[:, 2] * xz[:, 3] + 0.5 * np.tanh(xz[:, 7]) \
        + 0.3 * np.sin(3 * xz[:, 9]) + 0.2 * xz[:, 12] * (xz[:, 13] > 0)
    y = (rng.random(n_train) < 1 / (1 + np.exp(-logit))).astype(np.int32)
    names = [f"f{i}" for i in range(F)]
    params = dict(objective="binary", num_leaves=64, max_depth=6, learning_rate=0.05,
                  min_data_in_leaf=5, verbose=-1, seed=1, num_threads=1)
    booster = lgb.train(params, lgb.Dataset(x, y, feature_name=names), 100)
    booster.save_model(w("model.txt"))
    rows = rng.standard_normal((args.rows, F)).astype(np.float32)
    rows[rng.random(rows.shape) < 0.01] = np.nan
    rows.astype("<f4").tofile(w("rows.f32"))
    rows64 = rows.astype(np.float64)
    rows64.astype("<f8").tofile(w("rows.f64"))
    ref_raw = booster.predict(rows64, raw_score=True)
    ref_prob = booster.predict(rows64)
    dump = booster.dump_model()

    def depth(node):
        return 0 if "leaf_index" in node or "leaf_value" in node and "split_index" not in node \
            else 1 + max(depth(node["left_child"]), depth(node["right_child"]))
    depths = [depth(t["tree_structure"]) for t in dump["tree_info"]]
    leaves = [t["num_leaves"] for t in dump["tree_info"]]
    model_info = {"trees": booster.num_trees(), "max_depth": max(depths),
                  "mean_leaves": float(np.mean(leaves)),
                  "model_txt_bytes": os.path.getsize(w("model.txt"))}

    # ---- Tickwire (Swift) ---------------------------------------------------------------
    bench = os.path.join(ROOT, ".build", "release", "tickwire")
    tw = run_json([bench, "bench", "infer", "--json", "--lightgbm", w("model.txt"), "--rows", w("rows.f32"),
                   "--passes", str(args.passes), "--predictions-out", w("tickwire.f64")])
    results["tickwire"] = tw["gbdt_ns"]
    errors["tickwire_raw_vs_lightgbm"] = max_err(np.fromfile(w("tickwire.f64")), ref_raw)
    notes["tickwire"] = {k: tw[k] for k in ("logistic_ns", "mlp_ns", "layout", "rows", "trees", "depth")}

    # ---- LightGBM C API: C loop, then ctypes loop ----------------------------------------
    libdir = os.path.join(os.path.dirname(lgb.__file__), "lib")
    harness = os.path.join(ROOT, "research", "harness")
    exe = w("lgbm_single_row")
    subprocess.run(["gcc", "-O2", "-o", exe, os.path.join(harness, "lgbm_single_row.c"),
                    f"-L{libdir}", "-l:lib_lightgbm.so", f"-Wl,-rpath,{libdir}"], check=True)
    c = run_json([exe, w("model.txt"), w("rows.f64"), str(F), str(args.passes), w("lgbm_c.f64")])
    results["lgbm_c_api_c"] = c["ns"]
    errors["lgbm_c_api_raw_vs_predict"] = max_err(np.fromfile(w("lgbm_c.f64")), ref_raw)

    lib = ctypes.cdll.LoadLibrary(os.path.join(libdir, "lib_lightgbm.so"))
    handle, iters = ctypes.c_void_p(), ctypes.c_int()
    assert lib.LGBM_BoosterCreateFromModelfile(w("model.txt").encode(), ctypes.byref(iters), ctypes.byref(handle)) == 0
    fast = ctypes.c_void_p()
    assert lib.LGBM_BoosterPredictForMatSingleRowFastInit(
        handle, ctypes.c_int(1), ctypes.c_int(0), ctypes.c_int(-1), ctypes.c_int(1),
        ctypes.c_int32(F), b"num_threads=1", ctypes.byref(fast)) == 0
    out, out_len = ctypes.c_double(), ctypes.c_int64()
    base = rows64.ctypes.data
    call = lib.LGBM_BoosterPredictForMatSingleRowFast
    call.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_double)]
    po, pl = ctypes.byref(out), ctypes.byref(out_len)
    npy = min(args.py_rows, args.rows)
    results["lgbm_c_api_py"] = median_pass_ns(lambda i: call(fast, base + i * F * 8, pl, po), npy, 3)

    # ---- lleaves: C loop on the compiled object, then Python predict ----------------------
    try:
        import lleaves
        llm = lleaves.Model(model_file=w("model.txt"))
        obj = w("lleaves_model.o")
        if os.path.exists(obj):
            os.remove(obj)
        llm.compile(cache=obj, raw_score=True)
        errors["lleaves_raw_vs_lightgbm"] = max_err(llm.predict(rows64, n_jobs=1), ref_raw)
        exe = w("lleaves_single_row")
        subprocess.run(["gcc", "-O2", "-no-pie", "-o", exe,
                        os.path.join(harness, "lleaves_single_row.c"), obj, "-lm"], check=True)
        c = run_json([exe, w("rows.f64"), str(F), str(args.passes), w("lleaves_c.f64")])
        results["lleaves_c"] = c["ns"]
        errors["lleaves_c_raw_vs_lightgbm"] = max_err(np.fromfile(w("lleaves_c.f64")), ref_raw)
        one = [rows64[i:i + 1] for i in range(npy)]
        results["lleaves_py"] = median_pass_ns(lambda i: llm.predict(one[i], n_jobs=1), npy, 3)
        notes["lleaves"] = (f"lleaves {importlib.metadata.version('lleaves')}, llvmlite "
                            f"{importlib.metadata.version('llvmlite')}, compile(raw_score=True), default fblocksize")
    except Exception as exc:  # report, do not hide
        notes["lleaves"] = f"skipped: {type(exc).__name__}: {exc}"

    # ---- LightGBM Python predict on 1-row arrays ------------------------------------------
    one = [rows64[i:i + 1] for i in range(npy)]
    nlg = min(npy, 5_000)
    results["lgbm_python"] = median_pass_ns(lambda i: booster.predict(one[i], raw_score=True, num_threads=1), nlg, 3)

    # ---- onnxruntime --------------------------------------------------------------------
    try:
        import onnxruntime as ort
        from onnxmltools import convert_lightgbm
        from onnxmltools.convert.common.data_types import FloatTensorType
        onx = convert_lightgbm(booster, initial_types=[("input", FloatTensorType([None, F]))],
                               zipmap=False, target_opset=15)
        with open(w("model.onnx"), "wb") as fh:
            fh.write(onx.SerializeToString())
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        sess = ort.InferenceSession(w("model.onnx"), so, providers=["CPUExecutionProvider"])
        outs = [o.name for o in sess.get_outputs()]
        prob_name = [o for o in outs if "prob" in o.lower()][0]
        probs = sess.run([prob_name], {"input": rows})[0][:, 1]
        errors["onnxruntime_prob_vs_lightgbm"] = max_err(probs, ref_prob)
        onef = [rows[i:i + 1] for i in range(npy)]
        results["onnxruntime_py"] = median_pass_ns(lambda i: sess.run([prob_name], {"input": onef[i]}), npy, 3)
        notes["onnxruntime"] = f"onnxruntime {ort.__version__}, onnxmltools convert_lightgbm, opset 15, 1 thread, output = probability"
    except Exception as exc:
        notes["onnxruntime"] = f"skipped: {type(exc).__name__}: {exc}"

    # ---- report -------------------------------------------------------------------------
    t = results["tickwire"]
    ratios = {f"{k}_over_tickwire": round(v / t, 2) for k, v in results.items() if k != "tickwire"}
    print(f"model: {model_info}")
    print(f"rows: {args.rows} fresh rows (python-level variants: first {npy}), passes: {args.passes}")
    print(f"{'runtime':<18}{'ns/pred':>12}{'x tickwire':>12}")
    for k, v in sorted(results.items(), key=lambda kv: kv[1]):
        print(f"{k:<18}{v:>12.1f}{v / t:>12.2f}")
    print("max |error| vs LightGBM:", {k: f"{v:.2e}" for k, v in errors.items()})
    print(json.dumps({"ns_per_prediction": {k: round(v, 1) for k, v in results.items()},
                      "ratios": ratios, "max_abs_error": errors, "model": model_info,
                      "rows": args.rows, "py_rows": npy, "passes": args.passes, "notes": notes,
                      "versions": {"lightgbm": lgb.__version__, "numpy": np.__version__,
                                   "python": sys.version.split()[0]}}))


if __name__ == "__main__":
    main()
