"""The listing pages' query strings (page, sort, stage): a clear 400 for what cannot be a choice.
`?page=99999999999999999999` reached SQLite as an OFFSET too large for an INTEGER: a 500."""

from __future__ import annotations

import pytest

from tests.support.app import build_world

PAGES = ["/", "/subjects/math", "/studios/wang-math"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("args", [{"page": "99999999999999999999"}, {"page": "²"}, {"page": "0"},
                                  {"sort": "bogus"}])
def test_a_choice_that_cannot_be_is_a_400_naming_it(app, client, path, args):
    build_world(app)
    response = client.get(path, query_string=args)
    assert response.status_code == 400, response.status_code
    assert "请修改后重新提交" in response.get_data(as_text=True)
    api_like = client.get(path, query_string=args, headers={"Accept": "application/json"})
    assert set(api_like.get_json()["error"]["fields"]) == set(args)


@pytest.mark.parametrize("path", PAGES)
def test_good_choices_and_an_old_stage_code_still_answer(app, client, path):
    build_world(app)
    for args in ({}, {"page": "2", "sort": "downloads"}, {"stage": "no-such-stage"}, {"page": " 1 "}):
        assert client.get(path, query_string=args).status_code == 200, args
