"""A long-lived upstream oracle: one Django process restores many archives for a whole test run.

Why: ``oracle.py load`` starts Django and migrates a fresh database for every archive, which
cost the suite ~30 cold starts. This server is started once per test session (once per xdist
worker) with the oracle venv's python. It imports the workplace's oracle module (which sets
Django up), migrates once, and then answers one request per stdin line.

Protocol (one JSON object per line, both ways):
  startup     -> {"ready": true}
  {"path": P} -> {"status": "success", "package": summary} | {"status": "error", "errors": text}

It calls oracle.py's own ``_migrate`` and ``summarize``: what it reports is what openedx-core
restored, summarised exactly as the cold ``oracle.py load`` does. Upstream restores every
archive under a new package key, so restores into one database do not see each other
(tests/conformance/test_oracle_server.py checks that against a cold process).

Usage: python oracle_server.py ORACLE_DIR
"""

import json
import os
import sys
import traceback


def _protocol_stream():
    """Keep stdout for answers only: anything else printed (Django, upstream) goes to stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return answers


def _restore(api, oracle, user, path: str) -> dict:
    """Restore one archive with upstream and summarise what landed in the database."""
    result = api.load_learning_package(path, user=user)
    if result["status"] != "success":
        log = result.get("log_file_error")
        return {"status": "error", "errors": log.getvalue() if log else repr(result)}
    lp = api.get_learning_package(result["lp_restored_data"]["id"])
    return {"status": "success", "package": oracle.summarize(lp)}


def main(oracle_dir: str) -> int:
    answers = _protocol_stream()
    sys.path.insert(0, oracle_dir)
    os.chdir(oracle_dir)
    import oracle  # noqa: PLC0415 - sets Django up; only importable inside the oracle venv
    from openedx_content import api  # noqa: PLC0415

    user = oracle._migrate()
    answers.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = _restore(api, oracle, user, json.loads(line)["path"])
        except Exception:  # an upstream crash is an answer, not the end of the server
            answer = {"status": "error", "errors": traceback.format_exc()}
        answers.write(json.dumps(answer, sort_keys=True, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
