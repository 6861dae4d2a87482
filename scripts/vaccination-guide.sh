#!/usr/bin/env bash
# Runs docs/vaccination-guide.md's code blocks, in order, as written. BASE defaults to
# http://127.0.0.1:8080; start sehat first with the README's quick-start command
# (serve --demo --otp-delivery sandbox --admin-token change-me); ADMIN_TOKEN and API_KEY may name
# another admin token and partner key. It stops at the first call that
# fails, with a line saying which call and what sehat answered.
set -euo pipefail
# It runs in the current directory (the guide may write files there).
script=$(awk '/^```sh$/{on=1; next} /^```$/{on=0} on' "$(dirname "$0")/../docs/vaccination-guide.md")
bash -euo pipefail -c "$script" || { echo "vaccination guide: FAILED (the line above says at which step)" >&2; exit 1; }
