"""Capa problem OLX -> the question it asks, for the ones QTI 1.2's CC profile can hold.

A problem maps when it has exactly one response of a kind the profile has: single choice
(`multiplechoiceresponse`: multiple choice, or true/false when its choices are True and
False), checkboxes (`choiceresponse`: multiple response), and text input (`stringresponse`
without regular expressions: fill in the blank). Everything else (numerical and formula
input, custom Python, drag and drop, several responses in one problem) has no CC form and
is a named loss.
"""

from __future__ import annotations

from lxml import etree

from lpconvert.plugin import XmlError, parse_xml

from .qti import Choice, Question

RESPONSES = {"multiplechoiceresponse": "multiple_choice", "choiceresponse": "multiple_response",
             "stringresponse": "fill_in_blank"}
ALL_RESPONSES = ("multiplechoiceresponse", "choiceresponse", "stringresponse", "numericalresponse",
                 "formularesponse", "customresponse", "optionresponse", "symbolicresponse", "imageresponse",
                 "schematicresponse", "coderesponse", "jsinputresponse", "choicetextresponse", "annotationresponse")


def _inner(el: etree._Element, skip: tuple[str, ...] = ()) -> str:
    """An element's content as markup (text and children), leaving out the children named in `skip`."""
    parts = [el.text or ""]
    for c in el:
        if isinstance(c.tag, str) and c.tag in skip:
            parts.append(c.tail or "")
            continue
        parts.append(etree.tostring(c, encoding="unicode", with_tail=True))
    return "".join(parts).strip()


def question_of(block: str, ident: str, title: str, weight: str | None) -> tuple[Question | None, str]:
    """(the question, "") or (None, why it has no CC form)."""
    try:
        root = parse_xml(block)
    except XmlError as exc:
        return None, f"its OLX does not parse ({exc.message})"
    responses = [el for el in root.iter() if isinstance(el.tag, str) and el.tag in ALL_RESPONSES]
    if len(responses) != 1:
        return None, f"it has {len(responses)} responses; a QTI item has one"
    response = responses[0]
    kind = RESPONSES.get(response.tag)
    if kind is None:
        return None, f"<{response.tag}> has no Common Cartridge question type"
    q = Question(ident=ident, title=title, kind=kind, type_name=kind, prompt="", line=None)
    label = response.find("label")
    before = [etree.tostring(el, encoding="unicode", with_tail=False) for el in root
              if isinstance(el.tag, str) and el is not response and el.tag not in ("solution", "demandhint")]
    q.prompt = "".join(before) + (_inner(label) if label is not None else "")
    solution = root.find(".//solution")
    if solution is not None:
        detailed = solution.find("div")
        q.solution = _inner(detailed if detailed is not None and len(solution) == 1 else solution)
    try:
        q.points = float(weight) if weight not in (None, "", "null") else None
    except ValueError:
        q.points = None
    if kind == "fill_in_blank":
        kinds = (response.get("type") or "").split()
        if "regexp" in kinds:
            return None, "a regular-expression answer has no Common Cartridge form"
        q.case_sensitive = "ci" not in kinds
        q.answers = [a for a in [response.get("answer") or ""] +
                     [el.get("answer") or "" for el in response.iter("additional_answer")] if a]
        if not q.answers:
            return None, "it has no answer"
        return q, ""
    for n, choice in enumerate(response.iter("choice"), start=1):
        hint = choice.find("choicehint")
        q.choices.append(Choice(ident=f"{ident}_{n}", text=_inner(choice, ("choicehint",)),
                                feedback=_inner(hint) if hint is not None else ""))
        if (choice.get("correct") or "").lower() == "true":
            q.correct.append(f"{ident}_{n}")
    if not q.choices or not q.correct:
        return None, "it has no choice marked correct"
    if kind == "multiple_choice" and [c.text for c in q.choices] == ["True", "False"]:
        q.kind = "true_false"
    return q, ""
