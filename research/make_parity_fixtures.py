#!/usr/bin/env python3
"""Build the parity fixtures for Tests/InferenceTests/Fixtures.

Every fixture model is trained here with the real library, and the library's own predictions on a
held-out set are written beside it; the Swift tests must reproduce them within 1e-5. Needs
research/requirements-runtimes.txt (XGBoost) on top of the research venv.

Files written (all small, committed):
  heldout_rows.f32        N x F little-endian float32, row-major (NaNs and exact zeros included)
  manifest.json           n_rows, n_features, feature names, schema_version, and which model goes
                          with which expectation file
  lgb_binary.txt          LightGBM binary, 30 trees, num_leaves 31, max_depth 7; NaN in training
                          for some features (missing_type NaN) but NaN at predict time in all
                          features (missing_type None routes NaN as 0.0)
  lgb_binary_deep.txt     LightGBM binary, 20 trees, num_leaves 63, no depth limit (deep, lopsided
                          trees: exercises the general, non-perfect layout)
  lgb_zero.txt            LightGBM regression with zero_as_missing (missing_type Zero)
  lgb_categorical.txt     LightGBM with a categorical split: the loader must reject it
  xgb_binary.json         XGBoost binary:logistic, base_score estimated by the library
  xgb_binary_bs.json      XGBoost binary:logistic, explicit base_score=0.3
  xgb_reg.json            XGBoost reg:squarederror
  logistic.json           scikit-learn LogisticRegression in our tickwire-model format
  mlp.json                scikit-learn MLPClassifier (relu 32-16, logistic output) in our format
  expected_<name>_{raw,prob}.f64   the library's predictions, float64 little-endian

Held-out rows are float32 values (stored exactly): the Swift runtimes take float32 input, and the
library is fed the same values widened to float64, so the comparison is of the runtimes alone.
"""
import json
import os
import sys

import numpy as np
import lightgbm as lgb
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "Tests", "InferenceTests", "Fixtures")
SCHEMA_VERSION = 3
F = 20
FEATURES = [f"f{i:02d}_" + name for i, name in enumerate(
    ["imb", "spread", "mid_ret1", "mid_ret5", "mid_ret20", "vol1", "vol5", "ofi1", "ofi5",
     "trade_imb", "qty_bid1", "qty_ask1", "qty_bid5", "qty_ask5", "microprice_dev", "last_side",
     "age_bid", "age_ask", "cancel_rate", "vwap_dev"])]


def make_data(rng, n):
    x = rng.standard_normal((n, F)).astype(np.float32)
    # Round some features to coarse grids so thresholds sit exactly on data values.
    x[:, 15] = np.sign(x[:, 15])
    x[:, 10:14] = np.round(np.abs(x[:, 10:14]) * 4).astype(np.float32)
    logit = (1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.6 * x[:, 2] * x[:, 3] + 0.5 * np.tanh(x[:, 7])
             + 0.3 * x[:, 15] - 0.2 * x[:, 10] + 0.4 * (x[:, 19] > 0.5))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int32)
    return x, y, logit


def sprinkle_nan(rng, x, cols, frac):
    x = x.copy()
    for c in cols:
        m = rng.random(len(x)) < frac
        x[m, c] = np.nan
    return x


def write_f64(name, arr):
    np.asarray(arr, dtype="<f8").tofile(os.path.join(OUT, f"expected_{name}.f64"))


def tickwire_header(kind):
    return {"format": "tickwire-model", "version": 1, "kind": kind,
            "schema_version": SCHEMA_VERSION, "features": FEATURES}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    xtr, ytr, _ = make_data(rng, 20000)
    # NaN during training only in features 0..4: those splits learn missing_type NaN with a
    # learned default direction; the others get missing_type None.
    xtr = sprinkle_nan(rng, xtr, range(5), 0.05)

    xte, _, _ = make_data(rng, 2000)
    # Held out: NaN in every feature (None-type nodes must route NaN as 0.0), plus exact zeros.
    xte = sprinkle_nan(rng, xte, range(F), 0.03)
    zero_mask = rng.random(xte.shape) < 0.03
    xte[zero_mask] = 0.0
    xte = xte.astype(np.float32)
    xte.astype("<f4").tofile(os.path.join(OUT, "heldout_rows.f32"))
    xte64 = xte.astype(np.float64)

    manifest = {"n_rows": int(xte.shape[0]), "n_features": F, "features": FEATURES,
                "schema_version": SCHEMA_VERSION,
                "versions": {"lightgbm": lgb.__version__, "xgboost": xgb.__version__,
                             "numpy": np.__version__}}

    # ---- LightGBM -------------------------------------------------------------------------
    def lgb_fit(name, params, rounds, x, y, **ds):
        p = dict(verbose=-1, seed=7, deterministic=True, num_threads=1)
        p.update(params)
        booster = lgb.train(p, lgb.Dataset(x, y, feature_name=FEATURES, **ds), rounds)
        path = os.path.join(OUT, f"{name}.txt")
        booster.save_model(path)
        write_f64(f"{name}_raw", booster.predict(xte64, raw_score=True))
        write_f64(f"{name}_prob", booster.predict(xte64))
        return booster

    lgb_fit("lgb_binary", dict(objective="binary", num_leaves=31, max_depth=7,
                               learning_rate=0.1), 30, xtr, ytr)
    lgb_fit("lgb_binary_deep", dict(objective="binary", num_leaves=63, min_data_in_leaf=5,
                                    learning_rate=0.1), 20, xtr, ytr)
    # zero_as_missing: zeros (and NaN) are the missing value; a regression so raw == output.
    xz = xtr.copy()
    xz[rng.random(xz.shape) < 0.1] = 0.0
    yz = np.nan_to_num(xz[:, 0]) * 2 - np.nan_to_num(xz[:, 1]) + (xz[:, 2] == 0) * 1.5
    lgb_fit("lgb_zero", dict(objective="regression", num_leaves=15, max_depth=5,
                             zero_as_missing=True, learning_rate=0.2), 10, xz, yz)
    # categorical: must be rejected by the Swift loader
    xc = xtr.copy()
    xc[:, 3] = rng.integers(0, 8, len(xc)).astype(np.float32)
    yc = (xc[:, 3] % 3 == 0).astype(np.int32)
    p = dict(objective="binary", num_leaves=7, verbose=-1, num_threads=1)
    lgb.train(p, lgb.Dataset(xc, yc, feature_name=FEATURES, categorical_feature=[3]), 5) \
       .save_model(os.path.join(OUT, "lgb_categorical.txt"))

    # ---- XGBoost --------------------------------------------------------------------------
    def xgb_fit(name, params, rounds, y):
        p = dict(max_depth=6, eta=0.2, tree_method="hist", nthread=1, seed=3)
        p.update(params)
        dtr = xgb.DMatrix(xtr, label=y, feature_names=FEATURES)
        booster = xgb.train(p, dtr, rounds)
        booster.save_model(os.path.join(OUT, f"{name}.json"))
        dte = xgb.DMatrix(xte64, feature_names=FEATURES)
        write_f64(f"{name}_raw", booster.predict(dte, output_margin=True))
        write_f64(f"{name}_prob", booster.predict(dte))

    xgb_fit("xgb_binary", dict(objective="binary:logistic"), 30, ytr)
    xgb_fit("xgb_binary_bs", dict(objective="binary:logistic", base_score=0.3), 30, ytr)
    yr = np.nan_to_num(xtr[:, 0]) * 3.0 + np.nan_to_num(xtr[:, 5]) ** 2 + 10.0
    xgb_fit("xgb_reg", dict(objective="reg:squarederror"), 20, yr)

    # ---- scikit-learn logistic and MLP (no NaN: fill before fitting, compare on finite rows) --
    xtr_f = np.nan_to_num(xtr, nan=0.0).astype(np.float64)
    xte_f = np.nan_to_num(xte64, nan=0.0)
    lr = LogisticRegression(C=1.0, max_iter=1000).fit(xtr_f, ytr)
    doc = tickwire_header("logistic")
    doc.update(coef=[float(v) for v in lr.coef_[0]], intercept=float(lr.intercept_[0]))
    with open(os.path.join(OUT, "logistic.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
    write_f64("logistic_raw", lr.decision_function(xte_f))
    write_f64("logistic_prob", lr.predict_proba(xte_f)[:, 1])

    mlp = MLPClassifier(hidden_layer_sizes=(32, 16), activation="relu", max_iter=300,
                        random_state=1).fit(xtr_f, ytr)
    doc = tickwire_header("mlp")
    doc.update(activation="relu", output_activation="logistic",
               coef=[c.tolist() for c in mlp.coefs_],
               intercept=[b.tolist() for b in mlp.intercepts_])
    with open(os.path.join(OUT, "mlp.json"), "w") as fh:
        json.dump(doc, fh)
    write_f64("mlp_prob", mlp.predict_proba(xte_f)[:, 1])
    # NaN-free copy of the held-out rows for the models trained without NaN.
    xte_f.astype("<f4").tofile(os.path.join(OUT, "heldout_rows_finite.f32"))

    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    for fn in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, fn)):>9}  {fn}")


if __name__ == "__main__":
    main()
