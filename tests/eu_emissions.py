"""The published EU-emissions example run through the kernel: loader, rounds and tables.

Used by tests/test_docking.py and by docs/kernel_docking.md, whose tables this module prints::

    python -m tests.eu_emissions      # from the project root: the tables of docs/kernel_docking.md

The example is ``sim/data/eu_emissions_1994.yaml`` (Bueno de Mesquita 1994, as reproduced by
Scholz, Calbert and Smith 2011). Positions stay on their 4-10 scale (the kernel uses only
differences of positions, divided by ``scale_range`` = 6); saliences are divided by 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

from sim import kernel

EXAMPLE = Path(__file__).resolve().parent.parent / "sim" / "data" / "eu_emissions_1994.yaml"


@dataclass(frozen=True)
class Example:
    """The example as kernel inputs: one issue, n actors in file order."""

    names: tuple[str, ...]
    x: np.ndarray  # (1, n) positions on the 4-10 scale
    c: np.ndarray  # (n,) capabilities
    s: np.ndarray  # (1, n) saliences in [0, 1]
    scale_range: float  # 6.0

    @property
    def weights(self) -> np.ndarray:
        """Vote weights c s, shape (1, n)."""
        return self.c[None, :] * self.s


def load_example(path: Path = EXAMPLE) -> Example:
    """Read the example's YAML file into kernel arrays."""
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    actors = data["actors"]
    out_of = float(data["salience_out_of"])
    return Example(
        names=tuple(a["name"] for a in actors),
        x=np.array([[float(a["position"]) for a in actors]]),
        c=np.array([float(a["capability"]) for a in actors]),
        s=np.array([[a["salience"] / out_of for a in actors]]),
        scale_range=float(data["scale"]["high"] - data["scale"]["low"]),
    )


def weighted_mean(example: Example, x: np.ndarray) -> float:
    """Mean position weighted by c s (the 'mean position' the replications print)."""
    w = example.weights[0]
    return float(np.dot(w, x[0]) / w.sum())


def run_rounds(
    example: Example,
    rounds: int,
    vote_rule: str,
    q: float = 0.5,
    t: float = 0.5,
    seed: int = 0,
    round_function=kernel.bargaining_round,
) -> list[dict]:
    """Run ``rounds`` classic rounds from the published positions; one dict per round.

    Each dict is :func:`sim.kernel.bargaining_round`'s output plus ``"x_before"`` (the
    positions the round started from) and ``"mean"`` (the weighted mean of ``"x"``).
    """
    rng = np.random.default_rng(seed)
    x = example.x
    history = []
    for _ in range(rounds):
        out = dict(
            round_function(
                x, example.c, example.s, rng, q, t, example.scale_range, vote_rule=vote_rule
            )
        )
        out["x_before"] = x
        out["mean"] = weighted_mean(example, np.asarray(out["x"]))
        history.append(out)
        x = np.asarray(out["x"])
    return history


def _fmt(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if float(v) == round(float(v), 3) else f"{v:.3f}"


def tables(rounds: int = 10) -> str:
    """The markdown tables of docs/kernel_docking.md."""
    ex = load_example()
    lines = []
    for q, t in ((0.5, 0.5), (1.0, 1.0)):
        for rule in kernel.VOTE_RULES:
            hist = run_rounds(ex, rounds, rule, q, t)
            lines.append(f"\n#### vote rule `{rule}`, Q = {q}, T = {t}\n")
            header = "| round | forecast (median) | weighted mean | " + " | ".join(ex.names)
            lines.append(header + " |")
            lines.append("|" + "---|" * (3 + len(ex.names)))
            lines.append(
                f"| 0 | {_fmt(hist[0]['forecast'][0])} | {weighted_mean(ex, ex.x):.4f} | "
                + " | ".join(_fmt(v) for v in ex.x[0])
                + " |"
            )
            for k, out in enumerate(hist, start=1):
                mu = kernel.forecast(out["x"], ex.weights)[0]
                lines.append(
                    f"| {k} | {_fmt(mu)} | {out['mean']:.4f} | "
                    + " | ".join(_fmt(v) for v in out["x"][0])
                    + " |"
                )
            first = hist[0]
            lines.append("\nRisk exponents before round 1: " + ", ".join(
                f"{n} {r:.4f}" for n, r in zip(ex.names, first["risk"][0], strict=True)
            ))
            moves = []
            for j, name in enumerate(ex.names):
                i = int(first["challenger"][0, j])
                if i < 0:
                    continue
                code = int(first["outcome"][0, j])
                share = first["fraction"][0, j]
                moves.append(
                    f"{name} <- {ex.names[i]} ({_fmt(ex.x[0, i])}): {kernel.OUTCOME_NAMES[code]}"
                    + (f" {share:.4f}" if code == kernel.OUTCOME_COMPROMISE else "")
                )
            lines.append("\nRound 1, each challenged state's best offer: " + "; ".join(moves) + ".")
    return "\n".join(lines)


if __name__ == "__main__":
    print(tables())
