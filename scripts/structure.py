"""The package's structure from its own imports: modules, the arrows between them (every
`import`, top-level or inside a function; `if TYPE_CHECKING:` imports excepted), import cycles,
function-local imports of the package's own modules and module sizes.

    python scripts/structure.py            # summary: cycles, local imports, modules over 700 lines
    python scripts/structure.py --rooms    # the arrows between the package's rooms (subpackages)

The layers themselves are declared in pyproject.toml ([tool.importlinter]) and checked by
`lint-imports`; tests/test_architecture.py holds both to zero."""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kefu_xl"
MAX_LINES = 700


@dataclass
class Structure:
    files: dict[str, Path] = field(default_factory=dict)                  # module -> file
    arrows: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    local: list[tuple[str, int, str]] = field(default_factory=list)       # (module, line, imported module)

    def cycles(self) -> list[list[str]]:
        """Strongly connected groups of more than one module (Tarjan)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on: set[str] = set()
        found: list[list[str]] = []

        def visit(v: str) -> None:
            index[v] = low[v] = len(index)
            stack.append(v)
            on.add(v)
            for w in self.arrows.get(v, ()):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                group = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    group.append(w)
                    if w == v:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

        sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
        for v in sorted(self.files):
            if v not in index:
                visit(v)
        return found

    def sizes(self) -> dict[str, int]:
        return {m: len(p.read_text("utf-8").splitlines()) for m, p in self.files.items()}

    def rooms(self) -> dict[str, set[str]]:
        """Arrows between rooms: kefu_xl.kinds.personal is in room `kinds`, kefu_xl.cli in `cli`."""
        def room(m: str) -> str:
            parts = m.split(".")
            return parts[1] if len(parts) > 1 else "(package)"
        out: dict[str, set[str]] = defaultdict(set)
        for m, targets in self.arrows.items():
            for t in targets:
                if room(t) != room(m):
                    out[room(m)].add(room(t))
        return out


def _module(path: Path, package: Path = PACKAGE) -> tuple[str, bool]:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def read(package: Path = PACKAGE) -> Structure:
    s = Structure()
    for path in sorted(package.rglob("*.py")):
        s.files[_module(path, package)[0]] = path
    for module, path in s.files.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text("utf-8"))
        inside, typing_only = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inside.update(id(n) for n in ast.walk(node) if n is not node)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                typing_only.update(id(n) for n in ast.walk(node))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _absolute(module, is_package, node.level, node.module)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in s.files else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for t in targets:
                if t.split(".")[0] != "kefu_xl" or id(node) in typing_only:
                    continue
                while t not in s.files and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t == module:
                    continue
                s.arrows[module].add(t)
                if id(node) in inside:
                    s.local.append((module, node.lineno, t))
    return s


def main(argv: list[str]) -> int:
    s = read()
    cycles, big = s.cycles(), {m: n for m, n in s.sizes().items() if n > MAX_LINES}
    print(f"{len(s.files)} modules, {sum(len(t) for t in s.arrows.values())} arrows")
    print(f"import cycles: {len(cycles)}" + "".join(f"\n  {' ↔ '.join(c)}" for c in cycles))
    print(f"function-local imports of the package's own modules: {len(s.local)}"
          + "".join(f"\n  {m}:{line} → {t}" for m, line, t in s.local))
    print(f"modules over {MAX_LINES} lines: {len(big)}" + "".join(f"\n  {m}: {n}" for m, n in sorted(big.items())))
    if "--rooms" in argv:
        for room, targets in sorted(s.rooms().items()):
            print(f"{room:>10} → {', '.join(sorted(targets))}")
    return 1 if cycles or s.local or big else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
