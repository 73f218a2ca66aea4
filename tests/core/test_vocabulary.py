"""The model's shared names, defined once: the hierarchy, OLX's container tags, and which
attribute names XML (and so Studio's OLX parser) can carry.

The OLX writer and the clipboard used two different name rules: one refused every non-ASCII
name (``données`` was dropped as a loss), the other let through names lxml refuses (``a²``),
which crashed the clipboard. Both now follow XML 1.0's Name production; the cases below
fail under either old rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import lpconvert
import lpconvert.plugin
from lpconvert.clipboard import Clipboard, from_staged_content, to_staged_content
from lpconvert.model import CONTAINER_TYPES, CompletePackageInput
from lpconvert.package import Package
from lpconvert.vocabulary import CHILD_TYPE, OLX_TAG, is_xml_name

# Names XML 1.0 (fifth edition) allows without a prefix, beyond ASCII letters: accented Latin,
# a combining mark and a middle dot after the first character, CJK, Arabic-Indic digits.
XML_NAMES = ["grade", "_x", "a-b.c", "données", "Größe", "x\u0300", "a\u00b7b", "題名", "\u0663", "a\u203fb"]
# What lxml refuses: a superscript digit (a Unicode "word" character but no NameChar), a leading
# digit or dot, a space, a colon (a prefix), a trailing newline, an arrow, an empty name.
NOT_XML_NAMES = ["a²", "1a", ".a", "a b", "a:b", "grade\n", "a\u2190", ""]


@pytest.mark.parametrize("name", XML_NAMES)
def test_xml_names_are_names_and_lxml_agrees(name: str) -> None:
    assert is_xml_name(name)
    etree.Element("x").set(name, "1")  # what Studio's parser will meet


@pytest.mark.parametrize("name", NOT_XML_NAMES)
def test_names_lxml_refuses_are_not_names(name: str) -> None:
    assert not is_xml_name(name)
    with pytest.raises(ValueError):
        etree.Element("x").set(name, "1")


def test_the_hierarchy_follows_the_models_container_order() -> None:
    below = [*CONTAINER_TYPES[1:], None]
    assert CHILD_TYPE == dict(zip(CONTAINER_TYPES, below, strict=True))
    assert set(OLX_TAG) == set(CONTAINER_TYPES)
    assert OLX_TAG["unit"] == "vertical" and OLX_TAG["section"] == "chapter"


def test_plugins_get_the_same_objects() -> None:
    assert lpconvert.plugin.OLX_TAG is OLX_TAG
    assert lpconvert.plugin.is_xml_name is is_xml_name


def _unit_with(attributes: dict[str, object]) -> Package:
    html = {"version_num": 1, "title": "T", "media": {"block.xml": {"text": "<html><![CDATA[<p>x</p>]]></html>"}}}
    return Package(CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:Org:Lib", "title": "Lib"},
        "entities": [
            {"key": "xblock.v1:html:a", "versions": [html], "draft_version": 1, "published_version": 1},
            {"key": "u", "container_type": "unit", "draft_version": 1, "published_version": 1,
             "versions": [{"version_num": 1, "title": "U", "children": ["xblock.v1:html:a"],
                           "attributes": attributes}]},
        ]}))


def test_olx_keeps_a_non_ascii_attribute_and_reports_one_xml_cannot_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = lpconvert.write(_unit_with({"données": "oui", "a²": "non", "grade\n": "x"}), str(out), "olx")
    assert written.ok, written.problems
    losses = [p.message for p in written.problems if p.code == "loss"]
    assert any("'a²' (not an XML name)" in m and "'grade\\n'" in m for m in losses), losses
    assert not any("données" in m for m in losses), losses
    with lpconvert.read(str(out)) as back:
        assert back.package is not None
        assert back.package.model.entity_map()["u"].current_version.attributes == {"données": "oui"}


def test_the_clipboard_keeps_every_attribute_name_through_staged_content() -> None:
    """A name XML cannot carry goes into lpconvert's JSON attribute instead of crashing lxml."""
    clipboard = Clipboard.model_validate({
        "root": "u",
        "items": [
            {"key": "u", "container_type": "unit", "title": "U", "children": ["xblock.v1:html:a"],
             "attributes": {"données": "oui", "a²": "non"}},
            {"key": "xblock.v1:html:a", "title": "T",
             "media": {"block.xml": {"text": "<html><![CDATA[<p>x</p>]]></html>"}}},
        ]})
    staged = to_staged_content(clipboard)
    assert etree.fromstring(staged.olx.encode()).get("données") == "oui"
    assert from_staged_content(staged).items[0].attributes == {"données": "oui", "a²": "non"}
