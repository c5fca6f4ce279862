"""Measure the dynamics that issue 8 asks about, over many seeds, with optional overrides.

Usage (from the repository root)::

    python tools/measure_dynamics.py [--seeds 200] [--turns 36] [--set PATH=VALUE ...] [--json OUT]

Runs the baseline and the ``nato_mission_2021`` scenario for ``--seeds`` seeds and prints one
line per measure (the bars of issue 8). ``--set`` takes the sweep's dotted overrides
(``dynamics.force.enabled=false``), applied to both scenarios, so that a mechanism can be
measured on and off. It is a developer's tool: ``run.py validity`` is the product's command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import policy  # noqa: E402
from sim.loader import read_file, read_source  # noqa: E402
from sim.model import GreatPowerModel  # noqa: E402
from sim.sweep.overrides import apply, parse_value, resolve  # noqa: E402

EU_CAPITALS = ("FRA", "DEU", "POL", "LTU", "LVA", "EST")


def scenario(path: Path, sets: list[str]):
    src = read_source(read_file(path), str(path))
    base = src.validate()
    if not sets:
        return base
    dump = base.model_dump()
    assigns = []
    for s in sets:
        p, _, v = s.partition("=")
        t = resolve(p, dump)
        assigns.append((t, parse_value(v, t)))
    return src.validate(apply(src.data, assigns))


class DrawProbe:
    """Wraps ``policy.draw`` to count below-pass picks against what the softmax implies."""

    def __init__(self, rng_seed: int = 12345, replicas: int = 64):
        self.orig = policy.draw
        self.rng = np.random.default_rng(rng_seed)
        self.replicas = replicas
        self.observed = 0
        self.expected = 0.0
        self.draws = 0

    def _below(self, cand, rows_per_actor) -> int:
        return sum(int((cand.score[r] < 0).sum()) for r in rows_per_actor if len(r))

    def __call__(self, cand, k, temperature, rng):
        out = self.orig(cand, k, temperature, rng)
        self.draws += 1
        self.observed += self._below(cand, out)
        tot = 0
        for _ in range(self.replicas):
            tot += self._below(cand, self.orig(cand, k, temperature, self.rng))
        self.expected += tot / self.replicas
        return out


def run_one(sc, seed: int, turns: int, reasons: bool = True) -> dict:
    m = GreatPowerModel(sc, seed=seed, turns=turns, reasons=reasons)
    w = m.world
    gp = list(w.great_powers)
    iss = {x: k for k, x in enumerate(w.issue_ids)}
    first = {c: sc.channels[c].endpoints[0] for c in w.channel_ids}
    res: Counter = Counter()
    big_moves = 0
    pos = m.position.copy()
    by_turn = {}
    while m.running:
        m.step()
        new = m.position
        big_moves += int((np.abs(new[gp] - pos[gp]) >= 0.2 - 1e-12).sum())
        pos = new.copy()
        by_turn[m.turn] = {"aukus": float(m.issue_state[iss["indo_pacific_alignment"]]), "staffing": float(m.issue_state[iss["embassy_staffing"]])}
        for ev in m.log[-1]["events"]:
            t = ev["type"]
            if t == "channel":
                if ev["to"] == "open":
                    res["opened"] += 1
                    # the sending side: the first endpoint, or the leader acting for a bloc sender
                    snd = first[ev["channel"]]
                    if ev["by"] != snd and not (snd in w.bloc_ids and ev.get("for") == snd):
                        res["opened_by_other"] += 1
                if ev["by"] == "RUS" and ev["to"] != "open":
                    res[f"rus_shut:{ev['channel']}"] = 1
                if ev["to"] != "open":
                    res[f"shut:{ev['channel']}"] = 1
            elif t == "staff" and ev["kind"] == "restore_staff":
                res[f"restore:{ev['by']}:{ev['channel']}"] += 1
            elif t == "patrol":
                pair = "-".join(sorted(ev["actors"]))
                res[f"patrol:{pair}"] += 1
            elif t == "red_line":
                res[f"red_line:{ev['actor']}:{ev['issue']}"] += 1
            elif t == "vote" and ev["issue"] == "nato_georgia" and "USA" in ev["no"]:
                res["usa_no_georgia"] += 1
            elif t == "decision" and ev.get("action", "").startswith("propose sanctions_russia to "):
                if ev["actor"] == "RUS":
                    tgt = ev["action"].split(" to ")[1].split(" ")[0]
                    if tgt in EU_CAPITALS:
                        res["rus_proposals_eu_capitals_sanctions"] += 1
            elif t == "decision" and ev.get("action", "").startswith("propose ") and ev["actor"] == "RUS":
                tgt = ev["action"].split(" to ")[1].split(" ")[0]
                if tgt in EU_CAPITALS:
                    res["rus_proposals_eu_capitals_any"] += 1
            elif t in ("incident", "force") and ev.get("armed_clash"):
                res[f"clash:{'-'.join(sorted(ev['actors']))}:{ev.get('cause', 'escalated')}"] = m.turn
    res["big_moves"] = big_moves
    res["conflicts"] = m.totals["conflicts"]
    res["agreements"] = m.totals["agreements"]
    res["end_turn"] = m.turn
    res["end_state"] = m.end_state
    res["by_turn"] = by_turn
    res["iran_final"] = float(m.issue_state[iss["iran_sanctions"]])
    res["iran_rus"] = float(m.position[w.actor_ids.index("RUS"), iss["iran_sanctions"]])
    res["iran_chn"] = float(m.position[w.actor_ids.index("CHN"), iss["iran_sanctions"]])
    rus, usa = w.actor_ids.index("RUS"), w.actor_ids.index("USA")
    res["tension_rus_usa"] = float(m.tension[rus, usa])
    np_t = w.theatre_ids.index("north_pacific")
    res["rus_np_posture"] = float(m.posture[rus, np_t])
    eur = ~w.pacific
    res["usa_eu_posture"] = float(m.posture[usa, eur].sum())
    res["usa_pac_posture"] = float(m.posture[usa, w.pacific].sum())
    res["usa_eu_salience_eff"] = float(m.perception.salience_eff[usa, w.europe_issue].sum())
    res["alignment_rus_chn"] = float(m.alignment[rus, w.actor_ids.index("CHN")])
    res["usa_georgia_position"] = float(m.position[usa, iss["nato_georgia"]])
    res["gp_drift"] = float(np.abs(m.position[gp] - m.ideal[gp]).mean())
    res["rus_eu_issue_shift"] = float((m.position[usa, w.europe_issue] - m.ideal[usa, w.europe_issue]).mean())
    res["rus_aukus_proposals"] = sum(1 for e in (ev for t in m.log for ev in t["events"]) if e["type"] == "decision" and e.get("actor") == "RUS" and e.get("action", "").startswith("propose indo_pacific_alignment"))
    res["rus_chn_same_unsc_votes"] = sum(1 for e in (ev for t in m.log for ev in t["events"]) if e["type"] == "vote" and e["bloc"] == "UNSC" and (("RUS" in e["no"]) == ("CHN" in e["no"])))
    res["unsc_votes"] = sum(1 for e in (ev for t in m.log for ev in t["events"]) if e["type"] == "vote" and e["bloc"] == "UNSC")
    res["rus_chn_joint_vetoes"] = sum(1 for e in (ev for t in m.log for ev in t["events"]) if e["type"] == "vote" and e["bloc"] == "UNSC" and "RUS" in e.get("veto", []) and "CHN" in e.get("veto", []))
    return dict(res)


def at(r: dict, turn: int, key: str) -> float:
    bt = r["by_turn"]
    last = max(t for t in bt if t <= turn) if any(t <= turn for t in bt) else None
    return bt[last][key] if last is not None else float("nan")


def summarise(name: str, runs: list[dict], turns: int) -> dict:
    n = len(runs)
    years = turns / 12
    out = {}

    def frac(pred) -> float:
        return sum(1 for r in runs if pred(r)) / n

    def mean(key) -> float:
        return float(np.mean([r.get(key, 0) for r in runs]))

    out["runs"] = n
    out["rus_closes_own_un_mission"] = frac(lambda r: r.get("rus_shut:RUS-USA-UN"))
    out["channels_opened_per_run"] = mean("opened")
    out["channels_opened_by_other_side_total"] = sum(r.get("opened_by_other", 0) for r in runs)
    out["staffing_2024_10_median"] = float(np.median([at(r, 36, "staffing") for r in runs]))
    out["rus_restores_us_staff_per_run"] = mean("restore:RUS:USA-RUS-EMB")
    out["usa_restores_rus_staff_per_run"] = mean("restore:USA:RUS-USA-EMB")
    out["gp_moves_ge_0.2_per_run"] = mean("big_moves")
    out["conflicts_per_run"] = mean("conflicts")
    out["agreements_per_run"] = mean("agreements")
    out["rus_chn_patrols_per_year"] = mean("patrol:CHN-RUS") / years
    out["rus_chn_patrols_per_year_of_run"] = float(np.mean([r.get("patrol:CHN-RUS", 0) / (r["end_turn"] / 12) for r in runs if r["end_turn"] > 0]))
    out["conflicts_per_turn"] = float(np.sum([r["conflicts"] for r in runs]) / np.sum([r["end_turn"] for r in runs]))
    out["agreements_per_turn"] = float(np.sum([r["agreements"] for r in runs]) / np.sum([r["end_turn"] for r in runs]))
    out["gp_moves_per_turn"] = float(np.sum([r["big_moves"] for r in runs]) / np.sum([r["end_turn"] for r in runs]))
    out["mean_turns"] = mean("end_turn")
    for p in ("TWN-USA", "GEO-USA", "UKR-USA"):
        out[f"patrols_{p}_per_run"] = mean(f"patrol:{p}")
    out["all_patrol_pairs"] = sorted({k for r in runs for k in r if k.startswith("patrol:")})
    out["iran_final_mean"] = mean("iran_final")
    out["iran_rus_position_mean"] = mean("iran_rus")
    out["iran_chn_position_mean"] = mean("iran_chn")
    out["aukus_2022_10_median"] = float(np.median([at(r, 12, "aukus") for r in runs]))
    out["chn_red_line_share"] = frac(lambda r: r.get("red_line:CHN:indo_pacific_alignment"))
    out["red_line_events_per_run"] = float(np.mean([sum(v for k, v in r.items() if k.startswith("red_line:")) for r in runs]))
    out["usa_no_on_georgia_votes_per_run"] = mean("usa_no_georgia")
    out["rus_proposals_eu_capitals_sanctions_total"] = sum(r.get("rus_proposals_eu_capitals_sanctions", 0) for r in runs)
    out["rus_proposals_eu_capitals_any_total"] = sum(r.get("rus_proposals_eu_capitals_any", 0) for r in runs)
    out["rus_shut_nato_mission"] = frac(lambda r: r.get("rus_shut:RUS-NATO"))
    out["rus_shut_us_embassy"] = frac(lambda r: r.get("rus_shut:RUS-USA-EMB") or r.get("rus_shut:USA-RUS-EMB"))
    out["nato_mission_shut_by_anyone"] = frac(lambda r: r.get("shut:RUS-NATO"))
    for lim, label in ((8, "2022-06"), (turns, f"{turns} turns")):
        out[f"clash_RUS-UKR_by_{label}"] = frac(lambda r, lim=lim: any(k.startswith("clash:RUS-UKR") and v <= lim for k, v in r.items() if isinstance(v, int)))
        out[f"clash_any_by_{label}"] = frac(lambda r, lim=lim: any(k.startswith("clash:") and v <= lim for k, v in r.items() if isinstance(v, int)))
    causes = Counter(k.split(":")[2] + ":" + k.split(":")[1] for r in runs for k in r if k.startswith("clash:"))
    out["clash_causes"] = dict(causes)
    out["tension_rus_usa_final_mean"] = mean("tension_rus_usa")
    out["rus_north_pacific_posture_mean"] = mean("rus_np_posture")
    out["usa_europe_posture_mean"] = mean("usa_eu_posture")
    out["usa_pacific_posture_mean"] = mean("usa_pac_posture")
    out["usa_europe_salience_eff_mean"] = mean("usa_eu_salience_eff")
    out["alignment_rus_chn_final_mean"] = mean("alignment_rus_chn")
    out["usa_georgia_position_mean"] = mean("usa_georgia_position")
    out["usa_georgia_position_min"] = float(np.min([r["usa_georgia_position"] for r in runs]))
    out["gp_position_drift_mean"] = mean("gp_drift")
    out["usa_europe_position_shift_mean"] = mean("rus_eu_issue_shift")
    out["rus_aukus_proposals_per_run"] = mean("rus_aukus_proposals")
    out["unsc_votes_per_run"] = mean("unsc_votes")
    out["unsc_rus_chn_same_vote_share"] = float(sum(r.get("rus_chn_same_unsc_votes", 0) for r in runs) / max(1, sum(r.get("unsc_votes", 0) for r in runs)))
    out["unsc_rus_chn_joint_vetoes_per_run"] = mean("rus_chn_joint_vetoes")
    out["iran_rises_share"] = frac(lambda r: r["iran_final"] > 0.4 + 1e-9)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--turns", type=int, default=36)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--json")
    ap.add_argument("--only", choices=("baseline", "mission"))
    ap.add_argument("--no-probe", action="store_true", help="skip the below-pass draw probe (faster)")
    ap.add_argument("--no-reasons", action="store_true", help="no decision records (faster; no proposal counts)")
    a = ap.parse_args()
    results = {}
    for name, file in (("baseline", "baseline_2021.yaml"), ("mission", "nato_mission_2021.yaml")):
        if a.only and a.only != name:
            continue
        sc = scenario(ROOT / "scenarios" / file, a.sets)
        probe = None if a.no_probe else DrawProbe()
        if probe:
            policy.draw = probe
        try:
            runs = [run_one(sc, s, a.turns, not a.no_reasons) for s in range(a.seeds)]
        finally:
            if probe:
                policy.draw = probe.orig
        s = summarise(name, runs, a.turns)
        if probe:
            s["below_pass_observed_per_run"] = probe.observed / a.seeds
            s["below_pass_implied_per_run"] = probe.expected / a.seeds
        results[name] = s
        print(f"== {name} ({a.seeds} seeds x {a.turns} turns; {' '.join(a.sets) or 'defaults'})")
        for k, v in s.items():
            print(f"  {k}: {round(v, 4) if isinstance(v, float) else v}")
        sys.stdout.flush()
    if a.json:
        Path(a.json).write_text(json.dumps({"sets": a.sets, "seeds": a.seeds, "turns": a.turns, "results": results}, indent=1))


if __name__ == "__main__":
    main()
