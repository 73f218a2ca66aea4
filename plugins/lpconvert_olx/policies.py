"""The course policy Studio's export always has, for a course that came from elsewhere.

Every Studio course export holds ``policies/RUN/policy.json`` (course settings) and
``policies/RUN/grading_policy.json``. A package that never was OLX (a cartridge, a v2
library, a JSON or sections course written from scratch) has neither, yet checkers such as
olxcleaner and Studio's own settings pages expect a start date, the advanced modules the
course's blocks need, and a grader. So the writer adds the smallest policy that satisfies
them, with Studio's own defaults for a new course rather than anything made up per package:

* ``start``: 2030-01-01, what Studio gives a course nobody has scheduled yet;
* ``advanced_modules``: the LTI block types the course uses (Studio and olxcleaner refuse an
  ``lti``/``lti_consumer`` block whose type is not enabled there);
* Studio's default grading policy, under which nothing counts until an author assigns it.

A setting the course root already holds (``start``, ``advanced_modules``) is left to the
root: a policy entry would override it. Nothing is generated when the package has any policy
of its own for the run (``policies/RUN/policy.json``, ``grading_policy.json`` or the legacy
``policies/RUN.json``): an OLX export keeps its own files, byte for byte; nor for an OLX course
that had none (`NO_POLICY`), which comes back as it was. These files are written only, never
put in the hub, so no other format is told they were lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

NO_POLICY = "no_policy"
"""The `@olx` fact the reader records on a course root that had no policy files: such an OLX course
comes back without them, file for file, so only packages that never were OLX get defaults."""

STUDIO_UNSCHEDULED_START = "2030-01-01T00:00:00Z"
"""The start Studio gives a new course until an author schedules it."""

ADVANCED_LTI_TYPES = ("lti", "lti_consumer")
"""Block types that Studio and olxcleaner accept only when the course lists them in advanced_modules."""

STUDIO_DEFAULT_GRADING = {
    "GRADER": [
        {"type": "Homework", "short_label": "HW", "min_count": 12, "drop_count": 2, "weight": 0.15},
        {"type": "Lab", "min_count": 12, "drop_count": 2, "weight": 0.15},
        {"type": "Midterm Exam", "short_label": "Midterm", "min_count": 1, "drop_count": 0, "weight": 0.3},
        {"type": "Final Exam", "short_label": "Final", "min_count": 1, "drop_count": 0, "weight": 0.4},
    ],
    "GRADE_CUTOFFS": {"Pass": 0.5},
}
"""The grading policy Studio gives a new course: no subsection is graded until an author says so."""


def policy_paths(run_dir: str) -> tuple[str, str, str]:
    """Where Studio looks for a run's policy: policy.json, grading_policy.json, and the legacy policies/RUN.json."""
    return (f"policies/{run_dir}/policy.json", f"policies/{run_dir}/grading_policy.json",
            f"policies/{run_dir}.json")


def default_policies(run: str, run_dir: str, files: Iterable[str], root_settings: Mapping[str, Any],
                     root_facts: Mapping[str, Any], block_types: Iterable[str]) -> dict[str, bytes]:
    """The policy files to add to a course export (path -> bytes): none when `files` (the package's
    own files) already hold a policy for the run or the root's `@olx` facts say the OLX course had
    none, else Studio's defaults for whatever the root's settings lack."""
    paths = policy_paths(run_dir)
    if root_facts.get(NO_POLICY) or any(path in paths for path in files):
        return {}
    settings: dict[str, Any] = {}
    if "start" not in root_settings:
        settings["start"] = STUDIO_UNSCHEDULED_START
    lti = sorted(set(block_types) & set(ADVANCED_LTI_TYPES))
    if lti and "advanced_modules" not in root_settings:
        settings["advanced_modules"] = lti
    return {paths[0]: _json({f"course/{run}": settings}), paths[1]: _json(STUDIO_DEFAULT_GRADING)}


def _json(value: Any) -> bytes:
    """JSON as Studio's export lays it out: four-space indents, sorted keys."""
    return (json.dumps(value, indent=4, sort_keys=True) + "\n").encode("utf-8")
