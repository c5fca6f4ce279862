"""``run.py validity``: the claims F1-F14 measured with and without their mechanisms.

Writes ``docs/validity.md`` (or ``--doc``) and its PNGs (``--out``, default ``docs/img/validity``).
Exit status: 0 done; 2 bad input; 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from sim.cli.main import EXIT_USAGE, ROOT, SEED, _fail, main, notice_if_cold, require_extra

DEFAULT_RECORD = ROOT / "validation" / "record_2021_2024.yaml"
VALIDITY_TITLE = "# Validity: the interview's claims, measured"
"""The first line of the document :func:`sim.validity.markdown` writes: an existing ``--doc``
must start with it, so that no other file is overwritten."""
VALIDITY_PNGS = frozenset({"baseline_figures.png", "claims.png", "clash_by_month.png"})
"""The files :func:`sim.sweep.validity_run.plot_study` writes: an existing ``--out`` folder may
hold these and nothing else, so that no other file is overwritten."""


def _git_commit() -> str:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@main.command()
@click.option("--seeds", type=click.IntRange(2, 100_000), default=1000, show_default=True, help="Runs per scenario variant.")
@click.option("--seed", "master_seed", type=SEED, default=0, show_default=True, help="Master seed, 0 to 2**64-1 (runs' seeds are its SeedSequence children).")
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="Worker processes (default: the CPUs available).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder of the PNG plots (default docs/img/validity).")
@click.option("--doc", type=click.Path(dir_okay=False), default=None, help="The Markdown written (default docs/validity.md).")
@click.option("--turns", type=click.IntRange(1, 600), default=None, help="Turns per run (default: the scenarios' own; fewer for a quick look).")
@click.option("--record", type=click.Path(dir_okay=False), default=None, help="Backtest record scored on the baseline runs (default validation/record_2021_2024.yaml).")
@click.option("--no-backtest", is_flag=True, help="Leave the backtest out.")
def validity(seeds: int, master_seed: int, workers: int | None, out: str | None, doc: str | None, turns: int | None, record: str | None, no_backtest: bool) -> None:
    """Measure each claim F1-F14 with and without its mechanism; write docs/validity.md and plots."""
    require_extra("sweep", "matplotlib", "scipy")
    from sim.cli.main import _check_out_path
    from sim.loader import ScenarioError
    from sim.sweep.executors import default_workers
    from sim.sweep.overrides import OverrideError
    from sim.sweep.validity_run import plot_study, run_study
    from sim.validity import markdown

    doc_path = _check_out_path(
        doc if doc is not None else str(ROOT / "docs" / "validity.md"),
        "--doc",
        ours=(lambda head: head.startswith(VALIDITY_TITLE.encode()), "a validity document written by this command"),
    )
    img_dir = Path(out) if out is not None else ROOT / "docs" / "img" / "validity"
    if img_dir.exists() and not img_dir.is_dir():
        click.echo(f"{img_dir}: --out: is not a folder", err=True)
        sys.exit(EXIT_USAGE)
    if img_dir.is_dir() and any(p.name not in VALIDITY_PNGS for p in img_dir.iterdir()):
        click.echo(f"{img_dir}: --out: this folder holds files that validity does not write; choose an empty or new folder", err=True)
        sys.exit(EXIT_USAGE)
    rec = None if no_backtest else (record if record is not None else str(DEFAULT_RECORD))
    notice_if_cold()
    bar = _Bar()
    t0 = time.time()
    try:
        study = run_study(seeds, master_seed, workers or default_workers(), turns, rec, progress=bar.advance, total=bar.start)
    except ScenarioError as exc:
        bar.stop()
        _fail(exc.problems)
    except OverrideError as exc:
        bar.stop()
        for m in exc.messages:
            click.echo(f"ablation: {m}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        bar.stop()
        click.echo("interrupted: nothing written", err=True)
        sys.exit(130)
    bar.stop()
    try:
        img_dir.mkdir(parents=True, exist_ok=True)
        plots = plot_study(study, img_dir)
    except OSError as exc:
        click.echo(f"{img_dir}: --out: cannot write: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)
    rel = os.path.relpath(img_dir, doc_path.parent)
    docking = ROOT / "docs" / "kernel_docking.md"
    command = "python run.py validity" + (f" --seeds {seeds}" if seeds != 1000 else "") + (f" --seed {master_seed}" if master_seed else "") + (f" --turns {turns}" if turns else "")
    meta = {"turns_text": f"{turns} turns" if turns else "the scenarios' 36 turns", "seeds": seeds, "master_seed": master_seed, "commit": _git_commit(), "command": command, "seconds": time.time() - t0}
    text = markdown(
        study.results,
        study.figures,
        study.below_pass,
        study.clash_by,
        meta,
        docking.read_text(encoding="utf-8") if docking.is_file() else None,
        study.backtest.markdown if study.backtest is not None else None,
        [(f"{rel}/{name}", cap) for name, cap in plots],
    )
    from sim.files import write_text_atomic

    try:
        write_text_atomic(doc_path, text)
    except OSError as exc:
        click.echo(f"{doc_path}: --doc: cannot write: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)
    for r in study.results:
        click.echo(f"{r.claim.id:>4}  {r.verdict:<55}  on {r.on.text()}  off {r.off.text()}")
    if study.backtest is not None:
        s = study.backtest.summary
        click.echo(f"backtest: Brier skill {s['brier_skill']:.2f}, CRPS skill {s['crps_skill']:.2f}, overall {s['skill']:.2f}")
    click.echo(f"written {doc_path} and {len(plots)} plots in {img_dir} ({time.time() - t0:.0f} s)")


class _Bar:
    """A progress bar on a terminal; silent otherwise."""

    def __init__(self) -> None:
        self.p = None
        self.task = None

    def start(self, total: int) -> None:
        if not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import Progress

        self.p = Progress(console=Console(stderr=True))
        self.p.start()
        self.task = self.p.add_task("validity runs", total=total)

    def advance(self, k: int) -> None:
        if self.p is not None:
            self.p.advance(self.task, k)

    def stop(self) -> None:
        if self.p is not None:
            self.p.stop()
            self.p = None
