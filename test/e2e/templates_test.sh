#!/usr/bin/env bash
# End to end: functions in the languages people bring, built without Docker
# on a fresh `faasd up`:
#   - python3-http and node, built on the host by `faasd build`, each with a
#     dependency from its requirements.txt / package.json (a wheel from a
#     local folder; a package from the npm registry), deployed, answering a
#     JSON body, a status code and headers;
#   - an OpenFaaS-store-shaped Dockerfile template (multi-stage, ARG before
#     FROM, TARGETPLATFORM, build_options -> ADDITIONAL_PACKAGE, USER app,
#     COPY --chown) built by buildah, imported, deployed and invoked. Its
#     base images are stand-ins made here and served by a loopback
#     docker-registry that is reached only as a mirror of docker.io
#     (FAASD_REGISTRY_MIRRORS).
#
# Usage: templates_test.sh FAASD FWATCHDOG SOURCE_ROOT   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
source_root=$(realpath "$3")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 node npm buildah docker-registry; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

export FAASD_PULL_POLICY=IfNotPresent
export FAASD_TEMPLATES_DIR=$source_root/templates
export FAASD_WATCHDOG_PATH=$fwatchdog
export FAASD_BUILDAH_ROOT=$tmp/buildah
export HOME=$tmp/home
unset OPENFAAS_CONFIG DOCKER_CONFIG
mkdir -p "$HOME" "$tmp/work"

check "docker-registry answers on loopback" start_registry 0
export FAASD_REGISTRY_MIRRORS=docker.io=$reg
check "faasd up starts" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
export OPENFAAS_URL=$gw
check "login" bash -c "echo '$pass' | '$faasd' login --password-stdin >/dev/null"

# answers URL: the function answers 2xx within 60 s (a replica serves).
answers() { curl -fs -o /dev/null -X POST -d '{}' -H 'Content-Type: application/json' "$1"; }
# json_field FILE EXPR: a Python expression over the JSON answer `j`.
json_check() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }
built_method() { sed -n 's/^\[[a-z0-9-]*\] built [^ ]* sha256:[0-9a-f]* .*(\([a-z]*\))$/\1/p' "$1" | tail -1; }
cd "$tmp/work" || exit 1

# ===== python3-http with a dependency from a local wheel folder
mkdir -p "$tmp/wheels"
python3 - "$tmp/wheels" <<'PY'
import base64, hashlib, sys, zipfile
name, version = "faasd_greeting", "1.0"
files = {
    f"{name}/__init__.py": "def greet(who):\n    return 'Hello, ' + who\n",
    f"{name}-{version}.dist-info/METADATA":
        "Metadata-Version: 2.1\nName: faasd-greeting\nVersion: 1.0\n",
    f"{name}-{version}.dist-info/WHEEL":
        "Wheel-Version: 1.0\nGenerator: faasd-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = f"{name}-{version}.dist-info/RECORD"
lines = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
    lines.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
lines.append(f"{record},,")
files[record] = "\n".join(lines) + "\n"
with zipfile.ZipFile(f"{sys.argv[1]}/{name}-{version}-py3-none-any.whl", "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
PY
check "faasd new --lang python3-http" bash -c "'$faasd' new --lang python3-http pyfn --prefix $reg >/dev/null"
check "python3-http: ./template/python3-http is there for faas-cli" test -f template/python3-http/template.yml
echo "faasd-greeting==1.0" >pyfn/requirements.txt
cat >pyfn/handler.py <<'PY'
import json

from faasd_greeting import greet


def handle(event, context):
    data = json.loads(event.body or b"{}")
    return {
        "statusCode": 201,
        "body": {"greeting": greet(data.get("name", "nobody")), "method": event.method,
                 "path": event.path, "query": dict(event.query)},
        "headers": {"X-Handler": "python"},
    }
PY
check "python3-http: faasd build (the wheel through PIP_FIND_LINKS)" bash -c \
  "PIP_FIND_LINKS='$tmp/wheels' PIP_NO_INDEX=1 '$faasd' build -f pyfn.yml >'$tmp/py.out' 2>&1 || { cat '$tmp/py.out'; false; }"
check "python3-http: built on the host" test "$(built_method "$tmp/py.out")" = host
check "python3-http: faasd deploy" bash -c "'$faasd' deploy -f pyfn.yml >/dev/null 2>&1"
check "python3-http: answers" wait_for 60 answers "$gw/function/pyfn"
code=$(curl -s -o "$tmp/py.json" -D "$tmp/py.headers" -w '%{http_code}' \
  -H 'Content-Type: application/json' -d '{"name":"faasd"}' "$gw/function/pyfn/greet?x=1")
check "python3-http: the handler's status code (201)" test "$code" = 201
check "python3-http: the handler's header" grep -qi '^X-Handler: python' "$tmp/py.headers"
check "python3-http: a JSON body, with the dependency's answer" grep -qi '^Content-Type: application/json' "$tmp/py.headers"
check "python3-http: body fields" json_check "$tmp/py.json" \
  "j['greeting'] == 'Hello, faasd' and j['method'] == 'POST' and j['path'] == '/greet' and j['query'] == {'x': '1'}"
check "python3-http: faasd describe shows the process" bash -c \
  "'$faasd' describe pyfn | grep -q 'python3 index.py'"

# ===== node with a dependency from the npm registry
check "faasd new --lang node" bash -c "'$faasd' new --lang node nodefn --prefix $reg >/dev/null"
cat >nodefn/package.json <<'JSON'
{
  "name": "openfaas-function",
  "version": "1.0.0",
  "main": "handler.js",
  "dependencies": { "is-number": "7.0.0" }
}
JSON
cat >nodefn/handler.js <<'JS'
'use strict'
const isNumber = require('is-number')

module.exports = async (event, context) => {
  return context
    .status(202)
    .headers({ 'X-Handler': 'node' })
    .succeed({ n: event.body.n, isNumber: isNumber(event.body.n), method: event.method, path: event.path })
}
JS
check "node: faasd build (is-number from the npm registry)" bash -c \
  "'$faasd' build -f nodefn.yml >'$tmp/node.out' 2>&1 || { cat '$tmp/node.out'; false; }"
check "node: built on the host" test "$(built_method "$tmp/node.out")" = host
check "node: faasd deploy" bash -c "'$faasd' deploy -f nodefn.yml >/dev/null 2>&1"
check "node: answers" wait_for 60 answers "$gw/function/nodefn"
code=$(curl -s -o "$tmp/node.json" -D "$tmp/node.headers" -w '%{http_code}' \
  -H 'Content-Type: application/json' -d '{"n":"42"}' "$gw/function/nodefn/check")
check "node: the handler's status code (202)" test "$code" = 202
check "node: the handler's header" grep -qi '^X-Handler: node' "$tmp/node.headers"
check "node: body fields, with the dependency's answer" json_check "$tmp/node.json" \
  "j['n'] == '42' and j['isNumber'] is True and j['method'] == 'POST' and j['path'] == '/check'"

# ===== an OpenFaaS-store-shaped Dockerfile template, through buildah
# Stand-ins for docker.io/library/alpine:3.20 (busybox, with alpine's
# addgroup/adduser as small scripts) and docker.io/openfaas/of-watchdog
# (the project's fwatchdog as /fwatchdog), pushed to the loopback registry
# from a buildah storage of their own.
standin() { # NAME ROOTFS
  local b=(buildah --root "$tmp/standin-buildah/storage" --runroot "$tmp/standin-buildah/run")
  local c
  c=$("${b[@]}" from scratch) &&
    "${b[@]}" copy "$c" "$2" / >/dev/null &&
    "${b[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      --cmd /bin/sh "$c" &&
    "${b[@]}" commit --quiet "$c" "localhost/standin-$RANDOM" >"$tmp/standin.id" &&
    "${b[@]}" push --quiet --tls-verify=false "$(cat "$tmp/standin.id")" "docker://$reg/$1" &&
    "${b[@]}" rm "$c" >/dev/null
}
alpine=$tmp/standins/alpine
mkdir -p "$alpine/bin" "$alpine/usr/sbin" "$alpine/etc" "$alpine/tmp" "$alpine/home"
cp "$(command -v busybox)" "$alpine/bin/busybox"
for applet in sh cat echo id mkdir chmod chown ls test true; do ln -s busybox "$alpine/bin/$applet"; done
chmod 1777 "$alpine/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$alpine/etc/passwd"
printf 'root:x:0:\n' >"$alpine/etc/group"
cat >"$alpine/usr/sbin/addgroup" <<'SH'
#!/bin/sh
for g; do :; done
echo "$g:x:1000:" >>/etc/group
SH
cat >"$alpine/usr/sbin/adduser" <<'SH'
#!/bin/sh
for u; do :; done
echo "$u:x:1000:1000::/home/$u:/bin/sh" >>/etc/passwd
mkdir -p "/home/$u" && chown 1000:1000 "/home/$u"
SH
chmod 755 "$alpine/usr/sbin/addgroup" "$alpine/usr/sbin/adduser"
mkdir -p "$tmp/standins/watchdog"
cp "$fwatchdog" "$tmp/standins/watchdog/fwatchdog"
check "stand-in base images pushed to the registry" bash -c \
  "$(declare -f standin); tmp='$tmp' reg='$reg' standin library/alpine:3.20 '$alpine' &&
   tmp='$tmp' reg='$reg' standin openfaas/of-watchdog:0.10.7 '$tmp/standins/watchdog'"

mkdir -p template/store-sh/function storefn
cat >template/store-sh/template.yml <<'YAML'
language: store-sh
fprocess: sh handler.sh
welcome_message: |
  A shell function, built from its Dockerfile.
build_options:
  - name: dev
    packages: [make, git]
YAML
cat >template/store-sh/Dockerfile <<'DOCKERFILE'
ARG WATCHDOG_VERSION=0.10.7
FROM --platform=${TARGETPLATFORM:-linux/amd64} openfaas/of-watchdog:${WATCHDOG_VERSION} AS watchdog
FROM --platform=${TARGETPLATFORM:-linux/amd64} alpine:3.20 AS build
ARG TARGETPLATFORM
ARG BUILDPLATFORM
ARG TARGETARCH
ARG ADDITIONAL_PACKAGE
WORKDIR /src
COPY function/ ./
RUN echo "built for $TARGETPLATFORM ($TARGETARCH) on $BUILDPLATFORM with [$ADDITIONAL_PACKAGE]" >platform.txt && sh -n handler.sh

FROM --platform=${TARGETPLATFORM:-linux/amd64} alpine:3.20 AS ship
RUN addgroup -S app && adduser -S -G app app
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
WORKDIR /home/app
COPY --from=build --chown=app:app /src/ ./
USER app
ENV fprocess="sh handler.sh"
HEALTHCHECK --interval=3s CMD [ -e /tmp/.lock ] || exit 1
CMD ["fwatchdog"]
DOCKERFILE
cat >template/store-sh/function/handler.sh <<'SH'
echo "store-sh as $(id -un), $(cat platform.txt): $(cat)"
SH
cp template/store-sh/function/handler.sh storefn/handler.sh
cat >storefn.yml <<YAML
version: 1.0
provider:
  name: openfaas
  gateway: $gw
functions:
  storefn:
    lang: store-sh
    handler: ./storefn
    image: $reg/storefn:latest
    build_options: [dev]
YAML
check "store-sh: faasd build" bash -c \
  "'$faasd' build -f storefn.yml >'$tmp/store.out' 2>&1 || { cat '$tmp/store.out'; false; }"
check "store-sh: built by buildah" test "$(built_method "$tmp/store.out")" = buildah
check "store-sh: the base images came through the docker.io mirror" bash -c \
  "buildah --root '$tmp/buildah/storage' --runroot '$tmp/buildah/run' images --format '{{.Name}}:{{.Tag}}' |
   grep -qx 'docker.io/library/alpine:3.20'"
check "store-sh: the image is in containerd's store" bash -c \
  "ctr -a '$FAASD_CONTAINERD_SOCKET' -n openfaas-fn images ls -q | grep -qx '$reg/storefn:latest'"
check "store-sh: faasd deploy" bash -c "'$faasd' deploy -f storefn.yml >/dev/null 2>&1"
check "store-sh: answers" wait_for 60 answers "$gw/function/storefn"
check "store-sh: USER app, TARGETPLATFORM and ADDITIONAL_PACKAGE reached the build" test \
  "$(curl -s -d hello "$gw/function/storefn")" = \
  "store-sh as app, built for linux/amd64 (amd64) on linux/amd64 with [make git]: hello"

# ===== without buildah: one clear line
check "a Dockerfile template without buildah says what to install" bash -c \
  "! PATH=/nonexistent '$faasd' build -f storefn.yml >'$tmp/nobuildah.out' 2>&1 &&
   grep -q 'needs buildah: apt-get install buildah; these templates build without it: .*python3-http' '$tmp/nobuildah.out'"

for fn in pyfn nodefn storefn; do "$faasd" remove "$fn" >/dev/null 2>&1; done
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
