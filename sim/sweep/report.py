"""``run.py report``: plots and a Markdown/HTML summary of a finished sweep.

Files written to the report directory (figures drawn by :mod:`sim.sweep.figures`):

- ``end_states.png``: share of runs ending in each end state per design point, each with its
  Wilson 95% interval and its share written beside the bar.
- ``vs_<n>.png``, one per varied parameter: every outcome that varies (mean or share, with its
  95% interval) against that parameter.
- ``heatmap.png`` when two or more parameters vary: the main outcomes over the first two.
- ``distributions_*.png`` with at most 5 points: histograms of the outcomes per point.
- with a per-turn table: ``trajectory_<column>.png``, one small panel per design point with the
  median and the 10-90% band over runs at each turn. A run that ended early (armed clash, grand
  bargain) keeps its final value for the remaining turns.
- the sensitivity figures of ``run.py analyse``, when it has run.
- ``summary.csv`` (the statistics of the summary table, with each point's parameter values),
  ``report.md`` and ``report.html``.

Outcomes that take one value in every run are listed, not plotted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.sweep.store import FAILURES, MANIFEST, RUNS, TURNS, StoreError, check_manifest, check_runs_table
from sim.sweep.summary import (
    constant_outcomes,
    constant_value,
    main_outcomes,
    outcome_kinds,
    point_labels,
    short_label,
    summarize,
    wide,
)

MANY_POINTS = 5
"""Above this many design points, the report draws no per-point histograms."""
KEY_OUTCOMES = ("tension.", "peak_tension.", "alignment.", "issue.embassy_staffing", "outcome.")
"""Outcomes (by prefix) in the heat map, besides the end-state shares."""


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
            finish it with ``--resume``); a manifest or a ``runs.parquet`` that this program did
            not write for this sweep (:func:`sim.sweep.store.check_manifest`,
            :func:`sim.sweep.store.check_runs_table`: one line, the file's content not shown).
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
    try:
        check_manifest(d, manifest)
        check_runs_table(d, manifest)
    except StoreError as exc:
        raise ReportError(str(exc)) from None
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

def _md_table(df: pd.DataFrame, index_name: str = "") -> str:
    def esc(x) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    head = [index_name] + [esc(c) for c in df.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * len(df.columns)) + "|"]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([esc(idx)] + [esc(v) for v in row]) + " |")
    return "\n".join(lines)


def _pick(outcomes: list[str]) -> list[str]:
    return [o for o in outcomes if o.startswith("end_state=") or o.startswith(KEY_OUTCOMES)]


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
    from sim.files import write_text_atomic
    from sim.sweep import figures
    from sim.sweep.analysis import outcome_columns

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
    for old in dest.glob("*.png"):  # figures of an earlier report of this folder
        old.unlink(missing_ok=True)
    m = res.manifest
    runs = res.runs
    labels = point_labels(runs, res.axes)
    summary = summarize(runs, outcome_kinds(m.get("outcomes")))
    written: list[Path] = []
    write_text_atomic(dest / "summary.csv", summary.to_csv(index=False))
    written.append(dest / "summary.csv")
    specs = {o["id"]: o for o in m.get("outcomes", [])}
    turn_months = int(m.get("turn_months", 1) or 1)
    units = m.get("units", {})
    const = constant_outcomes(runs)
    varying = outcome_columns(runs)
    plots: list[tuple[str, str, str]] = []

    path, caption = figures.plot_end_states(runs, labels, dest / "end_states.png")
    plots.append((path.name, "End states", caption))
    pooled = len(res.axes) > 1
    for k, axis in enumerate(res.axes):
        if runs[f"param.{axis}"].nunique() < 2 or not varying:
            continue
        name = f"vs_{k + 1}.png"
        figures.plot_vs_axis(runs, axis, varying, units, specs, turn_months, dest / name, pooled)
        binned = runs[f"param.{axis}"].nunique() > 12
        cap = f"Each outcome that varies against {axis}: the mean over runs (or, for end states and 0/1 outcomes, the share of runs) with its 95% interval (Student's t for means, Wilson for shares)"
        if binned:
            cap += f"; the runs are grouped into {figures.MAX_BINS} or fewer bins of equal counts, each drawn at its mean value of the parameter"
        if pooled:
            cap += "; pooled over the other varied parameters"
        plots.append((name, f"Outcomes against {axis}", cap + "."))
    if len(res.axes) >= 2 and _pick(varying):
        a1, a2 = res.axes[0], res.axes[1]
        figures.plot_heatmaps(runs, a1, a2, _pick(varying)[:12], units, specs, turn_months, dest / "heatmap.png")
        cap = f"Mean (for end states: share of runs) of the main outcomes in each cell of {a1} by {a2}" + (", pooled over the other varied parameters" if len(res.axes) > 2 else "") + "; sampled parameters are grouped into bins of equal counts. Cells are written with their value."
        plots.append(("heatmap.png", f"Heat maps over {a1} and {a2}", cap))
    if len(labels) <= MANY_POINTS:
        cols = [c for c in main_outcomes(list(runs.columns)) if c not in const]
        groups = [
            ("distributions_tension.png", "Tension and alignment", [c for c in cols if c.startswith(("tension.", "peak_tension.", "alignment."))]),
            ("distributions_issues.png", "Issue states", [c for c in cols if c.startswith("issue.")]),
            ("distributions_counts.png", "Events over the run", [c for c in cols if not c.startswith(("tension.", "peak_tension.", "alignment.", "issue."))]),
        ]
        for name, title, columns in groups:
            if columns:
                figures.plot_distributions(runs, labels, columns, specs, turn_months, title, dest / name)
                plots.append((name, title, "Histograms of the runs at each design point (one line colour per point); dashed vertical lines are the means."))
    if res.has_turns:
        sample = _turn_columns(res.dir / TURNS)
        tcols = [c for c in sample if c.startswith(("tension.", "alignment.", "issue."))]
        points = sorted(labels)
        shown = points
        if len(points) > figures.MAX_PANELS:
            idx = np.linspace(0, len(points) - 1, figures.MAX_PANELS).round().astype(int)
            shown = [points[i] for i in sorted(set(idx))]
        turns = res.turns(tcols)
        for c in tcols:
            if turns[c].nunique() < 2:
                continue
            name = f"trajectory_{c.replace('.', '_')}.png"
            figures.plot_trajectories(turns, c, labels, shown, turn_months, dest / name)
            cap = f"{c} at each turn: the median over runs (line) and the band from the 10th to the 90th percentile, one panel per design point"
            if len(shown) < len(points):
                cap += f" ({len(shown)} of the {len(points)} points, evenly spaced by point number)"
            plots.append((name, f"{c} by turn", cap + "; a run that ended early keeps its final value."))
    analysis_dir = res.dir / "analysis"
    for name, title in (("sensitivity_morris.png", "Sensitivity: Morris elementary effects"), ("sensitivity_sobol.png", "Sensitivity: Sobol indices"), ("discovery_cart.png", "Scenario discovery (CART)"), ("discovery_prim.png", "Scenario discovery (PRIM)"), ("convergence.png", "Convergence of the intervals")):
        src = analysis_dir / name
        if src.exists():
            import shutil

            shutil.copyfile(src, dest / name)
            plots.append((name, title, _analysis_caption(name, analysis_dir)))
    written += [dest / name for name, _t, _c in plots]

    md = _markdown(res, labels, summary, plots, dest, const)
    write_text_atomic(dest / "report.md", md)
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
    write_text_atomic(dest / "report.html", html)
    written.append(dest / "report.html")
    return written


def _analysis_caption(name: str, analysis_dir: Path) -> str:
    notes = (analysis_dir / "notes.txt").read_text(encoding="utf-8").strip().splitlines() if (analysis_dir / "notes.txt").exists() else []
    base = {
        "sensitivity_morris.png": "Morris elementary effects from `run.py analyse`: mu* (bars, with bootstrap 95% intervals) is the mean absolute change of the outcome over the full range of a parameter; sigma (diamonds) is large when the effect depends on the other parameters (interactions or non-linearity).",
        "sensitivity_sobol.png": "Sobol indices from `run.py analyse`: the share of the outcome's variance over the design due to each parameter alone (S1) and with its interactions (ST), with bootstrap 95% intervals.",
        "discovery_cart.png": "Scenario discovery from `run.py analyse --method cart`: the runs in the plane of the two parameters the classification tree uses most, coloured by the condition; the rules are in `analysis/cart_rules.csv`.",
        "discovery_prim.png": "Scenario discovery from `run.py analyse --method prim`: the runs coloured by the condition; PRIM's box is in `analysis/prim_rules.csv`.",
        "convergence.png": "The widest 95% interval over the design points against the number of runs per point.",
    }[name]
    if name == "convergence.png" and notes:
        base += " " + " ".join(n for n in notes if "runs per point give" in n)[:1500]
    return base


def _turn_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _markdown(res: SweepResults, labels: dict[int, str], summary: pd.DataFrame, plots: list[tuple[str, str, str]], dest: Path, const: list[str]) -> str:
    import os

    m = res.manifest
    sc = m.get("scenario", {})
    design = m.get("design") or {}
    lines = [f"# Sweep report: {sc.get('name', '')}", ""]
    n_done = len(res.runs)
    kind = {"lhs": "Latin hypercube", "sobol": "Saltelli (Sobol)", "morris": "Morris", "file": f"design file {design.get('file')}"}.get(design.get("method"), "grid")
    lines.append(
        f"Scenario `{sc.get('file')}` (data SHA-256 `{str(sc.get('data_sha256', ''))[:12]}`, code `{str(m.get('code_sha256', ''))[:12]}`), "
        f"{m.get('n_points')} design point(s) ({kind}) x {m.get('runs_per_point')} runs, master seed {m.get('master_seed')}"
        + (", common random numbers" if m.get("common_seeds") else "")
        + f", {'scenario turns' if m.get('turns') is None else str(m.get('turns')) + ' turns'}; "
        f"{n_done} runs finished, {len(res.failures)} failed; status {m.get('status')}."
    )
    lines.append("")
    if m.get("grid", {}).get("sets"):
        lines.append("Fixed overrides: " + ", ".join(f"`{s['path']}={s['value']}`" for s in m["grid"]["sets"]) + ".")
        lines.append("")
    if 1 < len(labels) <= 64:
        lines.append("Design points:")
        lines.append("")
        for p in sorted(labels):
            lines.append(f"- point {p}: `{labels[p]}`")
        lines.append("")
    elif len(labels) > 64:
        lines.append(f"The {len(labels)} design points and their parameter values are in `summary.csv` (columns `param.*`).")
        lines.append("")
    if const:
        lines.append("Outcomes that take the same value in every run (listed, not plotted): " + ", ".join(f"`{c}` = {constant_value(res.runs, c)}" for c in const) + ".")
        lines.append("")
    v = m.get("versions", {})
    lines.append("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val is not None and k not in ("git_dirty",)) + ("" if not v.get("git_dirty") else " (working tree modified)") + ".")
    sessions = m.get("sessions", [])
    if sessions:
        lines.append(f"Started {m.get('started')}, finished {m.get('finished')}; {len(sessions)} session(s): " + "; ".join(f"{s.get('executor')} x{s.get('workers')}, {s.get('ran', '?')} runs in {s.get('seconds', '?')} s" for s in sessions) + ".")
    lines.append("")
    lines.append("## Summary")
    lines.append("")
    lines.append("End states and 0/1 outcomes: share of runs with a Wilson 95% interval. Counts (the scenario's `event_count` outcomes): mean count per run, and other outcomes: mean, each with the 95% confidence interval of the mean (Student's t). The 2.5-97.5% range of the runs and each point's parameter values are in `summary.csv`. `conflicts` counts the talks without agreement (conflicts, stalemates and blocs' rejections), `disputes` the conflicts alone.")
    lines.append("")
    if len(labels) <= 16:
        w = wide(summary)
        w.columns = [f"point {p}" if len(labels) > 1 else "all runs" for p in w.columns]
        n_row = summary.groupby("point")["n"].first()
        w = pd.concat([pd.DataFrame([[str(int(n)) for n in n_row]], index=["runs"], columns=w.columns), w])
        lines.append(_md_table(w, "outcome"))
    else:
        lines.append(f"With {len(labels)} points the table is in `summary.csv`; the figures below show each outcome against each parameter.")
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
