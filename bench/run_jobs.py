"""Run the due jobs of the app named by the LIBRARY_* environment, timing each: `bench.upload`
runs it after an S3 upload to measure the worker's move into the bucket apart from the request.
Prints one JSON object: kind → [[seconds, outcome, memory growth MiB], …]; the growth is this
process's peak resident memory during the job (VmHWM after, the peak reset just before) minus its
resident memory just before (VmRSS), as bench.upload measures the web worker."""

from __future__ import annotations

import json
import time
from pathlib import Path

from library import create_app
from library.jobs import service as jobs


def _status() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def main() -> None:
    app = create_app()
    times: dict[str, list[tuple[float, str]]] = {}
    with app.app_context():
        factory = app.extensions["db_sessionmaker"]
        while True:
            with factory() as session:
                job = jobs.claim(session, "bench")
                if job is None:
                    break
                Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
                before = _status()["VmRSS"]
                kind, started = job.kind, time.monotonic()
                outcome = jobs.run_one(session, job, "bench")
                growth = (_status()["VmHWM"] - before) / 1024
                times.setdefault(kind, []).append((time.monotonic() - started, outcome, growth))
    print(json.dumps(times))


if __name__ == "__main__":  # the derive sandbox's forkserver needs the guard
    main()
