"""schemathesis against the live API, from its own OpenAPI document: every operation, valid and
invalid inputs, as six callers (anonymous, admin, host, teacher, school, coordinator), on SQLite
and on PostgreSQL. The bar: no 5xx, and every answer matches the document (status, media type,
body schema).

The app is served over real HTTP (a werkzeug server thread on 127.0.0.1). Path parameters are
drawn both at random and from the rows the world holds, so operations reach real resources, loans
and agreements, not only 404s. Writes are real: a fuzzed return, decline or delete changes the
state later cases see. `FUZZ_EXAMPLES` (default 12 per operation and mode) sets the depth; the
run is derandomised so CI sees the same cases each time."""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from werkzeug.serving import make_server

from library.search import indexing
from tests.support.app import make_app
from tests.support.lending import active_agreement, borrow, build_lending

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _world(app, sample_dir):
    client = app.test_client()
    lend = build_lending(app, client, sample_dir)
    agreement = active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    w = lend.world
    tokens = {"anonymous": None, "admin": w.admin_token, "host": w.host_token, "teacher": w.teacher_token,
              "school": lend.school_token, "coordinator": lend.coordinator_token}
    known = {
        "resource_id": [lend.lendable, lend.lendable_video, lend.internal, lend.studio_only,
                        lend.other_studio_lendable],
        "loan_id": [loan["id"]],
        "agreement_id": [agreement["id"]],
        "file_id": [f["id"] for f in client.get(f"/api/v1/resources/{lend.lendable}",
                                                headers={"Authorization": f"Bearer {w.host_token}"}).json["files"]],
        "slug": ["wang-math", "li-chinese"],
        "year": [2026, 2025],
        "action": ["submit", "publish", "return", "withdraw"],
    }
    return tokens, known


def _strategy(operation, known):
    """Cases with random path parameters, and cases naming rows the world really has."""
    modes = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    names = [p.name for p in operation.path_parameters]
    if names and all(name in known for name in names):
        fixed = st.fixed_dictionaries({name: st.sampled_from(known[name]) for name in names})
        modes.append(fixed.flatmap(lambda values: operation.as_strategy(path_parameters=values)))
    return st.one_of(modes)


def fuzz(app, sample_dir) -> Tally:
    tokens, known = _world(app, sample_dir)
    server, base = _serve(app)
    tally = Tally()
    index_errors = _IndexErrors()
    try:
        schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            tally.operations += 1

            @settings(max_examples=EXAMPLES * 3, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=_strategy(operation, known), role=st.sampled_from(sorted(tokens)))
            def run(case, role):
                token = tokens[role]
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                if token and case.headers and "Authorization" in case.headers:
                    case.headers.pop("Authorization")
                response = case.call(base_url=base, headers=headers, timeout=30)
                tally.cases += 1
                tally.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (FailureGroup, Failure) as error:
                    # Keep going: one report listing every distinct problem beats the first one.
                    for failure in error.exceptions if isinstance(error, FailureGroup) else [error]:
                        summary = (f"{case.method} {case.formatted_path} as {role} → {response.status_code}: "
                                   f"{getattr(failure, 'title', '')}: {str(failure).strip()[:400]}")
                        if summary not in tally.failures:
                            tally.failures.append(summary)

            run()
    finally:
        server.shutdown()
        index_errors.close()
    # The index came through whole: no failed inline indexing or damage on the way, the live
    # generation reads through, and once the log is applied it holds exactly the database's rows.
    assert index_errors.messages == [], "\n".join(index_errors.messages)
    with app.app_context():
        assert indexing.check_health() == []
        indexing.sync()
        assert indexing.check() == ([], [])
    return tally


class _IndexErrors(logging.Handler):
    """Errors the search index and its indexer log (from the server's threads) while it lives."""

    LOGGERS = ("library.search", "search_index")

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")

    def close(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)
        super().close()


def _report(tally: Tally, where: str) -> None:
    print(f"\n[fuzz {where}] operations={tally.operations} cases={tally.cases} "
          f"statuses={dict(sorted(tally.statuses.items()))} failures={len(tally.failures)}")
    assert tally.operations >= 1 and tally.cases >= tally.operations * EXAMPLES
    assert not [s for s in tally.statuses if s >= 500], tally.failures
    assert tally.failures == [], "\n".join(tally.failures)


@pytest.mark.timeout(900)
def test_fuzz_the_api_on_sqlite(app, sample_dir):
    _report(fuzz(app, sample_dir), "sqlite")


@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_fuzz_the_api_on_postgresql(tmp_path, pg_url, sample_dir):
    app = make_app(tmp_path / "i", DATABASE_URL=pg_url)
    try:
        _report(fuzz(app, sample_dir), "postgresql")
    finally:
        app.extensions["db_engine"].dispose()
