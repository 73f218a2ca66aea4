"""Loading plugins: entry points first-class, failures isolated, API version checked.

Every format, built-in or third-party, arrives through the ``lpconvert`` entry-point group.
Each entry point is imported on its own; one that fails to import, declares an
incompatible plugin API, or returns something that is not a `FormatSpec` is recorded with
the reason and skipped, and the others keep working (`lpconvert plugins` shows why).
``LPCONVERT_DISABLE_PLUGINS=name,...`` skips named plugins without importing them.

Loading is lazy and cached: nothing is imported until a format is first asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import Any

import pluggy

from .entrypoints import LazyDistribution, entry_points
from .formats import PLUGIN_API_VERSION, FormatSpec
from .hookspecs import ENTRY_POINT_GROUP, PROJECT, LpconvertHooks
from .problems import did_you_mean


@dataclass
class PluginInfo:
    """What `lpconvert plugins` shows about one plugin."""

    name: str
    module: str
    formats: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    error: str | None = None
    disabled: bool = False
    dist: LazyDistribution | Any | None = field(default=None, repr=False)
    """The installed distribution the entry point came from (None when registered directly)."""

    # Name and version are read from the distribution's METADATA only when something shows
    # them (`lpconvert plugins`, -v): parsing it is an email-header parse per plugin, which
    # every command paid at start-up for a line only `plugins` prints.
    @cached_property
    def distribution(self) -> str | None:
        return self.dist.metadata["Name"] if self.dist is not None else None

    @cached_property
    def version(self) -> str | None:
        return self.dist.version if self.dist is not None else None

    @property
    def status(self) -> str:
        if self.disabled:
            return "disabled"
        return "failed" if self.error else "ok"


class PluginRegistry:
    """The loaded plugins and the formats they provide."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(LpconvertHooks)
        self.plugins: dict[str, PluginInfo] = {}
        self.formats: dict[str, FormatSpec] = {}

    # -- loading -------------------------------------------------------------------------
    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        disabled = {n.strip() for n in os.environ.get("LPCONVERT_DISABLE_PLUGINS", "").split(",") if n.strip()}
        for ep in sorted(entry_points(group), key=lambda e: e.name):
            info = PluginInfo(name=ep.name, module=ep.value, dist=getattr(ep, "dist", None))
            if ep.name in self.plugins:
                continue  # the same distribution seen twice on sys.path
            self.plugins[ep.name] = info
            if ep.name in disabled:
                info.disabled = True
                continue
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is the plugin's, not ours
                info.error = f"import failed: {type(exc).__name__}: {exc}"
                continue
            self._register(ep.name, module, info)

    def register(self, module: ModuleType | Any, name: str | None = None) -> PluginInfo:
        """Register a plugin object directly (tests, embedding applications)."""
        name = name or getattr(module, "__name__", repr(module))
        info = PluginInfo(name=name, module=getattr(module, "__name__", repr(module)))
        if name in self.plugins:
            info.error = f"a plugin named {name!r} is already registered"
            return info
        self.plugins[name] = info
        self._register(name, module, info)
        return info

    def _register(self, name: str, module: Any, info: PluginInfo) -> None:
        api = getattr(module, "LPCONVERT_API", None)
        if api is None:
            info.error = "does not declare LPCONVERT_API (the plugin API version it was written for)"
            return
        if api != PLUGIN_API_VERSION:
            info.error = (f"written for plugin API {api}, but this lpconvert provides API "
                          f"{PLUGIN_API_VERSION}; upgrade the plugin or lpconvert")
            return
        try:
            self.pm.register(module, name=name)
            unknown = self._unknown_hook(module)
            if unknown is not None:
                self.pm.unregister(module)
                info.error = unknown
                return
            specs: list[Any] = []
            for impl in self.pm.hook.lpconvert_formats.get_hookimpls():
                if impl.plugin_name == name:
                    specs.extend(impl.function() or [])
        except Exception as exc:  # noqa: BLE001
            if self.pm.is_registered(module):
                self.pm.unregister(module)
            info.error = f"failed to load: {type(exc).__name__}: {exc}"
            return
        new: list[FormatSpec] = []
        for spec in specs:
            if not isinstance(spec, FormatSpec):
                info.error = f"lpconvert_formats returned {type(spec).__name__}, not FormatSpec"
                self.pm.unregister(module)
                return
            if spec.name in self.formats:
                info.error = f"format {spec.name!r} is already provided by plugin {self.formats[spec.name].plugin!r}"
                self.pm.unregister(module)
                return
            new.append(spec)
        for spec in new:
            object.__setattr__(spec, "plugin", name)
            self.formats[spec.name] = spec
            info.formats.append(spec.name)

    def _unknown_hook(self, module: Any) -> str | None:
        """Why `module` cannot be used, when it implements a hook lpconvert does not have (pluggy's
        `check_pending`): a misspelt ``lpconvert_format`` would otherwise register as "ok"
        and provide nothing."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if exc.plugin is not module:
                raise  # pragma: no cover - every earlier plugin passed this check when it registered
            known = sorted(n for n in vars(self.pm.hook) if not n.startswith("_") and
                           getattr(self.pm.hook, n).has_spec())
            names = [n for n in vars(self.pm.hook) if not n.startswith("_") and
                     not getattr(self.pm.hook, n).has_spec() and
                     any(i.plugin is module for i in getattr(self.pm.hook, n).get_hookimpls())]
            hint = did_you_mean(names[0], known) if names else ""
            return (f"implements unknown hook {names[0] if names else '?'!r}{hint}; lpconvert's hooks: "
                    f"{', '.join(known)}")
        return None

    def add_commands(self, subparsers: Any, taken: set[str]) -> None:
        """Let each plugin add its subcommands (`register_commands`). A plugin whose hook fails
        or takes a name in `taken` (the core's commands, an earlier plugin's) is marked failed
        with the reason and its commands are left out; the others keep theirs."""
        for impl in self.pm.hook.register_commands.get_hookimpls():
            info = self.plugins.get(impl.plugin_name)
            guarded = _NameGuard(subparsers, taken)
            try:
                impl.function(subparsers=guarded)
            except Exception as exc:  # noqa: BLE001 - the plugin's failure, not the command line's
                guarded.remove_added()
                if info is not None:
                    info.error = f"register_commands failed: {type(exc).__name__}: {exc}"
                continue
            taken.update(guarded.added)
            if info is not None:
                info.commands = list(guarded.added)

    # -- queries -------------------------------------------------------------------------
    def get(self, name: str) -> FormatSpec | None:
        return self.formats.get(name)

    def readable(self) -> list[FormatSpec]:
        return [f for f in self.formats.values() if f.can_read]

    def writable(self) -> list[FormatSpec]:
        return [f for f in self.formats.values() if f.can_write]

    def for_suffix(self, destination: str) -> FormatSpec | None:
        """The format whose declared suffix the destination ends with (longest suffix wins)."""
        lower = destination.lower().rstrip("/")
        best: tuple[int, FormatSpec] | None = None
        for spec in self.writable():
            for suffix in spec.suffixes:
                if lower.endswith(suffix.lower()) and (best is None or len(suffix) > best[0]):
                    best = (len(suffix), spec)
        return best[1] if best else None

    def failures(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.error]


class _NameGuard:
    """argparse's subparsers as a plugin sees them: a name already taken is refused, and what
    a failing plugin added can be taken out again."""

    def __init__(self, subparsers: Any, taken: set[str]) -> None:
        self._subparsers = subparsers
        self._taken = taken
        self.added: list[str] = []

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name in self._taken or name in self.added:
            raise ValueError(f"command {name!r} is already lpconvert's or another plugin's")
        parser = self._subparsers.add_parser(name, **kwargs)
        self.added.append(name)
        return parser

    def remove_added(self) -> None:
        for name in self.added:
            self._subparsers._name_parser_map.pop(name, None)
            self._subparsers._choices_actions[:] = [a for a in self._subparsers._choices_actions
                                                    if a.dest != name]
        self.added.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._subparsers, name)


_registry: PluginRegistry | None = None


def get_registry() -> PluginRegistry:
    """The process-wide registry, loading entry points on first use."""
    global _registry
    if _registry is None:
        registry = PluginRegistry()
        registry.load_entry_points()
        _registry = registry
    return _registry


def reset_registry(registry: PluginRegistry | None = None) -> None:
    """Forget (or replace) the loaded plugins; for tests and long-lived embedders."""
    global _registry
    _registry = registry
