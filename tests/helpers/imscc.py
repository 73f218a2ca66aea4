"""The imscc plugin for tests, and an independent count of what a cartridge should become.

The plugin is a separate distribution (plugins/lpconvert-imscc), imported from its source by
`helpers.plugins`; the `imscc_format` fixture registers it for a test, as its author tests it
before packaging. `expected_kinds` counts a cartridge's components from its manifest and QTI with lxml
alone, never with the reader under test.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from helpers.paths import CORPORA
from helpers.plugins import imscc_plugin
from lpconvert.testing import use_plugins

CARTRIDGES = sorted(p.name for p in (CORPORA / "cc").glob("*.imscc")) if CORPORA else []

# --------------------------------------------------------------------------- an independent count

SUPPORTED_QUESTIONS = {
    "multiple_choice_question": "problem", "cc.multiple_choice.v0p1": "problem",
    "true_false_question": "problem", "cc.true_false.v0p1": "problem",
    "multiple_answers_question": "problem", "cc.multiple_response.v0p1": "problem",
    "short_answer_question": "problem", "cc.fib.v0p1": "problem", "numerical_question": "problem",
    "essay_question": "html", "cc.essay.v0p1": "html", "text_only_question": "html",
}
"""What each question type becomes (docs/formats/imscc.md); any other type is a named loss."""


def _xml(zf: zipfile.ZipFile, name: str) -> etree._Element | None:
    if name not in zf.namelist():
        return None
    data = zf.read(name).removeprefix(b"\xef\xbb\xbf").replace(b"http: //", b"http://")
    return etree.fromstring(data)


def named(el: etree._Element, name: str) -> list[etree._Element]:
    return el.xpath(f".//*[local-name()='{name}']")


def question_kinds(root: etree._Element) -> Counter[str]:
    out: Counter[str] = Counter()
    for item in named(root, "item"):
        fields = {f.xpath("string(*[local-name()='fieldlabel'])"): f.xpath("string(*[local-name()='fieldentry'])")
                  for f in named(item, "qtimetadatafield")}
        kind = SUPPORTED_QUESTIONS.get(fields.get("question_type") or fields.get("cc_profile") or "")
        if kind:
            out[kind] += 1
    return out


def expected_kinds(path: Path) -> Counter[str]:
    """Components a cartridge should become, counted from its manifest and QTI with lxml alone.

    A resource's main file is its href, or its only listed file when the href names no file
    of the zip. Each resource counts once per item that shows it (an Open edX block has one parent), or once
    if no item shows it and no other resource depends on it (a loose component). A quiz is read
    from Canvas's complete `.xml.qti` when that file has at least as many items as the CC one.
    """
    zf = zipfile.ZipFile(path)
    manifest = _xml(zf, "imsmanifest.xml")
    assert manifest is not None
    resources = {r.get("identifier"): r for r in named(manifest, "resource")}
    uses = Counter(i.get("identifierref") for i in named(manifest, "item") if i.get("identifierref"))
    depended = {d.get("identifierref") for d in named(manifest, "dependency")}
    files = {r: [f.get("href") for f in named(res, "file")] for r, res in resources.items()}
    quiz_canvas_files = set()
    for ident, res in resources.items():
        if res.get("type", "").startswith("imsqti"):
            for dep in named(res, "dependency"):
                quiz_canvas_files.update(f for f in files.get(dep.get("identifierref"), []) if f.endswith(".xml.qti"))
    out: Counter[str] = Counter()
    for ident, res in resources.items():
        times = uses[ident] or (0 if ident in depended else 1)
        kind, main = res.get("type", ""), res.get("href") or (files[ident][0] if files[ident] else None)
        if main not in zf.namelist() and len(files[ident]) == 1 and files[ident][0] in zf.namelist():
            main = files[ident][0]  # an href naming no file means the resource's only file
        one: Counter[str] = Counter()
        if kind == "webcontent" and main in zf.namelist():
            if uses[ident] or main.endswith(".html"):
                one["html"] = 1
        elif kind.startswith("imswl") and main in zf.namelist():
            one["html"] = 1
        elif kind.startswith("imsdt") and main in zf.namelist():
            one["discussion"] = 1
            one["html"] = 1 if named(_xml(zf, main), "text")[0].text.strip() else 0
        elif kind.startswith("imsbasiclti") and main in zf.namelist():
            one["lti_consumer"] = 1
        elif kind.startswith("assignment") and main in zf.namelist():
            one["html"] = 1
        elif kind.startswith("imsqti") and main in zf.namelist():
            canvas = [f for d in named(res, "dependency") for f in files.get(d.get("identifierref"), [])
                      if f.endswith(".xml.qti")]
            qti = _xml(zf, main)
            if canvas and len(named(_xml(zf, canvas[0]), "item")) >= len(named(qti, "item")):
                qti = _xml(zf, canvas[0])
            one = question_kinds(qti)
        elif kind.startswith("associatedcontent"):
            bank = files[ident]
            if len(bank) == 1 and bank[0].endswith(".xml.qti") and bank[0] not in quiz_canvas_files:
                one = question_kinds(_xml(zf, bank[0]))
            elif any(f.endswith("assignment_settings.xml") for f in bank) and main in zf.namelist():
                one["html"] = 1
        for k, n in one.items():
            out[k] += n * times
    return +out


@pytest.fixture(autouse=True)
def imscc_format():
    with use_plugins(imscc_plugin) as registry:
        yield registry
