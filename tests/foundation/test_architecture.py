"""The shape of the code (DESIGN "The shape"), read from the source: imports, lengths, the policy.

Every module of jxjd/ is parsed; imports inside functions count like the others (only the ones
under `if TYPE_CHECKING:` do not: they never run).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "jxjd"
# Infrastructure every feature uses (jxjd/*.py, jxjd/common/): it may know the features' models
# (the policy names every resource type) and the audit trail, never their services or views.
INFRASTRUCTURE_MAY_IMPORT = re.compile(r"^jxjd\.(\w+\.models|audit\.\w+|audit)$")
# The composition roots put the features together; nothing imports them.
COMPOSITION_ROOTS = {"jxjd", "jxjd.models", "jxjd.demo"}
MAX_FUNCTION_LINES = 80
LONG_FUNCTION_EXCEPTIONS: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


MODULES = _modules()


def _runtime_nodes(tree: ast.AST):
    """Every node except what sits under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _resolve(name: str) -> str:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str) -> set[str]:
    """The jxjd modules `module` imports, at any level of its code."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        found |= {_resolve(n) for n in names if n.startswith("jxjd")}
    # "jxjd" itself (the app factory) runs for every import of a submodule: not an edge.
    return found - {"", "jxjd", module}


GRAPH = {module: _imports(module) for module in MODULES}


def _feature(module: str) -> str | None:
    """The feature package a module belongs to; None for infrastructure."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] == "common" or not (PACKAGE / parts[1]).is_dir():
        return None
    return parts[1]


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of a directed graph, as a path, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_modules_import_each_other_without_a_cycle():
    assert _cycle(GRAPH) is None


def test_feature_packages_import_each_other_without_a_cycle():
    features: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], str] = {}
    for module, imported in GRAPH.items():
        source = _feature(module)
        for target in imported:
            dest = _feature(target)
            if source and dest and source != dest:
                features[source].add(dest)
                why.setdefault((source, dest), f"{module} → {target}")
    cycle = _cycle(features)
    assert cycle is None, [why[pair] for pair in zip(cycle, cycle[1:], strict=False)]


def test_infrastructure_knows_only_the_features_models():
    wrong = [
        f"{module} → {target}"
        for module, imported in GRAPH.items()
        if _feature(module) is None and module not in COMPOSITION_ROOTS
        for target in imported
        if _feature(target) is not None and not INFRASTRUCTURE_MAY_IMPORT.match(target)
    ]
    assert wrong == []


def test_common_imports_no_feature():
    wrong = [
        f"{module} → {target}"
        for module, imported in GRAPH.items()
        if module.startswith("jxjd.common")
        for target in imported
        if _feature(target) is not None
    ]
    assert wrong == []


def _functions():
    for path in MODULES.values():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield path.relative_to(PACKAGE.parent).as_posix(), node


def test_no_function_is_longer_than_80_lines():
    long = {
        (path, node.name): node.end_lineno - node.lineno + 1
        for path, node in _functions()
        if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    }
    assert set(long) <= LONG_FUNCTION_EXCEPTIONS, long


def test_the_long_function_exceptions_are_still_needed():
    lengths = {(path, node.name): node.end_lineno - node.lineno + 1 for path, node in _functions()}
    for key in LONG_FUNCTION_EXCEPTIONS:
        assert lengths.get(key, 0) > MAX_FUNCTION_LINES, f"{key} is short now: drop the exception"


# A caller's role compared in code (`actor.role == "admin"`, `role in (...)`); a query filter on a
# model's column (`Account.role == role`) is data, not a decision.
ROLE_COMPARISON = re.compile(
    r"\b[a-z_]\w*\.role\s*(==|!=|\bin\b|\bnot in\b)|(?<!\.)\brole\s*(==|!=|\bin\b)\s*[\"'({]"
)


def test_roles_are_compared_and_refused_only_by_the_policy():
    """No role comparison and no Forbidden outside jxjd/access.py (errors.py declares it)."""
    allowed = {"jxjd/access.py", "jxjd/errors.py"}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE.parent).as_posix()
        if name in allowed:
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if ROLE_COMPARISON.search(line) or re.search(r"\bForbidden\b", line):
                found.append(f"{name}:{number}: {line.strip()}")
    templates = PACKAGE.parent / "templates"
    for path in sorted(templates.rglob("*.html")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if "current_user.role" in line or re.search(r"\brole\s*(==|in)\s", line):
                found.append(f"{path.relative_to(templates.parent)}:{number}: {line.strip()}")
    assert found == []


def test_every_feature_keeps_its_schemas_in_schemas_py():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "schemas.py" or path.parent.name == "common":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base) in ("Schema", "Args") for base in node.bases
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}: {node.name}")
    assert found == []
