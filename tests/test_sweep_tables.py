"""The sweep's parent builds each batch's Arrow table column by column: the same table, and the
same Parquet bytes, as the row-by-row build it replaced (kept here as the oracle).
"""

from __future__ import annotations

import io

import pyarrow as pa
import pytest
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.sweep.store import arrow_type, schema_of, table_of


def reference_schema(rows: list[dict]) -> pa.Schema:
    """The row-by-row schema: first non-missing value's type, whole numbers and floats mixed -> float."""
    kinds: dict = {}
    for r in rows:
        for k, v in r.items():
            if v is None:
                kinds.setdefault(k, None)
                continue
            t = arrow_type(k, v)
            old = kinds.get(k)
            if old is None:
                kinds[k] = t
            elif old != t and {old, t} == {pa.int64(), pa.float64()}:
                kinds[k] = pa.float64()
    return pa.schema([(k, t if t is not None else pa.float64()) for k, t in kinds.items()])


def reference_table(rows: list[dict], sort: list[str]) -> pa.Table:
    t = pa.Table.from_pylist(rows, schema=reference_schema(rows))
    return t.sort_by([(c, "ascending") for c in sort])


def parquet_bytes(t: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(t, buf)
    return buf.getvalue()


values = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.text(max_size=3))
row = st.dictionaries(st.sampled_from(["a", "b", "c", "seed_x", "d"]), values, max_size=5)


@settings(max_examples=100, deadline=None)
@given(st.lists(row, min_size=1, max_size=12), st.integers(0, 2**63 - 1))
def test_column_build_matches_row_build(rows, seed):
    """Any mix of missing columns, None, bools, whole numbers, floats and text: same table."""
    for i, r in enumerate(rows):
        r["run_id"] = len(rows) - i
        r["seed"] = seed + i
    assert schema_of(rows) == reference_schema(rows)
    try:
        want = reference_table(rows, ["run_id"])
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # e.g. a bool column with a whole number after
        with pytest.raises(type(exc)):
            table_of(rows, ["run_id"])
        return
    got = table_of(rows, ["run_id"])
    assert got.equals(want)
    assert parquet_bytes(got) == parquet_bytes(want)


def test_real_sweep_rows_give_identical_parquet(tmp_path):
    """Rows of real runs (per run and per turn): the same Parquet bytes as the row-by-row build."""
    from sim.sweep.plan import RunSpec, run_seed
    from sim.sweep.runner import _bundle, plan_sweep
    from sim.sweep.worker import run_one

    plan = plan_sweep("scenarios/baseline_2021.yaml", 2, seed=3, grids=["actors.USA.threat.CHN=0.5,0.9"], turns=4, per_turn=True)
    bundle = _bundle(plan)
    rows, turns = [], []
    for point in (1, 0):
        r, t = run_one(bundle, RunSpec(point, point, 0, run_seed(3, point, 0)))
        rows.append(r)
        turns.extend(t)
    for rs, sort in ((rows, ["run_id"]), (turns, ["run_id", "turn"])):
        assert parquet_bytes(table_of(rs, sort)) == parquet_bytes(reference_table(rs, sort))
