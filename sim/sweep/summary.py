"""Summaries of a sweep per grid point: end-state frequencies and the main outcomes.

Frequencies carry a Wilson 95% interval; numeric outcomes carry the mean with a 95% confidence
interval of the mean (normal approximation, ``mean +- 1.96 sd / sqrt(n)``) and the 2.5-97.5%
range of the runs themselves.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.stats import Z95, wilson  # noqa: F401  (one implementation, shared with validity)

END_STATES = ("armed_clash", "grand_bargain", "horizon")
COUNTS = ("incidents", "crises", "agreements", "conflicts", "expulsions", "closures", "channels_open")


def bounds(column: str) -> tuple[float, float]:
    """Natural range of an outcome column (an interval is clipped to it)."""
    if column.startswith("alignment."):
        return -1.0, 1.0
    if column.startswith(("tension.", "peak_tension.", "issue.")):
        return 0.0, 1.0
    return 0.0, math.inf


def main_outcomes(columns: list[str]) -> list[str]:
    """The numeric outcome columns a summary shows, in a fixed order.

    Final great-power tensions, their peaks, Russia-China alignment, final issue states, then
    the counters.
    """
    cols = set(columns)
    out = [c for c in columns if c.startswith("tension.")]
    out += [c for c in columns if c.startswith("peak_tension.")]
    out += [c for c in columns if c.startswith("alignment.")]
    out += [c for c in columns if c.startswith("issue.")]
    out += [c for c in COUNTS if c in cols]
    return out


def short_label(label: str) -> str:
    """``actors.USA.threat.CHN=0.5`` -> ``USA.threat.CHN=0.5`` (the last three parts of each path)."""
    parts = []
    for item in label.split(", "):
        path, eq, val = item.partition("=")
        bits = path.split(".")
        parts.append((".".join(bits[-3:]) if len(bits) > 3 else path) + eq + val)
    return ", ".join(parts)


def point_labels(runs: pd.DataFrame, axes: list[str]) -> dict[int, str]:
    """``{point: "path=value, ..."}`` from the grid axes' ``param.`` columns (``"all runs"`` without axes)."""
    labels = {}
    for p, g in runs.groupby("point", sort=True):
        first = g.iloc[0]
        parts = [f"{a}={_fmt(first[f'param.{a}'])}" for a in axes if f"param.{a}" in g.columns]
        labels[int(p)] = ", ".join(parts) or "all runs"
    return labels


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Per grid point and outcome: the statistics of the summary table.

    Args:
        runs: the ``runs.parquet`` table (one row per run).

    Returns:
        A long table with columns ``point``, ``outcome``, ``kind`` (``frequency`` for end states,
        ``value`` otherwise), ``n``, ``mean``, ``ci_low``, ``ci_high`` (95%), ``p2_5``, ``p97_5``.
        For a frequency, ``mean`` is the share of runs in [0, 1] and the interval is Wilson's.
    """
    rows = []
    outcomes = main_outcomes(list(runs.columns))
    states = list(END_STATES) + sorted(set(runs["end_state"].unique()) - set(END_STATES)) if len(runs) else list(END_STATES)
    for p, g in runs.groupby("point", sort=True):
        n = len(g)
        for s in states:
            k = int((g["end_state"] == s).sum())
            lo, hi = wilson(k, n)
            rows.append({"point": int(p), "outcome": f"end_state={s}", "kind": "frequency", "n": n, "mean": k / n, "ci_low": lo, "ci_high": hi, "p2_5": np.nan, "p97_5": np.nan})
        for c in outcomes:
            x = g[c].to_numpy(dtype=float)
            m = float(x.mean())
            half = Z95 * float(x.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
            lo_b, hi_b = bounds(c)
            rows.append({"point": int(p), "outcome": c, "kind": "value", "n": n, "mean": m, "ci_low": max(lo_b, m - half), "ci_high": min(hi_b, m + half), "p2_5": float(np.percentile(x, 2.5)), "p97_5": float(np.percentile(x, 97.5))})
    return pd.DataFrame(rows, columns=["point", "outcome", "kind", "n", "mean", "ci_low", "ci_high", "p2_5", "p97_5"])


def cell(row: pd.Series) -> str:
    """``"12.0% [8.1, 17.3]"`` for a frequency, ``"0.532 [0.521, 0.544]"`` for a value."""
    if row["kind"] == "frequency":
        return f"{100 * row['mean']:.1f}% [{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]"
    m, lo, hi = row["mean"], row["ci_low"], row["ci_high"]
    digits = 3 if bounds(str(row["outcome"]))[1] <= 1 else 1
    if math.isnan(lo):
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def wide(summary: pd.DataFrame) -> pd.DataFrame:
    """Outcomes as rows, grid points as columns, cells as text (see :func:`cell`)."""
    s = summary.copy()
    s["cell"] = s.apply(cell, axis=1)
    order = list(dict.fromkeys(s["outcome"]))
    w = s.pivot(index="outcome", columns="point", values="cell").reindex(order)
    return w


def rich_table(summary: pd.DataFrame, labels: dict[int, str], title: str):
    """A :class:`rich.table.Table`: one row per outcome, one column per grid point."""
    from rich.table import Table

    w = wide(summary)
    t = Table(title=title, caption="end states: share of runs [Wilson 95% interval]; outcomes: mean [95% CI of the mean]", show_lines=False)
    t.add_column("outcome", no_wrap=True)
    for p in w.columns:
        t.add_column(f"point {p}\n{short_label(labels.get(int(p), ''))}" if len(labels) > 1 else "all runs", justify="right")
    n_row = summary.groupby("point")["n"].first()
    t.add_row("runs", *[str(int(n_row[p])) for p in w.columns], end_section=True)
    for outcome, r in w.iterrows():
        t.add_row(str(outcome), *[str(r[p]) for p in w.columns])
    return t
