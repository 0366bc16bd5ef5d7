"""What to tell a developer whose graph does not load: which graph, which file or module, the
traceback of the project's own code (no frame of Tether or of Python's import machinery), and
the likely fix."""

from __future__ import annotations

import difflib
import importlib.util
import sys
import traceback
from pathlib import Path

import tether

_TETHER = Path(tether.__file__).resolve().parent
_IMPORTLIB = Path(importlib.util.__file__).resolve().parent


def import_failed(
    graph: str, what: str, exc: BaseException, root: Path, folders: list[Path]
) -> str:
    """The report of a graph whose file or module (`what`) raised `exc` on import; `root` is
    the project's folder and `folders` those its code is imported from."""
    report = [f"{graph} failed to load: importing {what} raised {type(exc).__name__}"]
    report.append(project_traceback(exc).rstrip("\n"))
    fix = _likely_fix(exc, what, root, folders)
    if fix:
        report.append(f"Likely fix: {fix}")
    return "\n".join(report)


def missing_attribute(graph: str, what: str, attr: str, names: list[str], graphs: list[str]) -> str:
    """The report of a module (`what`) without the attribute langgraph.json names; `names` are
    the module's public names, `graphs` those that hold a graph."""
    report = f"{graph} failed to load: {what} has no attribute {attr!r}\nLikely fix: "
    guess = difflib.get_close_matches(attr, graphs or names, n=1)
    if graphs:
        report += (
            f'after the ":" in langgraph.json, name one of the graphs it defines: '
            f"{', '.join(graphs)}"
        )
    else:
        report += (
            f"define {attr} in {what} (a compiled graph, a StateGraph or a function that"
            ' returns one), or name another of its attributes after the ":" in langgraph.json'
        )
    return report + (f' (did you mean "{guess[0]}"?)' if guess else "")


def project_traceback(exc: BaseException) -> str:
    """`exc` formatted as Python would, without Tether's frames or the import machinery's."""
    report = traceback.TracebackException.from_exception(exc)
    _drop_internal_frames(report, set())
    return "".join(report.format())


def _drop_internal_frames(report: traceback.TracebackException, seen: set[int]) -> None:
    if id(report) in seen:
        return
    seen.add(id(report))
    report.stack = traceback.StackSummary.from_list(
        [frame for frame in report.stack if not _internal(frame.filename)]
    )
    for chained in (report.__cause__, report.__context__):
        if chained is not None:
            _drop_internal_frames(chained, seen)


def _internal(filename: str) -> bool:
    if filename.startswith("<frozen importlib"):
        return True
    path = Path(filename)
    return path.is_relative_to(_TETHER) or path.is_relative_to(_IMPORTLIB)


def _likely_fix(exc: BaseException, what: str, root: Path, folders: list[Path]) -> str | None:
    if isinstance(exc, SyntaxError):
        return f"correct the syntax of {exc.filename}, line {exc.lineno}"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return _missing_module_fix(exc.name, what, root, folders)
    if isinstance(exc, ImportError) and exc.name and not _in_folders(exc.name, folders):
        return (
            f"the installed {exc.name!r} is not the version the project expects;"
            f" {_install_dependencies(root)}"
        )
    return None


def _missing_module_fix(name: str, what: str, root: Path, folders: list[Path]) -> str:
    top = name.partition(".")[0]
    if _in_folders(top, folders):
        return f"the project has {top!r} but no module {name!r}: check the name"
    elsewhere = _find_in(top, [root / "src", *_subfolders(root)])
    if elsewhere is not None:
        relative = elsewhere.relative_to(root)
        return (
            f"{top!r} is in {elsewhere}, which is not among the folders the project is imported"
            f' from: add "./{relative}" to "dependencies" in langgraph.json'
        )
    if what == f"module {name}" or what.startswith(f"module {name}."):
        return (
            f"langgraph.json names the module {what.removeprefix('module ')!r}, which neither"
            f" the project ({', '.join(map(str, folders))}) nor the Python environment Tether"
            ' runs in has: check its name, or add its folder to "dependencies" in langgraph.json'
        )
    if importlib.util.find_spec(top) is not None:
        return (
            f"the installed package {top!r} has no module {name!r}, so it is not the version"
            f" the project expects; {_install_dependencies(root)}"
        )
    return (
        f"{top!r} is not part of the project and not installed in the Python environment"
        f" Tether runs in ({sys.prefix}); {_install_dependencies(root)}"
    )


def _install_dependencies(root: Path) -> str:
    python = sys.executable
    if (root / "pyproject.toml").is_file() or (root / "setup.py").is_file():
        command = f"uv pip install --python {python} -e {root}"
    elif (root / "requirements.txt").is_file():
        command = f"uv pip install --python {python} -r {root / 'requirements.txt'}"
    else:
        command = f"uv pip install --python {python} <the packages the project imports>"
    fix = f"install the project's dependencies into that environment:\n    {command}"
    if (root / "pyproject.toml").is_file():
        fix += (
            "\nor add Tether to the project's own environment and run it there:\n"
            f"    cd {root} && uv add --dev {_tether_requirement()} && uv run tether dev"
        )
    return fix


def _tether_requirement() -> str:
    """How `uv add` names this Tether: its source folder when it runs from one."""
    source = _TETHER.parent.parent
    if (source / "pyproject.toml").is_file() and (source / "src" / "tether").is_dir():
        return str(source)
    return "tether-server"


def _in_folders(module: str, folders: list[Path]) -> bool:
    return _find_in(module.partition(".")[0], folders) is not None


def _find_in(top: str, folders: list[Path]) -> Path | None:
    """The folder among `folders` that holds the package or module `top`."""
    for folder in folders:
        if (folder / top).is_dir() or (folder / f"{top}.py").is_file():
            return folder
    return None


def _subfolders(root: Path) -> list[Path]:
    try:
        return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    except OSError:
        return []
