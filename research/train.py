#!/usr/bin/env python3
"""Train the five shipped microstructure models from `tickwire record-features` datasets.

usage: research/train.py --train DIR [--train DIR2 ...] --heldout DIR --out models/ [--seed 7]

Pipeline
  1. Load. Every dataset directory holds one CSV per task plus meta.json (free-form, copied into
     the report). Stock files (uptick.csv, fill.csv, toxicity.csv, adapt.csv) have the columns
     `time_ns, locate`, the 19 stock features (STOCK_FEATURES, in schema order) and `label`;
     regime.csv has `time_ns`, the 7 regime features (REGIME_FEATURES) and `label`. Features are
     read as float32: the Swift side computes Float features and prints them with 9 significant
     digits, so float32 recovers its values exactly. The --train directories are concatenated.
  2. Train.
       uptick, fill, toxicity  LightGBM binary, 100 trees, depth <= 6, 31 leaves (LGB_PARAMS)
       adapt                   LightGBM regression, same tree settings
       regime                  one logistic regression per class (one-vs-rest, balanced class
                               weights) on standardised features; the scaler is folded into the
                               exported coefficients, so p = sigmoid(b + w.x) on raw features
  3. Export into --out, in the formats the Swift runtime loads: LightGBM text (`<task>.txt`)
     behind a tickwire-model wrapper (`<task>.json`, kind "gbdt"), and `regime_<class>.json`
     (kind "logistic").
  4. Parity fixtures: parity/<model>.csv, 500 held-out rows (the first 500 after a seeded
     shuffle) with the library's prediction for each, computed from the exact float32 feature
     values widened to float64 (what the Swift runtime sees). The Swift tests must reproduce
     `expected`.
  5. Report: REPORT.md and report.json in --out, calibration plots in --out/report/. When the
     held-out CSVs carry Swift's own predictions (`pred`; regime: `p_calm, p_volatile,
     p_drought, state`, written by `record-features --models`), the report also gives the largest
     Swift-vs-library difference and the agreement of the online regime state with the label.

Labels (defined by record-features; see LABELS)
  uptick    1 if the next mid change within 1 s is up
  fill      1 if a hypothetical order joining the back of the touch queue fills within 1 s
  toxicity  1 if, after such a fill, the mid 1 s later is below the buy price (above for a sell)
  adapt     |mid change| over the next second, in ticks (regression)
  regime    the simulator's regime: 0 calm, 1 volatile, 2 drought

Everything is deterministic given --seed (LightGBM deterministic mode, seeded shuffles), except
the `trained` date in the wrappers. Input problems (missing or empty file, missing column, a
label with a single class) end the run with a one-line message and exit status 2.
"""
import argparse
import datetime
import json
import os
import sys

import numpy as np
import pandas as pd
import lightgbm as lgb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import confusion_matrix, log_loss, roc_auc_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

STOCK_FEATURES = [
    "spread_ticks", "microprice_offset_ticks", "imbalance_l1", "imbalance_l2", "log_bid_shares",
    "log_ask_shares", "trade_flow_imbalance", "arrival_rate_bid", "arrival_rate_ask",
    "cancel_rate_bid", "cancel_rate_ask", "realized_vol_ticks", "log_ms_since_trade",
    "queue_ahead_shares", "cancel_rate_ahead", "inventory", "log_bid_orders", "log_ask_orders",
    "last_move_sign"]
REGIME_FEATURES = [
    "bbo_rate", "trade_rate", "trade_share", "mean_spread_ticks", "mean_log_depth",
    "touch_move_share", "mid_vol_ticks"]
REGIME_CLASSES = ["calm", "volatile", "drought"]  # label 0, 1, 2
# The Swift side's schema versions: FeatureState.schema (stock models), MarketState.schema (regime).
STOCK_SCHEMA_VERSION = 2
REGIME_SCHEMA_VERSION = 1

BINARY_TASKS = ["uptick", "fill", "toxicity"]
GBDT_TASKS = BINARY_TASKS + ["adapt"]
LABELS = {
    "uptick": "1 if the next mid change within 1 s is up, else 0",
    "fill": "1 if a hypothetical order joining the back of the touch queue fills within 1 s, else 0",
    "toxicity": "1 if, after such a fill, the mid 1 s later is below the buy price "
                "(above for a sell), else 0",
    "adapt": "absolute mid change over the next second, in ticks",
    "regime": "simulator regime: 0 calm, 1 volatile, 2 drought",
}
# Tree settings shared by the four GBDT models; `objective` and `seed` are added per run.
LGB_PARAMS = dict(
    num_iterations=100, max_depth=6, num_leaves=31, learning_rate=0.05, min_data_in_leaf=200,
    feature_fraction=1.0, bagging_fraction=1.0, bagging_freq=0, linear_tree=False,
    deterministic=True, force_row_wise=True, num_threads=2, verbose=-1)
PARITY_ROWS = 500
ACCEPT_AUC = {"uptick": 0.55, "toxicity": 0.55}  # acceptance thresholds on held-out AUC
FOLD_TOLERANCE = 1e-9
NOT_COMPUTED = "not computed (run record-features with --models)"


class InputError(Exception):
    """A problem with the input data: reported as one line, exit status 2."""


# ---------------------------------------------------------------------------------------------
# Loading

def read_csv(path, features, label_dtype, optional):
    """Reads one dataset CSV: features as float32 (in the given order), `label` as label_dtype,
    plus whichever of the `optional` columns ({name: dtype}) are present."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: file not found")
    try:
        header = list(pd.read_csv(path, nrows=0).columns)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: file is empty") from None
    missing = [c for c in features + ["label"] if c not in header]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    dtypes = {f: np.float32 for f in features}
    dtypes["label"] = label_dtype
    dtypes.update({c: t for c, t in optional.items() if c in header})
    try:
        df = pd.read_csv(path, usecols=list(dtypes), dtype=dtypes)
    except (ValueError, pd.errors.ParserError) as e:
        raise InputError(f"{path}: cannot parse: {e}") from None
    if len(df) == 0:
        raise InputError(f"{path}: no data rows")
    if df["label"].isna().any():
        raise InputError(f"{path}: label column has empty values")
    return df


def check_labels(path, y, allowed):
    """Class labels must be in `allowed` and take at least two distinct values."""
    values = np.unique(y)
    if not np.isin(values, allowed).all():
        raise InputError(f"{path}: label values {values.tolist()} outside {list(allowed)}")
    if len(values) < 2:
        raise InputError(f"{path}: label column has a single class ({values[0]:g})")


def load_dir(directory):
    """Loads every task file of one dataset directory: {task: DataFrame, "meta": dict}."""
    data = {}
    for task in GBDT_TASKS:
        path = os.path.join(directory, f"{task}.csv")
        label_dtype = np.float64 if task == "adapt" else np.int64
        df = read_csv(path, STOCK_FEATURES, label_dtype, {"pred": np.float64})
        if task != "adapt":
            check_labels(path, df["label"].to_numpy(), [0, 1])
        data[task] = df
    path = os.path.join(directory, "regime.csv")
    optional = {f"p_{c}": np.float64 for c in REGIME_CLASSES}
    optional["state"] = np.int64
    df = read_csv(path, REGIME_FEATURES, np.int64, optional)
    check_labels(path, df["label"].to_numpy(), [0, 1, 2])
    if "state" in df and not df["state"].isin([0, 1, 2]).all():
        raise InputError(f"{path}: state values outside [0, 1, 2]")
    if not np.isfinite(df[REGIME_FEATURES].to_numpy()).all():
        raise InputError(f"{path}: non-finite regime feature values")
    data["regime"] = df
    path = os.path.join(directory, "meta.json")
    if not os.path.isfile(path):
        raise InputError(f"{path}: file not found")
    try:
        with open(path) as fh:
            data["meta"] = json.load(fh)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: invalid JSON: {e}") from None
    return data


def concat_train(dirs_data, task):
    return pd.concat([d[task] for d in dirs_data], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Training

def train_gbdt(task, df, seed):
    """LightGBM on the 19 stock features: binary for the classifiers, regression for adapt."""
    params = dict(LGB_PARAMS, objective="regression" if task == "adapt" else "binary", seed=seed)
    ds = lgb.Dataset(df[STOCK_FEATURES].to_numpy(), label=df["label"].to_numpy(np.float64),
                     feature_name=STOCK_FEATURES, categorical_feature=[])
    return lgb.train(params, ds)


def train_regime(train_df, heldout_df):
    """One-vs-rest logistic regressions on standardised regime features, with the scaler folded
    into the coefficients. Returns [(coef, intercept, converged)] in REGIME_CLASSES order.

    Folding: the pipeline computes b + sum(w_i * (x_i - m_i) / s_i), which equals
    (b - sum(w_i * m_i / s_i)) + sum((w_i / s_i) * x_i) on the raw features."""
    x = train_df[REGIME_FEATURES].to_numpy(np.float64)
    label = train_df["label"].to_numpy()
    x_held = heldout_df[REGIME_FEATURES].to_numpy(np.float64)
    models = []
    for k, name in enumerate(REGIME_CLASSES):
        y = (label == k).astype(np.int64)
        if y.min() == y.max():
            raise InputError(f"regime training labels: class '{name}' is "
                             f"{'absent' if y.max() == 0 else 'the only class'}")
        pipe = make_pipeline(StandardScaler(),
                             LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced"))
        pipe.fit(x, y)
        scaler, lr = pipe[0], pipe[1]
        w = lr.coef_[0]
        coef = w / scaler.scale_
        intercept = float(lr.intercept_[0] - np.sum(w * scaler.mean_ / scaler.scale_))
        # The exported form must reproduce the library on the held-out rows.
        diff = np.max(np.abs(logistic_prob(x_held, coef, intercept)
                             - pipe.predict_proba(x_held)[:, 1]))
        if not diff <= FOLD_TOLERANCE:
            raise AssertionError(f"regime_{name}: folded coefficients differ from the pipeline "
                                 f"by {diff:.3g} (> {FOLD_TOLERANCE:g})")
        models.append((coef, intercept, bool(lr.n_iter_[0] < lr.max_iter)))
    return models


def logistic_prob(x64, coef, intercept):
    """sigmoid(intercept + x.coef) in float64, as the Swift LogisticModel computes it."""
    return 1.0 / (1.0 + np.exp(-(intercept + x64 @ coef)))


# ---------------------------------------------------------------------------------------------
# Export

def write_json(path, doc):
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")


def envelope(kind, features, task):
    version = REGIME_SCHEMA_VERSION if features is REGIME_FEATURES else STOCK_SCHEMA_VERSION
    return {"format": "tickwire-model", "version": 1, "kind": kind,
            "schema_version": version, "features": features, "task": task,
            "label": LABELS[task], "trained": datetime.date.today().isoformat()}


def export_gbdt(out, task, booster, train_rows, seed):
    booster.save_model(os.path.join(out, f"{task}.txt"))
    doc = envelope("gbdt", STOCK_FEATURES, task)
    doc.update(engine="lightgbm", model_file=f"{task}.txt", train_rows=train_rows, seed=seed,
               lightgbm_version=lgb.__version__)
    write_json(os.path.join(out, f"{task}.json"), doc)


def export_logistic(out, name, coef, intercept, train_rows):
    doc = envelope("logistic", REGIME_FEATURES, "regime")
    doc.update({"class": name, "coef": [float(c) for c in coef], "intercept": intercept,
                "train_rows": train_rows})
    write_json(os.path.join(out, f"regime_{name}.json"), doc)


def parity_rows(n, seed):
    """Indices of the fixture rows: the first PARITY_ROWS of a seeded shuffle."""
    return np.random.default_rng(seed).permutation(n)[:PARITY_ROWS]


def write_parity(path, features, x32, expected):
    """Features as '%.9g' of the float32 value (round-trips exactly), expected as '%.17g'."""
    with open(path, "w") as fh:
        fh.write(",".join(features + ["expected"]) + "\n")
        for row, e in zip(x32.tolist(), expected.tolist()):
            fh.write(",".join("%.9g" % v for v in row) + ",%.17g\n" % e)


# ---------------------------------------------------------------------------------------------
# Evaluation

def max_abs_diff(df, column, library):
    """Largest |Swift prediction - library prediction|, or None when the column is absent."""
    if column not in df:
        return None
    return float(np.max(np.abs(df[column].to_numpy(np.float64) - library)))


def eval_binary(train_df, held_df, p):
    y = held_df["label"].to_numpy()
    base = float(train_df["label"].mean())
    return {"auc": float(roc_auc_score(y, p)),
            "logloss": float(log_loss(y, p, labels=[0, 1])),
            "logloss_baseline": float(log_loss(y, np.full(len(y), base), labels=[0, 1])),
            "positive_rate_train": base, "positive_rate_heldout": float(y.mean()),
            "train_rows": len(train_df), "heldout_rows": len(held_df),
            "max_abs_diff_swift": max_abs_diff(held_df, "pred", p)}


def eval_regression(train_df, held_df, p):
    """Errors of the model and of the constant training mean; R^2 is relative to that constant
    (1 - MSE_model / MSE_constant), i.e. the out-of-sample gain over predicting the mean."""
    y = held_df["label"].to_numpy(np.float64)
    mean = float(train_df["label"].mean())
    mse, mse0 = np.mean((y - p) ** 2), np.mean((y - mean) ** 2)
    return {"rmse": float(np.sqrt(mse)), "mae": float(np.mean(np.abs(y - p))),
            "r2": float(1.0 - mse / mse0) if mse0 > 0 else None,
            "rmse_baseline": float(np.sqrt(mse0)), "mae_baseline": float(np.mean(np.abs(y - mean))),
            "train_mean": mean, "heldout_mean": float(y.mean()),
            "train_rows": len(train_df), "heldout_rows": len(held_df),
            "max_abs_diff_swift": max_abs_diff(held_df, "pred", p)}


def gain_importance(booster):
    """[(feature, % of total gain)], largest first."""
    gain = booster.feature_importance(importance_type="gain")
    total = gain.sum()
    pct = 100.0 * gain / total if total > 0 else np.zeros_like(gain)
    return sorted(zip(STOCK_FEATURES, pct.tolist()), key=lambda t: -t[1])


def agreement(label, pred):
    """Fraction equal and the 3x3 confusion table (rows: label, columns: prediction)."""
    return {"agreement": float(np.mean(label == pred)),
            "confusion": confusion_matrix(label, pred, labels=[0, 1, 2]).tolist()}


def eval_regime(train_df, held_df, probs):
    """probs: held-out n x 3 array of the per-class (one-vs-rest) probabilities."""
    label = held_df["label"].to_numpy()
    res = {"train_rows": len(train_df), "heldout_rows": len(held_df),
           "class_share_train": class_shares(train_df["label"].to_numpy()),
           "class_share_heldout": class_shares(label), "auc": {}, "max_abs_diff_swift": {}}
    for k, name in enumerate(REGIME_CLASSES):
        y = label == k
        # A class absent from (or alone in) the held-out set has no AUC.
        res["auc"][name] = float(roc_auc_score(y, probs[:, k])) if 0 < y.sum() < len(y) else None
        res["max_abs_diff_swift"][name] = max_abs_diff(held_df, f"p_{name}", probs[:, k])
    argmax = agreement(label, probs.argmax(axis=1))
    res["agreement_argmax"], res["confusion_argmax"] = argmax["agreement"], argmax["confusion"]
    if "state" in held_df:
        state = agreement(label, held_df["state"].to_numpy())
        res["agreement_state"], res["confusion_state"] = state["agreement"], state["confusion"]
    else:
        res["agreement_state"], res["confusion_state"] = None, None
    return res


def class_shares(label):
    return {name: float(np.mean(label == k)) for k, name in enumerate(REGIME_CLASSES)}


def calibration_plot(path, task, y, p, auc):
    """Mean predicted vs observed positive rate over 10 equal-count bins of the prediction."""
    order = np.argsort(p, kind="stable")
    bins = np.array_split(order, 10)
    pred = np.array([p[b].mean() for b in bins])
    obs = np.array([y[b].mean() for b in bins])
    lo, hi = min(pred.min(), obs.min()), max(pred.max(), obs.max())
    pad = 0.05 * (hi - lo) + 1e-3
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "--", color="grey", lw=1, label="ideal")
    ax.plot(pred, obs, "o-", label="model")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed positive rate")
    ax.set_title(f"{task}: calibration (held-out, AUC {auc:.3f})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Report

def fmt(v, spec=".4f"):
    return "n/a" if v is None else format(v, spec)


def md_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines


def confusion_lines(table):
    return md_table(["label \\ predicted"] + REGIME_CLASSES,
                    [[name] + row for name, row in zip(REGIME_CLASSES, table)])


def acceptance_lines(report):
    lines = []
    for task, threshold in ACCEPT_AUC.items():
        auc = report[task]["auc"]
        lines.append(f"- {task} AUC {auc:.4f} (> {threshold}: {'yes' if auc > threshold else 'no'})")
    state = report["regime"]["agreement_state"]
    lines.append("- regime agreement (online state with hysteresis) "
                 + (f"{state:.4f}" if state is not None else NOT_COMPUTED))
    return lines


def swift_diff_text(v):
    return NOT_COMPUTED if v is None else f"{v:.3g}"


def binary_section(report):
    lines = ["## Binary models (held-out)", ""]
    rows = []
    for t in BINARY_TASKS:
        r = report[t]
        rows.append([t, r["train_rows"], r["heldout_rows"], fmt(r["positive_rate_train"]),
                     fmt(r["positive_rate_heldout"]), fmt(r["auc"]), fmt(r["logloss"]),
                     fmt(r["logloss_baseline"])])
    lines += md_table(["model", "train rows", "held-out rows", "train pos. rate",
                       "held-out pos. rate", "AUC", "log-loss", "log-loss (constant)"], rows)
    lines += ["", "Constant baseline: the training positive rate predicted for every row.", ""]
    for t in BINARY_TASKS:
        lines.append(f"![{t} calibration](report/calibration_{t}.png)")
    return lines + [""]


def adapt_section(r):
    lines = ["## adapt (regression, held-out)", ""]
    lines += md_table(["", "RMSE", "MAE", "R^2"],
                      [["model", fmt(r["rmse"]), fmt(r["mae"]), fmt(r["r2"])],
                       ["constant (train mean %.4f)" % r["train_mean"], fmt(r["rmse_baseline"]),
                        fmt(r["mae_baseline"]), fmt(0.0)]])
    lines += ["", f"Rows: {r['train_rows']} train, {r['heldout_rows']} held-out; held-out mean "
              f"{r['heldout_mean']:.4f}. R^2 = 1 - MSE(model) / MSE(constant train mean).", ""]
    return lines


def importance_section(report):
    lines = ["## Feature importance (LightGBM gain, % of total)", ""]
    imps = {t: dict(report[t]["importance_gain_pct"]) for t in GBDT_TASKS}
    # Rows ordered by the mean share over the four models.
    order = sorted(STOCK_FEATURES, key=lambda f: -sum(imps[t][f] for t in GBDT_TASKS))
    lines += md_table(["feature"] + GBDT_TASKS,
                      [[f] + [f"{imps[t][f]:.1f}" for t in GBDT_TASKS] for f in order])
    return lines + [""]


def regime_section(r):
    lines = ["## regime (one-vs-rest logistic, held-out)", ""]
    lines += md_table(["class", "train share", "held-out share", "AUC (OvR)", "converged"],
                      [[c, fmt(r["class_share_train"][c]), fmt(r["class_share_heldout"][c]),
                        "n/a (class absent or alone in held-out)" if r["auc"][c] is None
                        else fmt(r["auc"][c]), "yes" if r["converged"][c] else "no"]
                       for c in REGIME_CLASSES])
    lines += ["", f"Rows: {r['train_rows']} train, {r['heldout_rows']} held-out.", "",
              f"Argmax of the library probabilities (no hysteresis): agreement with label "
              f"{r['agreement_argmax']:.4f}", ""]
    lines += confusion_lines(r["confusion_argmax"])
    lines += [""]
    if r["agreement_state"] is None:
        lines += [f"Online state with hysteresis: {NOT_COMPUTED}", ""]
    else:
        lines += [f"Online state with hysteresis (Swift): agreement with label "
                  f"{r['agreement_state']:.4f}", ""]
        lines += confusion_lines(r["confusion_state"])
        lines += [""]
    return lines


def parity_section(report):
    lines = ["## Swift vs library", "",
             "Largest |Swift prediction - library prediction| over all held-out rows "
             "(regime: Swift's p_<class> vs the class's one-vs-rest probability).", ""]
    rows = [[t, swift_diff_text(report[t]["max_abs_diff_swift"])] for t in GBDT_TASKS]
    rows += [[f"regime_{c}", swift_diff_text(report["regime"]["max_abs_diff_swift"][c])]
             for c in REGIME_CLASSES]
    lines += md_table(["model", "max abs diff"], rows)
    lines += ["", f"Parity fixtures: parity/<model>.csv, {report['parity_rows']} held-out rows "
              "each (seeded shuffle), features then `expected`.", ""]
    return lines


def data_section(report):
    lines = ["## Data", ""]
    for d in report["data"]["train"] + [report["data"]["heldout"]]:
        lines += [f"### {d['role']}: `{d['dir']}`", "",
                  "Rows: " + ", ".join(f"{t} {n}" for t, n in d["rows"].items()), "",
                  "meta.json:", "", "```json", json.dumps(d["meta"], indent=1, sort_keys=True),
                  "```", ""]
    return lines


def render_markdown(report):
    lines = ["# Tickwire model training report", ""]
    lines += acceptance_lines(report)
    lines += ["", f"Seed {report['seed']}, LightGBM {lgb.__version__}, trained "
              f"{report['trained']}.", ""]
    lines += binary_section(report)
    lines += adapt_section(report["adapt"])
    lines += importance_section(report)
    lines += regime_section(report["regime"])
    lines += parity_section(report)
    lines += ["## Labels", ""] + [f"- {t}: {LABELS[t]}" for t in GBDT_TASKS + ["regime"]] + [""]
    lines += data_section(report)
    return "\n".join(lines)


def print_summary(report, out):
    for line in acceptance_lines(report):
        print(line[2:])  # without the list marker
    print(f"fill AUC {report['fill']['auc']:.4f}")
    a = report["adapt"]
    print(f"adapt RMSE {a['rmse']:.4f} (constant {a['rmse_baseline']:.4f}), R^2 {fmt(a['r2'])}")
    print(f"regime argmax agreement {report['regime']['agreement_argmax']:.4f}")
    print(f"wrote {out}/REPORT.md, {out}/report.json, models and parity fixtures")


# ---------------------------------------------------------------------------------------------

def fit_gbdt(task, train_df, held_df, out, seed):
    """One GBDT model: trained, exported to `out` (model, wrapper, parity fixture, calibration
    plot), evaluated on the held-out rows. Returns its report section. Deterministic."""
    booster = train_gbdt(task, train_df, seed)
    export_gbdt(out, task, booster, len(train_df), seed)
    x_held = held_df[STOCK_FEATURES].to_numpy()
    p = booster.predict(x_held.astype(np.float64))
    if task == "adapt":
        section = eval_regression(train_df, held_df, p)
    else:
        section = eval_binary(train_df, held_df, p)
        calibration_plot(os.path.join(out, "report", f"calibration_{task}.png"), task,
                         held_df["label"].to_numpy(), p, section["auc"])
    section["importance_gain_pct"] = gain_importance(booster)
    idx = parity_rows(len(held_df), seed)
    write_parity(os.path.join(out, "parity", f"{task}.csv"), STOCK_FEATURES, x_held[idx],
                 booster.predict(x_held[idx].astype(np.float64)))
    return section


def fit_regime(train_df, held_df, out, seed):
    """The three one-vs-rest regime models: trained, exported, evaluated."""
    models = train_regime(train_df, held_df)
    x_held32 = held_df[REGIME_FEATURES].to_numpy()
    x_held = x_held32.astype(np.float64)
    probs = np.column_stack([logistic_prob(x_held, c, b) for c, b, _ in models])
    idx = parity_rows(len(held_df), seed)
    for (coef, intercept, _), name in zip(models, REGIME_CLASSES):
        export_logistic(out, name, coef, intercept, len(train_df))
        write_parity(os.path.join(out, "parity", f"regime_{name}.csv"), REGIME_FEATURES,
                     x_held32[idx], logistic_prob(x_held[idx], coef, intercept))
    section = eval_regime(train_df, held_df, probs)
    section["converged"] = {n: m[2] for n, m in zip(REGIME_CLASSES, models)}
    return section


def write_report(report, out):
    write_json(os.path.join(out, "report.json"), report)
    with open(os.path.join(out, "REPORT.md"), "w") as fh:
        fh.write(render_markdown(report))
    print_summary(report, out)


def dir_summary(role, directory, data):
    return {"role": role, "dir": directory, "meta": data["meta"],
            "rows": {t: len(data[t]) for t in GBDT_TASKS + ["regime"]}}


def run(args):
    train_data = [load_dir(d) for d in args.train]
    held = load_dir(args.heldout)
    out = args.out
    os.makedirs(os.path.join(out, "parity"), exist_ok=True)
    os.makedirs(os.path.join(out, "report"), exist_ok=True)
    report = {"seed": args.seed, "trained": datetime.date.today().isoformat(),
              "parity_rows": PARITY_ROWS,
              "data": {"train": [dir_summary("train", d, x) for d, x in zip(args.train, train_data)],
                       "heldout": dir_summary("heldout", args.heldout, held)}}

    for task in GBDT_TASKS:
        report[task] = fit_gbdt(task, concat_train(train_data, task), held[task], out, args.seed)
    report["regime"] = fit_regime(concat_train(train_data, "regime"), held["regime"], out, args.seed)

    write_report(report, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", action="append", required=True, metavar="DIR",
                    help="training dataset directory (repeatable; concatenated)")
    ap.add_argument("--heldout", required=True, metavar="DIR", help="held-out dataset directory")
    ap.add_argument("--out", required=True, metavar="DIR", help="output directory, e.g. models/")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    try:
        run(args)
    except InputError as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
