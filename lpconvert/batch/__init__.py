"""Batch mode: convert or validate a whole catalogue of packages on Dask.

    from lpconvert.batch import convert_many
    for record in convert_many(["exports/"], to="lp-archive", out="libraries/"):
        print(record.input, record.status)

Modules, one job each: `plan` (inputs -> jobs and output names), `task` (the per-package
task a worker runs), `engine` (the Dask client and `convert_many`), `resume` (what an
earlier run finished), `progress` (the terminal line), `command` (`lpconvert batch`).
Nothing here imports Dask until a batch runs, so `lpconvert --help` stays quick and the
`batch` extra is needed only by those who use it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["convert_many", "plan_jobs", "read_report", "PlanError", "BatchRecord"]


def __getattr__(name: str) -> Any:
    if name in ("convert_many", "plan_jobs"):
        from . import engine

        return getattr(engine, name)
    if name == "read_report":
        from .resume import read_report

        return read_report
    if name == "PlanError":
        from .plan import PlanError

        return PlanError
    if name == "BatchRecord":
        from ..reports import BatchRecord

        return BatchRecord
    raise AttributeError(name)
