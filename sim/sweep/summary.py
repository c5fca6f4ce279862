"""Summaries of a sweep per point: end-state frequencies and the main outcomes.

Frequencies (end states, and the scenario's 0/1 ``threshold`` outcomes) carry a Wilson 95%
score interval (Wilson 1927), which is 0 at its lower end when no run has the outcome. Numeric
outcomes carry the mean with the 95% confidence interval of the mean from Student's t
distribution with n - 1 degrees of freedom (``mean +- t sd / sqrt(n)``; close to the normal
interval for large n, wider for small samples), and the 2.5-97.5% range of the runs themselves.
A time-to-event outcome is summarised over the runs in which the event happened (``n`` counts them).
An ``event_count`` outcome is a count (kind ``count``: the mean count per run), also in a sweep
where no run saw more than one event.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.stats import Z95, t_half_width, wilson  # noqa: F401  (one implementation, shared with validity)

END_STATES = ("armed_clash", "grand_bargain", "horizon")
COUNTS = ("incidents", "crises", "agreements", "conflicts", "disputes", "expulsions", "closures", "patrols", "vetoes", "force", "red_lines", "channels_open")
COUNT_WORDS = "conflicts: talks without agreement (conflicts, stalemates, blocs' rejections); disputes: the conflicts alone"
"""What the two counters of failed talks count, in the words of the run's account (their column
names are kept for results files; README, "Words in the output")."""


def bounds(column: str) -> tuple[float, float]:
    """Natural range of an outcome column (an interval is clipped to it)."""
    if column.startswith("alignment."):
        return -1.0, 1.0
    if column.startswith(("tension.", "peak_tension.", "issue.")):
        return 0.0, 1.0
    return 0.0, math.inf


def is_binary(x: pd.Series) -> bool:
    """Whether every non-missing value is 0 or 1 (a scenario's threshold outcome)."""
    v = pd.to_numeric(x, errors="coerce").dropna()
    return len(v) > 0 and bool(v.isin([0.0, 1.0]).all())


def outcome_kinds(specs: list[dict] | None) -> dict[str, str]:
    """``{"outcome.<id>": kind}`` of the scenario's outcomes.

    Args:
        specs: the outcomes as a sweep's manifest keeps them (``manifest["outcomes"]``,
            :attr:`~sim.sweep.plan.SweepPlan.outcome_specs`); ``None`` for none.
    """
    return {f"outcome.{o['id']}": str(o.get("kind")) for o in specs or [] if isinstance(o, dict) and "id" in o}


def is_share(column: str, y: pd.Series, kinds: dict[str, str] | None = None) -> bool:
    """Whether an outcome is summarised as a share of runs (0/1 per run) rather than a mean.

    End states (``end_state=X``) and the scenario's ``threshold`` outcomes are shares; an
    ``event_count`` or ``time_to_event`` outcome, the counters and the other columns are
    means, even where every run happens to be 0 or 1. Without the kinds (an older sweep), an
    ``outcome.*`` column whose values are all 0 or 1 is taken as a share.

    Args:
        column: the outcome's name (a ``runs.parquet`` column, or ``end_state=X``).
        y: its values, one per run.
        kinds: from :func:`outcome_kinds`.
    """
    if column.startswith("end_state="):
        return True
    if not column.startswith("outcome."):
        return False
    kind = (kinds or {}).get(column)
    return kind == "threshold" if kind is not None else is_binary(y)


def main_outcomes(columns: list[str]) -> list[str]:
    """The numeric outcome columns a summary shows, in a fixed order.

    Final great-power tensions, their peaks, Russia-China alignment, final issue states, the
    counters, then the scenario's own outcomes (``outcome.*``).
    """
    cols = set(columns)
    out = [c for c in columns if c.startswith("tension.")]
    out += [c for c in columns if c.startswith("peak_tension.")]
    out += [c for c in columns if c.startswith("alignment.")]
    out += [c for c in columns if c.startswith("issue.")]
    out += [c for c in COUNTS if c in cols]
    out += [c for c in columns if c.startswith("outcome.")]
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


SUMMARY_COLUMNS = ["point", "outcome", "kind", "n", "mean", "ci_low", "ci_high", "p2_5", "p97_5"]


def summarize(runs: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """Per point and outcome: the statistics of the summary table.

    Args:
        runs: the ``runs.parquet`` table (one row per run).
        kinds: the scenario's outcome kinds (:func:`outcome_kinds`); which are shares and
            which are counts (:func:`is_share`).

    Returns:
        A long table with columns ``point``, every ``param.*`` column (the point's parameter
        values), ``outcome``, ``kind`` (``frequency`` for end states and 0/1 outcomes, ``count``
        for the scenario's ``event_count`` outcomes, ``value`` otherwise), ``n``, ``mean``, ``ci_low``, ``ci_high`` (95%), ``p2_5``, ``p97_5``. For a
        frequency, ``mean`` is the share of runs in [0, 1] and the interval is Wilson's; for a
        value, the interval is Student's t.
    """
    rows = []
    outcomes = main_outcomes(list(runs.columns))
    binary = {c for c in outcomes if is_share(c, runs[c], kinds)}
    counts = {c for c in outcomes if (kinds or {}).get(c) == "event_count"}
    params = [c for c in runs.columns if c.startswith("param.")]
    states = list(END_STATES) + sorted(set(runs["end_state"].unique()) - set(END_STATES)) if len(runs) else list(END_STATES)
    for p, g in runs.groupby("point", sort=True):
        n = len(g)
        pv = {c: g[c].iloc[0] for c in params}
        for s in states:
            k = int((g["end_state"] == s).sum())
            lo, hi = wilson(k, n)
            rows.append({"point": int(p), **pv, "outcome": f"end_state={s}", "kind": "frequency", "n": n, "mean": k / n, "ci_low": lo, "ci_high": hi, "p2_5": np.nan, "p97_5": np.nan})
        for c in outcomes:
            x = pd.to_numeric(g[c], errors="coerce").to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            m_ = len(x)
            if c in binary:
                k = int(x.sum())
                lo, hi = wilson(k, m_)
                rows.append({"point": int(p), **pv, "outcome": c, "kind": "frequency", "n": m_, "mean": k / m_ if m_ else np.nan, "ci_low": lo, "ci_high": hi, "p2_5": np.nan, "p97_5": np.nan})
                continue
            if m_ == 0:
                rows.append({"point": int(p), **pv, "outcome": c, "kind": "value", "n": 0, "mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p2_5": np.nan, "p97_5": np.nan})
                continue
            m = float(x.mean())
            half = t_half_width(float(x.std(ddof=1)) if m_ > 1 else 0.0, m_)
            lo_b, hi_b = bounds(c)
            rows.append({"point": int(p), **pv, "outcome": c, "kind": "count" if c in counts else "value", "n": m_, "mean": m, "ci_low": max(lo_b, m - half), "ci_high": min(hi_b, m + half), "p2_5": float(np.percentile(x, 2.5)), "p97_5": float(np.percentile(x, 97.5))})
    cols = ["point", *params] + SUMMARY_COLUMNS[1:]
    return pd.DataFrame(rows, columns=cols)


def constant_outcomes(runs: pd.DataFrame) -> list[str]:
    """Outcome columns (numeric outcomes and end states) that take one value in every run."""
    out = []
    for c in ["end_state", *main_outcomes(list(runs.columns))]:
        v = runs[c].dropna()
        if v.nunique() <= 1:  # one value, or none at all (an event that never happened)
            out.append(c)
    return out


def constant_value(runs: pd.DataFrame, column: str) -> Any:
    """The one value of a constant outcome (``"never"`` for a time to an event that never happened)."""
    v = runs[column].dropna()
    return v.iloc[0] if len(v) else "never"


def cell(row: pd.Series) -> str:
    """``"12.0% [8.1, 17.3]"`` for a frequency, ``"0.532 [0.521, 0.544]"`` for a value, ``"0.12
    per run [0.05, 0.19]"`` for a count, ``"never"`` for a time to an event that happened in no run.
    """
    if row["kind"] == "frequency":
        return f"{100 * row['mean']:.1f}% [{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]"
    m, lo, hi = row["mean"], row["ci_low"], row["ci_high"]
    digits = 3 if bounds(str(row["outcome"]))[1] <= 1 else 1
    if row["kind"] == "count":
        if math.isnan(m):
            return "no runs"
        return f"{m:.2f} per run" + ("" if math.isnan(lo) else f" [{lo:.2f}, {hi:.2f}]")
    if math.isnan(m):
        return "never"
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
    t = Table(title=title, caption="end states and 0/1 outcomes: share of runs [Wilson 95% interval]; counts: mean count per run, other outcomes: mean [95% CI of the mean]", show_lines=False)
    t.add_column("outcome", no_wrap=True)
    for p in w.columns:
        t.add_column(f"point {p}\n{short_label(labels.get(int(p), ''))}" if len(labels) > 1 else "all runs", justify="right")
    n_row = summary.groupby("point")["n"].first()
    t.add_row("runs", *[str(int(n_row[p])) for p in w.columns], end_section=True)
    for outcome, r in w.iterrows():
        t.add_row(str(outcome), *[str(r[p]) for p in w.columns])
    return t


def summary_lines(summary: pd.DataFrame, labels: dict[int, str], title: str, width: int = 80) -> list[str]:
    """The summary in long format for a terminal or a log: one line per grid point and outcome.

    Args:
        summary: from :func:`summarize`.
        labels: ``{point: "path=value, ..."}`` from :func:`point_labels`.
        title: first line.
        width: the longest line wanted (80 columns; a point's label wraps to fit).

    Returns:
        Lines without newlines, each at most ``width`` characters unless one outcome name
        alone is longer.
    """
    import textwrap

    lines = textwrap.wrap(title, width=width, break_on_hyphens=False) + ["end states, 0/1 outcomes: share of runs [Wilson 95% interval]", "counts: mean count per run; other outcomes: mean [95% CI of the mean]"]
    names = [str(o) for o in dict.fromkeys(summary["outcome"])]
    if "conflicts" in names:
        lines += textwrap.wrap(COUNT_WORDS, width=width, break_on_hyphens=False)
    pad = min(max((len(n) for n in names), default=0), width // 2)
    for p, g in summary.groupby("point", sort=True):
        n = int(g["n"].iloc[0])
        head = f"point {int(p)}: {labels.get(int(p), '')} ({n} runs)" if len(labels) > 1 else f"all runs ({n})"
        lines.append("")
        lines += textwrap.wrap(head, width=width, subsequent_indent="    ", break_on_hyphens=False) or [head]
        for _, row in g.iterrows():
            name, value = str(row["outcome"]), cell(row)
            if 2 + len(name) + 2 + len(value) <= width:
                lines.append(f"  {name:<{pad}}  {value}".rstrip() if len(name) <= pad else f"  {name}  {value}")
            else:
                lines += [f"  {name}", f"  {'':<{pad}}  {value}"[:width]]
    return lines
