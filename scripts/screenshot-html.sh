#!/usr/bin/env bash
# Takes browser screenshots of a cov-report HTML report, for the docs and for
# looking at the design without a desktop:
#
#   scripts/screenshot-html.sh HTML_DIR OUT_DIR [FILE_PAGE]
#
# Writes OUT_DIR/report-index.png (HTML_DIR/index.html),
# OUT_DIR/report-file.png (FILE_PAGE, a path relative to HTML_DIR; default:
# the first page under HTML_DIR/files/) and, for a report with a change
# (--diff), OUT_DIR/report-changed.png (HTML_DIR/changed.html); for a report
# with per-test data, OUT_DIR/report-tests.png (HTML_DIR/tests.html) and
# OUT_DIR/report-contexts.png (FILE_PAGE#CONTEXT, CONTEXT default `t=1`:
# test 1 of tests.html picked; `t=1,L42` also opens the list of the tests
# that ran line 42). DARK=1 takes
# them with prefers-color-scheme: dark, as report-*-dark.png. Needs headless
# Chromium (Debian: apt-get install chromium); nothing is fetched from the
# network.
set -euo pipefail

html=${1:?usage: screenshot-html.sh HTML_DIR OUT_DIR [FILE_PAGE]}
out=${2:?usage: screenshot-html.sh HTML_DIR OUT_DIR [FILE_PAGE]}
page=${3:-}
WIDTH=${WIDTH:-1280}
HEIGHT=${HEIGHT:-900}

browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [[ -z $browser ]]; then
    echo "screenshot-html: no chromium found (Debian: apt-get install chromium)" >&2
    exit 2
fi
if [[ ! -f $html/index.html ]]; then
    echo "screenshot-html: $html/index.html: not found (run cov-report --html $html first)" >&2
    exit 2
fi
if [[ -z $page ]]; then
    page=$(cd "$html" && find files -name '*.html' | LC_ALL=C sort | head -n 1)
fi
mkdir -p "$out"
html=$(cd "$html" && pwd)
out=$(cd "$out" && pwd)

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

dark=()
suffix=""
if [[ -n ${DARK:-} ]]; then
    dark=(--force-dark-mode --blink-settings=preferredColorScheme=0)
    suffix=-dark
fi

shot() { # URL PNG
    "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$profile" "${dark[@]}" \
        --screenshot="$2" --window-size="$WIDTH,$HEIGHT" "$1" >/dev/null 2>&1
    if [[ ! -s $2 ]]; then
        echo "screenshot-html: $browser wrote no $2 for $1" >&2
        exit 2
    fi
    echo "$2"
}

shot "file://$html/index.html" "$out/report-index$suffix.png"
shot "file://$html/$page" "$out/report-file$suffix.png"
if [[ -f $html/changed.html ]]; then
    shot "file://$html/changed.html" "$out/report-changed$suffix.png"
fi
if [[ -f $html/tests.html ]]; then
    shot "file://$html/tests.html" "$out/report-tests$suffix.png"
    shot "file://$html/$page#${CONTEXT:-t=1}" "$out/report-contexts$suffix.png"
fi
