"""The print engine's structure: its modules import alone and in layers, private APIs of
CPython and WeasyPrint are used nowhere, and the WeasyPrint internals the one layout module
reads are still there."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from conftest import REPO

SRC = REPO / "src" / "anthology"
ENGINE = SRC / "writers" / "print"
MODULES = sorted(p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__")
PRIVATE = re.compile(r"\b(_launch|get_preparation_data|_processes|_page_box)\b")


def test_the_engine_is_a_package_of_small_modules():
    assert {"plan", "layout", "pool", "cache", "folios", "fonts", "assembly", "edition"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone_in_a_fresh_interpreter(module):
    done = subprocess.run([sys.executable, "-c", f"import anthology.writers.print.{module}"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def module_name(path) -> str:
    return ".".join(("anthology", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")


def imports(path, anywhere: bool = False) -> set[str]:
    """The anthology modules a file imports at its top level (or `anywhere`, in functions too),
    as dotted names."""
    package = ".".join(("anthology", *path.relative_to(SRC).with_suffix("").parts[:-1]))
    found = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree) if anywhere else tree.body:
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if (SRC.parent / f"{base}.{alias.name}".replace(".", "/")).with_suffix(
                    ".py").exists() else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("anthology")}


# What each layer may not import: CLI → commands → writers → model; readers → model.
ABOVE = {"anthology.writers": ("anthology.commands", "anthology.cli"),
         "anthology.readers": ("anthology.writers", "anthology.commands", "anthology.cli"),
         "anthology.model": ("anthology.readers", "anthology.writers", "anthology.commands", "anthology.cli")}


def test_no_import_cycle_in_the_package_and_no_import_from_above():
    """Over every module of the package, imports inside functions counted too (a lazy import
    that closes a cycle is still one)."""
    graph = {module_name(p): imports(p, anywhere=True) for p in SRC.rglob("*.py")}
    for module, targets in graph.items():
        for layer, above in ABOVE.items():
            if module == layer or module.startswith(layer + "."):
                assert not {t for t in targets if t.startswith(above)}, module
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(node):] + [node]))
        if state.get(node) == 2 or node not in graph:
            return
        state[node] = 1
        for target in sorted(graph[node]):
            visit(target, path + [node])
        state[node] = 2

    for module in graph:
        visit(module, [])


def test_private_apis_only_in_the_layout_module():
    """No `_launch`, `get_preparation_data`, `_processes` or `_page_box` outside layout.py (the
    same search as `grep -rnwE '_launch|get_preparation_data|_processes|_page_box' src`)."""
    found = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
             for path in SRC.rglob("*.py") if path != ENGINE / "layout.py"
             for number, line in enumerate(path.read_text().splitlines(), 1) if PRIVATE.search(line)]
    assert not found, "\n".join(found)


def test_the_weasyprint_internals_the_layout_reads_are_there():
    """Fails, naming what changed, when a WeasyPrint upgrade renames or drops an internal
    the layout worker reads (page box, page type, margin and text boxes)."""
    from anthology.writers.print.layout import check_internals

    check_internals()


def test_the_epub_takes_a_page_map_value_not_a_writer():
    from anthology.pagemap import PrintPages
    import inspect

    from anthology.writers.epub import EpubWriter

    assert inspect.signature(EpubWriter).parameters["printed"].annotation in ("PrintPages | None",
                                                                               PrintPages | None)
