"""Saved games: JSON with a schema version, written atomically, checked on load (no pygame).

A save is one JSON object::

    {"format": "greatpower-save", "save_version": 2,
     "scenario_hash": "<sha256 of the validated scenario>", "scenario_path": "...",
     "scenario_content": "<sha256 of what its files set>", "scenario_schema": "<sha256 of the schema>",
     "scenario_name": "...", "humans": ["RUS", ...], "saved_at": "2021-...Z",
     "overrides": {"dynamics.tension_decay": 0.1, ...},   # play --set, applied again on load
     "model": GreatPowerModel.to_state(),
     "snapshots": [snapshot of turn 0, of turn 1, ...],   # for replay
     "ui": {"team_index": 0, "chosen": {...}, "queued_events": [...]}}

It is written to a temporary file in the same directory, flushed and fsynced, then renamed over
the target (:func:`os.replace`), so a crash leaves either the old file or the new one, never half
a file. Reading never unpickles anything and turns every problem into a :class:`SaveError` whose
message says what is wrong in words a seminar instructor can act on.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sim.files import write_text_atomic

SAVE_FORMAT = "greatpower-save"
SAVE_VERSION = 2
"""2: the model state indexes arrays in sorted-id order and the save keeps `play --set` overrides."""
MAX_SAVE_BYTES = 200 * 1024 * 1024
MAX_HORIZON = 600
"""Longest game a save may hold, in turns (the scenario's and the command line's limit)."""


class SaveError(Exception):
    """A save that cannot be read or does not fit; ``str(exc)`` is the message to show."""


def scenario_hash(scenario) -> str:
    """SHA-256 of a validated scenario's canonical JSON (``extends`` already merged)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_content_hash(scenario) -> str:
    """SHA-256 of what the scenario's files set (``extends`` merged, the schema's defaults left out).

    It stays the same when only the program's scenario schema changes (a new field with a
    default), and changes when the user's files do: with :func:`schema_hash` it tells which
    of the two a save no longer fits.
    """
    text = json.dumps(scenario.model_dump(mode="json", exclude_unset=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def schema_hash() -> str:
    """SHA-256 of this program's scenario schema (its JSON Schema: fields, types, defaults)."""
    from sim.schema import Scenario

    text = json.dumps(Scenario.model_json_schema(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_scenario(data: dict, scenario, path: str | os.PathLike | None = None, how: str = "play SCENARIO --load SAVE") -> None:
    """Refuse a scenario that is not the one a save was made with, saying what differs.

    A save records the hash of the validated scenario (``scenario_hash``), which changes when
    the scenario's files change and also when this program's scenario schema changes (a new
    field or default). Saves since this check also record :func:`scenario_content_hash` and
    :func:`schema_hash`, which tell the two apart; for an older save the scenario file's
    modification time is compared with the save's time.

    Args:
        data: output of :func:`read_save`.
        scenario: the validated scenario (``overrides`` applied, as :func:`scenario_of` gives it).
        path: the scenario file, when known (for the modification time).
        how: the command line that names the scenario, for the advice.

    Raises:
        SaveError: one line: what differs (scenario content, scenario schema) and what to do.
    """
    if data["scenario_hash"] == scenario_hash(scenario):
        return
    name = data.get("scenario_name", "?")
    where = f" ({path})" if path is not None else ""
    saved_content, saved_schema = data.get("scenario_content"), data.get("scenario_schema")
    if isinstance(saved_content, str) and isinstance(saved_schema, str):
        now_content, now_schema = scenario_content_hash(scenario), schema_hash()
        if saved_content != now_content:
            raise SaveError(
                f"the scenario '{scenario.name}'{where} is not the one this save was made with: its content "
                f"differs (hash {now_content[:12]}, the save's {saved_content[:12]}: the file, or a file it extends, was "
                f"changed, or it is another scenario); give the scenario as it was ({how}), or start a new game"
            )
        if saved_schema != now_schema:
            raise SaveError(
                f"the scenario '{name}' is unchanged, but this program's scenario schema differs from the one the save "
                f"was made with (schema {now_schema[:12]}, the save's {saved_schema[:12]}: fields or defaults changed "
                "since), so the game cannot continue exactly; load it with the program version that saved it, "
                "or start a new game"
            )
        raise SaveError(
            "the save's scenario hash differs from that of its scenario, whose content and schema hashes match "
            "the save's: the save was edited or is damaged (or this program reads scenarios differently); "
            "load an undamaged copy, load it with the program version that saved it, or start a new game"
        )
    stale = ""
    saved_at = data.get("saved_at")
    if path is not None and isinstance(saved_at, str):
        try:
            then = datetime.strptime(saved_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            changed = datetime.fromtimestamp(Path(path).stat().st_mtime, timezone.utc)
        except (ValueError, OSError):
            changed = then = None
        if changed is not None and then is not None:
            if changed > then:
                stale = f": the scenario file was modified after the save ({changed:%Y-%m-%d %H:%M:%S} UTC, saved {saved_at[:19].replace('T', ' ')})"
            else:
                stale = ": the scenario file has not been modified since the save, so this program's scenario schema most likely changed (fields or defaults)"
    raise SaveError(
        f"the scenario '{scenario.name}'{where} differs from the one this save of '{name}' was made with (an older save, which does not "
        f"record whether the scenario's content or this program's scenario schema changed){stale}; give the scenario "
        f"as it was ({how}), load the save with the program version that made it, or start a new game"
    )


def make_save(
    *,
    scenario,
    scenario_path: str,
    model_state: dict,
    snapshots: list[dict],
    humans: list[str],
    ui: dict | None = None,
    overrides: dict | None = None,
) -> dict[str, Any]:
    """The save document (plain data) of a game; ``overrides`` are ``play --set``'s."""
    return {
        "format": SAVE_FORMAT,
        "save_version": SAVE_VERSION,
        "scenario_hash": scenario_hash(scenario),
        "scenario_content": scenario_content_hash(scenario),
        "scenario_schema": schema_hash(),
        "scenario_path": str(scenario_path),
        "scenario_name": scenario.name,
        "humans": list(humans),
        "overrides": dict(overrides or {}),
        "saved_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "turn": model_state.get("turn"),
        "model": model_state,
        "snapshots": snapshots,
        "ui": ui or {},
    }


def write_save(path: str | os.PathLike, data: dict) -> Path:
    """Write ``data`` as JSON atomically (temporary file, fsync, :func:`os.replace`).

    Raises:
        SaveError: the directory cannot be written, or the data is not JSON (e.g. a NaN).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    except (OSError, TypeError, ValueError) as exc:
        raise SaveError(f"cannot save to {path}: {exc}") from None
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise SaveError(f"cannot save to {path}: {exc.strerror or exc}") from None
    return path


def cli_message(path: str | os.PathLike, exc: Exception) -> str:
    """One line for the command line about a save that cannot be used, naming the file once.

    :func:`read_save` names the file in its messages ("s.json is not a great-power save ...",
    "cannot open /x/s.json: ..."); the other checks do not ("the saved game does not fit its
    scenario: ..."). The line is ``FILE: message`` in the second case, and the message with the
    file's name as given in the first (never "/x/s.json: s.json is not ...").
    """
    msg, given, name = str(exc), str(path), Path(path).name
    if msg.startswith(name + " "):
        return given + msg[len(name):]
    if given in msg:
        return msg
    return f"{given}: {msg}"


class _Edited(ValueError):
    """What :func:`write_save` never writes was found in a save."""


def _no_twice(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object as a dict, refusing a key given twice (``json`` would keep the last)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _v in pairs if k in seen or seen.add(k))
        raise _Edited(f"the key {twice[:60]!r} appears twice in one object")
    return out


def _no_constant(name: str) -> float:
    """Refuse ``NaN``, ``Infinity`` and ``-Infinity`` (saves are written with ``allow_nan=False``)."""
    raise _Edited(f"it holds {name}, which is not a number a game can have")


def _need(cond: bool, path: Path, what: str) -> None:
    if not cond:
        raise SaveError(f"{path.name} is not a usable save: {what}")


def read_save(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check a save's envelope (format, version, shape of every part).

    Raises:
        SaveError: missing or unreadable file, not JSON, another format or version, or a part
            missing or of the wrong type.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise SaveError(f"cannot open {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise SaveError(f"{path.name} is not a regular file")
    if st.st_size > MAX_SAVE_BYTES:
        raise SaveError(f"{path.name} is {st.st_size // 1_000_000} MB, too large for a save")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SAVE_BYTES + 1)
        if len(raw) > MAX_SAVE_BYTES:
            raise SaveError(f"{path.name} is too large for a save")
        data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_no_twice, parse_constant=_no_constant)
    except _Edited as exc:
        raise SaveError(f"{path.name} is not a usable save: {exc} (this program never writes one; the file was edited by hand or damaged)") from None
    except RecursionError:
        raise SaveError(f"{path.name} is not a readable save: nested too deeply") from None
    except UnicodeDecodeError:
        raise SaveError(f"{path.name} is not a save: not a text file") from None
    except json.JSONDecodeError as exc:
        raise SaveError(
            f"{path.name} is not a readable save: broken JSON at line {exc.lineno}, column {exc.colno} "
            "(the file may be truncated or edited by hand)"
        ) from None
    except ValueError:  # e.g. an integer of more digits than Python converts (4,300)
        raise SaveError(f"{path.name} is not a readable save: a number too long to read (the file may be edited by hand)") from None
    except OSError as exc:
        raise SaveError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not isinstance(data, dict) or data.get("format") != SAVE_FORMAT:
        raise SaveError(f'{path.name} is not a great-power save (no "format": "{SAVE_FORMAT}")')
    ver = data.get("save_version")
    if ver != SAVE_VERSION:
        raise SaveError(
            f"{path.name} is a save of version {ver!r}; this program reads version {SAVE_VERSION} (saves are not "
            "converted): load it with the program version that saved it, or start a new game"
        )
    _need(isinstance(data.get("scenario_hash"), str), path, "no scenario hash")
    _need(isinstance(data.get("scenario_path"), str), path, "no scenario path")
    _need(
        isinstance(data.get("humans"), list) and all(isinstance(h, str) for h in data["humans"]),
        path,
        "humans is not a list of ids",
    )
    m = data.get("model")
    _need(
        isinstance(m, dict) and isinstance(m.get("turn"), int) and isinstance(m.get("log"), list),
        path,
        "the model state is missing or damaged",
    )
    horizon = m.get("horizon")
    _need(
        horizon is None or (isinstance(horizon, int) and not isinstance(horizon, bool) and m["turn"] <= horizon <= MAX_HORIZON),
        path,
        f"the game's horizon is not a number of turns from {m['turn']} to {MAX_HORIZON}",
    )
    _need(
        all(isinstance(e, dict) and isinstance(e.get("events", []), list) and all(isinstance(x, dict) for x in e.get("events", [])) for e in m["log"]),
        path,
        "the turn log is damaged (an entry or event is not an object)",
    )
    _need(
        all(type(e.get("turn")) is int and isinstance(e.get("date", ""), str) for e in m["log"]),
        path,
        "the turn log is damaged (an entry's turn is not a whole number or its date not text)",
    )
    for e in m["log"]:
        for ev in e.get("events", []):
            why = _event_problem(ev)
            _need(why is None, path, f"the turn log is damaged (turn {e['turn']}: {why})")
    snaps = data.get("snapshots")
    _need(
        isinstance(snaps, list) and len(snaps) >= 1 and all(isinstance(s, dict) for s in snaps),
        path,
        "no turn history",
    )
    _need(
        len(snaps) == m["turn"] + 1,
        path,
        f"the turn history has {len(snaps)} turns for a game at turn {m['turn']}",
    )
    for k, s in enumerate(snaps):
        _need(s.get("turn") == k, path, f"turn history entry {k} is of turn {s.get('turn')!r}")
        for key in ("actors", "channels", "issues", "tension"):
            _need(isinstance(s.get(key), dict), path, f"turn history entry {k} has no {key}")
    _need(isinstance(data.get("ui", {}), dict), path, "ui is not an object")
    ov = data.get("overrides", {})
    _need(
        isinstance(ov, dict) and all(isinstance(v, (bool, int, float, str)) for v in ov.values()),
        path,
        "overrides is not a mapping of paths to values",
    )
    return data


SAVED_ONLY_EVENT_FIELDS: dict[str, dict[str, str]] = {
    "force": {"actors": "list", "armed_clash": "bool", "cause": "text", "eu_bargain": "number", "eu_force": "number", "outcome": "text", "p_estimated": "number", "p_win": "number", "theatre": "theatre"},
    "end": {"state": "text", "cause": "text"},
}
"""Fields of the turn-log event types that no outcome counts (so not in
:data:`sim.schema.LOG_EVENT_FIELDS`), with what each holds, as the model writes them."""

_KIND_WORDS = {"bool": "true or false", "number": "a finite number", "list": "a list or mapping", "text": "text"}


def _event_problem(ev: dict) -> str | None:
    """Why a saved turn-log event cannot be shown or counted, or None.

    Each field that :data:`sim.schema.LOG_EVENT_FIELDS` (or :data:`SAVED_ONLY_EVENT_FIELDS`)
    names must hold what the model writes there: an id, text or one of its values as text, true
    or false, a finite number, or a list or mapping. Other fields are not read.
    """
    import math

    from sim.schema import LOG_EVENT_FIELDS

    kind = ev.get("type")
    if not isinstance(kind, str):
        return "an event's type is not text"
    fields = LOG_EVENT_FIELDS.get(kind) or SAVED_ONLY_EVENT_FIELDS.get(kind, {})
    for key, what in fields.items():
        if key not in ev:
            continue
        value = ev[key]
        if what == "bool":
            ok = isinstance(value, bool)
        elif what == "number":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        elif what == "list":
            ok = isinstance(value, (list, dict))
        else:  # an id, text, or one of a tuple of values: text
            ok = isinstance(value, str)
        if not ok:
            words = _KIND_WORDS.get(what, "text") if isinstance(what, str) else "text"
            return f"the {kind!r} event's {key!r} is not {words}"
    return None


HISTORY_PARTS = ("issues", "tension", "alignment", "channels")
"""The parts of each saved turn that scores and debriefs read (checked by :func:`check_history`)."""


def check_history(snapshots: list[dict], reference: dict) -> None:
    """Check that every saved turn has the shape of ``reference`` (a snapshot the model made).

    Each turn's :data:`HISTORY_PARTS` must have the same keys as the reference's, and a number,
    text or true/false wherever the reference has one (numbers finite). :func:`restore` checks
    the last turn against the rebuilt model; this checks the turns before it, which nothing
    else can rebuild (a human team's choices are not in the save).

    Raises:
        SaveError: the first turn that differs, and where.
    """

    def same(a: Any, b: Any, where: str) -> str | None:
        if isinstance(b, dict):
            if not isinstance(a, dict) or set(a) != set(b):
                return where
            for k in b:
                bad = same(a[k], b[k], f"{where}.{k}")
                if bad:
                    return bad
            return None
        if isinstance(b, bool) or b is None or isinstance(b, str):
            return None if type(a) is type(b) else where
        if isinstance(b, (int, float)):
            ok = isinstance(a, (int, float)) and not isinstance(a, bool) and abs(float(a)) != float("inf") and a == a
            return None if ok else where
        if isinstance(b, list):
            return None if isinstance(a, list) else where
        return None

    for k, snap in enumerate(snapshots):
        for part in HISTORY_PARTS:
            if part not in reference:
                continue
            bad = same(snap.get(part), reference[part], part)
            if bad:
                raise SaveError(f"the saved game is damaged: turn {k} has no usable {bad}")


def find_scenario(data: dict, save_path: str | os.PathLike, given: str | None = None, how: str = "play SCENARIO --load SAVE") -> str:
    """Path of the scenario of a save.

    ``given`` if set, else the stored path, else the same file name beside the save or under
    ``scenarios/``. ``how`` is the command line that names the scenario, for the message.

    Raises:
        SaveError: no such file anywhere.
    """
    if given:
        return given
    stored = Path(data["scenario_path"])
    candidates = [
        stored,
        Path(save_path).parent / stored.name,
        Path(__file__).resolve().parents[2] / "scenarios" / stored.name,
    ]
    for c in candidates:
        try:
            if c.is_file():
                return str(c)
        except OSError:  # a stored path the system refuses (a name too long): not found
            continue
    shown = str(stored) if len(str(stored)) <= 120 else f"{str(stored)[:90]}... ({len(str(stored)):,} characters)"
    raise SaveError(
        f"the save's scenario {shown} was not found; give it on the command line ({how})"
    )


def scenario_of(data: dict, save_path: str | os.PathLike, given: str | None = None, how: str = "play SCENARIO --load SAVE"):
    """The validated scenario of a checked save, its ``overrides`` applied again (``play --set``).

    Args:
        data: output of :func:`read_save`.
        save_path: where the save was read from (see :func:`find_scenario`).
        given: a scenario file named by the user, if any.
        how: the command line that names the scenario (see :func:`find_scenario`).

    Returns:
        ``(scenario, path)``.

    Raises:
        SaveError: the scenario is not found or does not load, or an override does not fit it;
            one line that names the file and never shows a line of a file that is not a scenario.
    """
    from sim.loader import ScenarioError, read_file, read_source
    from sim.sweep.overrides import OverrideError, apply, build_grid, check_grid, parse_flags
    from sim.sweep.rerun import value_text

    path = find_scenario(data, save_path, given, how)
    try:
        source = read_source(read_file(path), path)
        sc = source.validate()
        overrides = data.get("overrides") or {}
        if overrides:
            sets = [f"{k}={value_text(v)}" for k, v in overrides.items()]
            grid = build_grid(parse_flags(sets, [], sc.model_dump()))
            check_grid(source, grid)
            sc = source.validate(apply(source.data, grid.points[0], label="override"))
    except ScenarioError as exc:
        raise SaveError(f"the save's scenario does not load: {exc.problems[0]}") from None
    except OverrideError as exc:
        raise SaveError(f"the save's overrides do not fit its scenario {path}: {exc.messages[0]}") from None
    return sc, path


def _first_line(exc: Exception) -> str:
    """One line saying why: a validation error's first problem, else the message's first line."""
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic: "1 validation error for EventSpec" and indented details
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            return f"{getattr(exc, 'title', type(exc).__name__)}{'.' + where if where else ''}: {first['msg']}"
        except (IndexError, KeyError, TypeError):
            pass
    if isinstance(exc, KeyError) and exc.args:  # str() of a KeyError is the bare key: 'steps'
        return f"its model state has no {str(exc.args[0])[:60]!r}"
    lines = str(exc).splitlines()
    return lines[0] if lines else type(exc).__name__


def restore(data: dict, scenario, model_cls):
    """Rebuild the model of a checked save and check it against its last snapshot.

    Args:
        data: output of :func:`read_save`.
        scenario: the validated scenario (its hash must match the save's).
        model_cls: :class:`sim.model.GreatPowerModel` (passed in to keep this module light).

    Returns:
        ``(model, snapshots)``.

    Raises:
        SaveError: the scenario is not the one saved (:func:`check_scenario`), the model state does not fit it,
            the rebuilt model does not reproduce the saved last turn, or an earlier turn is
            damaged (:func:`check_history`).
    """
    check_scenario(data, scenario)
    stray = [h for h in data["humans"] if h not in scenario.actors]
    if stray:
        raise SaveError(f"the saved game does not fit its scenario: its human team {stray[0][:60]!r} is not an actor of the scenario (the save was edited by hand or damaged)")
    try:
        model = model_cls.from_state(scenario, data["model"])
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise SaveError(f"the saved game does not fit its scenario: {_first_line(exc)}") from None
    except Exception as exc:  # pydantic errors on injected events, numpy errors on arrays
        raise SaveError(
            f"the saved game is damaged: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        ) from None
    snaps = data["snapshots"]
    if json.loads(json.dumps(model.snapshot())) != snaps[-1]:
        raise SaveError(
            "the saved game is damaged: the model does not reproduce the saved last turn"
        )
    check_history(snaps, snaps[-1])
    return model, snaps
