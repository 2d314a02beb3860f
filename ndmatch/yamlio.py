"""Strict YAML loading: safe types only, duplicate keys refused, errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import yaml

from ndmatch.errors import CorpusFormatError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of silently keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a plain name, found a {type(key).__name__}", key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


#: Program files are a few kilobytes; anything much larger is not one (and YAML parsing is slow).
MAX_YAML_BYTES = 1024 * 1024


def load_yaml(path: Path, text: str | None = None):
    """Parse one YAML document from ``path`` (or ``text`` naming ``path`` in errors).

    Only :class:`CorpusFormatError` escapes, naming the file (and line when YAML knows it).
    """
    try:
        if text is None:
            with open(path, "rb") as fh:
                raw = fh.read(MAX_YAML_BYTES + 1)
            if len(raw) > MAX_YAML_BYTES:
                raise CorpusFormatError(f"{path}: larger than {MAX_YAML_BYTES // 1024} KiB; a program file is a "
                                        "few kilobytes of YAML")
            if b"\x00" in raw:
                raise CorpusFormatError(f"{path}: contains NUL bytes (a binary file?); save it as UTF-8 YAML")
            text = raw.decode("utf-8-sig")
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader derives from SafeLoader
    except RecursionError:
        raise CorpusFormatError(f"{path}: invalid YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date such as 2020-02-30
        if isinstance(exc, UnicodeDecodeError):
            raise CorpusFormatError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
        raise CorpusFormatError(f"{path}: invalid YAML value ({exc}); check the field types") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise CorpusFormatError(f"{where}: invalid YAML: {' '.join(str(exc.problem or exc.context).split())}") from exc
    except yaml.reader.ReaderError as exc:
        raise CorpusFormatError(f"{path}: invalid YAML: character #x{exc.character:04x} not allowed (byte "
                                f"{exc.position}); save it as plain UTF-8 text") from exc
    except yaml.YAMLError as exc:
        raise CorpusFormatError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from exc
    except OSError as exc:
        raise CorpusFormatError(f"{path}: cannot read ({exc.strerror})") from exc
