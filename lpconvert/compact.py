"""Sharing the equal small values a validated model holds many copies of.

Why: pydantic gives every model object its own set of the field names it was given
(`model_fields_set`) and its own dict of unknown fields (`model_extra`, empty almost always),
and a reader gives every version its own copy of the same strings (a media path such as
``block.xml``, a child's key, a title) and dates. At 100,000 components that is several
hundred thousand sets, dicts, strings and datetimes holding far fewer distinct values: a
third of the model's memory, which the writer then needs for itself.

`SharedValues` replaces each of them by one shared object per distinct value, in place, one
entity at a time as validation builds them (`validate_raw(share=...)`, which `lpconvert.read`
asks for), so the uncompacted model never exists whole: at 100K that is 90 MB less at the peak.

Nothing a caller can see changes: values compare equal, the model is frozen so nobody
assigns through it, and pydantic copies a model's field set and extras before changing
them (`model_copy`), so a shared one is never written to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from .model import Collection, CompletePackageInput, Entity

_set = object.__setattr__


class SharedValues:
    """One object per distinct field set, empty extras dict, media path, key and date seen so far.

    Titles and other free text are shared only between the versions of one entity (where
    they repeat); pooling them package-wide would keep a table as large as the savings.
    """

    def __init__(self) -> None:
        self.field_sets: dict[frozenset[str], set[str]] = {}
        self.no_extras: dict[str, Any] | None = None
        self.pool: dict[Any, Any] = {}

    def shared(self, value: Any) -> Any:
        return self.pool.setdefault(value, value)

    def date(self, value: datetime) -> datetime:
        """The shared copy of a date: equal instants in different offsets (09:00Z, 11:00+02:00)
        compare equal, yet each is written as it came, so the offset is part of the key."""
        return self.pool.setdefault((value, value.utcoffset()), value)

    def model(self, obj: BaseModel) -> None:
        """Share `obj`'s field set and, when it has none, its empty dict of unknown fields."""
        names = obj.__pydantic_fields_set__
        _set(obj, "__pydantic_fields_set__", self.field_sets.setdefault(frozenset(names), names))
        extra = obj.__pydantic_extra__
        if extra == {}:
            if self.no_extras is None:
                self.no_extras = extra
            _set(obj, "__pydantic_extra__", self.no_extras)

    def entity(self, entity: Entity) -> None:
        """Compact one validated entity, its versions and their media records."""
        self.model(entity)
        fields = entity.__dict__
        fields["key"] = self.shared(entity.key)
        if type(entity.created) is datetime:  # a subclass keeps its own object
            fields["created"] = self.date(entity.created)
        titles: dict[str, str] = {}
        for version in entity.versions:
            self.model(version)
            fields = version.__dict__
            fields["title"] = titles.setdefault(version.title, version.title)
            if type(version.created) is datetime:
                fields["created"] = self.date(version.created)
            children = version.children
            if children:
                for i, child in enumerate(children):
                    children[i] = self.shared(child)
            if version.media:
                fields["media"] = {self.shared(path): media for path, media in version.media.items()}
                for media in fields["media"].values():
                    self.model(media)

    def collection(self, collection: Collection) -> None:
        self.model(collection)
        members = collection.entities
        for i, key in enumerate(members):
            members[i] = self.shared(key)

    def package_parts(self, model: CompletePackageInput) -> None:
        """Compact what is not an entity or a collection: meta, the learning package, the
        root and the package files (few objects; done once the model exists)."""
        for part in (model.meta, model.learning_package, model.root):
            if part is not None:
                self.model(part)
        for media in model.files.values():
            self.model(media)
