"""The pygame program: window, event loop, pygame_gui widgets, and the screens of a game.

:class:`App` owns the window and the widgets; the game itself is a
:class:`~sim.ui.controller.GameController`, and what is drawn comes from :mod:`sim.ui.render`
(the map) and :mod:`sim.ui.panels` (the side panels). Buttons, drop-downs, the turn log and the
dialogs are pygame_gui widgets (on pygame-ce); the map, the panels, the action menu and the
sheets (briefing, the month's results, game over, debrief) are drawn directly as rows that
reflow at the text size and scroll (:mod:`sim.ui.flow`). Every size derives from the body text
size (:func:`sim.ui.layout.body_px`), so the text scale enlarges everything that is text.

Keys (also in the help overlay, H):

=================  ==========================================================
Enter              End turn (in a team's turn) / the team is ready (hand-over) /
                   Continue (the month's results, a briefing)
Space              skip the end-of-turn animation
B                  the team's briefing
D                  the debrief (game over, replay)
Ctrl+= / Ctrl+-    larger / smaller text (Ctrl+0: default)
PgUp / PgDn        scroll the panel under the mouse (also the wheel)
Tab / Shift+Tab    select the next / previous state
I                  instructor: inject an event
R                  replay on/off; Left/Right step a turn, Home/End first/last
Ctrl+S / Ctrl+O    save / load a game (JSON)
L                  legend on/off
M                  the action menu larger (over the map and the turn log) or back
F12                screenshot (PNG)
H, F1              this help
Esc                close the top window / leave the replay
Ctrl+Q             quit
=================  ==========================================================
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import pygame
import pygame_gui
from pygame_gui.elements import (
    UIButton,
    UIDropDownMenu,
    UILabel,
    UIScrollingContainer,
    UISelectionList,
    UITextBox,
    UITextEntryLine,
    UIWindow,
)
from pygame_gui.windows import UIConfirmationDialog, UIFileDialog, UIMessageWindow

from sim.files import replaced_atomically
from sim.ui import logtext, theme
from sim.ui import save as saves
from sim.ui.controller import ACTION_GROUPS, GameController
from sim.ui.flow import Flow, ScrollView
from sim.ui.layout import BODY_PX, MIN_TEXT_PX, TEXT_SCALES, Layout, body_px, inset
from sim.ui.panels import PanelRenderer
from sim.ui.render import (
    Fonts,
    MapRenderer,
    draw_banner,
    draw_screen_message,
    draw_toast,
    draw_top,
    screen_message_height,
)

HELP_KEYS = [
    ("Enter", "End turn; at a hand-over: the team is ready; on a sheet: Continue"),
    ("B", "the team's briefing; D: the debrief (at the end and in the replay)"),
    ("Ctrl+= / Ctrl+- / Ctrl+0", "larger / smaller / default text"),
    ("PgUp / PgDn, wheel", "scroll the panel under the mouse"),
    ("Space", "skip the end-of-turn animation"),
    ("Tab / Shift+Tab", "select the next / previous state"),
    ("mouse", "hover or click a capital, country or channel to select it"),
    ("I", "instructor: inject an event (incident, summit, expulsion, red line, note)"),
    ("R", "replay on/off; Left/Right a turn back/forward; Home/End first/last"),
    ("Ctrl+S / Ctrl+O", "save / load a game (JSON)"),
    ("L", "legend on/off"),
    ("M", "the action menu larger (over the map and the log) or back"),
    ("F12", "screenshot (PNG)"),
    ("H or F1", "this help"),
    ("Esc", "close the top window; leave the replay"),
    ("Ctrl+Q", "quit"),
]

GROUP_LABELS = dict(ACTION_GROUPS)
INSTRUCTOR_KINDS = [
    ("incident", "Incident in a theatre"),
    ("summit", "Summit"),
    ("expulsion", "Expulsion of staff"),
    ("red_line", "Red line crossed"),
    ("channel_status", "Channel status"),
    ("note", "Custom note"),
]


def describe_event(ev: dict, static, snap: dict | None = None) -> str:
    """A queued instructor event in words, e.g. ``Incident in Baltic Sea: Russia and United States``.

    Channels are named (:attr:`StaticView.channel_labels`), an expulsion is given in persons (of
    the channel's staff in ``snap``, the snapshot the event was queued in).
    """
    kind = ev.get("kind", "")
    label = dict(INSTRUCTOR_KINDS).get(kind, kind.replace("_", " ").capitalize())
    parts = []
    name = static.names.get
    if ev.get("theatre"):
        parts.append(static.theatre_names.get(ev["theatre"], ev["theatre"]))
    if ev.get("actors"):
        parts.append(" and ".join(name(a, a) for a in ev["actors"]))
    if ev.get("channel"):
        parts.append(static.channel_labels.get(ev["channel"], ev["channel"]))
    if ev.get("actor") and ev.get("issue"):
        parts.append(f"{name(ev['actor'], ev['actor'])} on {static.issue_labels.get(ev['issue'], ev['issue'])}")
    if ev.get("status"):
        parts.append(f"to {ev['status']}")
    if kind == "expulsion" and ev.get("size") is not None and ev.get("channel"):
        v = (snap or {}).get("channels", {}).get(ev["channel"])
        if v and v.get("staff_baseline"):
            n = _value(ev["size"]) * v["staff_baseline"]  # the event's size: a share of normal staff
            parts.append(f"{n:,.0f} of {v['staff']:,.0f} staff")
        else:
            parts.append(f"{_value(ev['size']):.0%} of normal staff")
    text = label + (": " + ", ".join(parts) if parts else "")
    return text + (f" ({ev['text']})" if ev.get("text") else "")


def _value(x) -> float:
    return float(x["value"]) if isinstance(x, dict) else float(x)


def gui_theme(fs: int) -> dict:
    """pygame_gui theme (a dict) with fonts scaled to ``fs`` pixels."""
    font = {"name": "noto_sans", "size": str(fs)}
    bold = {"name": "noto_sans", "size": str(fs), "bold": "1"}
    return {
        "defaults": {
            "colours": {
                "normal_bg": "#394155",
                "hovered_bg": "#4A5571",
                "disabled_bg": "#262B36",
                "selected_bg": "#2F6DB5",
                "active_bg": "#2F6DB5",
                "dark_bg": "#1C212C",
                "normal_text": "#E8ECF2",
                "hovered_text": "#FFFFFF",
                "selected_text": "#FFFFFF",
                "disabled_text": "#8088A0",
                "normal_border": "#4A5369",
            }
        },
        "button": {
            "font": bold,
            "misc": {"shape": "rounded_rectangle", "shape_corner_radius": "4"},
        },
        "label": {"font": font},
        "text_box": {"font": font},
        "text_entry_line": {"font": font},
        "selection_list": {"misc": {"list_item_height": str(round(fs * 1.55))}},
        "selection_list.@selection_list_item": {"font": font},
        "drop_down_menu": {"font": font, "misc": {"list_item_height": str(round(fs * 1.55))}},
        "#accent": {
            "colours": {"normal_bg": "#9C7420", "hovered_bg": "#C08F26", "normal_text": "#FFFFFF"}
        },
        "#status": {"font": bold, "colours": {"normal_text": "#FFD666"}},
        "window": {"misc": {"title_bar_height": str(round(fs * 1.9))}},
        "window.#title_bar": {"font": bold},
        "#confirmation_dialog": {"misc": {"title_bar_height": str(round(fs * 1.9))}},
        "#confirmation_dialog.#title_bar": {"font": bold},
        "#message_window": {"misc": {"title_bar_height": str(round(fs * 1.9))}},
        "#message_window.#title_bar": {"font": bold},
        "#file_dialog": {"misc": {"title_bar_height": str(round(fs * 1.9))}},
        "#file_dialog.#title_bar": {"font": bold},
        "#title": {
            "font": {"name": "noto_sans", "size": str(round(fs * 1.5)), "bold": "1"},
            "colours": {"normal_text": "#FFD666"},
        },
    }



def signed(x: float) -> str:
    """Points with their sign and one decimal: "+1.5", "-0.3", and "+0.0" (never "-0.0")."""
    return f"{round(float(x), 1) + 0.0:+.1f}"

class App:
    """The front end of one game.

    Args:
        controller: the game.
        size: initial window size in pixels.
        save_dir: default directory of save and load dialogs.
        screenshot_dir: where F12 writes PNGs.
        fps: frame-rate cap of :meth:`run`.
    """

    def __init__(
        self,
        controller: GameController,
        *,
        size: tuple[int, int] = (1280, 800),
        save_dir: str = "saves",
        screenshot_dir: str = "screenshots",
        fps: int = 60,
        text_scale: float = 1.0,
    ):
        pygame.display.init()
        pygame.font.init()
        self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.display.set_caption(f"Great-power bargaining - {controller.static.name}")
        pygame.key.set_repeat(350, 60)
        self.fonts = Fonts()
        self.ctrl = controller
        self.save_dir = save_dir
        self.screenshot_dir = screenshot_dir
        self.fps = fps
        self.clock = pygame.time.Clock()
        self.running = True
        self.log_filter = logtext.FILTERS[2]  # key events: quick to lay out, what a seminar discusses
        self.category: str | None = None
        self._category_for: tuple | None = None  # (turn, team) whose planning self.category belongs to
        self._team_category: dict[str, str] = {}  # the category each team last looked at
        self.messages: list[str] = []
        """Every message shown in a message window or a toast (tests read it)."""
        self.toast: tuple[str, float] | None = None
        """A short message over the map (text, seconds left), e.g. after a save."""
        self.replay_banner_rect: pygame.Rect | None = None
        """Where the replay's banner was last drawn (``None`` before any replay)."""
        self.confirm_dialog: UIConfirmationDialog | None = None
        self._on_confirm = None
        self._on_no = None
        self._confirm_default_yes = True
        self.frame_times: list[float] = []
        self.text_scale = max(TEXT_SCALES[0], min(TEXT_SCALES[-1], float(text_scale)))
        self.mouse = (0, 0)
        """The last mouse position seen in an event (the wheel scrolls what is under it)."""
        self.status_text = ""
        self.menu_title = ""
        self.sheet: str | None = None
        """The sheet opened by a key or the flow (``briefing``, ``end``, ``debrief``)."""
        self._briefed: set = set()
        self._end_shown = False
        self.panel_views: dict[str, ScrollView] = {}
        self.handover_lines: list[str] = []
        """The hand-over screen's first lines as last drawn (tests read them)."""
        self._act_text: dict = {}
        self.menu_big = False
        """Whether the action menu is larger, over the map and the turn log (M toggles it)."""
        self.notice_lines: list[str] = []
        """The lines of the last "Preparing the simulation" notice drawn (tests read them)."""
        self.dropped_events = 0
        """Input events dropped after a compile (queued while the window could not answer)."""
        from sim.compiled_cache import compile_ahead

        self.compile_pending = compile_ahead()
        """Whether the model's compiled code must still be compiled (a cold numba cache,
        :func:`sim.compiled_cache.compile_ahead`, a cheap check): a notice is drawn first."""
        self._new_renderers()
        self._build(size)

    # ------------------------------------------------------------------ setup
    def _new_renderers(self) -> None:
        show = getattr(self, "map", None).show_legend if getattr(self, "map", None) else True
        self.map = MapRenderer(self.ctrl.static, self.fonts)
        self.map.show_legend = show
        self.panels = PanelRenderer(self.ctrl.static, self.fonts)

    def _build(self, size: tuple[int, int]) -> None:
        """(Re)create the layout and every widget for a window size and the text scale."""
        W, H = size
        fs = self.fs = body_px(W, H, self.text_scale)
        self.pad = pad = max(4, round(fs * 0.4))
        self.bh = bh = round(fs * 2.0)
        lh = self.fonts.font(fs).get_linesize()
        self.manager = pygame_gui.UIManager((W, H), gui_theme(fs), enable_live_theme_updates=False)
        with warnings.catch_warnings():  # pygame_gui warns when a size is loaded already
            warnings.simplefilter("ignore")
            self.manager.preload_fonts(
                [
                    {"name": "noto_sans", "point_size": fs, "style": st, "antialiased": "1"}
                    for st in ("bold", "italic")
                ]
                + [
                    {"name": "noto_sans", "point_size": round(fs * 1.5), "style": "bold", "antialiased": "1"}
                ]
            )
        self.w: dict[str, object] = {}
        self.instructor: UIWindow | None = None
        self.inst_widgets: dict[str, object] = {}
        self.help_window: UIWindow | None = None
        self.file_dialog: UIFileDialog | None = None
        self.confirm_dialog = None
        self._on_confirm = None
        self._on_no = None
        self.file_mode = ""
        self._gui_sig = None
        self._log_sig = None
        self._menu_sig = None
        self._info_text = None
        # top bar: buttons sized to their text, right-aligned beside the status; on a second
        # row under it when the status would get less than about 22 characters of room
        names = [
            ("end", "End turn"),
            ("instructor", "Instructor"),
            ("save", "Save"),
            ("load", "Load"),
            ("replay", "Replay"),
            ("help", "Help"),
        ]
        widths = {k: self.button_width(t) for k, t in names}
        widths["replay"] = self.button_width("Exit replay")  # its text in the replay
        total = sum(widths.values()) + pad * (len(names) + 1)
        status_lines = 2
        sample = "2021-10  turn 36/36  |  the month's results (Enter to go on)"
        need = max(self.fonts.width(sample, fs, True), self.fonts.width(self.ctrl.status_line(), fs, True))
        one_row = W - total - pad >= need
        if one_row:
            top_h = max(bh + 2 * pad, status_lines * lh + 2 * pad)
            self.status_rect = pygame.Rect(pad, pad, W - total - pad, top_h - 2 * pad)
            x = W - pad
            for key, text in reversed(names):
                x -= widths[key]
                self.w[key] = self._button((x, (top_h - bh) // 2, widths[key], bh), text, key)
                x -= pad
        else:
            status_h = status_lines * lh
            rows = self._flow_rows([widths[k] for k, _ in names], W - 2 * pad, pad)
            top_h = pad + status_h + pad + len(rows) * (bh + pad)
            self.status_rect = pygame.Rect(pad, pad, W - 2 * pad, status_h)
            y = pad + status_h + pad
            k = 0
            for row in rows:
                x = W - pad - (sum(row) + pad * (len(row) - 1))
                for wdt in row:
                    key, text = names[k]
                    self.w[key] = self._button((x, y, wdt, bh), text, key)
                    x += wdt + pad
                    k += 1
                y += bh + pad
        self.layout = L = Layout.for_size(W, H, top_h, self.text_scale)
        snap = self.ctrl.shown_snapshot()
        self.map.set_rect(L.map, {b: v["members"] for b, v in snap["blocs"].items()}, label_px=self.map_label_px())
        # menu area: the team's action menu (a drop-down of categories and two scrolling lists);
        # larger (M), it takes the map's place and the turn log's, beside the panels
        self.menu_rect = pygame.Rect(self.plan_menu_area(L))
        mx, my, mw, mh = inset(tuple(self.menu_rect), pad)
        longest = max((self.name(a) for a in (self.ctrl.humans or self.ctrl.static.actor_ids)), key=len)
        sample = f"{longest} (XXX): 0 of 4 actions chosen"
        # the title: two lines at most; one at a large text scale when its short form fits
        # ("RUS: 0 of 4 chosen", see _sync_menu), leaving the list the room
        title_lines = min(2, len(self.fonts.wrap(sample, fs, mw, True)))
        if self.text_scale >= 1.5 and self.fonts.width("XXX: 0 of 4 chosen", fs, True) <= mw:
            title_lines = 1
        title_h = lh * title_lines
        self.menu_title_rect = pygame.Rect(mx, my, mw, title_h)
        size_text = "Smaller (M)" if self.menu_big else "Larger (M)"
        sw = min(self.button_width("Smaller (M)"), mw // 2)
        self.menu_rects = {"category": pygame.Rect(mx, my + title_h, mw - sw - pad, bh)}
        self.w["menu_size"] = self._button((mx + mw - sw, my + title_h, sw, bh), size_text)
        self.menu_rects["available"] = pygame.Rect(
            mx, my + title_h + bh + pad, mw, max(lh, mh - title_h - bh - pad)
        )
        self.views = {"available": ScrollView(self.menu_rects["available"], fs)}
        self.w["category"] = None
        # menu area: info (spectator, animation, game over) and replay controls
        mx, my, mw, mh = inset(L.menu, pad)
        rnames = [("first", "|<"), ("back", "< Back"), ("fwd", "Fwd >"), ("last", ">|"), ("exit_replay", "Exit")]
        rrows = self._flow_rows([self.button_width(t) for _, t in rnames], mw, pad)
        ctrl_h = len(rrows) * (bh + pad)
        self.w["info"] = UITextBox("", pygame.Rect(mx, my, mw, mh - ctrl_h), self.manager)
        y = my + mh - ctrl_h + pad
        k = 0
        for row in rrows:
            x = mx
            for wdt in row:
                key, text = rnames[k]
                self.w[key] = self._button((x, y, wdt, bh), text)
                x += wdt + pad
                k += 1
            y += bh + pad
        self.w["skip"] = self._button(
            (mx, my + mh - bh, self.button_width("Skip (Space)"), bh), "Skip (Space)"
        )
        # log: its title and filter on one row (two when narrow), the text below
        lx, ly, lw, lhh = inset(L.log, pad)
        dd_w = min(lw, max(self.fonts.width(t, fs) for t in logtext.FILTERS) + 3 * fs)
        if lw - dd_w - pad >= self.fonts.width("Turn log: turn 000", fs, bold=True) + fs:
            self.w["log_label"] = UILabel(pygame.Rect(lx, ly, lw - dd_w - pad, bh), "Turn log", self.manager, object_id="#status")
            self.w["log_filter"] = UIDropDownMenu(list(logtext.FILTERS), self.log_filter, pygame.Rect(lx + lw - dd_w, ly, dd_w, bh), self.manager)
            top = ly + bh + pad
        else:
            self.w["log_label"] = UILabel(pygame.Rect(lx, ly, lw, bh), "Turn log", self.manager, object_id="#status")
            dd_w = min(lw, dd_w)
            self.w["log_filter"] = UIDropDownMenu(list(logtext.FILTERS), self.log_filter, pygame.Rect(lx, ly + bh, dd_w, bh), self.manager)
            top = ly + 2 * bh + pad
        self.w["log"] = UITextBox("", pygame.Rect(lx, top, lw, ly + lhh - top), self.manager)
        # start screen
        st = self.ctrl.static
        items = [(f"{a}  {self.ui_name(a)}", a) for a in st.actor_ids]
        bw2 = max(self.button_width(t) for t in ("Start with chosen teams", "Watch: all AI", "Load a saved game"))
        list_w = min(W - 2 * pad, max(round(30 * fs), 2 * bw2 + pad))
        by = H - 2 * (bh + pad) - pad
        # the list starts under the title and instructions (they wrap at a large text scale)
        msg_h = screen_message_height(self.fonts, self._start_lines(), fs, W) + fs + fs // 2
        list_top = min(max(round(H * 0.3), msg_h), by - 2 * bh)
        self.w["start_list"] = UISelectionList(
            pygame.Rect((W - list_w) // 2, list_top, list_w, max(bh, by - pad - list_top)),
            items,
            self.manager,
            allow_multi_select=True,
            default_selection=[i for i in items if i[1] in self.ctrl.preselected] or None,
        )
        if 2 * bw2 + pad <= W - 2 * pad:
            self.w["start_go"] = self._button((W // 2 - bw2 - pad // 2, by, bw2, bh), "Start with chosen teams", "end")
            self.w["start_watch"] = self._button((W // 2 + pad // 2, by, bw2, bh), "Watch: all AI")
        else:
            self.w["start_go"] = self._button(((W - bw2) // 2, by - bh - pad, bw2, bh), "Start with chosen teams", "end")
            self.w["start_watch"] = self._button(((W - bw2) // 2, by, bw2, bh), "Watch: all AI")
        self.w["start_load"] = self._button(((W - bw2) // 2, by + bh + pad, bw2, bh), "Load a saved game")
        # sheets (briefing, month results, game over, debrief) over the body, buttons below
        y_btn = H - pad - bh
        self.sheet_rect = pygame.Rect(pad, top_h + pad, W - 2 * pad, max(2 * lh, y_btn - 2 * pad - top_h))
        self.sheet_view = ScrollView(self.sheet_rect.inflate(-2 * pad, -2 * pad), fs)
        x = W - pad
        for key, text in (("sheet_ok", "Start planning (Enter)"), ("sheet_debrief", "Debrief (D)")):
            wdt = self.button_width(text)
            x -= wdt
            self.w[key] = self._button((x, y_btn, wdt, bh), text, "end" if key == "sheet_ok" else None)
            x -= pad
        # hand-over screen
        rw = min(W - 2 * pad, self.button_width("Somebody's long state name's team is ready (Enter)"))
        self.w["ready"] = self._button(((W - rw) // 2, round(H * 0.62), rw, round(bh * 1.3)), "", "end")
        self._sync(force=True)

    def plan_menu_area(self, L: Layout) -> tuple[int, int, int, int]:
        """Where the team's action menu goes: the band's left part, or (larger, M) the whole
        left of the window under the top bar, over the map and the turn log (the panels stay)."""
        if not self.menu_big:
            return L.menu
        x, y, w, _h = L.map
        return (x, y, w, L.menu[1] + L.menu[3] - y)

    def toggle_menu_size(self) -> None:
        """The action menu larger (over the map and the turn log) or back to its place (M)."""
        self.menu_big = not self.menu_big
        keep = self.views["available"].first if hasattr(self, "views") else 0
        self.resize(*self.screen.get_size())
        self.views["available"].first = keep

    def _start_lines(self) -> list[tuple[str, int, tuple, bool]]:
        """The start screen's title, scenario and instructions (text, size, colour, bold)."""
        fs = self.fs
        return [
            ("Great-power bargaining", round(fs * 1.9), theme.ACCENT, True),
            (self.ctrl.static.name, round(fs * 1.15), theme.TEXT, False),
            (
                "Choose the states that human teams play (click to toggle; hot-seat order = list order). "
                "The AI plays all the others. Enter starts.",
                fs,
                theme.TEXT_DIM,
                False,
            ),
        ]

    def button_width(self, text: str) -> int:
        """The width of a button that shows ``text`` whole (bold body text and margins)."""
        return self.fonts.width(text, self.fs, bold=True) + max(12, round(1.0 * self.fs))

    @staticmethod
    def _flow_rows(widths: list[int], room: int, pad: int) -> list[list[int]]:
        rows: list[list[int]] = [[]]
        used = 0
        for w in widths:
            if rows[-1] and used + pad + w > room:
                rows.append([])
                used = 0
            used += (pad if rows[-1] else 0) + w
            rows[-1].append(w)
        return rows

    def _button(self, rect, text: str, key: str | None = None) -> UIButton:
        return UIButton(
            pygame.Rect(rect),
            text,
            self.manager,
            object_id="#accent" if key == "end" else None,
            tool_tip_text=None,
        )

    def map_label_px(self) -> int:
        """Size of the state labels on the map: the body size, at most 1.5 times the default's
        (a larger text scale enlarges the panels' text more than the map's labels)."""
        W, H = self.screen.get_size()
        px = round(body_px(W, H, min(self.text_scale, 1.5)) * 0.9)
        map_h = self.layout.map[3] if hasattr(self, "layout") else H * 0.6
        return max(MIN_TEXT_PX, min(px, round(map_h / 24)))  # room for the crowded labels of Europe

    def ui_name(self, actor: str) -> str:
        """A state's name as pygame_gui's widgets can draw it (its id where Noto Sans lacks
        the script)."""
        return self.fonts.widget_safe(self.ctrl.static.names.get(actor, actor), actor)

    def set_text_scale(self, scale: float) -> None:
        """Change the text scale (0.75 to 2.5) and lay everything out again."""
        scale = max(TEXT_SCALES[0], min(TEXT_SCALES[-1], float(scale)))
        if scale == self.text_scale:
            return
        self.text_scale = scale
        self.resize(*self.screen.get_size())
        self.show_toast(f"Text size {round(scale * 100)} % (Ctrl+= larger, Ctrl+- smaller, Ctrl+0 default)", 2.5)

    def step_text_scale(self, direction: int) -> None:
        """One step up (``1``) or down (``-1``) through :data:`~sim.ui.layout.TEXT_SCALES`."""
        cur = self.text_scale
        if direction > 0:
            nxt = next((s for s in TEXT_SCALES if s > cur + 1e-9), TEXT_SCALES[-1])
        else:
            nxt = next((s for s in reversed(TEXT_SCALES) if s < cur - 1e-9), TEXT_SCALES[0])
        self.set_text_scale(nxt)

    # ------------------------------------------------------------------ widget state
    def _show(self, keys: list[str], on: bool) -> None:
        for k in keys:
            wdg = self.w.get(k)
            if wdg is None:
                continue
            if on and not wdg.visible:
                wdg.show()
            elif not on and wdg.visible:
                wdg.hide()

    GAME = [
        "end",
        "instructor",
        "save",
        "load",
        "replay",
        "help",
        "log_label",
        "log_filter",
        "log",
    ]
    MENU = ["category", "menu_size"]
    REPLAY = ["first", "back", "fwd", "last", "exit_replay"]
    START = ["start_list", "start_go", "start_watch", "start_load"]

    def prepare_compiled(self) -> bool:
        """With a cold numba cache, say so in the window, then compile, then drop the input
        queued meanwhile.

        The notice (:data:`sim.compiled_cache.NOTICE`) is drawn and shown before the compile
        starts; the compile plays one all-AI turn of the scenario in a throwaway model
        (:func:`sim.compiled_cache.compile_now`: the game's model is not touched); clicks and
        keys queued while the window could not answer are then dropped, so that none acts on a
        screen the player never saw (a quit and a resize are kept).

        Returns:
            Whether it compiled (``False`` with a warm cache: nothing is drawn or dropped).
        """
        if not self.compile_pending:
            return False
        from sim.compiled_cache import NOTICE, compile_now
        from sim.describe import capital_first

        self.compile_pending = False
        fs = self.fs if hasattr(self, "fs") else body_px(*self.screen.get_size(), self.text_scale)
        head, _, tail = NOTICE.partition(": ")
        self.notice_lines = [head, capital_first(tail) + "."]
        draw_screen_message(
            self.screen,
            self.fonts,
            [
                (self.notice_lines[0], round(fs * 1.6), theme.ACCENT, True),
                (self.notice_lines[1], round(fs * 1.15), theme.TEXT, False),
                ("The window does not answer meanwhile; clicks and keys made now are dropped.", fs, theme.TEXT_DIM, False),
            ],
            fs,
        )
        pygame.display.flip()
        pygame.event.pump()  # the window manager sees the notice before the compile
        compile_now(self.ctrl.scenario)
        self.drain_input()
        return True

    def drain_input(self) -> int:
        """Drop the mouse, keyboard and text events queued now (keep a quit and a resize).

        Returns:
            How many were dropped (also added to :attr:`dropped_events`).
        """
        kept, dropped = [], 0
        for ev in pygame.event.get():
            if ev.type in (pygame.QUIT, pygame.VIDEORESIZE):
                kept.append(ev)
            else:
                dropped += 1
        for ev in kept:
            pygame.event.post(ev)
        self.dropped_events += dropped
        return dropped

    def _sync(self, force: bool = False) -> None:
        """Bring the widgets in line with the controller (cheap when nothing changed)."""
        self.prepare_compiled()  # before the first call that would compile (a cold cache)
        c = self.ctrl
        self._sync_log()  # its own signature: a change of filter shows at once
        if (
            c.phase == "plan"
            and c.current_team
            and (c.model.turn == 0 or len(c.humans) > 1)
            and (c.model.turn, c.current_team) not in self._briefed
        ):
            self._briefed.add((c.model.turn, c.current_team))  # at the start and each hand-over
            self.open_sheet("briefing")
        if c.phase == "over" and not self._end_shown:
            self._end_shown = True
            self.open_sheet("end")
        sheet = self.current_sheet()
        sig = (c.phase, c.current_team, c.version, c.shown_turn(), self.category, c.message, sheet)
        if sig == self._gui_sig and not force:
            return
        self._gui_sig = sig
        phase = c.phase
        game = phase not in ("start", "handover")
        self._show(["sheet_ok"], game and sheet is not None)
        self._show(["sheet_debrief"], game and sheet == "end")
        if sheet is not None:
            self.w["sheet_ok"].set_text(
                {"results": "Continue (Enter)", "briefing": "Start planning (Enter)"}.get(sheet, "Close (Esc)")
            )
        self._show(self.START, phase == "start")
        self._show(["ready"], phase == "handover")
        self._show(self.GAME, game)
        plan_team = phase == "plan" and c.current_team is not None and sheet is None
        self._show(self.MENU, plan_team)
        self._show(self.REPLAY, phase == "replay" and sheet is None)
        self._show(["skip"], phase == "animate")
        self._show(["info"], game and not plan_team and sheet is None)
        self._show(["log_label", "log_filter", "log"], game and sheet is None and not (plan_team and self.menu_big))
        if phase == "handover":
            from sim.describe import capital_first, possessive

            self.w["ready"].set_text(f"{capital_first(possessive(self.ui_name(c.current_team)))} team is ready (Enter)")
            if self.instructor is not None:  # the next team must not see the instructor's queue
                self.instructor.kill()
                self.instructor = None
        if game:
            self.status_text = c.status_line()
            if c.teams and c.phase != "start":
                self.status_text += "\n" + self._score_line(c.scores_in_team_order())
            if phase == "plan":
                self.w["end"].enable()
            else:
                self.w["end"].disable()
            self.w["replay"].set_text("Exit replay" if phase == "replay" else "Replay")
        if plan_team:
            self._sync_menu()
        elif phase in ("animate", "handover"):
            self._prepare_menu()
        if game and not plan_team:
            self._sync_info()

    def _score_line(self, scores: list[tuple[str, float, float]]) -> str:
        """The top bar's scores (in the teams' order, the same every month, with the change
        since last month), as many as fit on one line; the rest are counted."""
        parts = [f"{team} {signed(total)} ({signed(d)})" for team, total, d in scores]
        for k in range(len(parts), 0, -1):
            line = "Scores: " + "   ".join(parts[:k]) + (f"   +{len(parts) - k} more in the month's results" if k < len(parts) else "")
            if self.fonts.width(line, self.fs, True) <= self.status_rect.w:
                return line
        return "Scores: " + parts[0] if parts else ""

    def action_text(self, a) -> str:
        """An action as the menu shows it: in plain words, with what it asks
        (:func:`sim.describe.describe_action_in`)."""
        from sim.describe import describe_action_in

        key = (len(self.ctrl.history), id(self.ctrl), a)
        text = self._act_text.get(key)
        if text is None:
            if len(self._act_text) > 4000:
                self._act_text.clear()
            text = self._act_text[key] = describe_action_in(self.ctrl.scenario, self.ctrl.history[-1], a)
        return text

    def _prepare_menu(self) -> None:
        """While a turn's results or the hand-over screen show, work out the next team's menu
        (its legal actions and their words), so that the first frame of planning only lays it out."""
        for a in self.ctrl.prepare_next_turn():
            self.action_text(a)

    def _sync_menu(self) -> None:
        c = self.ctrl
        team = c.current_team
        menu = c.menu()
        if self._category_for != (c.model.turn, team):
            # a team's planning opens on the proposals to answer or the votes to cast, if it has
            # any, else where this team itself last looked; never on the category the previous
            # team left open (that would show the next team where it had looked)
            if self._category_for is not None and self.category is not None:
                self._team_category[self._category_for[1]] = self.category
            self._category_for = (c.model.turn, team)
            urgent = [g for g in ("answer", "vote") if g in menu]
            self.category = urgent[0] if urgent else self._team_category.get(team)
        if self.category not in menu:
            self.category = next(iter(menu), None)
        msig = (c.model.turn, team, c.version, self.category)
        if msig == self._menu_sig:
            return
        rebuild_dd = (
            self._menu_sig is None
            or self._menu_sig[:2] != msig[:2]
            or self.w.get("category") is None
        )
        self._menu_sig = msig
        self.menu_title = f"{self.name(team)} ({team}): {c.core_count()} of {c.action_limit} actions chosen"
        lines = self.menu_title_rect.h // self.fonts.font(self.fs, True).get_linesize()
        if len(self.fonts.wrap(self.menu_title, self.fs, self.menu_title_rect.w, True)) > lines:
            self.menu_title = f"{team}: {c.core_count()} of {c.action_limit} chosen"
        if rebuild_dd or self.w["category"].selected_option[1] != self.category:
            if self.w.get("category") is not None:
                self.w["category"].kill()
            opts = [(f"{GROUP_LABELS[g]} ({len(v)})", g) for g, v in menu.items()]
            start = next((o for o in opts if o[1] == self.category), opts[0] if opts else ("-", "-"))
            self.w["category"] = UIDropDownMenu(
                opts or [("-", "-")],
                start,
                self.menu_rects["category"],
                self.manager,
                expansion_height_limit=round(self.layout.size[1] * 0.5),
            )
        from sim.describe import describe_proposal_in, proposal_heading, proposal_row

        chosen = list(c.chosen.get(team, []))
        avail = list(menu.get(self.category, []))
        fs = self.fs
        cat = GROUP_LABELS.get(self.category, "")
        snap = c.history[-1]

        def build(width: int):
            f = Flow(self.fonts, width, fs)
            if chosen:
                f.text("Chosen (click to remove):", theme.TEXT_DIM, bold=True)
                for a in chosen:
                    f.text(self.action_text(a), payload=("drop", a), bg=(47, 80, 130))
                f.gap(fs // 2)
            f.text(f"{cat}: click to choose" if avail else f"{cat}: nothing this month", theme.TEXT_DIM, bold=True)
            asked = heading = None
            for a in avail:
                if a.kind == "propose":  # grouped by issue: a heading says what they ask
                    if a.issue != heading:
                        heading = a.issue
                        f.text(proposal_heading(c.scenario, snap, team, a.issue), theme.SUSPENDED, bold=True)
                    f.text(proposal_row(c.scenario, snap, a), payload=("pick", a), indent=fs)
                    continue
                if a.kind == "answer" and (a.target, a.issue, a.channel) != asked:
                    asked = (a.target, a.issue, a.channel)  # what the proposal asks, then the answers
                    p = next(
                        (
                            q
                            for q in snap.get("pending", {}).get(team, [])
                            if q["from"] == a.target and q["issue"] == a.issue and q.get("channel", "") == a.channel
                        ),
                        None,
                    )
                    if p is not None:
                        f.text(describe_proposal_in(c.scenario, snap, team, p), theme.SUSPENDED, bold=True)
                f.text(self.action_text(a), payload=("pick", a), indent=fs if a.kind == "answer" else 0)
            return f.rows

        av = self.views["available"]
        if getattr(av, "_cat", None) != (team, self.category):
            av.first = 0
            av._cat = (team, self.category)
        av.selected = {("pick", a) for a in chosen}
        av.set_content(("a", msig, tuple(chosen)), build)

    def _sync_info(self) -> None:
        c = self.ctrl
        if c.phase == "replay":
            snap = c.shown_snapshot()
            text = f"<b>Replay</b>: turn {c.replay_cursor} of {len(c.history) - 1} ({snap['date']}).<br>Left/Right: a turn back/forward; Home/End: first/last; Esc or Exit: back to the game."
        elif c.phase == "animate":
            text = f"<b>{c.message}</b><br>Resolved in {1000 * c.last_resolve_s:.0f} ms; showing what changed."
        elif c.phase == "over":
            text = f"<b>Game over: {c.model.end_state.replace('_', ' ')}</b> after {c.model.turn} turn{'s' * (c.model.turn != 1)}.<br>R: replay it turn by turn. Ctrl+S: save it."
        else:
            text = "All states are played by the AI.<br><b>End turn</b> (Enter) plays the next month; I opens the instructor's events."
            if c.message:
                text += f"<br><font color='#A8B0C0'>{c.message}</font>"
        if getattr(self, "_info_text", None) != text:
            self._info_text = text
            self.w["info"].set_text(text)

    def _sync_log(self) -> None:
        c = self.ctrl
        focus = c.focus_actor() if self.log_filter == logtext.FILTERS[1] else ""
        sig = (c.shown_turn(), len(c.history), self.log_filter, focus, c.phase == "start")
        if sig == self._log_sig:
            return
        self._log_sig = sig
        t = c.shown_turn()
        html = logtext.turn_html(
            c.shown_log(),
            mode=self.log_filter,
            focus=focus,
            humans=set(c.humans),
            great_powers=set(c.static.great_powers),
            words=logtext.Words(c.scenario, c.history[t - 1] if t >= 1 else None),
        )
        self.w["log"].set_text(html)
        t = c.shown_log()
        lab = self.w["log_label"]
        texts = [f"Turn log: turn {t['turn']}", f"Log: turn {t['turn']}", f"Turn {t['turn']}"] if t else ["Turn log", "Log"]
        room = lab.rect.w - 4
        lab.set_text(next((x for x in texts if self.fonts.width(x, self.fs, bold=True) <= room), texts[-1]))

    # ------------------------------------------------------------------ events
    def _typing(self) -> bool:
        for el in self.manager.get_focus_set() or ():
            if isinstance(el, UITextEntryLine):
                return True
        return False

    def handle(self, ev: pygame.event.Event) -> None:
        """Process one pygame event (widgets first, then keys and the map)."""
        if ev.type == pygame.QUIT:
            self.request_quit()
            return
        if ev.type == pygame.VIDEORESIZE:
            self.resize(ev.w, ev.h)
            return
        consumed = self.manager.process_events(ev)
        if ev.type == pygame_gui.UI_BUTTON_PRESSED:
            self._on_button(ev.ui_element)
        elif ev.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED:
            self._on_dropdown(ev.ui_element, ev.text)
        elif ev.type == pygame_gui.UI_FILE_DIALOG_PATH_PICKED:
            self._on_path(ev.text)
        elif ev.type == pygame_gui.UI_TEXT_ENTRY_FINISHED:
            self._on_file_name_entered(ev.ui_element)
        elif ev.type == pygame_gui.UI_CONFIRMATION_DIALOG_CONFIRMED:
            if ev.ui_element is self.confirm_dialog:
                self._confirmed()
        elif ev.type == pygame_gui.UI_WINDOW_CLOSE:
            if ev.ui_element is self.confirm_dialog:  # Cancel or the window's close button: no
                self._declined()
            elif ev.ui_element is self.instructor:
                self.instructor = None
            elif ev.ui_element is self.help_window:
                self.help_window = None
            elif ev.ui_element is self.file_dialog:
                self.file_dialog = None
        elif ev.type == pygame.KEYDOWN and not consumed:
            self._on_key(ev)
        elif ev.type == pygame.MOUSEMOTION:
            self.mouse = ev.pos
            if self.ctrl.phase not in ("start", "handover"):
                hit = None if self._over_widget(ev.pos) or self._over_big_menu(ev.pos) else self.map.hit_test(ev.pos)
                self.ctrl.set_hover(*(hit or (None, None)))
        elif ev.type == pygame.MOUSEWHEEL and not consumed:
            for v in self._scroll_views():
                if v.wheel(self.mouse, ev.y):
                    break
        elif (
            ev.type == pygame.MOUSEBUTTONDOWN
            and ev.button == 1
            and not consumed
            and self.ctrl.phase not in ("start", "handover")
        ):
            self.mouse = ev.pos
            if not self._over_widget(ev.pos):
                if not self._click_views(ev.pos) and not self._over_big_menu(ev.pos):
                    hit = self.map.hit_test(ev.pos)
                    if hit:
                        self.ctrl.select(*hit)

    def _scroll_views(self) -> list[ScrollView]:
        """The scrolling panels on screen now, topmost first."""
        if self.current_sheet() is not None:
            return [self.sheet_view]
        out = []
        if self.ctrl.phase == "plan" and self.ctrl.current_team is not None:
            out += list(self.views.values())
        if self.ctrl.phase not in ("start", "handover"):
            out += list(self.panel_views.values())
        return out

    def _click_views(self, pos) -> bool:
        """A click on a scrolling panel: choose or drop an action, or page a scroll bar."""
        c = self.ctrl
        if self.current_sheet() is not None:
            self.sheet_view.click(pos)
            return True
        for name, v in (list(self.views.items()) if c.phase == "plan" and c.current_team else []) + list(
            self.panel_views.items()
        ):
            if not v.rect.collidepoint(pos):
                continue
            hit = v.click(pos)
            if hit is not None and name == "available":
                what, a = hit
                if what == "drop" or a in c.chosen.get(c.current_team, []):
                    c.unchoose(a)
                else:
                    c.choose(a)
            return True
        return False

    def _over_big_menu(self, pos) -> bool:
        """Whether ``pos`` is on the larger action menu (which covers the map)."""
        c = self.ctrl
        return self.menu_big and c.phase == "plan" and c.current_team is not None and self.current_sheet() is None and self.menu_rect.collidepoint(pos)

    def _over_widget(self, pos) -> bool:
        for el in self.manager.get_sprite_group().sprites():
            if (
                getattr(el, "visible", 0)
                and hasattr(el, "rect")
                and el.rect.collidepoint(pos)
                and el.rect.size != tuple(self.layout.size)
            ):
                return True
        return False

    def _on_key(self, ev) -> None:
        c = self.ctrl
        k = ev.key
        ctrl = ev.mod & pygame.KMOD_CTRL
        if self.confirm_dialog is not None:  # a question is open: Enter answers its default, Esc no
            if k in (pygame.K_RETURN, pygame.K_KP_ENTER) and self._confirm_default_yes:
                self._confirmed()
            elif k in (pygame.K_ESCAPE, pygame.K_RETURN, pygame.K_KP_ENTER):
                dlg = self.confirm_dialog
                self._declined()
                dlg.kill()
            return
        sheet = self.current_sheet()
        if sheet is not None and not self._typing() and self.file_dialog is None and not ctrl:
            if k in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_ESCAPE):
                self.sheet_ok()
            elif k == pygame.K_d and sheet == "end":
                self.open_sheet("debrief")
            elif k == pygame.K_b and sheet == "briefing":
                self.open_sheet(None)
            elif k in (pygame.K_PAGEUP, pygame.K_PAGEDOWN):
                self.sheet_view.page(1 if k == pygame.K_PAGEDOWN else -1)
            elif k in (pygame.K_UP, pygame.K_DOWN):
                self.sheet_view.scroll(1 if k == pygame.K_DOWN else -1)
            elif k in (pygame.K_h, pygame.K_F1):
                self.toggle_help()
            return
        if self._typing() or self.file_dialog is not None:
            # keys belong to the text field or the file dialog: no shortcut fires
            if k == pygame.K_ESCAPE and self.file_dialog is not None:
                self.file_dialog.kill()
                self.file_dialog = None
            return
        if k == pygame.K_ESCAPE:
            if self.file_dialog is not None:
                self.file_dialog.kill()
                self.file_dialog = None
            elif self.help_window is not None:
                self.help_window.kill()
                self.help_window = None
            elif self.instructor is not None:
                self.instructor.kill()
                self.instructor = None
            elif c.phase == "replay":
                c.exit_replay()
            return
        if ctrl and k in (pygame.K_EQUALS, pygame.K_PLUS, pygame.K_KP_PLUS):
            self.step_text_scale(1)
        elif ctrl and k in (pygame.K_MINUS, pygame.K_KP_MINUS):
            self.step_text_scale(-1)
        elif ctrl and k in (pygame.K_0, pygame.K_KP0):
            self.set_text_scale(1.0)
        elif k in (pygame.K_PAGEUP, pygame.K_PAGEDOWN):
            for v in self._scroll_views():
                if v.rect.collidepoint(self.mouse):
                    v.page(1 if k == pygame.K_PAGEDOWN else -1)
                    break
        elif ctrl and k == pygame.K_q:
            self.request_quit()
        elif ctrl and k == pygame.K_s:
            self.open_save_dialog()
        elif ctrl and k == pygame.K_o:
            self.open_load_dialog()
        elif k in (pygame.K_RETURN, pygame.K_KP_ENTER):
            if c.phase == "handover":
                c.team_ready()
            elif c.phase == "plan":
                self.request_end_turn()
            elif c.phase == "start":
                self._start_from_list()
        elif k == pygame.K_SPACE:
            c.skip_animation()
        elif k in (pygame.K_h, pygame.K_F1) or (k == pygame.K_SLASH and ev.mod & pygame.KMOD_SHIFT):
            self.toggle_help()
        elif c.phase in ("start", "handover"):
            return
        elif k == pygame.K_i:
            self.toggle_instructor()
        elif k == pygame.K_b:
            self.open_sheet("briefing")
        elif k == pygame.K_d and c.phase in ("replay", "over"):
            self.open_sheet("debrief")
        elif k == pygame.K_r:
            c.exit_replay() if c.phase == "replay" else c.enter_replay()
        elif k == pygame.K_LEFT:
            c.replay_step(-1)
        elif k == pygame.K_RIGHT:
            c.replay_step(+1)
        elif k == pygame.K_HOME:
            c.replay_to(0)
        elif k == pygame.K_END:
            c.replay_to(len(c.history) - 1)
        elif k == pygame.K_l:
            self.map.toggle_legend()
        elif k == pygame.K_m and c.phase == "plan" and c.current_team is not None:
            self.toggle_menu_size()
        elif k == pygame.K_F12:
            os.makedirs(self.screenshot_dir, exist_ok=True)
            path = os.path.join(self.screenshot_dir, time.strftime("greatpower-%Y%m%d-%H%M%S.png"))
            self.screenshot(path)
            c.message = f"screenshot {path}"
        elif k == pygame.K_TAB:
            ids = list(c.static.actor_ids)
            cur = c.selection[1] if c.selection and c.selection[0] == "actor" else None
            i = ids.index(cur) if cur in ids else -1
            step = -1 if ev.mod & pygame.KMOD_SHIFT else 1
            c.select("actor", ids[(i + step) % len(ids)])

    def _on_button(self, el) -> None:
        c = self.ctrl
        w = self.w
        if el is w["end"]:
            self.request_end_turn()
        elif el is w["instructor"]:
            self.toggle_instructor()
        elif el is w["save"]:
            self.open_save_dialog()
        elif el is w["load"] or el is w["start_load"]:
            self.open_load_dialog()
        elif el is w["replay"]:
            c.exit_replay() if c.phase == "replay" else c.enter_replay()
        elif el is w["help"]:
            self.toggle_help()
        elif el is w.get("menu_size"):
            self.toggle_menu_size()
        elif el is w["first"]:
            c.replay_to(0)
        elif el is w["back"]:
            c.replay_step(-1)
        elif el is w["fwd"]:
            c.replay_step(+1)
        elif el is w["last"]:
            c.replay_to(len(c.history) - 1)
        elif el is w["exit_replay"]:
            c.exit_replay()
        elif el is w["skip"]:
            c.skip_animation()
        elif el is w["sheet_ok"]:
            self.sheet_ok()
        elif el is w["sheet_debrief"]:
            self.open_sheet("debrief")
        elif el is w["ready"]:
            c.team_ready()
        elif el is w["start_go"]:
            self._start_from_list()
        elif el is w["start_watch"]:
            c.start([])
        elif self.instructor is not None and el is self.inst_widgets.get("inject"):
            self._inject_from_form()
        elif self.instructor is not None and el in getattr(self, "inst_remove", []):
            self.ctrl.withdraw_event(self.inst_remove.index(el))
            self._build_instructor()

    # ------------------------------------------------------------------ sheets
    SHEET_TITLES = {
        "briefing": "Briefing",
        "results": "The month's results",
        "end": "Game over",
        "debrief": "Debrief",
    }

    def current_sheet(self) -> str | None:
        """The sheet over the body now: one opened by a key or the flow, or the month's results."""
        if self.sheet is not None:
            return self.sheet
        if self.ctrl.phase == "results":
            return "results"
        return None

    def open_sheet(self, kind: str | None) -> None:
        """Open a sheet (``briefing``, ``end``, ``debrief``) or close it (``None``)."""
        self.sheet = kind
        self.sheet_view.first = 0
        self.sheet_view.invalidate()
        self._gui_sig = None

    def sheet_ok(self) -> None:
        """The sheet's main button (Enter): go on from the results, or close the sheet."""
        kind = self.current_sheet()
        if kind == "results":
            self.ctrl.dismiss_results()
        elif kind is not None:
            self.open_sheet(None)
        self._gui_sig = None

    def briefing_team(self) -> str | None:
        """Whose briefing B opens: the team planning now, else the selected or focus state."""
        c = self.ctrl
        if c.current_team:
            return c.current_team
        sel = c.selection
        if sel and sel[0] == "actor":
            return sel[1]
        return c.teams[0] if c.teams else None

    def _sheet_rows(self, kind: str, width: int) -> list:
        from sim.briefing import briefing
        from sim.describe import capital_first, month_summary, possessive, the

        c, fs = self.ctrl, self.fs
        f = Flow(self.fonts, width, fs)
        big = round(fs * 1.35)
        if kind == "briefing":
            team = self.briefing_team()
            if team is None:
                f.text("No team to brief.", theme.TEXT_DIM)
                return f.rows
            if c.briefing_is_secret(team):
                f.text(f"{capital_first(possessive(self.name(team)))} briefing is secret", theme.ACCENT, bold=True, size=big)
                f.text(
                    "A team's briefing and objectives are shown only to that team: at its hand-over, "
                    "and with B during its turn.",
                    theme.TEXT_DIM,
                )
                return f.rows
            b = briefing(c.model, team)
            if c.phase in ("plan", "handover"):  # the month the team plans, as the top bar names it
                t_plan, date = c.turn_named()
                when = f"turn {t_plan}, {date}"
            else:
                when = f"after turn {b['turn']}, {b['date']}"
            f.text(f"Briefing for {self.name(team)} ({team}): {when}", theme.ACCENT, bold=True, size=big)
            f.text("Only this team should read it. B opens it again at any time.", theme.TEXT_DIM)
            if b.get("story"):
                f.heading("The situation")
                f.text(b["story"])
            if b.get("situation"):
                f.text(b["situation"])
            f.heading("Your interests")
            for it in b["interests"]:
                f.text(f"{it['text']} [source: {it['source']}]", indent=fs // 2)
            f.heading("Your objectives")
            from sim.score import STATUS_WORDS, score

            now = {r.id: r.status for r in score(c.record(len(c.history) - 1), team).objectives} if team in c.teams else {}
            for ob in b["objectives"]:
                by = f", by turn {ob['by']}" if ob.get("by") is not None else ""
                status = f": {STATUS_WORDS.get(now[ob['id']], now[ob['id']])}" if ob["id"] in now else ""
                f.text(f"{ob['text']} ({ob['points']:g} points{by}){status}", indent=fs // 2)
            if not b["objectives"]:
                f.text("This scenario sets no objectives for you: your score is how close the issues come to your interests.", theme.TEXT_DIM)
            if b["red_lines"]:
                f.heading("Your red lines")
                for rl in b["red_lines"]:
                    f.text(rl["text"], indent=fs // 2)
            if b["others_red_lines"]:
                f.heading("Others' red lines")
                for rl in b["others_red_lines"]:
                    f.text(rl["text"], indent=fs // 2)
            f.heading("Your channels")
            for ch in b["channels"]:
                f.text(ch["text"], indent=fs // 2, marker=theme.channel_colour(ch["status"], 1.0 if ch["status"] == "open" else 0.0))
            if b["partners"] or b["rivals"]:
                f.heading("Partners and rivals")
                for p in b["partners"]:
                    f.text(f"Partner: {p['name']} (alignment {p['alignment']:+.2f}, tension {p['tension']:.2f})", indent=fs // 2)
                for p in b["rivals"]:
                    f.text(f"Rival: {p['name']} (tension {p['tension']:.2f}, alignment {p['alignment']:+.2f})", indent=fs // 2)
            return f.rows
        if kind == "results":
            t = len(c.history) - 1
            snap = c.history[-1]
            f.text(f"The month's results: {snap['date']} (turn {t})", theme.ACCENT, bold=True, size=big)
            f.text("They stay until you move on: Enter or Continue.", theme.TEXT_DIM)
            self._score_rows(f, t, objectives=c.objectives_shown())
            f.heading("What changed")
            for line in month_summary(c.record(t), t, focus=list(c.humans)):
                f.text("- " + line, indent=0)
            return f.rows
        if kind == "end":
            t = len(c.history) - 1
            end = (c.model.end_state or "horizon").replace("_", " ")
            f.text(f"Game over: {end} after {c.model.turn} turn{'s' * (c.model.turn != 1)}", theme.ACCENT, bold=True, size=big)
            f.heading("The teams ranked by score")
            for k, (team, total, _d) in enumerate(c.scores(t)):
                f.text(f"{k + 1}. {self.name(team)} ({team}): {signed(total)} points", bold=k == 0, size=round(fs * 1.15))
            self._score_rows(f, t, ranking=False)
            f.text("D opens the debrief; R replays the game turn by turn; Ctrl+S saves it.", theme.TEXT_DIM)
            return f.rows
        # debrief: at the end, or from the replay at the turn shown
        t = c.shown_turn() if c.phase == "replay" else len(c.history) - 1
        f.text(f"Debrief: {c.static.name}, turn {t} of {c.model.horizon}", theme.ACCENT, bold=True, size=big)
        qs = list(getattr(c.scenario, "debrief_questions", []) or [])
        if qs:
            f.heading("Questions for the class")
            for k, q in enumerate(qs):
                f.text(f"{k + 1}. {q}", indent=fs // 2)
        self._score_rows(f, t)
        rec = c.record(t)
        f.heading("Month by month")
        from sim.debrief import team_decisions

        teams = list(c.humans)
        if teams:
            f.text("Each month: what the teams decided first, then what changed.", theme.TEXT_DIM)
        for tt in range(1, t + 1):
            f.text(f"Turn {tt} ({c.history[tt]['date']})", bold=True)
            for actor, what in team_decisions(rec, tt, teams) if teams else []:
                who = capital_first(the(self.name(actor))) + " " if actor else ""
                f.text("- " + who + what, indent=fs // 2)
            for line in month_summary(rec, tt, focus=teams, count_pending=True)[:4]:
                f.text("- " + line, indent=fs // 2)
        f.text(
            "For the class's game against the same scenario played by the AI alone over many "
            "seeds, save the game and run: python run.py debrief SAVE.json --out DIR",
            theme.TEXT_DIM,
        )
        return f.rows

    def _score_rows(self, f: Flow, turn: int, ranking: bool = True, objectives: list[str] | None = None) -> None:
        """The scorecard: each team's points in the teams' order; the objectives of the teams in
        ``objectives`` (default: all; a team's objectives are secret from the other teams)."""
        from sim.score import STATUS_WORDS, score

        c = self.ctrl
        rec = c.record(turn)
        shown = set(c.teams if objectives is None else objectives)
        f.heading("Scorecard" if ranking else "How the scores are made up")
        for team, total, delta in c.scores_in_team_order(turn):
            b = score(rec, team, turn)
            if ranking:
                f.text(f"{self.name(team)} ({team}): {signed(total)} points ({signed(delta)} this month)", bold=True)
            else:
                f.text(f"{self.name(team)} ({team})", bold=True)
            f.text(
                f"issues {signed(b.issue_points)}, objectives {signed(b.objective_points)}, "
                f"crises and clashes {signed(-b.penalty_points)}",
                indent=self.fs // 2,
            )
            if team not in shown:
                continue
            for r in b.objectives:
                f.text(f"{r.text}: {STATUS_WORDS.get(r.status, r.status)}", theme.TEXT_DIM, indent=self.fs)
        if len(shown) < len(c.teams):
            f.text(
                "Each team's objectives are secret: a team sees how its own stand in its briefing "
                "(shown at its hand-over; B during its turn).",
                theme.TEXT_DIM,
            )

    # ------------------------------------------------------------------ questions
    def confirm(self, title: str, text: str, yes: str, on_yes, default_yes: bool = True, height: int = 230, on_no=None) -> None:
        """Ask before something that loses play: a dialog whose button (or Enter) runs ``on_yes``.

        Args:
            title: the window's title.
            text: the question, plain text.
            yes: the confirm button's label, e.g. "Quit".
            on_yes: a callable with no arguments.
            default_yes: whether Enter answers yes; if False, Enter answers no (as Esc does)
                and only the confirm button runs ``on_yes`` (e.g. before replacing a file).
            height: the dialog's height in pixels at text scale 1 (a long question needs more).
            on_no: a callable run when the answer is no (Esc, Cancel, the close button), or None.
        """
        from html import escape

        if self.confirm_dialog is not None:
            self.confirm_dialog.kill()
        self.messages.append(text)
        self.confirm_dialog = dlg = UIConfirmationDialog(
            self._center(500 if height <= 230 else 620, height),
            escape(text),
            self.manager,
            window_title=title,
            action_short_name=yes,
            blocking=True,
        )
        self._fit_buttons(dlg, [dlg.cancel_button, dlg.confirm_button], dlg.confirmation_text)
        self._on_confirm, self._on_no = on_yes, on_no
        self._confirm_default_yes = default_yes

    def _fit_buttons(self, win, buttons, text_box) -> None:
        """Give a dialog's buttons room for their text at the body size (pygame_gui makes them
        30 pixels high), and its text the room above them."""
        pad, bh = self.pad, self.bh
        from pygame_gui.core.utility import translate

        for b in buttons:  # right to left: each right-anchored to the window or its neighbour
            w = self.button_width(translate(b.text))
            b.set_dimensions((w, bh))
            b.set_relative_position((-(w + pad), -(bh + pad)))
            b.rebuild()
        cw, ch = win.get_container().get_size()
        top = max(pad, text_box.relative_rect.top)  # the file dialog's list starts under its path line
        w = text_box.relative_rect.w if top > 2 * pad else cw - 2 * pad
        text_box.set_dimensions((w, max(bh, ch - top - bh - 2 * pad)))

    def _declined(self) -> None:
        """The open question was answered no: close it and run its ``on_no``, if any."""
        fn = self._on_no
        self.confirm_dialog, self._on_confirm, self._on_no = None, None, None
        if fn is not None:
            fn()

    def _confirmed(self) -> None:
        fn, dlg = self._on_confirm, self.confirm_dialog
        self.confirm_dialog, self._on_confirm, self._on_no = None, None, None
        if dlg is not None and dlg.alive():
            dlg.kill()
        if fn is not None:
            fn()

    def _unsaved_play(self) -> bool:
        return self.ctrl.unsaved and self.ctrl.phase != "start"

    def request_quit(self) -> None:
        """Quit, after asking if the game has play that was not saved."""
        if not self._unsaved_play():
            self.running = False
            return
        self.confirm(
            "Quit the game?",
            f"This game has play that was not saved (turn {self.ctrl.model.turn}). "
            "Quit anyway? (Ctrl+S saves it.)",
            "Quit",
            lambda: setattr(self, "running", False),
        )

    def request_end_turn(self) -> None:
        """End the team's turn; with no action chosen, ask first."""
        c = self.ctrl
        if c.phase != "plan":
            return
        from sim.describe import capital_first, the

        team = c.current_team
        votes = self._unvoted_words(team) if team is not None else ""
        if team is not None and not c.chosen.get(team):
            pend = len(c.shown_snapshot().get("pending", {}).get(team, []))
            extra = f" {pend} proposal{'s' * (pend != 1)} to it will go unanswered." if pend else ""
            self.confirm(
                "End the turn with no action?",
                f"{capital_first(the(self.name(team)))} has chosen no action this month.{extra}{votes} End its turn anyway?",
                "End turn",
                c.end_turn,
                height=330 if votes else 230,
            )
            return
        if votes:
            self.confirm(
                "End the turn without voting?",
                f"{votes.strip()} End its turn anyway?",
                "End turn",
                c.end_turn,
                height=330,
            )
            return
        c.end_turn()

    def _unvoted_words(self, team: str) -> str:
        """" It has not voted on ...: cast by your state's usual rule: yes on ...", or ""."""
        from sim.describe import capital_first, describe_action_in, the

        votes = self.ctrl.unvoted_motions(team)
        if not votes:
            return ""
        sc, snap = self.ctrl.scenario, self.ctrl.shown_snapshot()
        parts = []
        for a in votes:
            text = describe_action_in(sc, snap, a)  # "Vote yes on Georgia's application to NATO (...)"
            parts.append(text.removeprefix("Vote ").removeprefix("vote "))
        n = len(votes)
        return (
            f" {capital_first(the(self.name(team)))} has not voted on {n} motion{'s' * (n != 1)} of its blocs; "
            f"{'they' if n != 1 else 'it'} will be cast by your state's usual rule, as positions stand now: "
            + "; ".join(parts)
            + ". To vote yourselves, go back and choose under Votes."
        )

    def name(self, actor: str) -> str:
        """A state's name as the widgets can draw it (its id where the font lacks the script)."""
        return self.ctrl.static.names.get(actor, actor)

    def _start_from_list(self) -> None:
        picked = [
            x[1] if isinstance(x, tuple) else x
            for x in self.w["start_list"].get_multi_selection(include_object_id=True)
        ]
        order = [a for a in picked if a in self.ctrl.static.actor_ids]
        self.ctrl.start(order)

    def _on_dropdown(self, el, text) -> None:
        if el is self.w.get("category"):
            self.category = el.selected_option[1] if isinstance(el.selected_option, tuple) else text
            self._menu_sig = None
        elif el is self.w["log_filter"]:
            self.log_filter = text
        elif self.instructor is not None:
            for key, wdg in self.inst_widgets.items():
                if wdg is el:
                    self.inst_form[key] = (
                        el.selected_option[1] if isinstance(el.selected_option, tuple) else text
                    )
                    if key in ("kind", "theatre", "a", "b", "channel"):
                        self._build_instructor()
                    break

    # ------------------------------------------------------------------ windows
    def _center(self, w: float, h: float) -> pygame.Rect:
        """A window of ``w`` x ``h`` at the reference size, grown with the body text, centred and
        never larger than the window."""
        W, H = self.layout.size
        s = self.fs / BODY_PX  # windows grow with their text
        ww, hh = min(W - 8, round(w * s)), min(H - 8, round(h * s))
        return pygame.Rect((W - ww) // 2, (H - hh) // 2, ww, hh)

    def toggle_help(self) -> None:
        """Open or close the help overlay (the keys)."""
        if self.help_window is not None:
            self.help_window.kill()
            self.help_window = None
            return
        r = self._center(640, 470)
        self.help_window = UIWindow(
            r, self.manager, window_display_title="Help: keys", resizable=False
        )
        rows = "<br>".join(f"<b>{k}</b>: {v}" for k, v in HELP_KEYS)
        legend = (
            "<br><br><b>Map</b>: line style = channel kind, colour = status (green brighter = more effective; "
            "amber suspended; red with a cross closed). Capital colour = tension with the focus state (yellow). "
            "Orange areas = theatres, deeper = higher posture. Chips beside a capital = blocs."
        )
        UITextBox(
            rows + legend,
            pygame.Rect(0, 0, r.w - 32, r.h - 60),
            self.manager,
            container=self.help_window,
        )

    def toggle_instructor(self) -> None:
        """Open or close the instructor's event menu."""
        if self.instructor is not None:
            self.instructor.kill()
            self.instructor = None
            return
        if self.ctrl.phase in ("start", "replay", "over"):
            self.ctrl.message = "the instructor's events are open during a game"
            return
        self.inst_form = getattr(self, "inst_form", None) or {"kind": "incident"}
        self._build_instructor()

    def _build_instructor(self, scroll: bool = False) -> None:
        """(Re)build the instructor's window.

        With ``scroll`` its content scrolls (at a large text scale a form and a long queue are
        taller than the window).
        """
        c = self.ctrl
        st = c.static
        snap = c.history[-1]
        f = self.inst_form
        pos = None
        if self.instructor is not None:
            # the window's rect includes its shadow: keep the place it was asked for (or dragged to)
            pos = (
                self.instructor.rect.x + self._inst_shadow[0],
                self.instructor.rect.y + self._inst_shadow[1],
            )
            self.instructor.kill()
        r = self._center(560, 420)
        if pos:
            W, H = self.layout.size
            r.topleft = (max(0, min(pos[0], W - r.w)), max(0, min(pos[1], H - r.h)))
        self.instructor = UIWindow(
            r,
            self.manager,
            window_display_title="Instructor: inject an event for the next turn",
            resizable=False,
        )
        self._inst_shadow = (r.x - self.instructor.rect.x, r.y - self.instructor.rect.y)
        self.inst_widgets = {}
        self.inst_scroll = None
        box = self.instructor
        if scroll:
            H = self.layout.size[1]
            title_h = self.instructor.rect.h - self.instructor.get_container().rect.h
            self.instructor.set_dimensions((r.w, H - 4))
            self.instructor.set_position((self.instructor.rect.x, 0))
            cw_, ch_ = self.instructor.get_container().get_size()
            box = self.inst_scroll = UIScrollingContainer(
                pygame.Rect(0, 0, cw_, ch_), self.manager, container=self.instructor, allow_scroll_x=False
            )
        pad, bh = self.pad, self.bh
        cw = r.w - 32 - (round(max(20, self.fs * 0.75)) if scroll else 0)  # room for the scroll bar
        lw = round(cw * 0.34)
        y = [pad]

        def row(label: str, key: str, options: list[tuple[str, str]]):
            if not options:
                options = [("(none)", "")]
            # a long name is shortened to the drop-down's width (with an ellipsis), not cut
            room = cw - lw - 2 * pad - round(2.2 * self.fs)
            fitted = [(self.fonts.fit(lab, self.fs, room), v) for lab, v in options]
            if len({lab for lab, _ in fitted}) == len(fitted):
                options = fitted
            vals = [o[1] for o in options]
            if f.get(key) not in vals:
                f[key] = vals[0]
            cur = options[vals.index(f[key])]
            UILabel(pygame.Rect(pad, y[0], lw, bh), label, self.manager, container=box)
            self.inst_widgets[key] = UIDropDownMenu(
                options,
                cur,
                pygame.Rect(pad + lw, y[0], cw - lw - 2 * pad, bh),
                self.manager,
                container=box,
                expansion_height_limit=round(r.h * 0.6),  # fitted to the window below (_fit_lists)
            )
            y[0] += bh + pad

        row("Event", "kind", [(lab, k) for k, lab in INSTRUCTOR_KINDS])
        kind = f["kind"]
        actors = [(f"{a} {st.names[a]}", a) for a in st.actor_ids]
        chan = lambda ch: st.channel_labels.get(ch, ch)  # noqa: E731  (a channel's name, never its code)
        by_name = lambda opt: opt[0].casefold()  # noqa: E731  (long channel lists in alphabetical order)
        if kind == "incident":
            row("Theatre", "theatre", [(st.theatre_names[t], t) for t in st.theatre_names])
            present = snap["theatres"].get(f.get("theatre"), {}).get("present", [])
            row("Between", "a", [(f"{a} {st.names[a]}", a) for a in present])
            row("and", "b", [(f"{a} {st.names[a]}", a) for a in present if a != f.get("a")])
        elif kind == "summit":
            row("Between", "a", actors)
            row("and", "b", [x for x in actors if x[1] != f.get("a")])
            pair = {f.get("a"), f.get("b")}
            chans = [("(no channel)", "")] + [
                (chan(ch), ch) for ch, ep in st.channel_endpoints.items() if set(ep) == pair
            ]
            row("Over channel", "channel", chans)
            row("Tension relief", "size", [("0.10", "0.1"), ("0.05", "0.05"), ("0.20", "0.2")])
        elif kind == "expulsion":
            # channels that have staff to expel now (closed ones have none), in persons
            staffed = sorted(  # the staff it has now: in the next drop-down ("50 of 100 staff")
                ((chan(ch), ch) for ch, v in snap["channels"].items() if v["status"] != "closed" and v["staff"] >= 1),
                key=by_name,
            )
            row("Channel", "channel", staffed)
            row("Staff to expel", "size", self._expulsion_counts(snap, f.get("channel")))
        elif kind == "red_line":
            row(
                "Red line",
                "redline",
                [
                    (f"{a}: {st.issue_labels.get(x, x)} at {thr:g}", f"{a}|{x}")
                    for a, x, thr in st.red_lines
                ],
            )
        elif kind == "channel_status":
            row("Channel", "channel", sorted(((chan(ch), ch) for ch in snap["channels"]), key=by_name))
            row(
                "New status",
                "status",
                [("closed", "closed"), ("suspended", "suspended"), ("open", "open")],
            )
        UILabel(
            pygame.Rect(pad, y[0], lw, bh), "Note (text)", self.manager, container=box
        )
        self.inst_widgets["text"] = UITextEntryLine(
            pygame.Rect(pad + lw, y[0], cw - lw - 2 * pad, bh),
            self.manager,
            container=box,
        )
        self.inst_widgets["text"].set_text(f.get("text", ""))
        y[0] += bh + pad
        self.inst_widgets["inject"] = UIButton(
            pygame.Rect(pad, y[0], round(cw * 0.4), bh),
            "Inject",
            self.manager,
            container=box,
            object_id="#accent",
        )
        q = c.queued_events
        self.inst_widgets["queued"] = UILabel(
            pygame.Rect(pad + round(cw * 0.42), y[0], cw - round(cw * 0.42) - pad, bh),
            f"{len(q)} queued for turn {c.model.turn + 1}",
            self.manager,
            container=box,
        )
        y[0] += bh + pad
        self.inst_remove = []
        rw = round(cw * 0.22)
        lh = self.fonts.font(self.fs).get_linesize()
        for i, ev in enumerate(q):
            # one label per line: a long channel name wraps rather than being cut
            lines = self.fonts.wrap(describe_event(ev, st, snap), self.fs, cw - rw - 4 * pad - 8)
            top = y[0] + max(0, (bh - lh) // 2)
            for k, line in enumerate(lines):
                UILabel(
                    pygame.Rect(pad, top + k * lh, cw - rw - 3 * pad, lh),
                    line,
                    self.manager,
                    container=box,
                )
            self.inst_remove.append(
                UIButton(
                    pygame.Rect(cw - rw - pad, y[0], rw, bh),
                    "Remove",
                    self.manager,
                    container=box,
                )
            )
            self.inst_widgets[f"remove{i}"] = self.inst_remove[-1]
            y[0] += max(bh, len(lines) * lh + (bh - lh) // 2) + pad
        title_h = self.instructor.rect.h - self.instructor.get_container().rect.h
        H = self.layout.size[1]
        if scroll:
            self.inst_scroll.set_scrollable_area_dimensions((cw - 4, y[0] + pad))
            self._fit_lists([wdg for wdg in self.inst_widgets.values() if isinstance(wdg, UIDropDownMenu)], max(y[0] + pad, self.inst_scroll.get_container().get_size()[1]))
            return
        if y[0] + title_h + 2 * pad + 30 > H - 4:
            self._build_instructor(scroll=True)  # taller than the window: its content scrolls
            return
        # room under each drop-down for its open list (up to LIST_ROWS options; more scroll in
        # the list): the window grows for it, up to 90 % of the screen's height
        item_h = self.list_item_px()
        dds = [wdg for wdg in self.inst_widgets.values() if isinstance(wdg, UIDropDownMenu)]
        room = max((d.relative_rect.bottom + min(self.LIST_ROWS, len(d.options_list)) * item_h + 2 * pad for d in dds), default=0)
        want = max(y[0] + title_h + 2 * pad + 30, min(round(H * 0.9), max(y[0], room) + title_h + 2 * pad + 30))
        if want != self.instructor.rect.h:
            self.instructor.set_dimensions((self.instructor.rect.w, want))
            if self.instructor.rect.bottom > H:
                self.instructor.set_position((self.instructor.rect.x, max(0, H - want)))
        self._fit_lists(dds, self.instructor.get_container().get_size()[1])

    LIST_ROWS = 8
    """Options an open drop-down list shows at once where the window has the room (more scroll)."""

    def list_item_px(self) -> int:
        """Height of one option in a drop-down's open list (room for the body text)."""
        return round(self.fs * 1.55)

    def _fit_lists(self, dds: list, container_h: int) -> None:
        """Let each drop-down's open list end inside its window (the list scrolls with its own
        scroll bar), rather than run past the window's edge, where pygame_gui cuts it."""
        for d in dds:
            d.expansion_height_limit = max(self.list_item_px() * 2, container_h - d.relative_rect.bottom - self.pad)

    @staticmethod
    def _expulsion_counts(snap: dict, channel: str | None) -> list[tuple[str, str]]:
        """Choices of how many staff to expel from a channel: persons it has now.

        A quarter, half or all of its current staff (and a tenth where that is at least one
        person), each as the share of its normal staff that the event takes (``size``).
        """
        v = snap["channels"].get(channel or "")
        if not v or v["staff"] < 1 or v["staff_baseline"] <= 0:
            return []
        now, base = v["staff"], v["staff_baseline"]
        out, seen = [], set()
        for frac, word in ((0.25, "a quarter"), (0.5, "half"), (1.0, "all"), (0.1, "a tenth")):
            n = max(1, round(now * frac))
            if n in seen or n > now:
                continue
            seen.add(n)
            out.append((f"{n:,.0f} of {now:,.0f} staff ({word})", f"{n / base:.6g}"))
        return out

    def instructor_event(self) -> dict:
        """The event dict of the instructor's form (what :meth:`GameController.inject` gets)."""
        f = self.inst_form
        text = (
            self.inst_widgets["text"].get_text().strip()
            if "text" in self.inst_widgets
            else f.get("text", "")
        )
        f["text"] = text
        kind = f["kind"]
        ev: dict = {"kind": kind, "source": "instructor"}
        if text:
            ev["text"] = text
        if kind == "incident":
            ev.update(theatre=f.get("theatre"), actors=[f.get("a"), f.get("b")])
        elif kind == "summit":
            ev.update(actors=[f.get("a"), f.get("b")], size=float(f.get("size") or 0.1))
            if f.get("channel"):
                ev["channel"] = f["channel"]
        elif kind == "expulsion":
            ev.update(channel=f.get("channel"), size=float(f.get("size") or 0.0))
        elif kind == "red_line":
            a, _, x = (f.get("redline") or "|").partition("|")
            ev.update(actor=a, issue=x)
        elif kind == "channel_status":
            ev.update(channel=f.get("channel"), status=f.get("status"))
        elif kind == "note" and not text:
            ev["text"] = ""
        return ev

    def _inject_from_form(self) -> None:
        ok = self.ctrl.inject(self.instructor_event())
        if ok:
            self.inst_form["text"] = ""
        self._build_instructor()
        if not ok:
            self.show_message("Event refused", self.ctrl.message)

    def show_message(self, title: str, text: str) -> None:
        """A message window (e.g. a refused save); also recorded in :attr:`messages`."""
        from html import escape

        self.messages.append(text)
        win = UIMessageWindow(self._center(520, 240), escape(text), self.manager, window_title=title)
        self._fit_buttons(win, [win.dismiss_button], win.text_block)

    def show_toast(self, text: str, seconds: float = 4.0) -> None:
        """A short message over the map that fades by itself (also kept in :attr:`messages`)."""
        self.messages.append(text)
        self.toast = (text, seconds)

    def _default_save_path(self) -> str:
        """``saves/<scenario>-turnNN.json``, NN the turn the top bar names (the turn the teams
        plan, or the turn whose results show)."""
        stem = Path(self.ctrl.scenario_path).stem
        return str(Path(self.save_dir) / f"{stem}-turn{self.ctrl.turn_named()[0]:02d}.json")

    def open_save_dialog(self, path: str | None = None) -> None:
        """The save dialog (a pygame_gui file dialog) at ``path`` or a default file name."""
        if self.ctrl.phase == "start":
            self.show_message("Nothing to save", "Start a game first.")
            return
        if self.file_dialog is not None:
            self.file_dialog.kill()
        os.makedirs(self.save_dir, exist_ok=True)
        self.file_mode = "save"
        self.file_dialog = UIFileDialog(
            self._center(620, 460),
            self.manager,
            window_title="Save the game (JSON)",
            initial_file_path=path or self._default_save_path(),
            allow_existing_files_only=False,
        )
        self._fit_file_dialog()
        self.manager.set_focus_set(self.file_dialog.file_path_text_line)  # typing names the file

    def open_load_dialog(self) -> None:
        """The load dialog (a pygame_gui file dialog) in the save directory."""
        if self.file_dialog is not None:
            self.file_dialog.kill()
        start = self.save_dir if os.path.isdir(self.save_dir) else "."
        self.file_mode = "load"
        self.file_dialog = UIFileDialog(
            self._center(620, 460),
            self.manager,
            window_title="Load a saved game",
            initial_file_path=start,
            allow_existing_files_only=True,
        )
        self._fit_file_dialog()

    def _fit_file_dialog(self) -> None:
        """OK and Cancel sized to their text at the body size, the file list above them."""
        d = self.file_dialog
        self._fit_buttons(d, [d.cancel_button, d.ok_button], d.file_selection_list)

    def _on_file_name_entered(self, entry) -> None:
        """Enter in the file dialog's name field presses OK (when OK would accept the name)."""
        d = self.file_dialog
        if d is None or entry is not d.file_path_text_line or not d.alive():
            return
        path = d.current_file_path
        if path is None or not d.ok_button.is_enabled or not d._validate_file_path(path):
            return  # a directory or no name: the dialog shows that directory's files
        d.kill()
        self._on_path(str(path))

    def _on_path(self, path: str) -> None:
        mode, self.file_mode = self.file_mode, ""
        self.file_dialog = None
        if mode == "save" and Path(path).exists():
            self.confirm(
                "Replace the file?",
                f"{Path(path).name} already exists in {Path(path).parent}. Replace it with this game "
                f"(turn {self.ctrl.model.turn})? The file's present content is lost. (Enter or Esc: no.)",
                "Replace",
                lambda: self.save_game(path),
                default_yes=False,
                on_no=lambda: self.open_save_dialog(path),  # back to the file name, to change it
            )
        elif mode == "save":
            self.save_game(path)
        elif mode == "load" and self._unsaved_play():
            self.confirm(
                "Load another game?",
                f"Loading {Path(path).name} replaces this game, whose play was not saved "
                f"(turn {self.ctrl.model.turn}). Load anyway?",
                "Load",
                lambda: self.load_game(path),
            )
        elif mode == "load":
            self.load_game(path)

    def save_game(self, path: str) -> bool:
        """Save to ``path``; a failure shows a message. Returns whether it was written."""
        try:
            self.ctrl.save(path)
            m = self.ctrl.model
            when = f"after turn {m.turn} ({m.date()})" if m.turn else f"at the start ({m.date()})"
            resume = f"; play resumes at turn {m.turn + 1}" if m.running else ""
            self.show_toast(f"Saved {when}{resume} to {path}")
            return True
        except saves.SaveError as exc:
            self.show_message("Not saved", str(exc))
            return False

    def load_game(self, path: str) -> bool:
        """Load a save (same scenario file as the game, or the one the save names).

        A corrupt or foreign save shows a message and leaves the current game as it was.
        """
        try:
            data = saves.read_save(path)
            sc, sc_path = saves.scenario_of(data, path)
            ctrl = GameController.from_save(data, sc, sc_path, anim_seconds=self.ctrl.anim_seconds)
        except saves.SaveError as exc:
            self.show_message("Cannot load this save", str(exc))
            return False
        self.set_controller(ctrl)
        return True

    def set_controller(self, ctrl: GameController) -> None:
        """Switch to another game (after a load)."""
        self.ctrl = ctrl
        self._act_text = {}
        self._briefed, self._end_shown, self.sheet = set(), False, None
        self._category_for, self._team_category = None, {}
        pygame.display.set_caption(f"Great-power bargaining - {ctrl.static.name}")
        self._new_renderers()
        self._build(self.layout.size)

    # ------------------------------------------------------------------ frame
    def resize(self, w: int, h: int) -> None:
        """Re-lay out everything for a new window size."""
        w, h = max(w, 160), max(h, 120)
        if self.screen.get_size() != (w, h):
            self.screen = pygame.display.set_mode((w, h), pygame.RESIZABLE)
        inst = self.instructor is not None
        helpw = self.help_window is not None
        self._build((w, h))
        if inst:
            self._build_instructor()
        if helpw:
            self.toggle_help()

    def update(self, dt: float) -> None:
        """Advance the animation and the widgets by ``dt`` seconds."""
        self.ctrl.tick(dt)
        if self.toast is not None:
            left = self.toast[1] - dt
            self.toast = (self.toast[0], left) if left > 0 else None
        self._sync()
        self.manager.update(dt)

    def draw(self) -> None:
        """Draw one frame onto the window surface (no flip)."""
        c, L, surf = self.ctrl, self.layout, self.screen
        fs = self.fs
        if c.phase == "start":
            draw_screen_message(surf, self.fonts, self._start_lines(), fs, bottom=self.w["start_list"].rect.top)
        elif c.phase == "handover":
            team = c.current_team
            self.handover_lines = [
                f"Turn {c.turn_named()[0]}: hand over to",
                f"{self.name(team)} ({team})",
            ]
            draw_screen_message(
                surf,
                self.fonts,
                [
                    (self.handover_lines[0], round(fs * 1.4), theme.TEXT_DIM, False),
                    (f"{self.name(team)} ({team})", round(fs * 2.5), theme.ACCENT, True),
                    (
                        "The previous team's choices are hidden." if c.team_index else "The other teams' choices will be hidden from this team.",
                        fs,
                        theme.TEXT_DIM,
                        False,
                    ),
                    (
                        f"Team {c.team_index + 1} of {len(c.humans)}: press Enter or the button when ready.",
                        fs,
                        theme.TEXT_DIM,
                        False,
                    ),
                ],
                fs,
                bottom=self.w["ready"].rect.top,
            )
        else:
            surf.fill(theme.BG)
            self._draw_top(surf)
            snap = c.shown_snapshot()
            focus = c.focus_actor()
            key = (c.shown_turn(), len(c.history), c.selection, c.hover, focus, tuple(c.humans))
            self.map.draw(surf, snap, focus=focus, selected=c.selection, hover=c.hover, humans=c.humans, key=key)
            moved = {}
            if c.animating and c.overlay is not None:
                prev = c.history[c.shown_turn() - 1] if c.shown_turn() >= 1 else None
                self.map.draw_overlay(surf, snap, c.overlay, c.overlay_t, prev)
                draw_banner(surf, self.fonts, L.map, c.overlay.summary(), c.overlay_t, fs)
                moved = {m["issue"]: (m["from"], m["to"]) for m in c.overlay.issues}
            elif c.phase == "replay":
                mp = self.map  # at the map's foot, beside the legend, clear of the labels
                labels = list(mp.label_rects.values()) + list(mp.seat_label_rects.values()) + list(mp.theatre_label_rects.values())
                self.replay_banner_rect = draw_banner(
                    surf,
                    self.fonts,
                    L.map,
                    f"REPLAY  turn {c.replay_cursor} of {len(c.history) - 1}  ({snap['date']})",
                    0.0,
                    fs,
                    bottom=True,
                    avoid=[mp.legend_rect, *labels],
                )
            item = c.shown_item
            hidden = (
                c.phase == "plan"
                and bool(item)
                and item[0] == "actor"
                and item[1] in c.humans
                and item[1] != c.current_team
            )
            pkey = (c.shown_turn(), len(c.history))
            self.panel_views = {
                "selected": self.panels.draw_selected(
                    surf, L.selected, snap, item, fs=fs, humans=c.humans, pending_hidden=hidden, key=pkey,
                    ended=not c.model.running and c.shown_turn() == len(c.history) - 1,
                ),
                "issues": self.panels.draw_issues(
                    surf,
                    L.issues,
                    snap,
                    {x: c.issue_history(x) for x in snap["issues"]},
                    moved,
                    c.overlay_t,
                    fs=fs,
                    key=pkey,
                ),
            }
            pygame.draw.rect(surf, theme.PANEL, L.menu)
            pygame.draw.rect(surf, theme.PANEL_EDGE, L.menu, 1)
            pygame.draw.rect(surf, theme.PANEL, L.log)
            pygame.draw.rect(surf, theme.PANEL_EDGE, L.log, 1)
            sheet = self.current_sheet()
            if sheet is not None:
                self._draw_sheet(surf, sheet)
            elif c.phase == "plan" and c.current_team is not None:
                if self.menu_big:
                    pygame.draw.rect(surf, theme.PANEL, self.menu_rect)
                    pygame.draw.rect(surf, theme.PANEL_EDGE, self.menu_rect, 1)
                self._draw_menu(surf)
        self.manager.draw_ui(surf)
        if self.toast is not None:
            self.toast_rect = draw_toast(surf, self.fonts, L.map, self.toast[0], fs)

    def _draw_top(self, surf: pygame.Surface) -> None:
        draw_top(surf, self.layout.top)
        r = self.status_rect
        F, fs = self.fonts, self.fs
        y = r.y
        lh = F.font(fs, True).get_linesize()
        for line in F.wrap(self.status_text, fs, r.w, bold=True)[: max(1, r.h // lh)]:
            surf.blit(F.text(line, fs, theme.ACCENT, bold=True), (r.x, y))
            y += lh

    def _draw_sheet(self, surf: pygame.Surface, kind: str) -> None:
        W, H = surf.get_size()
        top = self.layout.top[3]
        surf.fill(theme.BG, (0, top, W, H - top))
        pygame.draw.rect(surf, theme.PANEL, self.sheet_rect, border_radius=6)
        pygame.draw.rect(surf, theme.ACCENT, self.sheet_rect, 2, border_radius=6)
        c = self.ctrl
        key = (kind, len(c.history), c.shown_turn(), c.current_team, self.briefing_team())
        self.sheet_view.set_content(key, lambda width: self._sheet_rows(kind, width))
        self.sheet_view.hover = None
        self.sheet_view.draw(surf)

    def _draw_menu(self, surf: pygame.Surface) -> None:
        F, fs = self.fonts, self.fs
        r = self.menu_title_rect
        y = r.y
        for line in F.wrap(self.menu_title, fs, r.w, True)[: max(1, r.h // F.font(fs, True).get_linesize())]:
            surf.blit(F.text(line, fs, theme.TEXT, bold=True), (r.x, y))
            y += F.font(fs, True).get_linesize()
        for v in self.views.values():
            v.hover = v.at(self.mouse)
            v.draw(surf, bg=(34, 39, 52))

    def frame(self, dt: float | None = None) -> float:
        """Handle queued events, update, draw and flip once; returns the frame's seconds."""
        t0 = time.perf_counter()
        for ev in pygame.event.get():
            self.handle(ev)
            if not self.running:
                return 0.0
        if dt is None:
            dt = self.clock.tick(self.fps) / 1000.0
        self.update(dt)
        self.draw()
        pygame.display.flip()
        took = time.perf_counter() - t0
        self.frame_times.append(took)
        if len(self.frame_times) > 600:
            del self.frame_times[:300]
        return took

    def run(self) -> None:
        """The event loop, until the window closes or Ctrl+Q."""
        while self.running:
            self.frame()
        pygame.quit()

    def screenshot(self, path: str) -> str:
        """Draw a frame and write it as PNG to ``path``."""
        self.update(0.0)
        self.draw()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # written beside, then renamed: never half a picture (pygame picks the format from the name)
        with replaced_atomically(target, suffix=".png") as tmp:
            pygame.image.save(self.screen, tmp)
        return path
