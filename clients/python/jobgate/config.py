"""Where a client's URL, token and default job options come from.

Highest first:
  1. arguments: ``Client(url=..., token=...)``
  2. a profile named by argument: ``Client(profile="prod")``
  3. the environment: ``JOBGATE_URL``, ``JOBGATE_TOKEN``
  4. the profile named by ``JOBGATE_PROFILE``, else the config file's ``profile`` key, else the
     profile called ``default`` if the file has one
  5. the URL defaults to http://127.0.0.1:8080 (the quick start); a token is required.

The config file is ``$JOBGATE_CONFIG``, else ``$XDG_CONFIG_HOME/jobgate/config.toml``, else
``~/.config/jobgate/config.toml``:

    profile = "local"                 # the default profile (optional)

    [profiles.local]
    url = "http://127.0.0.1:8080"
    token = "jgc_..."

    [profiles.prod]
    url = "https://jobs.example.com"
    token = "jgc_..."
    runtime = "python3"               # optional, the runtime of call jobs
    [profiles.prod.options]           # optional, default options of every job
    limits = { cpu_ms = 20000, memory_mb = 512 }
    labels = { team = "search" }
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from .errors import ConfigError

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_RUNTIME = "python3"


@dataclass
class Settings:
    """A resolved configuration."""

    url: str
    token: str
    runtime: str = DEFAULT_RUNTIME
    options: dict = field(default_factory=dict)
    profile: Optional[str] = None


def config_path() -> Path:
    explicit = os.environ.get("JOBGATE_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "jobgate" / "config.toml"


def _load_file(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None


def _profile(doc: Mapping[str, Any], name: str, path: Path, required: bool) -> dict:
    profiles = doc.get("profiles") or {}
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table")
    if name not in profiles:
        if required:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(f"no profile '{name}' in {path} (profiles: {known})")
        return {}
    p = profiles[name]
    if not isinstance(p, dict):
        raise ConfigError(f"{path}: profiles.{name} must be a table")
    unknown = set(p) - {"url", "token", "runtime", "options"}
    if unknown:
        raise ConfigError(f"{path}: profiles.{name}: unknown key(s) {', '.join(sorted(unknown))}")
    return p


def resolve(url: Optional[str] = None, token: Optional[str] = None, profile: Optional[str] = None,
            runtime: Optional[str] = None) -> Settings:
    """Resolve the settings in the order described in the module documentation."""
    path = config_path()
    doc = _load_file(path)
    explicit: dict = {}
    if profile is not None:
        explicit = _profile(doc, profile, path, required=True)
    env_profile = os.environ.get("JOBGATE_PROFILE")
    if profile is None and env_profile:
        profile = env_profile
        fallback = _profile(doc, env_profile, path, required=True)
    elif profile is None:
        profile = doc.get("profile")
        fallback = _profile(doc, profile, path, required=True) if profile else _profile(doc, "default", path, False)
        profile = profile or ("default" if fallback else None)
    else:
        fallback = {}

    def pick(arg: Optional[str], key: str, env: Optional[str]) -> Optional[str]:
        for v in (arg, explicit.get(key), os.environ.get(env) if env else None, fallback.get(key)):
            if v:
                return str(v)
        return None

    s_url = pick(url, "url", "JOBGATE_URL") or DEFAULT_URL
    s_token = pick(token, "token", "JOBGATE_TOKEN")
    if not s_token:
        raise ConfigError(f"no token: pass Client(token=...), set JOBGATE_TOKEN, or add a profile to {path}")
    s_runtime = pick(runtime, "runtime", None) or DEFAULT_RUNTIME
    options = dict(fallback.get("options") or {})
    options.update(explicit.get("options") or {})
    return Settings(url=s_url.rstrip("/"), token=s_token, runtime=s_runtime, options=options, profile=profile)
