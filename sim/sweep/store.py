"""A sweep's directory: manifest, journal, part files, and the compacted Parquet tables.

Layout of ``DIR``::

    manifest.json     what was swept (scenario hash, grid, seed, versions, times, status)
    journal.jsonl     one line per committed batch: its run ids, failures and part files
    parts/            runs-NNNNNN.parquet (and turns-NNNNNN.parquet) per batch, until compaction
    runs.parquet      one row per finished run, sorted by (grid point, run index)
    turns.parquet     with --per-turn: one row per run and turn, sorted by (run id, turn)
    failures.jsonl    one line per failed run: seed, parameters, error and traceback

Crash safety: a batch's part files are written to temporary names and renamed into place; only
then is its journal line appended (and flushed to disk). A batch whose journal line is missing
or torn never happened: ``--resume`` deletes its files and makes its runs again. Each table is
compacted from the committed parts, taking each run from the batch the journal says holds it,
so a run is never written twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.files import replaced_atomically, write_text_atomic

MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
PARTS = "parts"
RUNS = "runs.parquet"
TURNS = "turns.parquet"
FAILURES = "failures.jsonl"
LOCK = ".lock"
FORMAT = 1
COMPACT_BLOCK = 1000
"""Runs per block when compacting: memory holds one block of rows, however long the sweep."""



_PART = re.compile(r"^parts/(runs|turns)-\d{6}\.parquet$")


def _entry_ok(e: Any) -> bool:
    """Whether a journal line is an entry as :meth:`Store.commit` or the compaction writes it: a
    batch number, a list of integer run ids, a list of failures, and part names this program
    gives its files (``parts/runs-000001.parquet``, or the compacted tables), so that a file a
    damaged or crafted journal names outside the sweep's folder is never read nor deleted."""
    if not isinstance(e, dict) or not isinstance(e.get("batch"), int):
        return False
    runs = e.get("runs")
    if not isinstance(runs, list) or not all(isinstance(r, int) and not isinstance(r, bool) for r in runs):
        return False
    failed = e.get("failed", [])
    if not isinstance(failed, list) or not all(isinstance(f, dict) and isinstance(f.get("run_id"), int) for f in failed):
        return False
    for k in ("runs_part", "turns_part"):
        v = e.get(k)
        if v is not None and not (isinstance(v, str) and (_PART.match(v) or v in (RUNS, TURNS))):
            return False
    return True

class StoreError(Exception):
    """A sweep directory that cannot be used as asked (message for the user)."""


RUN_ID_COLUMNS = ("run_id", "point", "run", "seed")
"""The identifying columns of every ``runs.parquet`` row (whole numbers), as the worker writes them."""


def check_manifest(directory: str | Path, manifest: Any) -> None:
    """Refuse a manifest whose parts that ``analyse`` and ``report`` read have another shape
    than this program writes (a hand edit): ``grid`` (``axes`` with a text ``path`` each,
    ``points`` with ``params`` mappings), ``design`` (none, or a mapping), ``outcomes`` (none, or
    mappings with a text ``id``) and ``units`` (a mapping).

    Raises:
        StoreError: one line naming the manifest and the first part of another shape.
    """

    def bad(what: str) -> StoreError:
        return StoreError(f"{Path(directory) / MANIFEST}: not a sweep manifest this program wrote ({what}); rerun the sweep")

    if not isinstance(manifest, dict):
        raise bad("not a mapping")
    grid = manifest.get("grid")
    if not isinstance(grid, dict):
        raise bad("its grid is not a mapping")
    axes, points = grid.get("axes", []), grid.get("points", [])
    if not (isinstance(axes, list) and all(isinstance(a, dict) and isinstance(a.get("path"), str) for a in axes)):
        raise bad("an axis of its grid has no path")
    if not (isinstance(points, list) and all(isinstance(p, dict) and isinstance(p.get("params", {}), dict) for p in points)):
        raise bad("a point of its grid has no parameters")
    if not isinstance(manifest.get("design") or {}, dict):
        raise bad("its design is not a mapping")
    outcomes = manifest.get("outcomes") or []
    if not (isinstance(outcomes, list) and all(isinstance(o, dict) and isinstance(o.get("id"), str) for o in outcomes)):
        raise bad("an outcome has no id")
    if not isinstance(manifest.get("units") or {}, dict):
        raise bad("its units are not a mapping")


def check_runs_table(directory: str | Path, manifest: Any) -> None:
    """Refuse a ``runs.parquet`` that this program did not write for the sweep of ``manifest``.

    Only the file's footer is read (its schema): the identifying columns
    (:data:`RUN_ID_COLUMNS`, whole numbers), ``end_state`` (text) and one ``param.PATH`` column
    per overridden parameter of the manifest's first grid point and per axis must be there. A file that is
    missing or cannot be read at all is left to the reader, which says so.

    Args:
        directory: the sweep directory.
        manifest: its manifest (a mapping, as read).

    Raises:
        StoreError: one line naming the file and the first missing or mistyped column; the
            file's own content is never shown.
    """
    path = Path(directory) / RUNS
    try:
        schema = pq.read_schema(path)
    except Exception:  # noqa: BLE001 - missing or unreadable: the reader says which, in one line
        return
    points = manifest.get("grid", {}).get("points") if isinstance(manifest, dict) and isinstance(manifest.get("grid"), dict) else None
    first = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
    params = [f"param.{k}" for k in first.get("params", {})] if isinstance(first.get("params"), dict) else []
    axes = manifest.get("grid", {}).get("axes") if isinstance(manifest, dict) and isinstance(manifest.get("grid"), dict) else None
    params += [f"param.{a['path']}" for a in axes or [] if isinstance(a, dict) and isinstance(a.get("path"), str)]
    names = set(schema.names)
    for col in (*RUN_ID_COLUMNS, "end_state", *params):
        if col not in names:
            raise StoreError(f"{path}: not the runs table of this sweep (it has no column {col!r}); rerun the sweep, or resume it after removing this file")
    for col in RUN_ID_COLUMNS:
        if not pa.types.is_integer(schema.field(col).type):
            raise StoreError(f"{path}: not the runs table of this sweep (its column {col!r} holds {schema.field(col).type}, not whole numbers); rerun the sweep, or resume it after removing this file")
    t = schema.field("end_state").type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t)):
        raise StoreError(f"{path}: not the runs table of this sweep (its column 'end_state' holds {t}, not text); rerun the sweep, or resume it after removing this file")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file, fsync, rename; see :mod:`sim.files`)."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")


def write_lines_atomic(path: Path, rows: list[dict]) -> None:
    """Write JSON lines atomically (temporary file, fsync, rename; see :mod:`sim.files`)."""
    write_text_atomic(path, "".join(json.dumps(r, allow_nan=False) + "\n" for r in rows))


def arrow_type(name: str, value: Any) -> pa.DataType:
    """Column type from a column's name and one value (``seed`` is unsigned 64-bit)."""
    return _arrow_type_of(name, type(value))


def _arrow_type_of(name: str, kind: type) -> pa.DataType:
    """:func:`arrow_type` of any value of Python type ``kind``."""
    if name == "seed":
        return pa.uint64()
    if issubclass(kind, bool):
        return pa.bool_()
    if issubclass(kind, int):
        return pa.int64()
    if issubclass(kind, float):
        return pa.float64()
    return pa.string()


def _column_type(name: str, values: list | tuple) -> pa.DataType:
    """The type :func:`schema_of` gives a column with these values (in row order).

    The type of the first non-missing value, except that a column of whole numbers with a float
    anywhere after (or a float column with a whole number anywhere after) is float; float when
    every value is missing.
    """
    first = next((v for v in values if v is not None), None)
    if first is None:
        return pa.float64()
    t = _arrow_type_of(name, type(first))
    if t == pa.int64() or t == pa.float64():
        other = pa.float64() if t == pa.int64() else pa.int64()
        if any(_arrow_type_of(name, k) == other for k in set(map(type, values)) if k is not type(None)):
            return pa.float64()
    return t


def _columns(rows: list[dict]) -> tuple[list[str], list]:
    """The column names of row dicts (in order of first appearance) and each column's values
    (``None`` where a row lacks the column), transposed in C where every row has the same keys.
    """
    shapes = dict.fromkeys(map(tuple, rows))  # each distinct sequence of keys, in order of first appearance
    names = list(dict.fromkeys(k for keys in shapes for k in keys))
    if len(shapes) == 1 and len(names) > 1:
        return names, list(zip(*map(itemgetter(*names), rows)))
    return names, [[r.get(n) for r in rows] for n in names]


def schema_of(rows: list[dict]) -> pa.Schema:
    """The Arrow schema of row dicts: every column any row has (in order of first appearance),
    typed by :func:`arrow_type` from its first non-missing value; a column with whole numbers in
    some rows and floats in others is float, and one with no value at all is float (all null).
    """
    names, cols = _columns(rows)
    return pa.schema([(n, _column_type(n, c)) for n, c in zip(names, cols)])


def table_of(rows: list[dict], sort: list[str]) -> pa.Table:
    """An Arrow table of row dicts with types fixed by :func:`schema_of`, sorted by ``sort``.

    The same table as ``pa.Table.from_pylist(rows, schema=schema_of(rows))``, built column by
    column (a sweep's parent process builds one per batch of runs; row by row cost it seconds).
    """
    names, cols = _columns(rows)
    schema = pa.schema([(n, _column_type(n, c)) for n, c in zip(names, cols)])
    t = pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(cols, schema)], schema=schema)
    return t.sort_by([(c, "ascending") for c in sort])


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the columns of ``schema``, in its order and types (missing ones null)."""
    cols = []
    for f in schema:
        if f.name in table.column_names:
            col = table[f.name]
            cols.append(col if col.type == f.type else col.cast(f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    """Write one Parquet file under a temporary name, flush it to disk and rename it into place."""
    with replaced_atomically(path) as tmp:
        pq.write_table(table, tmp)


@dataclass
class JournalState:
    """What the journal says is done.

    Attributes:
        entries: committed batches, in order.
        done: run ids with a result.
        failures: the latest failure record of each run id that has no result.
    """

    entries: list[dict] = field(default_factory=list)
    done: set[int] = field(default_factory=set)
    failures: dict[int, dict] = field(default_factory=dict)
    damaged: list[tuple[str, int]] = field(default_factory=list)
    """``(part file, runs)`` of each batch dropped because a part file of it could not be read."""
    unread: tuple[int, int] = (0, 0)
    """``(first line, lines)``: the journal's lines dropped from the first that is not an entry
    this program wrote (a torn or edited line; its 1-based line number) to the end, blank lines
    not counted; their batches are run again. ``(0, 0)``: none."""

    @property
    def next_batch(self) -> int:
        """Number of the next batch."""
        return max((e["batch"] for e in self.entries), default=0) + 1


class Store:
    """The files of one sweep directory (see the module docstring).

    Args:
        out: the directory (created if missing).
    """

    def __init__(self, out: str | Path):
        self.dir = Path(out)
        self.manifest_path = self.dir / MANIFEST
        self.journal_path = self.dir / JOURNAL
        self.parts_dir = self.dir / PARTS
        self.runs_path = self.dir / RUNS
        self.turns_path = self.dir / TURNS
        self.failures_path = self.dir / FAILURES
        self._lock_fd: int | None = None
        self.state = JournalState()

    # ------------------------------------------------------------ directory
    def has_sweep(self) -> bool:
        """Whether the directory holds a sweep (a manifest)."""
        return self.manifest_path.exists()

    def is_foreign(self) -> bool:
        """Whether the directory exists, is not empty and holds no sweep."""
        return self.dir.is_dir() and not self.has_sweep() and any(self.dir.iterdir())

    def lock(self) -> None:
        """Take the directory's lock so that two sweeps never write to one directory.

        Raises:
            StoreError: another process holds the lock.
        """
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.parts_dir.mkdir(exist_ok=True)
            fd = os.open(self.dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"{self.dir}: cannot create or write here: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(f"{self.dir}: another sweep is writing to this directory") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release the lock (the kernel also releases it when the process dies)."""
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def discard_empty(self) -> None:
        """Remove what :meth:`lock` and :meth:`load_journal` created for a sweep that never started.

        Only the empty journal, the empty parts directory and the lock file go, then the
        directory itself if nothing else is in it.
        """
        if self.has_sweep() or self.state.entries:
            return
        self.journal_path.unlink(missing_ok=True)
        try:
            self.parts_dir.rmdir()
        except OSError:
            pass
        self.unlock()
        (self.dir / LOCK).unlink(missing_ok=True)
        try:
            self.dir.rmdir()
        except OSError:
            pass

    # ------------------------------------------------------------ manifest
    def read_manifest(self) -> dict:
        """The manifest as a dict.

        Raises:
            StoreError: unreadable or not a sweep manifest.
        """
        try:
            m = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            raise StoreError(f"{self.manifest_path}: cannot read the manifest ({exc})") from None
        except RecursionError:
            raise StoreError(f"{self.manifest_path}: cannot read the manifest (nested too deeply)") from None
        if not isinstance(m, dict) or m.get("format") != FORMAT:
            raise StoreError(f"{self.manifest_path}: not a sweep manifest of format {FORMAT}")
        return m

    def write_manifest(self, manifest: dict) -> None:
        """Write the manifest atomically."""
        write_json_atomic(self.manifest_path, manifest)

    # ------------------------------------------------------------ journal
    def load_journal(self) -> JournalState:
        """Read the committed batches, drop a torn last line and the files of uncommitted batches.

        Returns:
            The :class:`JournalState` (also kept as ``self.state``).
        """
        entries: list[dict] = []
        unread = (0, 0)
        if self.journal_path.exists():
            # bytes that are not text read as a torn line (replacement characters), not an error
            lines = [(k, t) for k, t in enumerate(self.journal_path.read_bytes().decode("utf-8", errors="replace").splitlines(), 1) if t.strip()]
            for at, (number, line) in enumerate(lines):
                try:
                    e = json.loads(line)
                except (ValueError, RecursionError):
                    e = None  # a torn line: the batch was not committed, nor anything after it
                if e is None or not _entry_ok(e):  # or not an entry this program wrote
                    unread = (number, len(lines) - at)
                    break
                entries.append(e)
        damaged = []
        for e in list(entries):  # a batch whose part file cannot be read is run again, not lost
            bad = self._unreadable_part(e)
            if bad is not None:
                entries.remove(e)
                damaged.append((bad, len(e["runs"])))
        write_lines_atomic(self.journal_path, entries)
        keep = {self.dir / e[k] for e in entries for k in ("runs_part", "turns_part") if e.get(k)}
        # delete only files this program writes: uncommitted part files and its temporary files
        ours = re.compile(r"^(runs|turns)-\d{6}\.parquet(\..*\.tmp)?$")
        if self.parts_dir.is_dir():
            for p in self.parts_dir.iterdir():
                if p not in keep and p.is_file() and ours.match(p.name):
                    p.unlink(missing_ok=True)
        known = {MANIFEST, JOURNAL, RUNS, TURNS, FAILURES}
        for p in self.dir.glob("*.tmp"):
            if p.is_file() and p.name.split(".", 1)[0] + "." + p.name.split(".")[1] in known:
                p.unlink(missing_ok=True)
        st = JournalState(entries=entries, damaged=damaged, unread=unread)
        for e in entries:
            st.done.update(e["runs"])
            for f in e.get("failed", []):
                st.failures[f["run_id"]] = f
        for rid in list(st.failures):
            if rid in st.done:
                del st.failures[rid]
        self.state = st
        return st

    def _unreadable_part(self, entry: dict) -> str | None:
        """The first part file of a journal entry that cannot be read (its footer and schema),
        or whose runs file does not hold one row per run the entry lists; ``None`` if all can.
        Only the footer is read (well under a millisecond a file), not the data."""
        for key in ("runs_part", "turns_part"):
            name = entry.get(key)
            if not name:
                continue
            try:
                meta = pq.read_metadata(self.dir / name)
            except Exception:  # noqa: BLE001 - pyarrow raises several types for a damaged file
                return name
            if key == "runs_part" and meta.num_rows != len(entry["runs"]):
                return name  # a part file, or runs.parquet, of other runs than the entry lists
            names = set(meta.schema.names)
            if not names >= {*RUN_ID_COLUMNS, *(("end_state",) if key == "runs_part" else ("turn",))}:
                return name  # a table of something else (e.g. another tool's file put in its place)
        return None

    def commit(self, rows: list[dict], turn_rows: list[dict], failures: list[dict]) -> dict:
        """Write one batch durably: part files first, then its journal line.

        Args:
            rows: per-run rows (any order).
            turn_rows: per-turn rows of those runs (may be empty).
            failures: failure records of this batch.

        Returns:
            The journal entry.
        """
        st = self.state
        b = st.next_batch
        entry: dict[str, Any] = {"batch": b, "runs": sorted(r["run_id"] for r in rows), "failed": failures, "runs_part": None, "turns_part": None}
        if rows:
            name = f"{PARTS}/runs-{b:06d}.parquet"
            write_parquet_atomic(self.dir / name, table_of(rows, ["run_id"]))
            entry["runs_part"] = name
        if turn_rows:
            name = f"{PARTS}/turns-{b:06d}.parquet"
            write_parquet_atomic(self.dir / name, table_of(turn_rows, ["run_id", "turn"]))
            entry["turns_part"] = name
        if failures:
            with open(self.failures_path, "a", encoding="utf-8") as f:
                for rec in failures:
                    f.write(json.dumps(rec, allow_nan=False) + "\n")
        line = json.dumps(entry, allow_nan=False) + "\n"
        with open(self.journal_path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        st.entries.append(entry)
        st.done.update(entry["runs"])
        for rec in failures:
            st.failures[rec["run_id"]] = rec
        for rid in entry["runs"]:
            st.failures.pop(rid, None)
        return entry

    # ------------------------------------------------------------ compaction
    def part_schema(self, part_key: str) -> pa.Schema | None:
        """One schema for all committed parts of a table (``runs_part`` or ``turns_part``).

        Columns missing from some parts are allowed (they read as null there); a column whose
        whole numbers in one part are floats in another is float.

        Returns:
            The unified schema, or ``None`` when there are no parts.

        Raises:
            StoreError: a part cannot be read, or a column has types that cannot be reconciled
                (one line naming the column and both part files).
        """
        fields: dict[str, tuple[pa.DataType, str]] = {}
        for e in self.state.entries:
            name = e.get(part_key)
            if not name:
                continue
            try:
                schema = pq.read_schema(self.dir / name)
            except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
                raise StoreError(f"{self.dir / name}: cannot read this part file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); run the same sweep with --resume: the runs of a part file that cannot be read are made again") from None
            for f in schema:
                if f.name not in fields:
                    fields[f.name] = (f.type, name)
                    continue
                old, where = fields[f.name]
                if old == f.type or f.type == pa.null():
                    continue
                if old == pa.null():
                    fields[f.name] = (f.type, name)
                    continue
                if {old, f.type} == {pa.int64(), pa.float64()}:
                    fields[f.name] = (pa.float64(), where)
                    continue
                raise StoreError(
                    f"{self.dir}: the part files disagree: column {f.name} is {old} in {where} and {f.type} in {name} "
                    "(they were written by different code); the runs are kept, but cannot be joined into one table: start the sweep again in a new folder"
                )
        if not fields:
            return None
        return pa.schema([(k, t) for k, (t, _w) in fields.items()])

    def _compact_table(self, part_key: str, dest: Path, sort: list[str]) -> int:
        """Merge the committed parts of one table into ``dest``, block by block, sorted.

        Returns:
            Rows written.

        Raises:
            StoreError: the parts' columns disagree (see :meth:`part_schema`) or a part is unreadable.
        """
        schema = self.part_schema(part_key)
        owner: dict[int, int] = {}  # run id -> index of the entry that holds it (the last one)
        entries = self.state.entries
        for i, e in enumerate(entries):
            if e.get(part_key):
                for rid in e["runs"]:
                    owner[rid] = i
        ids = sorted(owner)
        spans = {i: (min(e["runs"]), max(e["runs"])) for i, e in enumerate(entries) if e.get(part_key) and e["runs"]}
        writer: pq.ParquetWriter | None = None
        n = 0
        with replaced_atomically(dest) as tmp:
            try:
                for start in range(0, len(ids), COMPACT_BLOCK):
                    block = ids[start : start + COMPACT_BLOCK]
                    lo, hi = block[0], block[-1]
                    tables = []
                    for i, (a, b) in spans.items():
                        if b < lo or a > hi:
                            continue
                        mine = [r for r in block if owner[r] == i]
                        if not mine:
                            continue
                        path = self.dir / entries[i][part_key]
                        try:
                            t = pq.read_table(path, filters=[("run_id", ">=", lo), ("run_id", "<=", hi)])
                        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
                            raise StoreError(f"{path}: cannot read this part file ({type(exc).__name__}); run the same sweep with --resume: the runs of a part file that cannot be read are made again") from None
                        t = t.filter(pc.is_in(t["run_id"], value_set=pa.array(mine, pa.int64())))
                        tables.append(conform(t, schema))
                    t = pa.concat_tables(tables).sort_by([(c, "ascending") for c in sort])
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, schema)
                    writer.write_table(t)
                    n += t.num_rows
                if writer is None:
                    empty = pa.table({c: pa.array([], pa.int64()) for c in sort})
                    pq.write_table(empty, tmp)
                else:
                    writer.close()
                    writer = None
            finally:
                if writer is not None:
                    writer.close()
        return n

    def compact(self, per_turn: bool) -> int:
        """Write ``runs.parquet`` (and ``turns.parquet``) from the committed batches, then fold the
        journal into one entry that points at them and delete the part files.

        Returns:
            Rows in ``runs.parquet`` (one per finished run).

        Raises:
            StoreError: the row count does not match the journal (a run twice or missing).
        """
        n = self._compact_table("runs_part", self.runs_path, ["run_id"])
        if n != len(self.state.done):
            raise StoreError(f"compaction wrote {n} rows for {len(self.state.done)} finished runs")
        if per_turn:
            self._compact_table("turns_part", self.turns_path, ["run_id", "turn"])
        st = self.state
        folded = {
            "batch": 0,
            "runs": sorted(st.done),
            "failed": sorted(st.failures.values(), key=lambda r: r["run_id"]),
            "runs_part": RUNS if st.done else None,
            "turns_part": TURNS if (per_turn and st.done) else None,
        }
        old_parts = [self.dir / e[k] for e in st.entries for k in ("runs_part", "turns_part") if e.get(k) and e[k].startswith(PARTS + "/")]
        write_lines_atomic(self.journal_path, [folded])
        st.entries = [folded]
        for p in old_parts:
            p.unlink(missing_ok=True)
        if folded["failed"]:
            write_lines_atomic(self.failures_path, folded["failed"])
        else:
            self.failures_path.unlink(missing_ok=True)
        return n

    # ------------------------------------------------------------ tidy CSV
    def write_long_csv(self, per_turn: bool) -> list[Path]:
        """Write ``runs.csv`` (and ``turns.csv``) beside the Parquet tables in tidy long format.

        One row per run (and turn) and outcome: the identifying columns (``run_id``, ``point``,
        ``run``, ``seed``, every ``param.*``, and ``turn`` for turns), then ``outcome`` (the
        column's name), ``value`` (a number; empty for a word) and ``level`` (a word outcome's
        value, such as an ``end_state`` or a channel status; empty for a number). Written block
        by block, atomically.

        Returns:
            The files written.
        """
        written = []
        tables = [(self.runs_path, self.dir / "runs.csv", ["run_id", "point", "run", "seed"])]
        if per_turn and self.turns_path.exists():
            tables.append((self.turns_path, self.dir / "turns.csv", ["run_id", "point", "run", "seed", "turn"]))
        for src, dest, ids in tables:
            pf = pq.ParquetFile(src)
            names = pf.schema_arrow.names
            keys = [c for c in ids if c in names] + [c for c in names if c.startswith("param.")]
            with replaced_atomically(dest) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
                first = True
                for batch in pf.iter_batches(batch_size=COMPACT_BLOCK):
                    df = batch.to_pandas()
                    values = [c for c in df.columns if c not in keys]
                    long = df.melt(id_vars=keys, value_vars=values, var_name="outcome", value_name="raw")
                    numeric = pd_to_numeric(long["raw"])
                    long["value"] = numeric
                    long["level"] = long["raw"].where(numeric.isna() & long["raw"].notna(), None)
                    long = long.drop(columns="raw")
                    long["seed"] = long["seed"].astype("uint64") if "seed" in long else None
                    long.to_csv(f, index=False, header=first)
                    first = False
            written.append(dest)
        return written


def pd_to_numeric(series):
    """Numbers of a mixed column as floats (NaN for words and bools as 0/1)."""
    import pandas as pd

    return pd.to_numeric(series.map(lambda v: float(v) if isinstance(v, (bool, int, float)) and not isinstance(v, str) else None), errors="coerce")
