#!/usr/bin/env bash
# Runs docs/cowin-v2-guide.md's code blocks, in order, as written. BASE defaults to
# http://127.0.0.1:8080; start sehat with --demo --otp-delivery sandbox first.
set -euo pipefail
# It runs in the current directory (the guide may write files there).
script=$(awk '/^```sh$/{on=1; next} /^```$/{on=0} on' "$(dirname "$0")/../docs/cowin-v2-guide.md")
bash -euo pipefail -c "$script"
