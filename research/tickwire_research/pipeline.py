"""The work of one task: a day ingested into the catalogue, a model family trained, a day
backtested. Plain functions (the Ray layer in `cluster.py` runs them as tasks), each running the
`tickwire` binary on its input; every output goes through a staging folder and a rename."""
import json
import os
import shutil
import subprocess
import tempfile
import threading

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from . import CatalogueError, PROJECT_DIR
from .catalogue import BLOCK_ROWS, Catalogue, PartitionWriter, schema

STREAM_TABLES = ["events", "tob", "depth", "trades"]
FEATURE_TASKS = ["uptick", "fill", "toxicity", "adapt", "regime"]


def find_tickwire(explicit=None):
    """The binary: --tickwire, else $TICKWIRE, else the project's release build."""
    path = explicit or os.environ.get("TICKWIRE") or os.path.join(PROJECT_DIR, ".build", "release", "tickwire")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise CatalogueError(f"no tickwire binary at {path} (build it with `make release`, "
                             f"or pass --tickwire PATH or set TICKWIRE; on a cluster it must be at that path on every worker)")
    return path


def run_tool(args, what, peaks=None):
    """Runs tickwire; returns the JSON of its last stdout line. A failure names the command.
    With `peaks` (a list), appends the run's peak resident memory in MiB (VmHWM, polled)."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    reader = threading.Thread(target=lambda: out.update(zip(("stdout", "stderr"), p.communicate())), daemon=True)
    reader.start()
    hwm = 0
    while reader.is_alive():
        hwm = max(hwm, vm_hwm_kib(p.pid))
        reader.join(0.02)
    if peaks is not None:
        peaks.append(round(hwm / 1024, 1))
    if p.returncode != 0:
        tail = (out.get("stderr") or out.get("stdout") or "").strip().splitlines()[-3:]
        raise RuntimeError(f"{what}: `{' '.join(args[:3])} ...` exited {p.returncode}: {' | '.join(tail)}")
    lines = [ln for ln in (out.get("stdout") or "").strip().splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def vm_hwm_kib(pid="self"):
    """Peak resident memory of a live process (its current program's, from /proc), 0 if gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak():
    """Starts this process's peak-memory count afresh (a reused Ray worker ran other tasks)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


class RecordPump(threading.Thread):
    """Reads one table's fixed-width records from a FIFO (or file) as tickwire writes them and
    hands them to the table's writer in blocks of exactly BLOCK_ROWS records."""

    def __init__(self, path, table, writer):
        super().__init__(daemon=True)
        self.path, self.schema, self.writer = path, schema(table), writer
        self.error = None
        self.records = 0

    def run(self):
        try:
            size = self.schema.record_bytes
            dtype = self.schema.record_dtype()
            block = BLOCK_ROWS * size
            buf = bytearray()
            with open(self.path, "rb", buffering=0) as fh:
                while True:
                    chunk = fh.read(1 << 22)
                    if not chunk:
                        break
                    buf += chunk
                    while len(buf) >= block:
                        self._emit(np.frombuffer(bytes(buf[:block]), dtype))
                        del buf[:block]
            if len(buf) % size:
                raise CatalogueError(f"{self.schema.name}: stream ends inside a record ({len(buf) % size} bytes)")
            if buf:
                self._emit(np.frombuffer(bytes(buf), dtype))
        except Exception as e:  # reported by the task
            self.error = e

    def _emit(self, rec):
        self.records += len(rec)
        self.writer.write(self.schema.records_to_table(rec))


def unblock_fifo(path):
    """Opens a FIFO for writing without blocking and closes it: a reader still waiting in open()
    (tickwire failed before opening it) then sees end-of-file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


def csv_to_table(path, table, writer):
    """A record-features CSV -> the table's writer, streamed in blocks, with a `row` column."""
    sch = schema(table)
    types = {c["name"]: pa.string() if c["type"].startswith("dictionary") else
             {"float32": pa.float32(), "float64": pa.float64()}.get(c["type"], pa.int64())
             for c in sch.columns if c["name"] != "row"}
    reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 24),
                            convert_options=pacsv.ConvertOptions(column_types=types))
    row = 0
    for batch in reader:
        t = pa.Table.from_batches([batch])
        t = t.append_column("row", pa.array(np.arange(row, row + t.num_rows, dtype=np.uint64)))
        row += t.num_rows
        writer.write(sch.conform(t))
    return row


def ingest_day(root, venue, day, tickwire, fault_marker=None):
    """One day into the catalogue: order events, top of book, 10 levels and trades (tickwire
    events), and the models' labelled feature rows (tickwire record-features). A simulated day's
    input is generated on the way (the very messages its rows come from). Returns rows per table.

    `fault_marker` (tests): when the file does not exist yet, create it and kill this process
    once the day's tables are staged, before they are published."""
    reset_peak()
    cat = Catalogue(root)
    m = cat.manifest(venue, day)
    tw = find_tickwire(tickwire)
    inp = cat.input_path(m)
    cat.clear_stale_work(venue, day)
    work = cat.work_dir(venue, day)
    staged = {}
    peaks = []
    try:
        tables = STREAM_TABLES + [f"features_{t}" for t in FEATURE_TASKS]
        for t in tables:
            cat.clear_stale(venue, t, day)
        feat = os.path.join(work, "features")
        if m["kind"] == "simulated":
            args = [tw, "record-features", "--out", feat, "--seed", str(m["seed"]), "--messages", str(m["messages"]),
                    "--symbols", str(m["symbols"]), "--rate", str(m["rate"]), "--json"]
            fresh = not os.path.isfile(inp)
            if fresh:
                args += ["--itch-out", inp + ".tmp"]
            features = run_tool(args, f"record-features for {venue}/{day}", peaks)
            if fresh:
                os.replace(inp + ".tmp", inp)
        elif m["kind"] == "iex":
            features = {}  # no order identity, no ITCH: the models' features are not recorded from IEX
            peaks.append(0.0)
        else:
            flag = "--itch" if m["kind"] == "itch" else "--capture"
            features = run_tool([tw, "record-features", "--out", feat, flag, inp, "--json"], f"record-features for {venue}/{day}", peaks)

        writers, pumps, paths = {}, [], []
        for t in STREAM_TABLES:
            staged[t] = cat.staging_dir(venue, t, day)
            writers[t] = PartitionWriter(schema(t), staged[t])
            fifo = os.path.join(work, f"{t}.fifo")
            os.mkfifo(fifo)
            paths.append(fifo)
            pumps.append(RecordPump(fifo, t, writers[t]))
        for p in pumps:
            p.start()
        flag = {"itch": "--itch", "simulated": "--itch", "capture": "--capture", "iex": "--iex"}[m["kind"]]
        args = [tw, "events", flag, inp] + sum(([f"--{t}-out", f] for t, f in zip(STREAM_TABLES, paths)), [])
        try:
            events = run_tool(args, f"events for {venue}/{day}", peaks)
        finally:
            for f in paths:
                unblock_fifo(f)
            for p in pumps:
                p.join()
        for p in pumps:
            if p.error:
                raise p.error
        rows = {}
        for t in STREAM_TABLES:
            writers[t].close()
            rows[t] = writers[t].rows
            if rows[t] != events.get("rows", {}).get(t):
                raise RuntimeError(f"{venue}/{day}: {t}: {rows[t]} rows read, tickwire wrote {events.get('rows', {}).get(t)}")
        for task in FEATURE_TASKS:
            path = os.path.join(feat, f"{task}.csv")
            name = f"features_{task}"
            if (task == "regime" and m["kind"] != "simulated") or m["kind"] == "iex":
                continue  # a recorded day has no true regime; an IEX day no feature rows
            staged[name] = cat.staging_dir(venue, name, day)
            w = PartitionWriter(schema(name), staged[name])
            csv_to_table(path, name, w)
            w.close()
            rows[name] = w.rows
        if fault_marker and not os.path.exists(fault_marker):
            with open(fault_marker, "w") as fh:
                fh.write(f"{venue}/{day}\n")
            os._exit(17)
        for t, d in staged.items():
            cat.publish(venue, t, day, d)
        staged = {}
        summary = {"venue": venue, "day": day, "messages": events.get("messages"), "by_type": events.get("by_type"),
                   "bad_book_messages": events.get("bad_book_messages"), "rows": rows,
                   "feature_rows": features.get("rows"), "input_bytes": os.path.getsize(inp),
                   "peak_rss_mb": {"task": round(vm_hwm_kib() / 1024, 1), "record_features": peaks[0], "events": peaks[1]}}
        write_summary(cat, venue, day, summary)
        return summary
    finally:
        for d in staged.values():
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        pa.default_memory_pool().release_unused()  # a reused worker gives back what this day took


def write_summary(cat, venue, day, summary):
    from .catalogue import atomic_write_text
    atomic_write_text(os.path.join(cat.day_dir(venue, day), "ingest.json"), json.dumps(summary, indent=1, sort_keys=True) + "\n")


def backtest_day(root, venue, day, tickwire, run, params, models):
    """One day through `tickwire backtest` with one parameter set: its fills and TCA rows into
    the catalogue (partition day, column `run`), its summary returned."""
    cat = Catalogue(root)
    m = cat.manifest(venue, day)
    tw = find_tickwire(tickwire)
    inp = cat.input_path(m)
    if not os.path.isfile(inp):
        raise CatalogueError(f"{venue}/{day}: no input at {inp} (ingest the day first)")
    work = tempfile.mkdtemp(prefix=f"tw-backtest-{day}-")
    try:
        fills_csv, tca_dir = os.path.join(work, "fills.csv"), os.path.join(work, "tca")
        args = [tw, "backtest", inp, "--json", "--fills-out", fills_csv, "--tca-out", tca_dir, "--models", models]
        for k, v in sorted(params.items()):
            args += [f"--{k}", str(v)] if v is not True else [f"--{k}"]
        summary = run_tool(args, f"backtest of {venue}/{day} ({run})")
        rows = {}
        for table, path in (("fills", fills_csv), ("tca", os.path.join(tca_dir, "fills.csv"))):
            name = f"{table}/run={run}"
            cat.clear_stale(venue, name, day)
            staging = cat.staging_dir(venue, name, day)
            w = PartitionWriter(schema(table), staging)
            t = pacsv.read_csv(path) if os.path.getsize(path) > 0 else None
            if t is not None and t.num_rows:
                t = t.append_column("run", pa.array([run] * t.num_rows, pa.string()))
                w.write(schema(table).conform(t))
            w.close()
            rows[table] = w.rows
            os.makedirs(os.path.dirname(cat.partition_dir(venue, name, day)), exist_ok=True)
            cat.publish(venue, name, day, staging)
        with open(os.path.join(tca_dir, "summary.json")) as fh:
            tca = json.load(fh)
        result = {"venue": venue, "day": day, "run": run, "params": params, "rows": rows,
                  "backtest": {k: summary.get(k) for k in ("messages", "orders", "fills", "filled_shares", "pnl", "msgs_per_sec")},
                  "tca": tca}
        # The day's summary beside its tables, for `report` (PnL across days and runs).
        from .catalogue import atomic_write_text
        d = os.path.join(cat.root, venue, "backtests", f"run={run}")
        os.makedirs(d, exist_ok=True)
        atomic_write_text(os.path.join(d, f"{day}.json"), json.dumps(result, indent=1, sort_keys=True) + "\n")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
