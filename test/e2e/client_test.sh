#!/usr/bin/env bash
# End to end: every client verb (login, logout, deploy from a stack file and
# from flags, list, describe, invoke, remove, logs, secret, namespace,
# version) against a real `faasd up`, and their errors: gateway unreachable,
# 401, unknown function, bad stack file. Each error must be one line and a
# non-zero exit.
#
# Usage: client_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

export HOME=$tmp/home
unset OPENFAAS_URL OPENFAAS_CONFIG
mkdir -p "$HOME" "$tmp/work"
cd "$tmp/work" || exit 1
f() { "$faasd" "$@"; }

# fails_with MESSAGE-PATTERN COMMAND...: a non-zero exit and exactly one
# line on stderr matching the pattern, nothing on stdout but progress.
fails_with() {
  local pattern=$1
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  if [[ $rc -eq 0 ]]; then echo "  exit 0"; cat "$tmp/out"; return 1; fi
  if [[ $(wc -l <"$tmp/err") -ne 1 ]]; then echo "  stderr:"; cat "$tmp/err"; return 1; fi
  grep -qE -- "$pattern" "$tmp/err" || { echo "  stderr:"; cat "$tmp/err"; return 1; }
}
# outputs PATTERN COMMAND...: exit 0 and stdout matching the pattern.
outputs() {
  local pattern=$1
  shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [[ $rc -ne 0 ]]; then echo "  exit $rc:"; cat "$tmp/err"; return 1; fi
  grep -qE -- "$pattern" "$tmp/out" || { echo "  stdout:"; cat "$tmp/out"; return 1; }
}
not_outputs() {
  local pattern=$1
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; return 1; }
  ! grep -qE -- "$pattern" "$tmp/out"
}

# --- a gateway that does not answer
check "unreachable gateway: one line, non-zero" \
  fails_with "cannot reach the gateway at http://127.0.0.1:9" f list -g http://127.0.0.1:9
check "version without a gateway still prints faasd's line" \
  bash -c "'$faasd' version -g http://127.0.0.1:9 --containerd-socket $tmp/none.sock 2>/dev/null | grep -q '^faasd version'"

check "faasd up starts" start_daemon
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
build_image faasd.test/echo:1
check "the test image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar" >/dev/null

# --- credentials
export OPENFAAS_URL=$gw
check "401 before login suggests faasd login" fails_with "401.*faasd login" f list
check "login with a wrong password fails" \
  fails_with "wrong" bash -c "echo nope | '$faasd' login --password-stdin"
check "no credentials file after a failed login" test ! -e "$HOME/.openfaas/config.yml"
check "login --password-stdin" \
  outputs "Credentials saved" bash -c "echo '$pass' | '$faasd' login -u admin --password-stdin"
check "credentials file is 0600" test "$(stat -c %a "$HOME/.openfaas/config.yml")" = 600
check "credentials dir is 0700" test "$(stat -c %a "$HOME/.openfaas")" = 700
check "credentials file is faas-cli's format" \
  grep -q "token: $(printf 'admin:%s' "$pass" | base64 -w0)" "$HOME/.openfaas/config.yml"
check "OPENFAAS_CONFIG moves the file" bash -c \
  "echo '$pass' | OPENFAAS_CONFIG=$tmp/cfg '$faasd' login --password-stdin >/dev/null && test -s $tmp/cfg/config.yml"
check "list with no functions prints the header" outputs "^Function" f list

# --- deploy from a stack file
cat >stack.yml <<'YAML'
version: 1.0
provider:
  name: openfaas
  gateway: ${GW}
functions:
  echo:
    image: faasd.test/echo:1
    fprocess: cat
    labels:
      team: blue
    annotations:
      note: from-stack
  show-env:
    image: faasd.test/${IMAGE_NAME:-echo}:1
    fprocess: env
    environment:
      GREETING: ${GREETING:-hello}
    limits:
      memory: 64Mi
    readonly_root_filesystem: true
YAML
cat >bad.yml <<'YAML'
version: 1.0
functions:
  good:
    image: faasd.test/echo:1
  Bad_Name:
    image: faasd.test/echo:1
YAML
check "a bad stack file: file:line:column, nothing deployed" \
  fails_with "^faasd: bad.yml:5:3: functions.Bad_Name: " f deploy -f bad.yml
check "... and the good function was not deployed" not_outputs "good" f list
printf 'functions:\n  x:\n    image: [a\n' >syntax.yml
check "a YAML syntax error names the file and line" \
  fails_with "^faasd: syntax.yml:[0-9]+:[0-9]+: YAML syntax error" f deploy -f syntax.yml
check "the stack's provider.gateway wins over OPENFAAS_URL" \
  fails_with "cannot reach the gateway at http://127.0.0.1:9" \
  env GW=http://127.0.0.1:9 "$faasd" deploy -f stack.yml
check "OPENFAAS_URL when the stack names no gateway" \
  fails_with "cannot reach the gateway at http://127.0.0.1:9" \
  env GW= OPENFAAS_URL=127.0.0.1:9 "$faasd" deploy -f stack.yml
check "-g wins over the stack's gateway" \
  outputs "Deployed\. 20[02]" env GW=http://127.0.0.1:9 GREETING=hi "$faasd" deploy -f stack.yml -g "$gw"
check "deploy printed both URLs" bash -c "grep -q '$gw/function/echo' $tmp/out && grep -q '$gw/function/show-env' $tmp/out"
check "list shows both" bash -c "'$faasd' list | grep -q '^echo ' && '$faasd' list | grep -q '^show-env '"
check "list -v shows the image" outputs "show-env +faasd.test/echo:1" f list -v

check "invoke sends stdin and prints the answer" \
  test "$(printf 'hello client' | "$faasd" invoke echo)" = "hello client"
check "\${VAR:-default} was substituted from the environment" \
  outputs "^GREETING=hi$" f invoke show-env
check "invoke -H, --query and --method reach the function" \
  outputs "^Http_X_Test=yes$" f invoke show-env -H X-Test=yes --query a=b --method PUT
check "... the query" grep -q "^Http_Query=a=b$" "$tmp/out"
check "... the method" grep -q "^Http_Method=PUT$" "$tmp/out"
async_code=$(curl -s -o /dev/null -w '%{http_code}' -d x "$gw/async-function/echo")
if [[ $async_code == 202 ]]; then
  check "invoke --async is accepted" bash -c "echo x | '$faasd' invoke echo --async 2>&1 | grep -q 'asynchronously'"
else
  check "invoke --async reports the gateway's $async_code on one line" \
    fails_with "invoking echo: .*\($async_code\)" f invoke echo --async
fi

check "describe" outputs "^Name: +echo$" f describe echo
check "describe shows the image" grep -qE "^Image: +faasd.test/echo:1$" "$tmp/out"
check "describe shows labels" grep -qE "^  team: blue$" "$tmp/out"
check "describe shows annotations" grep -qE "^  note: from-stack$" "$tmp/out"
check "describe shows the URL" grep -qE "^URL: +$gw/function/echo$" "$tmp/out"
check "describe shows limits" outputs "^Limits: +memory=64Mi" f describe show-env
check "describe shows read-only root" grep -qE "^Read-only root: +true$" "$tmp/out"

# --- unknown functions
check "describe of an unknown function" fails_with "function nope not found" f describe nope
check "invoke of an unknown function" fails_with "function nope not found" f invoke nope
check "remove of an unknown function" fails_with "function nope not found" f remove nope
check "logs of an unknown function" fails_with "logs of nope: .*nope" f logs nope
check "an invalid function name" fails_with "Bad_Name" f describe Bad_Name

# --- logs
printf 'one' | "$faasd" invoke echo >/dev/null
check "logs prints the watchdog's lines" outputs "Forking fprocess" f logs echo -o text
check "logs plain format names the function" outputs "^[0-9TZ:.-]+ echo \(" f logs echo --tail 1
check "logs --tail 1 prints one line" test "$(wc -l <"$tmp/out")" -eq 1
check "logs --since 1h" outputs "Forking" f logs echo --since 1h -o text
check "logs --since a bad value" fails_with "--since" f logs echo --since soon
"$faasd" logs echo --follow --tail 0 -o text >"$tmp/follow.out" 2>&1 &
follow_pid=$!
sleep 1
printf 'two' | "$faasd" invoke echo >/dev/null
for _ in $(seq 1 50); do grep -q "Forking" "$tmp/follow.out" && break; sleep 0.1; done
check "logs --follow prints new lines as they come" grep -q "Forking" "$tmp/follow.out"
check "logs --follow is still running" kill -0 "$follow_pid"
kill "$follow_pid" 2>/dev/null
wait "$follow_pid" 2>/dev/null

# --- deploy from flags, and an update
check "deploy from flags" outputs "Deployed" f deploy --image faasd.test/echo:1 --name flagged \
  --fprocess env -e A=1 -l team=red --annotation note=flags --memory-limit 64Mi --cpu-limit 500m --readonly
check "flags: the environment" outputs "^A=1$" f invoke flagged
check "flags: label, annotation, limits" outputs "^  team: red$" f describe flagged
check "flags: annotation" grep -q "^  note: flags$" "$tmp/out"
check "flags: limits" grep -qE "^Limits: +memory=64Mi cpu=500m$" "$tmp/out"
check "redeploy with new flags updates (PUT)" outputs "Deployed\. 20[02]" \
  f deploy --image faasd.test/echo:1 --name flagged --fprocess env -e A=2
check "the update is live" outputs "^A=2$" f invoke flagged
check "deploy from flags: bad memory" fails_with "--memory-limit" \
  f deploy --image faasd.test/echo:1 --name flagged --memory-limit lots
check "a deploy the gateway refuses: its reason and status on one line" \
  fails_with "deploying missing: .*\([45][0-9][0-9]\)" f deploy --image faasd.test/missing:1 --name missing
check "deploy from flags: --name without --image" fails_with "--image and --name" f deploy --name x
check "deploy --filter deploys only what matches" outputs "Deploying: echo\." f deploy -f stack.yml --filter 'ec*'
check "... and nothing else" bash -c "! grep -q show-env $tmp/out"
check "deploy --filter matching nothing" fails_with "no function" f deploy -f stack.yml --filter 'zz*'

# --- secrets
check "secret create --from-literal" outputs "Created" f secret create s-literal --from-literal abc
check "secret create from stdin" outputs "Created" bash -c "printf 'from-stdin\n' | '$faasd' secret create s-stdin"
printf '\x00\x01binary' >"$tmp/secret.bin"
check "secret create --from-file" outputs "Created" f secret create s-file --from-file "$tmp/secret.bin"
check "secret list" outputs "^s-stdin$" f secret list
check "secret list has all three" bash -c "grep -q '^s-literal$' $tmp/out && grep -q '^s-file$' $tmp/out"
check "secret create twice" fails_with "exists" f secret create s-literal --from-literal x
check "secret update" outputs "Updated" f secret update s-literal --from-literal new-value
check "secret update of an unknown secret" fails_with "s-none" f secret update s-none --from-literal x
check "deploy with --secret" outputs "Deployed" f deploy --image faasd.test/echo:1 --name reader \
  --fprocess "cat /var/openfaas/secrets/s-literal" --secret s-literal
check "the function reads the updated secret" test "$("$faasd" invoke reader </dev/null)" = "new-value"
check "stdin secret was trimmed" bash -c "'$faasd' deploy --image faasd.test/echo:1 --name reader2 \
  --fprocess 'cat /var/openfaas/secrets/s-stdin' --secret s-stdin >/dev/null && test \"\$('$faasd' invoke reader2 </dev/null)\" = from-stdin"
check "remove reader" outputs "Removed" f remove reader
f remove reader2 >/dev/null 2>&1
check "secret remove" outputs "Removed" f secret remove s-literal
check "secret remove of an unknown secret" fails_with "no such secret" f secret remove s-literal
f secret remove s-stdin >/dev/null 2>&1
f secret remove s-file >/dev/null 2>&1

# --- namespaces
check "namespace list" outputs "^openfaas-fn$" f namespace list
check "namespace create" outputs "Created" f namespace create team-a -l owner=e2e
check "namespace list shows it" outputs "^team-a$" f namespace list
ctr -a "$FAASD_CONTAINERD_SOCKET" -n team-a images import "$img/image.tar" >/dev/null
check "deploy -n team-a" outputs "$gw/function/echo.team-a" \
  f deploy --image faasd.test/echo:1 --name echo -n team-a --fprocess cat
check "invoke -n team-a" test "$(printf ns | "$faasd" invoke echo -n team-a)" = "ns"
check "list -n team-a" outputs "^echo " f list -n team-a
check "remove -n team-a" outputs "Removed" f remove echo -n team-a
check "namespace remove" outputs "Removed" f namespace remove team-a
check "namespace list no longer shows it" not_outputs "^team-a$" f namespace list
check "namespace create with a bad name" fails_with "namespace" f namespace create Team_A

# --- version
check "version prints the gateway's line" outputs "^gateway $gw version" f version
check "version keeps containerd's line" grep -q "^containerd version" "$tmp/out"

# --- remove from the stack file
check "remove -f stack.yml" outputs "Removed: show-env" f remove -f stack.yml
check "remove flagged" outputs "Removed" f remove flagged
check "nothing is left" bash -c "[[ \$('$faasd' list | wc -l) -eq 1 ]]"

# --- logout
check "logout" outputs "Credentials removed" f logout
check "after logout: 401 suggests faasd login" fails_with "401.*faasd login" f list
check "logout twice" fails_with "no credentials" f logout

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
