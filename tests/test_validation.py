"""Scenario validation (docs/model.md, section 6 Input data): the corpus of broken scenarios and the built-in ones.

Every file in ``tests/bad_scenarios`` is broken in exactly one way and starts with a comment
``# expect: line N: PATH  (what is broken)`` (the empty file, which cannot hold a comment, expects
line 1 and ``(root)``). ``python run.py validate FILE`` must exit 2, print
``FILE:LINE: PATH: message`` lines and no traceback, and point at line N and PATH.

All command-line runs are started at once by one module fixture (they take ~0.5 s each, mostly
imports), and the tests read their results.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from sim.loader import ScenarioError, load_scenario, parse_scenario

REPO = Path(__file__).resolve().parent.parent
SOURCES_MD = REPO / "docs" / "sources.md"
INTERVIEW_ENV = "GREATPOWER_INTERVIEW"
"""Environment variable naming the interview's plain text (not part of the repository)."""
BAD_DIR = REPO / "tests" / "bad_scenarios"
MINIMAL = REPO / "tests" / "data" / "minimal.yaml"
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))

BAD_FILES = sorted(BAD_DIR.glob("*.yaml"))
GOOD_FILES = [MINIMAL, *SCENARIOS]


def rel(path: Path) -> str:
    """The file path as given on the command line (relative to the repo root)."""
    return path.relative_to(REPO).as_posix()


EXPECT = re.compile(r"^# expect: line (\d+): (\S+)\s+\((.+)\)\s*$")
PROBLEM = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<path>\S+): (?P<msg>.+)$")


def expectation(path: Path) -> tuple[int, str]:
    """(line, field path) that the file's ``# expect:`` comment names."""
    raw = path.read_bytes()
    if not raw:
        return 1, "(root)"  # the empty file: the whole document, reported at line 1
    first = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    m = EXPECT.match(first)
    assert m, f"{path.name}: first line must be '# expect: line N: PATH  (what)', got {first!r}"
    return int(m.group(1)), m.group(2)


# --- known bugs in sim/loader.py and sim/schema.py, by corpus file: strict xfails, so that they
# flip when fixed. Bugs found earlier (lines of quantities and unclosed brackets, pydantic names in
# messages, number keys shown as list indices, union noise, dates, extends lists) were fixed in
# 4ee1867; their tests stay as regression tests.

REJECTION_BUGS: dict[str, str] = {}
LOCATION_BUGS: dict[str, str] = {}
MESSAGE_BUGS: dict[str, str] = {}
INTERNAL_WORDS = (
    "instance of",
    "constrained-",
    "should match pattern",
    "Quantity",
    "Spec",
    "model_type",
    "[key]",
)


def _marked(names: dict[str, str]) -> list[Any]:
    out = []
    for f in BAD_FILES:
        marks = [pytest.mark.xfail(strict=True, reason=names[f.name])] if f.name in names else []
        out.append(pytest.param(f, id=f.name, marks=marks))
    return out


# --- parse_scenario, in process


def minimal_text() -> str:
    return MINIMAL.read_text(encoding="utf-8")


def problems(text: str, file: str = "t.yaml") -> list[Any]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, file)
    return info.value.problems


def derive(op: str, n: int | tuple[int, int], *new: str) -> str:
    """The minimal scenario with line ``n`` (or lines ``(first, last)``) replaced by ``new``
    (``rep``), ``new`` inserted after line ``n`` (``ins``), or line ``n`` deleted (``del``)."""
    lines = minimal_text().splitlines()
    if op == "rep":
        first, last = n if isinstance(n, tuple) else (n, n)
        lines[first - 1 : last] = new
    elif op == "ins":
        lines[n:n] = new
    else:
        del lines[n - 1]
    return "\n".join(lines) + "\n"


def located(found: list[Any], file: str, line: int, path: str) -> bool:
    return any(
        p.file == file and p.line == line and p.path in (path, path + ".value") for p in found
    )


def _bug(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=reason)


# More one-fault cases, checked in process: the command line only prints these problems.
MORE_CASES = [
    pytest.param(("rep", 6, "turns: twelve"), 6, "turns", id="string-for-integer"),
    pytest.param(("ins", 6, "turn_months: true"), 7, "turn_months", id="bool-for-integer"),
    pytest.param(("rep", 50, "    members: USA"), 50, "blocs.NATO.members", id="string-for-list"),
    pytest.param(("ins", 74, "    severity: 0.3"), 75, "events[0].severity", id="unknown-in-event"),
    pytest.param(
        ("rep", 67, "    area: [[27.5, 41], [42, -.inf], [42, 47], [27.5, 47]]"),
        67,
        "theatres.black_sea.area[1][1]",
        id="inf-in-area",
    ),
    pytest.param(
        ("rep", 22, '    capability: {value: .nan, unit: "USD bn", source: "SIPRI 2021"}'),
        22,
        "actors.USA.capability.value",
        id="nan-as-quantity-value",
    ),
    pytest.param(("ins", 32, "      sanctions: 0.6"), 33, "(root)", id="duplicate-nested-key"),
    pytest.param(("ins", 74, "---", "name: x"), 75, "(root)", id="second-document"),
    pytest.param(("del", 6), 2, "turns", id="missing-top-level-field"),
    pytest.param(("rep", 71, "  - turn: 13"), 71, "events[0].turn", id="event-after-last-turn"),
    pytest.param(
        ("rep", 25, "    threat: {USA: 0.6}"), 25, "actors.USA.threat.USA", id="self-threat"
    ),
    pytest.param(("ins", 51, "    leader: RUS"), 52, "blocs.NATO.leader", id="leader-not-member"),
    pytest.param(
        ("rep", 65, "    posture: {RUS: 0.7, USA: 0.2, GBR: 0.1}"),
        65,
        "theatres.black_sea.posture.GBR",
        id="posture-not-present",
    ),
    pytest.param(
        ("rep", 54, "    kind: telegraph"), 54, "channels.USA-RUS-EMB.kind", id="unknown-kind"
    ),
    pytest.param(
        ("rep", 59, "    theatres: [baltic]"),
        59,
        "channels.USA-RUS-EMB.theatres[0]",
        id="channel-theatre",
    ),
    pytest.param(
        ("rep", 17, "    decided_by: [USA, FRA]"),
        17,
        "issues.sanctions.decided_by[1]",
        id="decided-by-list",
    ),
    pytest.param(
        ("rep", 55, "    endpoints: [USA, USA]"),
        55,
        "channels.USA-RUS-EMB.endpoints",
        id="same-endpoints",
    ),
    pytest.param(
        ("rep", 25, "    threat: {1: 0.6}"),
        25,
        "actors.USA.threat.1",
        id="number-as-key",
    ),
    pytest.param(
        ("rep", 43, "    name: 'United Kingdom"),
        43,
        "(root)",
        id="unclosed-single-quote",
    ),
]


@pytest.mark.parametrize(("edit", "line", "path"), MORE_CASES)
def test_more_faults_are_located(edit: tuple[Any, ...], line: int, path: str) -> None:
    found = problems(derive(*edit), "m.yaml")
    assert located(found, "m.yaml", line, path), [str(p) for p in found]


MESSAGE_CASES = [
    pytest.param(
        ("rep", 12, "    decided_by: 5"),
        "issues.nato_ukraine.decided_by",
        id="decided-by-number",
    ),
    pytest.param(
        ("rep", (42, 46), "  GBR: null"),
        "actors.GBR",
        id="null-actor",
    ),
    pytest.param(
        ("rep", 17, "    decided_by: [USA, 3]"),
        "issues.sanctions.decided_by[1]",
        id="decided-by-list-with-number",
    ),
    pytest.param(("rep", 33, "    risk: 3"), "actors.RUS.risk", id="risk-out-of-range"),
]


def test_float_for_integer_says_whole_number() -> None:
    found = problems(derive("rep", 6, "turns: 12.0"))
    assert [(p.line, p.path) for p in found] == [(6, "turns")]
    assert "must be a number," not in found[0].message, found[0].message


@pytest.mark.parametrize(("edit", "path"), MESSAGE_CASES)
def test_one_fault_gives_one_plain_message(edit: tuple[Any, ...], path: str) -> None:
    found = problems(derive(*edit))
    assert [p.path for p in found] == [path], [str(p) for p in found]
    leaked = [w for w in INTERNAL_WORDS if w in found[0].message or w in found[0].path]
    assert not leaked, str(found[0])


def test_extends_null_deleting_a_required_field_is_located_in_the_derived_file() -> None:
    file = (BAD_DIR / "virtual.yaml").as_posix()  # need not exist: only its folder is used
    text = "extends: ../data/minimal.yaml\nactors:\n  GBR:\n    name: null\n"
    found = problems(text, file)
    assert [(p.file, p.line, p.path) for p in found] == [(file, 4, "actors.GBR.name")]


def test_extends_replaced_list_item_is_located_in_the_derived_file() -> None:
    file = (BAD_DIR / "virtual.yaml").as_posix()
    text = 'extends: ../data/minimal.yaml\nevents:\n  - kind: note\n    text: "no turn"\n'
    found = problems(text, file)
    assert located(found, file, 3, "events[0].turn"), [str(p) for p in found]


def test_not_utf8_file_is_located(tmp_path: Path) -> None:
    raw = MINIMAL.read_bytes().split(b"\n")
    raw[42] = b'    name: "Royaume-Uni \xe9"'
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"\n".join(raw))
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    assert [(p.line, p.path) for p in info.value.problems] == [(43, "(root)")]


def test_yaml_1_2_no_stays_a_string_and_on_yes_are_not_booleans() -> None:
    text = minimal_text().replace(
        "  GBR:\n",
        "  NO:\n    name: on\n    capability: 6.5\n    position: {nato_ukraine: 0.6}\n  GBR:\n",
    )
    text = text.replace("members: [USA, GBR]", "members: [USA, GBR, NO]")
    text = text.replace('label: "Sanctions on Russia"', "label: yes")
    sc = parse_scenario(text)
    assert "NO" in sc.actors
    assert sc.actors["NO"].name == "on"
    assert sc.blocs["NATO"].members == ["USA", "GBR", "NO"]
    assert sc.issues["sanctions"].label == "yes"
    # off/no/n/y are strings too
    for word in ("off", "no", "n", "y", "No", "Yes", "ON"):
        sc = parse_scenario(text.replace("label: yes", f"label: {word}"))
        assert sc.issues["sanctions"].label == word


def test_yaml_1_2_date_like_scalar_stays_a_string() -> None:
    sc = parse_scenario(minimal_text().replace('label: "Sanctions on Russia"', "label: 2021-10-01"))
    assert sc.issues["sanctions"].label == "2021-10-01"


def test_bare_number_and_quantity_give_the_same_value() -> None:
    bare = parse_scenario(minimal_text())
    text = minimal_text().replace(
        "capability: 65.9", 'capability: {value: 65.9, unit: "USD bn", source: "SIPRI 2021"}'
    )
    full = parse_scenario(text)
    a, b = bare.actors["RUS"].capability, full.actors["RUS"].capability
    assert a.value == b.value == 65.9
    assert float(a) == float(b)
    assert (a.unit, a.source) == (None, None)
    assert (b.unit, b.source) == ("USD bn", "SIPRI 2021")
    # an integer written bare is the same number as the float quantity
    one = parse_scenario(minimal_text().replace("risk: 1.2", "risk: 1"))
    two = parse_scenario(minimal_text().replace("risk: 1.2", "risk: {value: 1.0, source: x}"))
    assert one.actors["RUS"].risk.value == two.actors["RUS"].risk.value == 1.0


def test_unknown_field_in_quantity_is_rejected() -> None:
    text = minimal_text().replace("risk: 1.2", "risk: {value: 1, sorce: x}")
    found = problems(text)
    assert [(p.line, p.path, p.message) for p in found] == [
        (33, "actors.RUS.risk.sorce", "unknown field (did you mean 'source'?)")
    ]


def test_several_field_problems_are_all_reported() -> None:
    text = (
        minimal_text()
        .replace("turns: 12", "turns: 0")
        .replace("risk: 1.2", "risk: 3")
        .replace("staff_baseline: 1200", "staff_baseline: 1200\n    colour: red")
    )
    found = {(p.line, p.path) for p in problems(text)}
    assert found == {(6, "turns"), (33, "actors.RUS.risk"), (58, "channels.USA-RUS-EMB.colour")}


def test_several_reference_problems_are_all_reported() -> None:
    text = (
        minimal_text()
        .replace("members: [USA, GBR]", "members: [USA, POL]")
        .replace("posture_appetite: {black_sea: 0.5}", "posture_appetite: {baltic: 0.5}")
        .replace("channel: USA-RUS-EMB", "channel: RUS-USA-EMB")
    )
    found = {(p.line, p.path) for p in problems(text)}
    assert found == {
        (50, "blocs.NATO.members[1]"),
        (35, "actors.RUS.posture_appetite.baltic"),
        (73, "events[0].channel"),
    }


def test_extends_merges_mappings_and_null_deletes(tmp_path: Path) -> None:
    derived = tmp_path / "derived.yaml"
    derived.write_text(
        f"extends: {MINIMAL.as_posix()}\n"
        'name: "Derived"\n'
        "actors:\n"
        "  RUS:\n"
        "    risk: 1.5\n"
        "    posture_appetite: null\n"
        "theatres:\n"
        "  black_sea:\n"
        "    posture: {RUS: 0.9}\n"
        "events: null\n",
        encoding="utf-8",
    )
    sc = parse_scenario(derived.read_text(encoding="utf-8"), str(derived))
    base = parse_scenario(minimal_text(), str(MINIMAL))
    assert sc.name == "Derived"
    rus = sc.actors["RUS"]
    assert rus.risk.value == 1.5
    assert rus.name == "Russia" and rus.capability.value == 65.9  # kept from the base
    assert rus.posture_appetite == {}  # deleted by null, back to the default
    assert base.actors["RUS"].posture_appetite != {}
    posture = {a: q.value for a, q in sc.theatres["black_sea"].posture.items()}
    assert posture == {"RUS": 0.9, "USA": 0.2}  # merged key by key
    assert sc.events == []
    assert set(sc.actors) == set(base.actors) and sc.turns == base.turns


def test_problem_in_base_is_reported_in_the_base_file(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(minimal_text().replace("      nato_ukraine: 1\n", "      nato_ukraine: 1.5\n"))
    derived = tmp_path / "derived.yaml"
    derived.write_text('extends: base.yaml\nname: "Derived"\n', encoding="utf-8")
    found = problems(derived.read_text(encoding="utf-8"), str(derived))
    assert len(found) == 1
    p = found[0]
    assert Path(p.file).resolve() == base.resolve()
    assert (p.line, p.path) == (31, "actors.RUS.salience.nato_ukraine")


# --- the built-in scenarios: citations and sources


def _plain_yaml(path: Path) -> Any:
    y = YAML(typ="safe", pure=True)
    return y.load(path.read_text(encoding="utf-8"))


def _strings(node: Any):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str):
        yield node


CITED_LINE = re.compile(r"\bL(\d+)(?:\s*[-\u2013]\s*L?(\d+))?\b")
"""``L17``, or a range ``L7-L9`` / ``L7-9`` (both ends included)."""


def interview_lines(text: str) -> list[int]:
    """Line numbers cited as ``interview L9, L17 (...), L31``: every ``L<n>`` after 'interview'.

    A range ``L7-L9`` cites every line from 7 to 9.
    """
    if "interview" not in text:
        return []
    tail = text.split("interview", 1)[1]
    out: list[int] = []
    for m in CITED_LINE.finditer(tail):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        out.extend(range(first, max(first, last) + 1))
    return out


def test_interview_lines_reads_lists_and_ranges() -> None:
    assert interview_lines("interview L9, L17 (sanctions), L31; judgement (ours)") == [9, 17, 31]
    assert interview_lines("interview L7-L9") == [7, 8, 9]
    assert interview_lines("interview L7-9 and L21") == [7, 8, 9, 21]
    assert interview_lines("judgement (ours), L5") == []


def listed_interview_lines() -> set[int]:
    """Lines listed in the first column of the "Interview lines cited" table of docs/sources.md."""
    text = SOURCES_MD.read_text(encoding="utf-8")
    assert "### Interview lines cited" in text, "docs/sources.md has no 'Interview lines cited' table"
    section = text.split("### Interview lines cited", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\|\s*L(\d+)\s*\|", section, flags=re.MULTILINE)
    return {int(n) for n in rows}


def claim_lines() -> dict[str, list[int]]:
    """Interview lines of each claim F1-F14 in the claims table of docs/sources.md."""
    out = {}
    for line in SOURCES_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"F\d+", cells[0]):
            out[cells[0]] = interview_lines("interview " + cells[2])
    return out


def cited_interview_lines() -> dict[int, list[str]]:
    """Every interview line cited by a built-in scenario or by the model's code (its log
    sources), with where it is cited."""
    cited: dict[int, list[str]] = {}
    for f in SCENARIOS:
        for s in _strings(_plain_yaml(f)):
            for n in interview_lines(s):
                cited.setdefault(n, []).append(f"{f.name}: {s!r}")
    for f in sorted((REPO / "sim").rglob("*.py")):
        for no, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            for n in interview_lines(line):
                cited.setdefault(n, []).append(f"{f.relative_to(REPO).as_posix()}:{no}")
    return cited


def test_interview_citations_are_lines_that_sources_md_lists() -> None:
    listed = listed_interview_lines()
    cited = cited_interview_lines()
    assert cited, "no interview citation found in the scenarios"
    unlisted = [f"L{n}: {where}" for n, ws in sorted(cited.items()) if n not in listed for where in ws]
    assert not unlisted, "cited but not listed in docs/sources.md:\n" + "\n".join(unlisted)
    claims = claim_lines()
    assert sorted(claims, key=lambda f: int(f[1:])) == [f"F{k}" for k in range(1, 15)], sorted(claims)
    for fid, lines in claims.items():
        assert lines, f"{fid} cites no interview line"
        assert set(lines) <= listed, f"{fid} cites lines not in the table of cited lines: {lines}"


def test_interview_citations_point_at_non_empty_lines() -> None:
    given = os.environ.get(INTERVIEW_ENV, "")
    if not given:
        pytest.skip(
            f"{INTERVIEW_ENV} is not set: the interview's text is not part of the repository, so "
            "cited lines are checked against docs/sources.md only"
        )
    path = Path(given)
    assert path.is_file(), f"{INTERVIEW_ENV}={given}: no such file"
    text = path.read_text(encoding="utf-8").splitlines()
    cited = cited_interview_lines()
    for n in listed_interview_lines():
        cited.setdefault(n, []).append("docs/sources.md")
    bad = [
        f"L{n} is empty or past the end ({len(text)} lines), cited by {where[0]}"
        for n, where in sorted(cited.items())
        if not (1 <= n <= len(text) and text[n - 1].strip())
    ]
    assert not bad, "\n".join(bad)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _bare_number_allowed(path: tuple[Any, ...]) -> bool:
    if path in {("turns",), ("turn_months",), ("schema_version",)}:
        return True
    if path in {("ai", "actions_per_turn"), ("ai", "proposals_per_turn")}:
        return True
    if len(path) == 3 and path[0] == "events" and path[2] == "turn":
        return True
    if len(path) == 3 and path[0] == "sources" and path[2] == "year":
        return True
    if len(path) >= 2 and path[-2] == "capital" and path[-1] in ("lat", "lon"):
        return True
    if len(path) == 5 and path[0] == "theatres" and path[2] == "area":
        return True
    return False


def unsourced_numbers(node: Any, path: tuple[Any, ...] = ()) -> list[str]:
    """Dotted paths of numbers without a source (see the test below for the exceptions)."""
    out: list[str] = []
    if isinstance(node, dict):
        if "value" in node and _is_number(node["value"]):
            src = node.get("source")
            if not (isinstance(src, str) and src.strip()):
                out.append(".".join(map(str, path)) + " (quantity without source)")
            return out
        for k, v in node.items():
            if _is_number(k) and not (path and path[-1] == "scale"):
                out.append(".".join(map(str, (*path, k))) + " (number as a key)")
            out.extend(unsourced_numbers(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(unsourced_numbers(v, (*path, i)))
    elif _is_number(node) and not _bare_number_allowed(path):
        out.append(".".join(map(str, path)) + f" (bare {node!r})")
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=[f.name for f in SCENARIOS])
def test_every_number_in_builtin_scenarios_has_a_source(path: Path) -> None:
    data = _plain_yaml(path)
    data.pop("extends", None)
    # an objective's numbers (bounds, deadline, points) are game design; its own source covers them
    missing = [
        f"objectives.{a}[{k}] (objective without source)"
        for a, obs in (data.pop("objectives", None) or {}).items()
        for k, ob in enumerate(obs)
        if not (isinstance(ob.get("source"), str) and ob["source"].strip())
    ]
    missing += unsourced_numbers(data)
    assert not missing, f"{path.name}:\n" + "\n".join(missing)


def test_source_check_catches_bare_and_unsourced_numbers() -> None:
    data = {
        "turns": 3,
        "actors": {"X": {"capability": 5, "risk": {"value": 1.0, "source": " "}}},
        "theatres": {"t": {"area": [[1.0, 2.0]], "incident_rate": {"value": 0.1, "source": "s"}}},
        "issues": {"i": {"scale": {0: "a", 1: "b"}, "state": math.pi}},
    }
    assert sorted(unsourced_numbers(data)) == [
        "actors.X.capability (bare 5)",
        "actors.X.risk (quantity without source)",
        f"issues.i.state (bare {math.pi!r})",
    ]


# --- one batch of command-line runs


def _run(args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "run.py", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


@pytest.fixture(scope="module", autouse=True)
def cli_runs() -> Iterator[dict[tuple[str, ...], Future[subprocess.CompletedProcess[str]]]]:
    """Start every command-line run this module needs, before its first test.

    The in-process tests, which come first in this file, run while these work.
    """
    jobs = [("validate", rel(f)) for f in BAD_FILES + GOOD_FILES] + [("schema",)]
    pool = ThreadPoolExecutor(max_workers=max(2, (os.cpu_count() or 2) + 1))
    try:
        yield {job: pool.submit(_run, job) for job in jobs}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def cli(cli_runs) -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    """Results of the command-line runs, keyed by their arguments."""
    return {job: fut.result() for job, fut in cli_runs.items()}


def problems_of(stderr: str) -> list[re.Match[str]]:
    return [m for m in map(PROBLEM.match, stderr.splitlines()) if m]


# --- the corpus


def test_corpus_is_large_and_annotated() -> None:
    assert len(BAD_FILES) >= 30
    for f in BAD_FILES:
        line, _ = expectation(f)
        assert 1 <= line <= max(1, f.read_bytes().count(b"\n") + 1), f.name


@pytest.mark.parametrize("path", _marked(REJECTION_BUGS))
def test_bad_scenario_is_rejected(cli, path: Path) -> None:
    given = rel(path)
    res = cli[("validate", given)]
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stdout and "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines, "no problem printed"
    for ln in lines:
        assert PROBLEM.match(ln), f"not 'FILE:LINE: path: message': {ln!r}"
    own = re.compile(rf"^{re.escape(given)}:\d+: \S+: .+")
    assert any(own.match(ln) for ln in lines), res.stderr


@pytest.mark.parametrize("path", _marked(LOCATION_BUGS))
def test_bad_scenario_points_at_fault(cli, path: Path) -> None:
    given = rel(path)
    line, field = expectation(path)
    res = cli[("validate", given)]
    assert field in res.stderr, res.stderr
    found = [(int(m["line"]), m["path"]) for m in problems_of(res.stderr) if m["file"] == given]
    # A bare number is validated as a quantity, so its finiteness error may end in ".value".
    assert any(n == line and p in (field, field + ".value") for n, p in found), (
        f"expected {given}:{line}: {field}; got {found}"
    )


@pytest.mark.parametrize("path", _marked(MESSAGE_BUGS))
def test_bad_scenario_message_has_no_internals(cli, path: Path) -> None:
    res = cli[("validate", rel(path))]
    leaked = [w for w in INTERNAL_WORDS if w in res.stderr]
    assert not leaked, res.stderr


# --- the valid scenarios and the schema


@pytest.mark.parametrize("path", GOOD_FILES, ids=[rel(f) for f in GOOD_FILES])
def test_good_scenario_validates(cli, path: Path) -> None:
    res = cli[("validate", rel(path))]
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("OK"), res.stdout
    assert res.stderr == ""


def test_schema_command_prints_json_schema(cli) -> None:
    res = cli[("schema",)]
    assert res.returncode == 0, res.stderr
    schema = json.loads(res.stdout)
    assert "actors" in schema["properties"]


def test_committed_json_schema_is_up_to_date() -> None:
    """Editors read scenarios/scenario.schema.json; it must match the pydantic models."""
    import json

    from sim.schema import Scenario

    committed = json.loads((REPO / "scenarios" / "scenario.schema.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(Scenario.model_json_schema())), (
        "run: python run.py schema --out scenarios/scenario.schema.json"
    )


def test_a_name_longer_than_the_limit_is_refused_where_it_is(tmp_path):
    """A display name of 20,000 characters (the front end spent minutes wrapping it) is refused
    by validation with its file, line and field; a name at the limit loads."""
    from sim.schema import NAME_LIMIT

    text = (REPO / "scenarios" / "tutorial.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "long.yaml"
    bad.write_text(text.replace("name: United States", 'name: "' + "A" * 20_000 + '"'), encoding="utf-8")
    r = subprocess.run([sys.executable, "run.py", "validate", str(bad)], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2 and "actors.USA.name: must be at most 200 characters long" in r.stderr + r.stdout
    assert "A" * 300 not in r.stderr + r.stdout and "Traceback" not in r.stderr + r.stdout
    ok = tmp_path / "ok.yaml"
    ok.write_text(text.replace("name: United States", "name: " + "A" * NAME_LIMIT), encoding="utf-8")
    assert load_scenario(ok).actors["USA"].name == "A" * NAME_LIMIT
