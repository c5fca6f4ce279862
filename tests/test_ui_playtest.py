"""Defects found by playing main in a real X window (Xvfb, xdotool, screenshots), fixed and
checked here headless by posting real events and reading what is drawn.

Hot-seat teams' objectives stay secret in the month's results; a cold numba cache shows a notice
before it compiles and drops the clicks queued meanwhile; no "proposals await" after the end; a
team's own proposals' outcomes are in the month's summary; "gave way" names who did; the
briefing, the top bar and the default save name name the same turn; the scores keep their
order; the instructor's lists end inside its window and scroll; the action menu grows (M); the
words for deconfliction and a staffing ceiling are true to the model's state.
"""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import copy  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from html import unescape  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402

# pytest puts tests/ on the path (its default "prepend" import mode)
from test_ui import (  # noqa: E402
    BASELINE,
    REPO,
    choose_category,
    click,
    click_action,
    click_list_item,
    end_turn_and_wait,
    key,
    make_app,
    menu_items,
    pick_dropdown,
    pump,
    sheet_text,
)

from sim.loader import load_scenario  # noqa: E402
from sim.model import GreatPowerModel  # noqa: E402
from sim.ui.app import App  # noqa: E402
from sim.ui.controller import GameController  # noqa: E402


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(str(BASELINE))


def hotseat_app(scenario, tmp_path, teams=("RUS", "USA"), turns=None):
    ctrl = GameController(scenario, str(BASELINE), seed=7, humans=list(teams), turns=turns, anim_seconds=0.2)
    app = App(ctrl, size=(1280, 800), save_dir=str(tmp_path / "saves"), screenshot_dir=str(tmp_path / "shots"))
    pump(app, 2)
    return app


def play_hotseat_month(app):
    """Every team takes the keyboard, reads its briefing, ends its turn with nothing chosen."""
    c = app.ctrl
    turn = c.model.turn
    for _ in c.humans:
        assert c.phase == "handover"
        key(app, pygame.K_RETURN)  # the team is ready
        if app.sheet == "briefing":
            key(app, pygame.K_RETURN)
        key(app, pygame.K_RETURN)  # End turn
        if app.confirm_dialog is not None:
            key(app, pygame.K_RETURN)
    assert c.model.turn == turn + 1
    key(app, pygame.K_SPACE)


def play_month_choosing(app, choices):
    """Every team takes the keyboard, chooses its actions of ``choices`` (team id -> Actions)
    and ends its turn; the month's results are then shown."""
    c = app.ctrl
    for team in c.humans:
        key(app, pygame.K_RETURN)  # the team is ready
        if app.sheet == "briefing":
            key(app, pygame.K_RETURN)
        for a in choices.get(team, []):
            assert c.choose(a), c.message
        key(app, pygame.K_RETURN)  # End turn
        if app.confirm_dialog is not None:
            key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)


def shot(app, tmp_path, name):
    """Save what is drawn now (the tests' screenshots, to look at)."""
    out = os.environ.get("GREATPOWER_TEST_SHOTS") or str(tmp_path)
    return app.screenshot(os.path.join(out, name))


def open_category(app, group):
    """Show a menu category (the drop-down is used only when another one shows)."""
    if app.category != group:
        choose_category(app, group)
    assert app.category == group


def objective_texts(scenario, team):
    return [ob.text for ob in scenario.objectives.get(team, [])]


# --------------------------------------------------------------------------- 1. secret objectives
def test_hotseat_results_keep_each_teams_objectives_secret(scenario, tmp_path):
    app = hotseat_app(scenario, tmp_path)
    play_hotseat_month(app)
    assert app.current_sheet() == "results"
    text = sheet_text(app)
    shot(app, tmp_path, "results_hotseat.png")
    for team in ("RUS", "USA"):
        for ob in objective_texts(scenario, team):
            assert ob not in text, f"{team}'s objective shown to the room: {ob}"
    assert "objectives are secret" in text and "Scorecard" in text
    # B in the results with Russia selected: its briefing stays closed to the room
    app.ctrl.select("actor", "RUS")
    app.open_sheet("briefing")
    pump(app)
    assert "briefing is secret" in sheet_text(app)
    assert not any(ob in sheet_text(app) for ob in objective_texts(scenario, "RUS"))
    key(app, pygame.K_ESCAPE)
    key(app, pygame.K_RETURN)  # continue: the hand-over to Russia
    key(app, pygame.K_RETURN)  # Russia is ready: its briefing, its objectives with their status
    assert app.current_sheet() == "briefing"
    text = sheet_text(app)
    assert all(ob in text for ob in objective_texts(scenario, "RUS"))
    assert not any(ob in text for ob in objective_texts(scenario, "USA"))
    assert any(w in text for w in ("met", "not yet", "on track"))


def test_one_team_sees_its_own_objectives_in_the_results(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS",))
    end_turn_and_wait_results(app)
    text = sheet_text(app)
    assert all(ob in text for ob in objective_texts(scenario, "RUS"))
    assert "secret" not in text


def end_turn_and_wait_results(app):
    key(app, pygame.K_RETURN)
    if app.confirm_dialog is not None:
        key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)
    assert app.current_sheet() == "results"


# --------------------------------------------------------------------------- 2. a cold numba cache
def test_a_cold_cache_is_found_without_compiling(tmp_path):
    cache = tmp_path / "numba"
    cache.mkdir()
    code = "from sim.compiled_cache import compile_ahead, functions_to_compile; print(compile_ahead(), len(functions_to_compile()))"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    cold, n = out.stdout.split()
    assert cold == "True" and int(n) > 10
    assert not list(cache.rglob("*.nbc")), "the check compiled something"


def test_a_warm_process_needs_no_notice(scenario):
    from sim.compiled_cache import compile_ahead, compile_now, functions_to_compile

    compile_now(scenario)  # a turn in this process: every function of a turn is loaded
    assert functions_to_compile() == [] and compile_ahead() is False


def test_the_notice_shows_before_the_compile_and_queued_clicks_are_dropped(scenario, tmp_path):
    from sim.compiled_cache import NOTICE

    app = make_app(scenario, tmp_path, humans=("RUS",))
    c = app.ctrl
    act = next(a for a in c.legal() if a.kind == "set_posture")
    c.choose(act)
    # a cold cache, as compile_ahead() reports it: the clicks and keys a player makes while
    # the window cannot answer (End turn, Enter) wait in the queue
    app.compile_pending = True
    end = app.w["end"].rect.center
    for ev in (
        pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=end, button=1),
        pygame.event.Event(pygame.MOUSEBUTTONUP, pos=end, button=1),
        pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="\r", scancode=0),
    ):
        pygame.event.post(ev)
    assert app.prepare_compiled() is True
    # what the window shows when the compile starts (nothing is drawn over it until it ends)
    assert app.notice_lines[0] == NOTICE.split(": ")[0]
    assert "compiling once" in app.notice_lines[1].lower() and "later starts are fast" in app.notice_lines[1]
    from sim.ui import theme

    surf = app.screen  # as flipped before the compile (no frame has been drawn since)
    pygame.image.save(surf, os.path.join(os.environ.get("GREATPOWER_TEST_SHOTS") or str(tmp_path), "compile_notice.png"))
    assert not app.w["end"].visible or tuple(surf.get_at((2, 790)))[:3] == theme.BG  # a whole screen, not the game's
    accent = sum(1 for x in range(0, 1280, 2) for y in range(0, 400, 2) if tuple(surf.get_at((x, y)))[:3] == tuple(theme.ACCENT))
    assert accent > 50, "the notice's title is not drawn"
    assert tuple(surf.get_at((1279, 60)))[:3] == tuple(theme.BG)  # no panel: the notice alone
    assert app.dropped_events >= 3
    pump(app, 5)
    assert c.model.turn == 0 and c.phase == "plan", "a click queued during the compile ended the turn"
    assert app.prepare_compiled() is False  # once


# --------------------------------------------------------------------------- 3. the end of the game
def test_no_proposals_await_after_the_game_has_ended(scenario, tmp_path):
    app = hotseat_app(scenario, tmp_path, turns=1)
    play_hotseat_month(app)
    key(app, pygame.K_RETURN)  # continue from the results: the game is over
    assert app.ctrl.phase == "over"
    if app.sheet:
        key(app, pygame.K_ESCAPE)
    assert app.ctrl.history[-1]["pending"]["RUS"], "the case needs proposals left to Russia"
    app.ctrl.select("actor", "RUS")
    pump(app, 2)
    text = " ".join(t for r in app.panel_views["selected"].rows for _r, t, _s in r.texts)
    assert "await" not in text and "unanswered" in text


# --------------------------------------------------------------------------- 4, 5. the month's words
def test_the_month_lists_the_teams_own_proposals_and_their_outcomes(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS",))
    c = app.ctrl
    open_category(app, "propose")
    props = menu_items(app)[:2]
    for a in props:
        click_action(app, a)
    assert [a for a in c.chosen["RUS"] if a.kind == "propose"] == props
    end_turn_and_wait_results(app)
    text = sheet_text(app)
    mine = [e for e in c.model.log[-1]["events"] if e.get("type") == "proposal" and e["from"] == "RUS"]
    assert len(mine) >= 2
    from sim.describe import actor_name, issue_words

    for e in mine:
        who, what = actor_name(scenario, e["to"]), issue_words(scenario, e["issue"])
        assert f"proposal to {who} on {what}" in text or (f"Russia and {who} reached" in text and what in text), (e, text)


def test_gave_way_names_the_side_that_gave_way():
    from sim.describe import month_summary
    from sim.score import GameRecord

    sc = load_scenario(str(BASELINE))
    s0 = json.loads(json.dumps(GreatPowerModel(sc, seed=1).snapshot()))
    s1 = copy.deepcopy(s0)
    s1["turn"] = 1
    ev = {"type": "proposal", "from": "USA", "to": "RUS", "issue": "nato_ukraine", "outcome": "capitulation", "moved": 1.0, "position": [0.0, 0.6]}
    rec = GameRecord(sc, [s0, s1], [{"turn": 1, "events": [ev]}])
    for reader in (["RUS"], ["USA"], ["RUS", "USA"]):  # the same true words for either side
        text = " ".join(month_summary(rec, 1, focus=reader))
        assert "Russia gave way" in text and "other side" not in text


# --------------------------------------------------------------------------- 6. dates, save name, order
def test_briefing_top_bar_and_save_name_name_the_turn_planned(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS",))
    end_turn_and_wait(app)
    end_turn_and_wait(app)
    c = app.ctrl
    t, date = c.turn_named()
    assert t == 3 and f"{date}  turn 3/" in app.status_text
    key(app, pygame.K_b, unicode="b")
    assert f"turn 3, {date}" in sheet_text(app)
    key(app, pygame.K_ESCAPE)
    assert app._default_save_path().endswith("baseline_2021-turn03.json")


def test_the_scores_keep_the_teams_order_every_month(scenario, tmp_path):
    app = hotseat_app(scenario, tmp_path, teams=("USA", "RUS"))
    for _ in range(3):
        play_hotseat_month(app)
        line = app.status_text.splitlines()[1]
        assert line.index("USA") < line.index("RUS"), line
        assert [r[0] for r in app.ctrl.scores_in_team_order()] == ["USA", "RUS"]
        text = sheet_text(app)
        assert text.index("United States (USA):") < text.index("Russia (RUS):")
        key(app, pygame.K_RETURN)


# --------------------------------------------------------------------------- 7, 8. lists and menu
def test_the_instructors_state_list_ends_inside_its_window_and_scrolls(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS",))
    key(app, pygame.K_i, unicode="i")
    pick_dropdown(app, app.inst_widgets["kind"], "Summit")
    dd = app.inst_widgets["a"]
    click(app, dd.rect.center)
    lst = dd.menu_states["expanded"].options_selection_list
    shot(app, tmp_path, "instructor_list.png")
    inside = app.instructor.get_container().get_rect()
    assert inside.contains(lst.rect), (lst.rect, inside)
    assert lst.scroll_bar is not None  # more states than rows: the list scrolls
    last = scenario.actors[list(scenario.actors)[-1]]
    label = f"{list(scenario.actors)[-1]} {last.name}"
    click_list_item(app, lst, label)  # scrolled to and chosen
    assert app.inst_form["a"] == list(scenario.actors)[-1]


def test_the_action_menu_grows_over_the_map_and_stays_usable(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS",))
    open_category(app, "propose")
    small = app.views["available"].rect.copy()
    n_small = sum(1 for i in range(len(app.views["available"].rows)) if app.views["available"].row_rect(i) is not None)
    click(app, app.w["menu_size"].rect.center)
    big = app.views["available"].rect
    assert app.menu_big and big.h > 2 * small.h and big.w > small.w
    assert not app.w["log"].visible  # the log gives up its place while the menu is large
    assert app.category == "propose"
    shot(app, tmp_path, "menu_large.png")
    n_big = sum(1 for i in range(len(app.views["available"].rows)) if app.views["available"].row_rect(i) is not None)
    assert n_big >= 2.5 * n_small
    far = menu_items(app)[-1]  # the last of the 41 proposals: scrolled to and chosen
    click_action(app, far)
    assert far in app.ctrl.chosen["RUS"]
    key(app, pygame.K_m, unicode="m")  # back
    assert not app.menu_big and app.w["log"].visible and app.views["available"].rect.h == small.h


# --------------------------------------------------------------------------- 9. true words
def test_deconfliction_is_worded_as_the_model_applies_it(scenario):
    from sim.describe import deconfliction_words
    from sim.ui import logtext

    ev = {"type": "incident", "theatre": "black_sea", "actors": ["RUS", "USA"], "deconfliction": 1.0, "crisis": True}
    html = unescape(logtext.event_html(ev, set(), logtext.Words(scenario)))
    w = scenario.dynamics.deconfliction.value
    assert f"cut the risk of escalation by {100 * w:.0f} %" in html and "CRISIS</b> all the same" in html
    assert deconfliction_words(scenario, 0.0) == "no open channel between them deconflicts there"


def test_a_closed_embassy_shows_no_staff_beside_its_staffing_ceiling(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS",))
    c = app.ctrl
    c.choose(next(a for a in c.legal() if a.kind == "close_channel" and a.channel == "RUS-USA-EMB"))
    end_turn_and_wait(app)
    assert c.history[-1]["channels"]["RUS-USA-EMB"]["status"] == "closed"
    assert c.history[-1]["issues"]["embassy_staffing"]["state"] > 0  # the model's ceiling stays
    pump(app, 2)
    text = " ".join(t for r in app.panel_views["issues"].rows for _r, t, _s in r.texts)
    label = c.static.channel_labels["RUS-USA-EMB"]
    assert f"{label} closed (no staff)" in text and "ceiling" in text


# --------------------------------------------------------------------------- 10. a human host decides
def test_a_human_host_is_asked_to_reopen_a_channel_and_decides(scenario, tmp_path):
    from sim.actions import Action

    app = hotseat_app(scenario, tmp_path, teams=("USA", "RUS"))
    c = app.ctrl
    emb = "USA-RUS-EMB"  # the US embassy in Moscow: sent by the United States, hosted by Russia

    def month(choices):
        play_month_choosing(app, choices)
        text = sheet_text(app)
        key(app, pygame.K_RETURN)  # on from the results
        return text

    month({"USA": [Action("close_channel", "USA", channel=emb)]})
    assert c.history[-1]["channels"][emb]["status"] == "closed"
    text = month({"USA": [Action("open_channel", "USA", channel=emb)]})
    ev = [e for e in c.model.log[-1]["events"] if e.get("type", "").startswith("channel")]
    assert [e["type"] for e in ev] == ["channel_request"] and ev[0]["host"] == "RUS"  # asked, not refused
    assert "asks Russia to reopen" in text and "answers next month" in text
    assert c.history[-1]["channels"][emb]["status"] == "closed"
    # Russia's turn: the request is under Answers, in words, with its two answers
    key(app, pygame.K_RETURN)  # the United States plans nothing this month
    if app.sheet == "briefing":
        key(app, pygame.K_RETURN)
    key(app, pygame.K_RETURN)
    if app.confirm_dialog is not None:
        key(app, pygame.K_RETURN)
    key(app, pygame.K_RETURN)  # Russia is ready
    if app.sheet == "briefing":
        key(app, pygame.K_RETURN)
    assert c.current_team == "RUS" and app.category == "answer"
    rows = " ".join(t for r in app.views["available"].rows for _r, t, _s in r.texts)
    assert "asks you to reopen" in rows and "Agree to the United States' request" in rows
    accept = next(a for a in menu_items(app) if a.kind == "answer" and a.channel == emb and a.choice == "accept")
    click_action(app, accept)
    assert accept in c.chosen["RUS"]
    shot(app, tmp_path, "reopen_request.png")
    key(app, pygame.K_RETURN)  # End turn: the month resolves
    key(app, pygame.K_SPACE)
    ev = [e for e in c.model.log[-1]["events"] if e.get("type") == "channel" and e["channel"] == emb]
    assert ev and ev[0]["to"] == "open" and ev[0]["consent"] == "RUS"
    assert c.history[-1]["channels"][emb]["status"] == "open"


# --------------------------------------------------------------------------- 11. a save never replaces a file unasked
def test_saving_over_an_existing_file_asks_first_and_defaults_to_no(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS",))
    end_turn_and_wait(app)
    old = app._default_save_path()  # e.g. a save from an earlier day, of the same name
    os.makedirs(os.path.dirname(old), exist_ok=True)
    with open(old, "w") as f:
        f.write('{"an": "earlier save"}')
    key(app, pygame.K_s, mod=pygame.KMOD_CTRL)
    assert app.file_dialog is not None and app.file_dialog.file_path_text_line.get_text().endswith(os.path.basename(old))
    key(app, pygame.K_RETURN)  # Enter in the file-name field presses OK
    pump(app, 2)
    assert app.file_dialog is None and app.confirm_dialog is not None
    assert "already exists" in app.messages[-1] and "Replace" in app.messages[-1]
    shot(app, tmp_path, "save_replace.png")
    key(app, pygame.K_RETURN)  # the default is No: back to the file name, to change it
    pump(app, 2)
    assert app.confirm_dialog is None and app.file_dialog is not None
    assert app.file_dialog.file_path_text_line.get_text() == str(old)
    assert open(old).read() == '{"an": "earlier save"}'
    key(app, pygame.K_ESCAPE)  # no save at all
    assert app.file_dialog is None and open(old).read() == '{"an": "earlier save"}'
    key(app, pygame.K_s, mod=pygame.KMOD_CTRL)
    key(app, pygame.K_RETURN)
    pump(app, 2)
    click(app, app.confirm_dialog.cancel_button.rect.center)  # Cancel is no too
    assert app.confirm_dialog is None and app.file_dialog is not None
    assert open(old).read() == '{"an": "earlier save"}'
    key(app, pygame.K_RETURN)  # Enter in the reopened field: asked again
    pump(app, 2)
    click(app, app.confirm_dialog.confirm_button.rect.center)  # Replace, chosen by hand
    assert json.load(open(old))["turn"] == 1 and not app.ctrl.unsaved
    # a new name: Enter saves at once, nothing to ask
    key(app, pygame.K_s, mod=pygame.KMOD_CTRL)
    entry = app.file_dialog.file_path_text_line
    new = os.path.join(os.path.dirname(old), "fresh.json")
    entry.set_text(new)
    key(app, pygame.K_RETURN)
    pump(app, 2)
    assert app.confirm_dialog is None and app.file_dialog is None
    assert json.load(open(new))["turn"] == 1


# --------------------------------------------------------------------------- 12. no "next month" after the end
def test_a_request_in_the_last_month_is_worded_for_a_finished_game(scenario, tmp_path):
    from sim.actions import Action

    app = hotseat_app(scenario, tmp_path, teams=("USA", "RUS"), turns=2)
    c = app.ctrl
    emb = "USA-RUS-EMB"  # hosted by Russia, a team: a request to reopen it waits for its answer

    play_month_choosing(app, {"USA": [Action("close_channel", "USA", channel=emb)]})
    key(app, pygame.K_RETURN)
    # the last month: the sender's menu says that the host must agree to the reopening
    key(app, pygame.K_RETURN)  # the United States is ready
    if app.sheet == "briefing":
        key(app, pygame.K_RETURN)
    open_category(app, "channel")
    rows = " ".join(t for r in app.views["available"].rows for _r, t, _s in r.texts)
    shot(app, tmp_path, "menu_reopen.png")
    assert "Reopen the US embassy in Moscow (Russia must agree; it then restarts with a skeleton staff)" in rows, rows
    click_action(app, Action("open_channel", "USA", channel=emb))
    key(app, pygame.K_RETURN)  # End turn
    if app.confirm_dialog is not None:
        key(app, pygame.K_RETURN)
    key(app, pygame.K_RETURN)  # Russia is ready
    if app.sheet == "briefing":
        key(app, pygame.K_RETURN)
    key(app, pygame.K_RETURN)
    if app.confirm_dialog is not None:
        key(app, pygame.K_RETURN)
    key(app, pygame.K_SPACE)
    assert not c.model.running
    assert any(e.get("type") == "channel_request" for e in c.model.log[-1]["events"])
    text = sheet_text(app)
    shot(app, tmp_path, "results_last_month.png")
    assert "next month" not in text and "the game ended before Russia answered" in text, text
    assert "had no effect" not in text  # the request is said once, as a request
    key(app, pygame.K_RETURN)  # on: the end screen
    assert app.ctrl.phase == "over"
    text = sheet_text(app)
    assert "next month" not in text, text
    from sim.ui import logtext

    html = logtext.turn_html(c.model.log[-1], words=logtext.Words(scenario))
    assert "next month" not in html and "the game ended before" in html


# --------------------------------------------------------------------------- 13. votes a team leaves
def test_end_turn_lists_the_motions_a_team_has_not_voted_on(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("USA",))
    c = app.ctrl
    for _ in range(4):
        if c.model.state.motions:
            break
        end_turn_and_wait(app)
    motions = c.shown_snapshot()["motions"]
    nato = [m for m in motions if "USA" in scenario.blocs[m["bloc"]].members]
    assert len(nato) >= 2, "the case needs two applications to a bloc of the United States"
    c.choose(next(a for a in c.legal() if a.kind == "set_posture"))  # an action: only the votes are asked about
    click(app, app.w["end"].rect.center)
    assert app.confirm_dialog is not None and c.phase == "plan", "the turn ended without a word on the votes"
    text = app.messages[-1]
    shot(app, tmp_path, "unvoted_motions.png")
    rule = c.unvoted_motions("USA")
    assert len(rule) == len(nato) and f"has not voted on {len(nato)} motions" in text
    assert "cast by your state's usual rule" in text
    from sim.describe import actor_name, possessive

    for a, m in zip(rule, nato):
        assert f"{a.choice} on {possessive(scenario.actors[m['candidate']].name)} application to {m['bloc']}" in text, text
    key(app, pygame.K_ESCAPE)  # back to vote
    assert c.phase == "plan" and c.model.turn >= 1
    open_category(app, "vote")
    first = rule[0]
    other = "no" if first.choice == "yes" else "yes"
    mine = next(a for a in menu_items(app) if a.kind == "vote" and a.bloc == first.bloc and a.issue == first.issue and a.choice == other)
    click_action(app, mine)
    assert mine in c.chosen["USA"]
    click(app, app.w["end"].rect.center)
    text = app.messages[-1]
    cand = actor_name(scenario, nato[0]["candidate"])
    assert f"has not voted on {len(nato) - 1} motion" in text and cand.removeprefix("the ") + "'s application" not in text
    turn = c.model.turn
    key(app, pygame.K_RETURN)  # end it anyway: the rule casts the rest, the team's own vote stands
    assert c.model.turn == turn + 1
    votes = [e for e in c.model.log[-1]["events"] if e.get("type") == "vote" and e.get("candidate") == nato[0]["candidate"]]
    assert votes and ("USA" in votes[0]["yes"]) == (other == "yes")


# --------------------------------------------------------------------------- 14. the summit's channels
def test_the_summit_form_lists_only_channels_joining_its_two_states(scenario, tmp_path):
    app = make_app(scenario, tmp_path, humans=("RUS",))
    st = app.ctrl.static
    key(app, pygame.K_i, unicode="i")
    pick_dropdown(app, app.inst_widgets["kind"], "Summit")

    def choose_state(which, actor):
        dd = app.inst_widgets[which]
        click(app, dd.rect.center)
        click_list_item(app, dd.menu_states["expanded"].options_selection_list, f"{actor} {st.names[actor]}")
        assert app.inst_form[which] == actor

    def channel_options():
        return [o[1] if isinstance(o, tuple) else o for o in app.inst_widgets["channel"].options_list]

    choose_state("a", "USA")
    choose_state("b", "RUS")
    joining = lambda x, y: {c for c, ep in st.channel_endpoints.items() if set(ep) == {x, y}}  # noqa: E731
    assert set(channel_options()) - {""} == joining("USA", "RUS")
    pick_dropdown(app, app.inst_widgets["channel"], st.channel_labels["USA-RUS-SUMMIT"])
    assert app.inst_form["channel"] == "USA-RUS-SUMMIT"
    choose_state("b", "CHN")  # the second state changes: the channels follow
    shot(app, tmp_path, "summit_channels.png")
    assert set(channel_options()) - {""} == joining("USA", "CHN") and joining("USA", "CHN")
    assert app.inst_form["channel"] in joining("USA", "CHN") | {""}
    # the model refuses a summit over a channel of another pair, and the form says why
    with pytest.raises(ValueError, match="does not join|which joins"):
        app.ctrl.model.inject({"kind": "summit", "actors": ["USA", "CHN"], "channel": "USA-RUS-SUMMIT", "size": 0.1})
    app.inst_form["channel"] = "USA-RUS-SUMMIT"  # a form filled in by hand, as a stale one was
    click(app, app.inst_widgets["inject"].rect.center)
    assert not app.ctrl.model.injected and "which joins USA and RUS" in app.messages[-1]


# --------------------------------------------------------------------------- 15. the debrief's months
def test_the_debrief_lists_the_teams_own_decisions_first(scenario, tmp_path):
    from sim.actions import Action

    app = make_app(scenario, tmp_path, humans=("USA",))
    c = app.ctrl
    c.choose(Action("close_channel", "USA", channel="RUS-USA-EMB"))  # the Russian embassy in Washington
    end_turn_and_wait(app)
    end_turn_and_wait(app)
    c.select("actor", "USA")
    app.open_sheet("debrief")
    pump(app, 2)
    text = sheet_text(app)
    shot(app, tmp_path, "debrief_months.png")
    month = text[text.index("Month by month"):]
    t1 = month[month.index("Turn 1 ("):month.index("Turn 2 (")]
    close = "The United States closes the Russian embassy in Washington"
    assert close in t1, t1
    first = t1.index("- ")
    assert t1.index(close) == first + 2, "the team's own decision is not listed first"
    assert t1.count("await") <= 1, "pending proposals crowd the month"
