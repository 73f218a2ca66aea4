"""A small package built in code, for plugin tests that must not depend on files on disk.

It exercises what formats most often get wrong: a section -> subsection -> unit outline,
a draft ahead of its published version, a component never published, a component that no
unit holds, a collection, a binary static file next to an html block, and titles with
markup characters, quotes and non-ASCII text (escaping bugs show up here first). Every
version is either the draft or the published one, so formats that keep only those two
(lp-archive) can hold all of it.
"""

from __future__ import annotations

from typing import Any

from ..model import CompletePackageInput
from ..package import Package

LOGO_PNG_BASE64 = ("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGOQSzmBFTEMLQkAEihSgcW67YAAAAAASUVORK5C"
                   "YII=")
"""An 8x8 blue PNG."""

TRICKY_TITLE = 'Caf\u00e9 <b>&</b> "quotes" \u2014 \u00fcber'


def _text(text: str) -> dict[str, str]:
    return {"text": text}


def sample_data() -> dict[str, Any]:
    """The sample as plain data (what a reader would hand to validation)."""
    t0 = "2026-01-05T09:00:00Z"
    return {
        "meta": {"format_version": 1, "created_by": "sample", "created_by_email": "sample@example.com",
                 "created_at": "2026-01-10T12:00:00Z"},
        "learning_package": {"key": "lib:Sample:LPCONVERT", "title": "Sample library",
                             "description": "Built by lpconvert.testing for plugin tests.",
                             "created": t0, "updated": "2026-01-09T17:30:00Z"},
        "entities": [
            {"key": "week-1", "container_type": "section", "created": t0, "draft_version": 1,
             "published_version": 1,
             "versions": [{"version_num": 1, "title": "Week 1", "children": ["basics"]}]},
            {"key": "basics", "container_type": "subsection", "created": t0, "draft_version": 1,
             "published_version": 1,
             "versions": [{"version_num": 1, "title": TRICKY_TITLE, "children": ["lesson"]}]},
            {"key": "lesson", "container_type": "unit", "created": t0, "draft_version": 2, "published_version": 1,
             "versions": [
                 {"version_num": 1, "title": "Lesson", "children": ["xblock.v1:html:welcome"]},
                 {"version_num": 2, "title": "Lesson one",
                  "children": ["xblock.v1:html:welcome", "xblock.v1:problem:check"]},
             ]},
            {"key": "xblock.v1:html:welcome", "created": t0, "draft_version": 2, "published_version": 1,
             "versions": [
                 {"version_num": 1, "title": "Welcome",
                  "media": {"block.xml": _text('<html display_name="Welcome"><![CDATA[<p>Hello.</p>]]></html>')}},
                 {"version_num": 2, "title": "Welcome!",
                  "media": {"block.xml": _text('<html display_name="Welcome!"><![CDATA[<h2>Hello</h2>'
                                               '<p>Read this first. <img src="/static/logo.png" alt="Logo"/>'
                                               "</p>]]></html>"),
                            "static/logo.png": {"base64": LOGO_PNG_BASE64}}},
             ]},
            {"key": "xblock.v1:problem:check", "created": t0, "draft_version": 1, "published_version": None,
             "versions": [{"version_num": 1, "title": "Check",
                           "media": {"block.xml": _text(
                               '<problem display_name="Check"><stringresponse answer="blue">'
                               "<label>What colour is the logo?</label><textline/></stringresponse></problem>")}}]},
            {"key": "xblock.v1:video:intro", "created": t0, "draft_version": 1, "published_version": 1,
             "versions": [{"version_num": 1, "title": "Intro video",
                           "media": {"block.xml": _text('<video display_name="Intro video" '
                                                        'youtube_id_1_0="dQw4w9WgXcQ"/>')}}]},
        ],
        "collections": [
            {"key": "favourites", "title": "Favourites", "description": "Worth a second look.",
             "created": t0, "entities": ["xblock.v1:html:welcome", "xblock.v1:video:intro"]},
        ],
    }


def sample_model() -> CompletePackageInput:
    """The sample, validated into the hub model."""
    return CompletePackageInput.model_validate(sample_data())


def sample_package() -> Package:
    """The sample as a `Package` (all media inline, so nothing to close, but it is a context manager)."""
    return Package(sample_model(), source="lpconvert.testing.sample")
