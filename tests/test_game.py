"""The seminar game's core: scores, objectives, briefings, plain words, the library and its commands."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.briefing import briefing, class_briefing
from sim.cli.main import main
from sim.describe import describe_action, describe_proposal, month_summary
from sim.loader import ScenarioError, load_scenario, parse_scenario
from sim.model import GreatPowerModel
from sim.schema import playable_ids
from sim.score import CLASH_PENALTY, CRISIS_PENALTY, ISSUE_POINTS, GameRecord, score, score_history, scoreboard, trend

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
LIBRARY = sorted(SCENARIOS.glob("*.yaml"))
TUTORIAL = SCENARIOS / "tutorial.yaml"


@pytest.fixture(scope="module")
def tutorial():
    return load_scenario(TUTORIAL)


def plain(x):
    return json.loads(json.dumps(x))


def start_snapshot(sc):
    return plain(GreatPowerModel(sc, seed=1).snapshot())


# ---------------------------------------------------------------- the score formula
def test_score_matches_the_formula_on_a_hand_checked_case(tutorial):
    s0 = start_snapshot(tutorial)
    rec0 = GameRecord(tutorial, [s0], [])
    b0 = score(rec0, "RUS")
    # RUS: ideal 0 / 0 / 0.4, salience 1 / 0.8 / 0.5; states 0.3 / 0.5 / 0.0833
    c0 = (1.0 * 0.7 + 0.8 * 0.5 + 0.5 * (1 - abs(0.0833 - 0.4))) / 2.3
    assert b0.closeness == pytest.approx(c0)
    assert b0.issue_points == pytest.approx(0.0)
    assert [o.status for o in b0.objectives] == ["met", "not yet", "not met"]  # no_map, ease (by 10), staff
    assert b0.total == pytest.approx(10.0)

    s1 = copy.deepcopy(s0)
    s1["turn"] = 1
    s1["issues"]["nato_ukraine"]["state"] = 0.33
    s1["issues"]["sanctions_russia"]["state"] = 0.4
    s1["issues"]["embassy_staffing"]["state"] = 0.2
    clash = {"type": "incident", "theatre": "black_sea", "actors": ["RUS", "USA"], "deconfliction": 0.5, "crisis": True, "armed_clash": True}
    crisis_fr = {"type": "incident", "theatre": "black_sea", "actors": ["FRA", "USA"], "deconfliction": 0.5, "crisis": True}
    rec1 = GameRecord(tutorial, [s0, s1], [{"turn": 1, "events": [clash, crisis_fr]}])
    b1 = score(rec1, "RUS")
    c1 = (1.0 * 0.67 + 0.8 * 0.6 + 0.5 * 0.8) / 2.3
    assert b1.closeness == pytest.approx(c1)
    assert b1.issue_points == pytest.approx(ISSUE_POINTS * (c1 - c0))
    assert [o.status for o in b1.objectives] == ["met", "on track", "met"]
    assert b1.objective_points == 20
    assert (b1.crises, b1.clashes) == (1, 1)  # the French crisis is not Russia's
    assert b1.penalty_points == CRISIS_PENALTY + CLASH_PENALTY
    assert b1.total == pytest.approx(ISSUE_POINTS * (c1 - c0) + 20 - CRISIS_PENALTY - CLASH_PENALTY)
    assert trend(rec1, "RUS") == pytest.approx(b1.total - b0.total)
    assert [b.turn for b in score_history(rec1, "RUS")] == [0, 1]


def test_a_deadline_is_judged_at_its_turn_and_stays_judged(tutorial):
    s0 = start_snapshot(tutorial)
    hist = []
    for t in range(12):
        s = copy.deepcopy(s0)
        s["turn"] = t
        s["issues"]["sanctions_russia"]["state"] = 0.4 if t == 10 else 0.5  # eased only in month 10
        hist.append(s)
    # the tutorial has 10 turns; a longer synthetic record checks that month 11 does not re-judge
    rec = GameRecord(tutorial, hist, [])
    status = {t: next(o for o in score(rec, "RUS", t).objectives if o.id == "ease_sanctions").status for t in (9, 10, 11)}
    assert status == {9: "not yet", 10: "met", 11: "met"}
    hist[10]["issues"]["sanctions_russia"]["state"] = 0.5
    rec = GameRecord(tutorial, hist, [])
    assert next(o for o in score(rec, "RUS", 11).objectives if o.id == "ease_sanctions").status == "failed"


def test_scores_update_after_a_turn_and_follow_the_formula(tutorial):
    m = GreatPowerModel(tutorial, seed=4, humans=["USA"])
    hist = [plain(m.snapshot())]
    m.step()
    hist.append(plain(m.snapshot()))
    rec = GameRecord(tutorial, hist, m.log)
    for team in playable_ids(tutorial):
        b = score(rec, team)
        assert b.turn == 1
        spec = tutorial.actors[team]
        want = sum(
            spec.salience[x].value * (1 - abs(hist[1]["issues"][x]["state"] - spec.position[x].value)) for x in spec.salience
        ) / sum(q.value for q in spec.salience.values())
        assert b.closeness == pytest.approx(want)
        moved = any(hist[1]["issues"][x]["state"] != hist[0]["issues"][x]["state"] for x in spec.salience)
        assert (b.issue_points != 0) == moved
        assert b.total == pytest.approx(b.issue_points + b.objective_points - b.penalty_points)
    board = scoreboard(rec)
    assert [b.total for b in board] == sorted((b.total for b in board), reverse=True)


# ---------------------------------------------------------------- objectives in the schema
BAD_OBJECTIVES = [
    ("condition: {issue: nato_ukraine}", "needs at_least or at_most"),
    ("condition: {issue: nato_ukraine, channel: FRA-RUS-2P2, at_most: 0.3}", "exactly one of"),
    ("condition: {event: crisis, none: true, at_most: 2}", "either none"),
    ("condition: {tension: [RUS, RUS], at_most: 0.3}", "two different actors"),
    ("condition: {issue: nato_ukraine, at_most: 1.5}", "at_most must be in [0, 1]"),
    ("condition: {issue: nato_ukrain, at_most: 0.3}", "did you mean 'nato_ukraine'"),
    ("condition: {issue: nato_ukraine, at_most: 0.3}\n      by: 11", "outside the game"),
    ("condition: {issue: nato_ukraine, at_most: 0.3}\n      colour: red", "unknown field"),
]


@pytest.mark.parametrize("body,message", BAD_OBJECTIVES, ids=[m for _b, m in BAD_OBJECTIVES])
def test_bad_objectives_are_reported_with_file_line_and_field(tmp_path, body, message):
    f = tmp_path / "bad.yaml"
    f.write_text(
        f"extends: {TUTORIAL}\nobjectives:\n  RUS:\n    - id: x\n      text: something\n      {body}\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    text = str(exc.value)
    assert message in text
    assert text.startswith(f"{f}:") and "objectives.RUS[0]" in text


def test_a_deadline_may_be_a_month(tutorial):
    text = (TUTORIAL.read_text(encoding="utf-8") + "\n").replace("      by: 10\n      source: \"interview L31, L35\"", '      by: "2022-03"\n      source: "interview L31, L35"')
    sc = parse_scenario(text, str(TUTORIAL))
    from sim.schema import deadline_turn

    assert deadline_turn(sc, sc.objectives["USA"][0]) == 5  # 2021-10 + 5 months


# ---------------------------------------------------------------- the library
@pytest.mark.parametrize("path", LIBRARY, ids=[p.name for p in LIBRARY])
def test_library_scenario_has_story_objectives_and_questions(path):
    sc = load_scenario(path)
    assert sc.story.strip()
    assert 3 <= len(sc.debrief_questions) <= 5
    teams = playable_ids(sc)
    assert set(sc.great_powers) <= set(teams)
    for team in teams:
        obs = sc.objectives.get(team, [])
        assert len(obs) >= 3, f"{path.name}: {team} has {len(obs)} objectives"
        assert all(o.text.strip() and o.source for o in obs)
    # every objective can be judged on the start of the game
    rec = GameRecord(sc, [start_snapshot(sc)], [])
    for team in sc.objectives:
        assert len(score(rec, team).objectives) == len(sc.objectives[team])


def test_tutorial_is_small():
    sc = load_scenario(TUTORIAL)
    assert (len(sc.actors), len(sc.issues)) == (3, 3)
    assert 8 <= sc.turns <= 12


@pytest.mark.parametrize("path", [p for p in LIBRARY if p.name not in ("baseline_2021.yaml", "tutorial.yaml")], ids=lambda p: p.name)
def test_variants_extend_the_baseline_and_say_why(path):
    text = path.read_text(encoding="utf-8")
    assert "extends: baseline_2021.yaml" in text
    header = text.split("extends:")[0]
    assert "What changes, and why:" in header and "interview L" in header


# ---------------------------------------------------------------- briefings
@pytest.mark.parametrize("path", [TUTORIAL, SCENARIOS / "baseline_2021.yaml"], ids=lambda p: p.name)
def test_briefing_of_every_playable_state(path):
    sc = load_scenario(path)
    for team in playable_ids(sc):
        b = briefing(sc, team)
        assert b["objectives"] and len(b["objectives"]) == len(sc.objectives[team])
        sal = [i["salience"] for i in b["interests"]]
        assert sal == sorted(sal, reverse=True) and sal
        assert all(i["text"] and i["source"] for i in b["interests"])
        assert b["channels"], team
    cb = class_briefing(sc)
    assert [t["id"] for t in cb["playable"]] == playable_ids(sc)


def test_briefing_of_a_running_game_shows_the_current_state(tutorial):
    m = GreatPowerModel(tutorial, seed=2)
    m.issue_state[m.world.issue_ids.index("nato_ukraine")] = 0.45  # as if NATO had moved
    b = briefing(m, "RUS")
    ukr = next(i for i in b["interests"] if i["issue"] == "nato_ukraine")
    assert ukr["state"] == pytest.approx(0.45) and "0.45" in ukr["text"]


# ---------------------------------------------------------------- plain words
def test_a_proposal_reads_as_what_it_asks(tutorial):
    m = GreatPowerModel(tutorial, seed=1, humans=["USA"])
    # two embassies join the pair; the route is the model's choice (ties go to the first id)
    a = next(b for b in m.legal_actions("USA") if b.kind == "propose" and b.issue == "nato_ukraine" and b.target == "RUS")
    where = {"USA-RUS-EMB": "the US embassy in Moscow", "RUS-USA-EMB": "the Russian embassy in Washington"}[a.channel]
    assert describe_action(m, a) == (
        f"Ask Russia, through {where}, to accept NATO membership for Ukraine at "
        "'Membership Action Plan' (0.60); Russia stands at 'no prospect' (0.00)"
    )


def test_an_application_in_the_last_month_says_the_game_ends_before_the_vote():
    # the members vote the month after an application: in the last month there is none
    sc = load_scenario(SCENARIOS / "baseline_2021.yaml")
    m = GreatPowerModel(sc, seed=2, turns=2, humans=["GEO"])
    words = []
    while m.running:
        apply = next(a for a in m.legal_actions("GEO") if a.kind == "apply_membership")
        words.append(describe_action(m, apply))
        m.step()
    assert words == [
        "Apply to join NATO (its members vote next month)",
        "Apply to join NATO (the game ends this month, before its members can vote)",
    ]


def test_every_legal_action_has_words_without_codes(tutorial):
    m = GreatPowerModel(tutorial, seed=1, humans=["RUS"])
    snap = m.snapshot()
    texts = [describe_action(m, a, snap) for a in m.legal_actions("RUS")]
    assert len(texts) == len(set(texts))  # no two actions read the same
    for t in texts:
        assert t and t[0].isupper()
        assert "-EMB" not in t and "caucus:" not in t and "_" not in t


def test_incoming_proposals_and_answers_say_what_is_asked(tutorial):
    m = GreatPowerModel(tutorial, seed=1, humans=["RUS"])
    for _ in range(3):
        m.step()
        if m.pending["RUS"]:
            break
    assert m.pending["RUS"], "the AI proposed nothing to Russia in three months"
    p = m.pending["RUS"][0]
    text = describe_proposal(m, "RUS", p)
    assert "asks you to accept" in text and f"{p['position']:.2f}" in text
    answers = [describe_action(m, a) for a in m.legal_actions("RUS") if a.kind == "answer" and a.target == p["from"] and a.issue == p["issue"]]
    assert [t.split()[0] for t in answers] == ["Accept", "Meet", "Reject"]


def test_month_summary_tells_the_month_in_words(tutorial):
    m = GreatPowerModel(tutorial, seed=3, humans=[])
    hist = [plain(m.snapshot())]
    m.inject({"kind": "incident", "theatre": "black_sea", "actors": ["RUS", "USA"]})
    m.step()
    hist.append(plain(m.snapshot()))
    lines = month_summary(GameRecord(tutorial, hist, m.log), 1, focus=["USA"])
    assert any(line.startswith("Incident in the Black Sea between Russia and the United States") for line in lines)
    assert all(line.endswith(".") for line in lines)
    assert month_summary(m) == month_summary(m, 1)  # a model works too
    assert month_summary(GameRecord(tutorial, hist[:1], []), 0) == []


# ---------------------------------------------------------------- commands
def test_briefing_command_writes_a_page_for_every_playable_state(tmp_path):
    out = tmp_path / "brief"
    r = CliRunner().invoke(main, ["briefing", str(SCENARIOS / "baseline_2021.yaml"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    sc = load_scenario(SCENARIOS / "baseline_2021.yaml")
    for team in playable_ids(sc):
        html = (out / f"team_{team}.html").read_text(encoding="utf-8")
        assert sc.actors[team].name in html
        for ob in sc.objectives[team]:
            assert ob.text.replace("'", "&#x27;") in html
    assert "<h2>The teams</h2>" in (out / "class.html").read_text(encoding="utf-8")
    assert (out / "all.html").stat().st_size > (out / "class.html").stat().st_size
    r = CliRunner().invoke(main, ["briefing", str(TUTORIAL), "--team", "FRA", "--out", str(out)])  # our folder: reused
    assert r.exit_code == 0, r.output


def test_briefing_refuses_a_folder_of_other_files_and_an_unknown_team(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    r = CliRunner().invoke(main, ["briefing", str(TUTORIAL), "--out", str(tmp_path)])
    assert r.exit_code == 2 and "not empty" in r.output
    r = CliRunner().invoke(main, ["briefing", str(TUTORIAL), "--team", "XXX", "--out", str(tmp_path / "b")])
    assert r.exit_code == 2 and "unknown state" in r.output
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_new_starts_from_the_tutorial_and_never_overwrites(tmp_path):
    target = tmp_path / "my_crisis.yaml"
    r = CliRunner().invoke(main, ["new", str(target)])
    assert r.exit_code == 0, r.output
    sc = load_scenario(target)
    assert sc.name == "My crisis" and set(sc.actors) == {"USA", "RUS", "FRA"}
    before = target.read_bytes()
    r = CliRunner().invoke(main, ["new", str(target)])
    assert r.exit_code == 2 and "already exists" in r.output
    assert target.read_bytes() == before
    (tmp_path / "other.yaml").write_text("mine")
    r = CliRunner().invoke(main, ["new", str(tmp_path / "other")])
    assert r.exit_code == 2 and (tmp_path / "other.yaml").read_text() == "mine"
    r = CliRunner().invoke(main, ["new", str(tmp_path / "bad name!")])
    assert r.exit_code == 2
    assert not list(tmp_path.glob("*.tmp"))


@pytest.fixture(scope="module")
def short_save(tmp_path_factory):
    d = tmp_path_factory.mktemp("save")
    save = d / "game.json"
    r = CliRunner().invoke(main, ["run", str(TUTORIAL), "--turns", "3", "--seed", "5", "-q", "--save", str(save)])
    assert r.exit_code == 0, r.output
    return save


def test_run_save_is_a_save_the_front_end_loads(short_save, tutorial):
    from sim.ui import save as saves

    data = saves.read_save(short_save)
    model, snaps = saves.restore(data, tutorial, GreatPowerModel)
    assert model.turn == 3 and len(snaps) == 4 and data["humans"] == []


def test_run_save_never_overwrites_another_file(tmp_path):
    other = tmp_path / "notes.json"
    other.write_text('{"mine": true}')
    r = CliRunner().invoke(main, ["run", str(TUTORIAL), "--turns", "1", "-q", "--save", str(other)])
    assert r.exit_code == 2 and "not a save" in r.output
    assert other.read_text() == '{"mine": true}'


def test_debrief_report_with_figures_for_a_short_saved_game(short_save, tmp_path):
    out = tmp_path / "debrief"
    r = CliRunner().invoke(main, ["debrief", str(short_save), "--runs", "4", "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = (out / "debrief.html").read_text(encoding="utf-8")
    sc = load_scenario(TUTORIAL)
    for fig in ("tension.png", "issues.png", "scores.png", "finals.png"):
        assert f"src='{fig}'" in html
        assert (out / fig).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "percentile" in html and "The decisions that moved outcomes most" in html
    # the decisions read as a record of what each state did ("Russia raises its military
    # posture ..."), not as the menu's orders ("Russia: Raise your military posture ...")
    import re

    from sim.describe import THIRD_PERSON, capital_first, the

    items = re.findall(r"<li>(.*?)</li>", html)
    names = [capital_first(the(sc.actors[t].name)) for t in playable_ids(sc)]
    questions = {q.replace("'", "&#x27;") for q in sc.debrief_questions}
    decisions = [i for i in items if any(i.startswith(n + " ") for n in names) and i not in questions]
    assert decisions and all(i.endswith(".") for i in decisions)
    verbs = set(THIRD_PERSON.values())
    assert all(any(f"{n} {v} " in i for n in names for v in verbs) for i in decisions), decisions
    assert not any(" your " in i or ": " in i.split(",")[0] for i in decisions)
    for q in sc.debrief_questions:
        assert q.replace("'", "&#x27;") in html
    for team in playable_ids(sc):
        assert sc.actors[team].name in html
    r = CliRunner().invoke(main, ["debrief", str(short_save), "--runs", "2", "--out", str(out)])  # rerun into its own folder
    assert r.exit_code == 0, r.output


def test_debrief_refuses_a_changed_scenario_and_a_damaged_save(short_save, tmp_path):
    data = json.loads(short_save.read_text())
    data["scenario_hash"] = "0" * 64
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    r = CliRunner().invoke(main, ["debrief", str(bad), "--runs", "1", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "differs" in r.output
    bad.write_text("{not json")
    r = CliRunner().invoke(main, ["debrief", str(bad), "--runs", "1", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_debrief_percentiles_and_turning_points(tutorial):
    from sim.debrief import debrief, percentile_of, play_ai

    assert percentile_of(5.0, [1, 2, 3, 4]) == 100.0
    assert percentile_of(0.0, [1, 2, 3, 4]) == 0.0
    assert percentile_of(2.0, [1, 2, 3]) == pytest.approx(50.0)
    games = [play_ai(tutorial, s, 4) for s in (1, 2, 3)]
    d = debrief(games[0], games[1:], [])
    assert d.runs == 2 and d.teams == playable_ids(tutorial)
    assert set(d.percentiles) == set(d.game) and all(0 <= p <= 100 for p in d.percentiles.values())
    assert all(1 <= p.turn <= 4 and p.shift > 0 for p in d.turning_points)


def test_seminar_modules_never_import_pygame():
    code = (
        "import sys; import sim.score, sim.describe, sim.briefing, sim.debrief, sim.cli.game_cmd; "
        "assert 'pygame' not in sys.modules; print('ok')"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


@pytest.mark.parametrize("path", LIBRARY, ids=[p.name for p in LIBRARY])
def test_the_start_read_from_the_scenario_is_the_models_turn_0(path):
    from sim.score import initial_snapshot

    sc = load_scenario(path)
    a, b = start_snapshot(sc), initial_snapshot(sc)
    assert {x: v["state"] for x, v in a["issues"].items()} == {x: v["state"] for x, v in b["issues"].items()}
    assert {c: {k: v[k] for k in b["channels"][c]} for c, v in a["channels"].items()} == b["channels"]
    assert a["tension"] == b["tension"] and a["alignment"] == b["alignment"]


def test_a_model_alone_scores_against_the_start(tutorial):
    m = GreatPowerModel(tutorial, seed=6)
    hist = [plain(m.snapshot())]
    for _ in range(2):
        m.step()
        hist.append(plain(m.snapshot()))
    full = score(GameRecord(tutorial, hist, m.log), "USA")
    alone = score(m, "USA")
    assert alone.turn == 2 and alone.total == pytest.approx(full.total)


def test_a_use_of_force_that_is_resisted_counts_as_an_armed_clash_in_the_score():
    """A team that attacks and meets resistance has caused an armed clash: it costs the clash
    penalty like an incident that escalates (it cost nothing, found by a play-test)."""
    from sim.loader import load_scenario
    from sim.score import event_kinds, event_parties

    sc = load_scenario("scenarios/tutorial.yaml")
    ev = {"type": "force", "actors": ["RUS", "FRA"], "theatre": "black_sea", "armed_clash": True}
    assert event_kinds(sc, ev) == ["armed_clash", "crisis"]
    assert event_parties(sc, ev) == ("armed_clash", ["RUS", "FRA"])
    assert event_kinds(sc, {**ev, "armed_clash": False}) == []  # the target yielded: no clash
