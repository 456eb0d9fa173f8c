#!/bin/sh
# The recipe of the local base image of `make test-ee`: Debian 12 (bookworm) with Python 3.11, made from Debian
# packages alone, for a machine that reaches no container registry. It stands in for the UBI 9 base of
# docs/examples/execution-environment.yml; the definition itself is unchanged, the build only overrides its base
# image and package manager (--build-arg EE_BASE_IMAGE=... --build-arg PKGMGR=/usr/bin/apt-get).
#
#   sh tests/ee/base-image.sh TAG
#
# tests/ee/run_ee_test.py runs it as root with TAG localhost/tim-chat-ee-base:<sha256 of this file>, so the image
# is made again only when this recipe changes. Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -eu

tag=${1:?usage: base-image.sh TAG}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/tim-chat-ee-base.XXXXXX)
trap 'rm -rf "$root"' EXIT INT TERM

# minbase: essential packages and apt only. python3-venv brings ensurepip and the pip wheel it installs.
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv bookworm "$root" "$mirror"

# ansible-builder's base stage runs `python3.11 -m ensurepip --root /` (as on UBI, where that installs pip).
# Debian's python3.11-venv refuses ensurepip for the system Python; the image allows it, as UBI's Python does.
ensurepip="$root/usr/lib/python3.11/ensurepip/__init__.py"
sed -i 's/^    _ensurepip_is_disabled_in_debian_for_system()$/    pass  # tim.chat EE test base image: allowed, as on UBI 9/' \
    "$ensurepip"
grep -q 'tim.chat EE test base image: allowed' "$ensurepip" || {
    echo "base-image.sh: Debian's ensurepip guard was not found in $ensurepip" >&2
    exit 1
}

# Smaller: no downloaded packages, package lists, documentation or translations.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*

# PIP_CERT names the image's own CA bundle: at build time, run_ee_test.py mounts the machine's bundle (the file
# the machine's PIP_CERT names, if any) over it, so pip inside trusts what pip on the machine trusts.
tar -C "$root" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/bash"]' \
    --message "tim.chat make test-ee base image (Debian bookworm minbase, Python 3.11)" \
    - "$tag"
