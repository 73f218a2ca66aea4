"""Showing a capa problem readably: its question, its inputs, and its answer behind a fold.

A problem's OLX mixes HTML (paragraphs, images, tables) with capa's own elements
(``multiplechoiceresponse``, ``choicegroup``, ``stringresponse`` ...). A browser shows capa
elements as bare text run together, so each known response type is rebuilt as the learner
would see it: choices as a list with radio or checkbox marks, a text or number answer as an
empty box, a dropdown as its options. The correct answers and the explanation go inside a
``<details>`` fold ("Show answer"), which needs no script.

Grading scripts (``<script type="loncapa/python">``) are never shown or included: the page
says that the problem is graded by code instead. The HTML produced here goes through the
sanitizer afterwards like any other content from the package.
"""

from __future__ import annotations

import ast
from html import escape

from lxml import etree

VOID = frozenset({"img", "br", "hr", "input", "area", "col", "wbr", "source", "track"})

SKIP = frozenset({
    "responseparam", "additional_answer", "correcthint", "choicehint", "optionhint", "stringequalhint",
    "numericalhint", "hintgroup", "hintpart", "textline", "formulaequationinput", "answer", "compoundhint",
})
"""Capa bookkeeping that a learner never sees as text (or that a response renders itself)."""

CHOICE_MARKS = {"multiplechoiceresponse": "\u25cb", "choiceresponse": "\u2610"}


def _tag(el: etree._Element) -> str:
    return el.tag.rsplit("}", 1)[-1].lower() if isinstance(el.tag, str) else ""


def _text(value: str | None) -> str:
    return escape(value or "", quote=False)


def _attrs(el: etree._Element) -> str:
    parts = []
    for name, value in el.attrib.items():
        local = name.rsplit("}", 1)[-1]
        parts.append(f' {escape(local)}="{escape(value, quote=True)}"')
    return "".join(parts)


def plain_text(el: etree._Element, skip: frozenset[str] = SKIP) -> str:
    """The visible text of an element (hints and bookkeeping left out), whitespace collapsed."""
    out = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and _tag(child) not in skip:
            out.append(plain_text(child, skip))
        out.append(child.tail or "")
    return " ".join("".join(out).split())


class ProblemRenderer:
    """Turns one problem element into HTML, numbering its inputs for the answer fold."""

    def __init__(self) -> None:
        self.answers: list[str] = []

    # -- generic content ---------------------------------------------------------------
    def children(self, el: etree._Element) -> str:
        out = [_text(el.text)]
        for child in el:
            out.append(self.element(child))
            out.append(_text(child.tail))
        return "".join(out)

    def element(self, el: etree._Element) -> str:
        tag = _tag(el)
        if not tag or tag in SKIP:
            return ""
        if tag == "script":
            kind = el.get("type", "")
            return ('<p class="note">This problem is graded by code, which is not shown here.</p>'
                    if "python" in kind.lower() else "")
        if tag.endswith("response"):
            return self.response(el, tag)
        if tag == "label":
            return f'<p class="question">{self.children(el)}</p>'
        if tag == "description":
            return f'<p class="description">{self.children(el)}</p>'
        if tag == "solution":
            return f'<details class="solution"><summary>Explanation</summary>{self.children(el)}</details>'
        if tag == "demandhint":
            hints = "".join(f"<li>{self.children(h)}</li>" for h in el if _tag(h) == "hint")
            return f'<details class="hints"><summary>Hints</summary><ol>{hints}</ol></details>' if hints else ""
        if tag in VOID:
            return f"<{tag}{_attrs(el)}>"
        return f"<{tag}{_attrs(el)}>{self.children(el)}</{tag}>"

    # -- responses -----------------------------------------------------------------------
    def response(self, el: etree._Element, tag: str) -> str:
        if tag in CHOICE_MARKS:
            body = self.choices(el, tag)
        elif tag == "optionresponse":
            body = self.options(el)
        elif tag in ("stringresponse", "numericalresponse", "formularesponse"):
            body = self.typed(el, tag)
        else:
            label = tag.removesuffix("response") or tag
            body = (self.children_except(el, ()) +
                    f'<p class="input-box wide">({escape(label)} input, graded by its own code)</p>')
        return f'<div class="response {escape(tag)}">{body}</div>'

    def children_except(self, el: etree._Element, handled: tuple[str, ...]) -> str:
        out = [_text(el.text)]
        for child in el:
            if _tag(child) not in handled:
                out.append(self.element(child))
            out.append(_text(child.tail))
        return "".join(out)

    def choices(self, el: etree._Element, tag: str) -> str:
        mark = CHOICE_MARKS[tag]
        groups = ("choicegroup", "checkboxgroup")
        out = [self.children_except(el, groups)]
        correct: list[str] = []
        for group in (g for g in el if _tag(g) in groups):
            items = []
            for choice in (c for c in group if _tag(c) == "choice"):
                shown = self.children_except(choice, ("choicehint",))
                items.append(f'<li><span class="mark" aria-hidden="true">{mark}</span> {shown}</li>')
                if choice.get("correct", "").strip().lower() == "true":
                    correct.append(escape(plain_text(choice), quote=False))
            out.append(f'<ul class="choices">{"".join(items)}</ul>')
        out.append(self.answer(correct))
        return "".join(out)

    def options(self, el: etree._Element) -> str:
        out = [self.children_except(el, ("optioninput",))]
        correct: list[str] = []
        for box in (b for b in el if _tag(b) == "optioninput"):
            names: list[str] = []
            children = [o for o in box if _tag(o) == "option"]
            if children:
                for option in children:
                    names.append(plain_text(option))
                    if option.get("correct", "").strip().lower() == "true":
                        correct.append(plain_text(option))
            else:
                names = _option_list(box.get("options", ""))
                if box.get("correct"):
                    correct.append(box.get("correct", ""))
            shown = "".join(f"<li>{escape(n, quote=False)}</li>" for n in names)
            out.append(f'<ul class="dropdown" aria-label="dropdown options">{shown}</ul>')
        out.append(self.answer([escape(c, quote=False) for c in correct]))
        return "".join(out)

    def typed(self, el: etree._Element, tag: str) -> str:
        out = [self.children_except(el, ())]
        kind = {"stringresponse": "text", "numericalresponse": "number", "formularesponse": "formula"}[tag]
        out.append(f'<p class="input-box" aria-label="{kind} answer">{kind}</p>')
        accepted = [el.get("answer", "")] + [a.get("answer", "") or plain_text(a)
                                            for a in el if _tag(a) == "additional_answer"]
        accepted = [a for a in accepted if a]
        tolerance = next((p.get("default", "") for p in el
                          if _tag(p) == "responseparam" and p.get("type") == "tolerance"), "")
        shown = [escape(a, quote=False) for a in accepted]
        if tolerance and shown:
            shown[0] += f" (\u00b1 {escape(tolerance, quote=False)})"
        out.append(self.answer(shown))
        return "".join(out)

    @staticmethod
    def answer(items: list[str]) -> str:
        if not items:
            return ""
        listed = "".join(f"<li>{item}</li>" for item in items)
        return f'<details class="answer"><summary>Show answer</summary><ul>{listed}</ul></details>'


def _option_list(value: str) -> list[str]:
    """capa's ``options="('a','b')"``: a Python tuple literal, read without evaluating code."""
    try:
        parsed = ast.literal_eval(value)
    except Exception:  # noqa: BLE001 - malformed or absurdly nested: read it as a plain list
        return [v.strip(" '\"") for v in value.strip("()[]").split(",") if v.strip(" '\"")]
    if isinstance(parsed, str):
        return [parsed]
    return [str(v) for v in parsed] if isinstance(parsed, tuple | list) else [str(parsed)]


def render_problem(root: etree._Element) -> str:
    """HTML for a problem's ``<problem>`` element (unsanitized; the caller sanitizes it)."""
    return ProblemRenderer().children(root)
