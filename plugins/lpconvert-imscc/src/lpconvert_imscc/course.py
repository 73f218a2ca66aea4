"""What a cartridge becomes at the top: the package key.

A cartridge has no Open edX course settings and the reader invents none: the hub holds only
what the cartridge has (its title as the course root's display_name). Whatever an OLX course
needs on top (Studio's default policy.json and grading_policy.json) is the OLX writer's to add,
for every package that has no policy of its own, so no other format reports as lost a file
the cartridge never had.
"""

from __future__ import annotations

import re

RUN = "cartridge"


def package_key(title: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.~-]+", "_", title).strip("_")[:60] or "course"
    return f"course-v1:imscc+{slug}+{RUN}"
