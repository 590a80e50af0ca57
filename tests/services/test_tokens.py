"""API tokens remember when they were last used, without a database write on every call."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from library.accounts import service as accounts
from library.accounts.models import ApiToken
from library.db import get_session


def test_last_used_is_written_at_most_once_a_minute(app):
    with app.app_context():
        user = accounts.create_user("tokenuser", "teacher", "密码足够长的口令123", "用令牌的人")
        token = accounts.create_token(user)
        row = get_session().scalar(select(ApiToken))
        assert row.last_used_at is None

        assert accounts.user_for_token(token).id == user.id
        first = row.last_used_at
        assert first is not None
        assert accounts.user_for_token(token).id == user.id
        assert row.last_used_at == first  # within the minute: not written again

        row.last_used_at = first - accounts.TOKEN_TOUCH_INTERVAL - timedelta(seconds=1)
        get_session().commit()
        accounts.user_for_token(token)
        assert row.last_used_at > first - timedelta(seconds=1)
        assert accounts.user_for_token("not-a-token") is None
