"""Services never read the clock: ``today``/``now`` come from the edge (view, command, webhook, job entry)."""

import ast
import dataclasses
import inspect
import pathlib
import pkgutil
import types
from importlib import import_module

import donate.services

SERVICES = pathlib.Path(donate.services.__file__).parent
#: Calls without arguments that read the real clock (``date.today()``, ``datetime.now()``, ``utcnow()``,
#: ``func.now()``, ``clock.today()``).
CLOCK_CALLS = {"today", "now", "utcnow"}
#: Names whose import brings the real clock into a module.
CLOCK_NAMES = {"clock", "utcnow"}


def _service_modules():
    for info in pkgutil.walk_packages([str(SERVICES)], prefix="donate.services."):
        yield import_module(info.name)


def _defaulted(module) -> list[str]:
    found = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ != module.__name__:
            continue
        for parameter in inspect.signature(function).parameters.values():
            if parameter.name in ("today", "now") and parameter.default is not inspect.Parameter.empty:
                found.append(f"{module.__name__}.{name}({parameter.name}=...)")
    for name, cls in inspect.getmembers(module, dataclasses.is_dataclass):
        if cls.__module__ != module.__name__:
            continue
        for field in dataclasses.fields(cls):
            if field.name in ("today", "now") and (field.default is not dataclasses.MISSING
                                                   or field.default_factory is not dataclasses.MISSING):
                found.append(f"{module.__name__}.{name}.{field.name}")
    return found


def _clock_reads(where: str, source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = {alias.name for alias in node.names}
            if (node.module or "").split(".")[-1] == "clock" or names & CLOCK_NAMES:
                found.append(f"{where}:{node.lineno} imports the clock")
        elif isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno} imports {a.name}" for a in node.names if a.name.endswith("clock")]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in CLOCK_CALLS and not node.args and not node.keywords:
                found.append(f"{where}:{node.lineno} calls {ast.unparse(func)}()")
            if name == "current_month" and not node.args:
                found.append(f"{where}:{node.lineno} calls current_month() without today")
    return found


def test_no_service_gives_today_or_now_a_default():
    defaulted = [entry for module in _service_modules() for entry in _defaulted(module)]
    assert defaulted == [], "services must take today/now from their caller: " + ", ".join(defaulted)


def test_no_service_reads_the_clock():
    reads = [entry for path in sorted(SERVICES.rglob("*.py"))
             for entry in _clock_reads(str(path.relative_to(SERVICES.parent.parent)), path.read_text(encoding="utf-8"))]
    assert reads == [], "services must not read the clock:\n" + "\n".join(reads)


def test_the_guards_see_a_default_and_a_clock_read():
    source = ("import datetime as dt\nfrom ..models.base import utcnow\n\n"
              "def due(*, today: dt.date | None = None):\n    return today or dt.date.today()\n")
    assert len(_clock_reads("sample.py", source)) == 2
    module = types.ModuleType("sample")
    exec(source.replace("from ..models.base import utcnow", ""), module.__dict__)  # noqa: S102 - a fixed sample
    module.due.__module__ = "sample"
    assert _defaulted(module) == ["sample.due(today=...)"]
