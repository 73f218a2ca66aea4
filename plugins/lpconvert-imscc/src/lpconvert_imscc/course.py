"""What a cartridge becomes at the top: the package key, and the course settings OLX needs.

A cartridge has no Open edX course settings, but a course without them does not import
cleanly (olxcleaner and Studio want a start date, the advanced modules its
blocks use). lpconvert writes the smallest policy that satisfies them, with values that are
Studio's own defaults for a new course rather than anything made up per cartridge: start
2030-01-01 (Studio's "not yet scheduled"), `lti_consumer` enabled when the course has LTI
links, Studio's default grading policy (no quiz counts until an author assigns it). No end date
or course image is invented: a cartridge has neither, and olxcleaner's demand for them stays.
They are package files (`policies/RUN/`), so a format that
holds no package files (lp-archive) says so in its loss report.
"""

from __future__ import annotations

import json
import re
from typing import Any

RUN = "cartridge"
STUDIO_UNSCHEDULED_START = "2030-01-01T00:00:00Z"


STUDIO_DEFAULT_GRADER = [
    {"type": "Homework", "short_label": "HW", "min_count": 12, "drop_count": 2, "weight": 0.15},
    {"type": "Lab", "min_count": 12, "drop_count": 2, "weight": 0.15},
    {"type": "Midterm Exam", "short_label": "Midterm", "min_count": 1, "drop_count": 0, "weight": 0.3},
    {"type": "Final Exam", "short_label": "Final", "min_count": 1, "drop_count": 0, "weight": 0.4},
]
"""The grading policy Studio gives a new course: no quiz is graded until an author says so."""


def package_key(title: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.~-]+", "_", title).strip("_")[:60] or "course"
    return f"course-v1:imscc+{slug}+{RUN}"


def policy_files(title: str, uses_lti: bool) -> dict[str, Any]:
    settings: dict[str, Any] = {"start": STUDIO_UNSCHEDULED_START}
    if uses_lti:
        settings["advanced_modules"] = ["lti_consumer"]
    policy = {"course/" + RUN: settings}
    grading = {"GRADER": STUDIO_DEFAULT_GRADER, "GRADE_CUTOFFS": {"Pass": 0.5}}
    return {f"policies/{RUN}/policy.json": {"text": json.dumps(policy, indent=4, sort_keys=True) + "\n"},
            f"policies/{RUN}/grading_policy.json": {"text": json.dumps(grading, indent=4, sort_keys=True) + "\n"}}
