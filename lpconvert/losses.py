"""What a destination format cannot hold, named and counted before anything is written.

Each format declares the loss kinds it cannot hold (`FormatSpec.cannot_hold`). Before a
write, `find_losses` looks at the package and turns each declared kind that the package
actually uses into a `loss` warning that says what will be dropped, with counts and a few
examples. With strict mode the conversion stops here, before a byte is written.

Keeping the detectors in the core (not in each writer) means every format describes its
losses in the same words, and a new format only has to name the kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .formats import LOSS_KIND_NAMES
from .model import CompletePackageInput
from .problems import Problem, warning


def examples(keys: Iterable[str], limit: int = 3) -> str:
    """The first few keys and how many more: how every loss message names what it drops."""
    keys = list(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def _collections(p: CompletePackageInput) -> str | None:
    if p.collections:
        return f"{len(p.collections)} collection(s) ({examples(c.key for c in p.collections)})"
    return None


def _other_versions(p: CompletePackageInput) -> str | None:
    """Versions that are neither the current draft nor the current published version."""
    count, keys = 0, []
    for e in p.entities:
        keep = {e.draft_version, e.published_version}
        dropped = [v.version_num for v in e.versions if v.version_num not in keep]
        if dropped:
            count += len(dropped)
            keys.append(f"{e.key} v{','.join(map(str, dropped))}")
    if count:
        return f"{count} version(s) other than the current draft and published ({examples(keys)})"
    return None


def _published_behind(p: CompletePackageInput) -> str | None:
    """A published version that differs from the draft (a one-version format keeps the draft)."""
    keys = [e.key for e in p.entities
            if e.published_version is not None and e.draft_version not in (None, e.published_version)]
    if keys:
        return f"the published version of {len(keys)} entit(ies) whose draft is ahead ({examples(keys)})"
    return None


def _all_but_current(p: CompletePackageInput) -> str | None:
    keys = [e.key for e in p.entities if len(e.versions) > 1]
    if keys:
        return f"every version but the current one of {len(keys)} entit(ies) ({examples(keys)})"
    return None


def _root(p: CompletePackageInput) -> str | None:
    if p.root is not None:
        return f"the {p.root.kind} root and its {len(p.root.attributes)} setting(s)"
    return None


def _files(p: CompletePackageInput) -> str | None:
    if p.files:
        return f"{len(p.files)} package-level file(s) ({examples(sorted(p.files))})"
    return None


def _attributes(p: CompletePackageInput) -> str | None:
    keys = [e.key for e in p.entities if any(v.attributes for v in e.versions)]
    if keys:
        return f"container/version attributes of {len(keys)} entit(ies) ({examples(keys)})"
    return None


def _unknown_fields(p: CompletePackageInput) -> str | None:
    found: list[str] = []
    if p.model_extra:
        found += [f"package.{k}" for k in p.model_extra]
    for part, name in ((p.meta, "meta"), (p.learning_package, "learning_package"), (p.root, "root")):
        if part is not None and part.model_extra:
            found += [f"{name}.{k}" for k in part.model_extra]
    for e in p.entities:
        if e.model_extra:
            found += [f"{e.key}.{k}" for k in e.model_extra]
        for v in e.versions:
            if v.model_extra:
                found += [f"{e.key} v{v.version_num}.{k}" for k in v.model_extra]
    for c in p.collections:
        if c.model_extra:
            found += [f"collection {c.key}.{k}" for k in c.model_extra]
    if found:
        return f"{len(found)} unknown field(s) ({examples(found)})"
    return None


def _orphan_components(p: CompletePackageInput) -> str | None:
    """Components no container holds (a layout organised by the outline has nowhere for them)."""
    held = {c for e in p.entities for v in e.versions for c in (v.children or ())}
    keys = [e.key for e in p.entities if e.container_type is None and e.key not in held]
    if keys:
        return f"{len(keys)} component(s) outside every unit ({examples(keys)})"
    return None


def _version_times(p: CompletePackageInput) -> str | None:
    """Version creation times (upstream's archive records them per entity, not per version)."""
    count, keys = 0, []
    for e in p.entities:
        timed = sum(1 for v in e.versions if v.created is not None)
        if timed:
            count += timed
            keys.append(e.key)
    if count:
        return f"the created time of {count} version(s) of {len(keys)} entit(ies) ({examples(keys)})"
    return None


_DETECTORS: dict[str, Callable[[CompletePackageInput], str | None]] = {
    "collections": _collections,
    "other-versions": _other_versions,
    "published-behind-draft": _published_behind,
    "history": _all_but_current,
    "root": _root,
    "package-files": _files,
    "version-attributes": _attributes,
    "unknown-fields": _unknown_fields,
    "loose-components": _orphan_components,
    "version-times": _version_times,
}

LOSS_KINDS: dict[str, tuple[str, Callable[[CompletePackageInput], str | None]]] = {
    kind: (LOSS_KIND_NAMES[kind], detector) for kind, detector in _DETECTORS.items()
}
"""Loss kind -> (what it is, detector returning a description of what would be lost or None)."""


def find_losses(package: CompletePackageInput, cannot_hold: Iterable[str], format_name: str) -> list[Problem]:
    """One `loss` warning per declared kind that this package actually uses."""
    out: list[Problem] = []
    for kind in sorted(cannot_hold):
        entry = LOSS_KINDS.get(kind)
        if entry is None:
            continue
        detail = entry[1](package)
        if detail:
            out.append(warning("loss", f"{format_name} cannot hold {detail}; dropped", field=kind))
    return out
