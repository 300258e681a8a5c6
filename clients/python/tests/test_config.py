"""Where URL, token and default options come from: arguments, profiles, the environment."""
from __future__ import annotations

import pytest

import jobgate
from jobgate import config

CONFIG = """
profile = "local"

[profiles.local]
url = "http://127.0.0.1:1111"
token = "tok-local"

[profiles.prod]
url = "https://jobs.example.com/api/"
token = "tok-prod"
runtime = "python3.11"
[profiles.prod.options]
limits = { cpu_ms = 20000 }
labels = { team = "search" }
"""


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("JOBGATE_CONFIG", str(path))
    return path


def test_default_profile_from_the_file(cfg):
    s = config.resolve()
    assert (s.url, s.token, s.profile, s.runtime) == ("http://127.0.0.1:1111", "tok-local", "local", "python3")


def test_profile_argument(cfg):
    s = config.resolve(profile="prod")
    assert (s.url, s.token, s.runtime) == ("https://jobs.example.com/api", "tok-prod", "python3.11")
    assert s.options == {"limits": {"cpu_ms": 20000}, "labels": {"team": "search"}}


def test_profile_from_the_environment(cfg, monkeypatch):
    monkeypatch.setenv("JOBGATE_PROFILE", "prod")
    assert config.resolve().token == "tok-prod"


def test_environment_beats_the_default_profile(cfg, monkeypatch):
    monkeypatch.setenv("JOBGATE_URL", "http://env:2")
    monkeypatch.setenv("JOBGATE_TOKEN", "tok-env")
    s = config.resolve()
    assert (s.url, s.token) == ("http://env:2", "tok-env")


def test_named_profile_beats_the_environment_and_arguments_beat_all(cfg, monkeypatch):
    monkeypatch.setenv("JOBGATE_TOKEN", "tok-env")
    assert config.resolve(profile="prod").token == "tok-prod"
    assert config.resolve(profile="prod", token="tok-arg").token == "tok-arg"
    assert config.resolve(url="http://arg:3").url == "http://arg:3"


def test_xdg_location(tmp_path, monkeypatch):
    monkeypatch.delenv("JOBGATE_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "jobgate").mkdir()
    (tmp_path / "jobgate" / "config.toml").write_text('[profiles.default]\ntoken = "tok-default"\n')
    s = config.resolve()
    assert (s.token, s.url, s.profile) == ("tok-default", config.DEFAULT_URL, "default")


def test_errors(cfg, tmp_path, monkeypatch):
    with pytest.raises(jobgate.ConfigError, match="no profile 'nope'.*local, prod"):
        config.resolve(profile="nope")
    monkeypatch.setenv("JOBGATE_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(jobgate.ConfigError, match="no token"):
        config.resolve()
    bad = tmp_path / "bad.toml"
    bad.write_text("[profiles.x]\ntokn = 1\n")
    monkeypatch.setenv("JOBGATE_CONFIG", str(bad))
    with pytest.raises(jobgate.ConfigError, match="unknown key"):
        config.resolve(profile="x")
    bad.write_text("not toml [")
    with pytest.raises(jobgate.ConfigError, match="cannot read"):
        config.resolve()


def test_client_uses_profile_options(cfg, stack, tmp_path, monkeypatch):
    path = tmp_path / "live.toml"
    path.write_text('[profiles.live]\nurl = "%s"\ntoken = "%s"\n[profiles.live.options]\nlabels = { via = "profile" }\n'
                    % (stack.url, stack.client_token))
    monkeypatch.setenv("JOBGATE_CONFIG", str(path))
    with jobgate.Client(profile="live") as c:
        f = c.submit(abs, -4, options={"labels": {"call": "x"}})
        assert f.result(60) == 4
        assert c.status(f.job_id)["labels"] == {"via": "profile", "call": "x"}
