"""Questions -> a QTI 1.2 assessment in the Common Cartridge profile.

Each item carries its `cc_profile` (the CC question type) and, when the problem had a
weight, `cc_weighting`; choices are `response_label`s, the correct ones set SCORE to 100,
per-choice feedback is shown by a condition on that choice, and the solution is general
feedback shown in every case, the way Canvas writes them.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .qti import Question

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
PROFILE = {"multiple_choice": "cc.multiple_choice.v0p1", "true_false": "cc.true_false.v0p1",
           "multiple_response": "cc.multiple_response.v0p1", "fill_in_blank": "cc.fib.v0p1"}


def _field(label: str, entry: str) -> str:
    return (f"<qtimetadatafield><fieldlabel>{escape(label)}</fieldlabel>"
            f"<fieldentry>{escape(entry)}</fieldentry></qtimetadatafield>")


def _html(text: str) -> str:
    return f'<material><mattext texttype="text/html">{escape(text)}</mattext></material>'


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def assessment(ident: str, title: str, questions: list[Question]) -> bytes:
    items = "".join(_item(q) for q in questions)
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<questestinterop xmlns="{QTI_NS}">'
            f"<assessment ident={quoteattr(ident)} title={quoteattr(title)}>"
            f"<qtimetadata>{_field('cc_profile', 'cc.exam.v0p1')}{_field('qmd_assessmenttype', 'Examination')}"
            f"</qtimetadata><section ident=\"root_section\">{items}</section></assessment></questestinterop>\n")
    return text.encode("utf-8")


def _item(q: Question) -> str:
    meta = _field("cc_profile", PROFILE[q.kind or ""])
    if q.points is not None:
        meta += _field("cc_weighting", _number(q.points))
    response = "response1"
    if q.kind == "fill_in_blank":
        interaction = (f'<response_str ident="{response}" rcardinality="Single"><render_fib>'
                       f'<response_label ident="answer1" rshuffle="No"/></render_fib></response_str>')
        case = ' case="Yes"' if q.case_sensitive else ""
        correct = "".join(f'<varequal respident="{response}"{case}>{escape(a)}</varequal>' for a in q.answers)
        conditions = _scored(correct)
    else:
        cardinality = "Multiple" if q.kind == "multiple_response" else "Single"
        labels = "".join(f"<response_label ident={quoteattr(c.ident)}>{_html(c.text)}</response_label>"
                         for c in q.choices)
        interaction = (f'<response_lid ident="{response}" rcardinality="{cardinality}"><render_choice>{labels}'
                       "</render_choice></response_lid>")
        if q.kind == "multiple_response":
            parts = "".join(f'<varequal respident="{response}">{escape(c.ident)}</varequal>' if c.ident in q.correct
                            else f'<not><varequal respident="{response}">{escape(c.ident)}</varequal></not>'
                            for c in q.choices)
            correct_condition = _scored(f"<and>{parts}</and>")
        else:
            correct_condition = _scored(f'<varequal respident="{response}">{escape(q.correct[0])}</varequal>')
        feedback = "".join(
            f'<respcondition continue="Yes"><conditionvar><varequal respident="{response}">{escape(c.ident)}'
            f'</varequal></conditionvar><displayfeedback feedbacktype="Response" '
            f'linkrefid={quoteattr(c.ident + "_fb")}/>'
            "</respcondition>" for c in q.choices if c.feedback)
        conditions = feedback + correct_condition
    general = ('<respcondition continue="Yes"><conditionvar><other/></conditionvar><displayfeedback '
               'feedbacktype="Response" linkrefid="general_fb"/></respcondition>') if q.solution else ""
    feedbacks = "".join(f"<itemfeedback ident={quoteattr(c.ident + '_fb')}><flow_mat>{_html(c.feedback)}</flow_mat>"
                        "</itemfeedback>" for c in q.choices if c.feedback)
    if q.solution:
        feedbacks += f'<itemfeedback ident="general_fb"><flow_mat>{_html(q.solution)}</flow_mat></itemfeedback>'
    return (f"<item ident={quoteattr(q.ident)} title={quoteattr(q.title)}><itemmetadata><qtimetadata>{meta}"
            f"</qtimetadata></itemmetadata><presentation>{_html(q.prompt)}{interaction}</presentation>"
            '<resprocessing><outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/>'
            f"</outcomes>{general}{conditions}</resprocessing>{feedbacks}</item>")


def _scored(condition: str) -> str:
    return (f'<respcondition continue="No"><conditionvar>{condition}</conditionvar>'
            '<setvar action="Set" varname="SCORE">100</setvar></respcondition>')
