# Stand-ins, built here, for the two public images OpenFaaS's conformance
# checks deploy (nothing is pulled):
#   docker.io/functions/alpine:latest   fwatchdog on busybox, classic mode,
#                                       with env, cat, sha512sum and a shell
#   docker.io/theaxer/redirector:latest a golang-http function answering 302
#                                       to $destination (not followed)
# Source after lib.sh, with $faasd, $fwatchdog and $source_root set and the
# daemon running; import_standins NAMESPACE imports both into its store.
# shellcheck shell=bash
: "${source_root:?source_root must be set}" "${tmp:?}" "${faasd:?}" "${fwatchdog:?}"

import_standins() { # namespace
  local ns=$1 dir=$tmp/standins
  build_image docker.io/functions/alpine:latest "$dir/alpine" \
    cat sh env sha512sum echo sleep ls head wc || return 1
  ctr -a "$FAASD_CONTAINERD_SOCKET" -n "$ns" images import "$dir/alpine/image.tar" >/dev/null ||
    return 1

  mkdir -p "$dir/redirector" && (
    cd "$dir/redirector" || exit 1
    FAASD_TEMPLATES_DIR=$source_root/templates "$faasd" new --lang golang-http redirector \
      >/dev/null || exit 1
    cat >redirector/handler.go <<'GO'
package function

import (
	"net/http"
	"os"
)

// Handle sends every caller to $destination with a 302.
func Handle(w http.ResponseWriter, r *http.Request) {
	destination := os.Getenv("destination")
	if destination == "" {
		destination = "http://127.0.0.1/"
	}
	http.Redirect(w, r, destination, http.StatusFound)
}
GO
    sed -i "s|^\( *image:\).*|\1 docker.io/theaxer/redirector:latest|; s|^\( *lang: golang-http\)|\1\n    namespace: $ns|" \
      redirector.yml
    FAASD_TEMPLATES_DIR=$source_root/templates FAASD_WATCHDOG_PATH=$fwatchdog \
      "$faasd" build -f redirector.yml >"$dir/redirector/build.log" 2>&1 || {
      cat "$dir/redirector/build.log"
      exit 1
    }
  )
}
