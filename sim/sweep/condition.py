"""Conditions on the runs of a sweep (``run.py analyse --condition EXPR``), read without eval.

A condition is a small expression over the columns of ``runs.parquet``, true or false per run::

    end_state == 'armed_clash'
    `tension.RUS-USA` > 0.7 and incidents >= 2
    end_state in ['armed_clash', 'crisis'] or not `outcome.staffing_half_restored` < 12

It is parsed with :mod:`ast` and only these forms are evaluated, column by column with pandas:
column names (bare, or in backticks when they hold dots or dashes), numbers, text in quotes,
``True``/``False``; comparisons (``== != < <= > >=``, chained, and ``in`` / ``not in`` a list
of constants); ``and``, ``or``, ``not`` (and ``&``, ``|``, ``~``); ``+ - * /`` and unary minus
on numbers. Nothing else (no calls, attributes, subscripts, powers, names of Python objects)
is accepted, so a condition cannot run code, touch files or make an unbounded amount of work.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from typing import Any

import numpy as np
import pandas as pd

MAX_LENGTH = 2000
"""Longest condition read (characters)."""
MAX_NODES = 500
"""Most syntax nodes in a condition."""

_BACKTICK = re.compile(r"`([^`]*)`")
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_SYMBOL = {ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitXor: "^"}


class ConditionError(ValueError):
    """A condition that cannot be read or evaluated; ``str(exc)`` says why in one line."""


def evaluate(runs: pd.DataFrame, condition: str) -> np.ndarray:
    """The runs that meet ``condition``, shape (runs,), bool.

    Args:
        runs: the runs (``runs.parquet``), one row per run.
        condition: the expression (see the module docstring).

    Raises:
        ConditionError: a form that is not allowed, an unknown column, a comparison of text with
            a number, or a result that is not true or false per run.
    """
    if len(condition) > MAX_LENGTH:
        raise ConditionError(f"longer than {MAX_LENGTH} characters")
    names: dict[str, str] = {}

    def hold(m: re.Match) -> str:
        key = f"__column_{len(names)}"
        names[key] = m.group(1)
        return key

    text = _BACKTICK.sub(hold, condition)
    if "`" in text:
        raise ConditionError("a backtick is never closed")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"not an expression ({exc.msg})") from None
    except ValueError as exc:  # e.g. a NUL character
        raise ConditionError(f"not an expression ({exc})") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ConditionError(f"more than {MAX_NODES} parts")
    value = _Evaluator(runs, names).visit(tree.body)
    if not isinstance(value, pd.Series) or not pd.api.types.is_bool_dtype(value):
        raise ConditionError("must be true or false for each run (a comparison such as `tension.RUS-USA` > 0.7)")
    return value.to_numpy(dtype=bool)


class _Evaluator:
    """Evaluates the allowed forms of a parsed condition over the runs' columns."""

    def __init__(self, runs: pd.DataFrame, names: dict[str, str]):
        self.runs = runs
        self.names = names

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise ConditionError(f"{_what(node)} is not allowed in a condition")
        return method(node)

    def visit_Name(self, node: ast.Name) -> pd.Series:
        col = self.names.get(node.id, node.id)
        if col not in self.runs.columns:
            near = [c for c in self.runs.columns if c not in ("run_id", "point", "run", "seed") and not str(c).startswith("param.")][:4]
            raise ConditionError(f"unknown column {_short(col)} (columns of runs.parquet, e.g. {', '.join(near)}; names with dots in backticks)")
        return self.runs[col]

    def visit_Constant(self, node: ast.Constant) -> Any:
        v = node.value
        if isinstance(v, bool) or isinstance(v, str) and len(v) <= 200:
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)) and abs(v) <= 1e300:
            return v
        raise ConditionError(f"{_short(v)} is not a number, a short text or True/False")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        v = self.visit(node.operand)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            return ~_boolean(v, "not")
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            v = _number(v, "-")
            return -v if isinstance(node.op, ast.USub) else v
        raise ConditionError(f"{_what(node)} is not allowed in a condition")

    def visit_BoolOp(self, node: ast.BoolOp) -> pd.Series:
        word = "and" if isinstance(node.op, ast.And) else "or"
        values = [_boolean(self.visit(v), word) for v in node.values]
        out = values[0]
        for v in values[1:]:
            out = (out & v) if word == "and" else (out | v)
        return out

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            a, b = (_boolean(self.visit(x), "&" if isinstance(node.op, ast.BitAnd) else "|") for x in (node.left, node.right))
            return (a & b) if isinstance(node.op, ast.BitAnd) else (a | b)
        op = _ARITH.get(type(node.op))
        if op is None:
            raise ConditionError(f"the operator {_SYMBOL.get(type(node.op), type(node.op).__name__)} is not allowed in a condition (use + - * /)")
        a, b = _number(self.visit(node.left), "arithmetic"), _number(self.visit(node.right), "arithmetic")
        with np.errstate(all="ignore"):
            return op(a, b)

    def visit_Compare(self, node: ast.Compare) -> pd.Series:
        out = None
        left = self.visit(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right_node, (ast.List, ast.Tuple, ast.Set)):
                    raise ConditionError("'in' takes a list of values, e.g. end_state in ['armed_clash', 'crisis']")
                values = [self.visit_Constant(e) if isinstance(e, ast.Constant) else self._negative(e) for e in right_node.elts]
                if not isinstance(left, pd.Series):
                    raise ConditionError("'in' needs a column on its left")
                res = left.isin(values)
                res = ~res if isinstance(op, ast.NotIn) else res
                right = None
            else:
                fn = _COMPARE.get(type(op))
                if fn is None:
                    raise ConditionError(f"the comparison {type(op).__name__} is not allowed (use == != < <= > >= in)")
                right = self.visit(right_node)
                _comparable(left, right)
                res = fn(left, right)
            if not isinstance(res, pd.Series):
                raise ConditionError("a comparison needs a column on one side")
            out = res if out is None else (out & res)
            left = right
        return out

    def _negative(self, node: ast.AST) -> Any:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return -_number(self.visit_Constant(node.operand), "-")
        raise ConditionError("a list after 'in' holds numbers or texts only")


def _what(node: ast.AST) -> str:
    kinds = {
        "Call": "a function call",
        "Attribute": "an attribute (a.b)",
        "Subscript": "an index (a[b])",
        "Lambda": "a lambda",
        "NamedExpr": "an assignment",
        "IfExp": "an if-expression",
        "JoinedStr": "an f-string",
    }
    return kinds.get(type(node).__name__, f"'{type(node).__name__}'")


def _short(v: Any) -> str:
    s = repr(v) if not isinstance(v, str) else f"'{v}'"
    return s if len(s) <= 60 else s[:57] + "...'"


def _boolean(v: Any, word: str) -> pd.Series:
    if isinstance(v, pd.Series) and pd.api.types.is_bool_dtype(v):
        return v
    raise ConditionError(f"'{word}' joins true/false parts (comparisons), not numbers or texts")


def _number(v: Any, word: str) -> Any:
    if isinstance(v, pd.Series) and pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
        return v.astype(float)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    raise ConditionError(f"{word} needs numbers (a numeric column or a number), not text or true/false")


def _comparable(a: Any, b: Any) -> None:
    def kind(x: Any) -> str:
        if isinstance(x, pd.Series):
            if pd.api.types.is_bool_dtype(x):
                return "bool"
            return "number" if pd.api.types.is_numeric_dtype(x) else "text"
        if isinstance(x, bool):
            return "bool"
        return "number" if isinstance(x, (int, float)) else "text"

    ka, kb = kind(a), kind(b)
    if ka != kb and {ka, kb} != {"bool", "number"}:
        raise ConditionError(f"compares {ka} with {kb} (write text in quotes: end_state == 'armed_clash')")
