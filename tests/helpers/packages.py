"""Packages that exercise every field of the hub model, for round-trip tests.

These are data, not code under test: each builder returns a hub model written out field by
field, so a format that drops or changes anything shows up as a difference. They are compared
with the shipped helpers (`lpconvert.testing.assert_same_content`, `comparable(strict=True)`),
which strip what a format declares it cannot hold with each loss kind's own `strip`.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from lpconvert.model import CompletePackageInput
from lpconvert.package import Package

T0 = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
T1 = datetime(2025, 4, 1, 8, 0, tzinfo=timezone(timedelta(hours=2)))
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
LATIN1 = "caf\u00e9 cr\u00e8me".encode("latin-1")  # bytes that are not UTF-8


def _b64(data: bytes) -> dict[str, str]:
    return {"base64": base64.b64encode(data).decode("ascii")}


def _component(key: str, versions: list[dict[str, Any]], draft: int | None, published: int | None,
               **extra: Any) -> dict[str, Any]:
    return {"key": key, "can_stand_alone": True, "created": T0, "draft_version": draft,
            "published_version": published, "versions": versions, **extra}


def full_data() -> dict[str, Any]:
    """Raw hub data using every field: a course-like root, files, attributes, unknown fields,
    several versions with a draft ahead of published, text and binary media, collections."""
    html = "xblock.v1:html:intro"
    problem = "xblock.v1:problem:q1"
    video = "xblock.v1:video:v\u00e9lo"
    loose = "xblock.v1:html:loose-note"
    entities = [
        {"key": "week-1", "container_type": "section", "can_stand_alone": True, "created": T0,
         "draft_version": 2, "published_version": 2,
         "versions": [
             {"version_num": 1, "title": "Week one", "created": T0, "children": ["first-steps"]},
             {"version_num": 2, "title": "Week 1: \"Start\"", "created": T1, "children": ["first-steps", "more"],
              "attributes": {"start": "2025-01-01T00:00:00Z", "graded": False}},
         ]},
        {"key": "first-steps", "container_type": "subsection", "can_stand_alone": False, "created": T0,
         "draft_version": 1, "published_version": 1,
         "versions": [{"version_num": 1, "title": "First steps", "children": ["unit-a", "unit-b"],
                       "attributes": {"format": "Homework", "graded": True, "weights": [1, 2.5]}}]},
        {"key": "more", "container_type": "subsection", "created": T1, "draft_version": 1,
         "versions": [{"version_num": 1, "title": "More (unpublished)", "children": ["unit-b"]}]},
        {"key": "unit-a", "container_type": "unit", "created": T0, "draft_version": 3, "published_version": 2,
         "versions": [
             {"version_num": 2, "title": "Unit A", "children": [html]},
             {"version_num": 3, "title": "Unit A (edited)", "children": [html, problem, video]},
         ], "x_unit_note": "kept"},
        {"key": "unit-b", "container_type": "unit", "created": T0, "draft_version": 1, "published_version": 1,
         "versions": [{"version_num": 1, "title": "", "children": []}]},
        {"key": "standalone-unit", "container_type": "unit", "created": T0, "draft_version": 1,
         "published_version": 1, "versions": [{"version_num": 1, "title": "Standalone", "children": [problem]}]},
        _component(html, [
            {"version_num": 1, "title": "Intro", "created": T0,
             "media": {"block.xml": {"text": '<html display_name="Intro"><![CDATA[<p>Hello</p>]]></html>\n'}}},
            {"version_num": 2, "title": "Intro \u2603", "created": T1,
             "media": {"block.xml": {"text": '<html display_name="Intro"><![CDATA[<img src="/static/dot.png"/>'
                                             ' <a href="/static/notes/read%20me.txt">n</a>]]></html>\n'},
                       "static/dot.png": _b64(PNG),
                       "static/notes/read me.txt": {"text": "line 1\r\nline 2\n\u00e9\u4e2d\n"}}},
        ], draft=2, published=1),
        _component(problem, [
            {"version_num": 1, "title": "Q1",
             "media": {"block.xml": {"text": "<problem><multiplechoiceresponse/></problem>"},
                       "hello.txt": _b64(LATIN1)},
             "x_version_note": {"nested": [1, "two", None]}},
        ], draft=1, published=1),
        _component(video, [
            {"version_num": 1, "title": "Video",
             "media": {"block.xml": {"text": '<video youtube_id_1_0="abc" sub="empty.srt"/>'},
                       "static/empty.srt": {"text": ""}}},
        ], draft=None, published=1),
        _component(loose, [
            {"version_num": 1, "title": "Loose", "media": {"block.xml": {"text": "<html/>"}}},
        ], draft=1, published=None),
    ]
    return {
        "meta": {"format_version": 1, "created_by": "ada", "created_by_email": "ada@example.com",
                 "created_at": T1, "origin_server": "studio.example.com", "x_meta_note": "m"},
        "learning_package": {"key": "lib:Org:FULL", "title": "Everything", "description": "Line 1\nLine 2 \u00e9",
                             "created": T0, "updated": T1, "x_lp_note": 7},
        "entities": entities,
        "collections": [
            {"key": "starter", "title": "Starter kit", "description": "The basics", "created": T0,
             "entities": [html, "unit-a"]},
            {"key": "empty.one", "title": "Empty", "entities": []},
        ],
        "root": {"kind": "course", "attributes": {"display_name": "Everything", "start": "2025-01-01T00:00:00Z",
                                                  "advanced_modules": ["poll", "survey"]},
                 "children": ["week-1"]},
        "files": {"policies/course/policy.json": {"text": '{"course/course": {}}\n'},
                  "static/logo.png": _b64(PNG),
                  "about/overview.html": {"text": "<p>About</p>"}},
        "x_package_note": {"why": "unknown top-level field"},
    }


def library_data() -> dict[str, Any]:
    """A v2-library-like package: no root, no files, no attributes, no unknown fields."""
    data = full_data()
    for name in ("root", "files", "x_package_note"):
        data.pop(name)
    data["meta"].pop("x_meta_note")
    data["learning_package"].pop("x_lp_note")
    for entity in data["entities"]:
        entity.pop("x_unit_note", None)
        for version in entity["versions"]:
            version.pop("attributes", None)
            version.pop("x_version_note", None)
    return data


FIXTURES = {"full": full_data, "library": library_data}


def build(name: str) -> Package:
    return Package(CompletePackageInput.model_validate(FIXTURES[name]()))
