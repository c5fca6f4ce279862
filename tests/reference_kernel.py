"""Plain-Python reference of the bargaining kernel: the test oracle of :mod:`sim.kernel`.

The same model as ``sim/kernel.py`` (docs/model.md 7.4; Scholz, Calbert and Smith 2011,
"Unravelling Bueno de Mesquita's group decision model", Journal of Theoretical Politics 23(4)),
written with lists, floats and loops so that each formula can be read off one line. Arrays are
nested lists indexed ``[issue][actor]`` or ``[issue][i][j]``; the functions have the same names,
arguments and return values as their numpy counterparts (returning lists instead of arrays).

Numerical details shared with the numpy kernel, so that the two agree to rounding:

* vote weights ``c * s`` are divided by their largest value on the issue before the votes are
  summed (this leaves every ratio unchanged and keeps the sums away from underflow and overflow);
* bases of the utility powers are clipped below at 0;
* an expected utility within ``EU_TOLERANCE`` of zero is zero, and the target's answer treats
  stakes closer than ``EU_TOLERANCE`` as equal;
* securities whose spread is at most ``SECURITY_TIE_TOLERANCE`` count as all equal.
"""

from __future__ import annotations

OUTCOME_NONE = 0
OUTCOME_CONFLICT = 1
OUTCOME_COMPROMISE = 2
OUTCOME_CAPITULATION = 3
OUTCOME_STALEMATE = 4
OUTCOME_NAMES = ("none", "conflict", "compromise", "capitulation", "stalemate")

EU_TOLERANCE = 1e-12
SECURITY_TIE_TOLERANCE = 1e-12

VOTE_POSITIVE = "positive"  # P_ij = sum of the positive votes / sum of all |votes|
VOTE_CLIPPED = "clipped"  # P_ij = max(0, sum of all votes) / sum of all |votes|


def _capability_rows(c, m):
    """Return capability as m rows, whether given per actor or per issue and actor."""
    if len(c) > 0 and isinstance(c[0], (list, tuple)):
        return [list(row) for row in c]
    return [list(c) for _ in range(m)]


def _normalised_weights(c_row, s_row):
    """Weights c_k * s_k divided by their largest value (all zeros stay zeros)."""
    w = [ck * sk for ck, sk in zip(c_row, s_row, strict=True)]
    top = max(w)
    if top > 0:
        w = [wk / top for wk in w]
    return w


def win_probability(x, c, s, *, vote_rule=VOTE_POSITIVE):
    """P[m][i][j]: probability that i prevails over j on issue m.

    The positive-vote rule sums the votes for i; the clipped-sum rule sums all votes and
    clips the net at 0. With no vote at all, P is 0.5 under the first and 0 under the second.
    """
    if vote_rule not in (VOTE_POSITIVE, VOTE_CLIPPED):
        raise ValueError(f"unknown vote rule {vote_rule!r}")
    m = len(x)
    c = _capability_rows(c, m)
    result = []
    for a in range(m):
        xs = x[a]
        n = len(xs)
        w = _normalised_weights(c[a], s[a])
        table = []
        for i in range(n):
            row = []
            for j in range(n):
                positive = 0.0
                net = 0.0
                magnitude = 0.0
                for k in range(n):
                    vote = w[k] * (abs(xs[k] - xs[j]) - abs(xs[k] - xs[i]))
                    if vote > 0:
                        positive += vote
                    net += vote
                    magnitude += abs(vote)
                if vote_rule == VOTE_CLIPPED:
                    row.append(max(net, 0.0) / magnitude if magnitude > 0 else 0.0)
                else:
                    row.append(positive / magnitude if magnitude > 0 else 0.5)
            table.append(row)
        result.append(table)
    return result


def forecast(x, w):
    """Weighted median per issue: the first position, in ascending order, whose cumulative
    weight reaches half the total (equal weights when all weights are zero)."""
    result = []
    for xs, ws in zip(x, w, strict=True):
        n = len(xs)
        weights = list(ws) if sum(ws) > 0 else [1.0] * n
        order = sorted(range(n), key=lambda k: xs[k])
        total = 0.0
        for k in order:
            total += weights[k]
        cumulative = 0.0
        for k in order:
            cumulative += weights[k]
            if cumulative >= 0.5 * total:
                result.append(xs[k])
                break
    return result


def _utility(base, r):
    """2 - 4 * base**r with the base clipped at 0."""
    return 2.0 - 4.0 * max(base, 0.0) ** r


def expected_utility(
    x, c, s, r, mu, q=0.5, t=0.5, scale_range=1.0, *, p=None, vote_rule=VOTE_POSITIVE
):
    """EU[m][i][j]: i's expected utility of challenging j on issue m (r = r_i)."""
    if p is None:
        p = win_probability(x, c, s, vote_rule=vote_rule)
    result = []
    for a in range(len(x)):
        xs = x[a]
        n = len(xs)
        table = []
        for i in range(n):
            ri = r[a][i]
            row = []
            for j in range(n):
                if xs[i] == xs[j]:
                    row.append(0.0)
                    continue
                d = abs(xs[i] - xs[j]) / scale_range
                e = (abs(xs[i] - mu[a]) + abs(xs[i] - xs[j])) / scale_range
                u_success = _utility(0.5 - 0.5 * d, ri)
                u_failure = _utility(0.5 + 0.5 * d, ri)
                u_better = _utility(0.5 - 0.25 * e, ri)
                u_worse = _utility(0.5 + 0.25 * e, ri)
                u_status_quo = _utility(0.5, ri)
                pij = p[a][i][j]
                sj = s[a][j]
                challenge = sj * (pij * u_success + (1 - pij) * u_failure) + (1 - sj) * u_success
                stay = q * u_status_quo + (1 - q) * (t * u_better + (1 - t) * u_worse)
                value = challenge - stay
                row.append(0.0 if abs(value) <= EU_TOLERANCE else value)
            table.append(row)
        result.append(table)
    return result


def risk_exponents(
    x, c, s, mu, q=0.5, t=0.5, scale_range=1.0, *, p=None, vote_rule=VOTE_POSITIVE
):
    """r[m][i] from the security of each actor, computed with every r = 1."""
    ones = [[1.0] * len(xs) for xs in x]
    eu = expected_utility(x, c, s, ones, mu, q, t, scale_range, p=p, vote_rule=vote_rule)
    result = []
    for table in eu:
        n = len(table)
        security = []
        for k in range(n):
            total = 0.0
            for j in range(n):
                total += table[j][k]  # EU_j(k); the diagonal is 0
            security.append(total)
        high = max(security)
        low = min(security)
        spread = high - low
        if spread <= SECURITY_TIE_TOLERANCE * max(1.0, abs(high), abs(low)):
            result.append([1.0] * n)
            continue
        row = []
        for k in range(n):
            big_r = (2 * security[k] - high - low) / spread
            big_r = min(1.0, max(-1.0, big_r))
            row.append((1 - big_r / 3) / (1 + big_r / 3))
        result.append(row)
    return result


def respond(eu_challenger, eu_target):
    """Target's answer to one challenge: (outcome code, fraction of the way it moves)."""
    if not eu_challenger > 0:
        return OUTCOME_NONE, 0.0
    if eu_target > 0:
        if eu_target < eu_challenger - EU_TOLERANCE:
            return OUTCOME_CONFLICT, 1.0
        return OUTCOME_STALEMATE, 0.0
    if eu_target == 0 or abs(eu_target) < eu_challenger - EU_TOLERANCE:
        return OUTCOME_COMPROMISE, abs(eu_target / eu_challenger)
    return OUTCOME_CAPITULATION, 1.0


def resolve(x, eu, offers, effectiveness, tiebreak):
    """Every target takes its best offer and answers it; all move at once from the old x."""
    new_x, challengers, outcomes, fractions = [], [], [], []
    for a in range(len(x)):
        xs = x[a]
        n = len(xs)
        new_row, challenger_row, outcome_row, fraction_row = [], [], [], []
        for j in range(n):
            best = -1
            for i in range(n):
                if not (offers[a][i][j] and eu[a][i][j] > 0):
                    continue
                if best == -1:
                    best = i
                    continue
                this_eu, best_eu = eu[a][i][j], eu[a][best][j]
                this_dist, best_dist = abs(xs[i] - xs[j]), abs(xs[best] - xs[j])
                if this_eu > best_eu or (
                    this_eu == best_eu
                    and (
                        this_dist < best_dist
                        or (this_dist == best_dist and tiebreak[a][i][j] > tiebreak[a][best][j])
                    )
                ):
                    best = i
            if best == -1:
                new_row.append(xs[j])
                challenger_row.append(-1)
                outcome_row.append(OUTCOME_NONE)
                fraction_row.append(0.0)
                continue
            outcome, fraction = respond(eu[a][best][j], eu[a][j][best])
            if outcome == OUTCOME_COMPROMISE:
                fraction = fraction * effectiveness[a][best][j]
            if fraction == 1.0:
                moved = xs[best]
            else:
                moved = xs[j] + fraction * (xs[best] - xs[j])
                moved = min(max(moved, min(xs[j], xs[best])), max(xs[j], xs[best]))
            new_row.append(moved)
            challenger_row.append(best)
            outcome_row.append(outcome)
            fraction_row.append(fraction)
        new_x.append(new_row)
        challengers.append(challenger_row)
        outcomes.append(outcome_row)
        fractions.append(fraction_row)
    return new_x, challengers, outcomes, fractions


def bargaining_round(x, c, s, rng, q=0.5, t=0.5, scale_range=1.0, *, vote_rule=VOTE_POSITIVE):
    """The classic round: every positive expected utility is a challenge."""
    m = len(x)
    n = len(x[0])
    c_rows = _capability_rows(c, m)
    weights = [[ck * sk for ck, sk in zip(c_rows[a], s[a], strict=True)] for a in range(m)]
    mu = forecast(x, weights)
    p = win_probability(x, c, s, vote_rule=vote_rule)
    r = risk_exponents(x, c, s, mu, q, t, scale_range, p=p)
    eu = expected_utility(x, c, s, r, mu, q, t, scale_range, p=p)
    offers = [[[eu[a][i][j] > 0 for j in range(n)] for i in range(n)] for a in range(m)]
    effectiveness = [[[1.0] * n for _ in range(n)] for _ in range(m)]
    # One draw per (issue, challenger, target) in that order: the stream of rng.random((m, n, n)).
    tiebreak = [[[rng.random() for _ in range(n)] for _ in range(n)] for _ in range(m)]
    new_x, challenger, outcome, fraction = resolve(x, eu, offers, effectiveness, tiebreak)
    return {
        "x": new_x,
        "forecast": mu,
        "risk": r,
        "eu": eu,
        "challenger": challenger,
        "outcome": outcome,
        "fraction": fraction,
    }
