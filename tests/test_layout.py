"""The house rules of ARCHITECTURE.md, checked from the code's own imports: storage/ and
search_index/ stand alone; within a domain, models < services < the web layer (views, API routes,
serialisers, commands); no view or API route opens a database session or reaches storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("accounts", "admin", "assessment", "audit", "demo", "jobs", "lending", "notifications", "resources",
           "search", "shelf", "stats", "studios", "textbooks")
WEB_KINDS = {"views", "api", "cli", "serialise", "file_views", "review_views", "upload_views", "share_views"}


def _imports(path: Path) -> list[str]:
    """Every module an import in this file names, at module level or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def _kind(path: Path) -> str:
    return path.stem


@pytest.mark.parametrize("package", ["storage", "search_index"])
def test_storage_and_search_index_stand_alone(package):
    wrong = {f"{p.relative_to(ROOT)}: {name}" for p in _modules(package) for name in _imports(p)
             if name.split(".")[0] in ("library", "flask")}
    assert not wrong


def test_every_domain_is_a_package_with_its_rooms():
    for domain in DOMAINS:
        assert (ROOT / "library" / domain / "__init__.py").is_file(), domain
    for old in ("services", "models", "views", "api"):
        assert not list((ROOT / "library" / old).glob("*.py")), f"library/{old}/ is cut by layer, not by domain"


def test_models_import_no_services_and_no_web():
    for path in ROOT.glob("library/*/models.py"):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "library" and len(parts) >= 3 and parts[1] in DOMAINS:
                assert parts[2] == "models", f"{path.relative_to(ROOT)} imports {name}"
            assert parts[0] != "flask", f"{path.relative_to(ROOT)} imports {name}"


def test_services_never_import_the_web_layer():
    for domain in DOMAINS:
        for path in _modules(f"library/{domain}"):
            if _kind(path) in WEB_KINDS or domain in ("admin", "demo"):
                continue
            for name in _imports(path):
                parts = name.split(".")
                assert not (parts[:2] == ["library", "web"]
                            or (len(parts) >= 3 and parts[0] == "library" and parts[2] in WEB_KINDS)), \
                    f"{path.relative_to(ROOT)} (a service) imports {name}"
                assert name not in ("flask.render_template", "flask.url_for", "flask.request"), \
                    f"{path.relative_to(ROOT)} (a service) uses {name}"


def test_views_and_api_routes_neither_query_nor_reach_storage():
    for path in ROOT.glob("library/*/*.py"):
        if _kind(path) not in WEB_KINDS - {"cli", "serialise"}:
            continue
        for name in _imports(path):
            assert name not in ("library.db.get_session", "sqlalchemy.select"), \
                f"{path.relative_to(ROOT)} queries the database itself ({name}): call a service"
            assert name.split(".")[0] != "storage" or name == "storage.content_disposition", \
                f"{path.relative_to(ROOT)} reaches storage ({name}): call a service"
        assert 'extensions["storage"]' not in path.read_text(encoding="utf-8"), path


def _private_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """Private names used on another object: `x._name` where x is not self or cls, `self._name`
    in a class that never sets it (so a base class from a library does), `from whoosh… import _x`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            found += [(node.lineno, f"import {a.name}") for a in node.names if a.name.startswith("_")]
        if not isinstance(node, ast.ClassDef):
            continue
        own = {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        own |= {t.id for n in node.body if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
        own |= {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)
                and isinstance(n.target, ast.Name)}
        for sub in ast.walk(node):
            targets = sub.targets if isinstance(sub, ast.Assign) else (
                [sub.target] if isinstance(sub, (ast.AnnAssign, ast.AugAssign)) else [])
            own |= {t.attr for t in targets if isinstance(t, ast.Attribute)}
        for sub in ast.walk(node):
            if (isinstance(sub, ast.Attribute) and sub.attr.startswith("_")
                    and not sub.attr.startswith("__") and isinstance(sub.value, ast.Name)
                    and sub.value.id in ("self", "cls") and sub.attr not in own):
                found.append((sub.lineno, f"{sub.value.id}.{sub.attr}"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_whoosh_internals_are_reached_through_one_door():
    """Only search_index/whoosh_internals.py touches private Whoosh names (checked at index open)."""
    wrong = [f"{p.relative_to(ROOT)}:{line}: {use}" for p in _modules("search_index")
             if p.name != "whoosh_internals.py"
             for line, use in _private_uses(ast.parse(p.read_text(encoding="utf-8")))]
    assert wrong == []


def test_the_door_check_sees_a_private_use():
    code = ("from whoosh.query.qcore import _NullQuery\n"
            "class W(Base):\n    def f(self):\n        return self._ids, matcher._data\n")
    assert [use for _, use in _private_uses(ast.parse(code))] == [
        "import _NullQuery", "self._ids", "matcher._data"]
