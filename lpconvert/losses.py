"""What a destination format cannot hold, named and counted before anything is written.

Each format declares the loss kinds it cannot hold (`FormatSpec.cannot_hold`, naming the
core's `LossKind` objects in `lpconvert.formats.CORE_LOSS_KINDS`, whose detectors are
here). Before a write, `find_losses` looks at the package and turns each declared kind that the package
actually uses into a `loss` warning that says what will be dropped, with counts and a few
examples. With strict mode the conversion stops here, before a byte is written.

Keeping the detectors in the core (not in each writer) means every format describes its
losses in the same words, and a new format only has to name the kinds. A loss only one
format has is a kind that format declares with its own detector (`FormatSpec.losses`);
`losses_for` runs both, so a writer reports nothing while writing and one `--strict` run
names every loss. `allowed_kinds` checks the kinds a user accepts (`--allow-loss`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from pydantic import BaseModel

from .formats import CORE_LOSS_KINDS, LOSS_KIND_NAMES, FormatSpec, LossDetector
from .model import CompletePackageInput
from .package import Package
from .problems import Problem, did_you_mean, warning


def examples(keys: Iterable[str], limit: int = 3) -> str:
    """The first few keys and how many more: how every loss message names what it drops."""
    keys = list(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def model_parts(p: CompletePackageInput) -> Iterator[tuple[str, str, BaseModel]]:
    """(where, owner, part) for every part of a package that may carry unknown fields: the
    package itself, meta, the learning package, the root, each entity, each version, each
    collection. `where` names the part in a loss message (`package`, `meta`, `KEY`,
    `KEY vN`, `collection KEY`); `owner` is the key a reader looks for (the learning
    package's, an entity's or a collection's; `package` for the package itself). One walk for
    every detector that looks at unknown fields or settings, so none forgets a part."""
    key = p.learning_package.key
    yield "package", "package", p
    for part, name in ((p.meta, "meta"), (p.learning_package, "learning_package"), (p.root, "root")):
        if part is not None:
            yield name, key, part
    for e in p.entities:
        yield e.key, e.key, e
        for v in e.versions:
            yield f"{e.key} v{v.version_num}", e.key, v
    for c in p.collections:
        yield f"collection {c.key}", c.key, c


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
    found = [f"{where}.{k}" for where, _, part in model_parts(p) for k in (part.model_extra or {})]
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


def _meta(p: CompletePackageInput) -> str | None:
    if p.meta is None:
        return None
    said = [k for k, v in p.meta.model_dump(exclude=set(p.meta.model_extra or {})).items()
            if v is not None and k != "format_version"]
    if said:
        return f"the package's meta ({', '.join(said)})"
    return None


def _description(p: CompletePackageInput) -> str | None:
    if p.learning_package.description:
        return "the package's description"
    return None


def _timestamps(p: CompletePackageInput) -> str | None:
    """Every created/updated time but meta's (that one is `meta`'s)."""
    lp = p.learning_package
    said = [name for name, value in (("created", lp.created), ("updated", lp.updated)) if value is not None]
    parts = [f"the package's {' and '.join(said)} time"] if said else []
    entities = [e.key for e in p.entities if e.created is not None]
    if entities:
        parts.append(f"the created time of {len(entities)} entit(ies) ({examples(entities)})")
    versions = _version_times(p)
    if versions:
        parts.append(versions)
    return "; ".join(parts) or None


def _stand_alone(p: CompletePackageInput) -> str | None:
    keys = [e.key for e in p.entities if not e.can_stand_alone]
    if keys:
        return f"can_stand_alone = false of {len(keys)} entit(ies) ({examples(keys)})"
    return None


def _on_model(detect: Callable[[CompletePackageInput], str | None]) -> LossDetector:
    """A core kind's detector as `LossKind` calls it: the core's look at the model only."""
    def detector(package: Package, options: Mapping[str, str]) -> str | None:
        return detect(package.model)
    return detector


# The detectors `CORE_LOSS_KINDS` names ("lpconvert.losses:lost_KIND").
lost_collections = _on_model(_collections)
lost_other_versions = _on_model(_other_versions)
lost_published_behind_draft = _on_model(_published_behind)
lost_history = _on_model(_all_but_current)
lost_root = _on_model(_root)
lost_package_files = _on_model(_files)
lost_version_attributes = _on_model(_attributes)
lost_unknown_fields = _on_model(_unknown_fields)
lost_loose_components = _on_model(_orphan_components)
lost_version_times = _on_model(_version_times)
lost_meta = _on_model(_meta)
lost_package_description = _on_model(_description)
lost_timestamps = _on_model(_timestamps)
lost_can_stand_alone = _on_model(_stand_alone)


def find_losses(package: Package, cannot_hold: Iterable[str], format_name: str,
                options: Mapping[str, str] | None = None) -> list[Problem]:
    """One `loss` warning per declared core kind that this package actually uses."""
    out: list[Problem] = []
    for name in sorted(cannot_hold):
        kind = CORE_LOSS_KINDS.get(name)
        if kind is None:
            continue
        detail = kind.load_detector()(package, dict(options or {}))
        if detail:
            out.append(warning("loss", f"{format_name} cannot hold {detail}; dropped", field=name))
    return out


def losses_for(package: Package, spec: FormatSpec, options: Mapping[str, str] | None = None) -> list[Problem]:
    """Every loss writing `package` as `spec` will cause, before anything is written: one
    `loss` warning per kind, core and the format's own, its `field` naming the kind (what
    `--allow-loss` matches)."""
    out = find_losses(package, spec.cannot_hold, spec.name, options)
    for kind, detector in spec.load_loss_detectors():
        message = detector(package, dict(options or {}))
        if message:
            out.append(warning("loss", message, field=kind))
    return out


def known_kinds(formats: Iterable[FormatSpec]) -> dict[str, str]:
    """Every loss kind -> what it is: the core's, and the own kinds of each installed format."""
    out = dict(LOSS_KIND_NAMES)
    for spec in formats:
        out.update((loss.name, loss.description) for loss in spec.losses)
    return out


class UnknownLossKind(ValueError):
    """An --allow-loss / `allow_loss` kind no format declares: a usage error."""


def allowed_kinds(values: Iterable[str], known: Mapping[str, str]) -> frozenset[str]:
    """The kinds a user accepts, from ``KIND[,KIND...]`` values; an unknown one is refused
    with the closest known kind and the whole list, so a typo never silently accepts nothing."""
    kinds = frozenset(k.strip() for value in values for k in value.split(",") if k.strip())
    unknown = sorted(kinds - set(known))
    if unknown:
        raise UnknownLossKind(f"unknown loss kind {unknown[0]!r}{did_you_mean(unknown[0], known)}; "
                              f"known kinds: {', '.join(sorted(known))}")
    return kinds


def is_allowed(problem: Problem, allowed: frozenset[str]) -> bool:
    """Whether `problem` is a loss of a kind the user accepted (still reported, never an error)."""
    return problem.code == "loss" and problem.field in allowed
