"""The side panels as reflowing rows: the selected state or channel, and the issues.

Each panel is a :class:`~sim.ui.flow.ScrollView` whose rows a :class:`~sim.ui.flow.Flow` builds
from a snapshot (plain data) at the panel's width and the body text size; nothing here calls
the model. Every text is at least the body size, so the text scale enlarges all of it.
"""

from __future__ import annotations

import pygame

from sim.describe import the
from sim.ui import theme
from sim.ui.controller import StaticView
from sim.ui.flow import Flow, Row, ScrollView
from sim.ui.fonts import Fonts

POSITION_DOT = (120, 200, 255)
HISTORY_LINE = (130, 200, 255)


def bar(surf, rect, value: float, colour, track=(52, 58, 72)) -> None:
    """A horizontal bar filled to ``value`` in [0, 1]."""
    x, y, w, h = rect
    pygame.draw.rect(surf, track, (x, y, w, h), border_radius=2)
    fw = round(w * max(0.0, min(1.0, value)))
    if fw > 0:
        pygame.draw.rect(surf, colour, (x, y, fw, h), border_radius=2)


def _triangle(surf, x: float, y: float, r: float) -> None:
    pygame.draw.polygon(surf, theme.ACCENT, [(x, y - r), (x - r, y + r), (x + r, y + r)])


class PanelRenderer:
    """The selected state or channel panel, and the issues panel with their history.

    Args:
        static: the scenario's static view.
        fonts: shared fonts.
    """

    def __init__(self, static: StaticView, fonts: Fonts):
        self.static = static
        self.fonts = fonts
        self.views: dict[str, ScrollView] = {}

    def view(self, name: str, rect, fs: int) -> ScrollView:
        """The scroll view of panel ``name`` (kept across frames so that its scroll stays)."""
        v = self.views.get(name)
        r = pygame.Rect(rect)
        if v is None or v.rect != r or v.fs != fs:
            first = v.first if v is not None else 0
            v = ScrollView(r, fs)
            v.first = first
            self.views[name] = v
        return v

    def name(self, a: str) -> str:
        """A state's name as the fonts can draw it (its id otherwise)."""
        return self.fonts.drawable(self.static.names.get(a, a), a)

    # ------------------------------------------------------------------ selected
    def draw_selected(
        self,
        surf: pygame.Surface,
        rect,
        snap: dict,
        item: tuple | None,
        *,
        fs: int,
        humans: list[str],
        pending_hidden: bool,
        key,
        ended: bool = False,
    ) -> ScrollView:
        """The panel of the selected (or hovered) state or channel."""
        pad = max(3, fs // 3)
        pygame.draw.rect(surf, theme.PANEL, rect)
        pygame.draw.rect(surf, theme.PANEL_EDGE, rect, 1)
        v = self.view("selected", pygame.Rect(rect).inflate(-2 * pad, -2 * pad), fs)
        if getattr(v, "_item", None) != item:
            v.first = 0
            v._item = item

        def build(width: int) -> list[Row]:
            f = Flow(self.fonts, width, fs)
            if item and item[0] == "channel" and item[1] in snap["channels"]:
                self._channel(f, snap, item[1])
            elif item and item[0] == "actor" and item[1] in snap["actors"]:
                self._actor(f, snap, item[1], humans, pending_hidden, ended)
            else:
                f.heading("Selected: nothing")
                f.text(
                    "Hover over or click a capital, a country or a channel on the map to see "
                    "it here. Tab cycles the states.",
                    theme.TEXT_DIM,
                )
            return f.rows

        v.set_content((key, item, tuple(humans), pending_hidden, ended), build)
        v.draw(surf)
        return v

    def _actor(self, f: Flow, snap: dict, a: str, humans, pending_hidden: bool, ended: bool = False) -> None:
        st, fs = self.static, f.fs
        v = snap["actors"][a]
        who = "human team" if v["controller"] == "human" else "AI"
        f.text(f"{self.name(a)} ({a}): {who}", theme.ACCENT, bold=True, size=round(fs * 1.1))
        blocs = [b for b, bv in snap["blocs"].items() if a in bv["members"]]
        f.text(
            f"Capability: {100 * v['capability']:.1f} % of the military spending of all the "
            "scenario's states together. "
            f"Blocs: {', '.join(blocs) or 'none'}."
        )
        pend = snap.get("pending", {}).get(a, []) if not pending_hidden else []
        if pend and ended:  # nobody can answer them any more
            f.text(
                f"The game ended with {len(pend)} proposal{'s' * (len(pend) != 1)} to {self.name(a)} unanswered.",
                theme.TEXT_DIM,
            )
        elif pend:
            who = ", ".join(sorted({self.name(pr["from"]) for pr in pend}))
            asks = sum(1 for pr in pend if pr.get("reopen"))  # requests to reopen a channel it hosts
            what = f"proposal{'s' * (len(pend) - asks != 1)}" if not asks else (
                f"request{'s' * (asks != 1)} to reopen a channel" if asks == len(pend) else "proposals and requests"
            )
            f.text(
                f"{len(pend)} {what} await{'s' * (len(pend) == 1)} the answer of {the(self.name(a))} (from {who}).",
                theme.SUSPENDED,
                bold=True,
            )
        # issues: position (dot, size = salience) against the state in force (triangle)
        f.heading("Issues: its position (blue dot, larger = more salient) and the state in force (yellow triangle)")
        lh = self.fonts.font(fs).get_linesize()
        for x_id, iv in snap["issues"].items():
            pos, sal = v["position"][x_id], v["salience"][x_id]
            f.text(f"{iv['label']}: position {pos:.2f}, salience {sal:.2f}", indent=0)
            scale = st.issue_scales.get(x_id, [])

            def draw(surf, pos=pos, sal=sal, state=iv["state"], scale=scale):
                w = surf.get_width()
                bx, bw = round(fs * 0.6), w - round(fs * 1.2)
                cy = surf.get_height() // 2
                pygame.draw.line(surf, (70, 78, 96), (bx, cy), (bx + bw, cy), max(2, fs // 6))
                for lv, _n in scale:
                    tx = bx + round(bw * lv)
                    pygame.draw.line(surf, (110, 118, 136), (tx, cy - fs // 4), (tx, cy + fs // 4))
                _triangle(surf, bx + bw * state, cy + fs * 0.1, fs * 0.33)
                r = max(2, round((0.15 + 0.3 * sal) * fs))
                pygame.draw.circle(surf, POSITION_DOT, (bx + round(bw * pos), cy), r)
                return []

            f.custom(round(lh * 0.9), draw, key=("position", fs, pos, sal, iv["state"], tuple(scale)))
        # tensions and alignments
        f.heading("Highest tensions (tension, alignment)")
        tens = sorted(snap["tension"][a].items(), key=lambda kv: -kv[1])[:4]
        for b, t in tens:
            al = snap["alignment"][a][b]
            # the state's name, as everywhere else; its id only where the name leaves no room for the bar
            label = f"{self.name(b)}  {t:.2f}, {al:+.2f}"
            if self.fonts.width(label, fs) + 3 * fs > f.width:
                label = f"{b}  {t:.2f}, {al:+.2f}"

            def draw(surf, t=t, label=label):
                lab_w = self.fonts.width(label, fs)
                out = [f.put(surf, label, (f.pad, 0), fs, theme.TEXT)]
                bx = f.pad + lab_w + fs // 2
                bw = max(fs, surf.get_width() - bx - f.pad)
                if bx + fs <= surf.get_width():
                    bar(surf, (bx, lh // 3, bw, lh // 3), t, theme.tension_colour(t))
                return out

            f.custom(lh, draw, key=("tension", fs, label, t))
        # postures
        if v["posture"]:
            f.heading("Posture by theatre")
            for t, val in v["posture"].items():
                label = f"{st.theatre_names.get(t, t)}  {val:.2f}"
                if self.fonts.width(label, fs) + 3 * fs > f.width:
                    f.text(label)
                    continue

                def draw(surf, val=val, label=label):
                    lab_w = self.fonts.width(label, fs)
                    out = [f.put(surf, label, (f.pad, 0), fs, theme.TEXT)]
                    bx = f.pad + lab_w + fs // 2
                    bar(surf, (bx, lh // 3, surf.get_width() - bx - f.pad, lh // 3), val, theme.THEATRE)
                    return out

                f.custom(lh, draw, key=("posture", fs, label, val))
        # channels with staff
        chans = [(c, cv) for c, cv in snap["channels"].items() if a in st.channel_endpoints.get(c, ())]
        f.heading(f"Channels ({len(chans)}): staff of normal, effectiveness")
        for c, cv in chans:
            col = theme.channel_colour(cv["status"], cv["effectiveness"])
            status = "" if cv["status"] == "open" else f" {cv['status'].upper()}"
            f.text(
                f"{st.channel_labels.get(c, c)}{status}: {cv['staff']:,.0f} of {cv['staff_baseline']:,.0f}, "
                f"effectiveness {cv['effectiveness']:.2f}",
                marker=col,
            )

    def _channel(self, f: Flow, snap: dict, c: str) -> None:
        st, fs = self.static, f.fs
        v = snap["channels"][c]
        style = theme.CHANNEL_STYLES.get(v["kind"], theme.DEFAULT_STYLE)
        col = theme.channel_colour(v["status"], v["effectiveness"])
        f.text(st.channel_labels.get(c, c), theme.ACCENT, bold=True, size=round(fs * 1.1))
        f.text(f"Kind: {style['label']}")
        f.text(f"Between {' and '.join(the(st.names[e]) if e in st.names else e for e in v['endpoints'])}")
        f.text(f"Status: {v['status']}", col, bold=True)
        f.text(f"Staff: {v['staff']:,.0f} of {v['staff_baseline']:,.0f} persons in normal times")
        f.text(f"Effectiveness {v['effectiveness']:.2f}")
        lh = self.fonts.font(fs).get_linesize()

        def draw(surf):
            w = surf.get_width()
            bar(surf, (f.pad, lh // 4, w // 2, lh // 3), v["effectiveness"], col)
            from sim.ui.render import draw_cross, draw_styled

            y = lh * 3 // 4 + lh // 4
            draw_styled(
                surf, col, [(f.pad, y), (w // 2, y)], style["pattern"],
                max(1, round(style["width"] * fs / 14)),
            )
            if v["status"] == "closed":
                draw_cross(surf, theme.CLOSED, (w // 4, y), fs * 0.35, 3)
            return []

        f.custom(round(lh * 1.3), draw)
        issues = st.channel_issues.get(c, ())
        th = st.channel_theatres.get(c, ())
        text = "Carries: " + (
            ", ".join(st.issue_labels.get(x, x) for x in issues)
            if issues
            else "no bargaining issue (deconfliction only)"
        )
        if th:
            text += ". Deconfliction in: " + ", ".join(st.theatre_names.get(t, t) for t in th)
        f.text(text, theme.TEXT_DIM)

    # ------------------------------------------------------------------ issues
    def staffing_now(self, snap: dict, issue: str, state: float) -> str:
        """A staffing issue's state read as what it is, a ceiling, next to the staff that its
        channels have now (a closed embassy has none, whatever the ceiling).

        E.g. "A ceiling of 8 % of normal staff; now: the Russian embassy in Washington closed,
        the US embassy in Moscow 100 of 1,200 staff."
        """
        now = []
        for c in self.static.issue_staffing.get(issue, ()):
            cv = snap["channels"].get(c)
            if cv is None:
                continue
            label = self.static.channel_labels.get(c, c)
            if cv["status"] == "closed":
                now.append(f"{label} closed (no staff)")
            else:
                now.append(f"{label} {cv['staff']:,.0f} of {cv['staff_baseline']:,.0f} staff" + (" (suspended)" if cv["status"] == "suspended" else ""))
        return f"A ceiling of {100 * state:.0f} % of normal staff; now: " + "; ".join(now) + "."

    def draw_issues(
        self,
        surf: pygame.Surface,
        rect,
        snap: dict,
        history: dict[str, list[float]],
        moved: dict[str, tuple[float, float]],
        t: float,
        *,
        fs: int,
        key,
    ) -> ScrollView:
        """The issues: state in force with its named level and its history over the turns.

        ``moved`` maps an issue to ``(from, to)`` while the turn's animation runs (``t`` < 1):
        its marker slides from the old state to the new, on a highlighted row.
        """
        pad = max(3, fs // 3)
        pygame.draw.rect(surf, theme.PANEL, rect)
        pygame.draw.rect(surf, theme.PANEL_EDGE, rect, 1)
        v = self.view("issues", pygame.Rect(rect).inflate(-2 * pad, -2 * pad), fs)
        animating = bool(moved) and t < 1.0
        st = self.static
        lh = self.fonts.font(fs).get_linesize()

        def build(width: int) -> list[Row]:
            f = Flow(self.fonts, width, fs)
            f.text("Issues: state in force and its history", theme.ACCENT, bold=True)
            for x_id, iv in snap["issues"].items():
                state = iv["state"]
                hi = None
                if animating and x_id in moved:
                    a0, a1 = moved[x_id]
                    state = a0 + (a1 - a0) * min(1.0, t * 1.5)
                    hi = (52, 60, 40)
                lvl = st.level_name(x_id, iv["state"])
                n0 = len(f.rows)
                f.text(f"{iv['label']}: {iv['state']:.2f}", bold=True)
                hist = history.get(x_id, [])
                scale = st.issue_scales.get(x_id, [])

                def draw(surf, state=state, hist=hist, scale=scale):
                    w = surf.get_width()
                    bx, bw = f.pad + fs // 3, round(w * 0.55)
                    cy = surf.get_height() // 2
                    pygame.draw.line(surf, (70, 78, 96), (bx, cy), (bx + bw, cy), max(2, fs // 6))
                    for lv, _n in scale:
                        tx = bx + round(bw * lv)
                        pygame.draw.line(surf, (120, 128, 146), (tx, cy - fs // 4), (tx, cy + fs // 4))
                    _triangle(surf, bx + bw * state, cy, fs * 0.33)
                    gx, gw = bx + bw + fs, w - (bx + bw + fs) - f.pad
                    gy, gh = 2, surf.get_height() - 4
                    pygame.draw.rect(surf, (36, 42, 56), (gx, gy, gw, gh))
                    if len(hist) >= 2 and gw > 4:
                        n = max(len(hist) - 1, 1)
                        pts = [(gx + gw * i / n, gy + gh - gh * hv) for i, hv in enumerate(hist)]
                        pygame.draw.lines(surf, HISTORY_LINE, False, pts, max(1, fs // 8))
                    elif hist and gw > 4:
                        hy = gy + gh - gh * hist[0]
                        pygame.draw.line(surf, HISTORY_LINE, (gx, hy), (gx + gw, hy), 1)
                    return []

                f.custom(lh, draw, key=("issue", fs, state, tuple(hist), tuple(scale)))
                if lvl:
                    f.text(lvl, theme.TEXT_DIM, indent=fs // 3)
                if x_id in st.issue_staffing:
                    f.text(self.staffing_now(snap, x_id, iv["state"]), theme.TEXT_DIM, indent=fs // 3)
                for r in f.rows[n0:]:
                    r.bg = hi
            return f.rows

        k = (key, round(t, 2) if animating else None)
        v.set_content(k, build)
        v.draw(surf)
        return v
