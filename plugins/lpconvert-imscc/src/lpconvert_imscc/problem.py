"""A QTI question -> capa problem OLX, and the reasons a question cannot become one.

Which Open edX response each kind becomes: multiple choice and true/false ->
`multiplechoiceresponse`; multiple response -> `choiceresponse` (checkboxes); fill in the
blank / short answer -> `stringresponse` (case-insensitive, every accepted answer);
numerical -> `numericalresponse` with an absolute tolerance. Per-choice feedback becomes a
`choicehint`, general feedback the `solution`, points the problem's `weight`. Essays and
Canvas's text-only items are not graded by a machine and become html components (see
docs/formats/imscc.md for why).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from lxml import html as lxml_html

from .olx import html_block
from .qti import Choice, Question

PROBLEM_KINDS = frozenset({"multiple_choice", "true_false", "multiple_response", "fill_in_blank", "numerical"})
HTML_KINDS = frozenset({"essay", "text_only"})


def xhtml(fragment: str) -> str:
    """An HTML fragment as well-formed XML, to sit inside a problem (OLX is XML, pages are not)."""
    if not fragment.strip():
        return ""
    try:
        parts = lxml_html.fragments_fromstring(fragment)
    except (etree.ParserError, ValueError):
        return escape(fragment)
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(escape(part))
        else:
            _drop_unsafe_xml(part)
            out.append(etree.tostring(part, encoding="unicode", method="xml", with_tail=True))
    return "".join(out)


def _drop_unsafe_xml(el: etree._Element) -> None:
    """Remove comments and processing instructions, which OLX does not want inside a problem."""
    for node in list(el.iter(etree.Comment, etree.ProcessingInstruction)):
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)


def why_not(q: Question) -> str | None:
    """None when the question converts; otherwise what is missing, in words for the report."""
    if q.kind is None:
        return f"question type {q.type_name} is not supported"
    if q.kind in ("multiple_choice", "true_false", "multiple_response"):
        if not q.choices:
            return "it has no choices"
        idents = {c.ident for c in q.choices}
        if not any(c in idents for c in q.correct):
            return "no choice is marked correct"
    if q.kind == "fill_in_blank" and not (q.answers or q.substrings):
        return "it has no accepted answer"
    if q.kind == "numerical" and q.number is None:
        return "it has no numeric answer"
    return None


def problem_olx(q: Question, title: str) -> str:
    weight = f" weight={quoteattr(_number_text(q.points))}" if q.points is not None else ""
    body = [f"<problem display_name={quoteattr(title)} markdown=\"null\"{weight}>"]
    response = _response(q)
    body.append(response)
    if q.solution:
        body.append(f'<solution><div class="detailed-solution">{xhtml(q.solution)}</div></solution>')
    body.append("</problem>")
    return "".join(body)


def essay_html(q: Question, title: str) -> str:
    return html_block(title, q.prompt)


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def _prompt(q: Question) -> str:
    return f"<label>{xhtml(q.prompt)}</label>" if q.prompt else ""


def _response(q: Question) -> str:
    if q.kind in ("multiple_choice", "true_false"):
        return ("<multiplechoiceresponse>" + _prompt(q) + '<choicegroup type="MultipleChoice">'
                + "".join(_choice(q, c) for c in q.choices) + "</choicegroup></multiplechoiceresponse>")
    if q.kind == "multiple_response":
        return ("<choiceresponse>" + _prompt(q) + "<checkboxgroup>"
                + "".join(_choice(q, c) for c in q.choices) + "</checkboxgroup></choiceresponse>")
    if q.kind == "fill_in_blank":
        kind = "" if q.case_sensitive else "ci"
        answers = list(q.answers)
        if q.substrings:  # one regexp response accepts both: exact answers escaped, substrings anywhere
            kind = "regexp" if q.case_sensitive else "ci regexp"
            answers = [re.escape(a) for a in answers] + [f".*{re.escape(s)}.*" for s in q.substrings]
        first, *others = answers
        extra = "".join(f"<additional_answer answer={quoteattr(a)}/>" for a in others)
        kind_attr = f' type="{kind}"' if kind else ""
        return (f'<stringresponse answer={quoteattr(first)}{kind_attr}>' + _prompt(q) + extra
                + '<textline size="20"/></stringresponse>')
    assert q.number is not None
    answer, tolerance = q.number
    return (f"<numericalresponse answer={quoteattr(_number_text(answer))}>" + _prompt(q)
            + f'<responseparam type="tolerance" default={quoteattr(_number_text(tolerance))}/>'
            + "<formulaequationinput/></numericalresponse>")


def _choice(q: Question, c: Choice) -> str:
    correct = "true" if c.ident in q.correct else "false"
    hint = f"<choicehint>{xhtml(c.feedback)}</choicehint>" if c.feedback else ""
    return f'<choice correct="{correct}">{xhtml(c.text)}{hint}</choice>'
