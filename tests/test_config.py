"""Configuration: embedded defaults, LIBRARY_* variables, and errors that name the variable."""

from pathlib import Path

import pytest

from library import ConfigError, create_app


def test_embedded_defaults_live_under_the_data_dir(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'library.db'}"
    assert app.config["STORAGE_URL"] == (tmp_path / "storage").as_uri()
    assert app.config["INDEX_DIR"] == str(tmp_path / "index")
    assert app.config["MAX_CONTENT_LENGTH"] == 4096 * 1024 * 1024
    # The generated secret is kept, so sessions survive a restart.
    assert create_app({"DATA_DIR": str(tmp_path)}).secret_key == app.secret_key


def test_environment_variables_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("LIBRARY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LIBRARY_MAX_UPLOAD_MB", "12")
    monkeypatch.setenv("LIBRARY_INDEX_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("LIBRARY_SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 12 * 1024 * 1024
    assert Path(app.config["INDEX_DIR"]) == tmp_path / "elsewhere"
    assert app.secret_key == "from-env"


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("MAX_UPLOAD_MB", "lots", "LIBRARY_MAX_UPLOAD_MB"),
        ("MAX_UPLOAD_MB", "-5", "LIBRARY_MAX_UPLOAD_MB"),
        ("DATABASE_URL", "not a url", "LIBRARY_DATABASE_URL"),
        ("STORAGE_URL", "ftp://somewhere/x", "LIBRARY_STORAGE_URL"),
        ("STORAGE_URL", "file://relative/dir", "LIBRARY_STORAGE_URL"),
        ("INDEX_MODE", "sometimes", "LIBRARY_INDEX_MODE"),
        ("DERIVE_MEMORY_MB", "64", "LIBRARY_DERIVE_MEMORY_MB"),
        ("DERIVE_WALL_SECONDS", "0", "LIBRARY_DERIVE_WALL_SECONDS"),
        ("DERIVE_CPU_SECONDS", "soon", "LIBRARY_DERIVE_CPU_SECONDS"),
    ],
)
def test_wrong_configuration_fails_at_start_naming_the_variable(tmp_path, monkeypatch, setting, value, named):
    monkeypatch.setenv(f"LIBRARY_{setting}", value)
    with pytest.raises(ConfigError, match=named):
        create_app({"DATA_DIR": str(tmp_path)})


def test_unreachable_s3_endpoint_fails_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    with pytest.raises(ConfigError, match="AWS_ENDPOINT_URL"):
        create_app({"DATA_DIR": str(tmp_path), "STORAGE_URL": "s3://bucket"})
