"""What an instructor and two hot-seat teams read while they play, driven headless with posted events.

Found by playing the baseline in a real window (USA and Russia in hot-seat, an instructor's
expulsion, save, load, replay, text scale 1 and 1.5) and fixed: the turn log is a third-person
record ("Russia closes ...", never "Raise your ..."); the state panel names the states of its
tension rows and counts staff in whole persons; an instructor's event says what it did and to
which channel; each team's menu opens on its own first category (answers and votes first), not
on the one the previous team left open; the hand-over and the scorecard read right ("the United
States' team", "+0.0", never "-0.0"); ``play --load`` names a bad file once.
"""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from html import unescape  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402

# pytest puts tests/ on the path (its default "prepend" import mode)
from test_ui import (  # noqa: E402
    BASELINE,
    DT,
    REPO,
    choose_category,
    click,
    click_action,
    click_list_item,
    end_turn_and_wait,
    instructor_texts,
    key,
    make_app,
    pick_dropdown,
    pump,
    sheet_text,
)

from sim.loader import load_scenario  # noqa: E402
from sim.ui.app import App  # noqa: E402
from sim.ui.controller import GameController  # noqa: E402


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(str(BASELINE))


def pick_far_option(app, dd, text):
    """Pick a drop-down's option that may lie below its first screenful (scrolled to, as a user would)."""
    click(app, dd.rect.center)
    click_list_item(app, dd.menu_states["expanded"].options_selection_list, text)


def plain(html: str) -> str:
    """The text of pygame_gui markup, one line per ``<br>``."""
    return unescape(re.sub(r"<[^>]+>", "", html.replace("<br>", "\n")))


def test_the_turn_log_is_a_third_person_record(scenario, tmp_path):
    """A team's order and every AI decision read as what the state did, with the state as subject:
    "Russia (team) raises its military posture ...", "China patrols ...", never "Raise your ..."."""
    app = make_app(scenario, tmp_path)
    choose_category(app, "set_posture")
    act = next(a for a in app.ctrl.legal() if a.kind == "set_posture")
    click_action(app, str(act))
    end_turn_and_wait(app)
    pick_dropdown(app, app.w["log_filter"], "All events")
    pump(app, 2)
    text = plain(app.w["log"].html_text)
    mine = next(line for line in text.splitlines() if line.startswith("Russia (team)"))
    assert re.match(r"Russia \(team\) (raises|lowers|keeps) its military posture in the ", mine), mine
    decisions = [ev for ev in app.ctrl.model.log[-1]["events"] if ev.get("type") == "decision" and ev.get("action") != "pass"]
    assert len(decisions) > 10
    assert not re.search(r"\b(you|your)\b", text, re.I), [ln for ln in text.splitlines() if re.search(r"\byour?\b", ln, re.I)][:3]
    # no line starts with an order ("Patrol the ...", "Raise ...", "Ask ..."), with or without "State: "
    orders = r"(Ask|Accept|Reject|Meet|Close|Suspend|Resume|Reopen|Expel|Let|Raise|Lower|Keep|Patrol|Apply|Use|Vote) "
    assert not [ln for ln in text.splitlines() if re.match(rf"([A-Z][\w ]*: )?{orders}", ln)]
    assert re.search(r"^(The )?[A-Z][\w ]* (asks|raises|lowers|patrols|closes|expels|lets) ", text, re.M)
    events = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith(("why:", "over:")))
    assert "joint patrol" not in events and " + " not in events  # "China and Russia patrol the East China Sea together"
    assert "staff on the" not in events  # "expels 10 staff from ...", "lets 10 staff return to ..."


def test_tension_rows_name_the_states_and_staff_are_whole_persons(scenario, tmp_path):
    """The selected state's highest tensions are named as everywhere else ("China 0.59, -0.52"),
    and its channels count staff in whole persons ("75 of 1,200"), even after a quarter of them
    were expelled (74.96 persons in the model)."""
    app = make_app(scenario, tmp_path)
    key(app, pygame.K_i, unicode="i")
    pick_dropdown(app, app.inst_widgets["kind"], "Expulsion of staff")
    pick_far_option(app, app.inst_widgets["channel"], "Russian embassy in Washington")
    click(app, app.inst_widgets["inject"].rect.center)
    key(app, pygame.K_ESCAPE)
    end_turn_and_wait(app)
    app.ctrl.select("actor", "USA")
    pump(app, 2)
    rows = app.panel_views["selected"].rows
    texts = [t for r in rows for _r, t, _s in r.texts]
    head = next(i for i, t in enumerate(texts) if t.startswith("Highest tensions"))
    tension_rows = texts[head + 1 : head + 5]
    names = {s.name for s in scenario.actors.values()}
    assert len(tension_rows) == 4
    for t in tension_rows:
        who = re.match(r"(.+?)  \d\.\d\d, [+-]\d\.\d\d$", t)
        assert who and who.group(1).removeprefix("the ") in names, t
    staff = [t for t in texts[head:] if re.search(r"\d of [\d,]+,", t)]  # "US embassy in Tokyo: 100 of 100, ..."
    assert len(staff) >= 10 and not [t for t in staff if re.search(r"\d\.\d+ of ", t)], staff
    assert any(t.startswith("Russian embassy in Washington: 75 of 1,200,") for t in staff), staff


def test_an_instructor_expulsion_says_which_channel_and_how_many(scenario, tmp_path):
    """Injected without a note, an expulsion reads "Event (instructor): 25 staff expelled from
    the Russian embassy in Washington (75 left)." in the month's results, and names its channel
    and persons in the turn log too (it used to read "Event: expulsion.")."""
    app = make_app(scenario, tmp_path)
    key(app, pygame.K_i, unicode="i")
    pick_dropdown(app, app.inst_widgets["kind"], "Expulsion of staff")
    pick_far_option(app, app.inst_widgets["channel"], "Russian embassy in Washington")
    size = next(lab for lab, _v in app.inst_widgets["size"].options_list if lab.startswith("25 of 100"))
    pick_dropdown(app, app.inst_widgets["size"], size)
    click(app, app.inst_widgets["inject"].rect.center)
    assert any(t.startswith("Expulsion of staff: Russian embassy in") for t in instructor_texts(app))
    key(app, pygame.K_ESCAPE)
    key(app, pygame.K_RETURN)
    if app.confirm_dialog is not None:
        key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)
    assert app.current_sheet() == "results"
    text = sheet_text(app)
    assert "Event (instructor): 25 staff expelled from the Russian embassy in Washington (75 left)." in text
    assert "Event: expulsion" not in text
    key(app, pygame.K_RETURN)
    log = plain(app.w["log"].html_text)
    line = next(ln for ln in log.splitlines() if ln.startswith("Instructor's event"))
    assert line == "Instructor's event: 25 staff expelled from the Russian embassy in Washington (75 left) [instructor]"


def test_an_event_with_a_note_keeps_the_note_and_says_what_it_did(scenario):
    """The month's results of an injected event with a note: the note, then what it did."""
    from sim.describe import event_sentence
    from sim.model import GreatPowerModel

    m = GreatPowerModel(scenario, seed=7)
    before = m.snapshot()
    m.inject({"kind": "expulsion", "channel": "RUS-USA-EMB", "size": 25 / 1200, "text": "Washington retaliates"})
    m.step()
    ev = next(e for e in m.log[-1]["events"] if e.get("type") == "event" and e["kind"] == "expulsion")
    assert event_sentence(scenario, ev, before) == (
        "Event (instructor): Washington retaliates (25 staff expelled from the Russian embassy in Washington; 75 left)."
    )
    assert event_sentence(scenario, {"type": "event", "kind": "note", "text": "Talks resume", "source": "instructor"}) == (
        "Event (instructor): Talks resume."
    )


def test_each_team_opens_its_menu_on_its_own_category(scenario, tmp_path):
    """In hot-seat the next team's menu does not open where the previous team left it (that
    showed where it had looked), but on the proposals it has to answer or the votes it has to
    cast, else where the team itself last looked."""
    ctrl = GameController(scenario, str(BASELINE), seed=7, humans=["RUS", "USA"], anim_seconds=0.2)
    app = App(ctrl, size=(1280, 800), save_dir=str(tmp_path))
    pump(app, 2)
    looked, seen_urgent = {}, False
    for _turn in range(3):
        for team in ("RUS", "USA"):
            assert ctrl.phase == "handover" and ctrl.current_team == team
            key(app, pygame.K_RETURN)
            if app.sheet == "briefing":
                key(app, pygame.K_ESCAPE)
            pump(app)
            menu = ctrl.menu()
            urgent = [g for g in ("answer", "vote") if g in menu]
            own = looked.get(team, next(iter(menu)))
            expected = urgent[0] if urgent else own
            assert app.category == expected, (team, app.category, expected)
            assert app.w["category"].selected_option[1] == expected
            seen_urgent |= bool(urgent)
            look = "set_posture" if team == "RUS" else "channel"  # each team looks elsewhere
            choose_category(app, look)
            looked[team] = look
            key(app, pygame.K_RETURN)
            if app.confirm_dialog is not None:
                key(app, pygame.K_RETURN)
        key(app, pygame.K_SPACE)
        key(app, pygame.K_RETURN)
    assert ctrl.model.turn == 3 and seen_urgent  # proposals to answer or votes arrived


def test_hand_over_and_scorecard_read_right(scenario, tmp_path):
    """"The United States' team is ready", the first team is not told of a previous team, and a
    scorecard without crises reads "+0.0", never "-0.0"."""
    ctrl = GameController(scenario, str(BASELINE), seed=7, humans=["USA", "RUS"], anim_seconds=0.2)
    app = App(ctrl, size=(1280, 800), save_dir=str(tmp_path))
    pump(app, 2)
    assert app.w["ready"].text == "The United States' team is ready (Enter)"
    key(app, pygame.K_RETURN)
    key(app, pygame.K_ESCAPE)
    act = next(a for a in ctrl.legal() if a.kind == "set_posture")
    ctrl.choose(act)
    key(app, pygame.K_RETURN)
    assert app.w["ready"].text == "Russia's team is ready (Enter)"
    key(app, pygame.K_RETURN)
    key(app, pygame.K_ESCAPE)
    ctrl.choose(next(a for a in ctrl.legal() if a.kind == "set_posture"))
    key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)
    pump(app, round(0.5 / DT))
    text = sheet_text(app)
    assert "crises and clashes +0.0" in text and "-0.0" not in text
    assert "-0.0" not in app.status_text


def test_play_load_names_a_bad_file_once(tmp_path):
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"x": 1}')
    for path, words in ((foreign, "is not a great-power save"), (tmp_path / "missing.json", "cannot open")):
        r = subprocess.run(
            [sys.executable, str(REPO / "run.py"), "play", "--load", str(path)],
            capture_output=True,
            text=True,
            cwd=str(tmp_path),
            env={**os.environ, "SDL_VIDEODRIVER": "dummy"},
            timeout=120,
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr
        line = r.stderr.strip()
        assert "\n" not in line and words in line, line
        assert line.count(path.name) == 1, line
