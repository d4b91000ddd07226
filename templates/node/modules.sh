#!/bin/sh
# Installs the dependencies function/package.json lists into
# function/node_modules (packed with the handler at
# /home/app/function/node_modules): `npm ci` when package-lock.json is
# there (exact versions, the lock is not changed), `npm install` otherwise.
# npm reads its registry and credentials from the build user's npmrc and
# npm_config_* variables (build_args in the stack file); its cache stays
# where the user's npm keeps it, so a second build downloads nothing.
#
# --ignore-scripts: the build runs on the host as the user who builds, so a
# dependency's install scripts would run there with that user's rights,
# and packages that compile native addons would link against the host's
# libraries rather than what the image has. --omit=dev: only what runs.
set -eu

fail() {
    echo "node: $*" >&2
    exit 1
}

cd function
[ -f package.json ] || exit 0
# Nothing to install: no "dependencies", or an empty one.
count=$(/usr/bin/node -e '
  const deps = require("./package.json").dependencies || {};
  console.log(Object.keys(deps).length);
') || fail "function/package.json cannot be read (see above)"
[ "$count" -gt 0 ] || exit 0

command -v npm >/dev/null 2>&1 || fail "npm is not installed: apt-get install npm"

rm -rf node_modules
if [ -f package-lock.json ] || [ -f npm-shrinkwrap.json ]; then
    npm ci --omit=dev --no-audit --no-fund --ignore-scripts ||
        fail "npm ci failed (see above); is package-lock.json in step with package.json?"
else
    npm install --omit=dev --no-audit --no-fund --ignore-scripts --no-package-lock ||
        fail "npm install failed (see above)"
fi
