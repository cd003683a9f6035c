"""python -m tickwire_research: the research pipeline on Ray (local by default, --address for a
cluster). Commands: simulate, ingest, train, backtest, sweep, report, summary."""
import argparse
import datetime
import json
import os
import shutil
import sys
import time

from . import CatalogueError, PROJECT_DIR, RESEARCH_DIR
from .catalogue import Catalogue

if RESEARCH_DIR not in sys.path:
    sys.path.insert(0, RESEARCH_DIR)  # research/train.py: the model code shared with make_models


def parse_days(text):
    return [d for d in text.split(",") if d] if text else None


def cmd_simulate(args, ray):
    """Seeded simulator days into the catalogue: one Ray task per day writes its input (the
    simulator's ITCH) and ingests it."""
    from .cluster import run_tasks
    from .pipeline import find_tickwire, ingest_day
    cat = Catalogue(args.catalogue, create=True)
    tw = find_tickwire(args.tickwire)
    days = []
    for i in range(args.days):
        seed = args.first_seed + i
        day = f"seed-{seed:04d}"
        cat.add_day(args.venue, day, {"kind": "simulated", "input": "day.itch", "seed": seed, "messages": args.messages,
                                      "symbols": args.symbols, "rate": args.rate})
        days.append(day)
    calls = [(cat.root, args.venue, d, tw, args.fault_marker if d == args.fault_day else None) for d in days]
    results, secs = run_tasks(ray, ingest_day, calls, "simulate+ingest", fresh_worker=True)
    return {"simulated": days, "seconds": round(secs, 2), "days": results}


def cmd_ingest(args, ray):
    """Days with an input into the catalogue: --input FILE --day D adds one (ITCH BinaryFILE or a
    MoldUDP64 capture), --days re-ingests those already there (default: every day of --venue)."""
    from .cluster import run_tasks
    from .pipeline import find_tickwire, ingest_day
    cat = Catalogue(args.catalogue, create=True)
    tw = find_tickwire(args.tickwire)
    if args.input:
        if not args.day:
            raise CatalogueError("--input needs --day NAME")
        if not os.path.isfile(args.input):
            raise CatalogueError(f"no input file {args.input}")
        kind = args.kind or ("capture" if args.input.endswith((".pcap", ".pcapng", ".pcap.gz")) else "itch")
        name = os.path.basename(args.input)
        cat.add_day(args.venue, args.day, {"kind": kind, "input": name})
        dst = os.path.join(cat.day_dir(args.venue, args.day), "input", name)
        if os.path.abspath(args.input) != dst:
            shutil.copyfile(args.input, dst + ".tmp")
            os.replace(dst + ".tmp", dst)
        days = [args.day]
    else:
        days = parse_days(args.days) or [d for _, d in cat.days(args.venue)]
        if not days:
            raise CatalogueError(f"no days of venue '{args.venue}' in {cat.root}")
        for d in days:
            cat.manifest(args.venue, d)
    calls = [(cat.root, args.venue, d, tw, args.fault_marker if d == args.fault_day else None) for d in days]
    results, secs = run_tasks(ray, ingest_day, calls, "ingest", fresh_worker=True)
    return {"ingested": days, "seconds": round(secs, 2), "days": results}


def load_training_days(cat, venue, days):
    """The days' feature tables as train.py's dataset dicts (DataFrames in the recorder's row
    order), read with Ray Data: one read per table over every day's files."""
    import ray.data
    import pyarrow.parquet as pq
    import pyarrow.fs as pafs
    from ray.data.datasource.partitioning import Partitioning
    from .catalogue import check_version
    manifests = [cat.manifest(venue, d) for d in days]
    data = [{} for _ in days]
    for task in ["uptick", "fill", "toxicity", "adapt", "regime"]:
        table = f"features_{task}"
        files = []
        for d in days:
            f = cat.files(venue, table, [d])
            if not f:
                raise CatalogueError(f"{venue}/{d}: no {table} rows (ingest the day; regime rows exist for simulated days only)")
            files += f
        for f in files:
            check_version(table, pq.ParquetFile(f).schema_arrow.metadata, f)
        base = os.path.join(cat.root, venue, table)
        df = ray.data.read_parquet(files, filesystem=pafs.LocalFileSystem(),
                                   partitioning=Partitioning("hive", base_dir=base, field_names=["day"])).to_pandas()
        df["label"] = df["label"].astype("float64" if task == "adapt" else "int64")
        for i, d in enumerate(days):
            data[i][task] = (df[df["day"] == d].drop(columns=["day"]).sort_values("row", kind="stable")
                             .reset_index(drop=True))
    for i, m in enumerate(manifests):
        data[i]["meta"] = {k: m.get(k) for k in ("kind", "seed", "messages", "symbols", "rate", "input")}
    return data


def fit_gbdt_task(task, train_df, held_df, out, seed):
    import train as T
    return T.fit_gbdt(task, train_df, held_df, out, seed)


def fit_regime_task(train_df, held_df, out, seed):
    import train as T
    return T.fit_regime(train_df, held_df, out, seed)


def score_heldout(root, venue, day, tickwire, models, out_dir):
    """The held-out day through the Swift runtime with the new models: every row's prediction."""
    from .pipeline import find_tickwire, run_tool
    cat = Catalogue(root)
    m = cat.manifest(venue, day)
    tw = find_tickwire(tickwire)
    args = [tw, "record-features", "--out", out_dir, "--models", models, "--json"]
    if m["kind"] == "simulated":
        args += ["--seed", str(m["seed"]), "--messages", str(m["messages"]), "--symbols", str(m["symbols"]), "--rate", str(m["rate"])]
    else:
        args += ["--itch" if m["kind"] == "itch" else "--capture", cat.input_path(m)]
    return run_tool(args, f"scoring {venue}/{day}")


def cmd_train(args, ray):
    """The five models from any set of days: one Ray task per model family, data from the
    catalogue through Ray Data; then the held-out day through the Swift runtime and the report
    (models/REPORT.md), as research/make_models.sh did."""
    import train as T
    from .cluster import run_tasks, worker_count
    cat = Catalogue(args.catalogue)
    days = parse_days(args.days) or [d for _, d in cat.days(args.venue) if d != args.heldout]
    if not args.heldout:
        raise CatalogueError("--heldout DAY is required (a simulated day: the regime model needs its true regime)")
    if args.heldout in days:
        raise CatalogueError(f"the held-out day {args.heldout} is also a training day")
    t0 = time.time()
    *train_data, held = load_training_days(cat, args.venue, days + [args.heldout])
    out = args.out
    os.makedirs(os.path.join(out, "parity"), exist_ok=True)
    os.makedirs(os.path.join(out, "report"), exist_ok=True)

    def fit_all(held_data):
        refs_train = {t: ray.put(T.concat_train(train_data, t)) for t in T.GBDT_TASKS + ["regime"]}
        refs_held = {t: ray.put(held_data[t]) for t in T.GBDT_TASKS + ["regime"]}
        calls = [(t, refs_train[t], refs_held[t], os.path.abspath(out), args.seed) for t in T.GBDT_TASKS]
        # LightGBM runs a fixed number of threads (the same model whatever the cluster): a task
        # asks for that many CPUs, or all of a smaller cluster's.
        cpus = min(T.LGB_PARAMS["num_threads"], max(1, worker_count(ray)))
        sections, _ = run_tasks(ray, fit_gbdt_task, calls, "train", num_cpus=cpus)
        (regime,), _ = run_tasks(ray, fit_regime_task, [(refs_train["regime"], refs_held["regime"], os.path.abspath(out), args.seed)], "regime")
        report = {"seed": args.seed, "trained": datetime.date.today().isoformat(), "parity_rows": T.PARITY_ROWS,
                  "data": {"train": [T.dir_summary("train", f"{cat.root}/{args.venue}/{d}", x) for d, x in zip(days, train_data)],
                           "heldout": T.dir_summary("heldout", f"{cat.root}/{args.venue}/{args.heldout}", held_data)}}
        report.update(dict(zip(T.GBDT_TASKS, sections)))
        report["regime"] = regime
        return report

    fit_all(held)
    scored_dir = os.path.join(out, ".heldout-scored")
    shutil.rmtree(scored_dir, ignore_errors=True)
    (scored,), _ = run_tasks(ray, score_heldout, [(cat.root, args.venue, args.heldout, args.tickwire, os.path.abspath(out), os.path.abspath(scored_dir))], "score")
    held_scored = T.load_dir(scored_dir)
    # Same rows as the catalogue's (the recorder is deterministic): keep the catalogue's frames, add the predictions.
    for t in T.GBDT_TASKS + ["regime"]:
        if len(held_scored[t]) != len(held[t]):
            raise RuntimeError(f"held-out {t}: {len(held_scored[t])} scored rows vs {len(held[t])} in the catalogue")
    held_scored["meta"] = held["meta"]
    report = fit_all(held_scored)
    shutil.rmtree(scored_dir, ignore_errors=True)
    T.write_report(report, out)
    return {"models": os.path.abspath(out), "train_days": days, "heldout": args.heldout, "seconds": round(time.time() - t0, 2),
            "auc": {t: report[t].get("auc") for t in T.BINARY_TASKS}}


BACKTEST_DEFAULTS = {"strategy": "mm", "traded": 20}


def check_days(cat, venue, days, models):
    """Before any task runs: every day known and with its input, the models folder there."""
    if not days:
        raise CatalogueError(f"no days of venue '{venue}' in {cat.root}")
    for d in days:
        m = cat.manifest(venue, d)
        if not os.path.isfile(cat.input_path(m)):
            raise CatalogueError(f"day '{d}' of venue '{venue}' has no input yet ({cat.input_path(m)}): ingest it first")
    if models != "none" and not os.path.isdir(models):
        raise CatalogueError(f"no models folder at {models} (train first, or --models none)")


def cmd_backtest(args, ray):
    """The backtester over days: one Ray task per day; fills and TCA rows into the catalogue."""
    from .cluster import run_tasks
    from .pipeline import backtest_day, find_tickwire
    cat = Catalogue(args.catalogue)
    tw = find_tickwire(args.tickwire)
    days = parse_days(args.days) or [d for _, d in cat.days(args.venue)]
    check_days(cat, args.venue, days, args.models)
    params = dict(BACKTEST_DEFAULTS, **dict(kv.split("=", 1) for kv in args.param or []))
    models = args.models if args.models == "none" else os.path.abspath(args.models)
    calls = [(cat.root, args.venue, d, tw, args.run, params, models) for d in days]
    results, secs = run_tasks(ray, backtest_day, calls, "backtest", fresh_worker=True)
    return {"run": args.run, "params": params, "seconds": round(secs, 2), "days": results}


def cmd_sweep(args, ray):
    """A parameter grid over days with Ray Tune: each trial backtests every day with its
    parameters; the per-trial TCA summary is collected into one table (sweeps/<name>.parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from ray import tune
    from .pipeline import backtest_day, find_tickwire
    cat = Catalogue(args.catalogue)
    tw = find_tickwire(args.tickwire)
    days = parse_days(args.days) or [d for _, d in cat.days(args.venue)]
    check_days(cat, args.venue, days, args.models)
    grid = {}
    for g in args.grid or []:
        k, vs = g.split("=", 1)
        grid[k] = tune.grid_search(vs.split(","))
    if not grid:
        raise CatalogueError("--grid KEY=V1,V2 ... (backtest options, e.g. offset-ticks=0,1,2)")
    root, venue = cat.root, args.venue
    models = args.models if args.models == "none" else os.path.abspath(args.models)

    def trial(config):
        params = dict(BACKTEST_DEFAULTS, **{k: v for k, v in config.items()})
        run = args.name + "-" + "-".join(f"{k}{v}" for k, v in sorted(config.items()))
        rows = [backtest_day(root, venue, d, tw, run, params, models) for d in days]
        pnl = sum(r["backtest"]["pnl"] or 0 for r in rows)
        fills = sum(r["backtest"]["fills"] or 0 for r in rows)
        shares = sum(r["backtest"]["filled_shares"] or 0 for r in rows)
        orders = sum(r["backtest"]["orders"] or 0 for r in rows)
        mk = [r["tca"].get("markouts", [{}]) for r in rows]
        return {"run": run, "pnl": pnl, "fills": fills, "filled_shares": shares, "orders": orders,
                "fill_ratio": fills / orders if orders else 0.0, "days": len(rows),
                "markouts_ticks_json": json.dumps(mk)}

    tuner = tune.Tuner(tune.with_resources(trial, {"cpu": 1}), param_space=grid,
                       tune_config=tune.TuneConfig(metric="pnl", mode="max"),
                       run_config=tune.RunConfig(storage_path=os.path.join(cat.root, "_tune"), name=args.name, verbose=0))
    t0 = time.time()
    results = tuner.fit()
    rows = []
    for r in results:
        if r.error:
            raise RuntimeError(f"sweep trial {r.config} failed: {r.error}")
        m = r.metrics
        rows.append(dict({k: str(v) for k, v in r.config.items()}, **{k: m[k] for k in ("run", "pnl", "fills", "filled_shares", "orders", "fill_ratio", "days")}))
    rows.sort(key=lambda x: x["run"])
    os.makedirs(os.path.join(cat.root, venue, "sweeps"), exist_ok=True)
    path = os.path.join(cat.root, venue, "sweeps", f"{args.name}.parquet")
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, path + ".tmp")
    os.replace(path + ".tmp", path)
    best = max(rows, key=lambda x: x["pnl"])
    return {"sweep": path, "trials": len(rows), "days": days, "best": best, "seconds": round(time.time() - t0, 2)}


def cmd_report(args, ray):
    """Across days: messages, rows and bytes per million messages per table (JSON and PNG)."""
    from .report import write_report
    cat = Catalogue(args.catalogue)
    return write_report(cat, args.venue, args.out)


def cmd_summary(args, ray):
    cat = Catalogue(args.catalogue)
    return summary_of(cat, ray)


def summary_of(cat, ray):
    from .cluster import worker_count
    return {"catalogue": cat.root, "days": len(cat.days()), "tables": cat.row_counts(),
            "workers": worker_count(ray) if ray else None}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tickwire_research", description=__doc__.split("\n")[0])
    ap.add_argument("--catalogue", default=os.path.join(PROJECT_DIR, "datasets"), help="the catalogue folder (default: datasets/)")
    ap.add_argument("--address", help="an existing Ray cluster (ray://host:10001 or host:6379); default: local Ray")
    ap.add_argument("--workers", type=int, default=2, help="local Ray: CPUs (workers) to use")
    ap.add_argument("--tickwire", help="the tickwire binary (default: $TICKWIRE, else .build/release/tickwire); on a cluster, its path on every worker")
    ap.add_argument("--venue", default="sim", help="the venue folder (sim: the simulator's days; nasdaq; ...)")
    ap.add_argument("--json", action="store_true", help="print the result as one JSON line only")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("simulate", help="seeded simulator days into the catalogue (one Ray task per day)")
    s.add_argument("--days", type=int, default=3)
    s.add_argument("--first-seed", type=int, default=1)
    s.add_argument("--messages", type=int, default=2_000_000)
    s.add_argument("--symbols", type=int, default=100)
    s.add_argument("--rate", type=float, default=50000.0)
    s = sub.add_parser("ingest", help="a day's input (or the catalogue's days again) into the tables")
    s.add_argument("--input", help="an ITCH 5.0 BinaryFILE or a MoldUDP64 pcap to add as --day")
    s.add_argument("--day", help="the new day's name (e.g. 2019-12-30)")
    s.add_argument("--kind", choices=["itch", "capture", "iex"], help="default: capture for a pcap (MoldUDP64), else itch; iex for IEX-TP")
    s.add_argument("--days", help="comma-separated days to re-ingest (default: every day of --venue)")
    for p in sub.choices.values():
        p.add_argument("--fault-day", help=argparse.SUPPRESS)
        p.add_argument("--fault-marker", help=argparse.SUPPRESS)
    s = sub.add_parser("train", help="the five models from a set of days (one Ray task per model)")
    s.add_argument("--days", help="training days (default: every day of --venue but the held-out one)")
    s.add_argument("--heldout", help="the held-out (simulated) day")
    s.add_argument("--out", default=os.path.join(PROJECT_DIR, "models"))
    s.add_argument("--seed", type=int, default=7)
    s = sub.add_parser("backtest", help="tickwire backtest over days (one Ray task per day): fills and TCA into the catalogue")
    s.add_argument("--days")
    s.add_argument("--run", default="default", help="the name of this parameter set (the run= partition)")
    s.add_argument("--param", action="append", metavar="KEY=VALUE", help="a backtest option, e.g. strategy=fixed")
    s.add_argument("--models", default=os.path.join(PROJECT_DIR, "models"))
    s = sub.add_parser("sweep", help="a parameter grid over days with Ray Tune")
    s.add_argument("--days")
    s.add_argument("--grid", action="append", metavar="KEY=V1,V2")
    s.add_argument("--name", default="sweep")
    s.add_argument("--models", default=os.path.join(PROJECT_DIR, "models"))
    s = sub.add_parser("report", help="plots and figures across days")
    s.add_argument("--out", default=os.path.join(PROJECT_DIR, "out", "research"))
    sub.add_parser("summary", help="the catalogue's days and tables as one JSON line")
    args = ap.parse_args(argv)
    ray = None
    try:
        if args.cmd in ("simulate", "ingest", "train", "backtest", "sweep", "summary"):
            if args.cmd != "simulate" and args.cmd != "ingest":
                Catalogue(args.catalogue)  # a clear error before Ray starts
            from .cluster import start
            ray = start(args.address, args.workers)
        result = globals()[f"cmd_{args.cmd}"](args, ray)
        print(json.dumps(result, sort_keys=True, default=str))
    except CatalogueError as e:
        print(f"tickwire_research: error: {e}", file=sys.stderr)
        sys.exit(2)
    finally:
        if ray is not None:
            ray.shutdown()


if __name__ == "__main__":
    main()
