#!/bin/sh
# Greets the caller with the request's method and body; busybox's sh and
# tools (tr, wc, sed, …) are in the image.
set -eu

body=$(cat)
printf 'Hello, sh (%s). You said: %s' "${Http_Method:-?}" "$body"
