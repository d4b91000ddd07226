#!/bin/sh
# Builds ./handler, statically, from main.go and the handler in function/.
# The handler is its own module (handler/function), joined to main.go's
# module by a replace in go.mod, so it brings its own go.mod and go.sum:
#
# - with function/vendor/ (`go mod vendor` in the handler folder): built
#   from the vendored copies, nothing is downloaded. Go reads vendor/ only
#   in the main module, so main.go is built as a package of the handler's
#   module (function/_faasd_main; Go's ./... patterns skip names starting
#   with _), where the handler's vendor/ and go.sum apply as they are;
# - otherwise the handler's modules come from the module proxy the host's
#   Go environment names (GOPROXY, `go env -w`, build_args in the stack
#   file), checked against the handler's go.sum, which becomes the main
#   module's. A handler using the standard library only downloads nothing.
set -eu

flags="-trimpath -buildvcs=false -ldflags=-s"

if [ -d function/vendor ]; then
    [ -f function/vendor/modules.txt ] ||
        { echo "go: function/vendor has no modules.txt: run go mod vendor in the handler folder" >&2; exit 1; }
    mkdir -p function/_faasd_main
    cp main.go function/_faasd_main/main.go
    cd function
    # shellcheck disable=SC2086 # $flags is a list of flags
    exec go build -mod=vendor $flags -o ../handler ./_faasd_main
fi

if [ -f function/go.sum ]; then
    cp function/go.sum go.sum
fi
# shellcheck disable=SC2086
go build $flags -o handler . || {
    echo "go: the build failed; if the handler's modules could not be downloaded, vendor them (go mod vendor in the handler folder) or set GOPROXY to a proxy this machine reaches" >&2
    exit 1
}
