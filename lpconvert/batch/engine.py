"""The Dask side: a client (a LocalCluster of worker processes, or a running scheduler), one
task per package, records as packages finish.

Dask does the scheduling, the worker processes, the memory limit per worker and the
rescheduling of a dead worker's task; this module only plans, submits and turns each
future into a record. A task whose worker dies is rescheduled once
(`distributed.scheduler.allowed-failures` = 1 on the clusters this module starts); a second
death makes it `failed`, and the rest of the batch goes on.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..reports import BatchRecord
from . import plan
from .plan import Job, PlanError
from .resume import finished, skipped
from .task import failed_record, run_job

ALLOWED_FAILURES = 1
"""How many times a package whose worker died is tried again."""


def plan_jobs(inputs: Sequence[str], to: str | None, out: str | None, *, from_format: str | None = None,
              strict: bool = False, allow_loss: Iterable[str] = (), timeout: float = 1800.0, force: bool = False,
              previous: Iterable[BatchRecord] | None = None,
              read_options: Mapping[str, str] | None = None,
              write_options: Mapping[str, str] | None = None,
              exclude: Iterable[str] = ()) -> list[tuple[Job, BatchRecord | None]]:
    """Every job, with the earlier record that already finished it when resuming.

    Raises `PlanError` for usage errors: no input, an unknown format, an output that exists
    when neither `force` nor resuming allows replacing it. DEST and the paths in `exclude`
    (the report) are never inputs, even when a directory or glob given as input holds them.
    """
    from ..api import LpconvertError, get_format

    allow_loss = tuple(allow_loss)
    try:
        _check_allow_loss(allow_loss)
        spec = get_format(to) if to is not None else None
        if from_format is not None and not get_format(from_format).can_read:
            raise PlanError(f"format {from_format!r} can be written but not read")
    except LpconvertError as exc:
        raise PlanError(str(exc)) from None
    found = plan.expand_inputs(inputs)
    if out is not None:  # `lpconvert batch . --out out`: the destination is not an input
        dest = plan.join(out, "")
        found = [f for f in found if not (f.url + "/").startswith(dest)]
    found = [f for f in found if f.url not in {plan.join(x, "").rstrip("/") for x in exclude}]
    if not found:
        raise PlanError("no input is left once the destination and the report are set aside")
    if to is not None and out is None:
        raise PlanError("--to needs --out DEST")
    if spec is None:
        names: list[str | None] = [None] * len(found)
    else:
        if not spec.can_write:
            raise PlanError(f"format {to!r} can be read but not written")
        from ..plugin_manager import get_registry

        all_suffixes = [s for f in get_registry().formats.values() for s in f.suffixes]
        names = list(plan.output_names(found, spec.suffixes[0] if spec.suffixes else "", all_suffixes))
    common = dict(from_format=from_format, strict=strict, allow_loss=allow_loss, timeout=timeout,
                  read_options=tuple(sorted((read_options or {}).items())),
                  write_options=tuple(sorted((write_options or {}).items())))
    jobs = [Job(f.url, plan.join(out, name) if (out and name) else None, to, plan.fingerprint(f.info),
                f.info.get("size") if f.info.get("type") != "directory" else None, **common)  # type: ignore[arg-type]
            for f, name in zip(found, names, strict=True)]
    pairs = list(finished(jobs, previous or ()))
    if spec is not None and out is not None and not force:
        _refuse_existing(pairs, out, resuming=previous is not None)
    return pairs


def _check_allow_loss(allow_loss: Iterable[str]) -> None:
    """An unknown loss kind is a usage error before anything runs, not a failure per package."""
    from .. import api

    kinds = list(allow_loss)
    if kinds:
        api.check_allow_loss(kinds)


def _refuse_existing(pairs: list[tuple[Job, BatchRecord | None]], out: str, resuming: bool) -> None:
    """Without --force a batch replaces no output it did not make. Resuming, an output that
    exists and is not finished is one the interrupted run was writing or failed on: ours."""
    if resuming:
        return
    there = plan.existing_names(out)
    clashes = [job.output for job, _ in pairs if job.output and os.path.basename(job.output) in there]
    if clashes:
        more = f" and {len(clashes) - 1} more" if len(clashes) > 1 else ""
        raise PlanError(f"{clashes[0]}{more} already exist{'s' * (len(clashes) == 1)} "
                        "(use --force to replace, or --resume to go on with an earlier batch)")


LOCAL_CLUSTER_QUIET: dict[str, Any] = {
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.disk": False,
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.work-stealing": False,
}
"""What the local cluster leaves out, because it has no dashboard and nobody reads it: the
system monitor sampling every process twice a second, the workers' statistical profiler
(100 stack walks a second), and work stealing (the scheduler queues tasks until a worker has
a free slot, so there is nothing to steal). On two cores their cost came out of the
conversions: the client and the worker event loops were a third as busy as the conversions
themselves. A cluster given with --scheduler keeps its own configuration."""


@contextmanager
def local_client(workers: int | None = None, memory_limit: str | int = "auto") -> Iterator[Any]:
    """A LocalCluster of `workers` single-threaded worker processes (default: one per core)."""
    import dask
    from distributed import Client, LocalCluster

    from . import forkserver

    n = workers or os.cpu_count() or 1
    method = forkserver.start_method()
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                          "distributed.worker.preload": ["lpconvert.batch.worker_setup"],
                          **({"distributed.worker.multiprocessing-method": method} if method else {}),
                          **LOCAL_CLUSTER_QUIET}):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                          dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as client:
            yield client


@contextmanager
def remote_client(address: str) -> Iterator[Any]:
    from distributed import Client

    try:
        client = Client(address)
    except OSError as exc:
        raise PlanError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        yield client


def run(client: Any, jobs: Sequence[Job], on_start: Callable[[int], None] | None = None) -> Iterator[BatchRecord]:
    """Submit one task per job and yield each record as its package finishes.

    The tasks go to the scheduler in one message (`client.map`), and the records of packages
    that finish together come back in one gather (the client's CPU on the 200-package
    benchmark catalogue: 2.7-3.0 s with a submit and a result call per package, 2.4-2.6 s so)."""
    from distributed import as_completed

    run_id = uuid.uuid4().hex[:8]
    keys = [f"lpconvert-{run_id}-{i}-{os.path.basename(job.input)}" for i, job in enumerate(jobs)]
    futures = dict(zip(client.map(run_job, jobs, key=keys, pure=False), jobs, strict=True))
    if on_start is not None:
        on_start(sum(client.nthreads().values()) or 1)
    for done in as_completed(futures).batches():
        for future, outcome in _outcomes(client, done):
            yield _record_of(outcome, futures.pop(future))
            future.release()


def _outcomes(client: Any, futures: list[Any]) -> Iterator[tuple[Any, Any]]:
    """Each finished future with its result, or with the exception that ended it. The
    results of the futures that succeeded come back in one gather."""
    succeeded = [f for f in futures if f.status == "finished"]
    results = dict(zip(succeeded, client.gather(succeeded), strict=True)) if succeeded else {}
    for future in futures:
        yield future, results[future] if future in results else _exception(future)


def _exception(future: Any) -> BaseException:
    try:
        return future.exception() or RuntimeError("the task ended without a result")
    except BaseException as exc:  # a cancelled future raises instead of returning its exception
        return exc


def _record_of(outcome: Any, job: Job) -> BatchRecord:
    from distributed import KilledWorker

    if isinstance(outcome, KilledWorker):
        data = failed_record(job, f"its worker died {ALLOWED_FAILURES + 1} times while converting it "
                             "(killed, or out of memory)", 0.0)
    elif isinstance(outcome, BaseException):  # e.g. lpconvert missing on a remote worker
        data = failed_record(job, f"the task failed on its worker: {type(outcome).__name__}: {outcome}", 0.0)
    else:
        data = outcome
    return BatchRecord.model_validate(data, strict=False)


def convert_many(inputs: Sequence[str], to: str | None = None, out: str | None = None, client: Any = None, *,
                 workers: int | None = None, scheduler: str | None = None, memory_limit: str | int = "auto",
                 from_format: str | None = None, strict: bool = False, allow_loss: Iterable[str] = (),
                 timeout: float = 1800.0, force: bool = False, previous: Iterable[BatchRecord] | None = None,
                 read_options: Mapping[str, str] | None = None, write_options: Mapping[str, str] | None = None,
                 exclude: Iterable[str] = (), on_plan: Callable[[int], None] | None = None,
                 on_start: Callable[[int], None] | None = None) -> Iterator[BatchRecord]:
    """Convert every package in `inputs` to format `to` under `out` (validate only when `to`
    is None), yielding one `BatchRecord` per package as it finishes.

    `client`: your own `distributed.Client`; else `scheduler` (an address), else a
    LocalCluster of `workers` processes started here and stopped when the generator ends.
    `previous`: the records of an earlier run; the packages they finished are yielded as
    `skipped` and not run again. Usage errors raise `PlanError` before anything runs.
    `on_plan(packages)` is called once the inputs are listed; `on_start(slots)` once the
    tasks are submitted, with how many can run at once.
    """
    pairs = plan_jobs(inputs, to, out, from_format=from_format, strict=strict, allow_loss=allow_loss,
                      timeout=timeout, force=force, previous=previous, read_options=read_options,
                      write_options=write_options, exclude=exclude)
    pending = [job for job, done in pairs if done is None]
    if on_plan is not None:
        on_plan(len(pairs))
    for _, done in pairs:
        if done is not None:
            yield skipped(done)
    if not pending:
        return
    if client is not None:
        yield from run(client, pending, on_start)
        return
    scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    # no more local workers than packages: each one costs a second or so to start
    local_workers = min(workers or os.cpu_count() or 1, len(pending))
    with (remote_client(scheduler) if scheduler else local_client(local_workers, memory_limit)) as own:
        yield from run(own, pending, on_start)
