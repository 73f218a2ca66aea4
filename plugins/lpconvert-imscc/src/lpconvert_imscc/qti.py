"""QTI 1.2 items -> the questions they ask, in a shape both the OLX builder and the tests can read.

A question's kind comes from Canvas's `question_type` when present (it names every Canvas
type), else the CC profile (`cc.multiple_choice.v0p1` ...), else the interaction itself
(`response_lid` single/multiple, `response_str`, `response_num`). Scoring is read from the
`respcondition`s that set a positive score; per-choice feedback from the conditions that show
feedback for one choice; general feedback from the unconditional ones.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from lxml import etree

from .xml import child, children, descendants, local, text_of

KIND_BY_TYPE = {
    "multiple_choice_question": "multiple_choice", "cc.multiple_choice.v0p1": "multiple_choice",
    "true_false_question": "true_false", "cc.true_false.v0p1": "true_false",
    "multiple_answers_question": "multiple_response", "cc.multiple_response.v0p1": "multiple_response",
    "short_answer_question": "fill_in_blank", "cc.fib.v0p1": "fill_in_blank",
    "numerical_question": "numerical",
    "essay_question": "essay", "cc.essay.v0p1": "essay",
    "text_only_question": "text_only",
}
"""Question types lpconvert maps; any other named type is a loss named with the question's title."""


@dataclass
class Choice:
    ident: str
    text: str
    feedback: str = ""


@dataclass
class Question:
    ident: str
    title: str
    kind: str | None
    type_name: str
    prompt: str
    line: int | None
    choices: list[Choice] = field(default_factory=list)
    correct: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    substrings: list[str] = field(default_factory=list)
    case_sensitive: bool = False  # QTI varsubstring: accepted anywhere in the answer
    number: tuple[float, float] | None = None  # (answer, tolerance)
    solution: str = ""
    dropped_feedback: bool = False
    points: float | None = None


_MARKUP = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>")


def metadata(el: etree._Element | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if el is None:
        return out
    for f in descendants(el, "qtimetadatafield"):
        out[text_of(child(f, "fieldlabel"))] = text_of(child(f, "fieldentry"))
    return out


def material_html(el: etree._Element | None) -> str:
    """The HTML of a <material> (or anything holding mattexts): text/plain is escaped."""
    if el is None:
        return ""
    parts = []
    for mat in descendants(el, "mattext"):
        text = mat.text or ""
        kind = (mat.get("texttype") or "text/plain").lower()
        # Exporters often write HTML without saying so (texttype left at its text/plain default).
        parts.append(text if "html" in kind or _MARKUP.search(text) else html.escape(text))
    return "".join(parts).strip()


def items_of(root: etree._Element) -> list[etree._Element]:
    """Every item of an assessment or object bank, in document order (sections and groups flattened)."""
    return list(descendants(root, "item"))


def read_question(item: etree._Element) -> Question:
    meta = metadata(child(item, "itemmetadata"))
    type_name = meta.get("question_type") or meta.get("cc_profile") or ""
    presentation = child(item, "presentation")
    kind = KIND_BY_TYPE.get(type_name) if type_name else _inferred_kind(presentation)
    q = Question(ident=item.get("ident") or f"item-line-{item.sourceline}", title=item.get("title") or "",
                 kind=kind, type_name=type_name or "(none)", prompt="", line=item.sourceline)
    if presentation is not None:
        prompt_parts = [material_html(m) for m in presentation if local(m) in ("material", "flow")]
        q.prompt = "".join(prompt_parts)
        for label in descendants(presentation, "response_label"):
            text = material_html(label)
            if text or q.kind in ("multiple_choice", "true_false", "multiple_response"):
                q.choices.append(Choice(label.get("ident") or "", text))
    try:
        points = meta.get("points_possible") or meta.get("cc_weighting")
        q.points = float(points) if points else None
    except ValueError:
        q.points = None
    _scoring(item, q)
    return q


def _inferred_kind(presentation: etree._Element | None) -> str | None:
    if presentation is None:
        return None
    lid = next(descendants(presentation, "response_lid"), None)
    if lid is not None:
        return "multiple_response" if (lid.get("rcardinality") or "").lower() == "multiple" else "multiple_choice"
    if next(descendants(presentation, "response_num"), None) is not None:
        return "numerical"
    if next(descendants(presentation, "response_str"), None) is not None:
        return "fill_in_blank"
    return None


def _positive(cond: etree._Element) -> bool:
    for setvar in children(cond, "setvar"):
        try:
            if float(text_of(setvar) or 0) > 0:
                return True
        except ValueError:
            continue
    return False


def _plain_equals(conditionvar: etree._Element) -> list[str]:
    """The values a condition requires (varequal not under <not>)."""
    out = []
    for eq in descendants(conditionvar, "varequal"):
        if any(local(a) == "not" for a in eq.iterancestors()):
            continue
        out.append(eq.text.strip() if eq.text else "")
    return out


def _scoring(item: etree._Element, q: Question) -> None:
    feedback = {fb.get("ident"): material_html(fb) for fb in children(item, "itemfeedback")}
    by_ident = {c.ident: c for c in q.choices}
    general: list[str] = []
    resprocessing = child(item, "resprocessing")
    if resprocessing is None:
        return
    for cond in children(resprocessing, "respcondition"):
        conditionvar = child(cond, "conditionvar")
        if conditionvar is None:
            continue
        values = _plain_equals(conditionvar)
        shown = [feedback.get(d.get("linkrefid"), "") for d in children(cond, "displayfeedback")]
        unconditional = child(conditionvar, "other") is not None and len(conditionvar) == 1
        if _positive(cond):
            if q.kind == "numerical":
                q.number = _number(conditionvar)
            elif q.kind == "fill_in_blank":
                q.answers.extend(v for v in values if v and v not in q.answers)
                q.case_sensitive = any((eq.get("case") or "").lower() == "yes"
                                       for eq in descendants(conditionvar, "varequal"))
                q.substrings.extend(text_of(v) for v in descendants(conditionvar, "varsubstring") if text_of(v))
            else:
                q.correct.extend(v for v in values if v not in q.correct)
            if any(shown):
                q.dropped_feedback = True
        elif unconditional:
            links = [d.get("linkrefid") or "" for d in children(cond, "displayfeedback")]
            if any("incorrect" in link for link in links):
                q.dropped_feedback = True  # OLX has no "shown on any wrong answer" text for every type
            else:
                general.extend(s for s in shown if s)
        elif len(values) == 1 and values[0] in by_ident and any(shown):
            by_ident[values[0]].feedback = "".join(s for s in shown if s)
    q.solution = "".join(general)


def _number(conditionvar: etree._Element) -> tuple[float, float] | None:
    """(answer, tolerance) from an exact value, a range (vargte/varlte), or both (Canvas writes both)."""
    def floats(name: str) -> list[float]:
        out = []
        for el in descendants(conditionvar, name):
            try:
                out.append(float(text_of(el)))
            except ValueError:
                pass
        return out
    exact, low, high = floats("varequal"), floats("vargte") + floats("vargt"), floats("varlte") + floats("varlt")
    if exact:
        answer = exact[0]
        tolerance = max(abs(answer - low[0]), abs(high[0] - answer)) if low and high else 0.0
        return answer, round(tolerance, 12)
    if low and high:
        return (low[0] + high[0]) / 2, round((high[0] - low[0]) / 2, 12)
    return None
