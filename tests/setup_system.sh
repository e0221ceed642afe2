#!/bin/sh
# System packages the test suite uses, installed only when missing (quick when all are there):
#   nginx             the reverse-proxy test
#   chromium          the browser tests of the web interface (Debian's build, driven by Playwright)
#   fonts-lohit-deva  a Devanagari font, so Hindi pages render in Chromium
#   wrk               the HTTP load generator of bench/, whose smoke run is part of the suite
# Without root or apt the tests that need a missing package skip and say why.
set -u
missing=""
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    missing="$missing nginx"
fi
if [ ! -x /usr/bin/chromium ]; then
    missing="$missing chromium"
fi
if ! dpkg -s fonts-lohit-deva >/dev/null 2>&1 && ! dpkg -s fonts-noto-core >/dev/null 2>&1; then
    missing="$missing fonts-lohit-deva"
fi
if ! command -v wrk >/dev/null 2>&1; then
    missing="$missing wrk"
fi
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_system: missing$missing and cannot apt-get install (not root or no apt)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Keep the package from starting a system-wide nginx: the tests run their own.
policy=/usr/sbin/policy-rc.d
created_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=yes
fi
# shellcheck disable=SC2086 # the package names are meant to split
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >/dev/null; then
    echo "setup_system: apt-get could not install$missing; the tests that need them will skip" >&2
fi
[ "$created_policy" = yes ] && rm -f "$policy"
exit 0
