"""Fonts of the front end: Noto Sans (pygame_gui's bundled face) with fallbacks for other scripts.

Noto Sans covers Latin, Greek and Cyrillic. A name in another script is drawn with the first
bundled pygame_gui face that has every one of its characters (Simplified Chinese, Japanese,
Korean, Arabic, Hebrew, Georgian), shaped right-to-left where the script needs it; a name that
no bundled face covers (e.g. Thai) is replaced by the id the scenario gives it, never drawn as
empty boxes. pygame_gui's own widgets draw plain text in Noto Sans only, so they get
:meth:`Fonts.widget_safe` names: the name when Noto Sans has it, else the id.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pygame
import pygame.freetype

try:
    import pygame_gui

    FONT_DIR: Path | None = Path(pygame_gui.__file__).resolve().parent / "data"
except ImportError:  # pragma: no cover - pygame_gui is a dependency of the ui extra
    FONT_DIR = None

MAIN = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSans-Italic.ttf")
"""Regular, bold and italic files of the main face."""

FALLBACKS: tuple[tuple[str, str, str, bool], ...] = (
    ("NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf", "Hani", False),
    ("NotoSansJP-Regular.otf", "NotoSansJP-Bold.otf", "Jpan", False),
    ("NotoSansKR-Regular.ttf", "NotoSansKR-Bold.ttf", "Kore", False),
    ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf", "Arab", True),
    ("NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf", "Hebr", True),
    ("NotoSansGeorgian-Regular.ttf", "NotoSansGeorgian-Bold.ttf", "Geor", False),
)
"""Faces tried in order for text the main face lacks: (regular, bold, ISO 15924 script,
right-to-left). All ship with pygame_gui (SIL Open Font License)."""


class Fonts:
    """Fonts at any size, glyph coverage checks, and a cache of rendered strings.

    Args:
        max_items: rendered strings kept in the cache.
    """

    def __init__(self, max_items: int = 4000):
        self._fonts: dict[tuple, pygame.font.Font] = {}
        self._cache: OrderedDict[tuple, pygame.Surface] = OrderedDict()
        self._max = max_items
        self._fit: dict[tuple, str] = {}
        self._covers: dict[tuple[str, str], bool] = {}
        self._probe: dict[str, pygame.freetype.Font] = {}
        self._choice: dict[str, int] = {}
        self._words: dict[tuple, int] = {}
        self._wraps: dict[tuple, tuple[str, ...]] = {}
        pygame.freetype.init()

    # ------------------------------------------------------------------ faces
    def _path(self, name: str) -> str | None:
        p = FONT_DIR / name if FONT_DIR else None
        return str(p) if p and p.exists() else None

    def covers(self, face: str, text: str) -> bool:
        """Whether the font file ``face`` has a glyph for every character of ``text``."""
        path = self._path(face)
        if path is None:
            return False
        probe = self._probe.get(face)
        if probe is None:
            probe = self._probe[face] = pygame.freetype.Font(path, 12)
        for ch in set(text):
            if ch.isspace():
                continue
            k = (face, ch)
            ok = self._covers.get(k)
            if ok is None:
                ok = self._covers[k] = probe.get_metrics(ch)[0] is not None
            if not ok:
                return False
        return True

    def face_for(self, text: str) -> int:
        """Which face draws ``text``: 0 the main face, ``k`` the k-th fallback, -1 none."""
        got = self._choice.get(text)
        if got is not None:
            return got
        if text.isascii() or self.covers(MAIN[0], text):
            k = 0
        else:
            k = next(
                (i + 1 for i, fb in enumerate(FALLBACKS) if self.covers(fb[0], text)), -1
            )
        if len(self._choice) > 20000:
            self._choice.clear()
        self._choice[text] = k
        return k

    def char_face(self, ch: str) -> int:
        """The first face (0 main, ``k`` fallback) that has ``ch``; -1 if none."""
        if ch.isspace() or self.covers(MAIN[0], ch):
            return 0
        return next((i + 1 for i, fb in enumerate(FALLBACKS) if self.covers(fb[0], ch)), -1)

    def coverable(self, text: str) -> bool:
        """Whether every character of ``text`` is in some bundled face (runs of text in
        different scripts are then drawn each in its own face)."""
        return self.face_for(text) >= 0 or all(self.char_face(c) >= 0 for c in text)

    def _runs(self, text: str) -> list[tuple[str, int]]:
        runs: list[tuple[str, int]] = []
        for ch in text:
            k = self.char_face(ch)
            if ch.isspace() and runs:
                k = runs[-1][1]
            if runs and runs[-1][1] == k:
                runs[-1] = (runs[-1][0] + ch, k)
            else:
                runs.append((ch, k))
        return runs

    def drawable(self, text: str, fallback: str) -> str:
        """``text`` if the bundled faces have all its characters, else ``fallback`` (an id)."""
        return text if self.coverable(text) else fallback

    def widget_safe(self, text: str, fallback: str) -> str:
        """``text`` if the widgets' face (Noto Sans) has all its characters, else ``fallback``."""
        return text if self.face_for(text) == 0 else fallback

    def font(
        self, size: int, bold: bool = False, italic: bool = False, face: int = 0
    ) -> pygame.font.Font:
        """A font object (cached); ``face`` as returned by :meth:`face_for`."""
        key = (size, bold, italic, face)
        f = self._fonts.get(key)
        if f is None:
            if face > 0:
                reg, bld, script, rtl = FALLBACKS[face - 1]
                f = pygame.font.Font(self._path(bld if bold else reg), size)
                f.set_script(script)
                if rtl:
                    f.set_direction(pygame.DIRECTION_RTL)
            else:
                name = MAIN[1] if bold else MAIN[2] if italic else MAIN[0]
                f = pygame.font.Font(self._path(name), size)
            self._fonts[key] = f
        return f

    # ------------------------------------------------------------------ text
    def text(
        self, s: str, size: int, colour: tuple, bold: bool = False, italic: bool = False
    ) -> pygame.Surface:
        """A rendered string (antialiased, transparent background), cached.

        A string with characters the main face lacks is drawn in a fallback face that has
        them all; one that no face covers is drawn with its uncovered characters as ``?``.
        """
        key = (s, size, colour, bold, italic)
        surf = self._cache.get(key)
        if surf is None:
            face = self.face_for(s)
            if face >= 0:
                surf = self.font(size, bold, italic and face == 0, face).render(s, True, colour)
            else:  # runs in several scripts, each in its face (a character in none shows as ?)
                parts = [
                    self.font(size, bold, italic and k <= 0, max(k, 0)).render(
                        run if k >= 0 else "?" * len(run), True, colour
                    )
                    for run, k in self._runs(s)
                ]
                h = max(p.get_height() for p in parts)
                surf = pygame.Surface((sum(p.get_width() for p in parts), h), pygame.SRCALPHA)
                x = 0
                for p in parts:
                    surf.blit(p, (x, h - p.get_height()))
                    x += p.get_width()
            self._cache[key] = surf
            if len(self._cache) > self._max:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return surf

    def width(self, s: str, size: int, bold: bool = False) -> int:
        """Width in pixels of ``s`` as :meth:`text` draws it."""
        face = self.face_for(s)
        if face >= 0:
            return self.font(size, bold, False, face).size(s)[0]
        return sum(self.font(size, bold, False, max(k, 0)).size(r)[0] for r, k in self._runs(s))

    def _word_w(self, word: str, size: int, bold: bool) -> int:
        key = (word, size, bold)
        w = self._words.get(key)
        if w is None:
            if len(self._words) > 50000:
                self._words.clear()
            w = self._words[key] = self.width(word, size, bold)
        return w

    def wrap(self, s: str, size: int, width: int, bold: bool = False) -> list[str]:
        """``s`` broken into lines of at most ``width`` pixels (at spaces; a word longer than
        the line is broken between characters; ``\n`` starts a new line).

        Lines are filled by the widths of their words (cached) and each is then measured whole,
        so that no line is wider than ``width``.
        """
        key = (s, size, width, bold)
        got = self._wraps.get(key)
        if got is not None:
            return list(got)
        space = self._word_w(" ", size, bold) or 1
        lines: list[str] = []
        for para in s.split("\n"):
            words: list[str] = []
            for word in para.split(" "):
                while self._word_w(word, size, bold) > width and len(word) > 1:
                    k = len(word) - 1
                    while k > 1 and self.width(word[:k], size, bold) > width:
                        k -= 1
                    words.append(word[:k])
                    word = word[k:]
                words.append(word)
            cur: list[str] = []
            used = 0
            for word in words:
                w = self._word_w(word, size, bold)
                if cur and used + space + w > width:
                    lines.append(" ".join(cur))
                    cur, used = [word], w
                else:
                    used += (space if cur else 0) + w
                    cur.append(word)
            lines.append(" ".join(cur))
        out: list[str] = []
        for line in lines:  # kerning across words can make a line a pixel wider: check whole
            words = line.split(" ")
            while len(words) > 1 and self.width(" ".join(words), size, bold) > width:
                k = len(words) - 1
                while k > 1 and self.width(" ".join(words[:k]), size, bold) > width:
                    k -= 1
                out.append(" ".join(words[:k]))
                words = words[k:]
            out.append(" ".join(words))
        if len(self._wraps) > 20000:
            self._wraps.clear()
        self._wraps[key] = tuple(out)
        return out

    def fit(self, s: str, size: int, width: int, bold: bool = False) -> str:
        """``s`` shortened with an ellipsis to fit ``width`` pixels (memoised)."""
        key = (s, size, width, bold)
        out = self._fit.get(key)
        if out is not None:
            return out
        out = s
        if self.width(s, size, bold) > width:
            while out and self.width(out + "…", size, bold) > width:
                out = out[:-1]
            out += "…"
        if len(self._fit) > 5000:
            self._fit.clear()
        self._fit[key] = out
        return out
