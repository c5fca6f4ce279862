"""Read and validate scenario files (docs/model.md, section 6).

YAML 1.2 through ruamel.yaml's pure-Python safe loader (so ``NO`` stays a string and ``on`` is
not a boolean; a ``%YAML`` directive of another version is refused), duplicate keys rejected,
then the pydantic models of :mod:`sim.schema`, then the cross-reference check. Every problem
becomes a :class:`Problem` that names the file, the line and the dotted field path;
:class:`ScenarioError` carries them all.

A file that is not a scenario (no ``schema_version``, or a top level that is not a mapping) is
refused in one line that shows none of its content, whether it is given directly or named by an
``extends``. A scenario beyond the size limits of :mod:`sim.schema` is refused while it is read,
at the first entry beyond the limit, before any array is built.
"""

from __future__ import annotations

import hashlib
import io
import marshal
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.files import temp_beside, user_cache_dir
from sim.schema import SIZE_LIMITS, Scenario, cross_reference_problems, size_problem


# ruamel.yaml is imported when a file is first parsed or a node tree composed (_ruamel): a
# scenario served by the parse cache needs none of it (0.02 s of a one-turn run). Until then
# these names stand for its node and error classes; nothing is an instance of them, as no
# node or YAML error can exist before ruamel.yaml is imported.
class _NoNodeYet:
    """Stands for ruamel.yaml's node classes until ruamel.yaml is imported."""


class _NoYAMLErrorYet(Exception):
    """Stands for ruamel.yaml's error classes until ruamel.yaml is imported."""


Node: Any = _NoNodeYet
MappingNode: Any = _NoNodeYet
ScalarNode: Any = _NoNodeYet
SequenceNode: Any = _NoNodeYet
MarkedYAMLError: Any = _NoYAMLErrorYet
YAMLError: Any = _NoYAMLErrorYet
_LimitedComposer: Any = None


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario file: ``FILE:LINE: path.to.field: message``.

    Attributes:
        file: the file name as given.
        line: 1-based line number (1 when the problem concerns the whole file).
        path: dotted field path, ``(root)`` for the whole document.
        message: what is wrong, in one line.
    """

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        def one_line(text: str) -> str:
            return text.replace("\r", "\\r").replace("\n", "\\n").replace("\ufeff", "")

        return f"{one_line(self.file)}:{self.line}: {one_line(self.path)}: {one_line(self.message)}"


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` lists every problem found (at least one)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _timestamp_as_text(constructor: Any, node: Node) -> str:
    """YAML 1.2's core schema has no timestamps: ``2021-10-01`` stays the text it is."""
    return str(node.value)


class _UnreadableScalar(Exception):
    """Raised while the data is built: a scalar that Python cannot turn into its value.

    Carries the node, so that the problem names its line and field (a whole number of more
    than 4,300 digits, beyond :func:`sys.get_int_max_str_digits`).
    """

    def __init__(self, node: Node, message: str):
        super().__init__(message)
        self.node, self.message = node, message


def _int_or_located_error(constructor: Any, node: Node) -> Any:
    """Build an integer with ruamel's own constructor; one it cannot convert raises :class:`_UnreadableScalar`."""
    try:
        return type(constructor).construct_yaml_int(constructor, node)
    except ValueError as exc:
        text = str(exc)
        m = re.search(r"value has ([0-9]+) digits", text)
        if m is not None:
            limit = sys.get_int_max_str_digits()
            message = (
                f"a whole number of {int(m.group(1)):,} digits is too long to read (at most {limit:,} digits); "
                "give it in a larger unit"
            )
        else:
            message = f"not a whole number that can be read ({text.splitlines()[0] if text else 'malformed'})"
        raise _UnreadableScalar(node, message) from None


MERGE_KEY_MESSAGE = (
    "YAML: '<<' (a merge key) is not part of YAML 1.2, which this reader follows; "
    "write the fields out (anchors and aliases such as *name are fine) or share them with 'extends'"
)
"""Why a scenario with a merge key (``<<: *anchor``) is refused: YAML 1.1 had merge keys as an
optional type; YAML 1.2 dropped them, and a reader that took them would make a file mean
different things to different YAML 1.2 tools."""


def _node_paths(root: Node) -> Any:
    """``(path, key node or None, node)`` of every node under ``root``, parents first.

    ``path`` is the tuple of keys (as written) and list indices that leads to the node. A node
    reached again through an alias is not walked again (an alias bomb stays linear).
    """
    seen: set[int] = set()
    stack: list[tuple[tuple[Any, ...], Any, Node]] = [((), None, root)]
    while stack:
        path, key, node = stack.pop()
        yield path, key, node
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for k, v in reversed(node.value):
                stack.append(((*path, str(k.value)), k, v))
        elif isinstance(node, SequenceNode):
            for i in range(len(node.value) - 1, -1, -1):
                stack.append(((*path, i), None, node.value[i]))


def _merge_key(root: Node) -> tuple[tuple[Any, ...], int] | None:
    """``(path of the mapping, line)`` of the first merge key ``<<`` under ``root``, else None."""
    for path, key, _node in _node_paths(root):
        if key is not None and isinstance(key, ScalarNode) and str(key.tag).endswith(":merge"):
            return path[:-1], key.start_mark.line + 1
    return None


def _path_of(root: Node, target: Node) -> tuple[tuple[Any, ...], int]:
    """``(path, line)`` of ``target`` in the tree of ``root`` (``((), its line)`` when not found)."""
    for path, _key, node in _node_paths(root):
        if node is target:
            return path, node.start_mark.line + 1
    return (), target.start_mark.line + 1


MAX_NODES = 1_000_000
"""Most YAML nodes read from one file (a node takes a few hundred bytes while the file is read)."""


class _TooLarge(Exception):
    """Raised while composing: a section has more entries than its limit (or the file more nodes)."""

    def __init__(self, line: int, path: str, message: str):
        super().__init__(message)
        self.line, self.path, self.message = line, path, message


class _SizeLimited:
    """Mixed into ruamel's composer (:func:`_ruamel`): it stops at a section beyond its limit.

    It stops as soon as a top-level section exceeds its size limit. A scenario too large to run is refused after reading only as far as its first entry beyond
    the limit (the 100,000-actor file in a fraction of a second instead of minutes), and no file
    yields more than :data:`MAX_NODES` nodes.
    """

    def __init__(self, loader=None):
        super().__init__(loader=loader)
        self._nodes = 0
        self._root: Node | None = None
        self._counted: dict[int, list] = {}  # id(section node) -> [name, limit, entries]
        self._pending: tuple[str, int] | None = None

    def _stop(self, path: str, message: str) -> None:
        mark = self.parser.peek_event().start_mark
        raise _TooLarge(mark.line + 1 if mark is not None else 1, path, message)

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            self._stop("(root)", f"too large: more than {MAX_NODES:,} YAML nodes")
        if parent is None:
            return super().compose_node(parent, index)
        if self._root is None:
            self._root = parent  # the first parent seen is the document's top mapping
        entry = self._counted.get(id(parent))
        if entry is None and self._pending is not None:
            entry = self._counted[id(parent)] = [*self._pending, 0]
            self._pending = None
        if entry is not None and not isinstance(index, Node):  # a key (None) or a list index
            entry[2] += 1
            if entry[2] > entry[1]:
                self._stop(entry[0], f"too large to run: more than {entry[1]} {entry[0]}")
        if parent is self._root and isinstance(index, ScalarNode) and index.value in SIZE_LIMITS:
            self._pending = (index.value, SIZE_LIMITS[index.value])
            try:
                return super().compose_node(parent, index)
            finally:
                self._pending = None
        return super().compose_node(parent, index)


def _ruamel() -> None:
    """Import ruamel.yaml (once) and bind its classes to this module's names."""
    global Node, MappingNode, ScalarNode, SequenceNode, MarkedYAMLError, YAMLError, _LimitedComposer
    if _LimitedComposer is not None:
        return
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.error import MarkedYAMLError as marked
    from ruamel.yaml.error import YAMLError as error
    from ruamel.yaml.nodes import MappingNode as mapping
    from ruamel.yaml.nodes import Node as node
    from ruamel.yaml.nodes import ScalarNode as scalar
    from ruamel.yaml.nodes import SequenceNode as sequence

    Node, MappingNode, ScalarNode, SequenceNode = node, mapping, scalar, sequence
    MarkedYAMLError, YAMLError = marked, error

    _LimitedComposer = type("_LimitedComposer", (_SizeLimited, Composer), {})


def _yaml() -> Any:
    """ruamel.yaml's pure-Python safe reader: YAML 1.2, duplicate keys refused, limited sizes."""
    _ruamel()
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.allow_duplicate_keys = False
    y.Composer = _LimitedComposer
    y.constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
    y.constructor.add_constructor("tag:yaml.org,2002:int", _int_or_located_error)
    return y


_KEY_BUILDER: Any = None


def _key_object(k: Node) -> Any:
    """The Python key a scalar key node becomes (``true`` -> True, ``1e3`` -> 1000.0, ``12`` -> 12)."""
    global _KEY_BUILDER
    if not isinstance(k, ScalarNode) or str(k.tag).endswith(":str"):
        return k.value
    if _KEY_BUILDER is None:
        _KEY_BUILDER = _yaml().constructor
    try:
        return _KEY_BUILDER.construct_object(k, deep=True)
    except Exception:  # noqa: BLE001 - a key that cannot be built is found by its text
        return k.value
    finally:
        _KEY_BUILDER.constructed_objects.pop(k, None)


def _loc_form(key: Any) -> Any:
    """How pydantic writes a mapping key in an error's location: bools as ints, others as text."""
    if isinstance(key, bool):
        return int(key)
    if isinstance(key, (str, int)):
        return key
    return str(key)


_KEY_INDEX: dict[int, tuple[Node, dict[str, tuple[Node, Node]]]] = {}


def _entry(node: MappingNode, part: Any) -> tuple[Node, Node] | None:
    """(key node, value node) of ``part`` in a mapping node, through a per-node index.

    ``part`` is a key as written (``"RUS"``, ``"12"``) or as pydantic names it in an error's
    location (``1`` for a ``true`` key, ``"None"`` for ``null``, ``"1000.0"`` for ``1e3``).
    """
    hit = _KEY_INDEX.get(id(node))
    if hit is None or hit[0] is not node:
        index: dict[Any, tuple[Node, Node]] = {}
        for k, v in node.value:
            index.setdefault(str(k.value), (k, v))
        for k, v in node.value:
            if isinstance(k, ScalarNode) and not str(k.tag).endswith(":str"):
                index.setdefault(("loc", _loc_form(_key_object(k))), (k, v))
        hit = (node, index)
        if len(_KEY_INDEX) > 100_000:
            _KEY_INDEX.clear()
        _KEY_INDEX[id(node)] = hit
    found = hit[1].get(str(part))
    if found is None:
        found = hit[1].get(("loc", part))
    return found


def _key_text(node: Node | None, part: Any) -> str:
    """A mapping key as the file writes it (``true``, ``1e3``), else ``str(part)``."""
    if isinstance(node, MappingNode):
        e = _entry(node, part)
        if e is not None and isinstance(e[0], ScalarNode):
            return str(e[0].value)
    return str(part)


def _dotted(path: tuple[Any, ...], root: Node | None = None) -> str:
    """``actors.RUS.red_lines[0].issue``; an integer is a list index only where the YAML has a list."""
    out = ""
    node = root
    for part in path:
        in_list = isinstance(node, SequenceNode) if node is not None else isinstance(part, int)
        if isinstance(part, int) and in_list:
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _key_text(node, part)
        nxt = None
        if isinstance(node, MappingNode):
            e = _entry(node, part)
            nxt = e[1] if e else None
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            nxt = node.value[part]
        node = nxt
    return out or "(root)"


def _line_of(root: Node | None, path: tuple[Any, ...], value_line: bool = False) -> int:
    """1-based line of the deepest node along ``path`` that exists in the YAML node tree."""
    if root is None:
        return 1
    node: Node = root
    line = node.start_mark.line + 1
    for part in path:
        nxt = None
        if isinstance(node, MappingNode):
            e = _entry(node, part)
            if e is not None:
                line = e[0].start_mark.line + 1
                nxt = e[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                nxt = node.value[part]
                line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    else:
        if value_line and isinstance(node, MappingNode):
            for k, _v in node.value:
                if k.value == "value":
                    line = k.start_mark.line + 1
    return line


_PYDANTIC_TAGS = {"constrained-str", "str", "int", "float", "bool", "list", "dict", "none"}


def _clean_loc(loc: tuple[Any, ...], roots: list[Node] | None = None) -> tuple[tuple[Any, ...], str]:
    """Drop pydantic's internal loc parts; return the path and a note for key errors.

    pydantic puts the names of union branches (``str``, ``int``, ``list[...]``) into a location;
    a part with such a name is kept where the YAML trees ``roots`` have a key of that name there
    (an actor whose id is ``int`` is an actor, not a branch name).
    """
    out: list[Any] = []
    note = ""
    nodes: list[Node] = list(roots or [])
    for part in loc:
        if part == "[key]":
            note = "key: "
            continue
        if isinstance(part, str) and ("[" in part or "(" in part or part in _PYDANTIC_TAGS):
            if not any(isinstance(n, MappingNode) and _entry(n, part) is not None for n in nodes):
                continue
        out.append(part)
        nxt = []
        for n in nodes:
            if isinstance(n, MappingNode):
                e = _entry(n, part)
                if e is not None:
                    nxt.append(e[1])
            elif isinstance(n, SequenceNode) and isinstance(part, int) and 0 <= part < len(n.value):
                nxt.append(n.value[part])
        nodes = nxt
    return tuple(out), note


_REPR = __import__("reprlib").Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict = 2, 60, 60, 6, 6


def _shown(value: Any) -> str:
    """A short, bounded repr of user input (safe on YAML alias bombs and huge values)."""
    return _REPR.repr(value)


def _got(value: Any) -> str:
    """``str 'abc'``: the type and a bounded repr of what the user wrote."""
    return f"{type(value).__name__} {_shown(value)}"


def _message(err: dict[str, Any], path: tuple[Any, ...] | None = None) -> str:
    typ = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if typ == "extra_forbidden":
        return "unknown field" + _suggest(err, path)
    if typ == "missing":
        return "required field is missing"
    if typ == "finite_number":
        return "must be a finite number (no .nan or .inf)"
    if typ in ("int_type", "int_from_float"):
        got = err.get("input")
        return f"must be a whole number, got {_got(got)}"
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if typ in bounds:
        limit = next(iter((err.get("ctx") or {}).values()), "?")
        return f"must be {bounds[typ]} {limit}, got {_shown(err.get('input'))}"
    if typ in ("too_long", "too_short"):
        ctx = err.get("ctx") or {}
        if typ == "too_long":
            return f"must have at most {ctx.get('max_length', '?')} items"
        return f"must have at least {ctx.get('min_length', '?')} items"
    if typ == "float_type":
        got = err.get("input")
        return f"must be a number, got {_got(got)}"
    if typ == "literal_error":
        return msg.replace("Input should be", "must be")
    if typ in ("model_type", "model_attributes_type", "dict_type"):
        got = err.get("input")
        shown = _got(got) if got is not None else "nothing (null)"
        if "Quantity" in msg:
            return f"must be a number or {{value, unit, source}}, got {shown}"
        return f"must be a mapping of fields, got {shown}"
    if typ == "list_type":
        return f"must be a list, got {type(err.get('input')).__name__}"
    if typ == "string_type":
        return f"must be text, got {_got(err.get('input'))}"
    if typ == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        if pattern.startswith("^[0-9]{4}"):
            return f"must be a month written YYYY-MM, got {_shown(err.get('input'))}"
        if "\\-" not in pattern:
            return f"must be an id (a letter, then letters, digits or '_'), got {_shown(err.get('input'))}"
        return f"must be an id (a letter, then letters, digits, '_' or '-'), got {_shown(err.get('input'))}"
    if typ == "string_too_long":
        return f"must be at most {(err.get('ctx') or {}).get('max_length', '?')} characters long"
    return msg


def _fields_at(path: tuple[Any, ...]) -> list[str]:
    """Field names that the schema allows at the mapping that holds ``path``'s last part."""
    import typing

    from pydantic import BaseModel

    tp: Any = Scenario
    for part in path[:-1]:
        while True:  # unwrap Annotated / Optional / unions of one model
            origin = typing.get_origin(tp)
            if origin is typing.Annotated:
                tp = typing.get_args(tp)[0]
            elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
                models = [a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
                if not models:
                    return []
                tp = models[0]
            else:
                break
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return []
            tp = field.annotation
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            return []
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _suggest(err: dict[str, Any], path: tuple[Any, ...] | None = None) -> str:
    """`` (did you mean 'threat'?)`` for a misspelt field, or the allowed fields."""
    import difflib

    if path is None:
        path, _ = _clean_loc(tuple(err["loc"]))
    allowed = _fields_at(path)
    if not allowed or not path:
        return ""
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (allowed: {', '.join(allowed)})"


def content_hash(text: str) -> str:
    """SHA-256 hex digest of a scenario's text (used to recognise the same scenario again)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S*)")
_SCENARIO_MARK = re.compile(r"""(^|[\s{,'"])(schema_version|extends)['"]?[ \t]*:""", re.MULTILINE)
_BLANK_OR_COMMENT = re.compile(r"^[ \t]*(#.*)?$")
_CONTENT = re.compile(r"^[ \t]*[^\s#]", re.MULTILINE)
_TOP_KEYS = frozenset(Scenario.model_fields) | {"extends"}


class _NotAScenario(Exception):
    """A file that is not a YAML scenario: refused without showing any of its content."""


def _check_directives(text: str, file: str) -> None:
    """Refuse a ``%YAML`` directive other than 1.2 (1.1 reads ``012`` as 10 and ``1:08`` as 68)."""
    for k, line in enumerate(io.StringIO(text)):
        line = line.rstrip("\r\n")
        if not line.startswith("%"):
            if _BLANK_OR_COMMENT.match(line):
                continue
            return  # directives come before the document
        m = _DIRECTIVE.match(line)
        if m and m.group(1) != "1.2":
            shown = _shown(m.group(1))
            raise ScenarioError(
                [Problem(file, k + 1, "(root)", f"YAML: only YAML 1.2 is read; this file asks for version {shown} (remove the %YAML line or write %YAML 1.2)")]
            )


KEY_LIMIT = 1024
"""Longest plain mapping key YAML reads: one line of at most 1024 characters (YAML 1.2, 7.4.2,
"implicit keys"; ruamel.yaml's scanner)."""


def _long_key(text: str, exc: Any) -> tuple[int, int] | None:
    """``(line, characters)`` of a mapping key too long for YAML, if that is what ``exc`` (a
    ruamel ``MarkedYAMLError``) is about, else None.

    ruamel reports such a key in two ways: "could not find expected ':'" while scanning a
    simple key (a key at the start of a mapping's later entry or at the top), or "mapping
    values are not allowed here" (the first key of a nested mapping); neither says why.
    """
    lines = text.splitlines()
    if exc.context == "while scanning a simple key" and exc.context_mark is not None:
        mark = exc.context_mark
        start = mark.column
    elif (exc.problem or "").startswith("mapping values are not allowed") and exc.problem_mark is not None:
        mark = exc.problem_mark
        row = lines[mark.line] if mark.line < len(lines) else ""
        start = len(row) - len(row.lstrip(" -"))
    else:
        return None
    rest = lines[mark.line][start:] if mark.line < len(lines) else ""
    colon = re.search(r":(\s|$)", rest)
    size = colon.start() if colon else len(rest)
    return (mark.line + 1, size) if size >= KEY_LIMIT else None


def _read_yaml(text: str, file: str, scenario: bool = True) -> tuple[Any, Node | None]:
    """Data and node tree of one YAML document; raises ScenarioError on malformed YAML.

    The text is parsed once (its node tree, then the data built from it). With ``scenario``
    (the default), what is not a YAML scenario, a file with no ``schema_version`` (or
    ``extends``) key or whose top level is not a mapping, is refused with one line that shows
    none of its content (:class:`_NotAScenario`). Other YAML documents of ours (a backtest
    record) pass ``scenario=False``: then only YAML 1.2, well-formedness and a mapping at the top
    are checked.
    """
    what_doc = "the scenario" if scenario else "the file"
    if _CONTENT.search(text) is None:  # only blank lines and comments
        raise ScenarioError([Problem(file, 1, "(root)", f"{what_doc} is empty")])
    if scenario and not _SCENARIO_MARK.search(text):
        raise _NotAScenario("it has no schema_version (a scenario starts with schema_version: 1)")
    _check_directives(text, file)
    try:
        y = _yaml()
        root = y.compose(io.StringIO(text))
        merge = _merge_key(root) if root is not None else None
        if merge is not None:
            raise ScenarioError([Problem(file, merge[1], _dotted(merge[0], root), MERGE_KEY_MESSAGE)])
        data = y.constructor.construct_document(root) if root is not None else None
    except _TooLarge as exc:
        raise ScenarioError([Problem(file, exc.line, exc.path, exc.message)]) from None
    except _UnreadableScalar as exc:
        path, line = _path_of(root, exc.node)
        raise ScenarioError([Problem(file, line, _dotted(path, root), exc.message)]) from None
    except MarkedYAMLError as exc:
        long = _long_key(text, exc)
        if long is not None:
            line, size = long
            raise ScenarioError([Problem(file, line, "(root)", f"YAML: a mapping key of {size:,} characters; YAML reads a key of at most {KEY_LIMIT:,} (shorten it)")]) from None
        mark = exc.problem_mark or exc.context_mark
        ctx = exc.context or ""
        if exc.context_mark is not None and ("flow" in ctx or "quoted" in ctx or "end of stream" in (exc.problem or "")):
            mark = exc.context_mark  # an unclosed bracket: point at where it opened
        line = mark.line + 1 if mark is not None else 1
        what = (exc.problem or "malformed YAML").strip()
        if exc.context and ("flow" in exc.context or "quoted" in exc.context):
            what = f"{exc.context.strip()} that is never closed ({what})"
        if "duplicate key" in what:
            what = what.split(" with value")[0]
        raise ScenarioError([Problem(file, line, "(root)", f"YAML: {what}")]) from None
    except YAMLError as exc:
        pos = getattr(exc, "position", None)
        line = text[:pos].count("\n") + 1 if isinstance(pos, int) else 1
        what = str(getattr(exc, "reason", "") or exc).splitlines()[0]
        character = getattr(exc, "character", None)
        if character is not None:
            what = f"unacceptable character {character!r}: {what}"
        raise ScenarioError([Problem(file, line, "(root)", f"YAML: {what}")]) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. "!!int five", 5,000 digits
        raise ScenarioError([Problem(file, 1, "(root)", f"YAML: a value cannot be read: {str(exc).splitlines()[0]}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, 1, "(root)", "YAML nested too deeply")]) from None
    if data is None:
        raise ScenarioError([Problem(file, 1, "(root)", f"{what_doc} is empty")])
    if not scenario:
        if not isinstance(data, dict):
            raise ScenarioError([Problem(file, 1, "(root)", "the top level must be a mapping of fields")])
        return data, root
    if not isinstance(data, dict):
        kind = {"list": "a list", "str": "text", "int": "a number", "float": "a number", "bool": "a boolean"}.get(type(data).__name__, type(data).__name__)
        raise _NotAScenario(f"its top level is {kind}, not a mapping of fields")
    if "schema_version" not in data:
        if "extends" not in data:
            raise _NotAScenario("it has no schema_version (a scenario starts with schema_version: 1)")
        if any(not isinstance(k, str) or k not in _TOP_KEYS for k in data):
            raise _NotAScenario("it has no schema_version and keys that a scenario does not have")
    return data, root


# --------------------------------------------------------------------------------------------
# the parse cache: a scenario's data by the hash of its text, so that a file is parsed once

PARSE_CACHE_FILES = 64
"""Most parsed files kept in the parse cache; beyond it the least recently written go."""
PARSE_CACHE_ENTRY = re.compile(r"[0-9a-f]{64}\.marshal")
"""Name of a parse cache entry (the only files the cache ever removes)."""

_PARSE_CACHE_SALT: str | None = None


def parse_cache_dir() -> Path | None:
    """Folder of the parse cache: ``$XDG_CACHE_HOME/greatpower/yaml`` (``~/.cache/greatpower/yaml``).

    ruamel.yaml's pure-Python reader takes 0.3-0.4 s for the 67 kB baseline (a third of a
    one-turn run); the data read back from this cache takes about a millisecond. None when no
    absolute folder can be named (:func:`sim.files.user_cache_dir`): then nothing is cached.
    """
    return user_cache_dir("yaml")


def _ruamel_version() -> str:
    """Which ruamel.yaml reads the files, without importing it: a hash of its ``__init__.py``.

    That file carries ruamel.yaml's version (``__version__``), so an upgrade changes the hash.
    Empty if it cannot be found or read (the parse then fails as it would have).
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("ruamel.yaml")
        origin = spec.origin if spec is not None else None
        return hashlib.sha256(Path(origin).read_bytes()).hexdigest()[:16] if origin else ""
    except (ImportError, ValueError, OSError):
        return ""


def _parse_cache_file(text: str) -> tuple[Path, bytes] | None:
    """Where the data of ``text`` is cached, and the entry's key.

    The key hashes the text and all that reads it; it names the file and keys its checksum.
    """
    global _PARSE_CACHE_SALT
    if _PARSE_CACHE_SALT is None:
        try:
            code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # this reader's code
        except OSError:
            code = ""
        limits = sorted(SIZE_LIMITS.items())
        _PARSE_CACHE_SALT = f"1|{_ruamel_version()}|{sys.version_info[:2]}|{code}|{limits}|{MAX_NODES}"
    if _PARSE_CACHE_SALT.split("|")[3] == "":
        return None  # this module's code cannot be read (a zip import): no cache
    folder = parse_cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(_PARSE_CACHE_SALT.encode() + b"\0" + text.encode("utf-8", "surrogatepass"))
    return folder / f"{digest.hexdigest()}.marshal", digest.digest()


def _ours(st: os.stat_result) -> bool:
    """Whether a file or folder is this user's and no one else may write it.

    ``marshal.loads`` is not safe against data crafted to harm (it can crash the interpreter),
    and an entry's checksum is no secret: only what this user wrote is read back.
    """
    return _owned(st) and not st.st_mode & 0o022


def _owned(st: os.stat_result) -> bool:
    """Whether a file or folder belongs to this user (always, where there are no user ids)."""
    owner = getattr(os, "geteuid", None)
    return owner is None or st.st_uid == owner()


def _private_folder(folder: Path, create: bool) -> bool:
    """Whether ``folder`` is a folder (not a link) of this user that no one else may write.

    With ``create``, a missing folder is made (mode 0700) and a folder of this user that others
    may write is made private. Raises OSError when the folder cannot be made or examined.
    """
    import stat

    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        if not create:
            return False
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode):
        return False  # a file, or a link (to /etc, to a shared folder): never read or written
    if create and st.st_mode & 0o022 and _owned(st):
        os.chmod(folder, stat.S_IMODE(st.st_mode) & ~0o022)
        st = os.lstat(folder)
    return _ours(st)


def _cached_data(text: str) -> dict | None:
    """The cached data of ``text``, or None (not cached, unreadable, damaged, not ours)."""
    import stat

    where = _parse_cache_file(text)
    if where is None:
        return None
    path, key = where
    try:
        if not _private_folder(path.parent, create=False):
            return None
        # never follow a link, never wait on a pipe, never read a device or an endless file
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or not _ours(st) or st.st_size > PARSE_CACHE_MAX_BYTES:
                return None
            raw = f.read(PARSE_CACHE_MAX_BYTES + 1)
    except OSError:
        return None
    if len(raw) <= 32 or hashlib.sha256(key + raw[32:]).digest() != raw[:32]:
        return None  # a damaged file, or one written for another text: parse the text again
    try:
        data = marshal.loads(raw[32:])
    except (EOFError, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def _cache_data(text: str, data: dict) -> None:
    """Keep ``data``, parsed from ``text``, in the parse cache; any failure leaves it uncached."""
    where = _parse_cache_file(text)
    if where is None:
        return
    path, key = where
    try:
        payload = marshal.dumps(data)
    except (ValueError, RecursionError):  # a type marshal cannot write, or a recursive alias
        return
    if len(payload) + 32 > PARSE_CACHE_MAX_BYTES:
        return
    try:
        if not _private_folder(path.parent, create=True):
            return
        fd, tmp = temp_beside(path)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(hashlib.sha256(key + payload).digest() + payload)
            os.replace(tmp, path)  # readers see the whole file or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        kept = []
        for entry in os.scandir(path.parent):
            if PARSE_CACHE_ENTRY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                try:
                    kept.append((entry.stat(follow_symlinks=False).st_mtime, entry.path))
                except OSError:
                    continue  # removed meanwhile
        kept.sort()
        for _mtime, old in kept[: max(0, len(kept) - PARSE_CACHE_FILES)]:
            Path(old).unlink(missing_ok=True)
    except OSError:
        return  # a read-only home, a full disk, a file removed meanwhile: simply not cached


def _read_scenario_yaml(text: str, file: str) -> tuple[dict, Node | None]:
    """:func:`_read_yaml` of a scenario through the parse cache.

    Only text that was read without a problem is cached, so a cache hit is a file that
    :func:`_read_yaml` accepts, and its data is equal to what :func:`_read_yaml` builds
    (``tests/test_startup.py``). On a hit the node tree is None: :class:`_Document` composes it
    again if a problem must be located.
    """
    data = _cached_data(text)
    if data is not None:
        return data, None
    data, root = _read_yaml(text, file)
    _cache_data(text, data)
    return data, root


class _Document:
    """One scenario file read: its name, its text and its YAML node tree (composed on demand)."""

    def __init__(self, file: str, text: str, root: Node | None):
        self.file, self.text, self._root = file, text, root

    @property
    def root(self) -> Node:
        """The YAML node tree (line numbers of the fields)."""
        if self._root is None:
            self._root = _yaml().compose(io.StringIO(self.text))
        return self._root


def _merge(base: Any, over: Any) -> Any:
    """Deep merge for ``extends``: mappings merge key by key, ``null`` deletes, the rest replaces.

    A quantity (a mapping with ``value``) replaces whole, so that an overridden value never
    keeps the base's ``source``.
    """
    if isinstance(over, dict) and "value" in over:
        return over  # a quantity replaces whole: a new value must not keep the old source
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = _merge(base.get(k), v)
        return out
    return over


def _depth(root: Node | None, path: tuple[Any, ...]) -> int:
    """How many parts of ``path`` exist in the node tree."""
    node, depth = root, 0
    for part in path:
        nxt = None
        if isinstance(node, MappingNode):
            e = _entry(node, part)
            nxt = e[1] if e else None
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        if nxt is None:
            break
        node, depth = nxt, depth + 1
    return depth


def _resolve(text: str, file: str, chain: tuple[str, ...]) -> tuple[dict, list[_Document]]:
    """Data of a scenario with its ``extends`` chain merged; its documents, derived first."""
    try:
        data, root = _read_scenario_yaml(text, file)
    except _NotAScenario as exc:
        raise ScenarioError([Problem(file, 1, "(root)", f"not a scenario: {exc}")]) from None
    document = _Document(file, text, root)
    base_ref = data.pop("extends", None)
    if base_ref is None:
        return data, [document]

    def line() -> int:  # the line of ``extends``, found only when a problem is reported
        return _line_of(document.root, ("extends",))

    if not isinstance(base_ref, str) or not base_ref:
        raise ScenarioError([Problem(file, line(), "extends", "must be a file name")])
    if len(chain) > MAX_EXTENDS:
        raise ScenarioError([Problem(file, line(), "extends", f"the extends chain is longer than {MAX_EXTENDS} files")])
    try:
        base_path = (Path(file).parent / base_ref).resolve()
    except (ValueError, OSError):
        raise ScenarioError([Problem(file, line(), "extends", "must be a file name")]) from None
    if str(base_path) in chain:
        raise ScenarioError([Problem(file, line(), "extends", f"{base_ref!r} extends itself")])
    try:
        base_text = read_file(base_path)
    except ScenarioError as exc:
        why = exc.problems[0].message
        raise ScenarioError(
            [Problem(file, line(), "extends", f"cannot read base scenario {base_ref!r} ({why}; looked for {base_path})")]
        ) from None
    shown = str(Path(file).parent / base_ref)
    try:
        base_data, base_documents = _resolve(base_text, shown, (*chain, str(base_path)))
    except ScenarioError as exc:
        first = exc.problems[0]
        if first.file == shown and first.message.startswith("not a scenario: "):
            why = first.message[len("not a scenario: ") :]
            raise ScenarioError([Problem(file, line(), "extends", f"{_shown(base_ref)} is not a scenario: {why}")]) from None
        raise
    return _merge(base_data, data), [document, *base_documents]


MAX_EXTENDS = 20
"""Longest ``extends`` chain read."""
MAX_BYTES = 16 * 1024 * 1024
"""Largest scenario file read (16 MiB)."""
PARSE_CACHE_MAX_BYTES = 4 * MAX_BYTES
"""Largest parse cache entry written or read."""


@dataclass
class ScenarioSource:
    """A scenario's merged data (``extends`` resolved) and the node trees that locate its fields.

    Attributes:
        file: the file name as given.
        data: the merged plain data (dicts, lists, numbers, strings), before validation.
        documents: the files read, the derived file first (see :attr:`trees`).
    """

    file: str
    data: dict
    documents: list[_Document]

    @property
    def trees(self) -> list[tuple[str, Node]]:
        """``(file, YAML node tree)`` pairs, the derived file first.

        A file whose data came from the parse cache is composed again here, only when a
        problem must be located.
        """
        return [(d.file, d.root) for d in self.documents]

    def locate(self, path: tuple[Any, ...], value_line: bool = False) -> tuple[str, int, str]:
        """``(file, line, dotted path)`` of a field path (the deepest line that exists)."""
        if not self.trees:
            return self.file, 1, _dotted(path)
        for f, root in self.trees:  # a file that sets a list owns all of it (lists replace)
            if _owns_list(root, path):
                return f, _line_of(root, path, value_line), _dotted(path, root)
        key = path[:-1] if path and path[-1] == "value" else path  # bare or {value: ...}
        best = max(self.trees, key=lambda ft: _depth(ft[1], key))  # derived wins ties
        dotted = _dotted(path, best[1])
        if value_line and _depth(best[1], (*path, "value")) == len(path) + 1:
            dotted += ".value"  # the range error is in the quantity's value
        return best[0], _line_of(best[1], path, value_line), dotted

    def validate(self, data: dict | None = None) -> Scenario:
        """Validate ``data`` (default: this source's data) and check its cross-references.

        Raises:
            ScenarioError: every problem, located in this source's files.
        """
        data = self.data if data is None else data
        counts = {k: len(v) for k, v in data.items() if k in SIZE_LIMITS and isinstance(v, (dict, list))}
        too_large = size_problem(counts)
        if too_large is not None:
            f, line, dotted = self.locate((too_large[0],))
            raise ScenarioError([Problem(f, line, dotted, too_large[1])])
        try:
            sc = Scenario.model_validate(data)
        except ValidationError as exc:
            problems = []
            roots = [root for _f, root in self.trees]
            for err in exc.errors():
                path, note = _clean_loc(tuple(err["loc"]), roots)
                f, line, dotted = self.locate(path, value_line=err.get("type") == "value_error")
                message = note + _message(err, path)
                if note and not isinstance(err.get("input"), str):
                    message = _id_type_message(dotted.rsplit(".", 1)[-1], err.get("input"))
                problems.append(Problem(f, line, dotted, message))
            raise ScenarioError(sorted(_dedupe(problems), key=lambda p: (p.file != self.file, p.file, p.line))) from None
        problems = []
        for path, msg in cross_reference_problems(sc):
            f, line, dotted = self.locate(path)
            problems.append(Problem(f, line, dotted, msg))
        if problems:
            raise ScenarioError(sorted(problems, key=lambda p: (p.file != self.file, p.file, p.line)))
        return sc


def _id_type_message(text: str, value: Any) -> str:
    """Why a key such as ``true:`` or ``1e3:`` is not an id: YAML reads it as another type."""
    kind = {bool: "a boolean", type(None): "null (no value)", int: "a whole number", float: "a number"}.get(type(value), type(value).__name__)
    if text[:1].isalpha():
        return f"the id {text} is read by YAML as {kind}, not text; write it in quotes (\"{text}\") to keep it as an id"
    return f"the id {text} is read by YAML as {kind}, not text; an id is text that starts with a letter"


def read_source(text: str, file: str = "<string>") -> ScenarioSource:
    """Parse scenario text and resolve ``extends``, without validating the fields.

    Raises:
        ScenarioError: malformed YAML, duplicate keys, an empty document, a bad ``extends``.
    """
    data, documents = _resolve(text, file, (str(Path(file).resolve()),))
    return ScenarioSource(file, data, documents)


def parse_scenario(text: str, file: str = "<string>") -> Scenario:
    """Validate scenario text.

    A scenario may start with ``extends: OTHER.yaml`` (relative to its own file): the other file
    is read first and this one is merged over it (mappings merge key by key, ``null`` deletes a
    key, lists and numbers replace). A problem is reported in the file that holds the field.

    Args:
        text: the YAML text.
        file: the file name, used in problem messages and to find an ``extends`` base.

    Returns:
        The validated :class:`~sim.schema.Scenario`.

    Raises:
        ScenarioError: malformed YAML, duplicate keys, an empty document, field errors or dangling
            cross-references; each problem names the file, line and field path.
    """
    return read_source(text, file).validate()


def _owns_list(root: Node | None, path: tuple[Any, ...]) -> bool:
    """Whether the tree holds a list on the way along ``path`` (so it replaced any base list)."""
    node = root
    for part in path:
        if isinstance(node, SequenceNode):
            return True
        if not isinstance(node, MappingNode):
            return False
        e = _entry(node, part)
        node = e[1] if e else None
        if node is None:
            return False
    return isinstance(node, SequenceNode)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """One problem per (file, line, path), and none for a path that a deeper problem explains.

    A union such as "an id or a list of ids" reports one error per branch; the deeper one
    (``decided_by[1]``) says what is wrong, the shallower (``decided_by``) only that the
    other branch did not fit either.
    """
    prefixes: set[str] = set()
    for p in problems:  # every proper prefix of every path, cut at '.' or '['
        q = p.path
        for i, ch in enumerate(q):
            if ch in ".[" and i:
                prefixes.add(q[:i])
    problems = [p for p in problems if p.path not in prefixes or p.message.startswith(("key: ", "the id "))]
    seen: set[tuple[str, int, str]] = set()
    out = []
    for p in problems:
        key = (p.file, p.line, p.path)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def read_file(path: str | Path) -> str:
    """A scenario file's text.

    Raises:
        ScenarioError: the file is missing, unreadable or not UTF-8.
    """
    import stat

    p = Path(path)
    name = str(path)
    if name == "":
        raise ScenarioError([Problem("''", 1, "(root)", "no file name given")])
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise ScenarioError([Problem(name, 1, "(root)", "is a directory")])
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError([Problem(name, 1, "(root)", "not a regular file")])
        if st.st_size > MAX_BYTES:
            raise ScenarioError([Problem(name, 1, "(root)", f"too large ({st.st_size} bytes; at most {MAX_BYTES})")])
        with open(p, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(name, 1, "(root)", "no such file")]) from None
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError([Problem(name, 1, "(root)", why)]) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Problem(name, 1, "(root)", f"too large (more than {MAX_BYTES} bytes)")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(name, line, "(root)", "not UTF-8 text")]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file.

    Args:
        path: a ``.yaml`` file.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: the file is missing, unreadable, not UTF-8, or invalid (see
            :func:`parse_scenario`).
    """
    return parse_scenario(read_file(path), str(path))
