"""The documentation's pictures and links to files exist (README and docs/*.md)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_picture_and_file_link_in_the_docs_exists():
    missing = []
    for md in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(md.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (md.parent / target).exists():
                missing.append(f"{md.relative_to(ROOT)}: {target}")
    assert not missing, "missing: " + "; ".join(missing)


def test_the_guide_shows_the_programs_screens():
    guide = (ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(img/([^)]+)\)", guide)
    for name in ("guide_briefing.png", "guide_scorecard.png", "guide_results.png", "guide_end.png",
                 "guide_debrief.png", "guide_instructor.png", "guide_text_2x.png"):
        assert name in pictures, name
    for name in pictures:
        assert (ROOT / "docs" / "img" / name).stat().st_size < 300_000, name
