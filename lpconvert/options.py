"""Checking ``-O``/``-I`` options against what a format declares (`FormatSpec.writer_options`).

A format reads its options as plain strings, so before this check a misspelt key was simply
never looked at: ``-O olx_layot=library`` wrote a course and exited 0. Every key and value
is checked here, once, for the command line and the library API alike, and a wrong one is
refused with the closest declared key or value, before anything is read or written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from .formats import FormatOption, FormatSpec
from .problems import did_you_mean

_BOOLS = {"true", "false", "yes", "no", "1", "0", "on", "off"}


class OptionError(ValueError):
    """An option a format does not declare, or a value it does not accept: a usage error."""


def option_key(key: str) -> str:
    """The declared spelling of a key a user typed: dashes become underscores."""
    return key.strip().replace("-", "_")


def parse_pairs(items: Iterable[str], flag: str) -> dict[str, str]:
    """``KEY=VALUE`` items (as given after `flag`) -> {key: value}, keys in declared spelling."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"{flag} expects KEY=VALUE, got {item!r}")
        out[option_key(key)] = value
    return out


def _check_value(spec: FormatSpec, role: str, option: FormatOption, value: str) -> None:
    where = f"{spec.name}'s {role} option {option.name}"
    if option.choices and value not in option.choices:
        raise OptionError(f"{where} must be one of {', '.join(option.choices)}, not {value!r}"
                          f"{did_you_mean(value, option.choices)}")
    if option.type == "int":
        try:
            int(value)
        except ValueError:
            raise OptionError(f"{where} must be a whole number, not {value!r}") from None
    elif option.type == "bool" and value.strip().lower() not in _BOOLS:
        raise OptionError(f"{where} must be true or false, not {value!r}")


def check_options(spec: FormatSpec, given: Mapping[str, str] | None,
                  role: Literal["reader", "writer"]) -> dict[str, str]:
    """`given` with keys in declared spelling, once every key and value is one `spec`'s
    reader or writer declares; else `OptionError` naming the key, the format and the
    closest declared key."""
    declared = {o.name: o for o in (spec.reader_options if role == "reader" else spec.writer_options)}
    flag = "-I" if role == "reader" else "-O"
    out: dict[str, str] = {}
    for raw_key, value in (given or {}).items():
        key = option_key(raw_key)
        option = declared.get(key)
        if option is None:
            if not declared:
                raise OptionError(f"unknown {role} option {key!r} ({flag}): format {spec.name} takes no "
                                  f"{role} options")
            raise OptionError(f"unknown {role} option {key!r} ({flag}) for format {spec.name}"
                              f"{did_you_mean(key, list(declared))}; {spec.name}'s {role} options: "
                              f"{', '.join(declared)} (see `lpconvert formats {spec.name}`)")
        _check_value(spec, role, option, str(value))
        out[key] = str(value)
    return out


def check_reader_keys(specs: Iterable[FormatSpec], given: Mapping[str, str] | None) -> None:
    """Before the inputs' formats are known (batch): each ``-I`` key must be one that some
    readable format declares, so a typo is still refused up front."""
    declared = {o.name for spec in specs for o in spec.reader_options}
    for raw_key in given or {}:
        key = option_key(raw_key)
        if key not in declared:
            known = f"; reader options: {', '.join(sorted(declared))}" if declared else \
                "; no installed format takes reader options"
            raise OptionError(f"unknown reader option {key!r} (-I){did_you_mean(key, sorted(declared))}{known}")
