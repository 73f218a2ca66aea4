"""What OLX cannot express about versions, said before anything is misunderstood.

The core reports the losses a format declares (collections, other versions ...). These are
the ones only OLX has, because its drafts live in one place: a unit and the blocks in it can
have a draft ahead of the published version (under drafts/), nothing else can, and a v1
library has no drafts at all. Each function returns `loss` warnings; the writer adds them
to what it returns.
"""

from __future__ import annotations

from lpconvert.losses import examples
from lpconvert.model import CompletePackageInput, Entity
from lpconvert.problems import Problem, warning


def _draft_ahead(ent: Entity) -> bool:
    return ent.draft_version is not None and ent.draft_version != ent.published_version


def _only_units_added(ent: Entity, unpublished: set[str]) -> bool:
    """True when a container's draft is its published version plus never-published units,
    which drafts/ can show (each such unit is written there at its index)."""
    draft, published = ent.version(ent.draft_version), ent.version(ent.published_version)
    if draft is None or published is None:
        return True
    if (draft.title, draft.attributes) != (published.title, published.attributes):
        return False
    before = list(published.children or [])
    kept = set(before)
    after = [k for k in draft.children or [] if k not in unpublished or k in kept]
    return after == before


def course_losses(model: CompletePackageInput) -> list[Problem]:
    entities = model.entities
    unpublished = {e.key for e in entities if e.published_version is None}
    lost = [e.key for e in entities if e.container_type in ("section", "subsection") and _draft_ahead(e)
            and e.published_version is not None and not _only_units_added(e, unpublished)]
    out = []
    if lost:
        out.append(warning("loss", f"OLX keeps drafts only for units and blocks; the draft of {len(lost)} "
                           f"section(s)/subsection(s) ({examples(lost)}) is dropped and their published "
                           "version written"))
    in_units = {c for e in entities if e.container_type == "unit" for v in e.versions for c in (v.children or ())}
    return out + outside_units(model, in_units, ("section", "subsection"))


def library_losses(model: CompletePackageInput) -> list[Problem]:
    containers = [e.key for e in model.entities if e.container_type is not None]
    out = []
    if containers:
        out.append(warning("loss", f"a v1 library holds components only; {len(containers)} container(s) "
                           f"({examples(containers)}) are dropped and their components listed at the top",
                           field="olx_layout"))
    return out + outside_units(model, set(), ())


def outside_units(model: CompletePackageInput, in_units: set[str], containers: tuple[str, ...]) -> list[Problem]:
    """OLX has no draft state outside units: never-published is written as published, a draft ahead is dropped.

    A deleted entity (neither draft nor published) is not written at all, wherever it was, so
    it is named apart: calling it "written as published" sent users looking for it in the OLX.
    """
    out = []
    deleted = [e.key for e in model.entities if e.draft_version is None and e.published_version is None]
    if deleted:
        out.append(warning("loss", f"OLX has no deleted entities; {len(deleted)} deleted entit(ies) "
                           f"({examples(deleted)}) are not written"))
    unpublished = [e.key for e in model.entities if e.published_version is None and e.draft_version is not None
                   and (e.container_type in containers or (e.container_type is None and e.key not in in_units))]
    if unpublished:
        out.append(warning("loss", f"OLX has no unpublished sections, subsections or blocks outside units; "
                           f"{len(unpublished)} never-published entit(ies) ({examples(unpublished)}) are "
                           "written as published"))
    loose_drafts = [e.key for e in model.entities if e.container_type is None and e.key not in in_units
                    and e.published_version is not None and _draft_ahead(e)]
    if loose_drafts:
        out.append(warning("loss", f"OLX keeps drafts only inside units; the draft of {len(loose_drafts)} "
                           f"component(s) outside every unit ({examples(loose_drafts)}) is dropped and the "
                           "published version written"))
    return out


def metadata_losses(model: CompletePackageInput) -> list[Problem]:
    """What OLX has no place for at all: who made the package and when, and a v2 library's description."""
    dropped = []
    if model.meta is not None and any(v is not None for k, v in model.meta.model_dump().items()
                                      if k != "format_version"):
        dropped.append("meta (created_by, created_at, origin_server ...)")
    lp = model.learning_package
    if lp.description:
        dropped.append("the package description")
    if lp.created or lp.updated:
        dropped.append("the package's created/updated times")
    created = sum(1 for e in model.entities if e.created) + sum(
        1 for e in model.entities for v in e.versions if v.created)
    if created:
        dropped.append(f"{created} entity/version created time(s)")
    fixed = [e.key for e in model.entities if not e.can_stand_alone]
    if fixed:
        dropped.append(f"can_stand_alone=false of {len(fixed)} entit(ies) ({examples(fixed)})")
    if not dropped:
        return []
    return [warning("loss", "OLX has no place for " + "; ".join(dropped) + "; dropped")]
