"""YAML reading that refuses what a plain loader silently accepts.

A duplicated key is an error (PyYAML keeps the last one silently), and every
error names the file and the line.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml

from rtmcim.errors import ConfigError, RtmcimError, unknown

# libyaml's parser when PyYAML was built with it (10x faster on a technology preset); the
# constructor, where duplicate keys are caught, is Python in both
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """SafeLoader that rejects duplicate mapping keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                f"duplicate key (first at line {seen[key]}, again at line {key_node.start_mark.line + 1})",
                key=str(key),
                source=key_node.start_mark.name,
                allowed="each key once per mapping",
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def loads(text: str, source: str = "<string>") -> Any:
    """Parse YAML text strictly; ``source`` names it in errors."""
    try:
        return yaml.load(_named(text, source), Loader=_StrictLoader)
    except ConfigError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", source=where) from exc


MAX_TEXT_BYTES = 16 * 2**20
"""Largest configuration text read (the shipped configs are a few KiB): a bigger file is refused
before it is read, so a wrong path to a huge file costs no memory."""


def read_text(
    path: str | Path,
    what: str = "file",
    error: type[RtmcimError] = ConfigError,
    max_bytes: int = MAX_TEXT_BYTES,
) -> str:
    """The text of ``path``; a missing, unreadable, oversized or non-UTF-8 file is one ``error``
    naming it."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise error(
                f"{what} is too large ({size:,} bytes)",
                source=str(p),
                allowed=f"at most {max_bytes:,} bytes",
            )
        with p.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
        if len(raw) > max_bytes:  # grew while being read, or a device file
            raise error(f"{what} is too large", source=str(p), allowed=f"<= {max_bytes:,} bytes")
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise error(f"{what} not found", source=str(p)) from None
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text", source=str(p)) from None
    except OSError as exc:  # a folder, no permission, a symlink loop, an I/O error
        why = exc.strerror or type(exc).__name__
        raise error(f"cannot read {what} ({why})", source=str(p)) from None


def load(path: str | Path) -> Any:
    """Read and parse a YAML file strictly."""
    return loads(read_text(path), str(path))


def dumps(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def _named(text: str, source: str) -> io.StringIO:
    # yaml's Reader takes the stream's ``name`` attribute for its error marks.
    stream = io.StringIO(text)
    stream.name = source
    return stream


def shipped_names(package: str, folder: str) -> list[str]:
    """Names (file stems) of the ``.yaml`` files shipped in ``package``'s ``folder``."""
    from importlib import resources

    files = resources.files(package) / folder
    return sorted(p.name.removesuffix(".yaml") for p in files.iterdir() if p.name.endswith(".yaml"))


def load_shipped(package: str, folder: str, name: str, label: str) -> Any:
    """Parse the shipped ``folder/name.yaml`` of ``package``; errors name it ``label name``."""
    from importlib import resources

    res = resources.files(package) / folder / f"{name}.yaml"
    return loads(res.read_text(encoding="utf-8"), f"{label} {name}")


def load_named(
    package: str, folder: str, name_or_path: str | Path, label: str, key: str
) -> tuple[Any, str, Path | None]:
    """A shipped ``folder`` file by name, or a YAML file by path: (data, source, path or None).

    Anything else raises one ConfigError ("unknown LABEL", naming ``key``) that lists the
    shipped names.
    """
    text = str(name_or_path)
    names = shipped_names(package, folder)
    if text in names:
        return load_shipped(package, folder, text, label), f"{label} {text}", None
    p = Path(text)
    if not p.is_file():
        raise unknown(label, text, names, key=key, alternative=f"a path to a .yaml {label} file")
    return load(p), str(p), p
