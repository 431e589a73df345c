""" "Written from scratch", decided on the submitted source text alone.

The judge never looks inside the student's interpreter, so a rule such as "do not call
``mlcourse``" or "NumPy only" is checked here, with :mod:`ast`, on the code of the
notebook's cells in the order they ran. :func:`source_violations` starts from the
definition of one name and follows every global name it reads, through the student's own
functions, classes and assignments, to an import; a chain such as ``torch.nn.functional``
that lands under a forbidden prefix is a violation. So are dynamic ways to reach a module
(``__import__``, ``importlib``, ``eval``, ``exec``, ``getattr`` with a computed name,
``globals()``, ``sys.modules``, ...) anywhere in what the function reaches, and a global
name that no cell defines (it can only have been created dynamically).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable, Iterator

__all__ = [
    "DYNAMIC",
    "blank_magics",
    "definition_source",
    "parse_cell",
    "reachable_definitions",
    "source_violations",
    "uses_dotted",
]

# Names whose use lets code reach a module without an import statement.
DYNAMIC = {
    "__import__": "__import__",
    "importlib": "importlib",
    "eval": "eval",
    "exec": "exec",
    "compile": "compile",
    "globals": "globals()",
    "locals": "locals()",
    "vars": "vars()",
    "__builtins__": "__builtins__",
    "builtins": "the builtins module",
    "get_ipython": "get_ipython()",
    "sys": "sys (sys.modules)",
}
_DUNDER_ATTRS = {"__dict__", "__globals__", "__builtins__", "__subclasses__", "__import__"}
_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def blank_magics(source: str) -> str:
    """A code cell's source with its IPython magic and shell lines (``%``, ``!``) blanked:
    plain Python, on the same line numbers."""
    return _MAGIC.sub("", source)


def parse_cell(source: str) -> ast.Module | None:
    """The AST of a code cell (IPython magics and shell lines blanked), or None."""
    try:
        return ast.parse(blank_magics(source))
    except SyntaxError:
        return None


def _matches(dotted: str, forbidden: Iterable[str]) -> str | None:
    for prefix in forbidden:
        if dotted == prefix or dotted.startswith(prefix + "."):
            return prefix
    return None


def _bindings(cells: list[tuple[str, bool]]) -> dict[str, tuple[str, object]]:
    """Module-level name -> ("module", dotted path) or ("node", defining AST node)."""
    found: dict[str, tuple[str, object]] = {}
    for source, _locked in cells:
        tree = parse_cell(source)
        if tree is None:
            continue
        for st in tree.body:
            _bind_statement(st, found)
    return found


def _bind_statement(st: ast.stmt, found: dict) -> None:
    if isinstance(st, ast.Import):
        for alias in st.names:
            if alias.asname:
                found[alias.asname] = ("module", alias.name)
            else:
                top = alias.name.split(".")[0]
                found[top] = ("module", top)
    elif isinstance(st, ast.ImportFrom):
        base = "." * st.level + (st.module or "")
        for alias in st.names:
            found[alias.asname or alias.name] = ("module", f"{base}.{alias.name}")
    elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        found[st.name] = ("node", st)
    elif isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
        targets = st.targets if isinstance(st, ast.Assign) else [getattr(st, "target", None)]
        if isinstance(st, ast.With):
            targets = [item.optional_vars for item in st.items]
        for target in targets:
            for node in ast.walk(target) if target is not None else ():
                if isinstance(node, ast.Name):
                    found[node.id] = ("node", st)
    elif isinstance(st, (ast.If, ast.Try)):
        for child in ast.iter_child_nodes(st):
            if isinstance(child, ast.stmt):
                _bind_statement(child, found)
            elif isinstance(child, ast.ExceptHandler):
                for inner in child.body:
                    _bind_statement(inner, found)


def _local_names(node: ast.AST) -> set[str]:
    """Names a function or class binds itself (parameters, assignments, imports, defs)."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg):
            names.add(sub.arg)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
        elif (
            isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and sub is not node
        ):
            names.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in sub.names)
    return names


def _chain(node: ast.AST) -> tuple[str, list[str]] | None:
    """("np", ["linalg", "norm"]) for the expression np.linalg.norm, else None."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, attrs[::-1]
    return None


def _violations_in(node: ast.AST, forbidden, bindings, todo: list[str]) -> Iterator[str]:
    local = _local_names(node)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Import):
            for alias in sub.names:
                if _matches(alias.name, forbidden):
                    yield f"import {alias.name}"
        elif isinstance(sub, ast.ImportFrom):
            dotted = sub.module or ""
            for alias in sub.names:
                if _matches(f"{dotted}.{alias.name}", forbidden) or _matches(dotted, forbidden):
                    yield f"from {dotted} import {alias.name}"
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            hit = _matches(sub.value, forbidden)
            if hit:
                yield f"the name {sub.value!r}"
        elif isinstance(sub, ast.Attribute) and sub.attr in _DUNDER_ATTRS:
            yield f"the attribute {sub.attr} (write the code directly)"
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and sub.func.id in ("getattr", "setattr", "delattr")
            and sub.func.id not in local
        ):
            name_arg = sub.args[1] if len(sub.args) > 1 else None
            if not (isinstance(name_arg, ast.Constant) and isinstance(name_arg.value, str)):
                yield f"{sub.func.id} with a computed name (write the attribute directly)"
    for sub in ast.walk(node):
        if not isinstance(sub, (ast.Name, ast.Attribute)) or hasattr(sub, "_parent_attr"):
            continue
        chain = _chain(sub)
        if chain is None or not isinstance(sub.ctx, ast.Load):
            continue
        name, attrs = chain
        if name in local:
            continue
        bound = bindings.get(name)
        if bound is None:
            if name in DYNAMIC:
                yield f"{DYNAMIC[name]} (write the code directly)"
            elif not hasattr(builtins, name):
                yield f"the name {name}, which no cell defines"
            continue
        kind, what = bound
        if kind == "node":
            todo.append(name)
            continue
        top = what.split(".")[0]
        if top in ("importlib", "builtins") or (what == "sys" and attrs[:1] == ["modules"]):
            yield f"{name}{''.join('.' + a for a in attrs[:1])} (write the code directly)"
            continue
        dotted = what
        for i in range(len(attrs) + 1):
            dotted = ".".join([what, *attrs[:i]])
            hit = _matches(dotted, forbidden)
            if hit:
                yield f"{'.'.join([name, *attrs[:i]])} (from {hit})"
                break


def _mark_parents(tree: ast.AST) -> None:
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if isinstance(parent, ast.Attribute):
                child._parent_attr = parent  # type: ignore[attr-defined]


def source_violations(
    cells: list[tuple[str, bool]], name: str, forbidden: Iterable[str]
) -> list[str]:
    """What the definition of ``name`` reaches that it must not, read from ``cells``.

    Parameters
    ----------
    cells : list of (source, locked)
        The code cells that ran in the student's kernel, in order (locked cells are the
        instructor's; their imports count as bindings).
    name : str
        The function, class or variable the rule is about.
    forbidden : iterable of str
        Module prefixes: ``"torch.nn"`` forbids ``torch.nn`` and everything below it.

    Returns
    -------
    list of str
        One short description per violation, without repeats; empty when the code is
        written from scratch.
    """
    forbidden = tuple(forbidden)
    bindings = _bindings(cells)
    for bound in bindings.values():
        if bound[0] == "node":
            _mark_parents(bound[1])
    if name not in bindings:
        return [f"{name} is not defined by any cell"]
    found: list[str] = []
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        kind, what = bindings[current]
        if kind == "module":
            hit = _matches(what, forbidden)
            if hit:
                found.append(f"{current} (from {hit})")
            continue
        for violation in _violations_in(what, forbidden, bindings, todo):
            if violation not in found:
                found.append(violation)
    return found


def definition_source(cells: list[tuple[str, bool]], name: str) -> str | None:
    """The source text of the last top-level ``def``/``class`` of ``name`` in ``cells``."""
    found = None
    for source, _locked in cells:
        tree = parse_cell(source)
        if tree is None:
            continue
        text = _MAGIC.sub("", source)
        for st in tree.body:
            defines = isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            if defines and st.name == name:
                found = ast.get_source_segment(text, st, padded=False)
    return found


def reachable_definitions(cells: list[tuple[str, bool]], name: str) -> list[str]:
    """``name`` and the student's functions and classes it reads, directly or not."""
    bindings = _bindings(cells)
    out, todo = [], [name]
    while todo:
        current = todo.pop()
        if current in out or bindings.get(current, ("", None))[0] != "node":
            continue
        node = bindings[current][1]
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        out.append(current)
        local = _local_names(node)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in local:
                todo.append(sub.id)
    return out


def uses_dotted(cells: list[tuple[str, bool]], name: str, targets: Iterable[str]) -> bool:
    """Whether ``name`` (or a function or class of the student's it reads) refers to one of
    the dotted paths ``targets`` (``"torch.optim.SGD"``), however it was imported."""
    targets = set(targets)
    bindings = _bindings(cells)
    for current in reachable_definitions(cells, name):
        node = bindings[current][1]
        local = _local_names(node)
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Import, ast.ImportFrom)):
                base = getattr(sub, "module", None) or ""
                for alias in sub.names:
                    if alias.name in targets or f"{base}.{alias.name}" in targets:
                        return True
            chain = _chain(sub) if isinstance(sub, (ast.Name, ast.Attribute)) else None
            if chain is None or chain[0] in local:
                continue
            bound = bindings.get(chain[0])
            if bound and bound[0] == "module":
                for i in range(len(chain[1]) + 1):
                    if ".".join([bound[1], *chain[1][:i]]) in targets:
                        return True
    return False
