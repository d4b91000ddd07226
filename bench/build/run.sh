#!/usr/bin/env bash
# faasd build per template (go, golang-http, cpp, bash, python3-http, node:
# the functions in examples/<lang>), against the same function built from
# its template's Dockerfile by buildah, in the same run. Root, Debian 12.
#
# 1. `faasd build --output` (stage, host build, pack, OCI archive; no
#    containerd), cold and warm:
#      cold: a fresh copy of the example (no build/ folder) and a fresh HOME,
#            so the package managers' and compilers' caches are empty (Go's
#            GOCACHE, npm's cache, pip's cache off, the python3-http
#            template's compiled standard library);
#      warm: the second and later builds in one folder with one HOME.
#    Baseline kept from before: the template's own build commands run alone
#    in the warm staged folder (what faasd adds is staging and packing),
#    and whether every build, cold or warm, gave the same digest.
# 2. buildah building the staged folder's Dockerfile (build/<fn>/ as faasd
#    build leaves it, less the host build's outputs), `buildah build
#    --layers --network host` with the build arguments faasd passes:
#      cold: an empty buildah storage, so the base images are pulled;
#      warm: the same storage again after an edit in the handler folder
#            (a one-line file: buildah's cache looks at content, not
#            times), so the layers from its COPY on are rebuilt, as
#            faasd's warm build rebuilds its function layer (faasd keeps
#            no layer cache: it rebuilds and repacks every layer).
#    No public registry is reachable, so the base images the Dockerfiles
#    name are stand-ins made here from host files and served by Debian's
#    docker-registry on loopback, reached as a mirror of docker.io and
#    ghcr.io (registries.conf, and FAASD_REGISTRY_MIRRORS for faasd):
#      ghcr.io/openfaas/of-watchdog  /fwatchdog: the project's fwatchdog
#      ghcr.io/openfaas/classic-watchdog    (both modes in one binary)
#      alpine                        busybox-static and its applets,
#                                    /etc/passwd and /etc/group, the host's
#                                    CA bundle where Alpine has its own, and
#                                    addgroup/adduser as small scripts
#                                    (Debian's busybox has no such applets)
#      python:*-alpine               that, plus /usr/bin/python3 as the
#                                    python3-http template's runtime.sh
#                                    copies it (Debian's 3.11, not 3.12)
#                                    and Debian's pip, setuptools and wheel
#      node:*-alpine                 that, plus the host's node as the node
#                                    template's runtime.sh copies it and the
#                                    npm `npm` resolves to
#      golang:*                      that, plus the host's Go toolchain
#                                    (GOROOT, Debian's 1.19, not 1.22) at
#                                    /usr/local/go, with the libraries its
#                                    go command loads
#    They are glibc, not musl, and no `apk` works in them. The go and
#    golang-http Dockerfiles' `apk --no-cache add ca-certificates` (for a CA
#    bundle the alpine stand-in already has) is taken out of a copy, which
#    begins with a comment saying so (variant_dockerfile); a Dockerfile
#    that installs other Alpine packages (cpp's g++ and musl-dev) has no
#    buildah figure: "n/a" and why. So has a template without a
#    Dockerfile, or one whose build fails (buildah's last line is printed).
#    The stand-ins are larger than Alpine's images (host libraries, the
#    whole pip), so buildah's image size says what these stand-ins weigh,
#    not what python:3.12-alpine weighs.
#    buildah's time is the build into its storage; writing an archive
#    (`buildah push oci-archive:`, as faasd does for Dockerfile templates)
#    is not in it.
# 3. Image sizes: the compressed layers of each image's OCI archive (faasd's
#    --output; buildah's `push oci-archive:`), in kB, and the layer count.
# 4. Deploy -> first answer for python3-http, node and go (the reference):
#    a private `faasd up` (own state, containerd socket, CNI bridge
#    faasdbbld0 and subnet 10.196.0.0/24, gateway port), the image built
#    into its store by `faasd build`, then from the deploy request
#    (POST /system/functions) to the first 200 from /function/<fn>;
#    removed between rounds; rounds interleaved across the three.
#
# Every figure is the median of ROUNDS interleaved rounds (faasd cold,
# faasd warm, raw, buildah cold, buildah warm, per template per round);
# deploys take DEPLOY_ROUNDS rounds. Each step is bounded by STEP_TIMEOUT
# seconds. Everything made goes on exit: the daemon, its containerd and
# functions, the registry, buildah storages, the bridge and its iptables
# rules, the temp folder. Progress and every sample go to stderr, the
# tables to stdout. With ROUNDS=3 it took 24-25 minutes on 2 cores with
# other compiles running (load 5); about 4 of them make the stand-ins (the Go
# toolchain's is 470 MB), most of the rest is the Go templates' cold builds
# on both sides and buildah's cold pulls.
#
# Usage: bench/build/run.sh [BUILD_DIR] [ROUNDS]   (BUILD_DIR: meson build,
#        default build/; ROUNDS default 3)
#        env: DEPLOY_ROUNDS=5 STEP_TIMEOUT=900 TEMPLATES="go golang-http ..."
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
rounds=${2:-3}
deploy_rounds=${DEPLOY_ROUNDS:-5}
step_timeout=${STEP_TIMEOUT:-900}
read -r -a langs <<<"${TEMPLATES:-go golang-http cpp bash python3-http node}"
deploy_langs=(go python3-http node)
faasd=$build/faasd
fwatchdog=$build/src/watchdog/fwatchdog

die() { echo "bench/build: $*" >&2; exit 1; }
say() { echo "# $*" >&2; }
[[ $(id -u) -eq 0 ]] || die "run as root (buildah storage, containerd, CNI)"
[[ $rounds =~ ^[1-9][0-9]?$ && $deploy_rounds =~ ^[1-9][0-9]?$ ]] || die "ROUNDS and DEPLOY_ROUNDS: 1..99"
for f in "$faasd" "$fwatchdog"; do [[ -x $f ]] || die "$f is missing: ninja -C $build"; done
for bin in buildah docker-registry containerd curl busybox python3 bc tar ip iptables setpriv timeout; do
  command -v "$bin" >/dev/null || die "$bin is missing (apt-get install buildah docker-registry containerd curl busybox-static python3 bc iproute2 iptables)"
done

export FAASD_WATCHDOG_PATH=$fwatchdog
export FAASD_TEMPLATES_DIR=$root/templates
unset OPENFAAS_CONFIG DOCKER_CONFIG REGISTRY XDG_CACHE_HOME GOCACHE GOMODCACHE GOPATH npm_config_cache PIP_NO_CACHE_DIR
tmp=$(mktemp -d /tmp/faasd-bench-build-XXXXXX)
bridge=faasdbbld0
subnet_prefix=10.196.0.
daemon_pid=
registry_pid=

# ---------------------------------------------------------------- cleanup
buildah_in() { # STORE_DIR ARGS...: buildah on a storage of its own
  local dir=$1
  shift
  buildah --root "$dir/storage" --runroot "$dir/run" "$@"
}
wipe_storage() { # STORE_DIR: its containers, images, mounts and files
  local dir=$1
  [[ -d $dir ]] || return 0
  buildah_in "$dir" rm --all >/dev/null 2>&1 || true
  buildah_in "$dir" rmi --all --force >/dev/null 2>&1 || true
  unmount_under "$dir"
  rm -rf "$dir"
}
unmount_under() { # DIR: every mount below DIR, deepest first
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
gw_auth() { echo "admin:$(cat "$tmp/state/secrets/basic-auth-password" 2>/dev/null)"; }
cleanup() {
  set +e
  if [[ -n $daemon_pid ]]; then
    for fn in "${deploy_fns[@]}"; do remove_fn "$fn"; done
    kill -TERM "$daemon_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null
  fi
  if [[ -n $registry_pid ]]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi
  for d in "$tmp"/buildah-*; do wipe_storage "$d"; done
  # Whatever this run started and is still there (shims, function
  # processes) runs from $tmp: by pid.
  for p in /proc/[0-9]*; do
    grep -qsF "$tmp" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  sleep 0.2
  unmount_under "$tmp"
  ip link del "$bridge" 2>/dev/null
  for table in nat filter; do
    iptables -t $table -S 2>/dev/null | grep -F "$subnet_prefix" | sed 's/^-A/-D/' |
      while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null; done
  done
  rm -rf "$tmp"
}
deploy_fns=()
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
med() { [[ ! -f $tmp/t/$1 ]] || median <"$tmp/t/$1"; } # NAME: the median of $tmp/t/NAME, or nothing
record() { echo "$2" >>"$tmp/t/$1"; say "  $1 $2"; } # NAME VALUE: one sample, also shown
elapsed() { echo "$(now) - $1" | bc; }
ratio() { [[ -n $1 && -n $2 ]] && echo "$1 $2" | awk '$2 > 0 {printf "%.2f", $1 / $2; exit} {print "-"}' || echo "-"; }
secs() { [[ -n $1 ]] && printf '%.2f' "$1" || echo "n/a"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$tmp/t"

# yaml_block FILE KEY: the lines under `build: KEY:` in a template.yml
# (faasd: build: or the older top-level build:), without their indent.
yaml_block() {
  awk -v key="$2" '
    /^[[:space:]]*(#.*)?$/ { next }
    {
      match($0, /^ */); ind = RLENGTH; line = substr($0, ind + 1)
      if (inkey && ind > keyind) { print line; next }
      inkey = 0
      if (inbuild && ind <= buildind) inbuild = 0
      if (line ~ /^build:[[:space:]]*(#.*)?$/) { inbuild = 1; buildind = ind; next }
      if (inbuild && line ~ ("^" key ":[[:space:]]*(#.*)?$")) { inkey = 1; keyind = ind }
    }' "$1"
}
template_cmds() { yaml_block "$1" run | sed -n 's/^- //p' | sed 's/[[:space:]][[:space:]]*#.*$//'; }
template_env() {
  yaml_block "$1" env | sed 's/[[:space:]][[:space:]]*#.*$//' |
    sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\):[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}$/\1=\2/p'
}
stack_fn() { sed -n 's/^  \([a-z0-9-]*\):$/\1/p' "$1" | head -1; }
# The image, its ${REGISTRY:-default} as the default.
# shellcheck disable=SC2016 # a literal ${REGISTRY:-...} in the stack file
stack_image() { sed -n 's/^    image: *//p' "$1" | head -1 | sed 's/\${REGISTRY:-\([^}]*\)}/\1/'; }
handler_folder() { sed -n 's/^handler_folder: *\([^ #]*\).*/\1/p' "$1" | head -1; }

# oci_size ARCHIVE: "KB LAYERS", the compressed layers of an OCI archive.
oci_size() {
  python3 - "$1" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
names = {m.name.lstrip("./"): m for m in t.getmembers()}
def read(name): return json.load(t.extractfile(names[name]))
def blob(digest): return read("blobs/" + digest.replace(":", "/", 1))
m = read("index.json")["manifests"][0]
m = blob(m["digest"])
if "manifests" in m:
    m = blob(m["manifests"][0]["digest"])
print(sum(l["size"] for l in m["layers"]) // 1024, len(m["layers"]))
PY
}

# The environment of a build: HOME and the caches in it.
build_env() { # HOME_DIR COLD(0|1)
  local env=(HOME="$1" GOCACHE="$1/.cache/go-build" GOMODCACHE="$1/go/pkg/mod"
    npm_config_cache="$1/.npm" FAASD_CONTAINERD_SOCKET=/nonexistent/containerd.sock)
  [[ $2 == 1 ]] && env+=(PIP_NO_CACHE_DIR=1)
  printf '%s\n' "${env[@]}"
}
faasd_build() { # DIR HOME COLD OUT_FILE: faasd build --output in DIR; prints the digest
  local env
  mapfile -t env < <(build_env "$2" "$3")
  mkdir -p "$2"
  (cd "$1" && env "${env[@]}" timeout "$step_timeout" "$faasd" build -f stack.yml --output "$1/out" >"$4" 2>&1) ||
    { cat "$4" >&2; die "faasd build in $1 failed"; }
  sed -n 's/.* built [^ ]* \(sha256:[0-9a-f]*\).*/\1/p' "$4"
}

# ------------------------------------------------- registry and stand-ins
start_registry() {
  local port
  port=$(free_port)
  reg=127.0.0.1:$port
  mkdir -p "$tmp/registry"
  cat >"$tmp/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $tmp/registry/data
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $reg
YAML
  setpriv --pdeathsig KILL -- docker-registry serve "$tmp/registry/config.yml" >"$tmp/registry/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://$reg/v2/" 2>/dev/null && return 0; sleep 0.1; done
  die "docker-registry did not answer on $reg: $(cat "$tmp/registry/log")"
}

# The bench's variant of a Dockerfile that installs Alpine's ca-certificates
# in its final stage (`RUN apk --no-cache add ca-certificates
# ${ADDITIONAL_PACKAGE} && \`, the go and golang-http templates): the
# stand-ins have no apk, and the alpine stand-in already holds the host's CA
# bundle where Alpine's base image has its own
# (/etc/ssl/certs/ca-certificates.crt). Only that apk command goes (the RUN
# keeps its addgroup/adduser); ADDITIONAL_PACKAGE is empty in these builds.
# Prints what differs when it changed FILE.
variant_dockerfile() { # FILE
  # shellcheck disable=SC2016 # a literal ${ADDITIONAL_PACKAGE}
  local apk='apk --no-cache add ca-certificates ${ADDITIONAL_PACKAGE} && '
  grep -qF "$apk" "$1" || return 0
  sed -i -e "s/$apk//" -e "1i # bench/build variant: \`$apk\` removed from the final stage's RUN" "$1"
  echo "a variant of the Dockerfile without \`apk --no-cache add ca-certificates\` (the alpine stand-in holds the host's CA bundle)"
}
# A RUN that installs named Alpine packages (not just ${ADDITIONAL_PACKAGE}),
# which no stand-in can serve; prints it.
apk_install() { # FILE
  grep -v '^[[:space:]]*#' "$1" | grep -oE 'apk[[:space:]]+(--[a-z-]+[[:space:]]+)*add[[:space:]]+[A-Za-z][^&;|]*' |
    head -1 | sed 's/[[:space:]]*$//' || true
}

# The base image names a Dockerfile's FROM lines give (ARG defaults given
# before the first FROM filled in; stages named by AS left out).
dockerfile_bases() {
  awk '
    toupper($1) == "ARG" && !seen { split($2, kv, "="); if (kv[2] != "") args[kv[1]] = kv[2]; next }
    toupper($1) == "FROM" {
      seen = 1; img = ""
      for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break }
      for (a in args) { gsub("\\$\\{" a "\\}", args[a], img); gsub("\\$" a, args[a], img) }
      if (i + 2 <= NF && toupper($(i + 1)) == "AS") stage[tolower($(i + 2))] = 1
      if (!(tolower(img) in stage) && img != "scratch") print img
    }' "$1"
}
# normalise IMAGE: registry/path:tag (docker.io/library/ for short names).
normalise() {
  local img=$1 first=${1%%/*}
  if [[ $img != */* ]]; then img=docker.io/library/$img
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then img=docker.io/$img; fi
  [[ ${img##*/} == *:* || $img == *@* ]] || img=$img:latest
  echo "$img"
}
standin_kind() { # NORMALISED_IMAGE: which stand-in, or nothing
  local path=${1#*/}
  path=${path%%[:@]*}
  case $path in
    */of-watchdog | */classic-watchdog) echo watchdog ;;
    library/alpine) echo alpine ;;
    library/python) echo python ;;
    library/node) echo node ;;
    library/golang) echo golang ;;
  esac
}

# A busybox root like Alpine's base: busybox and every applet in /bin (and
# /usr/bin/env), root and nobody, /tmp, and addgroup/adduser (Alpine's
# busybox has them, Debian's busybox-static does not) taking Alpine's
# flags: -S (system), -G group, -h home, -u uid, -g gid, -D, -s shell.
busybox_root() { # DIR
  local d=$1 applet
  mkdir -p "$d/bin" "$d/sbin" "$d/usr/bin" "$d/usr/sbin" "$d/usr/local/bin" "$d/etc" "$d/tmp" \
    "$d/home" "$d/root" "$d/proc" "$d/sys" "$d/dev" "$d/var/tmp"
  cp "$(command -v busybox)" "$d/bin/busybox"
  for applet in $(busybox --list); do
    [[ $applet == busybox || -e $d/bin/$applet ]] || ln -s busybox "$d/bin/$applet"
  done
  ln -s /bin/busybox "$d/usr/bin/env"
  chmod 1777 "$d/tmp" "$d/var/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' >"$d/etc/passwd"
  printf 'root:x:0:root\nnobody:x:65534:\n' >"$d/etc/group"
  # Alpine's base image has a CA bundle here (ca-certificates-bundle).
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    mkdir -p "$d/etc/ssl/certs"
    cp -L /etc/ssl/certs/ca-certificates.crt "$d/etc/ssl/certs/"
  fi
  cat >"$d/usr/sbin/addgroup" <<'SH'
#!/bin/sh
# Stand-in for busybox's addgroup: addgroup [-S] [-g GID] GROUP
gid= system=
while getopts Sg: o; do case $o in S) system=1 ;; g) gid=$OPTARG ;; *) exit 2 ;; esac; done
shift $((OPTIND - 1))
[ -n "$1" ] || exit 2
if [ -z "$gid" ]; then
  gid=$([ -n "$system" ] && echo 101 || echo 1000)
  while cut -d: -f3 /etc/group | grep -qx "$gid"; do gid=$((gid + 1)); done
fi
echo "$1:x:$gid:" >>/etc/group
SH
  cat >"$d/usr/sbin/adduser" <<'SH'
#!/bin/sh
# Stand-in for busybox's adduser: adduser [-S] [-D] [-G GROUP] [-h HOME]
# [-s SHELL] [-u UID] USER
uid= group= home= shell=/bin/sh system=
while getopts SDHG:h:s:u:g: o; do
  case $o in S) system=1 ;; G) group=$OPTARG ;; h) home=$OPTARG ;; s) shell=$OPTARG ;;
    u) uid=$OPTARG ;; D|H|g) ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
user=$1
[ -n "$user" ] || exit 2
if [ -z "$uid" ]; then
  uid=$([ -n "$system" ] && echo 100 || echo 1000)
  while cut -d: -f3 /etc/passwd | grep -qx "$uid"; do uid=$((uid + 1)); done
fi
[ -n "$group" ] || { group=$user; addgroup ${system:+-S} -g "$uid" "$user"; }
gid=$(grep "^$group:" /etc/group | cut -d: -f3)
[ -n "$gid" ] || { echo "adduser: unknown group $group" >&2; exit 1; }
home=${home:-/home/$user}
echo "$user:x:$uid:$gid:$user:$home:$shell" >>/etc/passwd
mkdir -p "$home" && chown "$uid:$gid" "$home"
SH
  chmod 755 "$d/usr/sbin/addgroup" "$d/usr/sbin/adduser"
}

# copy_libs ROOT BINARY...: the shared libraries the binaries load and the
# dynamic loader, into ROOT at the paths ldd prints.
copy_libs() {
  local d=$1 lib
  shift
  for lib in $(for b in "$@"; do ldd "$b" 2>/dev/null || true; done |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
    mkdir -p "$d$(dirname "$lib")"
    cp -L "$lib" "$d$lib"
  done
}

# Makes stand-in KIND and pushes it as NORMALISED_IMAGE (via its mirror);
# on failure prints why.
make_standin() { # KIND NORMALISED_IMAGE
  local kind=$1 img=$2 d=$tmp/standin/$1 env=() cmd=/bin/sh c id
  local store=$tmp/buildah-standin
  if [[ ! -f $tmp/standin/$kind.layer.tar ]]; then
    rm -rf "$d" && mkdir -p "$d"
    case $kind in
      watchdog)
        cp "$fwatchdog" "$d/fwatchdog"
        cmd=/fwatchdog
        ;;
      alpine) busybox_root "$d" ;;
      python)
        [[ -x /usr/bin/python3 ]] || { echo "no /usr/bin/python3"; return 1; }
        /usr/bin/python3 -m pip --version >/dev/null 2>&1 || { echo "no pip for /usr/bin/python3 (python3-pip)"; return 1; }
        busybox_root "$d"
        # The template's runtime.sh makes rootfs/ (python3, its standard
        # library, the libraries it loads); pip, setuptools and wheel are
        # Debian's files, where Debian's site.py looks for them.
        mkdir -p "$tmp/standin/py-build"
        cp "$root/templates/python3-http/runtime.sh" "$tmp/standin/py-build/"
        (cd "$tmp/standin/py-build" && HOME=$tmp/standin/home sh ./runtime.sh) >&2 || { echo "runtime.sh failed"; return 1; }
        cp -a "$tmp/standin/py-build/rootfs/." "$d/"
        local pkg
        for pkg in python3-pip python3-setuptools python3-wheel python3-pkg-resources; do
          dpkg -L "$pkg" 2>/dev/null | grep -e '^/usr/lib/python3/' -e '^/usr/bin/pip' |
            while read -r f; do
              [[ -f $f || -L $f ]] || continue
              mkdir -p "$d$(dirname "$f")" && cp -a "$f" "$d$f"
            done
        done
        [[ -e $d/usr/bin/pip ]] || ln -s pip3 "$d/usr/bin/pip"
        env=(--env LANG=C.UTF-8 --env "PYTHON_VERSION=$(/usr/bin/python3 -c 'import platform; print(platform.python_version())')")
        cmd=python3
        ;;
      node)
        local npm_dir
        npm_dir=$(readlink -f "$(command -v npm 2>/dev/null)" 2>/dev/null) || true
        npm_dir=${npm_dir%/bin/npm-cli.js}
        [[ -f $npm_dir/package.json && -d $npm_dir/node_modules ]] ||
          { echo "no self-contained npm to copy (npm resolves to '${npm_dir:-nothing}')"; return 1; }
        busybox_root "$d"
        mkdir -p "$tmp/standin/node-build"
        cp "$root/templates/node/runtime.sh" "$tmp/standin/node-build/"
        (cd "$tmp/standin/node-build" && sh ./runtime.sh) >&2 || { echo "runtime.sh failed"; return 1; }
        cp -a "$tmp/standin/node-build/rootfs/." "$d/"
        mkdir -p "$d/usr/local/lib/node_modules"
        cp -a "$npm_dir" "$d/usr/local/lib/node_modules/npm"
        ln -s ../lib/node_modules/npm/bin/npm-cli.js "$d/usr/local/bin/npm"
        ln -s ../lib/node_modules/npm/bin/npx-cli.js "$d/usr/local/bin/npx"
        env=(--env "NODE_VERSION=$(/usr/bin/node -p 'process.versions.node')")
        cmd=node
        ;;
      golang)
        local goroot
        goroot=$(go env GOROOT 2>/dev/null) || goroot=
        [[ -n $goroot && -x $goroot/bin/go ]] || { echo "no Go toolchain on the host"; return 1; }
        busybox_root "$d"
        mkdir -p "$d/usr/local" "$d/go/bin" "$d/go/src"
        cp -rL "$goroot" "$d/usr/local/go"
        # Debian's go command is linked against glibc: its libraries too.
        copy_libs "$d" "$goroot"/bin/* "$goroot"/pkg/tool/*/*
        chmod 777 "$d/go"
        env=(--env GOPATH=/go --env GOTOOLCHAIN=local
          --env "GOLANG_VERSION=$(go env GOVERSION | sed 's/^go//')")
        ;;
      *) echo "no stand-in"; return 1 ;;
    esac
    tar -C "$d" --numeric-owner --owner=0 --group=0 -cf "$tmp/standin/$kind.layer.tar" .
    rm -rf "$d"
  fi
  local path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  [[ $kind == golang ]] && path=/go/bin:/usr/local/go/bin:$path
  if ! { c=$(buildah_in "$store" from --signature-policy "$tmp/policy.json" scratch) &&
    buildah_in "$store" add "$c" "$tmp/standin/$kind.layer.tar" / >/dev/null &&
    buildah_in "$store" config --env "PATH=$path" "${env[@]}" --cmd "$cmd" "$c" &&
    id=$(buildah_in "$store" commit --quiet --signature-policy "$tmp/policy.json" "$c" "localhost/standin-$kind") &&
    buildah_in "$store" push --quiet --tls-verify=false --signature-policy "$tmp/policy.json" \
      "$id" "docker://$reg/${img#*/}" >/dev/null; }; then
    echo "buildah could not make or push it"
    return 1
  fi
  buildah_in "$store" rm "$c" >/dev/null
}

# ---------------------------------------------------------- buildah build
case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
platform=linux/$arch
buildah_build() { # LANG STORE_DIR LOG: buildah build of $tmp/ctx-LANG (as faasd runs it)
  local a=()
  for kv in "TARGETPLATFORM=$platform" TARGETOS=linux "TARGETARCH=$arch" TARGETVARIANT= \
    "BUILDPLATFORM=$platform" BUILDOS=linux "BUILDARCH=$arch" BUILDVARIANT=; do
    a+=(--build-arg "$kv")
  done
  (cd "$tmp/ctx-$1" && CONTAINERS_REGISTRIES_CONF=$tmp/registries.conf timeout "$step_timeout" \
    buildah --root "$2/storage" --runroot "$2/run" build --layers --network host \
    --signature-policy "$tmp/policy.json" "${a[@]}" -f Dockerfile -t "localhost/bench-$1:latest" . \
    >"$3" 2>&1)
}

buildah_failure() { # LANG: the end of a failed build's log to stderr, its last line out
  tail -15 "$tmp/buildah-$1.log" | sed "s/^/#   $1 buildah: /" >&2
  grep -v '^[[:space:]]*$' "$tmp/buildah-$1.log" | tail -1
}

# ===================================================================== run
say "load before: $(cat /proc/loadavg)"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$tmp/policy.json"
start_registry
export FAASD_REGISTRY_MIRRORS=docker.io=$reg,ghcr.io=$reg
cat >"$tmp/registries.conf" <<EOF
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
EOF
for domain in docker.io ghcr.io; do
  printf '\n[[registry]]\nprefix = "%s"\nlocation = "%s"\n\n[[registry.mirror]]\nlocation = "%s"\ninsecure = true\n' \
    "$domain" "$domain" "$reg" >>"$tmp/registries.conf"
done

declare -A fn image na handler_of variant
declare -A standin_done standin_why
for lang in "${langs[@]}"; do
  [[ -d $root/examples/$lang && -f $root/templates/$lang/template.yml ]] || die "no examples/$lang or templates/$lang"
  cp -r "$root/examples/$lang" "$tmp/warm-$lang"
  fn[$lang]=$(stack_fn "$tmp/warm-$lang/stack.yml")
  image[$lang]=$(stack_image "$tmp/warm-$lang/stack.yml")
  hf=$(handler_folder "$root/templates/$lang/template.yml")
  handler_of[$lang]=${hf:-function}
  say "$lang: warm-up build (${fn[$lang]})"
  faasd_build "$tmp/warm-$lang" "$tmp/home-warm" 0 "$tmp/build.out" >>"$tmp/digests-$lang"
  # buildah's context: the staged folder less what the host build made
  # (what is neither a template file nor the handler folder).
  staged=$tmp/warm-$lang/build/${fn[$lang]}
  mkdir -p "$tmp/ctx-$lang"
  for entry in "$staged"/* "$staged"/.[!.]*; do
    [[ -e $entry ]] || continue
    name=${entry##*/}
    if [[ $name == "${handler_of[$lang]}" || -e $root/templates/$lang/$name ]]; then
      cp -a "$entry" "$tmp/ctx-$lang/"
    fi
  done
  if [[ ! -f $tmp/ctx-$lang/Dockerfile ]]; then
    na[$lang]="the template has no Dockerfile"
    continue
  fi
  variant[$lang]=$(variant_dockerfile "$tmp/ctx-$lang/Dockerfile")
  apk=$(apk_install "$tmp/ctx-$lang/Dockerfile")
  if [[ -n $apk ]]; then
    na[$lang]="the Dockerfile runs \`$apk\`: no stand-in has Alpine's packages"
    continue
  fi
  while read -r base; do
    full=$(normalise "$base")
    kind=$(standin_kind "$full")
    if [[ -z $kind ]]; then
      na[$lang]="no stand-in for $base"
      break
    fi
    if [[ -z ${standin_done[$full]:-} ]]; then
      say "stand-in $kind for $full"
      if why=$(make_standin "$kind" "$full"); then standin_done[$full]=1; else standin_done[$full]=0; standin_why[$full]=$why; fi
    fi
    if [[ ${standin_done[$full]} == 0 ]]; then
      na[$lang]="stand-in for $base: ${standin_why[$full]}"
      break
    fi
  done < <(dockerfile_bases "$tmp/ctx-$lang/Dockerfile")
  [[ -n ${na[$lang]:-} ]] && continue
  say "$lang: buildah warm-up build"
  if ! buildah_build "$lang" "$tmp/buildah-warm-$lang" "$tmp/buildah-$lang.log"; then
    na[$lang]="buildah failed: $(buildah_failure "$lang")"
  fi
done
wipe_storage "$tmp/buildah-standin"

# The template's commands, as template.yml lists them, with its build env.
run_raw() { # LANG
  local cmds envs c
  mapfile -t cmds < <(template_cmds "$root/templates/$1/template.yml")
  mapfile -t envs < <(template_env "$root/templates/$1/template.yml"; build_env "$tmp/home-warm" 0)
  for c in "${cmds[@]}"; do
    (cd "$tmp/warm-$1/build/${fn[$1]}" && env "${envs[@]}" timeout "$step_timeout" sh -c "$c" >/dev/null 2>&1) ||
      die "$1: '$c' failed in the staged folder"
  done
}

for r in $(seq 1 "$rounds"); do
  for lang in "${langs[@]}"; do
    say "round $r/$rounds: $lang"
    # faasd, cold: a fresh copy of the example (no build/), a fresh HOME.
    rm -rf "$tmp/cold-$lang" "$tmp/home-cold"
    cp -r "$root/examples/$lang" "$tmp/cold-$lang"
    t0=$(now)
    faasd_build "$tmp/cold-$lang" "$tmp/home-cold" 1 "$tmp/build.out" >>"$tmp/digests-$lang"
    record "faasd-cold-$lang" "$(elapsed "$t0")"
    # faasd, warm.
    t0=$(now)
    faasd_build "$tmp/warm-$lang" "$tmp/home-warm" 0 "$tmp/build.out" >>"$tmp/digests-$lang"
    record "faasd-warm-$lang" "$(elapsed "$t0")"
    # The template's commands alone, in the warm staged folder.
    t0=$(now)
    run_raw "$lang"
    record "raw-$lang" "$(elapsed "$t0")"
    [[ -n ${na[$lang]:-} ]] && continue
    # buildah, cold: an empty storage.
    wipe_storage "$tmp/buildah-cold"
    t0=$(now)
    if buildah_build "$lang" "$tmp/buildah-cold" "$tmp/buildah-$lang.log"; then
      record "buildah-cold-$lang" "$(elapsed "$t0")"
    else
      na[$lang]="buildah failed: $(buildah_failure "$lang")"
      continue
    fi
    wipe_storage "$tmp/buildah-cold"
    # buildah, warm: the handler folder edited, so the layers from its
    # COPY on are rebuilt. buildah's layer cache keys a COPY on the files'
    # content, not their times: a touch alone would reuse every layer.
    echo "$r" >"$tmp/ctx-$lang/${handler_of[$lang]}/.bench-edit"
    t0=$(now)
    if buildah_build "$lang" "$tmp/buildah-warm-$lang" "$tmp/buildah-$lang.log"; then
      record "buildah-warm-$lang" "$(elapsed "$t0")"
    else
      na[$lang]="buildah failed: $(buildah_failure "$lang")"
    fi
  done
done

# Sizes: faasd's --output archive; buildah's image pushed to an archive.
declare -A fsize bsize
for lang in "${langs[@]}"; do
  fsize[$lang]=$(oci_size "$tmp/warm-$lang/out/${fn[$lang]}.tar")
  if [[ -z ${na[$lang]:-} ]]; then
    buildah_in "$tmp/buildah-warm-$lang" push --quiet --signature-policy "$tmp/policy.json" \
      "localhost/bench-$lang:latest" "oci-archive:$tmp/buildah-$lang.tar" >/dev/null 2>&1 &&
      bsize[$lang]=$(oci_size "$tmp/buildah-$lang.tar")
    rm -f "$tmp/buildah-$lang.tar"
  fi
  wipe_storage "$tmp/buildah-warm-$lang"
done

# ------------------------------------------------- deploy -> first answer
say "deploy: faasd up"
gw_port=$(free_port)
export FAASD_STATE_DIR=$tmp/state FAASD_PROVIDER_STATE_DIR=$tmp/provider
export FAASD_CONTAINERD_SOCKET=$tmp/c.sock FAASD_GATEWAY_ADDRESS=127.0.0.1 FAASD_GATEWAY_PORT=$gw_port
export FAASD_CNI_BRIDGE=$bridge FAASD_CNI_SUBNET=${subnet_prefix}0/24 FAASD_CNI_CONF_DIR=$tmp/cni
export FAASD_CNI_IPAM_DIR=$tmp/ipam FAASD_NETNS_DIR=$tmp/netns FAASD_PULL_POLICY=Never
gw=http://127.0.0.1:$gw_port
"$faasd" up >"$tmp/faasd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "$gw/healthz" 2>/dev/null && break
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done
curl -fsS -o /dev/null "$gw/healthz" 2>/dev/null || { cat "$tmp/faasd.log" >&2; die "faasd up did not answer"; }

remove_fn() { # FN: removed, and gone from the list
  curl -s -u "$(gw_auth)" -X DELETE -d "{\"functionName\":\"$1\"}" "$gw/system/functions" >/dev/null
  for _ in $(seq 1 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -u "$(gw_auth)" "$gw/system/function/$1") == 404 ]] && return 0
    sleep 0.1
  done
}
for lang in "${deploy_langs[@]}"; do
  [[ -n ${fn[$lang]:-} ]] || continue
  deploy_fns+=("${fn[$lang]}")
  say "deploy: $lang image into containerd's store"
  (cd "$tmp/warm-$lang" && HOME=$tmp/home-warm timeout "$step_timeout" "$faasd" build -f stack.yml >"$tmp/build.out" 2>&1) ||
    { cat "$tmp/build.out" >&2; die "$lang: faasd build into containerd failed"; }
done
first_answer() { # FN: waits for a 200 from it (60 s)
  local deadline=$((SECONDS + 60))
  while [[ $SECONDS -lt $deadline ]]; do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
      -d '{"name":"bench"}' "$gw/function/$1") == 200 ]] && return 0
    sleep 0.01
  done
  return 1
}
for r in $(seq 1 "$deploy_rounds"); do
  for lang in "${deploy_langs[@]}"; do
    [[ -n ${fn[$lang]:-} ]] || continue
    say "deploy round $r/$deploy_rounds: $lang"
    t0=$(now)
    code=$(curl -s -o "$tmp/deploy.out" -w '%{http_code}' -u "$(gw_auth)" -X POST \
      -d "{\"service\":\"${fn[$lang]}\",\"image\":\"${image[$lang]}\"}" "$gw/system/functions")
    [[ $code == 2* ]] || die "$lang: deploy answered $code: $(cat "$tmp/deploy.out")"
    first_answer "${fn[$lang]}" || { tail -20 "$tmp/faasd.log" >&2; die "$lang: no 200 within 60 s of the deploy"; }
    record "deploy-$lang" "$(echo "($(now) - $t0) * 1000" | bc)"
    remove_fn "${fn[$lang]}"
  done
done
say "load after: $(cat /proc/loadavg)"

# ================================================================= tables
echo "faasd build per template: medians of $rounds interleaved rounds, seconds"
echo "(cold: fresh folder and HOME, empty caches; warm: second and later builds)"
printf '%-13s %8s %8s %8s %9s  %s\n' template f_cold f_warm raw_warm warm/raw digests
for lang in "${langs[@]}"; do
  fw=$(med "faasd-warm-$lang"); rw=$(med "raw-$lang")
  total=$(wc -l <"$tmp/digests-$lang")
  distinct=$(sort -u "$tmp/digests-$lang" | wc -l)
  printf '%-13s %8s %8s %8s %9s  %s\n' "$lang" "$(secs "$(med "faasd-cold-$lang")")" "$(secs "$fw")" \
    "$(secs "$rw")" "$(ratio "$fw" "$rw")" \
    "$([[ $distinct -eq 1 ]] && echo "1 distinct of $total" || echo "$distinct DISTINCT of $total")"
done
echo
echo "against buildah on the template's Dockerfile (stand-in base images on a loopback registry)"
printf '%-13s %8s %8s %8s %8s %9s %9s %14s %14s\n' template f_cold b_cold f_warm b_warm cold_f/b warm_f/b \
  faasd_kB/lay buildah_kB/lay
for lang in "${langs[@]}"; do
  fc=$(med "faasd-cold-$lang"); fw=$(med "faasd-warm-$lang")
  bc_=$(med "buildah-cold-$lang"); bw=$(med "buildah-warm-$lang")
  read -r fk fl <<<"${fsize[$lang]}"
  bs="n/a"
  if [[ -n ${bsize[$lang]:-} ]]; then read -r bk bl <<<"${bsize[$lang]}"; bs="$bk/$bl"; fi
  printf '%-13s %8s %8s %8s %8s %9s %9s %14s %14s\n' "$lang" "$(secs "$fc")" "$(secs "$bc_")" \
    "$(secs "$fw")" "$(secs "$bw")" "$(ratio "$fc" "$bc_")" "$(ratio "$fw" "$bw")" "$fk/$fl" "$bs"
done
for lang in "${langs[@]}"; do
  if [[ -n ${na[$lang]:-} ]]; then echo "  $lang: buildah n/a: ${na[$lang]}"
  elif [[ -n ${variant[$lang]:-} ]]; then echo "  $lang: buildah built ${variant[$lang]}"; fi
done
echo
echo "deploy -> first answer (POST /system/functions until /function/<fn> answers 200), ms:"
echo "median of $deploy_rounds rounds, and the first round alone (the first start of that image here)"
printf '%-13s %9s %9s %9s\n' template median vs_go first
go_ms=$(med deploy-go)
for lang in "${deploy_langs[@]}"; do
  d=$(med "deploy-$lang")
  [[ -n $d ]] || continue
  printf '%-13s %9.1f %8sx %9.1f\n' "$lang" "$d" "$(ratio "$d" "$go_ms")" "$(head -1 "$tmp/t/deploy-$lang")"
done
