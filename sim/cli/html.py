"""Printable HTML pages for the seminar game (briefings, debrief): one page skeleton, escaping,
and an output folder that never destroys user files.

Pages are self-contained (inline CSS, figures as files beside the page) and print on A4 with
the browser's "Print" (to paper or to PDF): page breaks fall between teams, links and buttons
are not needed.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from sim.files import save_figure_atomic, write_text_atomic

CSS = """
body{font-family:Georgia,'DejaVu Serif',serif;font-size:12pt;line-height:1.45;max-width:52em;margin:2em auto;padding:0 1.2em;color:#111}
h1{font-size:20pt;margin:.2em 0 .4em}h2{font-size:15pt;margin:1.4em 0 .4em;border-bottom:1px solid #999}
h3{font-size:12.5pt;margin:1.1em 0 .3em}
p.lead{font-size:13pt}p.meta,span.meta{color:#555;font-size:10pt}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:10.5pt;width:100%}
td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#eee}td.num{text-align:right;white-space:nowrap}
li{margin:.2em 0}.src{color:#666;font-size:9pt}
.obj{border:2px solid #333;padding:.3em .8em;margin:.6em 0}
.met{color:#176d2e;font-weight:bold}.failed,.notmet{color:#a11;font-weight:bold}.pending{color:#8a6100;font-weight:bold}
img{max-width:100%;margin:.4em 0}
.team{page-break-before:always}
@media print{body{margin:0;max-width:none;font-size:11pt}a{color:inherit;text-decoration:none}.team{page-break-before:always}h2,h3{page-break-after:avoid}}
"""


def esc(text: object) -> str:
    """HTML-escaped text of any value."""
    return escape(str(text), quote=True)


def page(title: str, body: str) -> str:
    """A complete HTML document with the shared print-friendly style."""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
        f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


class OutDirError(Exception):
    """An output folder that cannot be used; ``str(exc)`` is the message."""


def prepare_out_dir(out: str, marker: str, what: str) -> Path:
    """The output folder of a command, created if missing and marked as the command's.

    A folder that exists, is not empty and holds no ``marker`` (so another program's or the
    user's files) is refused, so that nothing a user made is overwritten.

    Raises:
        OutDirError: not a directory, not empty and not ours, or not writable.
    """
    dest = Path(out)
    if out == "":
        raise OutDirError("--out: no folder given")
    if dest.exists() and not dest.is_dir():
        raise OutDirError(f"--out {out}: is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / marker).exists():
        raise OutDirError(f"--out {out}: this folder is not empty and holds no earlier {what}; choose an empty or new folder")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        write_text_atomic(dest / marker, f"written by run.py {what}; a later {what} may replace this folder's files\n")
    except OSError as exc:
        raise OutDirError(f"--out {out}: cannot write here: {exc.strerror or exc}") from None
    return dest


def save_figure(fig, path: Path) -> None:
    """Save a matplotlib figure as PNG atomically (temporary file, then rename) and close it."""
    import matplotlib.pyplot as plt

    try:
        save_figure_atomic(fig, path, dpi=100)
    finally:
        plt.close(fig)
