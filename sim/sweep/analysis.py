"""``run.py analyse``: sensitivity indices, scenario discovery and a convergence check of a sweep.

Methods (all computed by kept libraries; written to ``DIR/analysis/``):

- ``morris``: Morris elementary effects (Morris 1991; ``mu*`` of Campolongo, Cariboni and Saltelli
  2007, with a bootstrap 95% interval, and ``sigma``), ``SALib.analyze.morris``. Needs a Morris
  design (``sweep --sample morris``).
- ``sobol``: first- and total-order Sobol indices (Sobol 2001; Saltelli et al. 2010) with bootstrap
  95% intervals, ``SALib.analyze.sobol``, on a Saltelli design (``sweep --sample sobol``); on an
  LHS or a design file the first-order index alone, estimated with RBD-FAST (Tarantola, Gatelli
  and Mara 2006; Plischke 2010), ``SALib.analyze.rbd_fast``; on a full factorial grid the exact
  first-order index of the grid (main-effect variance shares, :func:`grid_main_effects`).
- ``cart`` / ``prim``: scenario discovery (Bryant and Lempert 2010) for a condition on the runs,
  such as ``end_state == 'armed_clash'``: which parameter ranges make it likely. ``cart`` fits a
  classification tree (Breiman et al. 1984) with scikit-learn's ``DecisionTreeClassifier``;
  ``prim`` runs the Patient Rule Induction Method (Friedman and Fisher 1999) of the EMA Workbench
  (Kwakkel 2017), an optional extra (``pip install -e '.[prim]'``).

Indices use one value per design point: the mean of the outcome over the point's runs (for an end
state, the share of runs that end in it). Every sensitivity table comes with a convergence check:
the width of each outcome's 95% interval against the number of runs per point, and the number of
runs at which the interval would be a tenth of the spread between the points' means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.sweep.report import REPORT_MARKER, ReportError, SweepResults, load_results
from sim.sweep.summary import (
    END_STATES,
    constant_outcomes,
    is_share,
    main_outcomes,
    outcome_kinds,
    t_half_width,
    wilson,
)

ANALYSIS_DIR = "analysis"
METHODS = ("sobol", "morris", "prim", "cart")
TARGET_SHARE_OF_SPREAD = 0.1
"""The convergence check asks for 95% intervals no wider (half-width) than this share of the
spread between the points' means: enough to tell the points apart."""
BOOTSTRAP = 1000
"""Bootstrap resamples of the index intervals."""
RBD_MIN_POINTS = 16
"""RBD-FAST needs this many design points or more (fewer give no estimate)."""


INDEX_KEYS = {"morris": ("mu_star", "mu_star_conf"), "sobol": ("ST", "ST_conf"), "rbd_fast": ("S1", "S1_conf"), "main_effects": ("S1", "S1_conf")}
"""The index each method ranks by, and the half-width of its 95% interval (column names)."""


def readable(value: float, half_width: float) -> bool:
    """Whether an index can be read: its 95% interval is defined and excludes 0.

    An index whose interval reaches 0 (or is undefined) is not told apart from "no effect" by
    the design; a negative estimate of a first-order or total index (whose true value is in
    [0, 1]) is always such sampling noise.
    """
    return math.isfinite(value) and math.isfinite(half_width) and abs(value) > half_width


def _rbd_fast_interval(x_d: np.ndarray, y: np.ndarray, m_harm: int, seed: int) -> tuple[float, int]:
    """Half-width of the 95% bootstrap interval of an RBD-FAST first-order index.

    Only the resamples in which the outcome varies count. SALib's bootstrap (``rbd_fast.analyze``) draws :data:`BOOTSTRAP` resamples of half the design
    points; on a small design some hold the same outcome value at every point, their index is
    0/0, and SALib's interval becomes nan with a ``RuntimeWarning``. Here those resamples are
    left out (the interval is then conditional on a varying outcome), with SALib's own index
    functions and the same resample size.

    Returns:
        ``(half-width, resamples left out)``; the half-width is nan when fewer than 2 remain.
    """
    from SALib.analyze.rbd_fast import compute_first_order, permute_outputs, unskew_S1
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    n = x_d.shape[0]
    size = n // 2
    values = []
    for _ in range(BOOTSTRAP):
        take = rng.choice(n, replace=True, size=size)
        ys = y[take]
        if float(np.ptp(ys)) == 0.0:
            continue
        values.append(unskew_S1(compute_first_order(permute_outputs(x_d[take], ys), m_harm), m_harm, size))
    left_out = BOOTSTRAP - len(values)
    if len(values) < 2:
        return math.nan, left_out
    return float(norm.ppf(0.975) * np.std(values, ddof=1)), left_out


class AnalysisError(Exception):
    """A sweep that cannot be analysed as asked (one line for the user)."""


@dataclass
class Analysis:
    """What :func:`analyse` computed.

    Attributes:
        method: the method used (``morris``, ``sobol``, ``rbd_fast``, ``cart`` or ``prim``).
        table: the indices (one row per outcome and parameter) or the discovered rules.
        convergence: width of the 95% interval against runs per point, per outcome.
        needed: per outcome, runs per point at which the interval is a tenth of the spread.
        files: files written.
        notes: lines for the user.
        no_rule: for scenario discovery that found no rule, why (empty otherwise).
    """

    method: str
    table: pd.DataFrame
    convergence: pd.DataFrame
    needed: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    no_rule: str = ""


def outcome_columns(runs: pd.DataFrame) -> list[str]:
    """The outcomes that indices are computed for: every end state that occurs (as a share of
    runs, ``end_state=X``) and every numeric outcome that is not constant over the sweep.
    """
    const = set(constant_outcomes(runs))
    states = [s for s in END_STATES if (runs["end_state"] == s).any()] + sorted(set(runs["end_state"]) - set(END_STATES))
    out = [f"end_state={s}" for s in states] if "end_state" not in const else []
    return out + [c for c in main_outcomes(list(runs.columns)) if c not in const]


def value_of(runs: pd.DataFrame, outcome: str) -> pd.Series:
    """One number per run for an outcome: 0/1 for ``end_state=X``, the column otherwise."""
    if outcome.startswith("end_state="):
        state = outcome.split("=", 1)[1]
        known = list(END_STATES) + sorted(set(runs["end_state"].astype(str)) - set(END_STATES))
        if state not in known:
            raise AnalysisError(f"--outcome {outcome}: no such end state (end states: {', '.join(known)})")
        return (runs["end_state"] == state).astype(float)
    if outcome not in runs.columns:
        raise AnalysisError(f"--outcome {outcome}: no such column in runs.parquet (e.g. {', '.join(outcome_columns(runs)[:4])})")
    return pd.to_numeric(runs[outcome], errors="coerce").astype(float)


def point_means(runs: pd.DataFrame, outcomes: list[str], n_points: int) -> pd.DataFrame:
    """Mean of each outcome per point (index 0 .. n_points - 1; NaN where a point has no runs)."""
    cols = {o: value_of(runs, o) for o in outcomes}
    df = pd.DataFrame(cols)
    df["point"] = runs["point"].to_numpy()
    return df.groupby("point").mean().reindex(range(n_points))


def design_matrix(res: SweepResults) -> tuple[dict, np.ndarray, str]:
    """The SALib problem, the design matrix (one row per point) and the design's method.

    A sampled design gives the matrix it was drawn as; a grid or a design file gives each point's
    parameter values (words as the index of their value).

    Raises:
        AnalysisError: a sweep with no varied parameter.
    """
    m = res.manifest
    design = m.get("design")
    if design and design.get("samples"):
        return design["problem"], np.asarray(design["samples"], dtype=float), design["method"]
    axes = res.axes
    if not axes:
        raise AnalysisError(f"{res.dir}: the sweep varies no parameter (no --grid, --sample or --design); there is nothing to analyse")
    points = sorted(res.runs["point"].unique())
    first = res.runs.groupby("point").first().reindex(points)
    cols = []
    bounds = []
    for a in axes:
        v = first[f"param.{a}"]
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            x = v.to_numpy(dtype=float)
        else:
            levels = sorted(v.astype(str).unique())
            x = np.array([float(levels.index(str(z))) for z in v])
        lo, hi = float(np.min(x)), float(np.max(x))
        cols.append(x)
        bounds.append([lo, hi if hi > lo else lo + 1.0])
    return {"num_vars": len(axes), "names": list(axes), "bounds": bounds}, np.column_stack(cols), "grid" if not design else design["method"]


def convergence(runs: pd.DataFrame, outcomes: list[str], kinds: dict[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Width of each outcome's 95% interval against runs per point, and the runs needed.

    For n = 2, 4, 8, ... up to the runs per point (and that number itself), the runs with index
    below n give each point an interval (Wilson for shares, Student's t for means); the widest
    half-width over the points is kept. With N runs and widest half-width w, the runs at which the
    half-width falls to a tenth of the spread s between the points' means is about
    ``N (w / (s / 10))^2`` (intervals shrink as 1 / sqrt(n)).

    Args:
        runs: the ``runs.parquet`` table.
        outcomes: the outcomes (columns, or ``end_state=X``).
        kinds: the scenario's outcome kinds (:func:`~sim.sweep.summary.outcome_kinds`): which
            outcomes are shares (:func:`~sim.sweep.summary.is_share`).

    Returns:
        ``(curve, needed)``: ``curve`` has ``outcome``, ``runs``, ``half_width``; ``needed`` has
        ``outcome``, ``runs``, ``half_width``, ``spread``, ``runs_needed`` (NaN with one point or
        no spread).
    """
    n_max = int(runs.groupby("point").size().min())
    steps = sorted({n for n in (2 ** k for k in range(1, 30)) if n < n_max} | {n_max})
    rows, need = [], []
    for o in outcomes:
        y = value_of(runs, o)
        share = is_share(o, y, kinds)
        for n in steps:
            sel = runs["run"] < n
            widest = 0.0
            for _p, g in y[sel].groupby(runs.loc[sel, "point"]):
                g = g.dropna()
                if len(g) < 2:
                    continue
                if share:
                    lo, hi = wilson(int(g.sum()), len(g))
                    widest = max(widest, (hi - lo) / 2)
                else:
                    widest = max(widest, t_half_width(float(g.std(ddof=1)), len(g)))
            rows.append({"outcome": o, "runs": n, "half_width": widest})
        means = y.groupby(runs["point"]).mean()
        spread = float(means.max() - means.min()) if len(means) > 1 else float("nan")
        w = rows[-1]["half_width"]
        target = TARGET_SHARE_OF_SPREAD * spread
        needed = math.ceil(n_max * (w / target) ** 2) if target > 0 and not math.isnan(target) else float("nan")
        need.append({"outcome": o, "runs": n_max, "half_width": w, "spread": spread, "runs_needed": needed})
    return pd.DataFrame(rows), pd.DataFrame(need)


def _sensitivity(res: SweepResults, method: str, outcomes: list[str], seed: int) -> tuple[str, pd.DataFrame, list[str]]:
    problem, x, design = design_matrix(res)
    notes: list[str] = []
    means = point_means(res.runs, outcomes, x.shape[0])
    rows = []
    if method == "morris" and design != "morris":
        raise AnalysisError(f"--method morris needs a Morris design (sweep --sample morris); this sweep's design is {design}")
    used = method if not (method == "sobol" and design != "sobol") else ("main_effects" if design == "grid" else "rbd_fast")
    if used == "rbd_fast":
        notes.append(f"first-order Sobol indices estimated with RBD-FAST from the {design} design (total-order indices need sweep --sample sobol)")
        if x.shape[0] < RBD_MIN_POINTS:
            raise AnalysisError(f"--method sobol: RBD-FAST needs {RBD_MIN_POINTS} or more design points, this design has {x.shape[0]}; sample more (--points) or use --sample sobol")
    usable = []
    for o in outcomes:
        if means[o].isna().any():
            notes.append(f"{o}: left out (some points have no value, e.g. an event that never happened there)")
        else:
            usable.append(o)
    if used == "main_effects":
        notes.append("first-order Sobol indices of the full factorial grid: the variance of each parameter's main effect (the mean over the other axes at each of its values) over the variance across points; intervals by a bootstrap of the runs")
        return used, grid_main_effects(res, usable, seed), notes
    import warnings

    left_out: dict[str, tuple[int, str]] = {}  # outcome -> (bootstrap resamples left out, SALib's warning)
    for o in usable:
        y = means[o].to_numpy(dtype=float)
        if float(np.ptp(y)) == 0.0:
            notes.append(f"{o}: the same at every point; every index is 0")
        # SALib warns (numpy's RuntimeWarning) where an estimate divides by a zero variance; the
        # warning is caught here and said in one line of ours, with what it means for the table
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if used == "morris":
                from SALib.analyze import morris

                r = morris.analyze(problem, x, y, num_resamples=BOOTSTRAP, conf_level=0.95, num_levels=res.manifest["design"].get("num_levels", 4), seed=seed)
                for k, name in enumerate(problem["names"]):
                    rows.append({"outcome": o, "parameter": name, "mu_star": float(r["mu_star"][k]), "mu_star_conf": float(r["mu_star_conf"][k]), "mu": float(r["mu"][k]), "sigma": float(r["sigma"][k])})
            elif used == "sobol":
                from SALib.analyze import sobol

                r = sobol.analyze(problem, y, calc_second_order=False, num_resamples=BOOTSTRAP, conf_level=0.95, seed=seed)
                for k, name in enumerate(problem["names"]):
                    rows.append({"outcome": o, "parameter": name, "S1": float(r["S1"][k]), "S1_conf": float(r["S1_conf"][k]), "ST": float(r["ST"][k]), "ST_conf": float(r["ST_conf"][k])})
            else:
                from SALib.analyze import rbd_fast

                m_harm = max(1, min(10, (len(y) - 1) // 4))
                r = rbd_fast.analyze(problem, x, y, M=m_harm, num_resamples=BOOTSTRAP, conf_level=0.95, seed=seed)
                for k, name in enumerate(problem["names"]):
                    conf = float(r["S1_conf"][k])
                    if not math.isfinite(conf):
                        conf, dropped = _rbd_fast_interval(x[:, k], y, m_harm, seed + k)
                        if dropped > left_out.get(o, (0, ""))[0]:
                            left_out[o] = (dropped, str(caught[0].message).splitlines()[0] if caught else "")
                    rows.append({"outcome": o, "parameter": name, "S1": float(r["S1"][k]), "S1_conf": conf})
        table_o = pd.DataFrame(rows[-len(problem["names"]):])
        if caught and o not in left_out and not np.isfinite(table_o.select_dtypes("number").to_numpy()).all():
            what = str(caught[0].message).splitlines()[0]
            notes.append(f"{o}: SALib could not compute every estimate ({what}); an index or interval shown as nan is undefined")
    if left_out:
        worst = max(left_out, key=lambda k: left_out[k][0])
        notes.append(
            f"SALib warned ({left_out[worst][1]}): in some bootstrap resamples of half the {x.shape[0]} design points an outcome "
            f"had one value everywhere (an index of 0/0); the intervals shown leave those out (up to {left_out[worst][0]:,} "
            f"of {BOOTSTRAP:,} resamples, for {worst})"
        )
    table = pd.DataFrame(rows)
    notes += _readability_notes(table, used, x.shape[0])
    return used, table, notes


def _readability_notes(table: pd.DataFrame, used: str, n_points: int) -> list[str]:
    """Lines that say when a design is too small for its indices to be read (:func:`readable`)."""
    if table.empty or used not in INDEX_KEYS:
        return []
    key, conf = INDEX_KEYS[used]
    out = []
    unreadable = [
        o
        for o, g in table.groupby("outcome", sort=False)
        if not any(readable(v, h) for v, h in zip(g[key], g[conf], strict=True))
        and not (np.abs(g[key].to_numpy(dtype=float)) <= 1e-12).all()  # every index exactly 0: no effect, read as such
    ]
    if unreadable:
        more = "--points" if used != "main_effects" else "more values per axis or --runs"
        out.append(
            f"the design is too small for the indices of {', '.join(unreadable)} to be read: no 95% interval "
            f"excludes 0 with {n_points} design points (sample more with {more})"
        )
    if used in ("rbd_fast", "sobol", "main_effects"):
        for col in [c for c in ("S1", "ST") if c in table]:
            outside = table[(table[col] < 0) | (table[col] > 1)]
            if outside.empty:
                continue
            worst = outside.loc[(outside[col] - 0.5).abs().idxmax()]
            out.append(
                f"{len(outside)} {col} estimate(s) outside [0, 1], e.g. {worst[col]:.3g} ({worst['outcome']}, {worst['parameter']}): "
                f"an index lies in [0, 1], so these are sampling noise of a small design"
            )
    return out


def grid_main_effects(res: SweepResults, outcomes: list[str], seed: int, resamples: int = 200) -> pd.DataFrame:
    """First-order Sobol indices of a full factorial grid, with bootstrap 95% intervals.

    Over the grid's points (each axis value equally likely), the first-order index of axis i is
    ``Var(E[Y | X_i]) / Var(Y)``: the variance of the axis's main effect (the mean of the point
    means at each of its values) over the variance of the point means. This is the exact
    first-order index of the grid's uniform distribution (Sobol 2001), the share of the
    between-point variance that a main-effects ANOVA gives the axis. The interval resamples the
    runs of each point (``resamples`` times) and recomputes the index.

    Returns:
        Columns ``outcome``, ``parameter``, ``S1``, ``S1_conf`` (half-width of the 95% interval).
    """
    runs = res.runs
    axes = res.axes
    points = np.sort(runs["point"].unique())
    first = runs.groupby("point").first().reindex(points)
    codes = [pd.factorize(first[f"param.{a}"], sort=True)[0] for a in axes]  # (axes, points)
    pos = np.searchsorted(points, runs["point"].to_numpy())
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(pos == k) for k in range(len(points))]
    # each resample: for every point, as many runs drawn with replacement from its own runs
    draws = [np.concatenate([rng.choice(ix, size=len(ix), replace=True) for ix in members]) for _ in range(resamples)]
    owner = np.concatenate([np.full(len(ix), k) for k, ix in enumerate(members)])

    def indices(y: np.ndarray, take: np.ndarray | None) -> list[float]:
        vals = y if take is None else y[take]
        who = pos if take is None else owner
        ok = ~np.isnan(vals)
        means = np.bincount(who[ok], weights=vals[ok], minlength=len(points)) / np.maximum(np.bincount(who[ok], minlength=len(points)), 1)
        total = float(means.var())
        out = []
        for c in codes:
            effect = np.bincount(c, weights=means) / np.bincount(c)
            out.append(float(effect.var()) / total if total > 0 else 0.0)
        return out

    rows = []
    for o in outcomes:
        y = value_of(runs, o).to_numpy(dtype=float)
        point_s1 = indices(y, None)
        boot = np.array([indices(y, d) for d in draws])
        half = (np.percentile(boot, 97.5, axis=0) - np.percentile(boot, 2.5, axis=0)) / 2
        for k, a in enumerate(axes):
            rows.append({"outcome": o, "parameter": a, "S1": point_s1[k], "S1_conf": float(half[k])})
    return pd.DataFrame(rows)


def _features(runs: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """Per-run parameter values as numbers (a word parameter as the index of its sorted value)."""
    out = {}
    for a in axes:
        v = runs[f"param.{a}"]
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            out[a] = v.astype(float)
        else:
            levels = sorted(v.astype(str).unique())
            out[a] = v.astype(str).map(levels.index).astype(float)
    return pd.DataFrame(out)


def condition_of(runs: pd.DataFrame, condition: str) -> np.ndarray:
    """The runs that meet ``condition``, an expression over the columns of runs.parquet read by
    :mod:`sim.sweep.condition` (never by ``eval``); names with dots or dashes in backticks, e.g.
    ```tension.RUS-USA` > 0.7``.

    Raises:
        AnalysisError: the expression is not allowed or cannot be evaluated, or is not true/false per run.
    """
    from sim.sweep.condition import ConditionError, evaluate

    try:
        return evaluate(runs, condition)
    except ConditionError as exc:
        raise AnalysisError(f"--condition {_shown_condition(condition)}: {exc}; write e.g. \"end_state == 'armed_clash'\" or \"`tension.RUS-USA` > 0.7\"") from None


def _shown_condition(condition: str) -> str:
    """The condition as the message shows it: one line, at most 80 characters."""
    one = " ".join(condition.split())
    return one if len(one) <= 80 else one[:77] + "..."


NO_RULE = "no rule found: "
"""How the note of a scenario discovery that found no rule starts (the reason follows)."""


def discover(res: SweepResults, condition: str, method: str, seed: int) -> tuple[pd.DataFrame, list[str], object]:
    """Scenario discovery: parameter ranges where ``condition`` holds.

    Returns:
        ``(rules, notes, model)``: one row per rule (``rule``, ``runs``, ``coverage``: share of
        all runs meeting the condition that fall in it, ``density``: share of its runs that meet
        it), notes, and the fitted tree (CART) or ``None``. With no rule (a tree of one leaf, no
        leaf denser than all runs, a PRIM box over the whole range) the table is empty and a
        note starting with :data:`NO_RULE` says why.

    Raises:
        AnalysisError: no varied parameter, a bad condition, a condition met by no run or by
            every run, or ``prim`` without the EMA Workbench.
    """
    axes = res.axes
    if not axes:
        raise AnalysisError(f"{res.dir}: the sweep varies no parameter; scenario discovery needs --grid, --sample or --design")
    y = condition_of(res.runs, condition)
    if y.all() or not y.any():
        raise AnalysisError(f"--condition {condition}: {'every' if y.all() else 'no'} run meets it; there is nothing to discover")
    x = _features(res.runs, axes)
    notes = [f"{int(y.sum())} of {len(y)} runs meet {condition} ({100 * y.mean():.1f}%)"]
    if method == "prim":
        try:
            from ema_workbench.analysis import prim
        except ImportError:
            raise AnalysisError("--method prim needs the EMA Workbench: pip install -e '.[prim]' (or use --method cart, which needs scikit-learn only)") from None
        import logging
        import warnings

        logging.getLogger("EMA").setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = prim.Prim(x, y, threshold=0.5, peel_alpha=0.05).find_box()
        lim = box.box_lims[-1]
        parts = []
        for a in axes:
            lo, hi = float(lim[a].iloc[0]), float(lim[a].iloc[1])
            if lo > float(x[a].min()) or hi < float(x[a].max()):
                parts.append(f"{lo:g} <= {a} <= {hi:g}")
        inside = np.all([(x[a] >= float(lim[a].iloc[0])) & (x[a] <= float(lim[a].iloc[1])) for a in axes], axis=0)
        if not parts:
            notes.append(NO_RULE + f"PRIM found no box narrower than the whole range of {', '.join(axes)} where more runs meet the condition")
            return pd.DataFrame(columns=["rule", "runs", "coverage", "density"]), notes, None
        rules = pd.DataFrame([{"rule": " and ".join(parts), "runs": int(inside.sum()), "coverage": float(y[inside].sum() / y.sum()), "density": float(y[inside].mean()) if inside.any() else 0.0}])
        return rules, notes, None
    from sklearn.tree import DecisionTreeClassifier

    min_leaf = max(5, len(y) // 50)
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=min_leaf, random_state=seed % (2**32)).fit(x.to_numpy(), y)
    t = tree.tree_
    rules = []

    def walk(node: int, conds: list[str]) -> None:
        if t.children_left[node] == t.children_right[node]:  # a leaf
            idx = tree.apply(x.to_numpy()) == node
            dens = float(y[idx].mean()) if idx.any() else 0.0
            if dens > float(y.mean()):
                rules.append({"rule": " and ".join(conds) or "(all runs)", "runs": int(idx.sum()), "coverage": float(y[idx].sum() / y.sum()), "density": dens})
            return
        name, thr = axes[t.feature[node]], float(t.threshold[node])
        walk(t.children_left[node], [*conds, f"{name} <= {thr:.4g}"])
        walk(t.children_right[node], [*conds, f"{name} > {thr:.4g}"])

    walk(0, [])
    if not rules:
        if t.node_count == 1:
            few = f"; {len(y)} runs are too few to split into two leaves" if len(y) < 2 * min_leaf else ""
            notes.append(
                NO_RULE + f"the tree has one leaf: no split of {', '.join(axes)} separates the runs that meet the condition "
                f"from the others, with at least {min_leaf} runs in each leaf{few}; run more runs per point or a wider range"
            )
        else:
            notes.append(NO_RULE + f"no leaf of the tree holds a larger share of runs that meet the condition than all runs ({100 * y.mean():.1f}%)")
    table = pd.DataFrame(rules, columns=["rule", "runs", "coverage", "density"]).sort_values("density", ascending=False, kind="stable").reset_index(drop=True)
    return table, notes, tree


def analyse(results_dir: str | Path, method: str | None = None, outcome: str | list[str] | tuple[str, ...] | None = None, condition: str | None = None, out: str | Path | None = None) -> Analysis:
    """Analyse a finished sweep and write tables and plots to ``DIR/analysis`` (or ``out``).

    Args:
        results_dir: a sweep directory.
        method: ``morris``, ``sobol``, ``cart`` or ``prim`` (default: the design's own method for
            a Morris or Sobol design; ``cart`` with a condition; ``sobol`` otherwise).
        outcome: outcome columns (or ``end_state=X``), one or several; default: every outcome
            that varies.
        condition: for ``cart``/``prim``: which runs to explain.
        out: the output folder.

    Returns:
        The :class:`Analysis`.

    Raises:
        AnalysisError, sim.sweep.report.ReportError: a sweep that cannot be analysed as asked.
    """
    import matplotlib

    matplotlib.use("Agg")
    res = load_results(results_dir)
    if res.runs.empty:
        raise AnalysisError(f"{res.dir}: no finished runs to analyse")
    design = (res.manifest.get("design") or {}).get("method")
    if method is None:
        method = "cart" if condition else (design if design in ("morris", "sobol") else "sobol")
    if method not in METHODS:
        raise AnalysisError(f"--method {method}: expected one of {', '.join(METHODS)}")
    if method in ("cart", "prim") and not condition:
        raise AnalysisError(f"--method {method} needs --condition, e.g. \"end_state == 'armed_clash'\"")
    if condition and method not in ("cart", "prim"):
        raise AnalysisError(f"--condition goes with --method cart or prim (scenario discovery), not {method}")
    if condition:  # checked before anything is written
        y = condition_of(res.runs, condition)
        if y.all() or not y.any():
            raise AnalysisError(f"--condition {_shown_condition(condition)}: {'every' if y.all() else 'no'} run meets it; there is nothing to discover")
    chosen = [outcome] if isinstance(outcome, str) else list(outcome or [])
    outcomes = chosen or outcome_columns(res.runs)
    for o in chosen:
        value_of(res.runs, o)  # checks the name
    dest = Path(out) if out else res.dir / ANALYSIS_DIR
    _prepare(dest)
    seed = int(res.manifest.get("master_seed", 0))
    curve, needed = convergence(res.runs, outcomes, outcome_kinds(res.manifest.get("outcomes")))
    files: list[Path] = []
    from sim.files import write_text_atomic

    write_text_atomic(dest / "convergence.csv", needed.merge(curve, on="outcome", suffixes=("_all", "")).to_csv(index=False))
    files.append(dest / "convergence.csv")
    from sim.sweep import figures

    files.append(figures.plot_convergence(curve, needed, dest / "convergence.png"))
    if method in ("cart", "prim"):
        table, notes, tree = discover(res, condition, method, seed)
        write_text_atomic(dest / f"{method}_rules.csv", table.to_csv(index=False))
        files.append(dest / f"{method}_rules.csv")
        if tree is not None:
            from sklearn.tree import export_text

            write_text_atomic(dest / "cart_tree.txt", f"condition: {condition}\n" + export_text(tree, feature_names=res.axes, show_weights=True))
            files.append(dest / "cart_tree.txt")
        files.append(figures.plot_discovery(res, condition_of(res.runs, condition), table, condition, method, tree, dest / f"discovery_{method}.png"))
        used = method
    else:
        used, table, notes = _sensitivity(res, method, outcomes, seed)
        name = "morris" if used == "morris" else "sobol"
        write_text_atomic(dest / f"{name}.csv", table.to_csv(index=False))
        files.append(dest / f"{name}.csv")
        if not table.empty:
            files.append(figures.plot_sensitivity(table, used, res.manifest, dest / f"sensitivity_{name}.png"))
    for _, r in needed.iterrows():
        if not math.isnan(r["runs_needed"]) and r["runs_needed"] > r["runs"]:
            notes.append(
                f"{r['outcome']}: {int(r['runs']):,} runs per point give 95% intervals of +-{r['half_width']:.3g}; "
                f"about {int(r['runs_needed']):,} runs per point would resolve a tenth of the spread between points ({r['spread']:.3g})"
            )
    write_text_atomic(dest / "notes.txt", "".join(n + "\n" for n in notes))
    files.append(dest / "notes.txt")
    no_rule = next((n[len(NO_RULE) :] for n in notes if n.startswith(NO_RULE)), "")
    return Analysis(used, table, curve, needed, files, notes, no_rule)


def _prepare(dest: Path) -> None:
    """Create the output folder; refuse a folder of other files (one that no analysis wrote)."""
    marker = dest / REPORT_MARKER
    if dest.exists() and not dest.is_dir():
        raise AnalysisError(f"--out {dest}: is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not marker.exists():
        raise AnalysisError(f"--out {dest}: this directory is not empty and holds no earlier analysis; choose an empty or new directory")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        marker.write_text("written by run.py analyse; a later analysis may replace this folder's files\n", encoding="utf-8")
    except OSError as exc:
        raise AnalysisError(f"--out {dest}: cannot write here: {exc.strerror or exc}") from None


__all__ = ["Analysis", "AnalysisError", "ReportError", "analyse", "convergence", "discover", "outcome_columns"]
