"""Common Cartridge in: real cartridges from Canvas, Brightspace, LibreTexts, SERC and cc2olx read into the hub.

The plugin is a separate distribution (plugins/lpconvert-imscc); here it is put on sys.path and
registered with `lpconvert.testing.use_plugins`, as its author tests it before packaging.
Expected numbers come from the cartridges themselves, counted here with lxml (`expected_kinds`),
never from the reader.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers.imscc import CARTRIDGES, expected_kinds, imscc_format, imscc_plugin, named, question_kinds  # noqa: F401  (the fixture registers the plugin)
from helpers.paths import corpus
from lxml import etree

import lpconvert
from lpconvert.testing import check_plugin, use_plugins

# --------------------------------------------------------------------------- helpers


def read(path: Path | str) -> lpconvert.ReadResult:
    result = lpconvert.read(str(path))
    assert result.package is not None, [p.render() for p in result.problems]
    return result


def kinds(result: Any) -> Counter[str]:
    names = {"xblock.v1:html": "html", "xblock.v1:problem": "problem", "xblock.v1:discussion": "discussion",
             "xblock.v1:lti_consumer": "lti_consumer"}
    return Counter(names.get(e.kind, e.kind) for e in result.package.model.entities if e.container_type is None)


def titled(result: Any, title: str) -> Any:
    found = [e for e in result.package.model.entities if e.current_version.title == title]
    assert found, f"no entity titled {title!r}"
    return found[0]


def block_xml(entity: Any) -> str:
    return entity.current_version.media["block.xml"].text


def cartridge(tmp_path: Path, manifest: str, files: dict[str, bytes | str] | None = None) -> Path:
    """A small cartridge zip written in the test: the manifest and the files given."""
    path = tmp_path / "course.imscc"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("imsmanifest.xml", manifest)
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return path


def manifest(organization: str, resources: str, title: str = "Tiny course") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="m1" xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
  xmlns:lomm="http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest">
  <metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion>
    <lomm:lom><lomm:general><lomm:title><lomm:string>{title}</lomm:string></lomm:title></lomm:general></lomm:lom>
  </metadata>
  <organizations><organization identifier="org" structure="rooted-hierarchy"><item identifier="root">
{organization}
  </item></organization></organizations>
  <resources>
{resources}
  </resources>
</manifest>"""


def outline(result: Any) -> list[tuple[int, str, str]]:
    """(depth, kind, title) of the course tree, depth-first."""
    model = result.package.model
    ents = model.entity_map()
    out: list[tuple[int, str, str]] = []

    def walk(key: str, depth: int) -> None:
        ent = ents[key]
        out.append((depth, ent.kind, ent.current_version.title))
        for child in ent.current_version.children or []:
            walk(child, depth + 1)

    for key in model.root.children if model.root else []:
        walk(key, 0)
    return out


# --------------------------------------------------------------------------- the plugin


def test_the_plugin_meets_the_contract() -> None:
    assert check_plugin(imscc_plugin) == []


@pytest.mark.parametrize("name", CARTRIDGES)
def test_every_corpus_cartridge_is_recognised_and_read_without_errors(name: str) -> None:
    result = read(corpus(f"cc/{name}"))
    assert result.format == "imscc"
    assert not [p.render() for p in result.problems if p.is_error]


def test_an_olx_course_is_not_taken_for_a_cartridge() -> None:
    result = lpconvert.read(str(corpus("olx/olx-example-course.tar.gz")))
    assert result.format == "olx"


# --------------------------------------------------------------------------- counts


@pytest.mark.parametrize("name", CARTRIDGES)
def test_component_counts_match_an_independent_count_of_the_manifest_and_qti(name: str) -> None:
    path = corpus(f"cc/{name}")
    assert kinds(read(path)) == expected_kinds(path)


def test_the_independent_count_sees_what_the_corpus_readme_lists() -> None:
    """The counter itself, against numbers written by hand from the corpus README and the files."""
    assert expected_kinds(corpus("cc/libretexts-approaches-to-lit-1p1.imscc")) == Counter(html=54)
    assert expected_kinds(corpus("cc/serc-serckit-cc-1p0.imscc")) == Counter(html=31)
    assert expected_kinds(corpus("cc/brightspace-thin-cc-1p3.imscc")) == Counter(html=1)
    # every Canvas type once: MC, T/F, multiple answers, numerical, short answer -> problems;
    # essay and text only -> html; matching, dropdowns, calculated, file upload -> losses
    assert expected_kinds(corpus("cc/canvas-all-question-types.imscc")) == Counter(problem=4, html=2)


# --------------------------------------------------------------------------- structure


def test_nested_brightspace_items_become_section_subsection_unit() -> None:
    result = read(corpus("cc/brightspace-thin-cc-1p3.imscc"))
    assert outline(result) == [(0, "section", "Unit 1"), (1, "subsection", "Lesson 1"), (2, "unit", "i <3 ffmpeg"),
                               (3, "xblock.v1:html", "i <3 ffmpeg")]


def test_a_shallow_tree_gets_the_levels_it_lacks_named_after_its_module() -> None:
    result = read(corpus("cc/libretexts-approaches-to-lit-1p1.imscc"))
    tree = outline(result)
    assert tree[:3] == [(0, "section", "1: Introduction - What Is Literary Theory and Why Should I Care?"),
                        (1, "subsection", "1: Introduction - What Is Literary Theory and Why Should I Care?"),
                        (2, "unit", "1.1: Literary Snapshot- Alice\u2019s Adventures in Wonderland")]
    assert sum(1 for d, kind, _ in tree if kind == "section") == 12


def test_canvas_text_headers_start_a_subsection_of_their_own() -> None:
    result = read(corpus("cc/cc2olx-main.imscc"))
    subsections = [title for _, kind, title in outline(result) if kind == "subsection"]
    assert subsections == ["Sequence", "Sequence2", "Sub Header 1", "Sub Header 2"]


def test_a_flat_organization_gets_a_section_named_after_the_cartridge(tmp_path: Path) -> None:
    path = cartridge(tmp_path, manifest(
        '<item identifier="i1" identifierref="r1"><title>One</title></item>'
        '<item identifier="i2" identifierref="r1"><title>Two</title></item>',
        '<resource identifier="r1" type="webcontent" href="p.html"><file href="p.html"/></resource>',
        title="Flat course"), {"p.html": "<html><body><p>Hi</p></body></html>"})
    assert outline(read(path)) == [(0, "section", "Flat course"), (1, "subsection", "Flat course"),
                                   (2, "unit", "One"), (3, "xblock.v1:html", "One"),
                                   (2, "unit", "Two"), (3, "xblock.v1:html", "Two")]


def test_a_tree_deeper_than_three_levels_is_folded_and_the_report_says_so(tmp_path: Path) -> None:
    deep = """<item identifier="a"><title>A</title><item identifier="b"><title>B</title>
      <item identifier="c"><title>C</title><item identifier="d"><title>D</title>
        <item identifier="i1" identifierref="r1"><title>Deep page</title></item></item></item></item></item>"""
    path = cartridge(tmp_path, manifest(deep, '<resource identifier="r1" type="webcontent" href="p.html">'
                                        '<file href="p.html"/></resource>'), {"p.html": "<p>deep</p>"})
    result = read(path)
    assert outline(result) == [(0, "section", "A"), (1, "subsection", "B"), (2, "unit", "C"),
                               (3, "xblock.v1:html", "Deep page")]
    folded = [p for p in result.problems if "folded" in p.message]
    assert len(folded) == 1 and "D" in folded[0].message and folded[0].file == "imsmanifest.xml"
    assert folded[0].line == 9


# --------------------------------------------------------------------------- webcontent and files


def test_a_page_carries_the_files_it_links_under_the_names_it_uses() -> None:
    path = corpus("cc/cc2olx-main.imscc")
    result = read(path)
    page = titled(result, "Vertical")
    media = page.current_version.media
    assert set(media) == {"block.xml", "static/QuizImages/fractal.jpg"}
    with zipfile.ZipFile(path) as zf:
        assert result.package.read_media(media["static/QuizImages/fractal.jpg"]) == \
            zf.read("web_resources/QuizImages/fractal.jpg")
    xml = block_xml(page)
    assert 'src="/static/QuizImages/fractal.jpg"' in xml and "IMS-CC-FILEBASE" not in xml


def test_canvas_file_names_with_spaces_are_attached_and_linked(tmp_path: Path) -> None:
    result = read(corpus("cc/canvas-allyworkshop.imscc"))
    with_spaces = [(e, name) for e in result.package.model.entities if e.container_type is None
                   for name in e.current_version.media if " " in name]
    assert with_spaces, "the workshop links files under 'Course Files/...'"
    for entity, name in with_spaces:
        assert f'/static/{name[len("static/"):]}' in block_xml(entity)


def test_relative_and_percent_encoded_filebase_links_resolve(tmp_path: Path) -> None:
    page = ('<html><head><link rel="stylesheet" href="../../css/site.css"></head><body>'
            '<img src="../../img/a%20b.png"><a href="%24IMS-CC-FILEBASE%24/doc.pdf?download=1#p2">doc</a>'
            '<img src="missing.png"><img src="$IMS-CC-FILEBASE$/../img/up.png"></body></html>')
    path = cartridge(tmp_path, manifest(
        '<item identifier="i1" identifierref="r1"><title>Page</title></item>',
        '<resource identifier="r1" type="webcontent" href="pages/one/p.html"><file href="pages/one/p.html"/></resource>'
        '<resource identifier="r2" type="webcontent"><file href="web_resources/doc.pdf"/></resource>'),
        {"pages/one/p.html": page, "img/a b.png": b"PNG", "css/site.css": "p{}", "web_resources/doc.pdf": b"%PDF",
         "img/up.png": b"UP"})
    result = read(path)
    html = titled(result, "Page")
    assert set(html.current_version.media) == {"block.xml", "static/img/a b.png", "static/doc.pdf",
                                               "static/css/site.css", "static/img/up.png"}
    xml = block_xml(html)
    assert 'src="/static/img/a b.png"' in xml and 'href="/static/doc.pdf#p2"' in xml
    assert 'href="/static/css/site.css"' in xml and 'src="/static/img/up.png"' in xml
    missing = [p for p in result.problems if p.code == "missing-file" and "missing.png" in p.message]
    assert missing and missing[0].file == "pages/one/p.html" and missing[0].line == 1
    # the PDF is a file some page carries, so it is not also a loose course file
    assert "static/doc.pdf" not in result.package.model.files


def test_weblinks_show_their_link() -> None:
    result = read(corpus("cc/brightspace-thin-cc-1p3.imscc"))
    xml = block_xml(titled(result, "i <3 ffmpeg"))
    assert 'href="http://www.ffmpeg.tv/content.pdf"' in xml and "i &lt;3 ffmpeg" in xml


def test_discussions_keep_their_prompt() -> None:
    result = read(corpus("cc/cc2olx-main.imscc"))
    unit = next(e for e in result.package.model.entities
                if e.kind == "unit" and e.current_version.title == "Discussion")
    prompt, topic = (result.package.model.entity_map()[k] for k in unit.current_version.children)
    assert prompt.kind == "xblock.v1:html" and "Is 70 thousand written in standard form" in block_xml(prompt)
    assert topic.kind == "xblock.v1:discussion" and 'display_name="Discussion"' in block_xml(topic)


# --------------------------------------------------------------------------- LTI


def test_lti_links_keep_launch_title_description_and_custom_parameters_but_no_secret(tmp_path: Path) -> None:
    lti = """<?xml version="1.0"?><cartridge_basiclti_link xmlns="http://www.imsglobal.org/xsd/imslticc_v1p0"
      xmlns:blti="http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
      xmlns:lticm="http://www.imsglobal.org/xsd/imslticm_v1p0">
      <blti:title>Tool</blti:title><blti:description>Does things</blti:description>
      <blti:launch_url>http://tool.example/launch</blti:launch_url>
      <blti:secure_launch_url>https://tool.example/launch</blti:secure_launch_url>
      <blti:custom><lticm:property name="level">2</lticm:property></blti:custom>
      <blti:extensions platform="x"><lticm:property name="secret">s3cr3t</lticm:property></blti:extensions>
    </cartridge_basiclti_link>"""
    path = cartridge(tmp_path, manifest('<item identifier="i1" identifierref="r1"><title>Tool</title></item>',
                                        '<resource identifier="r1" type="imsbasiclti_xmlv1p0"><file href="lti.xml"/>'
                                        '</resource>'), {"lti.xml": lti})
    result = read(path)
    block = etree.fromstring(block_xml(titled(result, "Tool")))
    assert block.tag == "lti_consumer"
    assert block.get("launch_url") == "https://tool.example/launch"
    assert block.get("description") == "Does things"
    assert block.get("custom_parameters") == '["level=2"]'
    assert "s3cr3t" not in etree.tostring(block, encoding="unicode")
    warned = [p for p in result.problems if p.code == "loss" and "re-enter" in p.message]
    assert len(warned) == 1 and warned[0].file == "lti.xml"


# --------------------------------------------------------------------------- damage


def test_damage_in_the_corpora_is_reported_where_it_is() -> None:
    ally = read(corpus("cc/canvas-allyworkshop.imscc"))
    dangling = [p for p in ally.problems if p.code == "unresolved-child"]
    with zipfile.ZipFile(corpus("cc/canvas-allyworkshop.imscc")) as zf:
        tree = etree.fromstring(zf.read("imsmanifest.xml"))
    declared = {r.get("identifier") for r in named(tree, "resource")}
    lines = sorted(i.sourceline for i in named(tree, "item") if i.get("identifierref") not in (None, *declared))
    assert [(p.file, p.line) for p in dangling] == [("imsmanifest.xml", line) for line in lines]

    corner = read(corpus("cc/cc2olx-corner-cases.imscc"))
    missing = [p for p in corner.problems if p.code == "missing-file"]
    assert [(p.file, "migration_patterns.html" in p.message) for p in missing] == [("imsmanifest.xml", True)]
    assert all(p.line for p in missing)

    libre = read(corpus("cc/libretexts-approaches-to-lit-1p1.imscc"))
    repaired = [p for p in libre.problems if p.code == "xml-syntax"]
    assert len(repaired) == 54 and all(not p.is_error and p.file.endswith("_F.xml") and p.line == 2 for p in repaired)

    serc = read(corpus("cc/serc-serckit-cc-1p0.imscc"))
    assert sum("1 byte(s) long" in p.message for p in serc.problems) == 31


def test_an_attribute_declared_twice_is_read_and_reported(tmp_path: Path) -> None:
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    link = ('<?xml version="1.0"?>\n<webLink xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3"\n'
            f' {xsi} {xsi}><title>Twice</title><url href="https://example.org/"/></webLink>')
    path = cartridge(tmp_path, manifest('<item identifier="i1" identifierref="r1"><title>Twice</title></item>',
                                        '<resource identifier="r1" type="imswl_xmlv1p3"><file href="l.xml"/>'
                                        '</resource>'), {"l.xml": link})
    result = read(path)
    assert 'href="https://example.org/"' in block_xml(titled(result, "Twice"))
    reported = [p for p in result.problems if p.code == "xml-syntax"]
    assert [(p.file, p.is_error, "second of two same-named attributes dropped" in p.message) for p in reported] == \
        [("l.xml", False, True)]


def test_a_broken_xml_file_is_one_error_and_the_rest_is_read(tmp_path: Path) -> None:
    path = cartridge(tmp_path, manifest(
        '<item identifier="m"><title>M</title><item identifier="i1" identifierref="r1"><title>Bad</title></item>'
        '<item identifier="i2" identifierref="r2"><title>Good</title></item></item>',
        '<resource identifier="r1" type="imswl_xmlv1p3"><file href="bad.xml"/></resource>'
        '<resource identifier="r2" type="webcontent" href="ok.html"><file href="ok.html"/></resource>'),
        {"bad.xml": "<webLink><title>x</title>\n<url href='a'></webLink>", "ok.html": "<p>fine</p>"})
    result = lpconvert.read(str(path))
    errors = [p for p in result.problems if p.is_error]
    assert [(p.code, p.file, p.line) for p in errors] == [("xml-syntax", "bad.xml", 2)]


def test_a_cartridge_without_a_readable_manifest_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = cartridge(tmp_path, '<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"><oops></manifest>')
    result = lpconvert.read(str(path), format="imscc")
    assert result.package is None
    assert [(p.code, p.file) for p in result.problems if p.is_error][:1] == [("xml-syntax", "imsmanifest.xml")]


# --------------------------------------------------------------------------- loose resources and Canvas


def test_resources_no_item_shows_arrive_in_a_collection_by_kind() -> None:
    groups = read(corpus("cc/canvas-quiz-groups.imscc"))
    banks = {c.key: c for c in groups.package.model.collections}
    with zipfile.ZipFile(corpus("cc/canvas-quiz-groups.imscc")) as zf:
        bank = etree.fromstring(zf.read("non_cc_assessments/g9d54a0ba5f6893a5aeeebb7535da09dc.xml.qti"))
    assert len(banks["question-banks"].entities) == sum(question_kinds(bank).values())

    gem = read(corpus("cc/canvas-cc-gem-course-1p1.imscc"))
    assert {c.key: len(c.entities) for c in gem.package.model.collections} == {"assignments": 3}
    assert sum("assignment" in p.message and p.code == "loss" for p in gem.problems) == 3


def test_every_unsupported_question_is_a_loss_named_with_its_title() -> None:
    result = read(corpus("cc/canvas-all-question-types.imscc"))
    losses = {p.message for p in result.problems if p.code == "loss"}
    for title, kind in [("Yo, match this!", "matching_question"), ("simple", "calculated_question"),
                        ("FILEZ", "file_upload_question"), ("Question", "multiple_dropdowns_question")]:
        assert any(f"'{title}' ({kind})" in m for m in losses), (title, losses)
    assert any("essay question 'Tell me what you think'" in m for m in losses)


def _problem(result: Any, text: str) -> etree._Element:
    for e in result.package.model.entities:
        if e.kind == "xblock.v1:problem" and text in block_xml(e):
            return etree.fromstring(block_xml(e))
    raise AssertionError(f"no problem mentions {text!r}")


def test_canvas_question_types_become_the_matching_capa_problems() -> None:
    result = read(corpus("cc/canvas-all-question-types.imscc"))
    mc = _problem(result, "RED")
    assert [c.text for c in mc.iter("choice") if c.get("correct") == "true"] == ["3"]
    assert {c.text: c.findtext("choicehint") for c in mc.iter("choice")}["1"] == "<p>add 2</p>" or \
        mc.xpath("string(.//choice[1]/choicehint)") == "add 2"
    tf = _problem(result, "Dogs are insects")
    assert [c.text for c in tf.iter("choice") if c.get("correct") == "true"] == ["False"]
    multi = _problem(result, "Pick all letters")
    assert multi.find("choiceresponse") is not None
    assert sorted(c.text for c in multi.iter("choice") if c.get("correct") == "true") == ["A", "B", "C"]
    number = _problem(result, "100/3")
    response = number.find("numericalresponse")
    assert response.get("answer") == "33.33"
    assert float(response.find("responseparam").get("default")) == pytest.approx(0.01)
    assert number.get("weight") == "1"


def test_short_answers_keep_every_accepted_answer(tmp_path: Path) -> None:
    qti = """<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2"><assessment ident="a" title="Q">
      <section ident="root_section"><item ident="q1" title="Capital">
        <itemmetadata><qtimetadata><qtimetadatafield><fieldlabel>cc_profile</fieldlabel>
          <fieldentry>cc.fib.v0p1</fieldentry></qtimetadatafield></qtimetadata></itemmetadata>
        <presentation><material><mattext texttype="text/html">&lt;p&gt;Capital of France?&lt;/p&gt;</mattext></material>
          <response_str ident="r"><render_fib/></response_str></presentation>
        <resprocessing><respcondition><conditionvar><varequal respident="r">Paris</varequal>
          <varequal respident="r">paris, France</varequal></conditionvar>
          <setvar action="Set" varname="SCORE">100</setvar></respcondition></resprocessing>
      </item></section></assessment></questestinterop>"""
    path = cartridge(tmp_path, manifest('<item identifier="i1" identifierref="r1"><title>Quiz</title></item>',
                                        '<resource identifier="r1" type="imsqti_xmlv1p2/imscc_xmlv1p3/assessment">'
                                        '<file href="q.xml"/></resource>'), {"q.xml": qti})
    problem = etree.fromstring(block_xml(titled(read(path), "Capital")))
    response = problem.find("stringresponse")
    assert response.get("answer") == "Paris" and response.get("type") == "ci"
    assert [a.get("answer") for a in response.iter("additional_answer")] == ["paris, France"]
    assert response.findtext("label/p") == "Capital of France?"


def test_the_html_preview_shows_the_quiz_questions(tmp_path: Path) -> None:
    """What a person previewing an imported cartridge sees (the html plugin, also a separate distribution)."""
    from helpers.plugins import html_plugin
    from lxml import html as lxml_html

    with use_plugins(imscc_plugin, html_plugin):
        site = tmp_path / "site"
        converted = lpconvert.convert(str(corpus("cc/canvas-all-question-types.imscc")), str(site), to="html")
        assert converted.ok, [p.render() for p in converted.problems if p.is_error]
    text = " ".join(" ".join(lxml_html.fromstring(p.read_bytes()).itertext()) for p in site.rglob("*.html"))
    for question in ("How many letters does the word", "Dogs are insects", "Pick all letters of the Alphabet",
                     "100/3 = ?", "Write an Essay"):
        assert question in text, question


def test_question_groups_that_pick_at_random_are_named_and_the_others_are_not() -> None:
    path = corpus("cc/canvas-quiz-groups.imscc")
    expected = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(n for n in zf.namelist() if n.endswith(".xml.qti")):
            for section in named(etree.fromstring(zf.read(name)), "section"):
                own = "*[local-name()='selection_ordering']//*[local-name()='selection_number']"
                picks = section.xpath(f"string({own})")
                if picks and int(picks) < len(named(section, "item")):
                    expected.append((name, section.sourceline))
    assert expected, "the corpus has groups that pick fewer questions than they hold"
    reported = sorted((p.file, p.line) for p in read(path).problems if "at random" in p.message)
    assert reported == expected


def test_discussion_attachments_are_linked_under_the_prompt_and_carried(tmp_path: Path) -> None:
    topic = ('<topic xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3"><title>Talk</title>'
             '<text texttype="text/html">&lt;p&gt;Discuss.&lt;/p&gt;</text>'
             '<attachments><attachment href="files/brief.pdf"/></attachments></topic>')
    path = cartridge(tmp_path, manifest('<item identifier="i1" identifierref="r1"><title>Talk</title></item>',
                                        '<resource identifier="r1" type="imsdt_xmlv1p3"><file href="t/topic.xml"/>'
                                        '<file href="t/files/brief.pdf"/></resource>'),
                     {"t/topic.xml": topic, "t/files/brief.pdf": b"%PDF-1"})
    prompt = titled(read(path), "Talk")
    assert prompt.kind == "xblock.v1:html"
    assert '<a href="/static/t/files/brief.pdf">brief.pdf</a>' in block_xml(prompt)
    assert "static/t/files/brief.pdf" in prompt.current_version.media


def test_canvas_course_settings_are_named_as_not_read() -> None:
    result = read(corpus("cc/cc2olx-main.imscc"))
    assert sum("course settings" in p.message and p.code == "loss" for p in result.problems) == 1


# --------------------------------------------------------------------------- a resource's main file


PAGE = "<html><head><title>Retrieve</title></head><body><p>The page itself</p></body></html>"


def test_an_href_naming_no_file_means_the_resources_only_file(tmp_path: Path) -> None:
    """Canvas writes href="wiki_content/page" for wiki_content/page.html: the page is a component, not a file."""
    path = cartridge(tmp_path, manifest(
        '<item identifier="i1" identifierref="r1"><title>Shown</title></item>',
        '<resource identifier="r1" type="webcontent" href="wiki_content/shown"><file href="wiki_content/shown.html"/>'
        '</resource>'
        '<resource identifier="r2" type="webcontent" href="wiki_content/loose"><file href="wiki_content/loose.html"/>'
        '</resource>'),
        {"wiki_content/shown.html": PAGE, "wiki_content/loose.html": PAGE.replace("itself", "no item shows")})
    result = read(path)
    shown = titled(result, "Shown")
    assert shown.kind == "xblock.v1:html" and "<p>The page itself</p>" in block_xml(shown)
    loose = titled(result, "Retrieve")  # no item: titled by the page's <title>
    assert "no item shows" in block_xml(loose)
    pages = next(c for c in result.package.model.collections if c.key == "pages")
    assert pages.entities == [loose.key]
    assert result.package.model.files == {}, "neither page is also a loose course file"
    assert not [p.render() for p in result.problems if p.code == "missing-file"]


def test_an_href_naming_no_file_is_reported_when_the_resource_lists_several(tmp_path: Path) -> None:
    path = cartridge(tmp_path, manifest(
        '<item identifier="i1" identifierref="r1"><title>Which one</title></item>',
        '<resource identifier="r1" type="webcontent" href="pages/p"><file href="pages/a.html"/>'
        '<file href="pages/b.html"/></resource>'),
        {"pages/a.html": PAGE, "pages/b.html": PAGE})
    result = read(path)
    missing = [p for p in result.problems if p.code == "missing-file"]
    assert [(p.file, "names pages/p," in p.message) for p in missing] == [("imsmanifest.xml", True)]
    assert set(result.package.model.files) == {"static/pages/a.html", "static/pages/b.html"}


def test_the_cc2olx_page_whose_href_lacks_html_is_an_html_component() -> None:
    result = read(corpus("cc/cc2olx-main.imscc"))
    page = result.package.model.entity_map()["xblock.v1:html:resource_external_tool_retrieve"]
    assert "external_tools/retrieve" in block_xml(page)
    assert "static/wiki_content/external_tool_retrieve.html" not in result.package.model.files
    assert not [p for p in result.problems if "external_tool_retrieve" in p.message]


# --------------------------------------------------------------------------- course settings

LTI_LINK = """<?xml version="1.0"?><cartridge_basiclti_link xmlns="http://www.imsglobal.org/xsd/imslticc_v1p0"
  xmlns:blti="http://www.imsglobal.org/xsd/imsbasiclti_v1p0"><blti:title>Tool</blti:title>
  <blti:launch_url>https://tool.example/launch</blti:launch_url></cartridge_basiclti_link>"""


def _page_and_lti(tmp_path: Path) -> Path:
    return cartridge(tmp_path, manifest(
        '<item identifier="i1" identifierref="r1"><title>Page</title></item>'
        '<item identifier="i2" identifierref="r2"><title>Tool</title></item>',
        '<resource identifier="r1" type="webcontent" href="p.html"><file href="p.html"/></resource>'
        '<resource identifier="r2" type="imsbasiclti_xmlv1p0"><file href="lti.xml"/></resource>'),
        {"p.html": PAGE, "lti.xml": LTI_LINK})


def test_a_cartridge_to_lp_archive_reports_no_policy_it_never_had(tmp_path: Path) -> None:
    source = _page_and_lti(tmp_path)
    assert read(source).package.model.files == {}, "the reader invents no course settings"
    converted = lpconvert.convert(str(source), str(tmp_path / "course.zip"), to="lp-archive")
    assert converted.ok
    assert not [p.render() for p in converted.problems if "policies/" in p.message or p.field == "package-files"]


def test_a_cartridge_to_olx_has_studios_course_policy(tmp_path: Path) -> None:
    source = _page_and_lti(tmp_path)
    assert lpconvert.convert(str(source), str(tmp_path / "course.tar.gz")).ok
    with lpconvert.read(str(tmp_path / "course.tar.gz")) as back:
        assert back.format == "olx" and back.package is not None
        model = back.package.model
        assert model.learning_package.title == "Tiny course"
        policy = json.loads(back.package.read_media(model.files["policies/cartridge/policy.json"]))
        grading = json.loads(back.package.read_media(model.files["policies/cartridge/grading_policy.json"]))
    assert policy == {"course/cartridge": {"start": "2030-01-01T00:00:00Z", "advanced_modules": ["lti_consumer"]}}
    assert grading["GRADE_CUTOFFS"] == {"Pass": 0.5} and len(grading["GRADER"]) == 4


def test_a_page_no_item_shows_reaches_the_olx_course(tmp_path: Path) -> None:
    source = cartridge(tmp_path, manifest(
        '<item identifier="i1" identifierref="r1"><title>Shown</title></item>',
        '<resource identifier="r1" type="webcontent" href="a.html"><file href="a.html"/></resource>'
        '<resource identifier="r2" type="webcontent" href="b.html"><file href="b.html"/></resource>'),
        {"a.html": PAGE, "b.html": PAGE.replace("itself", "no module shows")})
    assert lpconvert.convert(str(source), str(tmp_path / "course.tar.gz")).ok
    with lpconvert.read(str(tmp_path / "course.tar.gz")) as back:
        assert back.package is not None
        blocks = [back.package.read_media(e.current_version.media["block.xml"]).decode()
                  for e in back.package.model.entities if e.kind == "xblock.v1:html"]
    assert sum("no module shows" in b for b in blocks) == 1
