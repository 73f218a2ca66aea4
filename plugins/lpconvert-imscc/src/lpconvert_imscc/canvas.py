"""What Canvas adds to a cartridge, and where lpconvert reads it.

* Canvas writes every quiz twice: `assessment_qti.xml` in the CC profile, holding only the
  question types the profile has (and a group's questions flattened), and
  `non_cc_assessments/ID.xml.qti` (a file of the quiz's dependency) holding all of them with
  `question_type` metadata. The two files share no item identifiers, so the full file is
  chosen by count: it is read when it holds at least as many questions as the CC file (every
  Canvas export), so numerical, short-answer and text-only questions arrive too and the types
  nothing can map are named; a cartridge whose Canvas file holds fewer (hand-made ones) is
  read from its CC file.
* Question banks are `non_cc_assessments/*.xml.qti` files that no quiz depends on; their
  questions arrive as loose problems in a `question-banks` collection.
* Assignments are `learning-application-resource`s: an HTML description beside an
  `assignment_settings.xml`.
* `course_settings/` (settings, module metadata, rubrics, grading standards) is Canvas's own
  and is not read.
"""

from __future__ import annotations

from collections.abc import Callable

from .manifest import Manifest, Resource

CANVAS_QTI = ".xml.qti"


def full_quiz_file(res: Resource, manifest: Manifest) -> str | None:
    """The Canvas file of a quiz resource, whatever its size (see `quiz_file` for the choice)."""
    for dep in res.dependencies:
        other = manifest.resources.get(dep)
        if other is None:
            continue
        for path in other.files:
            if path.endswith(CANVAS_QTI):
                return path
    return None


def quiz_files(manifest: Manifest) -> set[str]:
    """The Canvas QTI files that belong to a quiz (the others are question banks)."""
    out = set()
    for res in manifest.resources.values():
        if res.type.lower().startswith("imsqti_"):
            path = full_quiz_file(res, manifest)
            if path:
                out.add(path)
    return out


def bank_file(res: Resource) -> str | None:
    files = [f for f in res.files if f.endswith(CANVAS_QTI)]
    return files[0] if len(files) == 1 and len(res.files) == 1 else None


def is_assignment(res: Resource) -> bool:
    return any(f.endswith("assignment_settings.xml") for f in res.files)


def is_settings(res: Resource) -> bool:
    """Canvas's course_settings/ resource (not the syllabus page, which is content)."""
    href = res.href or ""
    return href.startswith("course_settings/") and not href.endswith("syllabus.html")


def assignment_page(res: Resource) -> str | None:
    """The HTML page of a Canvas resource that is content (an assignment, the syllabus); None for settings."""
    href = res.href or ""
    if is_settings(res):
        return None
    if href.lower().endswith((".html", ".htm")):
        return href
    return None


def quiz_file(res: Resource, manifest: Manifest, count_items: Callable[[str], int | None]) -> str | None:
    """The QTI file to read for a quiz: Canvas's complete file when it holds at least as many questions."""
    cc_file = res.main_file
    full = full_quiz_file(res, manifest)
    if full is None or cc_file is None:
        return full or cc_file
    full_count, cc_count = count_items(full), count_items(cc_file)
    if full_count is None:
        return cc_file
    if cc_count is None or full_count >= cc_count:
        return full
    return cc_file
