"""Generated learning packages for property tests (hypothesis): components with static files,
containers at every level with settings, collections, versions with drafts and published
numbers, dates in several offsets. Shared by the format matrix and the OLX properties.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

_CODE = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,10}", fullmatch=True)
_NAME = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,8}\.(png|txt|srt|bin)", fullmatch=True)
_TIME = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1),
                     timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                                timezone(timedelta(hours=-8))]))
_TITLE = st.text(max_size=30)
_ATTRS = st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
                         st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=10)), max_size=3)


@st.composite
def _versions(draw: Any, make: Any) -> tuple[list[dict[str, Any]], int | None, int | None]:
    nums = sorted(draw(st.sets(st.integers(1, 6), min_size=1, max_size=3)))
    versions = [make(n) for n in nums]
    draft = draw(st.sampled_from([*nums, None]))
    published = draw(st.sampled_from([*nums, None]))
    return versions, draft, published


@st.composite
def packages(draw: Any) -> dict[str, Any]:
    entities: list[dict[str, Any]] = []

    def entity(key: str, ctype: str | None, make: Any) -> None:
        versions, draft, published = draw(_versions(make))
        item: dict[str, Any] = {"key": key, "versions": versions, "draft_version": draft,
                                "published_version": published, "can_stand_alone": draw(st.booleans())}
        if ctype:
            item["container_type"] = ctype
        if draw(st.booleans()):
            item["created"] = draw(_TIME)
        entities.append(item)

    components = []
    for btype, code in draw(st.lists(st.tuples(st.sampled_from(["html", "problem", "video"]), _CODE),
                                     min_size=1, max_size=4, unique=True)):
        key = f"xblock.v1:{btype}:{code}"
        components.append(key)

        def component_version(n: int, btype: str = btype) -> dict[str, Any]:
            statics = draw(st.dictionaries(_NAME, st.one_of(st.binary(max_size=40).map(
                lambda b: {"base64": __import__("base64").b64encode(b).decode()}),
                st.text(max_size=40).map(lambda t: {"text": t})), max_size=2))
            refs = "".join(f'<img src="/static/{name}"/>' for name in statics)
            media = {"block.xml": {"text": f"<{btype} display_name=\"v{n}\"><![CDATA[{refs}]]></{btype}>"
                                   if btype == "html" else f"<{btype}/>"}}
            media.update({f"static/{name}": m for name, m in statics.items()})
            return {"version_num": n, "title": draw(_TITLE), "media": media}

        entity(key, None, component_version)

    level_children = components
    for ctype in ("unit", "subsection", "section"):
        keys = draw(st.lists(st.from_regex(rf"{ctype}-[a-z0-9]{{1,6}}", fullmatch=True), max_size=3, unique=True))
        for key in keys:
            def container_version(n: int, pool: list[str] = level_children) -> dict[str, Any]:
                children = draw(st.lists(st.sampled_from(pool), unique=True, max_size=3)) if pool else []
                return {"version_num": n, "title": draw(_TITLE), "children": children,
                        "attributes": draw(_ATTRS)}

            entity(key, ctype, container_version)
        level_children = keys
    all_keys = [e["key"] for e in entities]
    collections = [{"key": key, "title": draw(_TITLE.filter(lambda t: t.strip())),
                    "description": draw(_TITLE), "entities": draw(st.lists(st.sampled_from(all_keys), unique=True))}
                   for key in draw(st.lists(_CODE, max_size=2, unique=True))]
    return {"learning_package": {"key": draw(_CODE), "title": draw(_TITLE.filter(lambda t: t.strip())),
                                 "description": draw(_TITLE), "created": draw(_TIME)},
            "entities": entities, "collections": collections}
