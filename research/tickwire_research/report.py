"""`report`: the catalogue across days: messages, rows and bytes per table, bytes per million
messages, backtest PnL per day and run when there are backtests (JSON + PNG)."""
import json
import os

import pyarrow.parquet as pq

from .catalogue import check_version, table_names


def table_bytes(cat, venue, table, day):
    n, rows = 0, 0
    for sub in cat.table_dirs(venue, table):
        for f in cat.files(venue, sub, [day]):
            pf = pq.ParquetFile(f)
            check_version(table, pf.schema_arrow.metadata, f)
            n += os.path.getsize(f)
            rows += pf.metadata.num_rows
    return n, rows


def write_report(cat, venue, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(out, exist_ok=True)
    days = [d for v, d in cat.days(venue)]
    per_day = []
    for d in days:
        path = os.path.join(cat.day_dir(venue, d), "ingest.json")
        ing = {}
        if os.path.isfile(path):
            with open(path) as fh:
                ing = json.load(fh)
        row = {"day": d, "messages": ing.get("messages"), "input_bytes": ing.get("input_bytes"), "tables": {}}
        for t in table_names():
            b, r = table_bytes(cat, venue, t, d)
            if r or b:
                row["tables"][t] = {"rows": r, "bytes": b}
        per_day.append(row)
    totals = {}
    messages = sum(r["messages"] or 0 for r in per_day)
    for r in per_day:
        for t, v in r["tables"].items():
            tt = totals.setdefault(t, {"rows": 0, "bytes": 0})
            tt["rows"] += v["rows"]
            tt["bytes"] += v["bytes"]
    for t, v in totals.items():
        v["bytes_per_million_messages"] = round(v["bytes"] / messages * 1e6) if messages else None
    doc = {"venue": venue, "days": per_day, "messages": messages, "tables": totals,
           "input_bytes_per_million_messages": round(sum(r["input_bytes"] or 0 for r in per_day) / messages * 1e6) if messages else None}
    runs = {}
    bdir = os.path.join(cat.root, venue, "backtests")
    if os.path.isdir(bdir):
        for r in sorted(os.listdir(bdir)):
            for f in sorted(os.listdir(os.path.join(bdir, r))):
                with open(os.path.join(bdir, r, f)) as fh:
                    b = json.load(fh)
                runs.setdefault(r[4:], []).append({"day": b["day"], **b["backtest"]})
    doc["backtests"] = runs
    with open(os.path.join(out, "catalogue.json"), "w") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
    fig, axes = plt.subplots(1, 3 if runs else 2, figsize=(18 if runs else 12, 4.5))
    if runs:
        for name, rows in sorted(runs.items()):
            axes[2].plot([r["day"] for r in rows], [r["pnl"] or 0 for r in rows], marker="o", label=name)
        axes[2].axhline(0, color="grey", lw=0.5)
        axes[2].set_title("backtest PnL per day (USD)")
        axes[2].tick_params(axis="x", rotation=30, labelsize=7)
        axes[2].legend(fontsize=6)
    names = sorted(totals)
    for i, t in enumerate(names):
        axes[0].bar([j + i / (len(names) + 1) for j in range(len(per_day))],
                    [r["tables"].get(t, {}).get("rows", 0) for r in per_day], width=1 / (len(names) + 1), label=t)
    axes[0].set_xticks(range(len(per_day)), [r["day"] for r in per_day], rotation=30, fontsize=7)
    axes[0].set_yscale("log")
    axes[0].set_title("rows per day and table")
    axes[0].legend(fontsize=6)
    axes[1].barh(names, [totals[t]["bytes_per_million_messages"] or 0 for t in names])
    axes[1].set_title("Parquet bytes per million feed messages")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "catalogue.png"), dpi=110)
    plt.close(fig)
    return {"report": os.path.join(out, "catalogue.json"), "plot": os.path.join(out, "catalogue.png"),
            "days": len(per_day), "messages": messages, "backtest_runs": sorted(runs),
            "bytes_per_million_messages": {t: v["bytes_per_million_messages"] for t, v in totals.items()}}
