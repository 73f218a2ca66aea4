"""The load-time contract, checked the way lpconvert checks it, with every failure at once.

`lpconvert plugins` shows the first reason a plugin was refused; a plugin author wants all
of them while writing it. `check_plugin` runs the same checks as the plugin manager plus
the ones that otherwise only show up when a user first converts (a ``module:function``
reference that does not resolve, an unknown loss kind, a suffix without its dot).
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from ..formats import CORE_LOSS_KINDS as LOSS_KINDS
from ..formats import PLUGIN_API_VERSION, FormatSpec

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def check_plugin(module: ModuleType | Any) -> list[str]:
    """Every way `module` breaks the plugin contract (an empty list when it keeps it)."""
    name = getattr(module, "__name__", repr(module))
    api = getattr(module, "LPCONVERT_API", None)
    if api is None:
        return [f"{name}: does not declare LPCONVERT_API = {PLUGIN_API_VERSION}"]
    if api != PLUGIN_API_VERSION:
        return [f"{name}: written for plugin API {api}, this lpconvert provides {PLUGIN_API_VERSION}"]
    hook = getattr(module, "lpconvert_formats", None)
    if hook is None:
        return [f"{name}: has no lpconvert_formats hook"]
    if not hasattr(hook, "lpconvert_impl"):
        return [f"{name}: lpconvert_formats is not decorated with lpconvert.hookspecs.hookimpl"]
    try:
        specs = list(hook() or [])
    except Exception as exc:  # noqa: BLE001 - reported, as the plugin manager would
        return [f"{name}: lpconvert_formats raised {type(exc).__name__}: {exc}"]
    out: list[str] = []
    for spec in specs:
        if not isinstance(spec, FormatSpec):
            out.append(f"{name}: lpconvert_formats returned {type(spec).__name__}, not FormatSpec")
            continue
        out += [f"{name}: format {spec.name!r}: {why}" for why in _check_spec(spec)]
    if not specs:
        out.append(f"{name}: lpconvert_formats returned no formats")
    return out


def _check_spec(spec: FormatSpec) -> list[str]:
    out: list[str] = []
    if not _NAME.match(spec.name):
        out.append("name must be lowercase letters, digits and dashes")
    if not spec.description.strip():
        out.append("needs a description (`lpconvert formats` shows it)")
    if not (spec.can_read or spec.can_write):
        out.append("has neither a reader nor a writer")
    if spec.output not in ("tree", "file"):
        out.append(f"output must be 'tree' or 'file', not {spec.output!r}")
    out += [f"suffix {s!r} must start with a dot" for s in spec.suffixes if not s.startswith(".")]
    if spec.suffixes and not spec.can_write:
        out.append("declares destination suffixes but cannot be written")
    unknown = sorted(set(spec.cannot_hold) - set(LOSS_KINDS))
    if unknown:
        out.append(f"unknown loss kind(s) {', '.join(unknown)} (known: {', '.join(sorted(LOSS_KINDS))})")
    for loss in spec.losses:
        if not _NAME.match(loss.name) or loss.name in LOSS_KINDS or not loss.description.strip():
            out.append(f"own loss kind {loss.name!r} needs a lowercase-and-dashes name that is not a core "
                       "kind's, and a description")
    try:
        spec.load_loss_detectors()
    except Exception as exc:  # noqa: BLE001
        out.append(f"a loss detector does not resolve: {type(exc).__name__}: {exc}")
    for role, loader in (("reader", spec.load_reader if spec.can_read else None),
                         ("writer", spec.load_writer if spec.can_write else None)):
        if loader is None:
            continue
        try:
            loader()
        except Exception as exc:  # noqa: BLE001
            out.append(f"{role} {getattr(spec, role)!r} does not resolve: {type(exc).__name__}: {exc}")
    return out


def assert_plugin_contract(module: ModuleType | Any) -> None:
    """Fail with every contract violation of `module` listed."""
    found = check_plugin(module)
    if found:
        raise AssertionError("plugin contract broken:\n  " + "\n  ".join(found))
