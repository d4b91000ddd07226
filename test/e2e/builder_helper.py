"""Helpers of builder_test.sh: the function builder API's client side, done
as faas-cli's --remote-builder does it.

stage TEMPLATE HANDLER OUT   -- a build folder as `faasd build` stages it:
                                the template's files except function/, and
                                the handler folder as function/
tar CONTEXT IMAGE OUT [--skip-push] [--build-arg K=V]...
                             -- the upload: CONTEXT's files as context/...
                                (folders included) and
                                com.openfaas.docker.config
evil KIND IMAGE OUT          -- a bad upload: traversal, symlink, hardlink,
                                outside, fifo, noconfig, badimage
big SIZE IMAGE OUT           -- an upload with a SIZE-byte file in context/
post URL TAR SECRET_FILE OUT [--wrong-key] [--unsigned] [--ndjson]
                             -- POSTs TAR signed with the trimmed secret;
                                prints the HTTP status and the answer's
                                "status", writes the body to OUT
"""
import hashlib
import hmac
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.error
import urllib.request

CONFIG = "com.openfaas.docker.config"


def stage(template, handler, out):
    os.makedirs(out)
    for name in sorted(os.listdir(template)):
        if name == "function":
            continue
        src = os.path.join(template, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(out, name), symlinks=True)
        else:
            shutil.copy2(src, os.path.join(out, name))
    shutil.copytree(handler, os.path.join(out, "function"), symlinks=True)


def config_bytes(image, skip_push=False, build_args=None):
    return json.dumps({"image": image, "buildArgs": build_args or {},
                       "platforms": [], "skipPush": skip_push}).encode()


def add_bytes(tar, name, data, mode=0o664):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def make_tar(context, image, out, skip_push=False, build_args=None):
    # As faas-cli: a walk of the build folder, the folder itself as
    # "context", everything below as "context/<path>", then the config.
    with tarfile.open(out, "w") as tar:
        for root, dirs, files in os.walk(context):
            dirs.sort()
            rel = os.path.relpath(root, context)
            name = "context" if rel == "." else "context/" + rel
            tar.add(root, arcname=name, recursive=False)
            for f in sorted(files):
                tar.add(os.path.join(root, f), arcname=name + "/" + f, recursive=False)
        add_bytes(tar, CONFIG, config_bytes(image, skip_push, build_args))


def evil(kind, image, out):
    with tarfile.open(out, "w") as tar:
        add_bytes(tar, CONFIG, config_bytes(image))
        info = tarfile.TarInfo("context")
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        add_bytes(tar, "context/template.yml", b"language: go\n")
        if kind == "traversal":
            add_bytes(tar, "context/../../evil", b"escaped\n")
        elif kind == "symlink":
            link = tarfile.TarInfo("context/function")
            link.type = tarfile.SYMTYPE
            link.linkname = "../../../../etc"
            tar.addfile(link)
        elif kind == "hardlink":
            link = tarfile.TarInfo("context/passwd")
            link.type = tarfile.LNKTYPE
            link.linkname = "/etc/passwd"
            tar.addfile(link)
        elif kind == "outside":
            add_bytes(tar, "elsewhere/evil", b"x\n")
        elif kind == "fifo":
            fifo = tarfile.TarInfo("context/fifo")
            fifo.type = tarfile.FIFOTYPE
            tar.addfile(fifo)
        else:
            raise SystemExit("unknown kind " + kind)


def big(size, image, out):
    with tarfile.open(out, "w") as tar:
        add_bytes(tar, "context/big.bin", b"\0" * size)
        add_bytes(tar, CONFIG, config_bytes(image))


def post(url, tar_path, secret_file, out, flags):
    with open(tar_path, "rb") as f:
        body = f.read()
    with open(secret_file, "rb") as f:
        key = f.read().strip()
    if "--wrong-key" in flags:
        key = b"not-the-secret"
    headers = {"Content-Type": "application/octet-stream"}
    if "--unsigned" not in flags:
        headers["X-Build-Signature"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    if "--ndjson" in flags:
        headers["Accept"] = "application/x-ndjson"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=900) as res:
            code, text = res.status, res.read()
    except urllib.error.HTTPError as e:
        code, text = e.code, e.read()
    with open(out, "wb") as f:
        f.write(text)
    lines = text.decode(errors="replace").strip().splitlines()
    try:
        status = json.loads(lines[-1])["status"] if lines else "-"
    except (ValueError, KeyError, TypeError):
        status = "-"
    print(code, status)


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "stage":
        stage(*args)
    elif cmd == "tar":
        context, image, out = args[:3]
        rest = args[3:]
        build_args = {}
        for i, a in enumerate(rest):
            if a == "--build-arg":
                k, v = rest[i + 1].split("=", 1)
                build_args[k] = v
        make_tar(context, image, out, "--skip-push" in rest, build_args)
    elif cmd == "evil":
        evil(*args)
    elif cmd == "big":
        big(int(args[0]), args[1], args[2])
    elif cmd == "post":
        post(args[0], args[1], args[2], args[3], args[4:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
