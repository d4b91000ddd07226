#!/usr/bin/env python3
"""Installs the web UI's one third-party library, uPlot (charts), exactly as
ui/package-lock.json pins it, and copies the files the UI embeds.

Usage: vendor.py OUT_DIR PACKAGE_JSON PACKAGE_LOCK

Runs `npm ci --ignore-scripts` in OUT_DIR/npm (again only when the lock
file changed), then copies uPlot's minified script, its stylesheet and its
licence to OUT_DIR. npm checks each package against the lock file's
integrity hash.
"""
import filecmp
import os
import shutil
import subprocess
import sys

FILES = {
    "uPlot.iife.min.js": "dist/uPlot.iife.min.js",
    "uPlot.min.css": "dist/uPlot.min.css",
    "uPlot.LICENSE.txt": "LICENSE",
}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: vendor.py OUT_DIR PACKAGE_JSON PACKAGE_LOCK")
    out_dir, package_json, package_lock = sys.argv[1:]
    work = os.path.join(out_dir, "npm")
    os.makedirs(work, exist_ok=True)
    lock_copy = os.path.join(work, "package-lock.json")
    package = os.path.join(work, "node_modules", "uplot")
    fresh = (os.path.exists(lock_copy) and filecmp.cmp(package_lock, lock_copy, shallow=False)
             and os.path.exists(os.path.join(package, "package.json")))
    if not fresh:
        shutil.copyfile(package_json, os.path.join(work, "package.json"))
        shutil.copyfile(package_lock, lock_copy)
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("vendor.py: npm is not installed; the web UI's charts library (uplot, "
                     "pinned in ui/package-lock.json) is installed with `npm ci` at build time "
                     "(hack/install-deps.sh installs npm)")
        try:
            subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                            "--loglevel=error"], cwd=work, check=True)
        except subprocess.CalledProcessError as e:
            os.remove(lock_copy)
            sys.exit(f"vendor.py: `npm ci` failed ({e.returncode}) installing the web UI's charts "
                     "library from ui/package-lock.json: is the npm registry reachable (or its "
                     "cache, npm_config_cache, filled)?")
    for name, source in FILES.items():
        shutil.copyfile(os.path.join(package, source), os.path.join(out_dir, name))


if __name__ == "__main__":
    main()
