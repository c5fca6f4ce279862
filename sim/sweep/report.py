"""``run.py report``: plots and a Markdown/HTML summary of a finished sweep.

Files written to the report directory:

- ``end_states.png``: share of runs ending in each end state, per grid point.
- ``tensions.png``, ``issues.png``, ``counts.png``: distributions of the main outcomes per grid
  point (final and peak great-power tensions and Russia-China alignment; final issue states;
  incidents, crises, agreements, expulsions, closures, open channels).
- with a per-turn table: ``trajectories_tension.png`` and ``trajectories_issues.png``, the median
  and the 10-90% band over runs at each turn, per grid point. A run that ended early (armed
  clash, grand bargain) keeps its final value for the remaining turns.
- ``summary.csv`` (the statistics of the summary table), ``report.md`` and ``report.html``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.sweep.store import FAILURES, MANIFEST, RUNS, TURNS
from sim.sweep.summary import END_STATES, main_outcomes, point_labels, short_label, summarize, wide

STATE_COLOURS = {"armed_clash": "#c0392b", "grand_bargain": "#27ae60", "horizon": "#95a5a6", "running": "#f39c12"}
MANY_POINTS = 5
"""Above this many grid points, distributions are box plots rather than overlaid histograms."""


class ReportError(Exception):
    """A results directory that cannot be reported on (message for the user)."""


@dataclass
class SweepResults:
    """A sweep directory, read back.

    Attributes:
        dir: the directory.
        manifest: ``manifest.json``.
        runs: ``runs.parquet`` as a DataFrame (one row per run).
        has_turns: whether ``turns.parquet`` exists.
        failures: records of ``failures.jsonl``.
    """

    dir: Path
    manifest: dict
    runs: pd.DataFrame
    has_turns: bool
    failures: list[dict]

    @property
    def axes(self) -> list[str]:
        """Paths of the grid axes."""
        return [a["path"] for a in self.manifest.get("grid", {}).get("axes", [])]

    def turns(self, columns: list[str]) -> pd.DataFrame:
        """Selected columns of ``turns.parquet`` (with ``run_id``, ``point``, ``turn``)."""
        cols = list(dict.fromkeys(["run_id", "point", "turn", *columns]))
        return pd.read_parquet(self.dir / TURNS, columns=cols)


REPORT_MARKER = ".greatpower-report"
"""Marks a folder that ``report`` wrote, so that a later report may replace its files."""


def load_results(path: str | Path) -> SweepResults:
    """Read a sweep directory.

    Raises:
        ReportError: no manifest, or no ``runs.parquet`` (a sweep still running or interrupted:
            finish it with ``--resume``).
    """
    d = Path(path)
    if not (d / MANIFEST).exists():
        raise ReportError(f"{d}: no sweep here (no {MANIFEST})")
    try:
        manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise ReportError(f"{d / MANIFEST}: cannot read ({exc})") from None
    if not isinstance(manifest, dict) or "grid" not in manifest or "scenario" not in manifest:
        raise ReportError(f"{d / MANIFEST}: not a sweep manifest (no grid or scenario)")
    if not (d / RUNS).exists():
        raise ReportError(f"{d}: the sweep has no {RUNS} yet (status: {manifest.get('status')}); finish it with 'run.py sweep ... --resume'")
    try:
        runs = pd.read_parquet(d / RUNS)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ReportError(f"{d / RUNS}: cannot read ({str(exc).splitlines()[0]}); rerun or resume the sweep") from None
    failures = []
    if (d / FAILURES).exists():
        for line in (d / FAILURES).read_text(encoding="utf-8").splitlines():
            try:
                failures.append(json.loads(line))
            except ValueError:
                pass
    return SweepResults(d, manifest, runs, (d / TURNS).exists(), failures)


_short = short_label


def _colours(n: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "viridis"]
    return [cmap(i if n <= 10 else i / max(n - 1, 1)) for i in range(n)]


def plot_end_states(res: SweepResults, labels: dict[int, str], path: Path) -> None:
    """Stacked horizontal bars: share of runs in each end state per grid point, with Wilson 95% intervals in the table."""
    import matplotlib.pyplot as plt

    runs = res.runs
    points = sorted(labels)
    states = [s for s in END_STATES if (runs["end_state"] == s).any()] + sorted(set(runs["end_state"]) - set(END_STATES))
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.45 * len(points)))
    left = np.zeros(len(points))
    for s in states:
        share = np.array([(runs.loc[runs["point"] == p, "end_state"] == s).mean() for p in points])
        ax.barh(range(len(points)), share, left=left, color=STATE_COLOURS.get(s, "#34495e"), label=s.replace("_", " "))
        for y, (l, w) in enumerate(zip(left, share)):
            if w >= 0.06:
                ax.text(l + w / 2, y, f"{100 * w:.0f}%", ha="center", va="center", fontsize=8, color="white")
        left += share
    ax.set_yticks(range(len(points)), [_short(labels[p]) for p in points], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of runs")
    n = runs.groupby("point").size()
    ax.set_title(f"End states ({int(n.min())}" + (f"-{int(n.max())}" if n.max() != n.min() else "") + " runs per grid point)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _finish(fig, axes, used: int, title: str, n_legend: int, path: Path) -> None:
    """Hide unused panels, title the figure, put one shared legend below when there is more than
    one grid point, and save it as a PNG (100 dpi)."""
    import matplotlib.pyplot as plt

    for ax in list(axes.flat)[used:]:
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    if n_legend > 1:
        handles, lbls = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, lbls, loc="lower center", ncol=min(n_legend, 3), fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.06 + 0.02 * (n_legend // 3), 1, 1))
    else:
        fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_distributions(res: SweepResults, labels: dict[int, str], columns: list[str], title: str, path: Path) -> None:
    """One panel per outcome: overlaid histograms per grid point, dashed lines at the means.

    Box plots (whiskers at the 5th and 95th percentiles, a triangle at the mean) replace the
    histograms when there are more than 5 grid points or fewer than 30 runs at a point.
    """
    import matplotlib.pyplot as plt

    runs = res.runs
    points = sorted(labels)
    cols = min(3, len(columns))
    rows = int(np.ceil(len(columns) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    colours = _colours(len(points))
    n_min = int(runs.groupby("point").size().min())
    boxes = len(points) > MANY_POINTS or n_min < 30
    for ax, c in zip(axes.flat, columns):
        data = [runs.loc[runs["point"] == p, c].to_numpy(dtype=float) for p in points]
        if boxes:
            bp = ax.boxplot(data, whis=(5, 95), showmeans=True, patch_artist=True, flierprops={"markersize": 2}, medianprops={"color": "black"})
            for patch, col in zip(bp["boxes"], colours):
                patch.set_facecolor(col)
                patch.set_alpha(0.5)
            ticks = [str(p) for p in points] if len(points) > MANY_POINTS else [_short(labels[p]) for p in points]
            ax.set_xticks(range(1, len(points) + 1), ticks, fontsize=7)
            if len(points) > MANY_POINTS:
                ax.set_xlabel("grid point", fontsize=8)
        else:
            lo = min(float(np.min(x)) for x in data if len(x))
            hi = max(float(np.max(x)) for x in data if len(x))
            integer = all(np.allclose(x, np.round(x)) for x in data if len(x))
            if integer and hi - lo <= 60:
                bins = np.arange(lo - 0.5, hi + 1.5, 1.0)
            elif hi - lo < 1e-9 * max(1.0, abs(lo)):
                pad = 0.01 * max(abs(lo), 1.0)
                bins = np.linspace(lo - pad, hi + pad, 5)
            else:
                bins = np.linspace(lo, hi, 30)
            for x, col, p in zip(data, colours, points):
                ax.hist(x, bins=bins, histtype="step", linewidth=1.5, color=col, density=True, label=_short(labels[p]))
                if len(x):
                    ax.axvline(float(np.mean(x)), color=col, linestyle="--", linewidth=1)
            ax.set_yticks([])
        fmt = ax.yaxis.get_major_formatter() if boxes else ax.xaxis.get_major_formatter()
        if hasattr(fmt, "set_useOffset"):
            fmt.set_useOffset(False)
        ax.set_title(c, fontsize=9)
        ax.tick_params(labelsize=7)
    _finish(fig, axes, len(columns), title, len(points) if not boxes else 1, path)


def trajectory_bands(turns: pd.DataFrame, column: str, horizon: int | None = None) -> pd.DataFrame:
    """Median and 10-90% band of one per-turn column, per grid point and turn.

    A run that ended before the last turn keeps its final value (forward fill).

    Args:
        turns: per-turn rows with ``run_id``, ``point``, ``turn`` and ``column``.
        column: e.g. ``tension.RUS-USA``.
        horizon: last turn to show (default: the largest in the data).

    Returns:
        Columns ``point``, ``turn``, ``p10``, ``median``, ``p90``, ``n`` (runs).
    """
    wide_ = turns.pivot(index="run_id", columns="turn", values=column)
    last = int(horizon if horizon is not None else wide_.columns.max())
    wide_ = wide_.reindex(columns=range(0, last + 1)).ffill(axis=1)
    point_of = turns.groupby("run_id")["point"].first()
    out = []
    for p, ids in point_of.groupby(point_of).groups.items():
        block = wide_.loc[list(ids)].to_numpy(dtype=float)
        q = np.nanpercentile(block, [10, 50, 90], axis=0)
        for t in range(block.shape[1]):
            out.append({"point": int(p), "turn": t, "p10": q[0, t], "median": q[1, t], "p90": q[2, t], "n": block.shape[0]})
    return pd.DataFrame(out)


def plot_trajectories(res: SweepResults, labels: dict[int, str], columns: list[str], title: str, path: Path) -> None:
    """One panel per per-turn column: median line and 10-90% band per grid point."""
    import matplotlib.pyplot as plt

    turns = res.turns(columns)
    points = sorted(labels)
    colours = _colours(len(points))
    cols = min(3, len(columns))
    rows = int(np.ceil(len(columns) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for ax, c in zip(axes.flat, columns):
        bands = trajectory_bands(turns, c)
        for p, col in zip(points, colours):
            b = bands[bands["point"] == p]
            if b.empty:
                continue
            ax.fill_between(b["turn"], b["p10"], b["p90"], color=col, alpha=0.2, linewidth=0)
            ax.plot(b["turn"], b["median"], color=col, linewidth=1.5, label=_short(labels[p]))
        ax.set_title(c, fontsize=9)
        ax.set_xlabel("turn (month)", fontsize=8)
        ax.tick_params(labelsize=7)
    _finish(fig, axes, len(columns), f"{title}: median and 10-90% of runs", len(points), path)


def _md_table(df: pd.DataFrame, index_name: str = "") -> str:
    def esc(x) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    head = [index_name] + [esc(c) for c in df.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * len(df.columns)) + "|"]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([esc(idx)] + [esc(v) for v in row]) + " |")
    return "\n".join(lines)


def write_report(results_dir: str | Path, out: str | Path | None = None) -> list[Path]:
    """Write the plots, ``summary.csv``, ``report.md`` and ``report.html`` of a sweep.

    Args:
        results_dir: a sweep directory (``run.py sweep --out``).
        out: the report directory (default: ``RESULTS/report``).

    Returns:
        The files written.

    Raises:
        ReportError: see :func:`load_results`.
    """
    import matplotlib

    matplotlib.use("Agg")
    res = load_results(results_dir)
    if res.runs.empty:
        raise ReportError(f"{res.dir}: no finished runs to report on")
    dest = Path(out) if out else res.dir / "report"
    marker = dest / REPORT_MARKER
    if dest.exists() and not dest.is_dir():
        raise ReportError(f"--out {dest}: is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not marker.exists():
        raise ReportError(f"--out {dest}: this directory is not empty and holds no earlier report; choose an empty or new directory")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        marker.write_text("written by run.py report; a later report may replace this folder's files\n", encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"--out {dest}: cannot write here: {exc.strerror or exc}") from None
    labels = point_labels(res.runs, res.axes)
    summary = summarize(res.runs)
    written: list[Path] = []
    (dest / "summary.csv").write_text(summary.to_csv(index=False), encoding="utf-8")
    written.append(dest / "summary.csv")

    plots: list[tuple[str, str, str]] = []
    p = dest / "end_states.png"
    plot_end_states(res, labels, p)
    plots.append((p.name, "End states", "Share of runs that ended in an armed clash, a grand bargain, or ran to the horizon."))
    cols = list(res.runs.columns)
    groups = [
        ("tensions.png", "Tension and alignment", [c for c in main_outcomes(cols) if c.startswith(("tension.", "peak_tension.", "alignment."))], "Final and peak tension between the great powers (in [0, 1]) and final Russia-China alignment (in [-1, 1]); dashed lines are means."),
        ("issues.png", "Issue states", [c for c in cols if c.startswith("issue.")], "Final state of each issue (in [0, 1]); dashed lines are means."),
        ("counts.png", "Events over the run", [c for c in ("incidents", "crises", "agreements", "expulsions", "closures", "channels_open") if c in cols], "Counts per run; channels open at the end."),
    ]
    for name, title, columns, caption in groups:
        if columns:
            plot_distributions(res, labels, columns, title, dest / name)
            plots.append((name, title, caption))
    if res.has_turns:
        sample = _turn_columns(res.dir / TURNS)
        tcols = [c for c in sample if c.startswith(("tension.", "alignment."))]
        icols = [c for c in sample if c.startswith("issue.")]
        if tcols:
            plot_trajectories(res, labels, tcols, "Tension and alignment by turn", dest / "trajectories_tension.png")
            plots.append(("trajectories_tension.png", "Tension and alignment by turn", "Median (line) and 10-90% of runs (band) at each turn; a run that ended early keeps its final value."))
        if icols:
            plot_trajectories(res, labels, icols, "Issue states by turn", dest / "trajectories_issues.png")
            plots.append(("trajectories_issues.png", "Issue states by turn", "Median (line) and 10-90% of runs (band) at each turn; a run that ended early keeps its final value."))
    written += [dest / name for name, _t, _c in plots]

    md = _markdown(res, labels, summary, plots, dest)
    (dest / "report.md").write_text(md, encoding="utf-8")
    written.append(dest / "report.md")
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(md)
    html = (
        "<!doctype html>\n<html><head><meta charset='utf-8'><title>Sweep report</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}"
        "td{text-align:right}td:first-child{text-align:left}img{max-width:100%}</style></head><body>\n"
        + body
        + "</body></html>\n"
    )
    (dest / "report.html").write_text(html, encoding="utf-8")
    written.append(dest / "report.html")
    return written


def _turn_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _markdown(res: SweepResults, labels: dict[int, str], summary: pd.DataFrame, plots: list[tuple[str, str, str]], dest: Path) -> str:
    import os

    m = res.manifest
    sc = m.get("scenario", {})
    lines = [f"# Sweep report: {sc.get('name', '')}", ""]
    n_done = len(res.runs)
    lines.append(
        f"Scenario `{sc.get('file')}` (data SHA-256 `{str(sc.get('data_sha256', ''))[:12]}`), "
        f"{m.get('n_points')} grid point(s) x {m.get('runs_per_point')} runs, master seed {m.get('master_seed')}, "
        f"{'scenario turns' if m.get('turns') is None else str(m.get('turns')) + ' turns'}; "
        f"{n_done} runs finished, {len(res.failures)} failed; status {m.get('status')}."
    )
    lines.append("")
    if m.get("grid", {}).get("sets"):
        lines.append("Fixed overrides: " + ", ".join(f"`{s['path']}={s['value']}`" for s in m["grid"]["sets"]) + ".")
        lines.append("")
    if len(labels) > 1:
        lines.append("Grid points:")
        lines.append("")
        for p in sorted(labels):
            lines.append(f"- point {p}: `{labels[p]}`")
        lines.append("")
    v = m.get("versions", {})
    lines.append("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val is not None and k not in ("git_dirty",)) + ("" if not v.get("git_dirty") else " (working tree modified)") + ".")
    sessions = m.get("sessions", [])
    if sessions:
        lines.append(f"Started {m.get('started')}, finished {m.get('finished')}; {len(sessions)} session(s): " + "; ".join(f"{s.get('executor')} x{s.get('workers')}, {s.get('ran', '?')} runs in {s.get('seconds', '?')} s" for s in sessions) + ".")
    lines.append("")
    lines.append("## Summary")
    lines.append("")
    lines.append("End states: share of runs with a Wilson 95% interval. Outcomes: mean with the 95% confidence interval of the mean. The 2.5-97.5% range of the runs is in `summary.csv`.")
    lines.append("")
    w = wide(summary)
    w.columns = [f"point {p}" if len(labels) > 1 else "all runs" for p in w.columns]
    n_row = summary.groupby("point")["n"].first()
    w = pd.concat([pd.DataFrame([[str(int(n)) for n in n_row]], index=["runs"], columns=w.columns), w])
    lines.append(_md_table(w, "outcome"))
    lines.append("")
    for name, title, caption in plots:
        lines.append(f"## {title}")
        lines.append("")
        lines.append(caption)
        lines.append("")
        lines.append(f"![{title}]({name})")
        lines.append("")
    if not res.has_turns:
        lines.append("Trajectories by turn need the per-turn table: run the sweep with `--per-turn`.")
        lines.append("")
    if res.failures:
        lines.append("## Failed runs")
        lines.append("")
        lines.append(f"{len(res.failures)} run(s) raised; details (seed, parameters, traceback) in `{os.path.relpath(res.dir / FAILURES, dest)}`.")
        lines.append("")
        for f in res.failures[:20]:
            lines.append(f"- run {f['run_id']} (point {f['point']}, seed {f['seed']}): `{f['error']}`")
        lines.append("")
    return "\n".join(lines)
