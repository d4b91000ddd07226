#!/usr/bin/env bash
# End to end: what OpenFaaS's conformance checks expect of a gateway and
# provider, in our words, against a real daemon with scaling on and
# stand-ins for the public images they deploy (standins.sh):
#   - /system/info is complete and does not call itself "faasd" (which would
#     turn the scaling and secret-update checks off);
#   - a short image name (functions/alpine:latest) deploys from the local
#     store, and the status echoes the image verbatim, labels and
#     annotations as objects, no envVars when none were set;
#   - every verb with a query string reaches the function (Http_Method,
#     Http_Query, custom env), with X-Call-Id and X-Start-Time;
#   - a 302 from the function goes back to the caller, not followed;
#   - string and binary secrets, updated and seen after a redeploy;
#   - logs carry the watchdog's "Forking fprocess" and "Wrote N Bytes";
#   - com.openfaas.scale.min is honoured at deploy; a scale to 0 answers
#     and the next invoke wakes the function (200);
#   - an unknown function is 404.
#
# Usage: compat_test.sh FAASD FWATCHDOG SOURCE_ROOT   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
source_root=$(realpath "$3")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 go; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=standins.sh
source "$(dirname "$0")/standins.sh"
export HOME=$tmp/home
mkdir -p "$HOME"

check "faasd up starts" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
auth=(-u "admin:$pass")
check "stand-in images build and import" import_standins openfaas-fn

# json URL PYTHON-EXPR: true when the expression holds for the JSON at URL
# (bound to j).
json() {
  curl -fsS "${auth[@]}" "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if ($2) else 1)"
}
# deploy JSON: 200 or 202
deploy() {
  local code
  code=$(curl -s -o "$tmp/deploy.out" -w '%{http_code}' "${auth[@]}" -X POST -d "$1" \
    "$gw/system/functions")
  [[ $code == 200 || $code == 202 ]] || { echo "deploy: $code $(cat "$tmp/deploy.out")"; return 1; }
}
# wait_ready NAME: until availableReplicas >= 1 (60 s)
wait_ready() {
  for _ in $(seq 1 600); do
    json "$gw/system/function/$1" 'j["availableReplicas"] >= 1' 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

check "info: every field set, provider not named faasd" json "$gw/system/info" \
  'j["provider"]["provider"] not in ("", "faasd") and j["provider"]["orchestration"] and j["provider"]["version"]["sha"] and j["provider"]["version"]["release"] and j["version"]["sha"] and j["version"]["release"] and j["arch"]'

# --- the alpine stand-in by its short name
check "deploy functions/alpine:latest (short name)" \
  deploy '{"service":"env-test","image":"functions/alpine:latest","envProcess":"env","envVars":{"custom_env":"custom_env_value"}}'
check "... becomes ready" wait_ready env-test
check "status: image verbatim, labels and annotations objects" json "$gw/system/function/env-test" \
  'j["image"] == "functions/alpine:latest" and isinstance(j["labels"], dict) and isinstance(j["annotations"], dict)'
check "status: the set envVars only" json "$gw/system/function/env-test" \
  'j["envVars"] == {"custom_env": "custom_env_value"}'
check "deploy docker.io/functions/alpine:latest, no envVars" \
  deploy '{"service":"env-test-verbs","image":"docker.io/functions/alpine:latest","envProcess":"env"}'
check "... becomes ready" wait_ready env-test-verbs
check "status: no envVars, no limits when none were set" json "$gw/system/function/env-test-verbs" \
  '"envVars" not in j and "limits" not in j and "requests" not in j and j["image"] == "docker.io/functions/alpine:latest"'
for method in GET POST PUT PATCH DELETE; do
  curl -s -D "$tmp/h" -o "$tmp/b" -X "$method" "$gw/function/env-test-verbs.openfaas-fn?testing=1" >/dev/null
  check "$method: Http_Method and Http_Query reach the function" \
    bash -c "grep -q '^Http_Method=$method\$' $tmp/b && grep -q '^Http_Query=testing=1\$' $tmp/b"
  check "$method: X-Call-Id and X-Start-Time on the answer" \
    bash -c "grep -qi '^X-Call-Id: .' $tmp/h && grep -qi '^X-Start-Time: [0-9]' $tmp/h"
done
check "custom env reaches the function" bash -c \
  "curl -fsS -d '' '$gw/function/env-test' | grep -q '^custom_env=custom_env_value\$'"
# --- a redirect goes back to the caller
check "deploy the redirector stand-in" \
  deploy '{"service":"redirector-test","image":"docker.io/theaxer/redirector:latest","envProcess":"./handler","envVars":{"destination":"http://127.0.0.1:9/elsewhere"}}'
check "... becomes ready" wait_ready redirector-test
check "302 with its Location, not followed" bash -c \
  "[[ \$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -X POST '$gw/function/redirector-test') == '302 http://127.0.0.1:9/elsewhere' ]]"

# --- secrets: string and bytes, updated and seen after a redeploy
curl -fsS "${auth[@]}" -X POST -d '{"name":"secret-string","value":"first"}' "$gw/system/secrets" >/dev/null
curl -fsS "${auth[@]}" -X POST -d '{"name":"secret-bytes","rawValue":"AAECAw=="}' "$gw/system/secrets" >/dev/null
check "secret list shows names only" json "$gw/system/secrets" \
  'sorted(s["name"] for s in j) == ["secret-bytes", "secret-string"] and all("value" not in s and "rawValue" not in s for s in j)'
check "deploy a reader of the string secret" deploy \
  '{"service":"secret-string","image":"functions/alpine:latest","envProcess":"cat /var/openfaas/secrets/secret-string","secrets":["secret-string"]}'
check "... reads it" bash -c "[[ \$(curl -fsS -X POST '$gw/function/secret-string') == first ]]"
check "deploy a reader of the binary secret" deploy \
  '{"service":"secret-bytes","image":"functions/alpine:latest","envProcess":"cat /var/openfaas/secrets/secret-bytes","secrets":["secret-bytes"]}'
check "... reads its bytes" bash -c "[[ \$(curl -fsS -X POST '$gw/function/secret-bytes' | od -An -tx1 | tr -d ' ') == 00010203 ]]"
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -X PUT -d '{"name":"secret-string","value":"second"}' "$gw/system/secrets")
check "secret update answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]]"
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -X PUT \
  -d '{"service":"secret-string","image":"functions/alpine:latest","envProcess":"cat /var/openfaas/secrets/secret-string","secrets":["secret-string"],"annotations":{"secret-hash":"2"}}' \
  "$gw/system/functions")
check "redeploy answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]]"
check "... and the function reads the new value" bash -c \
  "for _ in \$(seq 1 100); do [[ \$(curl -fsS -X POST '$gw/function/secret-string') == second ]] && exit 0; sleep 0.1; done; exit 1"
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -X DELETE -d '{"name":"secret-bytes"}' "$gw/system/secrets")
check "secret remove answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]]"

# --- logs: the watchdog's lines, as the checks strip them
curl -fsS -d 'hello world' "$gw/function/env-test" >/dev/null
deploy '{"service":"test-logger","image":"functions/alpine:latest","envProcess":"cat"}' &&
  wait_ready test-logger && curl -fsS -d 'hello world' "$gw/function/test-logger" >/dev/null
check "logs: Forking fprocess and Wrote 11 Bytes" bash -c \
  "curl -fsS -u 'admin:$pass' '$gw/system/logs?name=test-logger&tail=-1&follow=false' |
   python3 -c 'import json,sys; t=[json.loads(l)[\"text\"].lstrip(\"0123456789/: \") for l in sys.stdin]; sys.exit(0 if any(x.startswith(\"Forking fprocess\") for x in t) and any(x.startswith(\"Wrote 11 Bytes\") for x in t) else 1)'"

# --- scaling
check "deploy with com.openfaas.scale.min=2" deploy \
  '{"service":"test-min-scale","image":"functions/alpine:latest","envProcess":"sha512sum","labels":{"com.openfaas.scale.min":"2"}}'
check "... has 2 replicas" json "$gw/system/function/test-min-scale" 'j["replicas"] == 2'
check "sha512sum through the stand-in" bash -c \
  "[[ \$(printf abc | curl -fsS --data-binary @- '$gw/function/test-min-scale') == \$(printf abc | sha512sum) ]]"
check "deploy a function to scale from zero" deploy \
  '{"service":"test-scale-from-zero","image":"functions/alpine:latest","envProcess":"sha512sum"}'
check "... becomes ready" wait_ready test-scale-from-zero
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -X POST \
  -d '{"serviceName":"test-scale-from-zero","namespace":"openfaas-fn","replicas":0}' \
  "$gw/system/scale-function/test-scale-from-zero")
check "scale to 0 answers 200 or 202" bash -c "[[ $code == 200 || $code == 202 ]]"
check "... reports 0 replicas" json "$gw/system/function/test-scale-from-zero" 'j["replicas"] == 0'
check "the next invoke wakes it: 200" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$gw/function/test-scale-from-zero.openfaas-fn")" = 200

check "an unknown function is 404" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$gw/function/.openfaas-fn")" = 404

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
