#!/usr/bin/env python3
"""hack/check-layering.py over a small tree with known violations.

  layering_test.py PATH/TO/check-layering.py
"""
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = None

TREE = {
    "meson.build": """
        src_inc = include_directories('src')
        subdir('gen')
        subdir('src/low')
        subdir('src/mid')
        subdir('src/top')
        subdir('src/solo')
        subdir('src/two')
        executable('prog', 'src/main.cpp',
          dependencies: [top_dep])
        """,
    "gen/meson.build": """
        foreach f : ['thing.proto']
          gen = custom_target('gen_' + f,
            input: f,
            output: [f.replace('.proto', '') + '.pb.cc', f.replace('.proto', '') + '.pb.h'])
        endforeach
        gen_dep = declare_dependency(include_directories: include_directories('.'))
        """,
    "src/low/meson.build": """
        low_lib = static_library('low', 'low.cpp', dependencies: [fmt_dep])
        low_dep = declare_dependency(link_with: low_lib, dependencies: [fmt_dep])
        """,
    "src/low/low.hpp": "#pragma once\n#include <fmt/format.h>\n",
    "src/low/low.cpp": '#include "low/low.hpp"\n',
    # An interface (header only) beside an implementation.
    "src/mid/meson.build": """
        mid_iface_dep = declare_dependency(dependencies: [low_dep])
        mid_sources = files('impl.cpp')
        mid_lib = static_library('mid', mid_sources, dependencies: [low_dep])
        mid_dep = declare_dependency(link_with: mid_lib, dependencies: [mid_iface_dep])
        """,
    "src/mid/port.hpp": '#pragma once\n#include "low/low.hpp"\n',
    "src/mid/impl.hpp": '#pragma once\n#include "mid/port.hpp"\n',
    "src/mid/impl.cpp": '#include "mid/impl.hpp"\n',
    "src/top/meson.build": """
        # top: only the interface of mid
        top_lib = static_library('top', 'top.cpp', 'other.cpp',
          dependencies: [mid_iface_dep, gen_dep])
        top_dep = declare_dependency(link_with: top_lib, dependencies: [mid_iface_dep])
        """,
    "src/top/top.hpp": '#pragma once\n#include "mid/port.hpp"\n',
    "src/top/top.cpp": '#include "top/top.hpp"\n\n#include "low/low.hpp"\n',
    "src/top/other.cpp": '#include "mid/impl.hpp"\n#include <thing.pb.h>\n#include <vector>\n',
    # Compiles low's source into itself, as the watchdog does with common.
    "src/solo/meson.build": """
        solo_lib = static_library('solo', 'solo.cpp', '../low/low.cpp')
        solo_dep = declare_dependency(link_with: solo_lib)
        solo = executable('solo', 'main.cpp', dependencies: solo_dep)
        """,
    "src/solo/solo.cpp": '#include "low/low.hpp"\n',
    "src/solo/main.cpp": '#include "low/low.hpp"\n',
    # Two libraries in one directory, each with its own list.
    "src/two/meson.build": """
        a_lib = static_library('two_a', 'a.cpp', dependencies: [low_dep])
        b_lib = static_library('two_b', 'b.cpp', dependencies: [fmt_dep])
        two_dep = declare_dependency(link_with: [a_lib, b_lib])
        """,
    "src/two/a.hpp": '#pragma once\n#include "low/low.hpp"\n',
    "src/two/a.cpp": '#include "two/a.hpp"\n',
    "src/two/b.hpp": '#pragma once\n#include "low/low.hpp"\n',
    "src/two/b.cpp": '#include "two/b.hpp"\n',
    # Not yet in the top-level meson.build: found all the same.
    "src/late/meson.build": """
        late_lib = static_library('late', 'late.cpp', dependencies: [low_dep])
        late_dep = declare_dependency(link_with: late_lib)
        """,
    "src/late/late.cpp": '#include "low/low.hpp"\n#include "top/top.hpp"\n',
    "src/main.cpp": '#include "top/top.hpp"\n#include "mid/port.hpp"\n',
}

EXPECTED = [
    "src/late/late.cpp:2: includes top/top.hpp but late does not depend on top",
    "src/main.cpp:2: includes mid/port.hpp but main does not depend on mid",
    "src/top/other.cpp:1: includes mid/impl.hpp but top depends only on mid's interface,"
    " and impl.hpp is compiled into its library",
    "src/top/top.cpp:3: includes low/low.hpp but top does not depend on low",
    "src/two/b.hpp:2: includes low/low.hpp but two (two_b) does not depend on low",
]


def run(root, *args):
    return subprocess.run(
        [sys.executable, SCRIPT, "--root", str(root), *args],
        capture_output=True, text=True, check=False)


class LayeringTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = pathlib.Path(self.dir.name)
        for path, text in TREE.items():
            p = self.root / path
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text).lstrip())

    def tearDown(self):
        self.dir.cleanup()

    def test_each_include_outside_the_declared_dependencies_is_reported(self):
        r = run(self.root)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        found = sorted(line for line in r.stdout.splitlines() if ": includes " in line)
        self.assertEqual(found, sorted(EXPECTED))

    def test_a_tree_within_its_dependencies_passes(self):
        for path in ["src/late/late.cpp", "src/main.cpp", "src/top/top.cpp", "src/two/b.hpp"]:
            p = self.root / path
            p.write_text(p.read_text().replace('#include "low/low.hpp"\n', "")
                         .replace('#include "top/top.hpp"\n', "")
                         .replace('#include "mid/port.hpp"\n', ""))
        p = self.root / "src/top/other.cpp"
        p.write_text(p.read_text().replace('#include "mid/impl.hpp"\n', ""))
        r = run(self.root)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 layering violations", r.stdout)

    def test_graph_counts_includes_per_component(self):
        r = run(self.root, "--graph")
        lines = r.stdout.splitlines()
        self.assertIn("top -> gen 1, low 1, mid 2", lines)
        self.assertIn("solo -> low 2", lines)
        self.assertIn("main -> mid 1, top 1", lines)


if __name__ == "__main__":
    SCRIPT = sys.argv.pop(1)
    unittest.main(verbosity=2)
