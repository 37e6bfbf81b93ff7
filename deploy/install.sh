#!/bin/sh
# The production install the Docker image runs (and test/deploy.test.ts runs as a plain command):
# the packed package plus the drivers, no devDependencies, into the current directory.
# Usage: deploy/install.sh <sessiondb-x.y.z.tgz>
set -eu
tarball="$1"
here="$(cd "$(dirname "$0")" && pwd)"
cp "$here/package.json" ./package.json
cp "$tarball" ./sessiondb.tgz
npm install --omit=dev --no-audit --no-fund --no-update-notifier
npm cache clean --force 2>/dev/null || true
