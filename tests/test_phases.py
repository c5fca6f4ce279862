"""The turn's phase functions on small hand-made worlds, table by table (as a board game's rules are tested).

Each test builds a world of two to four states from an inline scenario, sets the state it
needs, calls one phase function and checks the arrays it changed against hand-computed values.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.actions import Action
from sim.channels import CLOSED, OPEN, SUSPENDED
from sim.loader import parse_scenario
from sim.phases import act, bargain, collective, military, perceive, update
from sim.state import State, Turn
from sim.world import CAUCUS_EFFECTIVENESS, NON_DECIDER_WEIGHT, compile_world, initial_arrays

SMALL = """
schema_version: 1
name: small
start: "2021-10"
turns: 12
issues:
  ukr: {label: u, kind: accession, region: europe, decided_by: NATO, state: 0.3}
  sanc: {label: s, kind: sanctions, region: europe, decided_by: [USA, GBR], state: 0.5, inertia: 0.05}
actors:
  USA: {name: U, capability: 800, position: {ukr: 0.6, sanc: 0.7}, salience: {ukr: 0.5, sanc: 0.5}, threat: {RUS: 0.6}}
  RUS:
    name: R
    capability: 66
    position: {ukr: 0, sanc: 0}
    salience: {ukr: 1, sanc: 0.8}
    threat: {USA: 0.8}
    beliefs: {bloc_leader: {NATO: USA}}
    red_lines:
      - issue: ukr
        threshold: 0.6
        response: {posture: {sea: 0.3}, tension: {NATO: 0.3}, suspend_channels: [USA-RUS-EMB]}
  GBR: {name: G, capability: 68, position: {ukr: 0.6, sanc: 0.8}, salience: {ukr: 0.4, sanc: 0.5}}
  UKR: {name: K, capability: 6, position: {ukr: 1, sanc: 1}, salience: {ukr: 1, sanc: 0.9}, threat: {RUS: 1}}
blocs:
  NATO: {name: N, members: [USA, GBR], rule: consensus, leader: USA, candidates: {UKR: ukr}}
channels:
  USA-RUS-EMB: {kind: embassy, endpoints: [USA, RUS], staff: 100, staff_baseline: 1200, issues: [sanc, ukr], theatres: [sea]}
  RUS-NATO: {kind: bloc_mission, endpoints: [RUS, NATO], staff: 10, staff_baseline: 20, issues: [ukr], theatres: [sea]}
  USA-RUS-MIL: {kind: military_hotline, endpoints: [USA, RUS], staff: 4, staff_baseline: 4, theatres: [sea]}
  USA-RUS-SUMMIT: {kind: summit, endpoints: [USA, RUS], staff: 1, staff_baseline: 1, issues: [sanc]}
theatres:
  sea: {name: S, region: europe, present: [RUS, USA, UKR], posture: {RUS: 0.7, USA: 0.2, UKR: 0.6}, incident_rate: 0.05}
relations:
  tension: {RUS-USA: 0.6, RUS-UKR: 0.8}
"""

DYN = {
    "channel_value": 1.0,
    "channel_upkeep": 0.004,
    "linkage": 0.5,
    "tension_closure": 0.04,
    "tension_expulsion": 0.05,
    "tension_agreement": 0.03,
    "tension_conflict": 0.01,
    "tension_incident": 0.04,
    "tension_crisis": 0.12,
    "tension_decay": 0.05,
    "escalation": 0.25,
    "clash": 0.02,
    "deconfliction": 0.8,
    "alignment_patrol": 0.01,
    "alignment_rate": 0.05,
    "alignment_pressure": 0.5,
    "posture_step": 0.1,
    "anchor": 0.15,
}


@pytest.fixture(scope="module")
def world():
    return compile_world(parse_scenario(SMALL))


def fresh(w) -> tuple[State, Turn, perceive.Structure]:
    arr = initial_arrays(w)
    st = State(
        position=arr["position"], ideal=arr["position"].copy(), salience=arr["salience"], issue_state=arr["issue_state"],
        posture=arr["posture"], tension=arr["tension"], alignment=arr["alignment"], status=arr["status"], staff=arr["staff"],
        members=w.members.copy(), grievance=np.zeros((w.n, w.n)), goodwill=np.zeros((w.n, w.n)),
        red_line_armed=[True] * len(w.red_lines), pending={},
        totals={"incidents": 0, "crises": 0, "agreements": 0, "conflicts": 0, "expulsions": 0, "closures": 0},
    )
    return st, Turn(events=[], tension_delta=np.zeros((w.n, w.n))), perceive.structure(w, st.members)


def ids(w, *names):
    return [w.actor_ids.index(a) if a in w.actor_ids else w.channel_ids.index(a) for a in names]


# --- perceive
def test_structure_caucus_leader_and_belief(world):
    w = world
    st, _, sx = fresh(w)
    usa, rus, gbr, ukr = ids(w, "USA", "RUS", "GBR", "UKR")
    mission, = ids(w, "RUS-NATO")
    ukr_issue = w.issue_ids.index("ukr")
    # NATO members caucus on the issue NATO decides; nobody else does
    assert sx.caucus[ukr_issue, usa, gbr] == CAUCUS_EFFECTIVENESS
    assert sx.caucus[ukr_issue, usa, rus] == 0 and sx.caucus[ukr_issue, usa, usa] == 0
    # the mission joins Russia to each member; the leader may act on it, other members may not
    assert sx.ch_pair[mission, rus, usa] and sx.ch_pair[mission, rus, gbr] and not sx.ch_pair[mission, usa, gbr]
    assert sx.ch_actor[mission, rus] and sx.ch_actor[mission, usa] and not sx.ch_actor[mission, gbr]
    # F5: Russia, believing NATO led by Washington, does not route through the mission
    assert sx.usable[rus, mission] == 0 and sx.usable[usa, mission] == 1
    pk, pi, _ = sx.route_pairs
    assert not ((pk == mission) & (pi == rus)).any()


@pytest.mark.parametrize(
    "status, summit_turn, expected",
    [(OPEN, False, "curve"), (SUSPENDED, False, 0.0), (CLOSED, False, 0.0)],
)
def test_channel_effectiveness_by_status(world, status, summit_turn, expected):
    w = world
    st, _, _ = fresh(w)
    emb, = ids(w, "USA-RUS-EMB")
    st.status[emb] = status
    e = perceive.channel_effectiveness(w, st.staff, st.status, ())
    if expected == "curve":
        q = 100 / 1200
        assert e[emb] == pytest.approx(q * 1.25 / (q + 0.25))
    else:
        assert e[emb] == expected


def test_summit_channel_is_effective_only_in_its_turn(world):
    w = world
    st, _, _ = fresh(w)
    summit, = ids(w, "USA-RUS-SUMMIT")
    assert perceive.channel_effectiveness(w, st.staff, st.status, ())[summit] == 0.0
    assert perceive.channel_effectiveness(w, st.staff, st.status, (summit,))[summit] == 1.0


def test_routes_best_channel_caucus_or_none(world):
    w = world
    st, _, sx = fresh(w)
    usa, rus, gbr, ukr = ids(w, "USA", "RUS", "GBR", "UKR")
    emb, = ids(w, "USA-RUS-EMB")
    e = perceive.channel_effectiveness(w, st.staff, st.status, ())
    eff, chan = perceive.routes(w, sx, e)
    k_ukr, k_sanc = w.issue_ids.index("ukr"), w.issue_ids.index("sanc")
    assert chan[k_sanc, usa, rus] == emb and eff[k_sanc, usa, rus] == pytest.approx(e[emb])
    assert chan[k_ukr, usa, gbr] == -1 and eff[k_ukr, usa, gbr] == CAUCUS_EFFECTIVENESS
    assert chan[k_sanc, ukr, rus] == -2 and eff[k_sanc, ukr, rus] == 0.0


def test_decisiveness_believer_sees_only_the_leader(world):
    w = world
    _, _, sx = fresh(w)
    usa, rus, gbr = ids(w, "USA", "RUS", "GBR")
    k = w.issue_ids.index("ukr")
    dec = perceive.decisiveness(w, sx.deciders)
    assert dec[k, usa, gbr] == 1.0  # a member decides, as the US sees it
    assert dec[k, rus, usa] == 1.0 and dec[k, rus, gbr] == NON_DECIDER_WEIGHT  # F5


# --- act
def test_close_channel_sends_staff_home_and_raises_tension(world):
    w = world
    st, turn, sx = fresh(w)
    st_per = perceive.perceive(w, st, sx, DYN)
    usa, rus = ids(w, "USA", "RUS")
    ai = {a: i for i, a in enumerate(w.actor_ids)}
    done = act.do(w, st, turn, sx, st_per, DYN, rus, Action("close_channel", "RUS", channel="USA-RUS-EMB"), ai, 1)
    emb, = ids(w, "USA-RUS-EMB")
    assert done and st.status[emb] == CLOSED and st.staff[emb] == 0 and st.totals["closures"] == 1
    assert turn.tension_delta[rus, usa] == DYN["tension_closure"] == turn.tension_delta[usa, rus]
    assert turn.events[-1] == {"type": "channel", "channel": "USA-RUS-EMB", "by": "RUS", "from": "open", "to": "closed"}
    # suspending a closed channel does nothing
    assert not act.do(w, st, turn, sx, st_per, DYN, rus, Action("suspend_channel", "RUS", channel="USA-RUS-EMB"), ai, 1)
    assert st.status[emb] == CLOSED


def test_expel_cuts_staff_and_records_grievance(world):
    w = world
    st, turn, sx = fresh(w)
    per = perceive.perceive(w, st, sx, DYN)
    usa, rus = ids(w, "USA", "RUS")
    emb, = ids(w, "USA-RUS-EMB")
    ai = {a: i for i, a in enumerate(w.actor_ids)}
    assert act.do(w, st, turn, sx, per, DYN, rus, Action("expel", "RUS", channel="USA-RUS-EMB", target="USA", staff=25), ai, 1)
    assert st.staff[emb] == 75 and st.grievance[usa, rus] == pytest.approx(0.25) and st.totals["expulsions"] == 1


# --- bargain
@pytest.mark.parametrize(
    "outcome, counter, sign",
    [(2, "agreements", -1), (3, "agreements", -1), (1, "conflicts", 1), (4, "conflicts", 1), (0, None, 0)],
)
def test_record_outcome_counts_and_moves_tension(world, outcome, counter, sign):
    w = world
    st, turn, _ = fresh(w)
    usa, rus = ids(w, "USA", "RUS")
    bargain.record_outcome(w, st, turn, DYN, usa, rus, 0, outcome, 0.5, 0.0, 0.1)
    if counter:
        assert st.totals[counter] == 1
    assert np.sign(turn.tension_delta[usa, rus]) == sign
    assert turn.events[-1]["type"] == "proposal"


# --- military
def test_deconfliction_is_one_minus_the_product_of_gaps(world):
    w = world
    _, _, sx = fresh(w)
    usa, rus, ukr = ids(w, "USA", "RUS", "UKR")
    e = np.zeros(len(w.channel_ids))
    mil, emb = ids(w, "USA-RUS-MIL", "USA-RUS-EMB")
    e[mil], e[emb] = 0.5, 0.5
    dec = military.deconfliction(w, sx, e)
    expected = 1 - (1 - 0.5 * 1.0) * (1 - 0.5 * 0.2)  # hotline weight 1, embassy 0.2
    assert dec[0, usa, rus] == pytest.approx(expected)
    assert dec[0, rus, ukr] == 0.0


@pytest.mark.parametrize("ue, uc, crisis, clash", [(0.0, 0.0, True, True), (0.0, 0.99, True, False), (0.99, 0.0, False, False)])
def test_incident_escalation_by_its_draws(world, ue, uc, crisis, clash):
    w = world
    st, turn, sx = fresh(w)
    rus, ukr = ids(w, "RUS", "UKR")
    e = np.zeros(len(w.channel_ids))
    military.incident(w, st, turn, sx, e, DYN, np.random.default_rng(0), 0, rus, ukr, ue=ue, uc=uc)
    rec = turn.events[-1]
    assert rec["crisis"] is crisis and bool(rec.get("armed_clash")) is clash
    assert (st.end_state == "armed_clash") is clash
    assert turn.tension_delta[rus, ukr] == pytest.approx(DYN["tension_incident"] + (DYN["tension_crisis"] if crisis else 0))


# --- collective
@pytest.mark.parametrize("gbr_position, passed", [(0.6, True), (0.5, False)])
def test_consensus_vote_on_an_application(world, gbr_position, passed):
    w = world
    st, turn, _ = fresh(w)
    gbr, ukr = ids(w, "GBR", "UKR")
    k = w.issue_ids.index("ukr")
    st.position[gbr, k] = gbr_position
    st.motions.append({"bloc": 0, "candidate": ukr, "issue": k, "votes": {}, "turn": 1})
    collective.vote_motions(w, st, turn, set(), 2)
    assert turn.events[-1]["passed"] is passed
    assert st.issue_state[k] == (0.6 if passed else 0.3)
    assert st.rebuffs.get((0, ukr), 0) == (0 if passed else 1)


def test_red_line_fires_once_and_rearms(world):
    w = world
    st, turn, _ = fresh(w)
    rus, usa = ids(w, "RUS", "USA")
    emb, = ids(w, "USA-RUS-EMB")
    k = w.issue_ids.index("ukr")
    st.issue_state[k] = 0.6
    collective.check_red_lines(w, st, turn)
    assert [e["type"] for e in turn.events] == ["red_line"]
    assert st.posture[rus, 0] == pytest.approx(1.0) and st.status[emb] == SUSPENDED
    assert turn.tension_delta[rus, usa] == pytest.approx(0.3)
    collective.check_red_lines(w, st, turn)
    assert len(turn.events) == 1  # disarmed until the issue falls back
    st.issue_state[k] = 0.3
    collective.check_red_lines(w, st, turn)
    assert st.red_line_armed == [True]


# --- update
@pytest.mark.parametrize(
    "usa, gbr, expected",
    [(0.7, 0.8, 0.55), (0.52, 0.8, 0.52), (0.7, 0.3, 0.5), (0.4, 0.3, 0.45)],
)
def test_consensus_issue_moves_to_the_most_reluctant_within_inertia(world, usa, gbr, expected):
    w = world
    st, turn, sx = fresh(w)
    i_usa, i_gbr = ids(w, "USA", "GBR")
    k = w.issue_ids.index("sanc")
    st.position[i_usa, k], st.position[i_gbr, k] = usa, gbr
    update.issue_states(w, st, turn, sx.deciders)
    assert st.issue_state[k] == pytest.approx(expected)


def test_accession_issue_moves_by_motions_only(world):
    w = world
    st, turn, sx = fresh(w)
    k = w.issue_ids.index("ukr")
    st.position[:, k] = 1.0
    update.issue_states(w, st, turn, sx.deciders)
    assert st.issue_state[k] == 0.3


def test_tension_decays_toward_half_the_hostility(world):
    w = world
    st, turn, sx = fresh(w)
    usa, rus = ids(w, "USA", "RUS")
    per = perceive.perceive(w, st, sx, DYN)
    update.relations(w, st, turn, per.threat_perc, DYN)
    floor = 0.5 * 0.8
    assert st.tension[usa, rus] == pytest.approx(0.6 - DYN["tension_decay"] * (0.6 - floor))
    assert st.tension[usa, rus] == st.tension[rus, usa]
