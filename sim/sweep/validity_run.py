"""Run the validity study: every claim with and without its mechanism, the figures, the backtest.

The jobs (:mod:`sim.sweep.ensemble`): each scenario of :data:`sim.validity.SCENARIOS` as it is,
each claim's ablation of its scenario, and the baseline at each of
:data:`sim.validity.TEMPERATURES` (12 turns, decision reasons on). Every variant uses the same
seeds (common random numbers). The baseline's runs also give the backtest's ensemble.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np

from sim import validity as V
from sim.sweep.ensemble import Job, load_source, run_jobs, variant
from sim.sweep.plan import run_seeds

ROOT = Path(__file__).resolve().parents[2]
TEMPERATURE_TURNS = 12
"""Turns of the temperature runs (decision reasons make a run about twice as slow)."""


def reduce_run(names: tuple[str, ...], outcomes: tuple, tr) -> dict[str, Any]:
    """A run's validity measures and, when ``outcomes`` is given, its backtest values."""
    out: dict[str, Any] = V.measure_run(names, tr)
    if outcomes:
        from sim.backtest import measure_all

        out["backtest"] = measure_all(list(outcomes), tr)
    return out


@dataclass
class Study:
    """A finished validity study.

    Attributes:
        results: one :class:`sim.validity.ClaimResult` per claim.
        figures: figure id -> estimate.
        below_pass: temperature -> (share of below-pass choices, their mean shortfall in units
            of the temperature).
        clash_by: ``(share, low, high, n)``: a Russia-Ukraine armed clash by 2022-06.
        clash_turns: per baseline run, the turn of the first such clash (NaN: none).
        raw: job key -> per-run measure dicts.
        backtest: the backtest result (``sim.cli.backtest_cmd.BacktestResult``) or ``None``.
    """

    results: list
    figures: dict
    below_pass: dict
    clash_by: tuple
    clash_turns: np.ndarray
    raw: dict
    backtest: Any


def run_study(seeds: int, master_seed: int = 0, workers: int = 1, turns: int | None = None, record: str | None = None, progress: Callable[[int], None] | None = None, total: Callable[[int], None] | None = None) -> Study:
    """Build the jobs, run them, and measure.

    Args:
        seeds: runs per variant.
        master_seed: the SeedSequence's entropy.
        workers: worker processes.
        turns: horizon override (tests); ``None``: the scenarios' own.
        record: a backtest record to score on the baseline runs (``None``: no backtest).
        progress: called with runs finished.
        total: called once with the number of runs.

    Raises:
        sim.loader.ScenarioError: a scenario or the record is invalid.
        sim.sweep.overrides.OverrideError: an ablation names a path the scenario lacks.
    """
    from sim.stats import wilson

    sources = {k: load_source(ROOT / p) for k, p in V.SCENARIOS.items()}
    base = {k: s.validate() for k, s in sources.items()}
    dumps = {k: sc.model_dump() for k, sc in base.items()}
    seed_list = tuple(run_seeds(master_seed, seeds))
    bt = None
    outcomes: tuple = ()
    if record is not None:
        from sim.cli.backtest_cmd import prepare

        bt_path, bt_sc, bt_src, bt_start = prepare(str(ROOT / V.SCENARIOS["baseline"]), record, base["baseline"])
        outcomes = tuple(bt_src.record.outcomes)
    jobs = []
    for k, sc in base.items():
        jobs.append(Job(k, sc, seed_list, partial(reduce_run, V.measures_for(k), outcomes if k == "baseline" else ()), turns))
    for c in V.CLAIMS:
        jobs.append(Job(f"{c.id} off", variant(sources[c.scenario], list(c.ablation), dumps[c.scenario]), seed_list, partial(reduce_run, (c.id,), ()), turns))
    t_seeds = seed_list[: max(4, min(seeds, 200))]
    for t in V.TEMPERATURES:
        jobs.append(Job(f"T={t:g}", variant(sources["baseline"], [f"ai.temperature={t}"], dumps["baseline"]), t_seeds, partial(reduce_run, ("below_pass", "below_pass_shortfall"), ()), min(turns or TEMPERATURE_TURNS, TEMPERATURE_TURNS), True))
    if total:
        total(sum(len(j.seeds) for j in jobs))
    raw = run_jobs(jobs, workers, progress)

    def col(key: str, name: str) -> np.ndarray:
        return np.array([r[name] for r in raw[key]], dtype=float)

    results = [V.verdict(c, V.estimate(col(c.scenario, c.id), c.stat), V.estimate(col(f"{c.id} off", c.id), c.stat)) for c in V.CLAIMS]
    figures = {f.id: V.estimate(col(f.scenario, f.id), f.stat) for f in V.FIGURES}
    below = {t: (V.estimate(col(f"T={t:g}", "below_pass"), "mean"), V.estimate(col(f"T={t:g}", "below_pass_shortfall") / t, "mean")) for t in V.TEMPERATURES}
    clash_turns = col("baseline", "clash_turn")
    info_start = base["baseline"].start
    by = _turn_of(info_start, base["baseline"].turn_months, "2022-06")
    k = int(np.sum(~np.isnan(clash_turns) & (clash_turns <= by)))
    lo, hi = wilson(k, len(clash_turns))
    if record is not None:
        from sim.backtest import markdown, overall, score_outcomes
        from sim.cli.backtest_cmd import BacktestResult

        vals = np.array([r["backtest"] for r in raw["baseline"]], dtype=float).reshape(len(seed_list), len(outcomes))
        scores = score_outcomes(bt_src.record, vals, bt_start)
        summ = overall(scores)
        bt = BacktestResult(bt_path, record, len(seed_list), master_seed, scores, summ, markdown(scores, summ, bt_src.record, len(seed_list)))
    return Study(results, figures, below, (k / len(clash_turns), lo, hi, len(clash_turns)), clash_turns, raw, bt)


def _turn_of(start: str, turn_months: int, month: str) -> int:
    from sim.trace import month_index

    return (month_index(month) - month_index(start)) // turn_months


# ---------------------------------------------------------------- plots
def plot_study(study: Study, out_dir: Path, start: str = "2021-10") -> list[tuple[str, str]]:
    """Write the study's PNGs to ``out_dir``; return ``(file name, caption)`` pairs.

    Raises:
        OSError: the folder cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.files import save_figure_atomic

    written = []

    def save(fig, name: str, caption: str) -> None:
        path = out_dir / name
        try:
            save_figure_atomic(fig, path, dpi=110, bbox_inches="tight", metadata={"Software": None})
        finally:
            plt.close(fig)
        written.append((name, caption))

    # claims: on and off with their intervals, one panel each
    res = study.results
    cols = 4
    rows = math.ceil(len(res) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.3 * rows))
    for ax, r in zip(np.ravel(axes), res):
        for x, e, colour in ((0, r.on, "tab:blue"), (1, r.off, "tab:grey")):
            if e.n and not math.isnan(e.value):
                ax.errorbar([x], [e.value], yerr=[[max(0.0, e.value - e.low)], [max(0.0, e.high - e.value)]], fmt="o", color=colour, capsize=4)
        if r.claim.criterion is not None:
            ax.axhline(r.claim.criterion[1], color="tab:red", lw=0.8, ls="--")
        ax.set_xticks([0, 1], ["on", "off"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(f"{r.claim.id}: {r.verdict.split(';')[0]}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in np.ravel(axes)[len(res) :]:
        ax.axis("off")
    fig.suptitle("Claims with their mechanism (on) and switched off (off), 95% intervals; dashed: criterion", fontsize=9)
    fig.tight_layout()
    save(fig, "claims.png", "Each claim's measure with its mechanism (on) and with the ablation (off), with 95% intervals; the dashed line is the claim's criterion")

    # baseline figures
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    panels = [
        ("staffing", "embassy staffing in 2024-10", 0.2),
        ("gp_moves", "great-power moves >= 0.2 per run", 2.0),
        ("patrols", "Russia-China patrols per year", 4.0),
        ("aukus", "AUKUS issue in 2022-10", 0.6),
    ]
    for ax, (fid, title, line) in zip(np.ravel(axes)[:4], panels):
        x = study.figures[fid].values
        if x.size:
            ax.hist(x, bins=30, color="tab:blue", alpha=0.8)
        ax.axvline(line, color="tab:red", ls="--", lw=1)
        ax.set_title(title, fontsize=9)
    ax = np.ravel(axes)[4]
    ch = np.array([r.get("iran_change", np.nan) for r in study.raw["baseline"]], float)
    mn = np.array([r.get("iran_rus_chn", np.nan) for r in study.raw["baseline"]], float)
    ax.scatter(mn, ch, s=6, alpha=0.5)
    ax.set_xlabel("lower of Russia's and China's end positions", fontsize=8)
    ax.set_ylabel("change of Iran sanctions", fontsize=8)
    ax.set_title("Iran sanctions (UN venue) vs Russia-China agreement", fontsize=9)
    ax = np.ravel(axes)[5]
    ts = list(study.below_pass)
    share = [study.below_pass[t][0] for t in ts]
    vals = [e.value for e in share]
    err = [[max(0.0, e.value - e.low) for e in share], [max(0.0, e.high - e.value) for e in share]]
    ax.errorbar(ts, vals, yerr=err, fmt="o-", capsize=3)
    ax.set_xscale("log")
    ax.set_xlabel("ai.temperature", fontsize=8)
    ax.set_title("share of choices below pass", fontsize=9)
    fig.tight_layout()
    save(fig, "baseline_figures.png", "Baseline: embassy staffing in 2024-10, great-power one-month moves, Russia-China patrols per year, AUKUS in 2022-10 (dashed: issue 8's limits); Iran sanctions against the Russia-China positions; below-pass choices by temperature")

    # Russia-Ukraine armed clash: cumulative share by month
    turns = study.clash_turns
    n = len(turns)
    if n:
        horizon = int(np.nanmax(turns)) if np.any(~np.isnan(turns)) else 1
        ks = np.arange(0, max(horizon, 1) + 1)
        cum = [float(np.sum(~np.isnan(turns) & (turns <= k))) / n for k in ks]
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.step(ks, cum, where="post")
        ax.set_xlabel(f"turn (months after {start})", fontsize=8)
        ax.set_ylabel("share of runs", fontsize=8)
        ax.set_title("Russia-Ukraine armed clash by turn (baseline)", fontsize=9)
        fig.tight_layout()
        save(fig, "clash_by_month.png", "Share of baseline runs with a Russia-Ukraine armed clash by each month")
    return written
