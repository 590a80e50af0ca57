"""Chinese first, English second: locale choice and the labels of coded vocabularies."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_date as babel_format_date
from flask import Flask, g, has_app_context, has_request_context, request, url_for
from flask_babel import (Babel, LazyString, format_date, format_datetime, format_decimal, format_time, get_locale,
                         get_translations)

from library import clock

LOCALES = ("zh_CN", "en")
COOKIE = "lang"
QUERY_SAFE = "!$'()*,/:;?@"


# A page calls gettext a few hundred times (labels, buttons, every card's badges). Flask-Babel
# finds the locale and its catalogue again on each call; `translations()` keeps them on the
# request's Flask-Babel namespace, looked up again only when the locale object changes
# (`force_locale` for a mail in another language swaps it and puts it back).
def translations():
    """The gettext catalogue of the current locale (the request's, or the forced one)."""
    if not has_app_context():
        return get_translations()
    space = g.get("_flask_babel")
    locale = getattr(space, "babel_locale", None)
    cached = getattr(space, "library_translations", None)
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    found = get_translations()
    space = g.get("_flask_babel")  # created by the lookup when it was missing
    if space is not None:
        space.library_translations = (getattr(space, "babel_locale", None), found)
    return found


def gettext(string: str, **variables: Any) -> str:
    """flask_babel.gettext, with the catalogue found once per request."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def _l(string: str, **variables: Any) -> LazyString:
    """A label translated when shown, in the language of the page showing it."""
    return LazyString(gettext, string, **variables)


KIND_LABELS = {
    "lesson_video": _l("录课视频"),
    "award_case": _l("获奖课例"),
    "excellent_case": _l("优秀课例"),
    "research_project": _l("课题研究"),
    "paper": _l("论文文章"),
    "other": _l("其他成果"),
}
AWARD_LEVEL_LABELS = {
    "national": _l("国家级"),
    "provincial": _l("省级"),
    "prefecture": _l("州市级"),
    "county": _l("县市级"),
    "school": _l("校级"),
}
PROJECT_STATUS_LABELS = {"approved": _l("立项"), "ongoing": _l("在研"), "concluded": _l("结题")}
VISIBILITY_LABELS = {
    "public": _l("公开"),
    "internal": _l("登录可见"),
    "studio": _l("工作室内部"),
    "lendable": _l("可借阅"),
}
STATUS_LABELS = {
    "draft": _l("草稿"),
    "submitted": _l("待审核"),
    "published": _l("已发布"),
    "returned": _l("已退回"),
    "withdrawn": _l("已撤回"),
}
LOAN_STATE_LABELS = {"requested": _l("待审批"), "active": _l("借阅中"), "declined": _l("未同意"),
                     "returned": _l("已归还"), "expired": _l("已到期")}
STUDIO_ROLE_LABELS = {"host": _l("主持人"), "member": _l("成员"), "trainee": _l("学员")}
ROLE_LABELS = {"admin": _l("管理员"), "coordinator": _l("研训员"), "teacher": _l("教师"), "school": _l("帮扶学校")}
WORKFLOW_LABELS = {"create": _l("上传"), "submit": _l("提交审核"), "publish": _l("发布"), "return": _l("退回"),
                   "withdraw": _l("撤回")}
STAGE_LABELS = {"preschool": _l("学前"), "primary": _l("小学"), "junior": _l("初中"), "senior": _l("高中")}
ACTIVITY_KIND_LABELS = {"training": _l("培训"), "teaching_research": _l("教研活动"), "live": _l("直播课"),
                        "outreach": _l("送教下乡"), "other": _l("其他活动")}
SORT_LABELS = {"newest": _l("最新"), "downloads": _l("下载最多"), "title": _l("按标题")}


def select_locale() -> str:
    """?lang= (remembered in a cookie), then the cookie, then Chinese (also for the command line)."""
    if not has_request_context():
        return "zh_CN"
    wanted = request.args.get("lang") or request.cookies.get(COOKIE)
    if wanted in LOCALES:
        if request.args.get("lang"):
            g.set_lang_cookie = wanted
        return wanted
    return "zh_CN"


def is_english() -> bool:
    """Whether the page is shown in English."""
    return getattr(get_locale(), "language", None) == "en"


def vocab_name(row) -> str:
    """The name of a Subject or Stage row in the page's language."""
    if row is None:
        return ""
    return row.name_en if is_english() else row.name_zh


def list_separator() -> str:
    """What goes between the items of a list: 、 in Chinese, ", " in English."""
    return ", " if is_english() else "、"


def join_names(names) -> str:
    """'王丽、陈静' in Chinese, 'Wang Li, Chen Jing' in English."""
    return list_separator().join(str(n) for n in names)


def book_title(title: str) -> str:
    """A title between book-title marks, never doubled: 《背影》 stays as it is, 背影 becomes 《背影》,
    and a title that holds marks of its own (《背影》教学设计) is quoted “…” instead; in English a
    title is quoted “…” (its own outer marks dropped)."""
    title = str(title or "").strip()
    inner = title[1:-1] if title.startswith("《") and title.endswith("》") else None
    plain = inner is not None and "《" not in inner and "》" not in inner
    if has_app_context() and is_english():
        return f"“{inner if plain else title}”"
    if plain:
        return title
    if "《" in title or "》" in title:
        return f"“{title}”"
    return f"《{title}》"


def human_size(size: int | None) -> str:
    """1536 → '1.5 KB', with the locale's decimal mark."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    pattern = "#,##0" if unit == "B" else "#,##0.0"
    return f"{format_decimal(value, format=pattern)} {unit}"


def human_duration(seconds: float | None) -> str:
    """75.4 → '1:15', 3725 → '1:02:05'."""
    if not seconds:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def local_datetime(value, style: str = "minute") -> str:
    """A stored (naive UTC) timestamp, or an ISO text ending in Z, in the page's language and the
    county's time zone, to the minute ('2026年12月2日 12:42' / 'December 2, 2026, 12:42 PM');
    another Babel style ('short', 'medium' …) when one is asked for."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if style != "minute":
        return format_datetime(value, style)
    locale = get_locale() or Locale.parse("zh_CN")
    glue = locale.datetime_formats.get("long", "{1} {0}")
    return str(glue).format(format_time(value, "short"), format_date(value, "long"))


def local_date(value, style: str = "long") -> str:
    """A stored timestamp's date in the page's language ('2024年5月3日' / 'May 3, 2024')."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):  # stored as naive UTC; the day is the county's
        day = value.astimezone(clock.zone()).date() if value.tzinfo else clock.local_day(value)
    else:
        day = value
    return _formatted_date(day, style, get_locale() or Locale.parse("zh_CN"))


@lru_cache(maxsize=4096)
def _formatted_date(day: dt.date, style: str, locale: Locale) -> str:
    # Babel's pattern formatting costs tens of microseconds; a page of cards shows few dates.
    return babel_format_date(day, style, locale=locale)


def url_here(**updates) -> str:
    """The current page's URL with some query arguments replaced (None removes one)."""
    path, query = _here()
    args = dict(query)
    for name, value in updates.items():
        if name.startswith("_"):
            continue
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value if isinstance(value, list) else [value]
    pairs = [(name, item) for name, values in args.items() for item in values if item is not None]
    # Encoded as url_for encodes query arguments (Werkzeug keeps these characters as they are).
    return f"{path}?{urlencode(pairs, safe=QUERY_SAFE)}" if pairs else path


def _here() -> tuple[str, dict[str, list[Any]]]:
    """The current page's path (as url_for builds it) and its query arguments, worked out once
    per request: a search page links its facets, sorts and pages through url_here ~60 times.
    The path's own arguments win (`/assessment/2024?year=1`), and url_for's options
    (`_external`, `_scheme`, `_anchor` …) are never taken from a query string."""
    cached = request.environ.get("library.url_here")  # per request (g may outlive one in tests)
    if cached is None:
        path_args = request.view_args or {}
        query = {name: values for name, values in request.args.lists()
                 if name not in path_args and not name.startswith("_")}
        if request.endpoint is None or request.endpoint == "static":
            path = url_for("resources.home")
        else:
            path = url_for(request.endpoint, **path_args)
        cached = request.environ["library.url_here"] = (path, query)
    return cached


def _remember_lang(response):
    lang = g.pop("set_lang_cookie", None)
    if lang:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    """Install Flask-Babel and the template helpers for labels."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    # Timestamps are stored in UTC; the county's teachers read them in China Standard Time.
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # Flask-Babel's, catalogue found once
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    app.after_request(_remember_lang)
    app.jinja_env.globals.update(
        KIND_LABELS=KIND_LABELS,
        AWARD_LEVEL_LABELS=AWARD_LEVEL_LABELS,
        PROJECT_STATUS_LABELS=PROJECT_STATUS_LABELS,
        VISIBILITY_LABELS=VISIBILITY_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        STUDIO_ROLE_LABELS=STUDIO_ROLE_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        WORKFLOW_LABELS=WORKFLOW_LABELS,
        STAGE_LABELS=STAGE_LABELS,
        SORT_LABELS=SORT_LABELS,
        ACTIVITY_KIND_LABELS=ACTIVITY_KIND_LABELS,
        vocab_name=vocab_name,
        list_sep=list_separator,
        url_here=url_here,
        is_english=is_english,
        current_locale=lambda: str(get_locale()),
    )
    app.jinja_env.filters["filesize"] = human_size
    app.jinja_env.filters["names"] = join_names
    app.jinja_env.filters["book_title"] = book_title
    app.jinja_env.filters["duration"] = human_duration
    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.filters["date"] = local_date
