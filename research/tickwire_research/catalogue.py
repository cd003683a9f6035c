"""The catalogue: a folder of venues and days, raw inputs and derived Parquet tables.

Layout (the default root is `datasets/`):

    catalogue.json                          {"format": "tickwire-catalogue", "version": 1}
    <venue>/days/<day>/day.json             the day's manifest: kind (itch, capture, simulated), input, seed...
    <venue>/days/<day>/input/<file>         the raw input (ITCH BinaryFILE or a MoldUDP64 capture)
    <venue>/<table>/day=<day>/part-0.parquet                  tables per day
    <venue>/<table>/day=<day>/symbol=<symbol>/part-0.parquet  tables per day and symbol (tob, depth)
    _schemas/<table>.v<version>.json        the schema every file of that table was written with

A day's partition of a table is written under a hidden temporary folder and swapped in whole by
rename, so a reader never sees half a day and a retried task never leaves duplicate rows. Every
Parquet file carries its table name and schema version in its key-value metadata; readers refuse
a version they do not know.
"""
import json
import os
import shutil
import uuid

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import CatalogueError, SCHEMA_DIR

FORMAT = "tickwire-catalogue"
FORMAT_VERSION = 1
META_TABLE = b"tickwire.table"
META_VERSION = b"tickwire.schema_version"
ROW_GROUP_ROWS = 1 << 17          # rows per Parquet row group (a fixed count: byte-identical files)
BLOCK_ROWS = 1 << 16              # records converted at a time (a fixed count, for the same reason)
MAX_HELD_ROWS = 1 << 18           # rows a per-symbol writer buffers across symbols before it spills (memory bound)
PARQUET_OPTIONS = dict(compression="zstd", compression_level=1, write_statistics=True, data_page_size=1 << 20)
ARROW_TYPES = {"int64": pa.int64(), "uint64": pa.uint64(), "uint32": pa.uint32(), "uint16": pa.uint16(),
               "uint8": pa.uint8(), "int8": pa.int8(), "float32": pa.float32(), "float64": pa.float64(),
               "bool": pa.bool_(), "dictionary<string>": pa.dictionary(pa.int32(), pa.string())}
EVENT_ACTIONS = ["", "add", "cancel", "modify", "execute", "trade", "clear"]


# ---------------------------------------------------------------------------------------------
# Schemas

class Schema:
    """One table's schema file: its columns, version and partitioning; for tables that tickwire
    streams as fixed-width records, the byte layout of a record."""

    def __init__(self, doc, path):
        self.doc = doc
        self.path = path
        self.name = doc["table"]
        self.version = int(doc["version"])
        self.partitioning = doc["partitioning"]
        self.columns = doc["columns"]
        self.record_bytes = doc.get("record_bytes")
        self.arrow = pa.schema([pa.field(c["name"], ARROW_TYPES[c["type"]]) for c in self.columns],
                               metadata={META_TABLE: self.name.encode(), META_VERSION: str(self.version).encode()})

    @property
    def per_symbol(self):
        return "symbol" in self.partitioning

    def record_dtype(self):
        """The numpy dtype of one tickwire record (raw fields at their offsets)."""
        fields = {}
        for c in self.columns:
            raw = c.get("raw")
            if raw is None or raw.startswith("flag"):
                continue
            fields[c["name"]] = (np.dtype(raw), c["offset"])
        flag_offsets = {c["offset"] for c in self.columns if c.get("raw", "").startswith("flag")}
        for off in flag_offsets:
            fields["_flags"] = (np.dtype("u1"), off)
        names = sorted(fields, key=lambda n: fields[n][1])
        return np.dtype({"names": names, "formats": [fields[n][0] for n in names],
                         "offsets": [fields[n][1] for n in names], "itemsize": self.record_bytes})

    def records_to_table(self, rec):
        """A chunk of records (numpy structured array) -> an Arrow table of this schema."""
        arrays = []
        for c in self.columns:
            name, typ, raw = c["name"], c["type"], c.get("raw")
            if raw and raw.startswith("flag"):
                bit = int(raw[4:])
                arrays.append(pa.array((rec["_flags"] & bit) != 0))
            elif typ == "dictionary<string>":
                arrays.append(dictionary_of(rec[name], name))
            elif typ == "bool":
                arrays.append(pa.array(rec[name] != 0))
            else:
                arrays.append(pa.array(rec[name].astype(np.dtype(pa_to_numpy(typ)), copy=False)))
        return pa.Table.from_arrays(arrays, schema=self.arrow)

    def conform(self, table):
        """Casts a table read from CSV to this schema (same columns, in this order)."""
        missing = [c["name"] for c in self.columns if c["name"] not in table.column_names]
        if missing:
            raise CatalogueError(f"{self.name}: input lacks column(s) {', '.join(missing)}")
        arrays = []
        for c in self.columns:
            col = table.column(c["name"])
            if c["type"] == "dictionary<string>":
                col = col.cast(pa.string()).dictionary_encode()
                col = col.cast(ARROW_TYPES[c["type"]])
            else:
                col = col.cast(ARROW_TYPES[c["type"]])
            arrays.append(col)
        return pa.Table.from_arrays(arrays, schema=self.arrow)


def pa_to_numpy(typ):
    return {"int64": "i8", "uint64": "u8", "uint32": "u4", "uint16": "u2", "uint8": "u1", "int8": "i1",
            "float32": "f4", "float64": "f8"}[typ]


def dictionary_of(values, name):
    """Fixed-width byte strings (or action codes) -> a dictionary-encoded string array whose
    dictionary is the sorted distinct values: deterministic for the same rows."""
    if name == "action":
        codes = values.astype(np.int32)
        if codes.size and (codes.max() >= len(EVENT_ACTIONS)):
            raise CatalogueError(f"action code {int(codes.max())} unknown")
        return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(EVENT_ACTIONS))
    uniq, idx = np.unique(values, return_inverse=True)
    words = [u.decode("ascii", "replace").strip() for u in uniq.tolist()]
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32), pa.int32()), pa.array(words, pa.string()))


_SCHEMAS = {}


def schema(name):
    """The current schema of a table (research/tickwire_research/schemas/<name>.json)."""
    if name not in _SCHEMAS:
        path = os.path.join(SCHEMA_DIR, f"{name}.json")
        if not os.path.isfile(path):
            raise CatalogueError(f"no schema for table '{name}' ({path})")
        with open(path) as fh:
            _SCHEMAS[name] = Schema(json.load(fh), path)
    return _SCHEMAS[name]


def table_names():
    return sorted(f[:-5] for f in os.listdir(SCHEMA_DIR) if f.endswith(".json"))


KNOWN_VERSIONS = {}  # table -> versions this reader understands (the current one)


def check_version(name, metadata, path):
    """Refuses a file written with a schema version this reader does not know."""
    meta = metadata or {}
    table = meta.get(META_TABLE, b"").decode()
    version = meta.get(META_VERSION, b"").decode()
    if table != name:
        raise CatalogueError(f"{path}: not a '{name}' table (its metadata says '{table or 'nothing'}')")
    known = KNOWN_VERSIONS.get(name, {schema(name).version})
    if not version.isdigit() or int(version) not in known:
        raise CatalogueError(f"{path}: schema version '{version}' of table '{name}' is unknown "
                             f"(this reader knows {sorted(known)}); upgrade tickwire_research")


# ---------------------------------------------------------------------------------------------
# The catalogue

class Catalogue:
    def __init__(self, root, create=False):
        self.root = os.path.abspath(root)
        marker = os.path.join(self.root, "catalogue.json")
        if create:
            os.makedirs(self.root, exist_ok=True)
            if not os.path.isfile(marker):
                atomic_write_text(marker, json.dumps({"format": FORMAT, "version": FORMAT_VERSION}, indent=1) + "\n")
            os.makedirs(os.path.join(self.root, "_schemas"), exist_ok=True)
            for name in table_names():
                s = schema(name)
                dst = os.path.join(self.root, "_schemas", f"{name}.v{s.version}.json")
                if not os.path.isfile(dst):
                    shutil.copyfile(s.path, dst)
        if not os.path.isdir(self.root):
            raise CatalogueError(f"no catalogue at {self.root} (make one: python -m tickwire_research --catalogue {root} "
                                 f"simulate, or ... ingest --input FILE --day NAME)")
        if not os.path.isfile(marker):
            raise CatalogueError(f"{self.root} is not a catalogue (no catalogue.json)")
        with open(marker) as fh:
            doc = json.load(fh)
        if doc.get("format") != FORMAT or doc.get("version") != FORMAT_VERSION:
            raise CatalogueError(f"{marker}: format {doc.get('format')} version {doc.get('version')} unknown")

    # Days -------------------------------------------------------------------------------------

    def day_dir(self, venue, day):
        return os.path.join(self.root, venue, "days", day)

    def add_day(self, venue, day, manifest):
        """Creates or updates a day's manifest. A day whose manifest changes (another seed, size,
        input) loses its old input, so that the input always is the manifest's."""
        d = self.day_dir(venue, day)
        doc = dict(manifest, venue=venue, day=day)
        path = os.path.join(d, "day.json")
        if os.path.isfile(path):
            with open(path) as fh:
                if json.load(fh) != doc:
                    shutil.rmtree(os.path.join(d, "input"), ignore_errors=True)
        os.makedirs(os.path.join(d, "input"), exist_ok=True)
        atomic_write_text(os.path.join(d, "day.json"), json.dumps(doc, indent=1, sort_keys=True) + "\n")
        return doc

    def manifest(self, venue, day):
        path = os.path.join(self.day_dir(venue, day), "day.json")
        if not os.path.isfile(path):
            raise CatalogueError(f"no day '{day}' of venue '{venue}' in {self.root} ({path} missing)")
        with open(path) as fh:
            doc = json.load(fh)
        if doc.get("kind") != "simulated":
            inp = self.input_path(doc)
            if not os.path.isfile(inp):
                raise CatalogueError(f"day '{day}' of venue '{venue}' has no input ({inp} missing)")
        return doc

    def input_path(self, manifest):
        return os.path.join(self.day_dir(manifest["venue"], manifest["day"]), "input", manifest["input"])

    def days(self, venue=None):
        """[(venue, day)] with a manifest, sorted."""
        out = []
        for v in sorted(os.listdir(self.root)):
            if v.startswith((".", "_")) or (venue and v != venue):
                continue
            dd = os.path.join(self.root, v, "days")
            if os.path.isdir(dd):
                out += [(v, d) for d in sorted(os.listdir(dd)) if os.path.isfile(os.path.join(dd, d, "day.json"))]
        return out

    # Tables -----------------------------------------------------------------------------------

    def partition_dir(self, venue, table, day):
        return os.path.join(self.root, venue, table, f"day={day}")

    def staging_dir(self, venue, table, day):
        """A hidden folder beside the partition, unique to this attempt."""
        return os.path.join(self.root, venue, table, f".day={day}.tmp-{uuid.uuid4().hex[:12]}")

    def work_dir(self, venue, day):
        """A hidden scratch folder in the day's folder (FIFOs, feature CSVs), unique to this
        attempt. A killed attempt's is left in the catalogue, not in /tmp, and the day's next
        ingest removes it (`clear_stale_work`)."""
        d = os.path.join(self.day_dir(venue, day), f".work-{uuid.uuid4().hex[:12]}")
        os.makedirs(d)
        return d

    def clear_stale_work(self, venue, day):
        """Removes the scratch folders that killed attempts left in the day's folder."""
        base = self.day_dir(venue, day)
        if os.path.isdir(base):
            for f in os.listdir(base):
                if f.startswith(".work-"):
                    shutil.rmtree(os.path.join(base, f), ignore_errors=True)

    def clear_stale(self, venue, table, day):
        """Removes what a killed attempt left for this day (its hidden staging folders)."""
        base = os.path.join(self.root, venue, table)
        if os.path.isdir(base):
            for f in os.listdir(base):
                if f.startswith(f".day={day}.tmp-"):
                    shutil.rmtree(os.path.join(base, f), ignore_errors=True)

    def publish(self, venue, table, day, staging):
        """Swaps a finished staging folder in as the day's partition (replacing any earlier one)."""
        final = self.partition_dir(venue, table, day)
        old = None
        if os.path.exists(final):
            old = final + f".old-{uuid.uuid4().hex[:8]}"
            os.rename(final, os.path.join(os.path.dirname(final), "." + os.path.basename(old)))
            old = os.path.join(os.path.dirname(final), "." + os.path.basename(old))
        os.rename(staging, final)
        if old:
            shutil.rmtree(old, ignore_errors=True)

    def files(self, venue, table, days=None):
        """Every Parquet file of a table (for the given days), sorted."""
        base = os.path.join(self.root, venue, table)
        if not os.path.isdir(base):
            return []
        out = []
        for part in sorted(os.listdir(base)):
            if part.startswith((".", "_")) or not part.startswith("day="):
                continue
            if days is not None and part[4:] not in days:
                continue
            for dirpath, dirnames, filenames in os.walk(os.path.join(base, part)):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
                out += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".parquet")]
        return out

    def read(self, venue, table, days=None, columns=None):
        """A table's rows for the given days as one Arrow table (each file's version checked)."""
        files = self.files(venue, table, days)
        if not files:
            raise CatalogueError(f"table '{table}' of venue '{venue}' has no data"
                                 + (f" for day(s) {', '.join(days)}" if days else "") + f" in {self.root}")
        parts = []
        for f in files:
            pf = pq.ParquetFile(f)
            check_version(table.split("/")[0], pf.schema_arrow.metadata, f)
            t = pf.read(columns=columns)
            day = os.path.relpath(f, os.path.join(self.root, venue, table)).split(os.sep)[0][4:]
            t = t.append_column("day", pa.array([day] * t.num_rows, pa.string()))
            parts.append(t)
        return pa.concat_tables(parts, promote_options="default")

    def table_dirs(self, venue, table):
        """A table's folders holding day partitions: the table itself, or one per run."""
        base = os.path.join(self.root, venue, table)
        if not os.path.isdir(base):
            return []
        runs = sorted(d for d in os.listdir(base) if d.startswith("run="))
        return [f"{table}/{r}" for r in runs] if runs else [table]

    def row_counts(self, venue=None):
        """{table: rows} over every file, from the Parquet footers."""
        counts = {}
        for v in sorted(set(v for v, _ in self.days(venue))):
            for table in table_names():
                n = 0
                for sub in self.table_dirs(v, table):
                    for f in self.files(v, sub):
                        pf = pq.ParquetFile(f)
                        check_version(table, pf.schema_arrow.metadata, f)
                        n += pf.metadata.num_rows
                if n:
                    counts[table] = counts.get(table, 0) + n
        return counts


def atomic_write_text(path, text):
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Writers

class PartitionWriter:
    """Writes one day's rows of a table into a staging folder: one file per day, or one per
    symbol. Rows are buffered and written in row groups of exactly ROW_GROUP_ROWS (the last one
    of each file shorter), so the bytes depend only on the rows, never on how they arrived. Per
    symbol, buffers are flushed as whole row groups; the memory held is bounded by
    ROW_GROUP_ROWS rows per open symbol file."""

    def __init__(self, schema_, staging):
        self.schema = schema_
        self.staging = staging
        self.writers = {}
        self.buffers = {}
        self.rows = 0
        self.held = 0
        os.makedirs(staging, exist_ok=True)

    def _writer(self, key):
        w = self.writers.get(key)
        if w is None:
            d = self.staging if key is None else os.path.join(self.staging, f"symbol={key}")
            os.makedirs(d, exist_ok=True)
            # Dictionary pages for the string columns only: trying them on every integer column
            # costs more than it saves on these tables.
            dict_cols = [f.name for f in self.schema.arrow if pa.types.is_dictionary(f.type)]
            w = pq.ParquetWriter(os.path.join(d, "part-0.parquet"), self.schema.arrow, use_dictionary=dict_cols,
                                 **PARQUET_OPTIONS)
            self.writers[key] = w
        return w

    def write(self, table):
        """Appends rows (an Arrow table of the schema)."""
        if table.num_rows == 0:
            return
        self.rows += table.num_rows
        if not self.schema.per_symbol:
            self._append(None, table)
            return
        # Grouped by locate (an integer sort), named by the group's symbol.
        loc = table.column("locate").to_numpy()
        order = np.argsort(loc, kind="stable")
        sorted_loc = loc[order]
        starts = np.flatnonzero(np.r_[True, sorted_loc[1:] != sorted_loc[:-1]])
        ends = np.r_[starts[1:], len(order)]
        ordered = table.take(pa.array(order))  # one gather per block; each stock's rows a slice
        symbols = ordered.column("symbol")
        for s, e in zip(starts, ends):
            key = safe_symbol(symbols[int(s)].as_py())
            self._append(key, ordered.slice(int(s), int(e - s)))
        if self.held > MAX_HELD_ROWS:
            self._spill()

    def _append(self, key, table):
        buf = self.buffers.setdefault(key, [])
        buf.append(table)
        self.held += table.num_rows
        held = sum(t.num_rows for t in buf)
        if held >= ROW_GROUP_ROWS:
            self.held -= held
            whole = pa.concat_tables(buf).combine_chunks()
            n = (held // ROW_GROUP_ROWS) * ROW_GROUP_ROWS
            w = self._writer(key)
            for off in range(0, n, ROW_GROUP_ROWS):
                w.write_table(unify(whole.slice(off, ROW_GROUP_ROWS)), row_group_size=ROW_GROUP_ROWS)
            rest = whole.slice(n)
            self.buffers[key] = [rest] if rest.num_rows else []
            self.held += rest.num_rows

    def _spill(self):
        """Writes the largest buffers as (short) row groups until half the bound is left: the
        bound on memory across many symbols. Called only between whole input blocks, and the
        choice depends on the buffered rows alone, so where it happens depends on the rows."""
        for key in sorted(self.buffers, key=lambda k: (-sum(t.num_rows for t in self.buffers[k]), k or "")):
            if self.held <= MAX_HELD_ROWS // 2:
                break
            buf = self.buffers[key]
            if buf:
                n = sum(t.num_rows for t in buf)
                self._writer(key).write_table(unify(pa.concat_tables(buf).combine_chunks()), row_group_size=ROW_GROUP_ROWS)
                self.held -= n
            self.buffers[key] = []

    def close(self):
        for key, buf in sorted(self.buffers.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")):
            if buf:
                whole = pa.concat_tables(buf).combine_chunks()
                self._writer(key).write_table(unify(whole), row_group_size=ROW_GROUP_ROWS)
        if not self.writers and not self.schema.per_symbol:
            self._writer(None)  # an empty day still has its (empty) file
        for w in self.writers.values():
            w.close()
        self.writers.clear()
        self.buffers.clear()


def unify(table):
    """Dictionary columns re-encoded in order of first appearance in this row group, so that a
    row group's bytes depend on its rows only, not on the chunks they came in."""
    cols = []
    for field, col in zip(table.schema, table.columns):
        if pa.types.is_dictionary(field.type):
            plain = col.combine_chunks().dictionary_decode() if col.num_chunks else pa.array([], pa.string())
            cols.append(plain.dictionary_encode())
        else:
            cols.append(col.combine_chunks())
    return pa.Table.from_arrays(cols, schema=table.schema)


def safe_symbol(s):
    s = str(s).strip() or "_none"
    return "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in s)
