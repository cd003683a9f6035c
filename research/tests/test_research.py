"""The research pipeline end to end on local Ray (`make research-test`, part of `make test`):
3 small simulated days and the real NASDAQ snippet into two catalogues, one with 2 workers (and
one day's task killed once), one with 1 worker; the models trained from both. Checks every
table's schema and row count, the snippet's counts against its published by-type counts, the two
catalogues and the two model sets byte for byte, and the clear errors of the entry points.

Environment: TICKWIRE (the binary; default .build/release/tickwire), RESEARCH_TEST_MESSAGES
(messages per simulated day, default 600000)."""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RESEARCH = os.path.dirname(HERE)
PROJECT = os.path.dirname(RESEARCH)
sys.path.insert(0, RESEARCH)

import pyarrow.parquet as pq  # noqa: E402

from tickwire_research import CatalogueError  # noqa: E402
from tickwire_research.catalogue import Catalogue, schema, table_names  # noqa: E402

SNIPPET = os.path.join(PROJECT, "..", "shared", "data", "itch", "12302019_SNIPPET.NASDAQ_ITCH50")
TOPS = os.path.join(PROJECT, "..", "shared", "data", "iex", "TOPS16.pcap")
DEEP = os.path.join(PROJECT, "..", "shared", "data", "iex", "DEEP10.pcap.gz")
# Published with the file (shared/data/README.md).
SNIPPET_COUNTS = {"A": 367, "F": 193, "U": 225, "D": 167, "E": 28, "X": 6, "C": 1, "P": 4, "Q": 4, "I": 4, "S": 1}
MESSAGES = int(os.environ.get("RESEARCH_TEST_MESSAGES", "600000"))
TICKWIRE = os.path.abspath(os.environ.get("TICKWIRE", os.path.join(PROJECT, ".build", "release", "tickwire")))


def cli(*args, check=True):
    p = subprocess.run([sys.executable, "-m", "tickwire_research", "--tickwire", TICKWIRE, *args],
                       cwd=RESEARCH, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p


def last_json(p):
    return json.loads([ln for ln in p.stdout.splitlines() if ln.startswith("{")][-1])


def read_json(path):
    with open(path) as fh:
        return json.load(fh)


def digests(root, pattern):
    out = {}
    for f in sorted(glob.glob(os.path.join(root, pattern), recursive=True)):
        with open(f, "rb") as fh:
            out[os.path.relpath(f, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


class ResearchPipeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(SNIPPET):
            raise unittest.SkipTest(f"the NASDAQ snippet is not at {SNIPPET}")
        if not os.access(TICKWIRE, os.X_OK):
            raise AssertionError(f"no tickwire binary at {TICKWIRE}")
        cls.tmp = tempfile.mkdtemp(prefix="tw-research-test-")
        cls.cats, cls.models, cls.results = {}, {}, {}
        for workers in (2, 1):
            cat = os.path.join(cls.tmp, f"cat{workers}")
            marker = os.path.join(cls.tmp, "killed-once")
            fault = ["--fault-day", "seed-0002", "--fault-marker", marker] if workers == 2 else []
            sim = last_json(cli("--catalogue", cat, "--workers", str(workers), "simulate", "--days", "3",
                                "--messages", str(MESSAGES), *fault))
            ing = last_json(cli("--catalogue", cat, "--workers", str(workers), "--venue", "nasdaq", "ingest",
                                "--input", SNIPPET, "--day", "2019-12-30"))
            models = os.path.join(cls.tmp, f"models{workers}")
            tr = last_json(cli("--catalogue", cat, "--workers", str(workers), "train", "--heldout", "seed-0003",
                               "--out", models))
            extra = {}
            if workers == 2:
                extra["backtest"] = last_json(cli("--catalogue", cat, "backtest", "--days", "seed-0001", "--models", models))
                extra["sweep"] = last_json(cli("--catalogue", cat, "sweep", "--days", "seed-0001", "--models", models,
                                               "--grid", "strategy=fixed", "--grid", "offset-ticks=0,1", "--name", "offsets"))
            summ = last_json(cli("--catalogue", cat, "--workers", str(workers), "summary"))
            cls.cats[workers], cls.models[workers] = cat, models
            cls.results[workers] = dict(extra, simulate=sim, ingest=ing, train=tr, summary=summ, marker=marker)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "tmp", ""), ignore_errors=True)

    def test_killed_task_was_retried_without_duplicates(self):
        r = self.results[2]
        self.assertTrue(os.path.isfile(r["marker"]), "the fault hook never killed the task")
        cat = Catalogue(self.cats[2])
        m = cat.manifest("sim", "seed-0002")
        self.assertEqual(m["kind"], "simulated")
        for t in table_names():
            for sub in cat.table_dirs("sim", t):
                files = cat.files("sim", sub, ["seed-0002"])
                if t in ("fills", "tca"):
                    continue
                self.assertTrue(files or t not in ("events", "tob", "depth", "trades"), t)
        # Nothing of the killed attempt is left, and each day's rows are there once.
        left = [p for p in glob.glob(os.path.join(self.cats[2], "**", ".*"), recursive=True) if "/_tune/" not in p]
        self.assertEqual(left, [])
        day = [d for d in r["simulate"]["days"] if d["day"] == "seed-0002"][0]
        events = pq.read_table(cat.files("sim", "events", ["seed-0002"])[0])
        self.assertEqual(events.num_rows, day["rows"]["events"])
        seqs = events.column("seq").to_numpy()
        self.assertEqual(len(set(seqs.tolist())), len(seqs), "duplicate event rows")

    def test_one_and_two_workers_write_identical_tables_and_models(self):
        def ingested(root):  # the backtest and sweep ran on the 2-worker catalogue only
            return {k: v for k, v in digests(root, "**/*.parquet").items()
                    if not k.startswith(("sim/fills/", "sim/tca/", "sim/sweeps/", "_tune/"))}
        a, b = ingested(self.cats[2]), ingested(self.cats[1])
        self.assertGreater(len(a), 20)
        self.assertEqual(a, b)
        ma = digests(self.models[2], "**/*.txt") | digests(self.models[2], "**/*.csv") | digests(self.models[2], "regime_*.json")
        mb = digests(self.models[1], "**/*.txt") | digests(self.models[1], "**/*.csv") | digests(self.models[1], "regime_*.json")
        self.assertEqual(sorted(ma), sorted(mb))
        self.assertIn("uptick.txt", ma)
        self.assertEqual(ma, mb)
        for f in ("uptick.json", "report.json"):
            ja, jb = (read_json(os.path.join(m, f)) for m in (self.models[2], self.models[1]))
            ja.pop("data", None), jb.pop("data", None)
            self.assertEqual(ja, jb, f)

    def test_every_table_has_its_schema_and_the_rows_tickwire_wrote(self):
        cat = Catalogue(self.cats[2])
        summary = self.results[2]["summary"]
        self.assertEqual(summary["days"], 4)
        expected = {}
        for venue, day in cat.days():
            ing = read_json(os.path.join(cat.day_dir(venue, day), "ingest.json"))
            for t, n in ing["rows"].items():
                expected[t] = expected.get(t, 0) + n
                files = cat.files(venue, t, [day])
                self.assertTrue(files, f"{venue}/{day}: no {t} files")
                rows = 0
                for f in files:
                    pf = pq.ParquetFile(f)
                    s = schema(t)
                    self.assertEqual(pf.schema_arrow.names, [c["name"] for c in s.columns], f)
                    self.assertEqual(pf.schema_arrow.remove_metadata(), s.arrow.remove_metadata(), f)
                    self.assertEqual(pf.schema_arrow.metadata[b"tickwire.schema_version"], str(s.version).encode())
                    rows += pf.metadata.num_rows
                self.assertEqual(rows, n, f"{venue}/{day} {t}")
        self.assertEqual({t: n for t, n in summary["tables"].items() if t not in ("fills", "tca")}, expected)
        for t in ("events", "tob", "depth", "trades", "features_uptick", "features_regime"):
            self.assertGreater(expected.get(t, 0), 0, t)
        # Per-symbol tables: one folder per stock.
        syms = os.listdir(cat.partition_dir("sim", "tob", "seed-0001"))
        self.assertGreater(len(syms), 50)
        self.assertTrue(all(s.startswith("symbol=") for s in syms))

    def test_backtest_and_sweep_write_their_tables(self):
        r = self.results[2]
        bt = r["backtest"]["days"][0]
        self.assertGreater(bt["backtest"]["fills"], 0)
        cat = Catalogue(self.cats[2])
        for table in ("fills", "tca"):
            t = cat.read("sim", f"{table}/run=default", ["seed-0001"])
            self.assertEqual(t.num_rows, bt["backtest"]["fills"], table)
            self.assertEqual(set(t.column("run").to_pylist()), {"default"})
        sw = r["sweep"]
        self.assertEqual(sw["trials"], 2)
        rows = pq.read_table(sw["sweep"]).to_pylist()
        self.assertEqual(sorted(x["offset-ticks"] for x in rows), ["0", "1"])
        for x in rows:
            # Each trial's fills are in the catalogue under its run, and add up to what it reported.
            t = cat.read("sim", f"fills/run={x['run']}", ["seed-0001"])
            self.assertEqual(t.num_rows, x["fills"])
        self.assertEqual(sw["best"]["pnl"], max(x["pnl"] for x in rows))
        rep = last_json(cli("--catalogue", self.cats[2], "report", "--out", os.path.join(self.tmp, "report")))
        self.assertIn("default", rep["backtest_runs"])
        self.assertEqual(rep["days"], 3)
        self.assertTrue(os.path.getsize(rep["plot"]) > 10000)
        self.assertGreater(rep["bytes_per_million_messages"]["events"], 0)

    def test_the_snippets_counts_are_its_published_counts(self):
        cat = Catalogue(self.cats[2])
        ing = read_json(os.path.join(cat.day_dir("nasdaq", "2019-12-30"), "ingest.json"))
        self.assertEqual(ing["messages"], 1000)
        self.assertEqual(ing["by_type"], SNIPPET_COUNTS)
        ev = cat.read("nasdaq", "events", ["2019-12-30"]).to_pandas()
        counts = ev["msg_type"].astype(str).value_counts().to_dict()
        order_types = {k: v for k, v in SNIPPET_COUNTS.items() if k in "AFUDEXCPQ"}
        self.assertEqual(counts, order_types)
        acts = ev["action"].astype(str).value_counts().to_dict()
        self.assertEqual(acts, {"add": 367 + 193, "modify": 225, "cancel": 167 + 6, "execute": 28 + 1, "trade": 4 + 4})
        # Orders added before 09:30 are unknown to a book built from the snippet: flagged, not dropped.
        self.assertEqual(int(ev["bad_book"].sum()), ing["bad_book_messages"])
        self.assertTrue(ev["last_in_packet"].all())
        tr = cat.read("nasdaq", "trades", ["2019-12-30"]).to_pandas()
        self.assertEqual(len(tr), 28 + 1 + 4 + 4)

    def test_unknown_schema_version_is_refused(self):
        copy = os.path.join(self.tmp, "cat-copy")
        shutil.copytree(self.cats[1], copy)
        cat = Catalogue(copy)
        for table in ("trades", "features_uptick"):
            f = cat.files("sim", table, ["seed-0001"])[0]
            t = pq.read_table(f)
            meta = dict(t.schema.metadata)
            meta[b"tickwire.schema_version"] = b"99"
            pq.write_table(t.replace_schema_metadata(meta), f)
        with self.assertRaises(CatalogueError) as e:
            cat.read("sim", "trades", ["seed-0001"])
        self.assertIn("schema version '99'", str(e.exception))
        p = cli("--catalogue", copy, "train", "--heldout", "seed-0003", "--days", "seed-0001", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("schema version '99' of table 'features_uptick' is unknown", p.stderr)
        for cmd in (["summary"], ["report", "--out", os.path.join(self.tmp, "report-copy")]):
            p = cli("--catalogue", copy, *cmd, check=False)
            self.assertEqual(p.returncode, 2, cmd)
            self.assertIn("schema version '99'", p.stderr)

    def test_clear_errors(self):
        missing = os.path.join(self.tmp, "nothing-here")
        p = cli("--catalogue", missing, "summary", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no catalogue at", p.stderr)
        p = cli("--catalogue", self.cats[1], "--venue", "nasdaq", "ingest", "--days", "2019-12-31", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no day '2019-12-31'", p.stderr)
        # A day whose input is gone.
        cat = Catalogue(self.cats[1])
        cat.add_day("nasdaq", "2020-01-02", {"kind": "itch", "input": "gone.itch"})
        for cmd in (["ingest", "--days", "2020-01-02"], ["backtest", "--days", "2020-01-02"],
                    ["sweep", "--days", "2020-01-02", "--grid", "offset-ticks=0,1"]):
            p = cli("--catalogue", self.cats[1], "--venue", "nasdaq", *cmd, check=False)
            self.assertEqual(p.returncode, 2, cmd)
            self.assertIn("has no input", p.stderr)
        shutil.rmtree(cat.day_dir("nasdaq", "2020-01-02"))
        p = subprocess.run([sys.executable, "-m", "tickwire_research", "--catalogue", self.cats[1], "--tickwire",
                            os.path.join(self.tmp, "no-such-binary"), "--venue", "nasdaq", "ingest", "--days", "2019-12-30"],
                           cwd=RESEARCH, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no tickwire binary", p.stderr)
        p = cli("--catalogue", self.cats[1], "train", "--heldout", "seed-0003", "--days", "nope", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no day 'nope'", p.stderr)


class IEXDays(unittest.TestCase):
    """The real IEX captures into the catalogue (local Ray, 2 workers): TOPS quotes and trades,
    DEEP price levels with its eleven sequence restarts and a last frame cut short."""

    def test_tops_and_deep_captures(self):
        for f in (TOPS, DEEP):
            if not os.path.isfile(f):
                self.skipTest(f"no {f}")
        tmp = tempfile.mkdtemp(prefix="tw-research-iex-")
        try:
            cat_dir = os.path.join(tmp, "cat")
            for path, day in ((TOPS, "2017-07-10-tops"), (DEEP, "2017-04-25-deep")):
                cli("--catalogue", cat_dir, "--venue", "iex", "ingest", "--input", path, "--kind", "iex", "--day", day)
            cat = Catalogue(cat_dir)
            tops = read_json(os.path.join(cat.day_dir("iex", "2017-07-10-tops"), "ingest.json"))
            # Published with the file: 57,674 messages.
            self.assertEqual(tops["messages"], 57674)
            self.assertEqual(tops["by_type"]["Q"], 27217)
            self.assertEqual(tops["rows"]["trades"], tops["by_type"]["T"])
            ev = cat.read("iex", "events", ["2017-07-10-tops"]).to_pandas()
            self.assertEqual(set(ev["action"].astype(str)), {"trade"})
            tob = cat.read("iex", "tob", ["2017-07-10-tops"])
            self.assertGreater(tob.num_rows, 1000)
            deep = read_json(os.path.join(cat.day_dir("iex", "2017-04-25-deep"), "ingest.json"))
            # 392,010 published; the last frame is cut short and its 11 messages cannot be read.
            self.assertEqual(deep["messages"], 392010 - 11)
            ev = cat.read("iex", "events", ["2017-04-25-deep"]).to_pandas()
            acts = ev["action"].astype(str).value_counts().to_dict()
            self.assertEqual(acts.get("add", 0) + acts.get("modify", 0) + acts.get("cancel", 0),
                             deep["by_type"]["8"] + deep["by_type"]["5"])
            self.assertEqual(acts["trade"], deep["by_type"]["T"])
            self.assertEqual(acts["clear"], 10)  # eleven restarts, one of them with the book already empty
            self.assertTrue((ev.loc[ev["action"] == "add", "size"] > 0).all())
            self.assertTrue((ev.loc[ev["action"] == "cancel", "remaining"] == 0).all())
            for t in ("events", "tob", "depth", "trades"):
                for f in cat.files("iex", t, ["2017-04-25-deep"]):
                    self.assertEqual(pq.ParquetFile(f).schema_arrow.remove_metadata(), schema(t).arrow.remove_metadata())
            self.assertFalse(cat.files("iex", "features_uptick"))  # IEX days carry no feature rows
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class EventRecords(unittest.TestCase):
    """`tickwire events` on a hand-made day: every field of every record, read with the schema
    files' layouts (the catalogue's reader)."""

    def test_fields_of_each_action(self):
        import struct
        import numpy as np
        from tickwire_research.catalogue import schema as sch

        def ts(n):
            return n.to_bytes(6, "big")

        loc = 7
        msgs = [
            b"A" + struct.pack(">HH", loc, 0) + ts(1000) + struct.pack(">QcI8sI", 1, b"B", 100, b"TEST    ", 100000),
            b"A" + struct.pack(">HH", loc, 0) + ts(2000) + struct.pack(">QcI8sI", 2, b"S", 200, b"TEST    ", 100100),
            b"E" + struct.pack(">HH", loc, 0) + ts(3000) + struct.pack(">QIQ", 1, 30, 7),
            b"C" + struct.pack(">HH", loc, 0) + ts(4000) + struct.pack(">QIQcI", 2, 50, 8, b"Y", 100050),
            b"X" + struct.pack(">HH", loc, 0) + ts(5000) + struct.pack(">QI", 1, 20),
            b"U" + struct.pack(">HH", loc, 0) + ts(6000) + struct.pack(">QQII", 2, 3, 120, 100200),
            b"D" + struct.pack(">HH", loc, 0) + ts(7000) + struct.pack(">Q", 3),
            b"D" + struct.pack(">HH", loc, 0) + ts(8000) + struct.pack(">Q", 99),
            b"P" + struct.pack(">HH", loc, 0) + ts(9000) + struct.pack(">QcI8sIQ", 0, b"B", 300, b"TEST    ", 100010, 9),
        ]
        tmp = tempfile.mkdtemp(prefix="tw-events-test-")
        try:
            day = os.path.join(tmp, "day.itch")
            with open(day, "wb") as fh:
                for m in msgs:
                    fh.write(len(m).to_bytes(2, "big") + m)
            outs = {t: os.path.join(tmp, f"{t}.bin") for t in ("events", "tob", "depth", "trades")}
            p = subprocess.run([TICKWIRE, "events", "--itch", day] + sum(([f"--{t}-out", f] for t, f in outs.items()), []),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            report = json.loads(p.stdout.strip().splitlines()[-1])
            self.assertEqual(report["messages"], 9)
            self.assertEqual(report["bad_book_messages"], 1)
            tables = {t: sch(t).records_to_table(np.fromfile(f, sch(t).record_dtype())).to_pylist() for t, f in outs.items()}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        ev = tables["events"]
        got = [(e["action"], e["side"], e["order_id"], e["new_order_id"], e["price"], e["size"], e["remaining"],
                e["bad_book"], e["msg_type"], e["venue_ns"], e["seq"]) for e in ev]
        self.assertEqual(got, [
            ("add", "B", 1, 0, 100000, 100, 100, False, "A", 1000, 1),
            ("add", "S", 2, 0, 100100, 200, 200, False, "A", 2000, 2),
            ("execute", "B", 1, 0, 100000, 30, 70, False, "E", 3000, 3),
            ("execute", "S", 2, 0, 100050, 50, 150, False, "C", 4000, 4),
            ("cancel", "B", 1, 0, 100000, 20, 50, False, "X", 5000, 5),
            ("modify", "S", 2, 3, 100200, 120, 120, False, "U", 6000, 6),
            ("cancel", "S", 3, 0, 100200, 120, 0, False, "D", 7000, 7),
            ("cancel", "", 99, 0, 0, 0, 0, True, "D", 8000, 8),
            ("trade", "B", 0, 0, 100010, 300, 0, False, "P", 9000, 9),
        ])
        self.assertTrue(all(e["symbol"] == "TEST" and e["locate"] == loc and e["last_in_packet"] for e in ev))
        tob = [(t["bid_price"], t["bid_size"], t["ask_price"], t["ask_size"]) for t in tables["tob"]]
        self.assertEqual(tob, [(100000, 100, 0, 0), (100000, 100, 100100, 200), (100000, 70, 100100, 200),
                               (100000, 70, 100100, 150), (100000, 50, 100100, 150), (100000, 50, 100200, 120),
                               (100000, 50, 0, 0)])
        tr = [(t["msg_type"], t["order_id"], t["match"], t["price"], t["size"], t["side"], t["printable"]) for t in tables["trades"]]
        self.assertEqual(tr, [("E", 1, 7, 100000, 30, "B", True), ("C", 2, 8, 100050, 50, "S", True),
                              ("P", 0, 9, 100010, 300, "B", True)])
        depth = tables["depth"]
        self.assertEqual([(d["side"], d["levels"], d["price_1"], d["size_1"]) for d in depth],
                         [("B", 1, 100000, 100), ("S", 1, 100100, 200), ("B", 1, 100000, 70), ("S", 1, 100100, 150),
                          ("B", 1, 100000, 50), ("S", 1, 100200, 120), ("S", 0, 0, 0)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
