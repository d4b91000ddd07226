#!/usr/bin/env python3
"""Checks that each component includes only the components it depends on.

A component is a directory with a meson.build: every src/<comp>/ and every
other directory the top-level meson.build descends into (proto, ui), plus
each program built from a file directly under src/ (src/main.cpp: "main").
What a build target may include is what its meson.build declares for it,
directly:

  - its own component;
  - the component that defines each variable in its dependencies:,
    link_with: and include_directories: lists and among its sources
    (cli_dep -> cli, gateway_ports_dep -> ports, containerd_proto_dep ->
    proto, ui_assets -> ui);
  - the component of each source it compiles from another directory
    ('../common/error.cpp' -> common);
  - what its own component's dependency objects grant (fwatchdog lists
    watchdog_dep, so it may include what faasd_watchdog may).

Dependencies are not followed transitively: a component that includes
common/ lists common_dep even when api_dep already brings it in.

A header-only dependency object of a component that also builds a library
(provider_iface_dep) grants only that component's headers which no library
source implements: the gateway may include provider/provider.hpp, not
provider/labels.hpp, whose labels.cpp it does not link.

A .cpp listed in a target is checked against that target; a header against
the target that compiles the .cpp of the same name; any other file against
all of its component's targets together. Includes are "comp/..." and the
headers a component generates (ui_assets.hpp, *.pb.h), quoted or not;
third-party headers are not checked.

  check-layering.py [--root DIR] [--graph]

Exits 1 and lists "file:line: includes x/... but comp does not depend on x"
for each violation; --graph also prints, per component, the components it
includes and how many include lines do.
"""
import argparse
import collections
import pathlib
import re
import sys

SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".cc"}
TARGET_FUNCS = {"static_library", "library", "shared_library", "executable"}
GRANT_KEYS = {"dependencies", "link_with", "include_directories"}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')
ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*([A-Za-z_]\w*)\s*\(", re.M)
IDENT = re.compile(r"[A-Za-z_]\w*")


def strip_comments(text):
    """meson.build text without comments (strings kept)."""
    out = []
    for line in text.splitlines():
        quote = None
        for i, c in enumerate(line):
            if quote:
                if c == quote:
                    quote = None
            elif c == "'":
                quote = c
            elif c == "#":
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def scan(text, start=0):
    """Yields (index, character, bracket depth after it) outside quotes."""
    depth = 0
    quote = None
    for i in range(start, len(text)):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            continue
        if c == "'":
            quote = c
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        yield i, c, depth


def call_args(text, open_paren):
    """The text between the parenthesis at open_paren and its match."""
    for i, c, depth in scan(text, open_paren):
        if c in ")]" and depth == 0:
            return text[open_paren + 1 : i]
    raise ValueError("unbalanced parentheses")


def split_top(text):
    """Splits call arguments at the commas outside brackets and strings."""
    parts, start = [], 0
    for i, c, depth in scan(text):
        if c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def keyword(arg):
    m = re.match(r"^([A-Za-z_]\w*)\s*:(.*)$", arg, re.S)
    return (m.group(1), m.group(2).strip()) if m else (None, arg)


def strings(text):
    return re.findall(r"'([^']*)'", text)


def identifiers(text):
    return IDENT.findall(re.sub(r"'[^']*'", "''", text))


class Call:
    def __init__(self, var, func, args, directory):
        self.var = var
        self.func = func
        self.directory = directory
        self.local_files = {}  # variable -> files(...) paths of its meson.build
        self.positional = []
        self.kw = {}
        for arg in split_top(args):
            key, value = keyword(arg)
            if key:
                self.kw[key] = value
            else:
                self.positional.append(value)

    @property
    def name(self):
        names = strings(self.positional[0]) if self.positional else []
        return names[0] if names else self.var

    def sources(self):
        """Source paths (relative to the root) and variables among the sources."""
        texts = self.positional[1:] + ([self.kw["sources"]] if "sources" in self.kw else [])
        paths, variables = [], []
        for t in texts:
            for s in strings(t):
                paths.append(_normalize(self.directory / s))
            for v in identifiers(t):
                variables.append(v)
                paths.extend(self.local_files.get(v, []))
        return paths, variables

    def granting_variables(self):
        found = []
        for key in GRANT_KEYS:
            if key in self.kw:
                found.extend(identifiers(self.kw[key]))
        return found + self.sources()[1]


def _normalize(path):
    parts = []
    for p in path.parts:
        if p == "..":
            parts.pop()
        elif p != ".":
            parts.append(p)
    return pathlib.PurePosixPath(*parts)


def parse_calls(meson_file, directory):
    text = strip_comments(meson_file.read_text())
    calls = []
    for m in ASSIGN.finditer(text):
        args = call_args(text, m.end() - 1)
        calls.append(Call(m.group(1), m.group(2), args, directory))
    # Unassigned targets, e.g. a bare executable(...).
    for m in re.finditer(r"^(executable|static_library)\s*\(", text, re.M):
        calls.append(Call(None, m.group(1), call_args(text, m.end() - 1), directory))
    local_files = {
        c.var: [_normalize(directory / f) for a in c.positional for f in strings(a)]
        for c in calls
        if c.func == "files"
    }
    for c in calls:
        c.local_files = local_files
    return calls


class Component:
    def __init__(self, name, directory, files):
        self.name = name
        self.directory = directory  # PurePosixPath relative to the root
        self.files = files  # PurePosixPaths relative to the root
        self.calls = []
        self.generated_names = set()
        self.generated_suffixes = set()

    @property
    def targets(self):
        """Build targets, and header-only dependency objects of their own."""
        found = [c for c in self.calls if c.func in TARGET_FUNCS]
        for c in self.calls:
            if c.func == "declare_dependency" and "link_with" not in c.kw:
                found.append(c)
        return found

    def library_stems(self):
        stems = set()
        for c in self.calls:
            if c.func in TARGET_FUNCS:
                for p in c.sources()[0]:
                    if p.parent == self.directory:
                        stems.add(p.stem)
        return stems


def discover(root):
    top = root / "meson.build"
    top_text = strip_comments(top.read_text())
    dirs = set()
    for d in re.findall(r"^\s*subdir\('([^']+)'\)", top_text, re.M):
        if not d.startswith("test") and (root / d / "meson.build").exists():
            dirs.add(d)
    for m in sorted((root / "src").glob("*/meson.build")):
        dirs.add(m.parent.relative_to(root).as_posix())
    components = {}
    for d in sorted(dirs):
        rel = pathlib.PurePosixPath(d)
        files = sorted(
            p.relative_to(root)
            for p in (root / d).rglob("*")
            if p.suffix in SOURCE_SUFFIXES and p.is_file()
        )
        comp = Component(rel.name, rel, [pathlib.PurePosixPath(f.as_posix()) for f in files])
        comp.calls = parse_calls(root / d / "meson.build", rel)
        for c in comp.calls:
            if c.func == "custom_target" and "output" in c.kw:
                for s in strings(c.kw["output"]):
                    if s.endswith((".h", ".hpp")):
                        (comp.generated_suffixes if s.startswith(".") else comp.generated_names).add(s)
        components[comp.name] = comp
    # Programs built by the top-level meson.build from a file directly in src/.
    for c in parse_calls(top, pathlib.PurePosixPath(".")):
        if c.func not in TARGET_FUNCS:
            continue
        mine = [p for p in c.sources()[0] if p.parent == pathlib.PurePosixPath("src")]
        for p in mine:
            comp = components.setdefault(p.stem, Component(p.stem, p.parent, []))
            comp.files.append(p)
            comp.calls.append(c)
    return components


class Rules:
    def __init__(self, components):
        self.components = components
        self.owner = {}  # variable -> component name
        self.calls = {}  # variable -> Call
        for comp in components.values():
            for c in comp.calls:
                if c.var:
                    self.owner.setdefault(c.var, comp.name)
                    self.calls.setdefault(c.var, c)
        by_dir = {c.directory: c.name for c in components.values()}
        self.dir_owner = by_dir

    def grants(self, comp, target, seen=None):
        """{component: None (all of it) or a set of allowed header paths}."""
        seen = seen or set()
        allowed = {comp.name: None}
        paths, _ = target.sources()
        for p in paths:
            other = self.dir_owner.get(p.parent)
            if other and other != comp.name:
                allowed[other] = None
        for var in target.granting_variables():
            other = self.owner.get(var)
            if other is None:
                continue  # third-party or top-level (src_inc, fmt_dep, ...)
            call = self.calls[var]
            if other == comp.name:
                # One of the component's own objects: what its library may include.
                if var in seen:
                    continue
                seen.add(var)
                for v in identifiers(call.kw.get("link_with", "")):
                    lib = self.calls.get(v)
                    if lib is not None and self.owner.get(v) == comp.name:
                        _merge(allowed, self.grants(comp, lib, seen))
                continue
            allowed.setdefault(other, set())
            if allowed[other] is None:
                continue
            target_comp = self.components[other]
            if (
                call.func == "declare_dependency"
                and "link_with" not in call.kw
                and target_comp.library_stems()
            ):
                allowed[other] |= interface_headers(target_comp)
            else:
                allowed[other] = None
        return allowed

    def file_grants(self, comp):
        """{file: (label, grants)}: each file against its target(s)."""
        targets = comp.targets
        per_target = [(t, self.grants(comp, t)) for t in targets]
        union = {}
        for _, g in per_target:
            _merge(union, g)
        label_all = comp.name
        result = {}
        for f in comp.files:
            owners = [
                (t, g)
                for t, g in per_target
                if f in t.sources()[0]
                or (f.suffix in (".hpp", ".h") and f.with_suffix(".cpp") in t.sources()[0])
            ]
            if len(owners) == 1 and len(targets) > 1:
                t, g = owners[0]
                result[f] = (f"{comp.name} ({t.name})", g)
            else:
                result[f] = (label_all, union)
        return result


def interface_headers(comp):
    stems = comp.library_stems()
    return {
        f
        for f in comp.files
        if f.suffix in (".hpp", ".h") and f.parent == comp.directory and f.stem not in stems
    }


def _merge(into, grants):
    for k, v in grants.items():
        if k not in into:
            into[k] = None if v is None else set(v)
        elif into[k] is not None:
            into[k] = None if v is None else into[k] | v


def included_component(components, path):
    """(component, header path relative to the root) of an include, or None."""
    head, _, rest = path.partition("/")
    if rest and head in components and components[head].directory.parts[0] == "src":
        return head, components[head].directory / rest
    name = path.rsplit("/", 1)[-1]
    for comp in components.values():
        if name in comp.generated_names or any(name.endswith(s) for s in comp.generated_suffixes):
            return comp.name, None
    return None


def check(root, components):
    rules = Rules(components)
    violations = []
    graph = collections.defaultdict(collections.Counter)
    for comp in components.values():
        for f, (label, allowed) in rules.file_grants(comp).items():
            for lineno, line in enumerate((root / f).read_text().splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                found = included_component(components, m.group(1))
                if found is None:
                    continue
                other, header = found
                graph[comp.name][other] += 1
                grant = allowed.get(other, False)
                if grant is None or (grant and header in grant):
                    continue
                if grant is False:
                    why = f"{label} does not depend on {other}"
                else:
                    why = (
                        f"{label} depends only on {other}'s interface, "
                        f"and {header.name} is compiled into its library"
                    )
                violations.append(f"{f}:{lineno}: includes {m.group(1)} but {why}")
    return violations, graph


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent,
                        type=pathlib.Path, help="the source tree (default: this script's)")
    parser.add_argument("--graph", action="store_true",
                        help="print each component's includes of other components")
    args = parser.parse_args()
    root = args.root.resolve()
    components = discover(root)
    violations, graph = check(root, components)
    if args.graph:
        for name in sorted(components):
            others = graph.get(name, {})
            listed = ", ".join(f"{o} {n}" for o, n in sorted(others.items()) if o != name)
            print(f"{name} -> {listed or '(none)'}")
    for v in violations:
        print(v)
    checked = sum(len(c.files) for c in components.values())
    print(f"{len(components)} components, {checked} files, {len(violations)} layering violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
