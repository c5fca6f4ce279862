"""Phase 2, decide: AI challenges (the kernel's expected utility) and AI actions (the policy's softmax).

An AI actor proposes where its expected utility of a challenge is positive, best first, up to
``ai.proposals_per_turn`` (docs/model.md section 3); its other actions are drawn from a softmax of the
one-turn utility gains scored by :mod:`sim.policy`. Human actors' submitted actions join the
same lists. Each AI decision's record (its alternatives and the terms that decided it, each
with its source) goes to the turn log.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import kernel, policy
from sim.actions import ACTION_KINDS, KIND_CODE, Action
from sim.channels import effectiveness
from sim.phases.perceive import Perception, Structure, routes
from sim.state import State, Turn, derived
from sim.world import World

ACTION_OBJECT = {
    KIND_CODE["set_posture"]: 0,
    KIND_CODE["open_channel"]: 1,
    KIND_CODE["suspend_channel"]: 1,
    KIND_CODE["close_channel"]: 1,
    KIND_CODE["expel"]: 2,
    KIND_CODE["restore_staff"]: 2,
}
"""What an AI action acts on (theatre 0, channel status 1, channel staff 2): one action per
object a turn."""

Proposal = tuple[int, int, int, int, float]
"""``(proposer, issue, target, channel code, EU of the challenge)``; channel ``-1`` is a caucus."""
Row = tuple[int, int, int, float]
"""An AI action as its candidate row gives it: ``(kind code, a1, a2, value)`` (the fields of
:class:`sim.policy.Candidates`; :func:`action_of` makes its :class:`Action`)."""
Decision = tuple[int, "Action | Row", "dict | None"]
"""``(actor, action, its log record or None)``: a human's :class:`Action`, or an AI action's
:data:`Row` (carried out from its indices, :func:`sim.phases.act.do_row`)."""


def rnd(x: float, nd: int = 4) -> float:
    """A float rounded for the log."""
    return round(float(x), nd)


BARGAIN_COMPILED = "sim.phases.bargain_compiled"
"""The compiled module of :func:`rounded` and of the bargaining phase
(:mod:`sim.phases.bargain`): one failure flag (:func:`sim.kernel.phase_compiled`) for both."""


def rounded(x: np.ndarray) -> list[float]:
    """``[round(v, 4) for v in x]``: a 1-D float array's numbers rounded for the log, as Python floats.

    With the compiled kernel (:func:`sim.kernel.backend`) in one compiled call,
    :func:`sim.phases.bargain_compiled.round4_all` (Python's ``round``, bit for bit:
    ``tests/test_bargain_fast.py``); a number it does not round (magnitude of 1e11 or more, nan,
    inf) and the numpy backend get Python's ``round``. If the compiled code fails on its disk
    cache, Python's ``round`` is used from then on, with a warning (:func:`sim.kernel.phase_failed`).
    """
    if kernel.phase_compiled(BARGAIN_COMPILED):
        try:
            from sim.phases import bargain_compiled

            out, bad = bargain_compiled.round4_all(np.ascontiguousarray(x, dtype=np.float64))
        except OSError as error:
            kernel.phase_failed(BARGAIN_COMPILED, "the log's compiled rounding failed on its disk cache ({error}); using Python's round", error)
        else:
            got = out.tolist()
            if bad:
                for k in np.flatnonzero(~(np.abs(x) < bargain_compiled.ROUND_LIMIT)).tolist():
                    got[k] = round(float(x[k]), 4)
            return got
    return [round(v, 4) for v in np.asarray(x, dtype=np.float64).tolist()]


class PolicyView:
    """What the policy's scorers (:mod:`sim.policy`) read: one object over the world, the state,
    the perception and the structure, plus the AI mask and the dynamics coefficients."""

    def __init__(self, w: World, st: State, per: Perception, sx: Structure, dyn: dict[str, float], ai_mask: np.ndarray, challenges: Challenges | None = None):
        self.world, self.st, self.per, self.sx, self.dyn, self.ai_mask = w, st, per, sx, dyn, ai_mask
        self.challenges = challenges

    _HOLDER: dict[str, str] = {}
    """Which of ``per``, ``st``, ``sx`` holds an attribute name (found once, then looked up)."""

    def __getattr__(self, name: str):
        src = PolicyView._HOLDER.get(name)
        if src is not None:
            return getattr(self.__dict__[src], name)
        for src in ("per", "st", "sx"):
            obj = self.__dict__[src]
            if hasattr(obj, name):
                if name in getattr(type(obj), "__dataclass_fields__", {}):  # a field: every instance has it
                    PolicyView._HOLDER[name] = src
                return getattr(obj, name)
        raise AttributeError(name)

    def effect_of(self, chans: np.ndarray, staff: np.ndarray) -> np.ndarray:
        """Effectiveness the channels would have, open, at the given staff (persons)."""
        return effectiveness(staff, self.world.ch_baseline[chans], np.zeros(len(chans), np.int8))


@dataclass
class Challenges:
    """The kernel's view of every possible challenge this turn.

    Attributes:
        eu: (m, n, n) expected utility to i of challenging j (kernel, docs/model.md 7.4).
        forecast: (m,) weighted median of positions.
        eff, chan: (m, n, n) best route effectiveness and channel (see :func:`routes`).
        dec: (m, n, n) perceived decisiveness of the target (F5).
        score: (m, n, n) challenge scores ``eu x salience x dec x eff x (1 - min(rebuff, 1))`` where the
            expected utility and the route are positive, else 0.
        flat: (n, m * n) each proposer's scores above ``ai.proposal_cost`` (else 0).
        ranked: (n, r) the best cells of ``flat``, best first.
        misperception: (n, n) this turn's errors of each state's estimate of its chance in a
            use of force against each other (:mod:`sim.phases.force`), or ``None``.
    """

    eu: np.ndarray
    forecast: np.ndarray
    eff: np.ndarray
    chan: np.ndarray
    dec: np.ndarray
    score: np.ndarray
    flat: np.ndarray
    ranked: np.ndarray
    misperception: np.ndarray | None = None


def challenges(w: World, st: State, per: Perception, sx: Structure, q: float, t: float, endogenous_risk: bool, proposals_per_turn: int, proposal_cost: float = 0.0) -> Challenges:
    """Expected utilities of every challenge, routes and the challenge scores (docs/model.md 7.4-7.5).

    A challenge's score is ``EU x salience x decisiveness x route effectiveness``, times
    ``1 - min(rebuff, 1)`` (the memory of the same challenge rebuffed lately: deadlocked
    dialogue is not repeated, interview L9, L15; :func:`sim.phases.bargain.rebuffed`); an AI
    actor makes it only if the score exceeds ``proposal_cost`` (a demarche spends diplomatic
    capital).
    """
    if kernel.backend() == "compiled":  # the same numbers in one compiled call
        return _compiled_challenges(w, st, per, sx, q, t, endogenous_risk, proposals_per_turn, proposal_cost)
    return _numpy_challenges(w, st, per, sx, q, t, endogenous_risk, proposals_per_turn, proposal_cost)


def _numpy_challenges(w: World, st: State, per: Perception, sx: Structure, q: float, t: float, endogenous_risk: bool, proposals_per_turn: int, proposal_cost: float) -> Challenges:
    """:func:`challenges` in numpy (the kernel's active backend computes the expected
    utilities): the oracle of the compiled form."""
    x = st.position.T  # (m, n)
    s = per.salience_eff.T
    # forecast, win probabilities, risk exponents and EU (kernel.forecast, win_probability,
    # risk_exponents, expected_utility) in one call
    r = None if endogenous_risk else np.broadcast_to(w.risk[None, :], x.shape)
    mu, _r, eu = kernel.challenge_utilities(x, w.capability, s, r, q, t)
    eff, chan = routes(w, sx, per.effectiveness)
    dec = sx.decisive  # decisiveness(w, sx.deciders), kept with the structure
    score = eu * per.salience_eff.T[:, :, None] * dec * eff * (1.0 - np.minimum(st.rebuff, 1.0))
    score = np.where((eu > 0) & (eff > 0), score, 0.0)  # (m, i, j)
    flat = score.transpose(1, 0, 2).reshape(w.n, -1)  # (i, m*n)
    if proposal_cost > 0:
        flat = np.where(flat > proposal_cost, flat, 0.0)
    ranked = np.argsort(-flat, axis=1, kind="stable")[:, : max(proposals_per_turn, 1) + 3]  # best first
    return Challenges(eu, mu, eff, chan, dec, score, flat, ranked)


def _compiled_challenges(w: World, st: State, per: Perception, sx: Structure, q: float, t: float, endogenous_risk: bool, proposals_per_turn: int, proposal_cost: float) -> Challenges:
    """:func:`challenges` by :func:`sim.kernel_compiled.challenge_scores` (its numpy form above
    is the oracle, ``tests/test_bargain_fast.py``)."""
    from sim import kernel_compiled

    eff, chan = routes(w, sx, per.effectiveness)
    position, salience, rebuff = st.position, per.salience_eff, st.rebuff
    if not (position.flags.c_contiguous and salience.flags.c_contiguous and rebuff.flags.c_contiguous):
        position, salience, rebuff = (np.ascontiguousarray(a, dtype=float) for a in (position, salience, rebuff))
    mu, eu, score, flat, ranked = kernel_compiled.challenge_scores(position, w.capability, salience, w.risk, float(q), float(t), bool(endogenous_risk), sx.decisive, eff, rebuff, float(proposal_cost), max(proposals_per_turn, 1) + 3)
    return Challenges(eu, mu, eff, chan, sx.decisive, score, flat, ranked)


def ai_proposals(w: World, ch: Challenges, ai_mask: np.ndarray, proposals_per_turn: int) -> list[Proposal]:
    """The AI actors' challenges: each actor's best positive scores, up to ``proposals_per_turn``.

    ``ch.ranked`` lists each actor's cells best first and no score is negative, so an actor's
    positive scores are the first of its row; they are taken by actor, best first.
    """
    if proposals_per_turn <= 0:
        return []
    if kernel.backend() == "compiled":  # the same rows in one compiled call
        from sim import kernel_compiled

        rows, eus = kernel_compiled.proposal_rows(ch.ranked, ch.flat, ai_mask, proposals_per_turn, ch.chan, ch.eu)
        return [(i, k, j, c, e) for (i, k, j, c), e in zip(rows.tolist(), eus.tolist())]
    top = ch.ranked[:, :proposals_per_turn]
    best = np.take_along_axis(ch.flat, top, axis=1)
    i, q = np.nonzero((best > 0) & ai_mask[:, None])  # by actor, best first
    k, j = np.divmod(top[i, q], w.n)
    return list(zip(i.tolist(), k.tolist(), j.tolist(), ch.chan[k, i, j].tolist(), ch.eu[k, i, j].tolist()))


_CHANNEL_KINDS = frozenset(KIND_CODE[k] for k in ("open_channel", "suspend_channel", "close_channel"))
_STAFF_KINDS = frozenset(KIND_CODE[k] for k in ("expel", "restore_staff"))
_THEATRE_TARGET_KINDS = frozenset(KIND_CODE[k] for k in ("joint_patrol", "use_force"))


def to_action(w: World, cand: policy.Candidates, r: int) -> Action:
    """The :class:`Action` of candidate row ``r``."""
    return action_of(w, int(cand.actor[r]), (int(cand.kind[r]), int(cand.a1[r]), int(cand.a2[r]), float(cand.value[r])))


def action_of(w: World, i: int, row: Row) -> Action:
    """The :class:`Action` of actor ``i``'s candidate :data:`Row` ``(kind code, a1, a2, value)``."""
    code, a1, a2, value = row
    kind = ACTION_KINDS[code]
    a = w.actor_ids[i]
    if code in _CHANNEL_KINDS:
        return Action(kind, a, channel=w.channel_ids[a1])
    if code in _STAFF_KINDS:
        return Action(kind, a, channel=w.channel_ids[a1], target=w.actor_ids[a2], staff=value)
    if code == _POSTURE:
        return Action(kind, a, theatre=w.theatre_ids[a1], level=value)
    if code in _THEATRE_TARGET_KINDS:
        return Action(kind, a, theatre=w.theatre_ids[a1], target=w.actor_ids[a2])
    if code == _MEMBERSHIP:
        return Action(kind, a, bloc=w.bloc_ids[a1])
    return Action("pass", a)


_WORDS_CHANNEL = {KIND_CODE[k]: k.split("_")[0] for k in ("open_channel", "suspend_channel", "close_channel")}


def words(w: World, code: int, actor: int, a1: int, a2: int, value: float) -> str:
    """A candidate row's action in words: ``str(to_action(...))`` (:meth:`Action.__str__`)
    written from the row's fields without making the :class:`Action` (a decision's record names
    its alternatives; tests/test_act_fast.py checks every candidate against ``str``).

    Args:
        w: the world; code: the kind's code (:data:`sim.actions.KIND_CODE`); actor: its index;
            a1, a2: the row's objects (see :class:`sim.policy.Candidates`); value: its value.
    """
    verb = _WORDS_CHANNEL.get(code)
    if verb is not None:
        return f"{verb} {w.channel_ids[a1]}"
    if code == _EXPEL:
        return f"expel {float(value):g} {w.actor_ids[a2]} staff from {w.channel_ids[a1]}"
    if code == _RESTORE:
        return f"restore {float(value):g} {w.actor_ids[a2]} staff on {w.channel_ids[a1]}"
    if code == _POSTURE:
        return f"set posture in {w.theatre_ids[a1]} to {float(value):.2f}"
    if code == _PATROL:
        return f"joint patrol with {w.actor_ids[a2]} in {w.theatre_ids[a1]}"
    if code == _MEMBERSHIP:
        return f"apply for membership of {w.bloc_ids[a1]}"
    if code == _FORCE:
        return f"use force against {w.actor_ids[a2]} in {w.theatre_ids[a1]}"
    return "pass"


_EXPEL, _RESTORE, _POSTURE, _PATROL, _MEMBERSHIP, _FORCE = (KIND_CODE[k] for k in ("expel", "restore_staff", "set_posture", "joint_patrol", "apply_membership", "use_force"))


def chan_name(w: World, members: np.ndarray, code: int, i: int, j: int, issue: int | None = None) -> str:
    """Name of a route: a channel id, or ``caucus:BLOC`` for talks inside a common bloc."""
    if code >= 0:
        return w.channel_ids[code]
    if issue is not None and w.issue_bloc[issue] >= 0:
        return "caucus:" + w.bloc_ids[w.issue_bloc[issue]]
    common = np.flatnonzero(members[:, i] & members[:, j])
    return "caucus:" + (w.bloc_ids[common[0]] if len(common) else "?")


def source(w: World, *key) -> str:
    """The scenario's source of a preference term, or ``no source given``."""
    return w.sources.get(key) or "no source given"


class Reasons:
    """Builds the log records of one turn's AI decisions from the scored candidates."""

    def __init__(self, w: World, st: State, per: Perception, cand: policy.Candidates, fixed: dict | None = None):
        """``fixed``: a store kept for the world's life (:func:`sim.state.derived`; optional)
        where what depends on the world alone (term sources, a candidate row's words and spec)
        is kept from turn to turn and from run to run of the same scenario."""
        self.w, self.st, self.per, self.cand = w, st, per, cand
        self._best_rows: tuple[np.ndarray, np.ndarray] | None = None
        self._rows: policy.Candidates | None = None
        self._static: dict = {} if fixed is None else fixed.setdefault("term_sources", {})
        self._turn: dict = {}
        self._exposure: np.ndarray | list | None = None  # this turn's exposure, or who tops each (actor, theatre)
        self._said: dict[int, str] = {}  # row -> its action in words (an actor's alternatives recur)
        self._acts: dict[int, Action] = {}  # row -> its Action
        self._threat: dict[tuple[int, int], str] = {}  # (actor, theatre) -> source of its threat exposure

    @property
    def rows(self) -> policy.Candidates:
        """The candidates as Python lists (the same values; a record reads them one by one)."""
        if self._rows is None:
            c = self.cand
            self._rows = policy.Candidates(*(getattr(c, f).tolist() for f in ("actor", "kind", "a1", "a2", "value", "score", "terms")))
        return self._rows

    def decision(self, r: int) -> dict:
        """The log record of one AI decision: the choice, its top alternatives, its terms."""
        rows = self.rows
        i = rows.actor[r]
        if self._best_rows is None:  # every actor's candidates by score, once a turn
            cand = self.cand
            order = np.lexsort((-cand.score, cand.actor))
            starts = np.searchsorted(cand.actor[order], np.arange(self.w.n + 1))
            self._best_rows = (order.tolist(), starts.tolist())
        order, starts = self._best_rows
        score, words = rows.score, self.words
        top = order[starts[i] : min(starts[i + 1], starts[i] + 4)]
        alts = [[words(q), round(score[q], 4)] for q in top if q != r][:3]  # rnd: the rows are Python floats
        code = rows.kind[r]
        kind = ACTION_KINDS[code]
        names = policy.TERM_NAMES.get(kind, ("", "", ""))
        terms = []
        for name, val in zip(names, rows.terms[r]):
            if name:
                terms.append({"term": name, "value": round(val, 4), "source": self.term_source(kind, name, r)})
        return {"type": "decision", "actor": self.w.actor_ids[i], "action": words(r), "spec": self.action(r).to_dict(), "score": round(score[r], 4), "alternatives": alts, "terms": terms}

    def decisions(self, drawn: list[int], temperature: float) -> list[dict]:
        """The log records of this turn's drawn AI decisions, in order: :meth:`decision` of each
        row, with ``explored`` added to a row scored below ``pass`` (see :func:`ai_actions`).

        The same records as :meth:`decision` row by row (its test oracle,
        ``tests/test_act_fast.py``), built at once: the candidates are read as Python numbers
        once, the terms only for the drawn rows, and what a row's words, spec, term names and
        world-fixed sources are is kept for the world's life (the store ``fixed``, at most
        :data:`ROW_MEMO` rows), so that a row drawn or listed as an alternative again in a
        later turn or run costs one look-up.

        Args:
            drawn: (D,) candidate rows (:func:`drawn_rows`).
            temperature: the softmax's temperature (> 0, utility units).
        """
        if not drawn:
            return []
        w, c, static = self.w, self.cand, self._static
        said = static.get("row words")
        if said is None:  # (code, actor, a1, a2, value) -> the action in words
            said = static["row words"] = {}
        made = static.get("row records")
        if made is None:  # (code, actor, a1, a2, value) -> (actor id, words, spec, term names and fixed sources)
            made = static["row records"] = {}
        if len(said) > ROW_MEMO:  # a value (a posture level, a staff count) may take ever new numbers
            said.clear()
            made.clear()
        kind, actor, a1, a2, value = (getattr(c, f).tolist() for f in ("kind", "actor", "a1", "a2", "value"))
        raw = c.score[drawn].tolist()
        nc = len(c.score)
        both = rounded(np.concatenate((c.score, c.terms[drawn].ravel())))  # every score, the drawn rows' terms
        score = both[:nc]
        if self._best_rows is None:  # every actor's candidates by score, once a turn
            order = np.lexsort((-c.score, c.actor))
            starts = np.searchsorted(c.actor[order], np.arange(w.n + 1))
            self._best_rows = (order.tolist(), starts.tolist())
        order, starts = self._best_rows
        threat = self._threat
        out = []
        for q, r in enumerate(drawn):
            i = actor[r]
            s0 = starts[i]
            alts = []
            for x in order[s0 : min(starts[i + 1], s0 + 4)]:
                if x != r:
                    key = (kind[x], i, a1[x], a2[x], value[x] or str(value[x]))  # 0.0 and -0.0 apart
                    text = said.get(key)
                    if text is None:
                        text = said[key] = words(w, *key)
                    alts.append([text, score[x]])
            code, t = kind[r], a1[r]
            key = (code, i, t, a2[r], value[r] or str(value[r]))
            got = made.get(key)
            if got is None:
                text = said.get(key)
                if text is None:
                    text = said[key] = words(w, *key)
                got = made[key] = self._fixed_record(code, r, text)
            who, text, spec, names = got
            row_terms = []
            at0 = nc + 3 * q
            for at, name, src in names:
                if src is None:  # the threat exposure's source: this turn's, for (actor, theatre)
                    src = threat.get((i, t))
                    if src is None:
                        src = threat[(i, t)] = self._threat_source(i, t)
                elif src is _TURN:  # read from this turn's state (use of force)
                    src = self._source(ACTION_KINDS[code], name, i, t, a2[r], r)
                row_terms.append({"term": name, "value": both[at0 + at], "source": src})
            rec = {"type": "decision", "actor": who, "action": text, "spec": spec.copy(), "score": score[r], "alternatives": alts[:3], "terms": row_terms}
            if raw[q] < 0:
                rec["explored"] = {"temperature": temperature, "p_ahead_of_pass": rnd(1.0 / (1.0 + np.exp(-c.score[r] / temperature)))}
            out.append(rec)
        return out

    def _fixed_record(self, code: int, r: int, text: str) -> tuple:
        """What of row ``r``'s decision record the world and the row alone fix: ``(actor id,
        words, spec, ((term position, name, source or None for this turn's threat exposure or
        _TURN for a source read from this turn's state), ...))``."""
        kind = ACTION_KINDS[code]
        i, a1, a2 = int(self.cand.actor[r]), int(self.cand.a1[r]), int(self.cand.a2[r])
        names = []
        for at, name in enumerate(policy.TERM_NAMES.get(kind, ("", "", ""))):
            if not name:
                continue
            if kind in ("set_posture", "joint_patrol") and name not in ("appetite", "caution"):
                src = None
            elif kind == "use_force":
                src = _TURN
            else:
                src = self._source(kind, name, i, a1, a2, r)
            names.append((at, name, src))
        spec = to_action(self.w, self.cand, r).to_dict()
        return self.w.actor_ids[i], text, spec, tuple(names)

    def action(self, r: int) -> Action:
        """The :class:`Action` of candidate row ``r`` (:func:`to_action`), made once a turn."""
        got = self._acts.get(r)
        if got is None:
            got = self._acts[r] = to_action(self.w, self.rows, r)
        return got

    def words(self, q: int) -> str:
        """Candidate row ``q``'s action in words (``str`` of its :class:`Action`, :func:`words`),
        remembered for the turn: an actor's best rows are the alternatives of each of its decisions."""
        got = self._said.get(q)
        if got is None:
            rows = self._rows if self._rows is not None else self.rows
            got = self._said[q] = words(self.w, rows.kind[q], rows.actor[q], rows.a1[q], rows.a2[q], rows.value[q])
        return got

    def term_source(self, kind: str, name: str, r: int) -> str:
        """Where a decision term's number comes from (scenario sources, interview lines).

        Remembered: a source that depends on the world alone for as long as the world and
        structure last, one that reads this turn's state (threat, posture, salience) for the turn.
        The threat exposure's source of a posture or a patrol (every term but ``appetite`` and
        ``caution``) depends on the actor and the theatre alone: it is found once a turn for each.
        """
        rows = self._rows if self._rows is not None else self.rows
        i, a1 = rows.actor[r], rows.a1[r]
        if kind in ("set_posture", "joint_patrol") and name not in ("appetite", "caution"):
            got = self._threat.get((i, a1))
            if got is None:
                got = self._threat[(i, a1)] = self._threat_source(i, a1)
            return got
        return self._source(kind, name, i, a1, rows.a2[r], r)

    def _source(self, kind: str, name: str, i: int, a1: int, a2: int, r: int) -> str:
        """:meth:`term_source` of a term that is not a threat exposure's, for row ``r`` of actor
        ``i`` with objects ``a1``, ``a2``: remembered for the structure's life, or for the
        turn if it reads this turn's state (use of force)."""
        key = (kind, name, i, a1, a2)
        memo = self._turn if kind == "use_force" else self._static
        got = memo.get(key)
        if got is None:
            got = memo[key] = self._term_source(kind, name, r)
        return got

    def _threat_source(self, i: int, t: int) -> str:
        """The source of a posture's or a patrol's threat exposure: the state whose perceived
        threat to actor ``i`` times its posture in theatre ``t`` is the largest (ties: the last
        id), and the theatre's source (kept with the world for each actor, state and theatre)."""
        w = self.w
        if self._exposure is None:  # (i, t, k) perceived threat of k to i x k's posture in t, once a turn
            exposure = self.per.threat_perc[:, None, :] * self.st.posture.T[None, :, :]
            if _ids_sorted(w) and not np.isnan(exposure).any():  # the largest id of the largest product: the last argmax in id order
                self._exposure = (w.n - 1 - np.argmax(exposure[:, :, ::-1], axis=2)).tolist()
            else:
                self._exposure = exposure
        if isinstance(self._exposure, list):
            who = w.actor_ids[self._exposure[i][t]]
        else:  # the largest (threat x posture, id): the first of these pairs sorted in reverse
            who = max(zip(self._exposure[i, t].tolist(), w.actor_ids))[1]
        key = ("threat", i, t, who)
        got = self._static.get(key)
        if got is None:
            a = w.actor_ids[i]
            got = self._static[key] = f"threat from {who}: {source(w, 'threat', a, who)}; theatre: {source(w, 'theatre', w.theatre_ids[t])}"
        return got

    def _term_source(self, kind: str, name: str, r: int) -> str:
        """:meth:`term_source`, worked out."""
        w, cand = self.w, self.cand
        a = w.actor_ids[cand.actor[r]]
        a1 = int(cand.a1[r])
        if kind.endswith("_channel"):
            ch = w.channel_ids[a1]
            if "value" in name:
                top = [w.issue_ids[k] for k in np.flatnonzero(w.ch_issue[a1])]
                sal = "; ".join(f"salience {x}: {source(w, 'salience', a, x)}" for x in top[:2])
                bel = ""
                for b in w.leader_belief.get(int(cand.actor[r]), {}):
                    if w.ch_bloc_end[a1] == b:
                        bel = f"; belief {w.bloc_ids[b]} led by {w.actor_ids[w.leader_belief[int(cand.actor[r])][b]]}: interview L17"
                return f"bilateral preference: {source(w, 'bilateral', a)}; {sal}{bel}"
            if "cost" in name:
                return f"staff: {source(w, 'staff', ch)}"
            return f"channel: {source(w, 'channel', ch)}"
        if kind in ("expel", "restore_staff"):
            return f"staff: {source(w, 'staff', w.channel_ids[a1])}"
        if kind == "use_force":
            if name == "chance of prevailing":
                return "capability (SIPRI) x posture in the theatre, with allies and aligned states (War Trap)"
            if name == "expected utility of bargaining":
                return "best challenge on the issues at stake (Scholz et al. 2011), after deadlock"
            j = w.actor_ids[int(cand.a2[r])]
            return f"salience and positions: {source(w, 'salience', a, w.issue_ids[int(np.argmax(self.per.salience_eff[cand.actor[r]]))])}; threat from {j}: {source(w, 'threat', a, j)}"
        if kind in ("set_posture", "joint_patrol"):  # appetite, caution (the rest: _threat_source)
            t = w.theatre_ids[a1]
            # the schema's default (1: no reluctance) when the scenario gives this actor no
            # appetite for the theatre; "no source given" only for a value given without one
            if ("appetite", a, t) not in w.sources:
                return "the schema's default appetite 1 (the scenario sets none for this theatre)"
            return source(w, "appetite", a, t)
        if kind == "apply_membership":
            issue = w.issue_ids[int(cand.a2[r])]
            return f"position {issue}: {source(w, 'position', a, issue)}"
        return ""


ROW_MEMO = 5_000
"""Candidate rows whose words and record parts the world's store keeps (:meth:`Reasons.decisions`;
then it starts again): about 1 KB a row, a bound on a long sweep's memory. The baseline holds some
340 rows after 10 runs and 440 after 60 (a posture level or a staff count may take new values)."""

_TURN = object()
"""Marks a decision term whose source reads this turn's state (:meth:`Reasons._fixed_record`)."""


def _ids_sorted(w: World) -> bool:
    """Whether the world's actor ids are in increasing order (:func:`sim.world.canonical`): then,
    with no product that is not a number, the last argmax of a row of exposure names the
    state that ``max`` of (product, id) pairs names."""
    got = derived(w).get("actor_ids_sorted")
    if got is None:
        got = derived(w)["actor_ids_sorted"] = all(a < b for a, b in zip(w.actor_ids, w.actor_ids[1:]))
    return got


def proposal_reason(w: World, st: State, per: Perception, p: Proposal, ch: Challenges) -> dict:
    """The log record of one AI challenge: its score, alternatives and terms."""
    return proposal_reasons(w, st, per, [p], ch)[0]


_EU_SOURCE = "Scholz, Calbert and Smith 2011 (docs/model.md 7.4)"


def proposal_reasons(w: World, st: State, per: Perception, proposals: list[Proposal], ch: Challenges) -> list[dict]:
    """The log records of AI challenges (:func:`proposal_reason` of each, in their order).

    Each names the challenge, the proposer's other positive challenges (best first, up to
    three), and the terms of its score ``EU x salience x decisiveness x route effectiveness``
    with their sources. The numbers of every proposal are read from the arrays at once.
    """
    if not proposals:
        return []
    ii, kk, jj, codes, eus = zip(*proposals)
    ix, kx, jx = np.array(ii, np.int64), np.array(kk, np.int64), np.array(jj, np.int64)
    eu, dec, eff, sal = np.array(eus, np.float64), ch.dec[kx, ix, jx], ch.eff[kx, ix, jx], per.salience_eff[ix, kx]
    order = ch.ranked[ix]  # (P, r) each proposer's best cells
    best = ch.flat[ix[:, None], order]
    cells, vals = order.tolist(), best.tolist()
    # every number of the records rounded at once: the terms, the score (the same product, in
    # the same order, as of Python floats) and the alternatives' scores
    P, r = order.shape
    got = rounded(np.concatenate((eu, sal, dec, eff, eu * sal * dec * eff, best.ravel())))
    said = derived(w).get("propose_words")
    if said is None:  # "propose ISSUE to ACTOR" of cell k * n + j
        said = derived(w)["propose_words"] = tuple(f"propose {x} to {b}" for x in w.issue_ids for b in w.actor_ids)
    fixed = derived(w).get("proposal_words")
    if fixed is None:  # (i, k, j, code) -> what the world alone fixes of its record
        fixed = derived(w)["proposal_words"] = {}
    n, out = w.n, []
    for q, (i, k, j, code, _eu) in enumerate(proposals):
        known = fixed.get((i, k, j, code))
        if known is None:
            a, x, b = w.actor_ids[i], w.issue_ids[k], w.actor_ids[j]
            via = chan_name(w, st.members, code, i, j, k) if code >= 0 or w.issue_bloc[k] >= 0 else None  # else: by this turn's blocs
            known = fixed[(i, k, j, code)] = (
                a, x, b,
                source(w, "salience", a, x),
                "interview L17 (bloc led by its leader)" if i in w.leader_belief else "decided_by of the issue",
                source(w, "channel", w.channel_ids[code]) if code >= 0 else "caucus of a common bloc",
                via,
                None if via is None else f"propose {x} to {b} via {via}",
            )  # fmt: skip
        a, x, b, src_sal, src_dec, src_chan, via, text = known
        if via is None:
            via = chan_name(w, st.members, code, i, j, k)
            text = f"propose {x} to {b} via {via}"
        own = k * n + j
        alts = []
        at = 5 * P + q * r
        for f, v in zip(cells[q], vals[q]):
            if f != own and v > 0:
                alts.append([said[f], got[at]])
            at += 1
        terms = [
            {"term": "expected utility of the challenge", "value": got[q], "source": _EU_SOURCE},
            {"term": "salience", "value": got[P + q], "source": src_sal},
            {"term": "decisiveness of the target", "value": got[2 * P + q], "source": src_dec},
            {"term": "channel effectiveness", "value": got[3 * P + q], "source": src_chan},
        ]
        spec = {"kind": "propose", "actor": a, "issue": x, "target": b, "channel": via} if a and x and b else Action("propose", a, issue=x, target=b, channel=via).to_dict()
        out.append({"type": "decision", "actor": a, "action": text, "spec": spec, "score": got[4 * P + q], "alternatives": alts[:3], "terms": terms})
    return out


OBJECT_OF_KIND = np.array([ACTION_OBJECT.get(c, 10 + c) for c in range(len(ACTION_KINDS))], np.int64)
"""(number of kinds,) :data:`ACTION_OBJECT` of each kind code; ``10 + code`` for a kind that acts
on no shared object (each such kind its own class)."""


def drawn_rows(cand: policy.Candidates, actions_per_turn: int, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """(D,) int64 the candidate rows the AI actors carry out this turn, by actor, in draw order.

    :func:`sim.policy.draw` (one Gumbel draw per candidate from ``rng``, in row order), then one
    action per object (:data:`ACTION_OBJECT`: a theatre's posture, a channel's status, a
    channel's staff line; a later draw on the same object is dropped). With the compiled policy
    (:func:`sim.policy.compiled`) both run in :func:`sim.phases.policy_compiled.draw_core`; the
    numpy path is its test oracle.
    """
    if policy.compiled():
        g = rng.gumbel(size=len(cand.score))
        try:
            from sim.phases import policy_compiled

            rows = policy_compiled.draw_core(cand.actor, cand.kind, cand.a1, cand.score, g, int(actions_per_turn), float(temperature), KIND_CODE["pass"], OBJECT_OF_KIND)[0]
        except OSError as error:
            policy.compiled_failed(error)
        else:
            return rows
        return np.array(_dedup(policy.draw_from(cand, actions_per_turn, temperature, g), cand), np.int64)
    return np.array(_dedup(policy.draw(cand, actions_per_turn, temperature, rng), cand), np.int64)


def _dedup(drawn: list[np.ndarray], cand: policy.Candidates) -> list[int]:
    """The rows of ``drawn`` (each actor's draw) less later draws on an object already acted on."""
    out: list[int] = []
    kind, a1 = cand.kind.tolist(), cand.a1.tolist()
    for rows in drawn:
        seen = set()
        for r in rows.tolist():
            key = (ACTION_OBJECT.get(kind[r], 10 + kind[r]), a1[r])
            if key in seen:
                continue  # one action per theatre, channel or staff line in a turn
            seen.add(key)
            out.append(r)
    return out


def ai_actions(view: PolicyView, actions_per_turn: int, temperature: float, rng: np.random.Generator, reasons: bool) -> list[Decision]:
    """Draw the AI actors' actions (softmax without replacement, :func:`sim.policy.draw`).

    One action per object a turn (a theatre's posture, a channel's status, a channel's staff:
    :data:`ACTION_OBJECT`); later draws on the same object are dropped (:func:`drawn_rows`). An
    action scored below ``pass`` can only be drawn by the softmax's exploration: its record
    says so (``explored``, with the temperature and the chance that the draw put it ahead of
    ``pass``, ``1 / (1 + exp(-score / temperature))``).
    """
    cand = policy.candidates(view)
    rows = drawn_rows(cand, actions_per_turn, temperature, rng)
    # each decision carries its candidate row (kind code, a1, a2, value) as Python numbers: the
    # turn carries it out from its indices (sim.phases.act.do_row), no Action made
    actors = cand.actor[rows].tolist()
    made = zip(cand.kind[rows].tolist(), cand.a1[rows].tolist(), cand.a2[rows].tolist(), cand.value[rows].tolist())
    if not reasons:
        return [(i, row, None) for i, row in zip(actors, made)]
    records = Reasons(view.world, view.st, view.per, cand, derived(view.world)).decisions(rows.tolist(), temperature)
    return list(zip(actors, made, records))


def human_actions(w: World, ch: Challenges, submitted: dict[str, list[Action]], turn: Turn) -> tuple[list[Decision], list[Proposal]]:
    """Human actors' submitted actions: proposals join the challenges, the rest the decisions."""
    decisions: list[Decision] = []
    proposals: list[Proposal] = []
    for h, acts in sorted(submitted.items()):  # never the order the teams submitted in
        i = w.actor_ids.index(h)
        for a in acts:
            if a.kind == "propose":
                k, j = w.issue_ids.index(a.issue), w.actor_ids.index(a.target)
                proposals.append((i, k, j, int(ch.chan[k, i, j]), float(ch.eu[k, i, j])))
                turn.log({"type": "decision", "actor": h, "action": str(a), "spec": a.to_dict(), "human": True})
            else:
                decisions.append((i, a, {"human": True}))
    return decisions, proposals
