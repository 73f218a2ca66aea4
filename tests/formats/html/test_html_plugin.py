"""The html plugin's site, rendered in-process: what a person browsing it sees, and what it refuses to run.

The plugin is a separate distribution (plugins/lpconvert-html) that lpconvert only finds
through its entry point; test_html_plugin_install.py installs it for real. Here it is put
on sys.path and registered with `lpconvert.testing.use_plugins`, the way its author would
test it before packaging, so these tests run fast and need no venv.
"""

from __future__ import annotations

import base64
import copy
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from helpers.paths import ROOT, corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

import lpconvert
from lpconvert.model import CompletePackageInput
from lpconvert.package import Package
from lpconvert.testing import check_plugin, use_plugins
from lpconvert.testing.sample import LOGO_PNG_BASE64, TRICKY_TITLE, sample_data

SMALL = ROOT / "fixtures" / "lp-archive" / "small-library"
from helpers.plugins import html_plugin

LOGO = SMALL / "entities/xblock.v1/html/intro/component_versions/v2/static/logo.png"


@pytest.fixture
def html_format():
    with use_plugins(html_plugin) as registry:
        yield registry


def _render(source: str | Path | Package, tmp_path: Path, **kw: Any) -> Path:
    out = tmp_path / "site"
    if isinstance(source, Package):
        result = lpconvert.write(source, str(out), "html", **kw)
        assert result.ok, [p.render() for p in result.problems]
    else:
        converted = lpconvert.convert(str(source), str(out), to="html", **kw)
        assert converted.ok, [p.render() for p in converted.problems]
    return out


def _page(path: Path) -> Any:
    return lxml_html.fromstring(path.read_bytes())


def _package(data: dict[str, Any]) -> Package:
    return Package(CompletePackageInput.model_validate(data))


def _with_html_component(content: str, title: str = "Hostile") -> dict[str, Any]:
    data = sample_data()
    for entity in data["entities"]:
        if entity["key"] == "xblock.v1:html:welcome":
            entity["versions"][1]["title"] = title
            entity["versions"][1]["media"]["block.xml"] = {"text": f"<html><![CDATA[{content}]]></html>"}
    return data


def _local_links(site: Path) -> list[tuple[Path, str]]:
    out = []
    for page in site.rglob("*.html"):
        for el in _page(page).iter():
            for attr in ("href", "src"):
                value = el.get(attr)
                if value and not urlsplit(value).scheme and not value.startswith("#"):
                    out.append((page, value))
    return out


# --------------------------------------------------------------------------- the site


def test_the_plugin_keeps_the_contract():
    assert check_plugin(html_plugin) == []


def test_index_shows_title_outline_and_collections(html_format, tmp_path):
    site = _render(SMALL, tmp_path)
    index = _page(site / "index.html")
    assert index.findtext(".//h1") == "Small Library"
    assert index.findtext(".//title") == "Small Library"
    outline = index.get_element_by_id("outline")
    section = outline.find(".//li[@class='section']")
    text = " ".join(section.text_content().split())
    assert text.index("Week 1") < text.index("Getting started") < text.index("First steps")
    unit_link = next(a for a in outline.iter("a") if a.text == "First steps")
    assert (site / unit_link.get("href")).is_file()
    collections = index.get_element_by_id("collections")
    assert "Starter kit" in collections.text_content()
    members = [a.text for a in collections.iter("a")]
    assert members == ["Introduction", "Welcome video"]


def test_every_relative_link_and_image_resolves(html_format, tmp_path):
    site = _render(SMALL, tmp_path)
    links = _local_links(site)
    assert len(links) > 10
    for page, value in links:
        parts = urlsplit(value)
        target = (page.parent / unquote(parts.path)).resolve()
        assert target.is_file(), f"{page.relative_to(site)} links to missing {value}"
        if parts.fragment and target.suffix == ".html":
            assert _page(target).get_element_by_id(unquote(parts.fragment), None) is not None, value


def test_unit_page_renders_html_content_and_the_image(html_format, tmp_path):
    site = _render(SMALL, tmp_path)
    unit = _page(site / "units" / "first-steps.html")
    card = unit.get_element_by_id("c-html-intro")
    assert [h.text for h in card.iter("h2")] == ["Introduction", "Welcome"]  # the content's <h2> is an element
    img = next(card.iter("img"))
    assert img.get("alt") == "Logo"
    assert (site / "units" / img.get("src")).resolve().read_bytes() == LOGO.read_bytes()
    assert "&lt;h2&gt;" not in (site / "units" / "first-steps.html").read_text()


def test_a_problem_is_readable_with_its_answer_folded(html_format, tmp_path):
    site = _render(SMALL, tmp_path)
    text = (site / "units" / "first-steps.html").read_text()
    card = _page(site / "units" / "first-steps.html").get_element_by_id("c-problem-quiz1")
    assert card.find(".//p[@class='question']").text == "Which format does Studio back libraries up to?"
    choices = [" ".join(li.text_content().split()) for li in card.find(".//ul[@class='choices']")]
    assert choices == ["\u25cb A zip of TOML files", "\u25cb A PDF"]
    answer = card.find(".//details[@class='answer']")
    assert answer.findtext("summary") == "Show answer"
    assert answer.find(".//li").text == "A zip of TOML files"
    assert "multiplechoiceresponse>" not in text and "choicegroup" not in text
    assert "never published" in card.text_content()


def test_components_outside_units_get_their_own_page(html_format, tmp_path):
    site = _render(SMALL, tmp_path)
    page = _page(site / "components" / "video-welcome.html")
    card = page.get_element_by_id("c-video-welcome")
    assert card.findtext(".//span[@class='kind']") == "Video"
    assert card.findtext(".//h2") == "Welcome video"
    assert [a.get("href") for a in card.iter("a")] == ["https://www.youtube.com/watch?v=dQw4w9WgXcQ"]


def test_the_site_says_what_it_does_not_show(html_format, tmp_path):
    result = lpconvert.convert(str(SMALL), str(tmp_path / "site"), to="html")
    assert [(p.code, p.field) for p in result.problems] == [("loss", "history")]
    refused = lpconvert.convert(str(SMALL), str(tmp_path / "strict"), to="html", strict=True)
    assert not refused.ok and not (tmp_path / "strict").exists()


def test_a_zipped_site_holds_the_same_pages(html_format, tmp_path):
    out = tmp_path / "site.zip"
    assert lpconvert.convert(str(SMALL), str(out), to="html").ok
    names = set(zipfile.ZipFile(out).namelist())
    assert {"index.html", "style.css", "units/first-steps.html", "media/html-intro/static/logo.png"} <= names


# --------------------------------------------------------------------------- strangers' content


def test_titles_are_escaped_not_interpreted(html_format, tmp_path):
    data = sample_data()
    data["learning_package"]["title"] = 'Lib "><script>alert(1)</script>'
    data["collections"][0]["title"] = "<img src=x onerror=alert(2)>"
    site = _render(_package(data), tmp_path)
    index = _page(site / "index.html")
    assert index.findtext(".//h1") == 'Lib "><script>alert(1)</script>'
    assert index.find(".//script") is None and index.find(".//main//img") is None
    subsection = index.get_element_by_id("s-basics")
    assert TRICKY_TITLE in subsection.text_content()
    assert subsection.find(".//b") is None


def test_scripts_and_handlers_in_html_components_never_reach_the_page(html_format, tmp_path):
    hostile = ('<p>kept <strong>bold</strong></p><script>steal()</script>'
               '<img src="x.png" onerror="steal()"><a href="javascript:steal()">a</a>'
               '<a href=" java\tscript:steal()">b</a><iframe src="https://evil.example"></iframe>'
               '<p style="color: red">red</p><p style="background: url(javascript:steal())">bg</p>'
               '<svg><a xlink:href="javascript:steal()"><text>t</text></a></svg>'
               '<style>body { display: none }</style><!-- <script>steal()</script> -->'
               '<noscript><p title="</noscript><img src=x onerror=steal()>">n</p></noscript>'
               '<svg><a><animate attributeName="href" values="javascript:steal()"/><text>s</text></a></svg>'
               '<a href="java&#x09;script:steal()">c</a><form action="https://evil.example"><input></form>'
               '<a href="https://example.org/ok" target="_blank">fine</a>')
    site = _render(_package(_with_html_component(hostile)), tmp_path)
    page_text = (site / "units" / "lesson.html").read_text()
    assert "steal()" not in page_text
    card = _page(site / "units" / "lesson.html").get_element_by_id("c-html-welcome")
    assert card.find(".//strong").text == "bold"
    assert card.find(".//iframe") is None and card.find(".//style") is None
    for el in card.iter():
        assert not [a for a in el.attrib if a.lower().startswith("on")], el.tag
    assert card.xpath(".//p[@style='color: red']")
    link = next(a for a in card.iter("a") if a.text == "fine")
    assert link.get("href") == "https://example.org/ok" and link.get("rel") == "noopener noreferrer"


def test_every_page_forbids_scripts(html_format, tmp_path):
    site = _render(SMALL, tmp_path)
    for page in site.rglob("*.html"):
        csp = _page(page).xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
        assert csp and "script-src 'none'" in csp[0], page


def test_problem_grading_code_is_left_out(html_format, tmp_path):
    data = sample_data()
    for entity in data["entities"]:
        if entity["key"] == "xblock.v1:problem:check":
            entity["versions"][0]["media"]["block.xml"] = {"text": (
                '<problem><script type="loncapa/python">secret_answer = 42</script>'
                '<p>How much?</p><numericalresponse answer="$secret_answer">'
                '<responseparam type="tolerance" default="5%"/><formulaequationinput/></numericalresponse>'
                '<optionresponse><optioninput options="(\'red\',\'blue\')" correct="blue"/></optionresponse>'
                '<solution><p>Because.</p></solution></problem>')}
    site = _render(_package(data), tmp_path)
    card = _page(site / "units" / "lesson.html").get_element_by_id("c-problem-check")
    text = " ".join(card.text_content().split())
    assert "secret_answer = 42" not in text
    assert "graded by code" in text
    assert "How much?" in text and "\u00b1 5%" in text
    assert [li.text for li in card.find(".//ul[@class='dropdown']")] == ["red", "blue"]
    assert card.find(".//details[@class='solution']/p").text == "Because."


def test_a_broken_block_shows_a_note_and_the_rest_of_the_unit(html_format, tmp_path):
    data = _with_html_component("ignored")
    for entity in data["entities"]:
        if entity["key"] == "xblock.v1:html:welcome":
            entity["versions"][1]["media"]["block.xml"] = {"text": "<html><p>unclosed</html"}
    site = _render(_package(data), tmp_path)
    unit = _page(site / "units" / "lesson.html")
    assert "could not be read" in unit.get_element_by_id("c-html-welcome").text_content()
    assert unit.get_element_by_id("c-problem-check") is not None


def test_course_static_files_referenced_by_content_are_copied(html_format, tmp_path):
    data = _with_html_component('<img src="/static/diagram.png" alt="d"><a href="/static/handout%20v2.pdf">h</a>')
    data["root"] = {"kind": "course", "children": ["week-1"]}
    data["files"] = {"static/diagram.png": {"base64": LOGO_PNG_BASE64},
                     "static/handout v2.pdf": {"text": "%PDF-fake"},
                     "static/unused.bin": {"base64": base64.b64encode(b"x" * 100).decode()}}
    site = _render(_package(copy.deepcopy(data)), tmp_path)
    assert (site / "static" / "diagram.png").read_bytes() == base64.b64decode(LOGO_PNG_BASE64)
    assert (site / "static" / "handout v2.pdf").read_text() == "%PDF-fake"
    assert not (site / "static" / "unused.bin").exists()
    card = _page(site / "units" / "lesson.html").get_element_by_id("c-html-welcome")
    assert next(card.iter("img")).get("src") == "../static/diagram.png"
    assert next(card.iter("a")).get("href") == "../static/handout%20v2.pdf"


# --------------------------------------------------------------------------- a real course


def test_the_demo_course_renders_with_working_links(html_format, tmp_path):
    source = corpus("olx/openedx-demo-course.tar.gz")
    with lpconvert.read(str(source)) as result:
        assert result.package is not None
        model = result.package.model
        units = [e for e in model.entities if e.container_type == "unit"]
        have_static = set(model.files) | {p for e in model.entities for v in e.versions for p in v.media}
        codes = {e.key.split(":", 2)[-1] for e in model.entities}
        site = _render(result.package, tmp_path)
    assert len(list((site / "units").glob("*.html"))) == len(units)
    index = _page(site / "index.html")
    sections = [li for li in index.get_element_by_id("outline").iter("li") if li.get("class") == "section"]
    assert len(sections) == len(model.root.children)
    generated = ("units/", "components/", "media/", "static/", "index.html", "style.css")
    checked = 0
    for page, value in _local_links(site):
        path = unquote(urlsplit(value).path)
        if path.removeprefix("../").startswith(generated):
            assert (page.parent / path).resolve().is_file(), f"{page.relative_to(site)}: {value}"
            checked += 1
        elif path.startswith("/static/"):
            assert "static/" + path[len("/static/"):] not in have_static, f"{value} was not copied"
        else:
            assert not path.startswith("/jump_to_id/") or path.split("/")[2] not in codes, value
    assert checked > 300


# --------------------------------------------------------------------------- what learners see


def test_the_published_view_shows_what_learners_see(html_format, tmp_path):
    site = _render(SMALL, tmp_path, write_options={"html_version": "published"})
    index = _page(site / "index.html")
    assert "showing published versions" in index.find(".//p[@class='facts']").text_content()
    unit = _page(site / "units" / "first-steps.html")
    titles = [h.text for h in unit.iter("h2")]
    assert titles == ["Intro"]  # v1 of the html block; the never-published problem is not there
    assert "Welcome to the course." in unit.text_content()
    assert unit.find(".//span[@class='badge']") is None
    drafts = _render(SMALL, tmp_path / "drafts")
    assert "showing drafts" in _page(drafts / "index.html").find(".//p[@class='facts']").text_content()


def test_an_unknown_view_is_refused_and_nothing_is_written(html_format, tmp_path):
    with pytest.raises(lpconvert.LpconvertError, match="html_version must be one of draft, published, not 'x'"):
        lpconvert.convert(str(SMALL), str(tmp_path / "site"), to="html", write_options={"html_version": "x"})
    assert not (tmp_path / "site").exists()


def test_keys_that_look_like_page_parts_do_not_collide(html_format, tmp_path):
    data = sample_data()
    renames = {"week-1": "components", "basics": "outline"}
    for entity in data["entities"]:
        entity["key"] = renames.get(entity["key"], entity["key"])
        for version in entity["versions"]:
            version["children"] = [renames.get(c, c) for c in version.get("children") or []] or None
    site = _render(_package(data), tmp_path)
    index = _page(site / "index.html")
    ids = [el.get("id") for el in index.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    assert index.get_element_by_id("components").tag == "section"
    crumbs = _page(site / "units" / "lesson.html").find(".//nav[@class='crumbs']")
    assert [a.get("href") for a in crumbs.iter("a")] == ["../index.html", "../index.html#s-components",
                                                          "../index.html#s-outline"]


# --------------------------------------------------------------------------- the sanitizer, fuzzed

_PIECES = st.sampled_from([
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:x()'>", "</a>", "<p>", "</p>",
    "<svg>", "<animate attributeName=href values=javascript:x()>", "<!--", "-->", "<noscript>", "</noscript>",
    "<style>", "</style>", "\"", "'", ">", "<", "&", "java\tscript:", "<iframe src=//e>", "<b onclick=x()>", "text",
    "<![CDATA[", "]]>", "<math><mtext>", "<table>", "<textarea>", "</textarea>", "<title>", "<base href=//e>",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_sanitized_html_never_carries_a_script(fragment):
    from lpconvert_html.sanitize import sanitize_html

    out = sanitize_html(fragment)
    if not out.strip():
        return
    tree = lxml_html.fragment_fromstring(out, create_parent="div")
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag.lower() not in ("script", "iframe", "base", "animate", "style", "noscript"), out
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), out
            assert "javascript:" not in "".join(value.split()).lower() or name.lower() in ("title", "alt"), out
