"""Face validity (claims F1-F14 of docs/sources.md): the interview's tendencies over many seeds,
not scripted.

Measured over 40 seeds of the mission scenario within 12 turns (the note on issue 2 records the
same figures over 200 seeds): Russia closes or suspends its low-staffed NATO mission more often
than its bilateral embassy channels with the US (F1, F3, F5); the US adds more posture in the
Pacific than in Europe (F11, F13); Russia-China alignment rises (F11).
"""

import numpy as np
import pytest

from sim.loader import load_scenario
from sim.model import GreatPowerModel

SEEDS = range(40)
TURNS = 12


@pytest.fixture(scope="module")
def runs(repo_root):
    sc = load_scenario(repo_root / "scenarios" / "nato_mission_2021.yaml")
    out = []
    for seed in SEEDS:
        m = GreatPowerModel(sc, seed=seed, reasons=False)
        w = m.world
        ch = {c: k for k, c in enumerate(w.channel_ids)}
        usa, rus, chn = (w.actor_ids.index(a) for a in ("USA", "RUS", "CHN"))
        p0 = m.posture[usa].copy()
        a0 = m.alignment[rus, chn]
        shut = {c: False for c in ("RUS-NATO", "RUS-USA-EMB", "USA-RUS-EMB")}
        closed_by_rus = {c: False for c in shut}
        for _ in range(TURNS):
            m.step()
            for c in shut:
                shut[c] |= bool(m.status[ch[c]] != 0)
            for ev in m.log[-1]["events"]:
                if ev["type"] == "channel" and ev["by"] == "RUS" and ev["to"] != "open" and ev["channel"] in shut:
                    closed_by_rus[ev["channel"]] = True
            if not m.running:
                break
        gain = m.posture[usa] - p0
        out.append(
            {
                "mission": closed_by_rus["RUS-NATO"],
                "us_bilateral": closed_by_rus["RUS-USA-EMB"] or closed_by_rus["USA-RUS-EMB"],
                "pacific_gain": float(gain[w.pacific].sum()),
                "europe_gain": float(gain[~w.pacific].sum()),
                "alignment": (float(a0), float(m.alignment[rus, chn])),
            }
        )
    return out


def test_russia_closes_the_nato_mission_more_often_than_its_us_channel(runs):
    mission = np.mean([r["mission"] for r in runs])
    bilateral = np.mean([r["us_bilateral"] for r in runs])
    assert mission > bilateral
    assert mission >= 0.5


def test_us_posture_shifts_to_the_pacific(runs):
    pac = np.array([r["pacific_gain"] for r in runs])
    eur = np.array([r["europe_gain"] for r in runs])
    assert pac.mean() > eur.mean()
    assert np.mean(pac > eur) >= 0.75


def test_russia_china_alignment_rises(runs):
    before = np.array([r["alignment"][0] for r in runs])
    after = np.array([r["alignment"][1] for r in runs])
    assert after.mean() > before.mean()
    assert np.mean(after > before) >= 0.75
