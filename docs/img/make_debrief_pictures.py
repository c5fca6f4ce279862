"""Make the instructor guide's debrief pictures headless: ``python docs/img/make_debrief_pictures.py``.

A scripted "class" plays Russia in the baseline for 12 months (seed 7; the AI plays everyone
else): in month 1 it expels a quarter of the US embassy's staff (25 of 100), in month 2 it
raises its posture in the Black Sea, in month 4 it closes its mission to the EU, and every month
it answers the proposals it received by rejecting them. The game is saved in the front end's format and
debriefed against 20 all-AI games (``run.py debrief --runs 20``) in a temporary folder; two of the
report's figures are copied here:

* ``debrief_scores.png``: each team's score by turn against the AI games' median and 10-90% band;
* ``debrief_finals.png``: where each final outcome falls among the AI games.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from sim.loader import load_scenario  # noqa: E402
from sim.model import GreatPowerModel  # noqa: E402
from sim.ui import save as saves  # noqa: E402

SCENARIO = "scenarios/baseline_2021.yaml"


def russia_plays(model: GreatPowerModel) -> list:
    """The scripted team's choice this month (only legal actions)."""
    legal = model.legal_actions("RUS")
    t = model.turn + 1
    chosen = [a for a in legal if a.kind == "answer" and a.choice == "reject"]
    want = {
        1: lambda a: a.kind == "expel" and a.channel == "USA-RUS-EMB",
        2: lambda a: a.kind == "set_posture" and a.theatre == "black_sea" and a.level > 0.7,
        4: lambda a: a.kind == "close_channel" and a.channel == "RUS-EU",
    }.get(t)
    if want:
        chosen += [a for a in legal if want(a)][:1]
    return chosen


def class_game(path: Path) -> None:
    """Play and save the scripted class game."""
    sc = load_scenario(ROOT / SCENARIO)
    model = GreatPowerModel(sc, seed=7, turns=12, humans=["RUS"])
    history = [json.loads(json.dumps(model.snapshot()))]
    while model.running:
        model.submit("RUS", russia_plays(model))
        model.step()
        history.append(json.loads(json.dumps(model.snapshot())))
    doc = saves.make_save(scenario=sc, scenario_path=SCENARIO, model_state=model.to_state(), snapshots=history, humans=["RUS"], ui={"seed": 7})
    saves.write_save(path, doc)


def main() -> None:
    """Write the pictures."""
    with tempfile.TemporaryDirectory() as tmp:
        save = Path(tmp) / "class_game.json"
        class_game(save)
        subprocess.run([sys.executable, str(ROOT / "run.py"), "debrief", str(save), "--runs", "20", "--out", str(Path(tmp) / "debrief")], cwd=ROOT, check=True)
        for name in ("scores", "finals"):
            shutil.copyfile(Path(tmp) / "debrief" / f"{name}.png", OUT / f"debrief_{name}.png")
            print(f"wrote {OUT / f'debrief_{name}.png'}")


if __name__ == "__main__":
    main()
