"""Nothing typed into a form makes a page answer 500: every HTML form (POST), with a valid CSRF
token, given odd values in every field it reads — huge and non-ASCII numbers, control
characters, over-long text, unknown choices — as the admin, a host, a school and a teacher."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.app import csrf_token, login
from tests.support.lending import active_agreement, borrow, build_lending

# Every name a form reads (grep -rn "form.get" library/) and the resource fields of DESIGN.md.
FIELDS = ["action", "active", "activity_id", "class_period", "code", "comment", "coordinators", "current_password",
          "description", "display_name", "email", "frequency_count", "frequency_period", "job_id", "name", "name_en",
          "name_zh", "new_password", "next", "password", "purpose", "reason", "remember", "resource_ids", "role",
          "school", "slug", "stage", "subject", "token_id", "user_id", "username", "weak", "id", "kinds",
          "school_ids", "scope_subjects", "stages", "subjects", "title", "kind", "studio", "year", "grade",
          "award_level", "award_name", "project_level", "project_status", "project_number", "publication",
          "visibility", "abstract", "authors", "keywords", "starts_on", "ends_on", "frequency", "outcomes",
          "scope", "held_on", "participants", "lessons", "rating", "weight", "points", "ids", "host"]

ODD = ["", "²", "①", "２０２４", "99999999999999999999", "-1", "0", "1.5", "\x01", "a\x0bb", "\u200b", "x" * 5000,
       "2024-02-30", "9999-99-99", "true", "[1, 2]", '{"a": 1}', "<b>", "math", "primary", "wang-math", "paper",
       "public", "2/month", "all", "list", "filter"]

values = st.one_of(st.sampled_from(ODD), st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                                                        blacklist_characters="\x00"), max_size=12))


def _forms(app, known):
    fill = {"resource_id": known["resource_id"] + [999999], "loan_id": known["loan_id"] + [999999],
            "agreement_id": known["agreement_id"] + [999999], "file_id": known["file_id"] + [999999],
            "slug": ["wang-math", "no-such"],
            "action": ["confirm", "end", "renew", "return", "approve", "decline", "submit", "publish", "withdraw"]}
    forms = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint.startswith(("api.", "static")):
            continue
        if rule.endpoint in ("auth.logout", "auth.login"):
            continue  # signing out ends the caller's session; sign-in has its own tests (throttle)
        path = re.sub(r"<(?:any\([^)]*\)|[^:>]+):(\w+)>|<(\w+)>", lambda m: "{" + (m.group(1) or m.group(2)) + "}",
                      rule.rule)
        forms.append((path, {name: fill[name] for name in re.findall(r"\{(\w+)\}", path)}))
    return forms


SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def test_no_form_answers_500_whatever_is_typed(app, sample_dir):
    client = app.test_client()
    lend = build_lending(app, client, sample_dir)
    agreement = active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    files = client.get(f"/api/v1/resources/{lend.lendable}", headers={"Authorization": f"Bearer {lend.world.host_token}"}).json
    known = {"resource_id": [lend.lendable, lend.internal], "loan_id": [loan["id"]], "agreement_id": [agreement["id"]],
             "file_id": [f["id"] for f in files["files"]]}
    forms = _forms(app, known)
    assert len(forms) >= 18
    clients, tokens = {}, {}
    for role, username in (("admin", "admin"), ("host", "wangli"), ("school", "xiwang"), ("teacher", "zhangsan")):
        clients[role] = app.test_client()
        assert login(clients[role], username).status_code == 302
        tokens[role] = csrf_token(clients[role], "/account")
    seen: dict[int, int] = {}

    def post(role, url, form):
        response = clients[role].post(url, data={**form, "csrf_token": tokens[role]})
        response.close()
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (role, url, form, response.status_code)

    # A sweep: each form with every field set to each odd value, as the admin and a host.
    for path, fill in forms:
        url = path.format(**{name: choices[0] for name, choices in fill.items()})
        for role in ("admin", "host"):
            for value in ("²", "99999999999999999999", "\x01", "x" * 5000, "2024-02-30", ""):
                post(role, url, {name: value for name in FIELDS})

    @SETTINGS
    @given(form=st.sampled_from(forms), role=st.sampled_from(sorted(clients)), data=st.data(),
           fields=st.dictionaries(st.sampled_from(FIELDS), values, max_size=10))
    def submit(form, role, data, fields):
        path, fill = form
        url = path.format(**{name: data.draw(st.sampled_from(choices)) for name, choices in fill.items()})
        post(role, url, fields)

    submit()
    print(f"\n[forms] {len(forms)} forms, statuses {dict(sorted(seen.items()))}")
