#!/bin/sh
# Runs once per request: the body is on stdin, the answer is what this
# prints. Http_Method, Http_Path, Http_Query and Http_<Header> describe the
# request.
set -eu

body=$(cat)
printf 'Hello, sh. You said: %s' "$body"
