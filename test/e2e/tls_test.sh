#!/usr/bin/env bash
# End to end: HTTPS at the gateway. `faasd install --self-signed` makes a
# certificate; the daemon serves the API, the UI, sync and async calls on
# it (the queue's workers reach the gateway on their own loopback
# listener); curl and the client verbs trust it with the CA file or skip the
# check, and fail plainly otherwise; old protocols and ciphers are refused;
# plain HTTP is redirected. New files are picked up when they change, and
# on SIGHUP when not watched, while a connection opened before goes on
# being served. Files that cannot serve stop `faasd up` with the reason.
#
# Usage: tls_test.sh FAASD FWATCHDOG   (exits 77 when not root)
set -uo pipefail

faasd=$(realpath "$1")
fwatchdog=$(realpath "$2")
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root"
  exit 77
fi
for bin in containerd ctr runc curl busybox python3 openssl; do
  command -v "$bin" >/dev/null || { echo "SKIP: needs $bin"; exit 77; }
done

# A network of its own, so it can run beside the other e2e tests.
e2e_bridge=faasdtls0
e2e_subnet=10.190.0.0/24
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
export OPENFAAS_CONFIG=$tmp/client
tls=$FAASD_STATE_DIR/tls

# --- the certificate
check "install --self-signed makes a certificate" \
  bash -c "'$faasd' install --self-signed >'$tmp/install.out' 2>&1 && grep -q 'made a self-signed certificate' '$tmp/install.out'"
check "its key is readable by root only" test "$(stat -c %a "$tls/key.pem")" = 600
check "it names localhost and 127.0.0.1" \
  bash -c "openssl x509 -in '$tls/cert.pem' -noout -ext subjectAltName | grep -q 'DNS:localhost.*IP Address:127.0.0.1'"
check "it chains to its CA" bash -c "openssl verify -CAfile '$tls/ca.pem' '$tls/cert.pem' >/dev/null"
cp "$tls/cert.pem" "$tmp/first-cert.pem"
check "install --self-signed again keeps it" \
  bash -c "'$faasd' install --self-signed 2>&1 | grep -q 'kept a self-signed' && cmp -s '$tls/cert.pem' '$tmp/first-cert.pem'"

# --- files that cannot serve stop the daemon, saying why
# up_fails PATTERN ENV...: faasd up exits non-zero with PATTERN in its output.
up_fails() {
  local pattern=$1
  shift
  env "$@" timeout 60 "$faasd" up >"$tmp/up.out" 2>&1 && { echo "  faasd up ran"; return 1; }
  grep -qE -- "$pattern" "$tmp/up.out" || { cat "$tmp/up.out"; return 1; }
}
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/other-key.pem" 2>/dev/null
check "a certificate without its key is refused" \
  up_fails "FAASD_TLS_CERT and FAASD_TLS_KEY go together" FAASD_TLS_CERT="$tls/cert.pem"
check "a key that is not the certificate's is refused" \
  up_fails "does not match the certificate" FAASD_TLS_CERT="$tls/cert.pem" FAASD_TLS_KEY="$tmp/other-key.pem"
check "a missing certificate is refused" \
  up_fails "$tmp/none.pem: No such file" FAASD_TLS_CERT="$tmp/none.pem" FAASD_TLS_KEY="$tls/key.pem"

# --- HTTPS
export FAASD_TLS_CERT=$tls/cert.pem FAASD_TLS_KEY=$tls/key.pem
export FAASD_TLS_WATCH=200ms
check "faasd up starts with TLS" start_daemon
gw=https://127.0.0.1:$port
e2e_curl=(-k) # start_daemon and the cleanup
pass=$(cat "$FAASD_STATE_DIR/secrets/basic-auth-password")
auth=(-u "admin:$pass")
ca=(--cacert "$tls/ca.pem")
check "healthz over HTTPS, trusting the CA" test "$(curl -fsS "${ca[@]}" "$gw/healthz")" = OK
check "the name localhost is in the certificate too" \
  test "$(curl -fsS "${ca[@]}" "https://localhost:$port/healthz")" = OK
untrusted() { curl -sS -o /dev/null "$gw/healthz" 2>"$tmp/curl.err"; [[ $? -eq 60 ]]; }
check "a client that does not trust the CA stops" untrusted
check "TLS 1.1 is refused" bash -c "! curl -s --tls-max 1.1 ${ca[*]} -o /dev/null $gw/healthz"
check "a CBC cipher is refused" \
  bash -c "! curl -s --tls-max 1.2 --ciphers AES128-SHA ${ca[*]} -o /dev/null $gw/healthz"
check "TLS 1.3 is spoken" bash -c \
  "curl -sv ${ca[*]} -o /dev/null $gw/healthz 2>&1 | grep -q 'SSL connection using TLSv1.3'"
redirected() {
  local head
  head=$(curl -sS -o /dev/null -D - "http://127.0.0.1:$port/system/info?x=1")
  grep -q '^HTTP/1.1 308' <<<"$head" && grep -qF "Location: https://127.0.0.1:$port/system/info?x=1" <<<"$head"
}
check "plain HTTP on the port is redirected to https://" redirected
check "the UI over HTTPS" \
  test "$(curl -sS -o /dev/null -w '%{http_code}' "${ca[@]}" "${auth[@]}" "$gw/ui/")" = 200

# --- the client verbs
build_image faasd.test/echo:1
check "the test image imports" \
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n openfaas-fn images import "$img/image.tar" >/dev/null
verb_untrusted() {
  "$faasd" list -g "$gw" >/dev/null 2>"$tmp/verb.err" && return 1
  grep -q "not trusted (--tls-no-verify skips the check)" "$tmp/verb.err" || { cat "$tmp/verb.err"; false; }
}
check "a verb that does not trust the CA says so" verb_untrusted
verb_plain() {
  "$faasd" list -g "http://127.0.0.1:$port" >/dev/null 2>"$tmp/verb.err" && return 1
  grep -qF "the gateway speaks HTTPS (308): use -g https://127.0.0.1:$port" "$tmp/verb.err" ||
    { cat "$tmp/verb.err"; false; }
}
check "a verb given http:// is told to use https://" verb_plain
check "login with --tls-ca" bash -c \
  "echo '$pass' | '$faasd' login -g '$gw' --tls-ca '$tls/ca.pem' --password-stdin | grep -q 'Credentials saved'"
check "deploy with --tls-ca" bash -c \
  "'$faasd' deploy -g '$gw' --tls-ca '$tls/ca.pem' --image faasd.test/echo:1 --name echo | grep -q Deployed"
check "invoke with --tls-ca" \
  test "$(printf 'over tls' | "$faasd" invoke -g "$gw" --tls-ca "$tls/ca.pem" echo)" = "over tls"
check "list with --tls-no-verify" bash -c "'$faasd' list -g '$gw' --tls-no-verify | grep -q '^echo'"
missing_ca() {
  "$faasd" list -g "$gw" --tls-ca "$tmp/none.pem" >/dev/null 2>"$tmp/verb.err" && return 1
  grep -q "tls-ca $tmp/none.pem" "$tmp/verb.err" || { cat "$tmp/verb.err"; false; }
}
check "a missing --tls-ca file is named" missing_ca

# --- calls over HTTPS: a large body both ways, and an async call that the
# queue's workers run over the daemon's own listener.
head -c 3000000 /dev/urandom >"$tmp/big"
big_echo() {
  curl -fsS "${ca[@]}" --data-binary "@$tmp/big" "$gw/function/echo" -o "$tmp/big.back" &&
    cmp -s "$tmp/big" "$tmp/big.back"
}
check "a 3 MB body goes and comes back intact" big_echo
call_id=$(curl -sS "${ca[@]}" -D - -o /dev/null -d 'later' "$gw/async-function/echo" |
  tr -d '\r' | awk 'tolower($1) == "x-call-id:" {print $2}')
check "an async call is accepted over HTTPS" test -n "$call_id"
async_done() {
  curl -fsS "${ca[@]}" "${auth[@]}" "$gw/system/async-requests?status=completed" | grep -q "$call_id"
}
check "the queue runs it" wait_for 60 async_done

# --- new files while serving: a connection opened before keeps being served
cat >"$tmp/kept.py" <<'PY'
# Opens one HTTPS connection trusting CA, asks /healthz, then once the file
# GO exists asks again on the same connection; prints both statuses.
import os, socket, ssl, sys, time
port, ca, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                       server_hostname="127.0.0.1")
reader = conn.makefile("rb")
def ask():
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status = reader.readline().split()[1].decode()
    length = 0
    while True:
        line = reader.readline().strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    reader.read(length)
    return status
print(ask(), flush=True)
deadline = time.time() + 60
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.05)
print(ask(), flush=True)
PY
python3 "$tmp/kept.py" "$port" "$tls/ca.pem" "$tmp/go" >"$tmp/kept.out" 2>&1 &
kept_pid=$!
kept_first() { [[ $(head -1 "$tmp/kept.out") == 200 ]]; }
check "a connection is open before the change" wait_for 30 kept_first

# new_pair NAME: a certificate for localhost and 127.0.0.1, its own CA.
new_pair() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2" \
    -keyout "$tmp/$1-key.pem" -out "$tmp/$1.pem" 2>/dev/null
}
new_pair second
# The key first, then the certificate: the mismatched pair in between is
# refused and the one in use kept.
cp "$tmp/second-key.pem" "$FAASD_TLS_KEY"
cp "$tmp/second.pem" "$FAASD_TLS_CERT"
trusts() { curl -fsS -o /dev/null --cacert "$1" "$gw/healthz" 2>/dev/null; }
check "changed files are served to new connections" wait_for 30 trusts "$tmp/second.pem"
check "the old CA is no longer enough" bash -c "! curl -fsS -o /dev/null ${ca[*]} $gw/healthz 2>/dev/null"
touch "$tmp/go"
wait "$kept_pid"
check "the connection opened before is still served" test "$(sed -n 2p "$tmp/kept.out")" = 200
check "the log says it reloaded" grep -q "TLS certificate reloaded" "$tmp/faasd.log"

# --- SIGHUP when the files are not watched; bound to another address, where
# the queue's workers still find the daemon's own listener
stop_daemon
export FAASD_TLS_WATCH=0 FAASD_GATEWAY_ADDRESS=127.0.0.2
gw=https://127.0.0.2:$port
check "faasd up starts again, unwatched, on 127.0.0.2" start_daemon
call_id=$(curl -sS --cacert "$tmp/second.pem" -D - -o /dev/null -d 'later' "$gw/async-function/echo" |
  tr -d '\r' | awk 'tolower($1) == "x-call-id:" {print $2}')
async_done_second() {
  curl -fsS --cacert "$tmp/second.pem" "${auth[@]}" "$gw/system/async-requests?status=completed" |
    grep -q "$call_id"
}
check "an async call is accepted there" test -n "$call_id"
check "the queue runs it through its own listener" wait_for 60 async_done_second
new_pair third
cp "$tmp/third-key.pem" "$FAASD_TLS_KEY"
cp "$tmp/third.pem" "$FAASD_TLS_CERT"
check "unwatched, the old certificate stays" trusts "$tmp/second.pem"
kill -HUP "$pid"
check "SIGHUP serves the new one" wait_for 30 trusts "$tmp/third.pem"
check "the daemon runs on after SIGHUP" kill -0 "$pid"
check "a function still answers" \
  test "$(curl -fsS --cacert "$tmp/third.pem" -d 'after HUP' "$gw/function/echo")" = "after HUP"

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
