#!/usr/bin/env python3
"""Checks that the source tree, the CMake targets and the namespaces say the same thing.

The modules and what each may use are declared once, in src/CMakeLists.txt
(`brainalign_add_module(NAME DEPENDS ...)`). This script holds the tree to them:

- every module has src/NAME/ and include/brainalign/NAME/, and nothing else lives there;
- a module's files include only its own headers and the public headers of the modules it
  declares (a private header under src/ belongs to its module alone);
- the declared dependencies form no cycle;
- a module's code lives in the namespace brainalign::NAME (base: brainalign itself);
- tests/ mirrors the modules (plus the folders that serve every test).

Exits 1 and names each file, line and rule broken; 0 when the tree is clean.
Usage: check_dependencies.py [ROOT]
"""
import re
import sys
from pathlib import Path

# tests/ folders that are not a module's: shared helpers, the CLI end to end, transcriptions of
# the published code, the fuzz harness, the repository's own scripts.
TEST_FOLDERS = {"common", "e2e", "reference", "fuzz", "scripts"}
# The module whose names every other module uses lives in the project's namespace itself.
ROOT_NAMESPACE_MODULES = {"base"}
KEYWORDS = {"DEPENDS", "PUBLIC_LIBS", "PRIVATE_LIBS"}


def declared_modules(root):
    """Module name -> declared dependencies, in declaration order."""
    text = (root / "src" / "CMakeLists.txt").read_text()
    text = re.sub(r"#[^\n]*", "", text)
    modules = {}
    for match in re.finditer(r"brainalign_add_module\(([^)]*)\)", text):
        words = match.group(1).split()
        name, depends, section = words[0], [], None
        for word in words[1:]:
            if word in KEYWORDS:
                section = word
            elif section == "DEPENDS":
                depends.append(word)
        modules[name] = depends
    return modules


def cycle(modules):
    """One dependency cycle as a list of modules, or None."""
    state = {}

    def visit(module, path):
        state[module] = "open"
        for dep in modules.get(module, []):
            if state.get(dep) == "open":
                return path[path.index(dep):] + [dep] if dep in path else [module, dep]
            if dep not in state:
                found = visit(dep, path + [dep])
                if found:
                    return found
        state[module] = "done"
        return None

    for module in modules:
        if module not in state:
            found = visit(module, [module])
            if found:
                return found
    return None


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
NAMESPACE = re.compile(r"^\s*namespace\s+([A-Za-z_][\w:]*)\s*\{", re.M)


def check(root):
    problems = []
    modules = declared_modules(root)
    if not modules:
        return ["src/CMakeLists.txt: no brainalign_add_module() found"]
    for module, deps in modules.items():
        for dep in deps:
            if dep not in modules:
                problems.append(f"src/CMakeLists.txt: module {module} depends on {dep}, "
                                "which is not a module")
    found = cycle(modules)
    if found:
        problems.append("src/CMakeLists.txt: modules depend on each other in a cycle: " +
                        " -> ".join(found))

    src, include = root / "src", root / "include" / "brainalign"
    for folder, what in ((src, "src"), (include, "include/brainalign")):
        for entry in sorted(folder.iterdir()):
            if entry.is_dir() and entry.name not in modules:
                problems.append(f"{what}/{entry.name}/: not a module declared in "
                                "src/CMakeLists.txt")
            elif entry.is_file() and not (folder == src and entry.name == "CMakeLists.txt"):
                problems.append(f"{what}/{entry.name}: outside every module folder")
    for module in modules:
        if not (src / module).is_dir():
            problems.append(f"src/{module}/: missing for the declared module {module}")
        if not (include / module).is_dir():
            problems.append(f"include/brainalign/{module}/: missing for the declared module "
                            f"{module}")
    tests = root / "tests"
    for entry in sorted(tests.iterdir()):
        if entry.is_dir() and entry.name not in modules and entry.name not in TEST_FOLDERS:
            problems.append(f"tests/{entry.name}/: mirrors no module (modules: "
                            f"{', '.join(modules)}; shared folders: "
                            f"{', '.join(sorted(TEST_FOLDERS))})")

    for module, deps in modules.items():
        allowed = {module, *deps}
        namespace = "brainalign" if module in ROOT_NAMESPACE_MODULES else f"brainalign::{module}"
        files = [p for base in (src / module, include / module) if base.is_dir()
                 for p in sorted(base.rglob("*")) if p.suffix in (".h", ".cpp")]
        for path in files:
            rel = path.relative_to(root)
            raw = path.read_text()
            text = strip_comments(raw)
            for match in INCLUDE.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                target = match.group(1)
                if target.startswith("brainalign/"):
                    parts = target.split("/")
                    other = parts[1] if len(parts) > 2 else None
                    if other not in modules:
                        problems.append(f"{rel}:{line}: includes {target}, which is in no module")
                    elif other not in allowed:
                        problems.append(f"{rel}:{line}: module {module} includes {target}, but "
                                        f"{module} does not depend on {other} (it may use: "
                                        f"{', '.join(sorted(allowed))})")
                    elif not (root / "include" / target).is_file():
                        problems.append(f"{rel}:{line}: includes {target}, which does not exist")
                    continue
                candidates = [path.parent / target, src / target]
                resolved = next((c.resolve() for c in candidates if c.is_file()), None)
                if resolved is None:
                    problems.append(f"{rel}:{line}: includes \"{target}\", found neither beside "
                                    "it nor under src/")
                elif not resolved.is_relative_to((src / module).resolve()):
                    problems.append(f"{rel}:{line}: includes {resolved.relative_to(root)}, a "
                                    f"private header of another module (use the public header "
                                    f"under include/brainalign/)")
            for match in NAMESPACE.finditer(text):
                name = match.group(1)
                line = text.count("\n", 0, match.start()) + 1
                if name == "brainalign" or name.startswith("brainalign::"):
                    parts = name.split("::")
                    if module in ROOT_NAMESPACE_MODULES:
                        # brainalign or brainalign::detail, but no other module's namespace
                        inside = len(parts) == 1 or parts[1] not in modules
                    else:
                        inside = parts[:2] == ["brainalign", module]
                    if not inside:
                        problems.append(f"{rel}:{line}: namespace {name} in module {module} "
                                        f"(its code belongs in {namespace})")
    return problems


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    problems = check(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_dependencies: {len(problems)} problem(s); the modules and what each may "
              "use are declared in src/CMakeLists.txt, and docs/architecture.md explains them")
        return 1
    print(f"check_dependencies: {len(declared_modules(root))} modules, every include and "
          "namespace where it belongs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
