#!/usr/bin/env bash
# The Debian packages the tests need, to test real components rather than stand-ins. Run as root, or as a user who
# may sudo.
# A second run, with everything installed, returns at once without touching apt.
set -euo pipefail

# postgresql: a real PostgreSQL server (tests/postgres.py starts one per test worker).
# gammu, libgammu-dev, pkg-config: python-gammu (the modem tests) builds against libGammu where no wheel fits.
# kannel, kannel-extras: bearerbox, smsbox and fakesmsc for the Kannel gateway tests (tests/sms/gateways/).
# fonts-noto-cjk: the CJK font the door-knock sheet's PDF embeds; poppler-utils: pdftotext reads the PDF back.
packages=(postgresql gammu libgammu-dev pkg-config kannel kannel-extras fonts-noto-cjk poppler-utils)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg -s "$package" >/dev/null 2>&1; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
else
    as_root=(sudo)
fi
echo "Installing ${missing[*]} for the tests." >&2
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
