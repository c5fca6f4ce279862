"""The turn's phase functions on small hand-made worlds, table by table (as a board game's rules are tested).

Each test builds a world of five states from an inline scenario, sets the state it needs, calls
one phase function and checks the arrays it changed against hand-computed values.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import kernel, policy
from sim.actions import Action
from sim.channels import CLOSED, OPEN, SUSPENDED
from sim.loader import parse_scenario
from sim.phases import act, bargain, collective, decide, force, military, perceive, update
from sim.schema import Dynamics, flatten_dynamics
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
  staff: {label: e, kind: staffing, decided_by: [USA, RUS], state: 0.0833, inertia: 0.03, staffing_channels: [USA-RUS-EMB]}
  iran: {label: i, kind: sanctions, decided_by: UNSC, state: 0.4, inertia: 0.05}
actors:
  USA: {name: U, capability: 800, position: {ukr: 0.6, sanc: 0.7, staff: 0.7, iran: 0.9}, salience: {ukr: 0.5, sanc: 0.5, staff: 0.5, iran: 0.6}, threat: {RUS: 0.6, CHN: 0.9}}
  RUS:
    name: R
    capability: 66
    position: {ukr: 0, sanc: 0, staff: 0.4, iran: 0.2}
    salience: {ukr: 1, sanc: 0.8, staff: 0.5, iran: 0.3}
    threat: {USA: 0.8}
    beliefs: {bloc_leader: {NATO: USA}, leader_weight: 0.8}  # 0.9 in the built-in scenarios
    coordination: {CHN: 0.5}
    red_lines:
      - issue: ukr
        threshold: 0.6
        response: {posture: {sea: 0.3}, tension: {NATO: 0.3}, suspend_channels: [USA-RUS-EMB]}
  GBR: {name: G, capability: 68, position: {ukr: 0.6, sanc: 0.8, staff: 0.6, iran: 0.7}, salience: {ukr: 0.4, sanc: 0.5, staff: 0.1, iran: 0.4}, threat: {RUS: 0.6}}
  UKR: {name: K, capability: 6, position: {ukr: 1, sanc: 1, staff: 0.5, iran: 0.5}, salience: {ukr: 1, sanc: 0.9, staff: 0.05, iran: 0.1}, threat: {RUS: 1}}
  CHN: {name: C, capability: 290, position: {ukr: 0.2, sanc: 0.1, staff: 0.5, iran: 0.1}, salience: {ukr: 0.1, sanc: 0.2, staff: 0.05, iran: 0.3}, threat: {USA: 0.9}, coordination: {RUS: 0.5}}
blocs:
  NATO: {name: N, members: [USA, GBR], rule: consensus, leader: USA, military: true, candidates: {UKR: ukr}}
  UNSC: {name: S, members: [USA, RUS, CHN], rule: majority, veto: [USA, RUS, CHN]}
channels:
  USA-RUS-EMB: {kind: embassy, endpoints: [USA, RUS], staff: 100, staff_baseline: 1200, issues: [sanc, ukr, staff], theatres: [sea]}
  RUS-NATO: {kind: bloc_mission, endpoints: [RUS, NATO], staff: 10, staff_baseline: 20, issues: [ukr], theatres: [sea]}
  NATO-MOW: {kind: bloc_mission, endpoints: [NATO, RUS], status: closed, staff: 0, staff_baseline: 10, issues: [ukr]}
  USA-RUS-MIL: {kind: military_hotline, endpoints: [USA, RUS], staff: 4, staff_baseline: 4, theatres: [sea]}
  USA-RUS-SUMMIT: {kind: summit, endpoints: [USA, RUS], staff: 1, staff_baseline: 1, issues: [sanc]}
  RUS-USA-UN: {kind: un, endpoints: [RUS, USA], venue: UNSC, staff: 70, staff_baseline: 100, issues: [staff]}
  RUS-CHN-MIL: {kind: military_hotline, endpoints: [RUS, CHN], staff: 4, staff_baseline: 4, theatres: [sea]}
theatres:
  sea: {name: S, region: europe, present: [RUS, USA, UKR, CHN], posture: {RUS: 0.7, USA: 0.2, UKR: 0.6, CHN: 0.3}, incident_rate: 0.05}
relations:
  tension: {RUS-USA: 0.6, RUS-UKR: 0.8}
  alignment: {CHN-RUS: 0.4, UKR-USA: 0.4}
"""

DYN = flatten_dynamics(Dynamics())


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


def issue(w, name):
    return w.issue_ids.index(name)


AI = None  # action helpers build their own id map


def amap(w):
    return {a: i for i, a in enumerate(w.actor_ids)}


# --- perceive
def test_structure_caucus_leader_and_belief_discount(world):
    w = world
    st, _, sx = fresh(w)
    usa, rus, gbr = ids(w, "USA", "RUS", "GBR")
    mission, = ids(w, "RUS-NATO")
    k = issue(w, "ukr")
    # NATO members caucus on the issue NATO decides; nobody else does
    assert sx.caucus[k, usa, gbr] == CAUCUS_EFFECTIVENESS
    assert sx.caucus[k, usa, rus] == 0 and sx.caucus[k, usa, usa] == 0
    # the mission joins Russia to each member; the leader may act on it, other members may not
    assert sx.ch_pair[mission, rus, usa] and sx.ch_pair[mission, rus, gbr] and not sx.ch_pair[mission, usa, gbr]
    assert sx.ch_actor[mission, rus] and sx.ch_actor[mission, usa] and not sx.ch_actor[mission, gbr]
    # F5: Russia's belief (weight 0.8) discounts the mission to a fifth; it does not erase it
    assert sx.usable[rus, mission] == pytest.approx(0.2) and sx.usable[usa, mission] == 1


def test_belief_discounts_the_mission_as_a_route(world):
    w = world
    st, _, sx = fresh(w)
    rus, gbr = ids(w, "RUS", "GBR")
    mission, = ids(w, "RUS-NATO")
    e = perceive.channel_effectiveness(w, st.staff, st.status, ())
    eff, chan = perceive.routes(w, sx, e)
    k = issue(w, "ukr")
    assert chan[k, rus, gbr] == mission and eff[k, rus, gbr] == pytest.approx(0.2 * e[mission])


@pytest.mark.parametrize("status, expected", [(OPEN, "curve"), (SUSPENDED, 0.0), (CLOSED, 0.0)])
def test_channel_effectiveness_by_status(world, status, expected):
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
    k_ukr, k_sanc = issue(w, "ukr"), issue(w, "sanc")
    assert chan[k_sanc, usa, rus] == emb and eff[k_sanc, usa, rus] == pytest.approx(e[emb])
    assert chan[k_ukr, usa, gbr] == -1 and eff[k_ukr, usa, gbr] == CAUCUS_EFFECTIVENESS
    assert chan[k_sanc, ukr, rus] == -2 and eff[k_sanc, ukr, rus] == 0.0


def test_decisiveness_believer_weighs_the_leader_fully(world):
    w = world
    _, _, sx = fresh(w)
    usa, rus, gbr = ids(w, "USA", "RUS", "GBR")
    k = issue(w, "ukr")
    dec = perceive.decisiveness(w, sx.deciders)
    assert dec[k, usa, gbr] == 1.0  # a member decides, as the US sees it
    assert dec[k, rus, usa] == 1.0
    assert dec[k, rus, gbr] == pytest.approx(0.2 + 0.8 * NON_DECIDER_WEIGHT)  # F5, discounted


@pytest.mark.parametrize("venue_rule, bilateral, tension", [(1.0, 0.85, 0.6), (1.0, 0.2, 0.95)])
def test_un_mission_keeps_the_value_of_its_venue(world, venue_rule, bilateral, tension):
    """The UN mission is worth the issues the Security Council decides (iran) and those it
    carries (staff), whatever the bilateral preference and the tension with the host."""
    w = world
    st, _, sx = fresh(w)
    rus, usa = ids(w, "RUS", "USA")
    un, = ids(w, "RUS-USA-UN")
    w2 = compile_world(parse_scenario(SMALL))
    w2.bilateral[rus] = bilateral
    st.tension[rus, usa] = st.tension[usa, rus] = tension
    dyn = dict(DYN, **{"channels.venue": venue_rule})
    per = perceive.perceive(w2, st, sx, dyn)
    e = per.effectiveness[un]
    stake = st.salience[rus, issue(w, "iran")] + st.salience[rus, issue(w, "staff")]
    assert per.channel_value[rus, un] == pytest.approx(stake * e)
    own_loss = 1 - 70 / 100
    assert per.channel_cost[rus, un] == pytest.approx(DYN["channel_upkeep"] + DYN["channels.insult"] * own_loss)
    off = perceive.perceive(w2, st, sx, dict(DYN, **{"channels.venue": 0.0}))
    assert off.channel_value[rus, un] < per.channel_value[rus, un]
    assert off.channel_cost[rus, un] > per.channel_cost[rus, un]


# --- act: channels
def test_close_channel_sends_staff_home_and_raises_tension(world):
    w = world
    st, turn, sx = fresh(w)
    per = perceive.perceive(w, st, sx, DYN)
    usa, rus = ids(w, "USA", "RUS")
    done = act.do(w, st, turn, sx, per, DYN, rus, Action("close_channel", "RUS", channel="USA-RUS-EMB"), amap(w), 1)
    emb, = ids(w, "USA-RUS-EMB")
    assert done and st.status[emb] == CLOSED and st.staff[emb] == 0 and st.totals["closures"] == 1
    assert turn.tension_delta[rus, usa] == DYN["tension_closure"] == turn.tension_delta[usa, rus]
    assert turn.events[-1] == {"type": "channel", "channel": "USA-RUS-EMB", "by": "RUS", "from": "open", "to": "closed"}
    # suspending a closed channel does nothing
    assert not act.do(w, st, turn, sx, per, DYN, rus, Action("suspend_channel", "RUS", channel="USA-RUS-EMB"), amap(w), 1)
    assert st.status[emb] == CLOSED


@pytest.mark.parametrize(
    "actor, channel, host_consents, opened, by",
    [
        ("RUS", "USA-RUS-EMB", True, False, None),  # the host cannot reopen the sender's embassy
        ("USA", "USA-RUS-EMB", True, True, "USA"),  # the sender can, with the host's consent
        ("USA", "USA-RUS-EMB", False, False, None),  # not without it
        ("USA", "NATO-MOW", True, True, "USA"),  # the leader acts for a bloc sender
        ("RUS", "NATO-MOW", True, False, None),  # Moscow cannot reopen NATO's office
    ],
)
def test_only_the_sending_side_reopens_with_the_hosts_consent(world, actor, channel, host_consents, opened, by):
    w = world
    st, turn, sx = fresh(w)
    k, = ids(w, channel)
    st.status[k] = CLOSED
    st.staff[k] = 0.0
    per = perceive.perceive(w, st, sx, DYN)
    host = w.ch_host[k]
    if host_consents:
        turn.consents.add(k)
    else:
        per.channel_value_if_open[host, k] = 0.0
        per.channel_cost[host, k] = 1.0
    i = w.actor_ids.index(actor)
    act.do(w, st, turn, sx, per, DYN, i, Action("open_channel", actor, channel=channel), amap(w), 1)
    assert bool(st.status[k] == OPEN) is opened
    recs = [e for e in turn.events if e["type"] == "channel"]
    assert [e["by"] for e in recs] == ([by] if by else [])
    if opened and channel == "NATO-MOW":
        assert recs[0]["for"] == "NATO" and recs[0]["consent"] == "RUS"
    if actor == "USA" and not host_consents:
        assert turn.events[-1]["type"] == "channel_refused"


def test_ai_host_consents_by_its_net_value(world):
    w = world
    st, turn, sx = fresh(w)
    emb, = ids(w, "USA-RUS-EMB")
    rus = w.actor_ids.index("RUS")
    per = perceive.perceive(w, st, sx, DYN)
    per.channel_value_if_open[rus, emb], per.channel_cost[rus, emb] = 0.3, 0.2
    assert act.host_consents(w, st, per, turn, emb)
    per.channel_cost[rus, emb] = 0.4
    assert not act.host_consents(w, st, per, turn, emb)
    assert not act.host_consents(w, st, per, turn, emb, frozenset({rus}))  # a human says so itself


def test_host_cannot_close_a_un_mission_but_may_close_an_embassy(world):
    w = world
    st, turn, sx = fresh(w)
    per = perceive.perceive(w, st, sx, DYN)
    usa = w.actor_ids.index("USA")
    un, emb = ids(w, "RUS-USA-UN", "USA-RUS-EMB")
    assert not act.do(w, st, turn, sx, per, DYN, usa, Action("close_channel", "USA", channel="RUS-USA-UN"), amap(w), 1)
    assert st.status[un] == OPEN
    rus = w.actor_ids.index("RUS")
    assert act.do(w, st, turn, sx, per, DYN, rus, Action("suspend_channel", "RUS", channel="USA-RUS-EMB"), amap(w), 1)
    assert st.status[emb] == SUSPENDED


def test_ai_scores_reopening_only_for_the_sender(world):
    w = world
    st, _, sx = fresh(w)
    mow, = ids(w, "NATO-MOW")
    per = perceive.perceive(w, st, sx, DYN)
    view = decide.PolicyView(w, st, per, sx, DYN, np.ones(w.n, bool))
    cand = policy.concat(policy.channel_candidates(view))
    opens = [(w.actor_ids[a], w.channel_ids[c]) for a, kd, c in zip(cand.actor, cand.kind, cand.a1) if kd == policy.KIND_CODE["open_channel"]]
    assert opens == [("USA", "NATO-MOW")]


def test_expel_cuts_staff_and_records_grievance(world):
    w = world
    st, turn, sx = fresh(w)
    per = perceive.perceive(w, st, sx, DYN)
    usa, rus = ids(w, "USA", "RUS")
    emb, = ids(w, "USA-RUS-EMB")
    assert act.do(w, st, turn, sx, per, DYN, rus, Action("expel", "RUS", channel="USA-RUS-EMB", target="USA", staff=25), amap(w), 1)
    assert st.staff[emb] == 75 and st.grievance[usa, rus] == pytest.approx(0.25) and st.totals["expulsions"] == 1


def _restores(w, st, sx, dyn, host, channel):
    per = perceive.perceive(w, st, sx, dyn)
    view = decide.PolicyView(w, st, per, sx, dyn, np.ones(w.n, bool))
    cand = policy.concat(policy.staff_candidates(view) or [policy.pass_candidates(view)[0]])
    k, = ids(w, channel)
    return bool(((cand.actor == host) & (cand.kind == policy.KIND_CODE["restore_staff"]) & (cand.a1 == k)).any())


@pytest.mark.parametrize(
    "goodwill, tension, rule, restores",
    [(0.0, 0.6, 1.0, False), (0.05, 0.6, 1.0, True), (0.0, 0.2, 1.0, True), (0.0, 0.6, 0.0, True)],
)
def test_restoring_staff_needs_reciprocity_or_calm(world, goodwill, tension, rule, restores):
    """The US (host) lets Russian UN staff back in only in reciprocity (Russia let US staff in
    lately) or as a gesture when tension is low (interview L35: staff on both sides)."""
    w = world
    st, _, sx = fresh(w)
    usa, rus = ids(w, "USA", "RUS")
    st.goodwill[usa, rus] = goodwill
    st.tension[rus, usa] = st.tension[usa, rus] = tension
    dyn = dict(DYN, **{"staffing.reciprocity": rule})
    assert _restores(w, st, sx, dyn, usa, "RUS-USA-UN") is restores


@pytest.mark.parametrize("deal_level, restores", [(0.0833, False), (0.5, True)])
def test_staff_under_a_staffing_issue_waits_for_a_deal(world, deal_level, restores):
    """The US embassy in Moscow is capped by the staffing issue: Russia restores US staff only
    up to the level agreed, whatever the goodwill."""
    w = world
    st, _, sx = fresh(w)
    usa, rus = ids(w, "USA", "RUS")
    st.goodwill[rus, usa] = 0.5
    st.issue_state[issue(w, "staff")] = deal_level
    assert _restores(w, st, sx, DYN, rus, "USA-RUS-EMB") is restores


# --- act: patrols
@pytest.mark.parametrize(
    "switch, value, expected",
    [(None, None, True), ("patrol.cooperation", 0.0, True), ("patrol.shared_adversary", 0.0, True), ("patrol.consent", 0.0, True)],
)
def test_patrol_preconditions(world, switch, value, expected):
    """Russia and China (a military line, the US as shared adversary) may patrol; the US and
    Ukraine (no military bloc, no line) may not, unless cooperation is switched off."""
    w = world
    st, _, sx = fresh(w)
    rus, chn, usa, ukr = ids(w, "RUS", "CHN", "USA", "UKR")
    st.alignment[rus, chn] = st.alignment[chn, rus] = 0.6
    st.alignment[usa, ukr] = st.alignment[ukr, usa] = 0.6
    dyn = dict(DYN, **{"patrol.cost": 0.0})
    if switch:
        dyn[switch] = value
    per = perceive.perceive(w, st, sx, dyn)
    view = decide.PolicyView(w, st, per, sx, dyn, np.ones(w.n, bool))
    cand = policy.concat(policy.patrol_candidates(view) or [policy.pass_candidates(view)[0]])
    pairs = {(w.actor_ids[a], w.actor_ids[b]) for a, kd, b in zip(cand.actor, cand.kind, cand.a2) if kd == policy.KIND_CODE["joint_patrol"]}
    assert (("RUS", "CHN") in pairs or ("CHN", "RUS") in pairs) is expected
    assert (("USA", "UKR") in pairs or ("UKR", "USA") in pairs) is (switch == "patrol.cooperation")


def test_patrol_memory_discounts_the_next_patrol(world):
    w = world
    st, _, sx = fresh(w)
    rus, chn = ids(w, "RUS", "CHN")
    st.alignment[rus, chn] = st.alignment[chn, rus] = 0.6
    dyn = dict(DYN, **{"patrol.cost": 0.0, "patrol.consent": 0.0})
    per = perceive.perceive(w, st, sx, dyn)
    view = decide.PolicyView(w, st, per, sx, dyn, np.ones(w.n, bool))
    fresh_value = policy.patrol_candidates(view)[0].terms[:, 0].max()
    st.patrolled[rus, chn] = st.patrolled[chn, rus] = 0.75
    recent = policy.patrol_candidates(view)[0].terms[:, 0].max()
    assert recent == pytest.approx(0.25 * fresh_value)


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
    assert bool(st.rebuff[0, usa, rus] == 1.0) is (counter == "conflicts")


def test_an_agreement_between_deciders_is_a_deal(world):
    w = world
    st, turn, sx = fresh(w)
    usa, rus, gbr = ids(w, "USA", "RUS", "GBR")
    k = issue(w, "staff")
    bargain.record_outcome(w, st, turn, DYN, usa, rus, k, kernel.OUTCOME_COMPROMISE, 0.2, 0.4, 0.46, sx.deciders)
    assert turn.deals == {k}
    bargain.record_outcome(w, st, turn, DYN, gbr, rus, issue(w, "sanc"), kernel.OUTCOME_COMPROMISE, 0.2, 0.0, 0.1, sx.deciders)
    assert turn.deals == {k}  # Russia does not decide sanctions: no deal


@pytest.mark.parametrize("resolve, distrust, salience, tension, expected", [(0.9, 1.0, 0.5, 0.6, 0.55 * 0.4), (0.0, 0.0, 1.0, 1.0, 1.0), (0.9, 1.0, 1.0, 0.0, 0.1)])
def test_step_scale_by_salience_and_distrust(resolve, distrust, salience, tension, expected):
    dyn = dict(DYN, **{"talks.resolve": resolve, "talks.distrust": distrust})
    assert bargain.step_scale(dyn, np.array([salience]), np.array([tension]))[0] == pytest.approx(expected)


def _one_challenge(w, st, sx, dyn, eu_ij, eu_ji):
    """USA challenges Russia on sanctions over the embassy, with the given expected utilities."""
    usa, rus = ids(w, "USA", "RUS")
    emb, = ids(w, "USA-RUS-EMB")
    k = issue(w, "sanc")
    eu = np.zeros((w.m, w.n, w.n))
    eu[k, usa, rus], eu[k, rus, usa] = eu_ij, eu_ji
    per = perceive.perceive(w, st, sx, dyn)
    per.effectiveness[emb] = 1.0
    turn = Turn(events=[], tension_delta=np.zeros((w.n, w.n)))
    bargain.bargain(w, st, turn, sx, per, dyn, np.random.default_rng(0), eu, [(usa, k, rus, emb, eu_ij)], set())
    return turn, rus, k


@pytest.mark.parametrize(
    "eu_ji, disputes_hold, moves",
    [(-0.9, 1.0, "bounded"), (0.05, 1.0, "holds"), (0.05, 0.0, "bounded")],
)
def test_a_great_power_moves_by_a_bounded_step(world, eu_ji, disputes_hold, moves):
    """A capitulation (or, when disputes do not hold, a lost conflict) moves Russia at most
    ``talks.max_step`` toward the US, never all the way; a dispute leaves it where it was."""
    w = world
    st, _, sx = fresh(w)
    dyn = dict(DYN, **{"talks.disputes_hold": disputes_hold, "talks.distrust": 0.0, "talks.resolve": 0.0})
    before = st.position.copy()
    turn, rus, k = _one_challenge(w, st, sx, dyn, 0.5, eu_ji)
    moved = st.position[rus, k] - before[rus, k]
    if moves == "holds":
        assert moved == 0.0 and turn.events[-1]["holds"] is True
    else:
        assert moved == pytest.approx(dyn["talks.max_step"])


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
    assert st.end_cause == ("escalated" if clash else "")
    assert turn.tension_delta[rus, ukr] == pytest.approx(DYN["tension_incident"] + (DYN["tension_crisis"] if crisis else 0))


# --- force
def _force_terms(w, st, mu):
    """The documented formula of sim.phases.force, for Russia against Ukraine in the sea."""
    rus, ukr, usa, chn = ids(w, "RUS", "UKR", "USA", "CHN")
    k = issue(w, "ukr")
    cap = np.array([800, 66, 68, 6, 290]) / (800 + 66 + 68 + 6 + 290)
    cap = cap[[["USA", "RUS", "GBR", "UKR", "CHN"].index(a) for a in w.actor_ids]]
    s = st.salience[rus, k]
    gain = s * abs(0 - mu)
    loss = s * max(0.0, abs(0 - 1) - abs(0 - mu))
    strength = cap * st.posture[:, 0]
    side_r = strength[rus] + DYN["force.intervention"] * 0.4 * strength[chn]  # China aligned 0.4
    side_u = strength[ukr] + DYN["force.intervention"] * 0.4 * strength[usa]  # the US aligned 0.4
    p = side_r / (side_r + side_u)
    reaction = 0.4 * cap[usa]
    cost = DYN["force.cost"] * (1 - st.tension[rus, ukr]) + DYN["force.military_cost"] * (1 - p) + DYN["force.sanctions_cost"] * reaction
    return p, gain, loss, p * gain - (1 - p) * loss - cost


def test_misperception_shifts_the_attackers_estimate_not_the_truth(world):
    w = world
    st, _, sx = fresh(w)
    rus, ukr = ids(w, "RUS", "UKR")
    mu = np.full(w.m, 0.4)
    mu[issue(w, "ukr")] = 0.6
    mask = np.zeros(w.n, bool)
    mask[rus] = True
    bv = np.zeros((w.n, w.m))
    err = np.zeros((w.n, w.n))
    err[rus, ukr] = 0.05
    base = force.options(w, st, sx.deciders, mu, st.salience, bv, DYN, mask, every=True)
    off = force.options(w, st, sx.deciders, mu, st.salience, bv, DYN, mask, every=True, misperception=err)
    h = np.flatnonzero(base.target == ukr)[0]
    assert off.p_true[h] == base.p[h] and off.p[h] == pytest.approx(min(1.0, base.p[h] + 0.05))
    assert off.eu_force[h] > base.eu_force[h]  # an optimist expects more from force


@pytest.mark.parametrize("bargain_value, offered", [(0.0, "if positive"), (10.0, False)])
def test_force_is_weighed_against_bargaining(world, bargain_value, offered):
    w = world
    st, _, sx = fresh(w)
    rus, ukr = ids(w, "RUS", "UKR")
    mu = np.full(w.m, 0.4)
    mu[issue(w, "ukr")] = 0.6
    bv = np.zeros((w.n, w.m))
    bv[rus, issue(w, "ukr")] = bargain_value
    mask = np.zeros(w.n, bool)
    mask[rus] = True
    opt = force.options(w, st, sx.deciders, mu, st.salience, bv, DYN, mask, every=True)
    hit = np.flatnonzero(opt.target == ukr)
    p, gain, loss, eu = _force_terms(w, st, 0.6)
    assert opt.p[hit[0]] == pytest.approx(p) and opt.gain[hit[0]] == pytest.approx(gain) and opt.loss[hit[0]] == pytest.approx(loss)
    assert opt.eu_force[hit[0]] == pytest.approx(eu)
    kept = force.options(w, st, sx.deciders, mu, st.salience, bv, DYN, mask)
    is_offered = bool((kept.target == ukr).any())
    assert is_offered is (bool(eu > bargain_value) if offered == "if positive" else offered)


def test_bargaining_has_failed_on_an_issue_whose_red_line_is_crossed(world):
    w = world
    st, _, _ = fresh(w)
    rus = w.actor_ids.index("RUS")
    score = np.zeros((w.m, w.n, w.n))
    score[issue(w, "ukr"), rus, 0] = 0.3
    assert force.bargaining_value(w, st, score, w.m)[rus, issue(w, "ukr")] == pytest.approx(0.3)
    st.red_line_armed[0] = False
    assert force.bargaining_value(w, st, score, w.m)[rus, issue(w, "ukr")] == 0.0


@pytest.mark.parametrize("p, outcome", [(0.7, "armed_clash"), (0.99, "coerced")])
def test_use_of_force_resisted_is_an_armed_clash(world, p, outcome):
    w = world
    st, turn, sx = fresh(w)
    rus, ukr = ids(w, "RUS", "UKR")
    k = issue(w, "ukr")
    force.use_force(w, st, turn, sx.deciders, DYN, rus, ukr, 0, {"eu_force": 0.3, "eu_bargain": 0.1, "p": p, "p_true": p})
    rec = turn.events[-1]
    assert rec["type"] == "force" and rec["outcome"] == outcome
    if outcome == "armed_clash":
        assert st.end_state == "armed_clash" and st.end_cause == "deliberate" and rec["cause"] == "deliberate"
    else:
        assert st.end_state == "running"
        assert st.position[ukr, k] == pytest.approx(1 - DYN["talks.max_step"])


# --- collective
@pytest.mark.parametrize("gbr_position, passed", [(0.6, True), (0.5, True), (0.45, False), (0.4, False)])
def test_consensus_vote_on_an_application_by_proximity(world, gbr_position, passed):
    """Britain votes for the Membership Action Plan (0.6) when it is nearer its position than
    the status quo (0.3); a tie keeps the status quo."""
    w = world
    st, turn, _ = fresh(w)
    gbr, ukr = ids(w, "GBR", "UKR")
    k = issue(w, "ukr")
    st.position[gbr, k] = gbr_position
    st.motions.append({"bloc": w.bloc_ids.index("NATO"), "candidate": ukr, "issue": k, "votes": {}, "turn": 1})
    collective.vote_motions(w, st, turn, set(), 2, DYN)
    assert turn.events[-1]["passed"] is passed
    assert st.issue_state[k] == (0.6 if passed else 0.3)
    assert st.rebuffs.get((0, ukr), 0) == (0 if passed else 1)


def test_red_line_fires_once_records_its_response_and_rearms(world):
    w = world
    st, turn, _ = fresh(w)
    rus, usa = ids(w, "RUS", "USA")
    emb, = ids(w, "USA-RUS-EMB")
    k = issue(w, "ukr")
    st.issue_state[k] = 0.6
    collective.check_red_lines(w, st, turn)
    assert [e["type"] for e in turn.events] == ["red_line"]
    rec = turn.events[0]
    assert rec["trigger"] == "crossed" and rec["direction"] == "above"
    assert rec["response"] == {"posture": {"sea": [0.7, 1.0]}, "tension": {"USA": 0.3, "GBR": 0.3}, "suspended": ["USA-RUS-EMB"]}
    assert st.posture[rus, 0] == pytest.approx(1.0) and st.status[emb] == SUSPENDED
    assert turn.tension_delta[rus, usa] == pytest.approx(0.3)
    collective.check_red_lines(w, st, turn)
    assert len(turn.events) == 1  # disarmed until the issue falls back
    st.issue_state[k] = 0.3
    collective.check_red_lines(w, st, turn)
    assert st.red_line_armed == [True]


def test_vote_positions_follow_coordinated_partners(world):
    w = world
    st, _, _ = fresh(w)
    rus, chn, usa = ids(w, "RUS", "CHN", "USA")
    k = issue(w, "iran")
    st.position[rus, k], st.position[chn, k] = 0.8, 0.1
    v = collective.vote_positions(w, st, st.members[w.bloc_ids.index("UNSC")])
    assert v[rus, k] == pytest.approx(0.5 * 0.8 + 0.5 * 0.1)
    assert v[usa, k] == st.position[usa, k]
    v_nato = collective.vote_positions(w, st, st.members[w.bloc_ids.index("NATO")])
    assert v_nato[rus, k] == 0.8  # China does not vote in NATO


@pytest.mark.parametrize(
    "rus, chn, coordination, passed, veto",
    [
        (0.2, 0.1, 0.5, False, ["CHN", "RUS"]),
        (0.9, 0.9, 0.5, True, []),
        (0.5, 0.1, 0.5, False, ["CHN", "RUS"]),  # Russia joins China's veto
        (0.5, 0.1, 0.0, False, ["CHN"]),  # without the understanding, China vetoes alone
        (0.9, 0.1, 0.5, True, []),  # they meet half-way, at 0.5: both accept 0.45
    ],
)
def test_security_council_moves_only_without_a_veto(rus, chn, coordination, passed, veto):
    """Iran sanctions rise toward the majority only if no permanent member opposes the move;
    coordinated Russia votes with China (F12)."""
    w2 = compile_world(parse_scenario(SMALL))
    r_, c_ = ids(w2, "RUS", "CHN")
    w2.coordination[r_, c_] = w2.coordination[c_, r_] = coordination
    st, turn, sx = fresh(w2)
    k = issue(w2, "iran")
    st.position[r_, k], st.position[c_, k] = rus, chn
    vetoed = np.zeros(w2.m)
    update.issue_states(w2, st, turn, sx.deciders, DYN, vetoed)
    votes = [e for e in turn.events if e["type"] == "vote"]
    assert len(votes) == 1 and votes[0]["passed"] is passed and votes[0]["veto"] == veto
    assert st.issue_state[k] == pytest.approx(0.45 if passed else 0.4)
    assert vetoed[k] == (0.0 if passed else 1.0)
    if not passed:  # a vetoed move is not tabled again while the veto is remembered
        turn2 = Turn(events=[], tension_delta=np.zeros((w2.n, w2.n)))
        update.issue_states(w2, st, turn2, sx.deciders, DYN, vetoed)
        assert not [e for e in turn2.events if e["type"] == "vote"]


# --- update
@pytest.mark.parametrize(
    "usa, gbr, expected",
    [(0.7, 0.8, 0.55), (0.52, 0.8, 0.52), (0.7, 0.3, 0.5), (0.4, 0.3, 0.45)],
)
def test_consensus_issue_moves_to_the_most_reluctant_within_inertia(world, usa, gbr, expected):
    w = world
    st, turn, sx = fresh(w)
    i_usa, i_gbr = ids(w, "USA", "GBR")
    k = issue(w, "sanc")
    st.position[i_usa, k], st.position[i_gbr, k] = usa, gbr
    update.issue_states(w, st, turn, sx.deciders)
    assert st.issue_state[k] == pytest.approx(expected)


@pytest.mark.parametrize("deal, expected", [(False, 0.0833), (True, 0.0833 + 0.03)])
def test_an_issue_decided_by_states_moves_only_by_a_deal(world, deal, expected):
    w = world
    st, turn, sx = fresh(w)
    k = issue(w, "staff")
    if deal:
        turn.deals.add(k)
    update.issue_states(w, st, turn, sx.deciders, DYN, np.zeros(w.m))
    assert st.issue_state[k] == pytest.approx(expected)


def test_accession_issue_moves_by_motions_only(world):
    w = world
    st, turn, sx = fresh(w)
    k = issue(w, "ukr")
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


def test_memories_decay(world):
    w = world
    st, _, _ = fresh(w)
    st.rebuff[:] = 1.0
    st.patrolled[:] = 1.0
    st.vetoed[:] = 1.0
    update.decay_memory(st, DYN)
    assert st.rebuff.max() == DYN["talks.deadlock_memory"] and st.vetoed.max() == DYN["talks.deadlock_memory"]
    assert st.patrolled.max() == DYN["patrol.memory"]
