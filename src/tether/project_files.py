"""Importing a project's own Python file, named in langgraph.json as `"./file.py:attr"`
(relative to langgraph.json) rather than `"package.module:attr"`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


class NotAModule(Exception):
    """The file is missing or cannot be loaded as Python."""


def names_a_file(location: str) -> bool:
    """`./graph.py` or `src/agent/graph.py`, not `package.module`."""
    return location.endswith(".py") or "/" in location


def import_file(file: Path, module_name: str) -> ModuleType:
    """Run `file` as the module `module_name`: in `sys.modules` while and after it runs
    (so its own imports and pickling find it), taken out again if its code raises.

    Raises `NotAModule` when there is no such file or it is not Python; otherwise
    whatever the module's code raises."""
    spec = importlib.util.spec_from_file_location(module_name, file) if file.is_file() else None
    if spec is None or spec.loader is None:
        raise NotAModule(f"{file} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module
