"""Which version of each entity the site shows: what authors see, or what learners see.

The default (``-O html_version=draft``) shows each entity's current version, the draft if
there is one, as Studio shows it to authors, with badges for unpublished changes. With
``-O html_version=published`` the site shows only what is published, as learners see it:
entities never published are left out, and so are children and collection members that
are not published.

The published view is a derived hub model in which every entity's draft *is* its
published version, so the rest of the writer needs to know nothing about views.
"""

from __future__ import annotations

from lpconvert.plugin import CompletePackageInput, Entity

VIEWS = ("draft", "published")


def _published(entity: Entity) -> Entity | None:
    version = entity.version(entity.published_version)
    if version is None:
        return None
    return entity.model_copy(update={"draft_version": entity.published_version, "versions": [version]})


def published_view(model: CompletePackageInput) -> CompletePackageInput:
    """The package as learners see it: published versions only."""
    kept = {e.key: p for e in model.entities if (p := _published(e)) is not None}
    entities = []
    for entity in kept.values():
        version = entity.versions[0]
        if version.children is not None:
            version = version.model_copy(update={"children": [c for c in version.children if c in kept]})
        entities.append(entity.model_copy(update={"versions": [version]}))
    collections = [c.model_copy(update={"entities": [k for k in c.entities if k in kept]})
                   for c in model.collections]
    root = model.root
    if root is not None:
        root = root.model_copy(update={"children": [k for k in root.children if k in kept]})
    return model.model_copy(update={"entities": entities, "collections": collections, "root": root})
