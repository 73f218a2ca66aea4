"""The one finder of course-file references (`lpconvert.staticrefs.static_references`).

Each case is content as Studio or an author writes it, with the file name a person reading it
would say it links; the OLX reader and the consistency check both rely on these answers.
"""

from __future__ import annotations

import pytest
from lxml import etree

from lpconvert.staticrefs import static_references


def names(text: str, **kwargs: object) -> list[str]:
    return [ref.name for ref in static_references(text, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ('<img src="/static/a.png"/>', ["a.png"]),
    ('<img src="/static/a.png?v=3#top"/>', ["a.png"]),
    ('<a href="/static/my%20notes.pdf">', ["my notes.pdf"]),
    ('<a href="/static/Learning Goals.pdf">', ["Learning Goals.pdf"]),
    ("<style>p{background:url('/static/q a.png')}</style>", ["q a.png"]),
    ("<style>p{background:url(/static/bg.png)}</style>", ["bg.png"]),
    ("see /static/x.png for more", ["x.png"]),
    ("<p>The notes are at /static/notes.pdf.</p>", ["notes.pdf"]),
    ('<script src="/static/hx.js"></script>', ["hx.js"]),
    ('<link rel="stylesheet" href="/static/style.css"/>', ["style.css"]),
    ('<img src="/static/images/placeholder-image.png"/>', ["images/placeholder-image.png"]),
    ('<img src="/asset-v1:OpenedX+DemoX+DemoCourse+type@asset+block@romeo_juliet.jpeg"/>', ["romeo_juliet.jpeg"]),
    ('<img src="/c4x/edX/DemoX/asset/Africa.png"/>', ["Africa.png"]),
    # escaped HTML in an attribute or in text, even escaped twice
    ('<problem markdown="&lt;img src=&quot;/static/Brain%20green.png&quot;/&gt;"/>', ["Brain green.png"]),
    ("&amp;lt;img src=&amp;quot;/static/deep.png&amp;quot;&amp;gt;", ["deep.png"]),
    # JSON in an attribute (a drag-and-drop block's data), with and without escaped slashes
    ('<d data="{&quot;imageURL&quot;: &quot;/static/Brain_green.png&quot;}"/>', ["Brain_green.png"]),
    ('{"imageURL": "\\/static\\/Brain_red.png"}', ["Brain_red.png"]),
    # the same file twice is one reference
    ('<img src="/static/a.png"/><img src="/static/a.png"/>', ["a.png"]),
])
def test_a_link_names_the_file(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize("text", [
    '<img src="https://cdn.example.com/static/x.png"/>',
    '<img src="//cdn.example.com/static/x.png"/>',
    '<img src="https://studio.edx.org/c4x/edX/DemoX/asset/Africa.png"/>',
    '<img src="../static/x.png"/>',
    "var base = '/static/';",
    '<img src="/asset-v1:O+C+R+type@thumbnail+block@x.jpg"/>',
    "<p>no links at all</p>",
    '<img src="/static/${name}.png"/>',  # filled in by a script or a template, not a file
    '<img src="/static/{{ image }}"/>',
])
def test_what_is_not_a_link_into_this_package(text: str) -> None:
    assert names(text) == []


def test_a_link_keeps_what_it_says_for_messages_and_the_undecoded_name() -> None:
    [ref] = static_references('<a href="/static/my%20notes.pdf?dl=1">')
    assert ref.link == "/static/my%20notes.pdf"
    assert ref.names == ("my notes.pdf", "my%20notes.pdf")
    assert ref.required


def test_video_fields_name_transcripts_and_derived_sjson_files_are_optional() -> None:
    video = etree.fromstring(
        '<video sub="abc" youtube_id_1_0="yt1" track="/static/t.pdf" '
        'transcripts=\'{"en": "v-en.srt", "es": "v-es.srt"}\' handout="/asset-v1:O+C+R+type@asset+block@h.png">'
        '<transcript language="es" src="v-es.srt"/><transcript language="fr" src="v-fr.srt"/></video>')
    refs = {ref.name: ref.required for ref in static_references(etree.tostring(video, encoding="unicode"), video)}
    assert refs == {
        "t.pdf": True, "h.png": True, "v-en.srt": True, "v-es.srt": True, "v-fr.srt": True,
        "subs_abc.srt.sjson": False, "es_subs_abc.srt.sjson": False, "fr_subs_abc.srt.sjson": False,
        "subs_yt1.srt.sjson": False, "es_subs_yt1.srt.sjson": False, "fr_subs_yt1.srt.sjson": False,
    }


def test_a_static_stylesheet_links_files_beside_it() -> None:
    css = ("a{background:url('./img/x.gif')} b{background:url(../up.png)} c{background:url(data:image/png;base64,AA)}"
           " d{background:url(/asset-v1:O+C+R+type@asset+block@icon.svg)} e{background:url(https://cdn/x.png)}"
           " f{background:url(../../outside.png)}")
    refs = {ref.name: ref.required for ref in static_references(css, folder="css")}
    assert refs == {"icon.svg": True, "css/img/x.gif": False, "up.png": False}


def test_relative_links_count_only_in_a_static_file() -> None:
    assert names('<img src="img/x.gif"/>') == []
    assert names('<img src="img/x.gif"/><a href="#top">', folder="") == ["img/x.gif"]


def test_relative_links_in_any_case_at_a_word_start_only() -> None:
    page = ('<IMG SRC="a.png"><Link Href=b.css> x{background:URL( c.gif )} '
            '<img data-src="lazy.png"> <a xhref="no.png"> img.src=d.png \u017frc=e.png')
    assert names(page, folder="") == ["a.png", "b.css", "c.gif", "lazy.png", "d.png", "e.png"]
