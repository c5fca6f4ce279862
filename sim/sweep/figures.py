"""The figures of ``run.py report`` and ``run.py analyse`` (matplotlib, PNG).

Every panel has both axes labelled, with units: a parameter's unit comes from the scenario (the
``unit`` of its quantity, recorded in the manifest) or, where the scenario gives none, from the
schema's documented range; an outcome's unit from what it measures (:func:`outcome_label`).
Intervals are 95%: Wilson's for shares of runs, Student's t for means (see
:mod:`sim.sweep.summary`).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.sweep.summary import END_STATES, bounds, is_share, outcome_kinds, t_half_width, wilson

STATE_COLOURS = {"armed_clash": "#c0392b", "grand_bargain": "#27ae60", "horizon": "#95a5a6", "running": "#f39c12"}
MAX_BINS = 8
"""A sampled (continuous) parameter is cut into at most this many bins of equal counts."""
MAX_PANELS = 16
"""At most this many small multiples (design points) per trajectory figure."""
DPI = 100

record: list | None = None
"""When a list, every figure saved is appended to it as ``(path, figure)`` (for tests)."""

PARAM_UNITS = {
    "threat": "weight in [0, 1]",
    "salience": "salience in [0, 1]",
    "position": "position in [0, 1]",
    "temperature": "utility units",
    "q": "probability",
    "t": "probability",
    "risk": "risk exponent",
    "bilateral": "preference in [0, 1]",
    "staff": "persons",
    "staff_baseline": "persons",
    "threshold": "issue state in [0, 1]",
    "autonomy": "share in [0, 1]",
    "actions_per_turn": "actions per turn",
    "proposals_per_turn": "proposals per turn",
    "grand_bargain_turns": "turns",
    "inertia": "issue state per turn",
    "rate": "incidents per turn",
    "weight": "weight in [0, 1]",
}
"""Units of parameters whose scenario quantity names none, by the last part of the path (the
schema's documented ranges)."""

DYNAMICS_UNITS = {
    "tension_decay": "share per turn",
    "anchor": "share per turn",
    "alignment_rate": "share per turn",
    "escalation": "crisis probability factor",
    "clash": "clash probability factor",
    "deconfliction": "share of escalation cut",
    "channel_value": "utility weight",
    "channel_upkeep": "utility per turn",
    "posture_cost": "utility per posture unit",
    "deterrence": "utility weight",
    "reciprocity": "weight in [0, 1]",
    "expulsion_staff": "share of baseline staff",
    "restore_staff": "share of baseline staff",
    "posture_step": "posture per turn",
    "linkage": "share in [0, 1]",
    "alignment_pressure": "weight in [0, 1]",
    "alignment_patrol": "alignment per patrol",
    "grand_bargain_tension": "tension in [0, 1]",
    "grand_bargain_turns": "turns",
}
"""Units of ``dynamics.*`` coefficients (how :mod:`sim.model` and :mod:`sim.policy` use them);
``tension_*`` coefficients are tension added per event."""


def param_label(path: str, units: dict[str, str] | None = None) -> str:
    """``actors.USA.threat.CHN (weight in [0, 1])``: a parameter with its unit."""
    unit = (units or {}).get(path)
    if not unit:
        last = path.split(".")[-1].split("[")[0]
        if path.startswith("dynamics."):
            unit = DYNAMICS_UNITS.get(last, "tension per event" if last.startswith("tension_") else "coefficient")
        else:
            unit = PARAM_UNITS.get(last) or PARAM_UNITS.get(path.split(".")[-2] if "." in path else "", "")
    return f"{path} ({unit})" if unit else path


def outcome_label(outcome: str, specs: dict[str, dict] | None = None, turn_months: int = 1) -> str:
    """An outcome with its unit: ``tension.RUS-USA (final, in [0, 1])``."""
    specs = specs or {}
    if outcome.startswith("end_state="):
        return f"share of runs ending in {outcome.split('=', 1)[1].replace('_', ' ')}"
    if outcome.startswith("peak_tension."):
        return f"{outcome} (highest over the run, in [0, 1])"
    if outcome.startswith("tension."):
        return f"{outcome} (in [0, 1])"
    if outcome.startswith("alignment."):
        return f"{outcome} (in [-1, 1])"
    if outcome.startswith("issue."):
        return f"{outcome} (state in [0, 1])"
    if outcome.startswith("outcome."):
        spec = specs.get(outcome.split(".", 1)[1], {})
        kind = spec.get("kind")
        if kind == "threshold":
            return f"{outcome} (share of runs)"
        if kind == "time_to_event":
            return f"{outcome} (turns of {turn_months} month{'s' if turn_months > 1 else ''}, where it happened)"
        if kind == "event_count":
            return f"{outcome} (events per run)"
        return outcome
    if outcome in ("channels_open", "channels_suspended", "channels_closed"):
        return f"{outcome} (channels at the end)"
    if outcome == "turns":
        return "turns played"
    return f"{outcome} (events per run)"


def _wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_on_hyphens=False)) or text


def _save(fig, path: Path) -> Path:
    """Save a figure as PNG atomically (a temporary name, then a rename) and close it."""

    import matplotlib.pyplot as plt

    from sim.files import save_figure_atomic

    save_figure_atomic(fig, path, dpi=DPI)
    if record is not None:
        record.append((Path(path), fig))
    plt.close(fig)
    return Path(path)


def _grid(n: int, cols: int = 3, w: float = 4.0, h: float = 2.9, sharey: bool = False):
    import matplotlib.pyplot as plt

    cols = max(1, min(cols, n))
    rows = int(math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False, sharey=sharey)
    for ax in list(axes.flat)[n:]:
        ax.remove()
    return fig, list(axes.flat)[:n]


def run_values(runs: pd.DataFrame, outcome: str) -> pd.Series:
    """One number per run: 0/1 for ``end_state=X``, the column otherwise."""
    if outcome.startswith("end_state="):
        return (runs["end_state"] == outcome.split("=", 1)[1]).astype(float)
    return pd.to_numeric(runs[outcome], errors="coerce").astype(float)


def interval(y: pd.Series, share: bool, outcome: str = "") -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: the mean (or share) and its 95% interval over non-missing values."""
    y = y.dropna()
    n = len(y)
    if n == 0:
        return (math.nan, math.nan, math.nan, 0)
    if share:
        k = int(y.sum())
        lo, hi = wilson(k, n)
        return (k / n, lo, hi, n)
    m = float(y.mean())
    half = t_half_width(float(y.std(ddof=1)), n) if n > 1 else 0.0
    lo_b, hi_b = bounds(outcome)
    return (m, max(lo_b, m - half), min(hi_b, m + half), n)


def axis_groups(values: pd.Series) -> tuple[pd.Series, list, list[str], bool]:
    """Group runs by a parameter's value: its own values when there are few (a grid, a choice),
    else bins of equal counts (a sampled range).

    Returns:
        ``(group of each run, group keys in order, tick labels, numeric)``; for bins, the key is
        the mean of the parameter over the bin.
    """
    distinct = pd.unique(values)
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric:
        keys = sorted(distinct, key=str)
        return values, keys, [str(k) for k in keys], False
    if len(distinct) <= 12:
        keys = sorted(float(v) for v in distinct)
        return values.astype(float), keys, [f"{k:g}" for k in keys], True
    bins = pd.qcut(values.astype(float), q=min(MAX_BINS, len(distinct)), duplicates="drop")
    centres = values.astype(float).groupby(bins, observed=True).mean()
    group = bins.map(dict(centres.items())).astype(float)
    keys = sorted(float(c) for c in centres)
    return group, keys, [f"{k:.3g}" for k in keys], True


def plot_vs_axis(runs: pd.DataFrame, axis: str, outcomes: list[str], units: dict, specs: dict, turn_months: int, path: Path, pooled: bool) -> Path:
    """Each outcome (mean or share, with its 95% interval) against one parameter."""
    x_all = runs[f"param.{axis}"]
    group, keys, ticks, numeric = axis_groups(x_all)
    fig, axes = _grid(len(outcomes))
    for ax, o in zip(axes, outcomes):
        y = run_values(runs, o)
        share = is_share(o, y, outcome_kinds(list(specs.values())))
        stats = [interval(y[group == k], share, o) for k in keys]
        xs = np.array(keys, dtype=float) if numeric else np.arange(len(keys))
        m = np.array([s[0] for s in stats])
        lo = np.array([s[1] for s in stats])
        hi = np.array([s[2] for s in stats])
        ax.errorbar(xs, m, yerr=[np.clip(m - lo, 0, None), np.clip(hi - m, 0, None)], fmt="o-", color="#2c3e50", ecolor="#7f8c8d", capsize=3, markersize=4, linewidth=1.2)
        if not numeric:
            ax.set_xticks(xs, ticks, fontsize=7)
        ax.set_xlabel(_wrap(param_label(axis, units)), fontsize=7)
        ax.set_ylabel(_wrap(outcome_label(o, specs, turn_months), 30), fontsize=7)
        ax.set_title(o, fontsize=8)
        ax.tick_params(labelsize=7)
    how = "pooled over the other varied parameters" if pooled else ""
    fig.suptitle(_wrap(f"Outcomes against {axis}" + (f" ({how})" if how else ""), 110), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.965))
    return _save(fig, path)


def plot_heatmaps(runs: pd.DataFrame, ax1: str, ax2: str, outcomes: list[str], units: dict, specs: dict, turn_months: int, path: Path) -> Path:
    """One heat map per outcome over two parameters (mean or share in each cell, annotated)."""
    import matplotlib.pyplot as plt

    g1, k1, t1, _ = axis_groups(runs[f"param.{ax1}"])
    g2, k2, t2, _ = axis_groups(runs[f"param.{ax2}"])
    fig, axes = _grid(len(outcomes), cols=3, w=4.3, h=3.5)
    for ax, o in zip(axes, outcomes):
        y = run_values(runs, o)
        grid = np.full((len(k2), len(k1)), np.nan)
        for i, a in enumerate(k1):
            for j, b in enumerate(k2):
                sel = (g1 == a) & (g2 == b)
                if sel.any():
                    grid[j, i] = float(y[sel].mean())
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        for i in range(len(k1)):
            for j in range(len(k2)):
                if not math.isnan(grid[j, i]) and len(k1) * len(k2) <= 64:
                    ax.text(i, j, f"{grid[j, i]:.2g}", ha="center", va="center", fontsize=6, color="white" if grid[j, i] < np.nanmean(grid) else "black")
        ax.set_xticks(range(len(k1)), t1, fontsize=6, rotation=45)
        ax.set_yticks(range(len(k2)), t2, fontsize=6)
        ax.set_xlabel(_wrap(param_label(ax1, units)), fontsize=7)
        ax.set_ylabel(_wrap(param_label(ax2, units), 30), fontsize=7)
        ax.set_title(o, fontsize=8)
        cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        cb.ax.tick_params(labelsize=6)
        cb.set_label(_wrap(outcome_label(o, specs, turn_months), 30), fontsize=6)
    fig.suptitle(f"Mean (or share of runs) by {ax1} and {ax2}", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.965))
    del plt
    return _save(fig, path)


def plot_end_states(runs: pd.DataFrame, labels: dict[int, str], path: Path) -> tuple[Path, str]:
    """Share of runs in each end state with its Wilson 95% interval, every share labelled.

    One panel per end state that occurs, one bar per design point (or, with more than 20 points,
    one bar for all runs).

    Returns:
        The file and its caption.
    """
    states = [s for s in END_STATES if (runs["end_state"] == s).any()] + sorted(set(runs["end_state"]) - set(END_STATES))
    points = sorted(labels)
    per_point = len(points) <= 20
    groups = [(p, runs[runs["point"] == p]) for p in points] if per_point else [("all", runs)]
    names = [_wrap(labels[p], 40) if len(points) > 1 else "all runs" for p in points] if per_point else [f"all {len(runs)} runs"]
    fig, axes = _grid(len(states), cols=min(3, len(states)), w=4.6, h=max(2.0, 0.9 + 0.42 * len(groups)), sharey=True)
    for ax, s in zip(axes, states):
        shares, los, his = [], [], []
        for _p, g in groups:
            k, n = int((g["end_state"] == s).sum()), len(g)
            lo, hi = wilson(k, n)
            shares.append(k / n)
            los.append(lo)
            his.append(hi)
        ys = np.arange(len(groups))
        sh = np.array(shares)
        ax.barh(ys, sh, color=STATE_COLOURS.get(s, "#34495e"), alpha=0.85)
        ax.errorbar(sh, ys, xerr=[sh - np.array(los), np.array(his) - sh], fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        for y, (v, lo, hi) in enumerate(zip(shares, los, his)):
            if hi < 0.85:  # beside the interval
                ax.text(hi + 0.02, y, f"{100 * v:.0f}%", va="center", ha="left", fontsize=7)
            else:  # inside the bar, left of the interval
                ax.text(max(lo - 0.02, 0.01), y, f"{100 * v:.0f}%", va="center", ha="right" if lo > 0.15 else "left", fontsize=7, color="white" if lo > 0.15 else "black")
        ax.set_yticks(ys, names, fontsize=7)
        if ax is axes[0]:  # the panels share their y axis: invert it once, point 0 on top
            ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"share of runs ending in {s.replace('_', ' ')}", fontsize=7)
        ax.set_ylabel("design point" if per_point and len(points) > 1 else "runs", fontsize=7)
        ax.set_title(s.replace("_", " "), fontsize=8)
        ax.tick_params(labelsize=7)
    n = runs.groupby("point").size()
    fig.suptitle(f"End states ({int(n.min())}" + (f"-{int(n.max())}" if n.max() != n.min() else "") + " runs per point)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.965))
    caption = "Share of runs ending in each end state, with its Wilson 95% interval (black bars); every share is written beside its bar."
    if not per_point:
        caption += f" The design has {len(points)} points, so the bars pool all runs; the outcome-against-parameter figures show how the shares vary."
    return _save(fig, path), caption


def plot_distributions(runs: pd.DataFrame, labels: dict[int, str], columns: list[str], specs: dict, turn_months: int, title: str, path: Path) -> Path:
    """One panel per outcome: a histogram per design point (at most 5), dashed lines at the means."""
    points = sorted(labels)
    fig, axes = _grid(len(columns))
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    for ax, c in zip(axes, columns):
        data = [pd.to_numeric(runs.loc[runs["point"] == p, c], errors="coerce").dropna().to_numpy(dtype=float) for p in points]
        if not any(len(x) for x in data):
            ax.text(0.5, 0.5, "no run has a value", ha="center", va="center", transform=ax.transAxes, fontsize=8)
            ax.set_xlabel(_wrap(outcome_label(c, specs, turn_months)), fontsize=7)
            ax.set_ylabel("runs", fontsize=7)
            ax.set_title(c, fontsize=8)
            continue
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
        for k, (x, p) in enumerate(zip(data, points)):
            col = cmap(k)
            ax.hist(x, bins=bins, histtype="step", linewidth=1.5, color=col, density=False, label=_wrap(labels[p], 40))
            if len(x):
                ax.axvline(float(np.mean(x)), color=col, linestyle="--", linewidth=1)
        ax.set_xlabel(_wrap(outcome_label(c, specs, turn_months)), fontsize=7)
        ax.set_ylabel("runs", fontsize=7)
        ax.set_title(c, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=10)
    if len(points) > 1:
        handles, lbls = axes[0].get_legend_handles_labels()
        fig.legend(handles, lbls, loc="lower center", ncol=min(len(points), 3), fontsize=7, frameon=False)
        fig.tight_layout(rect=(0, 0.08 + 0.03 * (len(points) // 3), 1, 1))
    else:
        fig.tight_layout(rect=(0, 0, 1, 0.965))
    return _save(fig, path)


def trajectory_bands(turns: pd.DataFrame, column: str, horizon: int | None = None) -> pd.DataFrame:
    """Median and 10-90% band of one per-turn column, per design point and turn.

    A run that ended before the last turn keeps its final value (forward fill).

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


def plot_trajectories(turns: pd.DataFrame, column: str, labels: dict[int, str], points: list[int], turn_months: int, path: Path) -> Path:
    """Small multiples: one panel per design point with the median and 10-90% band of ``column``."""
    bands = trajectory_bands(turns[turns["point"].isin(points)], column)
    fig, axes = _grid(len(points), cols=4 if len(points) > 6 else min(3, len(points)), w=3.1, h=2.3, sharey=True)
    for ax, p in zip(axes, points):
        b = bands[bands["point"] == p]
        ax.fill_between(b["turn"], b["p10"], b["p90"], color="#3498db", alpha=0.25, linewidth=0)
        ax.plot(b["turn"], b["median"], color="#1f4e79", linewidth=1.4)
        ax.set_title(_wrap(labels.get(p, f"point {p}"), 44), fontsize=6)
        ax.set_xlabel(f"turn ({turn_months} month{'s' if turn_months > 1 else ''})", fontsize=6)
        ax.set_ylabel(_wrap(outcome_label(column), 24), fontsize=6)
        ax.tick_params(labelsize=6)
    fig.suptitle(f"{column} by turn: median (line) and 10-90% of runs (band), one panel per point", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.965))
    return _save(fig, path)


def plot_sensitivity(table: pd.DataFrame, method: str, manifest: dict, path: Path) -> Path:
    """Bar charts of sensitivity indices, one panel per outcome, bars with 95% intervals."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    units = manifest.get("units", {})
    fig, axes = _grid(len(outcomes), cols=3, w=4.6, h=0.8 + 0.32 * table["parameter"].nunique())
    for ax, o in zip(axes, outcomes):
        t = table[table["outcome"] == o]
        ys = np.arange(len(t))
        if method == "morris":
            ax.barh(ys, t["mu_star"], xerr=t["mu_star_conf"], color="#2980b9", ecolor="black", capsize=2, label="mu*")
            ax.plot(t["sigma"], ys, "D", color="#e67e22", markersize=4, label="sigma")
            ax.set_xlabel(_wrap(f"mu* and sigma ({outcome_label(o, {}, 1)} per full range of the parameter)", 44), fontsize=6)
        else:
            h = 0.4 if "ST" in t else 0.7
            ax.barh(ys - (h / 2 if "ST" in t else 0), t["S1"], height=h, xerr=t["S1_conf"], color="#2980b9", ecolor="black", capsize=2, label="first order S1")
            if "ST" in t:
                ax.barh(ys + h / 2, t["ST"], height=h, xerr=t["ST_conf"], color="#95a5a6", ecolor="black", capsize=2, label="total order ST")
            ax.set_xlabel("Sobol index (share of the outcome's variance)", fontsize=6)
        ax.set_yticks(ys, [_wrap(param_label(n, units), 42) for n in t["parameter"]], fontsize=6)
        ax.invert_yaxis()
        ax.set_ylabel("parameter", fontsize=6)
        ax.set_title(o, fontsize=8)
        ax.tick_params(labelsize=6)
        if ax is axes[0]:
            ax.legend(fontsize=6, frameon=False, loc="best")
    name = {"morris": "Morris elementary effects", "sobol": "Sobol indices", "rbd_fast": "first-order Sobol indices (RBD-FAST)", "main_effects": "first-order Sobol indices of the grid (main effects)"}[method]
    fig.suptitle(f"{name} with bootstrap 95% intervals", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.965))
    return _save(fig, path)


def plot_convergence(curve: pd.DataFrame, needed: pd.DataFrame, path: Path) -> Path:
    """Widest 95% interval half-width of each outcome against the runs per point (log-log)."""
    outcomes = list(dict.fromkeys(curve["outcome"]))
    fig, axes = _grid(1, w=7.5, h=4.5)
    ax = axes[0]
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    drawn = 0
    for k, o in enumerate(outcomes):
        c = curve[(curve["outcome"] == o) & (curve["half_width"] > 0)]
        if c.empty:
            continue
        ax.plot(c["runs"], c["half_width"], "o-", color=cmap(k % 20), markersize=3, linewidth=1, label=o)
        drawn += 1
    if not drawn:  # a log scale of nothing: say why the plot is empty
        ax.text(0.5, 0.5, "every interval has zero width:\nno outcome varies between the runs of a point", transform=ax.transAxes, ha="center", va="center", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("runs per point (the first n runs of each point)", fontsize=8)
    ax.set_ylabel("widest 95% interval half-width over the points (outcome's unit)", fontsize=8)
    ax.tick_params(labelsize=7)
    if drawn and len(outcomes) <= 20:
        ax.legend(fontsize=6, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title("Convergence: intervals shrink about as 1 / sqrt(runs)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.965))
    del needed
    return _save(fig, path)


def plot_discovery(res: Any, meets: np.ndarray, rules: pd.DataFrame, condition: str, method: str, tree: Any, path: Path) -> Path:
    """Runs in the plane of the two parameters that matter most, coloured by the condition."""
    axes_names = list(res.axes)
    if tree is not None and len(axes_names) > 1:
        order = list(np.argsort(-tree.feature_importances_))
        pair = [axes_names[order[0]], axes_names[order[1]]]
    else:
        pair = axes_names[:2] if len(axes_names) > 1 else axes_names * 2
    x = res.runs[f"param.{pair[0]}"]
    y = res.runs[f"param.{pair[1]}"]

    def num(v):
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            return v.astype(float), None
        levels = sorted(v.astype(str).unique())
        return v.astype(str).map(levels.index).astype(float), levels

    (xv, xl), (yv, yl) = num(x), num(y)
    rng = np.random.default_rng(0)  # jitter only, for overlapping grid points
    jx = (rng.random(len(xv)) - 0.5) * 0.02 * (float(xv.max() - xv.min()) or 1.0)
    jy = (rng.random(len(yv)) - 0.5) * 0.02 * (float(yv.max() - yv.min()) or 1.0)
    fig, axs = _grid(1, w=6.5, h=4.8)
    ax = axs[0]
    ax.scatter(xv[~meets] + jx[~meets], yv[~meets] + jy[~meets], s=8, color="#bdc3c7", label="other runs")
    ax.scatter(xv[meets] + jx[meets], yv[meets] + jy[meets], s=10, color="#c0392b", label=condition)
    units = res.manifest.get("units", {})
    ax.set_xlabel(_wrap(param_label(pair[0], units), 60), fontsize=8)
    ax.set_ylabel(_wrap(param_label(pair[1], units), 40), fontsize=8)
    if xl:
        ax.set_xticks(range(len(xl)), xl, fontsize=7)
    if yl:
        ax.set_yticks(range(len(yl)), yl, fontsize=7)
    best = rules.iloc[0] if len(rules) else None
    title = f"{method.upper()}: {condition}"
    if best is not None:
        title += f"\nbest rule: {best['rule']} (coverage {100 * best['coverage']:.0f}%, density {100 * best['density']:.0f}%)"
    ax.set_title(_wrap(title, 90), fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    fig.tight_layout(rect=(0, 0, 1, 0.965))
    return _save(fig, path)
