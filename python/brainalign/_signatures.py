"""Python signatures for the native functions: inspect.signature works on the public functions,
arguments are bound as Python binds them (a misspelled keyword is a TypeError naming it and the
nearest valid one, not a dump of every argument), then handed to the native function."""
from __future__ import annotations

import ast
import difflib
import functools
import inspect
import re
from typing import Any, Callable

# pybind11's names for "any Python object" carry no type information.
_UNTYPED = {"handle", "object"}
_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "dict": dict, "list": list,
          "tuple": tuple, "None": None}


def _split_top_level(text: str) -> list[str]:
    """`text` split at the commas outside brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            if char == quote and text[i - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:])
    return [part.strip() for part in parts]


def signature_of(function: Callable) -> inspect.Signature | None:
    """The signature pybind11 writes on the first line of a native function's docstring, or
    None when there is none to read (an overloaded function, a default pybind11 cannot show)."""
    first = (function.__doc__ or "").split("\n", 1)[0]
    match = re.fullmatch(r"\w+\((.*)\) -> (.+)", first)
    if not match:
        return None
    parameters = []
    for part in _split_top_level(match.group(1)):
        name_type, _, default = part.partition(" = ")
        name, _, annotation = name_type.partition(": ")
        if not name.isidentifier():
            return None
        kind = _TYPES.get(annotation, Any) if annotation not in _UNTYPED else Any
        if default:
            try:
                value = ast.literal_eval(default)
            except (ValueError, SyntaxError):
                return None
            parameters.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                default=value, annotation=kind))
        else:
            parameters.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                annotation=kind))
    returns = match.group(2)
    return inspect.Signature(parameters,
                             return_annotation=_TYPES.get(returns, Any)
                             if returns not in _UNTYPED else Any)


def with_signature(function: Callable) -> Callable:
    """`function` behind a Python function with its signature (itself when it has none)."""
    signature = signature_of(function)
    if signature is None:
        return function
    names = list(signature.parameters)

    @functools.wraps(function)
    def bound(*args, **kwargs):
        try:
            arguments = signature.bind(*args, **kwargs)
        except TypeError as error:
            unknown = [key for key in kwargs if key not in signature.parameters]
            hint = ""
            if unknown:
                close = difflib.get_close_matches(unknown[0], names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; it takes {names}"
            raise TypeError(f"{function.__name__}(): {error}{hint}") from None
        return function(*arguments.args, **arguments.kwargs)

    bound.__signature__ = signature
    return bound
