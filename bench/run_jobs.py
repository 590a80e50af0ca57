"""Run the due jobs of the app named by the LIBRARY_* environment, timing each: `bench.upload`
runs it after an S3 upload to measure the worker's move into the bucket apart from the request.
Prints one JSON object: kind → [[seconds, outcome], …]."""

from __future__ import annotations

import json
import time

from library import create_app
from library.jobs import service as jobs


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
                kind, started = job.kind, time.monotonic()
                outcome = jobs.run_one(session, job, "bench")
                times.setdefault(kind, []).append((time.monotonic() - started, outcome))
    print(json.dumps(times))


if __name__ == "__main__":  # the derive sandbox's forkserver needs the guard
    main()
