"""Configuration view and edit. Editing rewrites the TOML file only after the whole new file
loads cleanly (``load_config``), atomically; the caller audits each change (old → new)."""

from __future__ import annotations

import dataclasses
import json
import tomllib
import typing
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic
from kiosk.config import Config, ConfigError, load_config


def flatten(cfg: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            if f.name == "source":
                continue
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
            else:
                out[prefix + f.name] = value

    walk(cfg, "")
    return out


def _hint(key: str) -> Any:
    cls: Any = Config
    hint: Any = None
    for part in key.split("."):
        if not dataclasses.is_dataclass(cls):
            raise ConfigError(key, "unknown key")
        hints = typing.get_type_hints(cls)
        if part not in hints or part == "source":
            raise ConfigError(key, "unknown key")
        hint = cls = hints[part]
    if dataclasses.is_dataclass(hint):
        raise ConfigError(key, "is a table, not a value")
    return hint


def parse_value(key: str, text: str) -> Any:
    hint = _hint(key)
    text = text.strip()
    if hint is bool:
        if text not in ("true", "false"):
            raise ConfigError(key, "must be true or false")
        return text == "true"
    try:
        if hint is int:
            return int(text, 0)
        if hint is float:
            return float(text)
    except ValueError:
        raise ConfigError(key, f"must be a number, got {text!r}") from None
    if any(not c.isprintable() for c in text):
        raise ConfigError(key, "control characters are not allowed")
    return text


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def dump_toml(table: dict[str, Any]) -> str:
    lines: list[str] = []

    def emit(t: dict[str, Any], path: str) -> None:
        scalars = {k: v for k, v in t.items() if not isinstance(v, dict)}
        if path and scalars:
            lines.append(f"\n[{path}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
        for k, v in t.items():
            if isinstance(v, dict):
                emit(v, f"{path}.{k}" if path else k)

    emit(table, "")
    return "\n".join(lines).lstrip("\n") + "\n"


def edit(cfg: Config, key: str, text: str) -> tuple[Config, Any, Any]:
    """Set ``key`` in the configuration file; returns (new config, old value, new value)."""
    if not cfg.source:
        raise ConfigError("(file)", "the kiosk runs on built-in defaults; there is no file to edit")
    value = parse_value(key, text)
    old = flatten(cfg)[key]
    path = Path(cfg.source)
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    node = table
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    # the whole new file must load before it replaces the old one
    write_atomic(path, dump_toml(table), mode=0o640, check=load_config)
    return load_config(path), old, value
