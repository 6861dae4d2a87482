#!/usr/bin/env bash
# Runs docs/partner-guide.md's code blocks, in order, as written. BASE defaults to
# http://127.0.0.1:8080; start sehat with --demo --otp-delivery sandbox first.
set -euo pipefail
cd "$(dirname "$0")/.."
script=$(awk '/^```sh$/{on=1; next} /^```$/{on=0} on' docs/partner-guide.md)
bash -euo pipefail -c "$script"
