"""Text that reflows and scrolls: rows laid out at a panel's width, shown a whole row at a time.

A panel's content is a list of :class:`Row` (a rendered strip as wide as the panel, with the
rectangles and sizes of the texts on it) built by a :class:`Flow` at a given width: paragraphs
wrap at the width, so a larger text scale makes more rows, never wider ones. A
:class:`ScrollView` shows the rows that fit whole from its first row and a scroll bar when
some do not fit; the mouse wheel, the bar and Page Up / Page Down scroll it. No text is ever
cut at a panel's edge: what does not fit is a scroll away.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import pygame

from sim.ui import theme
from sim.ui.fonts import Fonts

ROWS_KEPT_BYTES = 48 * 2**20
"""Pixel memory of the drawn rows kept for reuse (48 MB: some 1,200 rows of a panel at 1280x800);
the rows used longest ago go first."""
_CUSTOM: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
"""Drawn rows by what they show (custom rows, paragraphs), each with its pixel bytes."""
_KEPT = [0]


def _kept(key: Hashable) -> object | None:
    """A kept row (marked as used now), or ``None``."""
    got = _CUSTOM.get(key)
    if got is None:
        return None
    _CUSTOM.move_to_end(key)
    return got[0]


def _keep(key: Hashable, value: object, surfaces) -> object:
    """Keep ``value`` (whose pixels are ``surfaces``) under ``key``, within the memory budget."""
    n = sum(sf.get_width() * sf.get_height() * sf.get_bytesize() for sf in surfaces)
    _CUSTOM[key] = (value, n)
    _KEPT[0] += n
    while _KEPT[0] > ROWS_KEPT_BYTES and len(_CUSTOM) > 1:
        _k, (_v, m) = _CUSTOM.popitem(last=False)
        _KEPT[0] -= m
    return value


_EMPTY_SURF: list[pygame.Surface] = []


def _EMPTY() -> pygame.Surface:  # noqa: N802  (one transparent pixel, shared by every gap)
    if not _EMPTY_SURF:
        _EMPTY_SURF.append(pygame.Surface((1, 1), pygame.SRCALPHA))
    return _EMPTY_SURF[0]


@dataclass
class Row:
    """One strip of a panel.

    Attributes:
        surf: the strip (transparent background), as wide as the flow.
        payload: what a click on the row means (``None``: not clickable).
        texts: ``(rect, text, size)`` of each text on the strip, in strip coordinates.
        bg: background colour drawn behind the row (``None``: none).
    """

    surf: pygame.Surface
    payload: object = None
    texts: list[tuple[pygame.Rect, str, int]] = field(default_factory=list)
    bg: tuple | None = None
    group: int = -1
    """Rows of one paragraph share a group (they highlight together)."""
    offset: tuple[int, int] = (0, 0)
    """Where :attr:`surf` sits in the row (a text row keeps just its rendered line)."""
    h: int | None = None
    """The row's height when :attr:`surf` is smaller than the row."""

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self.h if self.h is not None else self.surf.get_height()


class Flow:
    """Builds the rows of a panel at a width.

    Args:
        fonts: shared fonts.
        width: the rows' width in pixels.
        fs: the body text size in pixels (headings and titles are derived from it).
    """

    def __init__(self, fonts: Fonts, width: int, fs: int):
        self.fonts = fonts
        self.width = max(8, width)
        self.fs = fs
        self.rows: list[Row] = []
        self.pad = max(2, round(fs * 0.25))

    def text(
        self,
        s: str,
        colour: tuple = theme.TEXT,
        *,
        bold: bool = False,
        size: int | None = None,
        indent: int = 0,
        payload: object = None,
        bg: tuple | None = None,
        marker: tuple | None = None,
    ) -> Row:
        """A paragraph wrapped at the width: a row per line, one group (clickable as a whole when
        ``payload``); returns its first row.

        Args:
            s: the text (``\\n`` starts a new line).
            colour: text colour.
            bold: bold face.
            size: text size in pixels (default: the body size).
            indent: left indent in pixels (continuation lines too).
            payload: what a click on the row means.
            bg: a background colour for the row.
            marker: a small square of this colour before the text (e.g. a channel's status).
        """
        size = size or self.fs
        pk = ("para", s, size, colour, bold, indent, marker, self.width, self.pad, id(self.fonts))
        parts = _kept(pk)
        if parts is None:  # laid out and drawn once per look, then kept (see custom)
            parts = self._paragraph(s, colour, bold, size, indent, marker)
            _keep(pk, parts, [p[0] for p in parts])
        group = len(self.rows)
        first = None
        for surf, texts, offset, h in parts:
            row = Row(surf, payload, list(texts), bg, group, offset, h)
            self.rows.append(row)
            first = first or row
        return first

    def _paragraph(
        self, s: str, colour: tuple, bold: bool, size: int, indent: int, marker: tuple | None
    ) -> tuple:
        """The rows of :meth:`text` as ``(surface, texts, offset, height)``.

        ``height`` ``None`` means the surface's height.
        """
        F = self.fonts
        lead = round(size * 0.9) if marker is not None else 0
        lines = F.wrap(s, size, self.width - indent - lead - 2 * self.pad, bold=bold)
        lh = F.font(size, bold).get_linesize()
        x = self.pad + indent + lead
        out = []
        for k, line in enumerate(lines):
            lab = F.text(line, size, colour, bold=bold)
            top = self.pad // 2 if k == 0 else 0
            bottom = self.pad - self.pad // 2 if k == len(lines) - 1 else 0
            texts = ((pygame.Rect(x, top, lab.get_width(), lab.get_height()), line, size),)
            if marker is not None and k == 0:
                surf = pygame.Surface((self.width, top + lh + bottom), pygame.SRCALPHA)
                m = round(size * 0.5)
                pygame.draw.rect(surf, marker, (self.pad + indent, top + (lh - m) // 2, m, m))
                surf.blit(lab, (x, top))
                out.append((surf, texts, (0, 0), None))
            else:  # the rendered line itself, placed in the row: no surface of its own
                out.append((lab, texts, (x, top), top + lh + bottom))
        return tuple(out)

    def heading(self, s: str, colour: tuple = theme.ACCENT) -> Row:
        """A bold heading at the body size (with a little space above)."""
        if self.rows:
            self.gap(round(self.fs * 0.3))
        return self.text(s, colour, bold=True)

    def custom(
        self,
        height: int,
        draw: Callable[[pygame.Surface], list],
        payload: object = None,
        key: Hashable = None,
    ) -> Row:
        """A row drawn by ``draw(surface)``, which returns its texts as ``(rect, text, size)``.

        With ``key`` (everything the drawing depends on, e.g. the values a bar shows), the drawn
        row is kept and reused by any later row with the same key, width and height: a panel laid
        out again after a turn redraws only the bars whose values changed.
        """
        h = max(1, height)
        ck = None if key is None else (key, self.width, h)
        got = _kept(ck) if ck is not None else None
        if got is None:
            surf = pygame.Surface((self.width, h), pygame.SRCALPHA)
            got = (surf, tuple(draw(surf) or ()))
            if ck is not None:
                _keep(ck, got, [surf])
        row = Row(got[0], payload, list(got[1]), None, len(self.rows))
        self.rows.append(row)
        return row

    def gap(self, h: int) -> None:
        """Empty space of ``h`` pixels (a row with nothing to draw)."""
        self.rows.append(Row(_EMPTY(), group=len(self.rows), h=max(1, h)))

    def put(self, surf: pygame.Surface, s: str, pos: tuple, size: int, colour, bold=False) -> tuple:
        """Draw ``s`` at ``pos`` on a custom row; returns its ``(rect, text, size)``."""
        lab = self.fonts.text(s, size, colour, bold=bold)
        surf.blit(lab, pos)
        return (pygame.Rect(pos[0], pos[1], lab.get_width(), lab.get_height()), s, size)


class ScrollView:
    """A panel region that shows whole rows from its first row, with a scroll bar.

    Args:
        rect: the region in window pixels.
        fs: the body text size (sets the bar's width).
    """

    def __init__(self, rect: pygame.Rect | tuple, fs: int):
        self.rect = pygame.Rect(rect)
        self.fs = fs
        self.bar_w = max(8, round(fs * 0.6))
        self.rows: list[Row] = []
        self.first = 0
        self._key = None
        self._built: dict = {}
        self._total = 0
        self._max_first: int | None = 0
        self.visible: list[tuple[pygame.Rect, int]] = []
        """``(window rect, row index)`` of each row drawn in the last frame."""
        self.drawn_texts: list[tuple[pygame.Rect, str, int]] = []
        """``(window rect, text, size)`` of each text drawn in the last frame (tests read it)."""
        self.hover: int | None = None
        self.selected: set = set()
        """Payloads drawn as chosen (highlighted)."""

    # content -----------------------------------------------------------
    def content_width(self, with_bar: bool) -> int:
        """Width of the rows with or without a scroll bar."""
        return self.rect.w - (self.bar_w + 2 if with_bar else 0)

    def set_content(self, key, build: Callable[[int], list[Row]]) -> None:
        """Rebuild the rows with ``build(width)`` when ``key`` or the width changed.

        The rows are first laid out at the full width; if they do not fit, again at the width
        left beside the scroll bar.
        """
        k = (key, self.rect.size, self.fs)
        if k == self._key:
            return
        self._key = k
        rows = self._built.get(k)
        if rows is None:
            rows = build(self.content_width(True))  # most panels overflow: the narrow width first
            if sum(r.height for r in rows) <= self.rect.h:
                wide = build(self.content_width(False))
                if sum(r.height for r in wide) <= self.rect.h:
                    rows = wide
            self._built[k] = rows
            if len(self._built) > 24:  # the last few contents (hovering back and forth)
                del self._built[next(iter(self._built))]
        self.rows = rows
        self._total = sum(r.height for r in rows)
        self._max_first = None
        self.first = min(self.first, self.max_first())

    def invalidate(self) -> None:
        """Rebuild on the next :meth:`set_content`."""
        self._key = None
        self._built.clear()

    @property
    def overflows(self) -> bool:
        """Whether some rows are out of view."""
        return self._total > self.rect.h

    def max_first(self) -> int:
        """The last first row that still fills the view."""
        if self._max_first is None:
            h, k = 0, len(self.rows)
            while k > 0 and h + self.rows[k - 1].height <= self.rect.h:
                h += self.rows[k - 1].height
                k -= 1
            self._max_first = k
        return self._max_first

    # scrolling ---------------------------------------------------------
    def scroll(self, n: int) -> None:
        """Scroll by ``n`` rows (negative: up)."""
        self.first = max(0, min(self.max_first(), self.first + n))

    def page(self, direction: int) -> None:
        """Scroll by a view's height of rows (``direction`` 1 down, -1 up)."""
        n = max(1, len(self.visible) - 1)
        self.scroll(direction * n)

    def ensure_visible(self, index: int) -> None:
        """Scroll so that row ``index`` is shown."""
        if index < self.first:
            self.first = index
            return
        while True:
            h = sum(r.height for r in self.rows[self.first : index + 1])
            if h <= self.rect.h or self.first >= index:
                break
            self.first += 1

    def index_of(self, payload) -> int | None:
        """Index of the row whose payload is ``payload``."""
        for i, r in enumerate(self.rows):
            if r.payload is not None and r.payload == payload:
                return i
        return None

    def row_rect(self, index: int) -> pygame.Rect | None:
        """Window rect of row ``index`` if it was drawn in the last frame."""
        for r, i in self.visible:
            if i == index:
                return r
        return None

    # events ------------------------------------------------------------
    def bar_rect(self) -> pygame.Rect:
        """The scroll bar's track."""
        return pygame.Rect(self.rect.right - self.bar_w, self.rect.y, self.bar_w, self.rect.h)

    def thumb_rect(self) -> pygame.Rect:
        """The scroll bar's thumb (its share of the track is the share of rows in view)."""
        n = max(1, len(self.rows))
        track = self.bar_rect()
        shown = max(1, len(self.visible))
        h = max(self.bar_w, round(track.h * shown / n))
        top = track.y + round((track.h - h) * self.first / max(1, self.max_first()))
        return pygame.Rect(track.x, top, track.w, h)

    def at(self, pos) -> int | None:
        """Index of the row under ``pos`` (window pixels), if any."""
        for r, i in self.visible:
            if r.collidepoint(pos):
                return i
        return None

    def wheel(self, pos, dy: int) -> bool:
        """Scroll by a wheel step if ``pos`` is over the view; whether it was."""
        if not self.rect.collidepoint(pos):
            return False
        self.scroll(-dy * 2)
        return True

    def click(self, pos):
        """A click at ``pos``: a row's payload, or ``None`` (a click on the bar pages)."""
        if not self.rect.collidepoint(pos):
            return None
        if self.overflows and self.bar_rect().collidepoint(pos):
            t = self.thumb_rect()
            if pos[1] < t.y:
                self.page(-1)
            elif pos[1] >= t.bottom:
                self.page(1)
            return None
        i = self.at(pos)
        return None if i is None else self.rows[i].payload

    # drawing -----------------------------------------------------------
    def draw(self, surf: pygame.Surface, bg: tuple | None = None) -> None:
        """Draw the rows that fit whole from :attr:`first`, and the scroll bar."""
        if bg is not None:
            pygame.draw.rect(surf, bg, self.rect)
        hover_group = self.rows[self.hover].group if self.hover is not None and self.hover < len(self.rows) else None
        self.visible = []
        self.drawn_texts = []
        x, y = self.rect.x, self.rect.y
        bottom = self.rect.bottom
        cw = self.content_width(self.overflows)
        for i in range(self.first, len(self.rows)):
            row = self.rows[i]
            if y + row.height > bottom and i > self.first:
                break
            rr = pygame.Rect(x, y, cw if row.h is not None else row.surf.get_width(), row.height)
            sel = row.payload is not None and row.payload in self.selected
            hov = row.payload is not None and hover_group == row.group
            if row.bg is not None or sel or hov:
                col = row.bg or theme.PANEL
                if sel:
                    col = (47, 80, 130)
                if hov:
                    col = theme.lerp(col, (90, 104, 130), 0.6)
                pygame.draw.rect(surf, col, rr.inflate(-2, 0))
            surf.blit(row.surf, (rr.x + row.offset[0], rr.y + row.offset[1]))
            self.visible.append((rr, i))
            for tr, text, size in row.texts:
                self.drawn_texts.append((tr.move(rr.topleft), text, size))
            y += row.height
        if self.overflows:
            track = self.bar_rect()
            pygame.draw.rect(surf, (40, 46, 60), track, border_radius=3)
            pygame.draw.rect(surf, (130, 140, 165), self.thumb_rect(), border_radius=3)
