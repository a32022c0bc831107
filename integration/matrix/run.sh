#!/usr/bin/env bash
# Runs the Matrix integration suite against a real homeserver: Dendrite v0.13.8 (matrix-org,
# Apache-2.0), built once with `go install` into a cache outside this module and reused. The Go
# suite starts, restarts and stops Dendrite itself on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=v0.13.8
bin="${DENDRITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dendrite-$version}/bin"
need=(dendrite generate-keys generate-config create-account)
missing=0
for b in "${need[@]}"; do [ -x "$bin/$b" ] || missing=1; done
if [ "$missing" = 1 ]; then
	echo "building Dendrite $version into $bin (a few minutes, once)"
	mkdir -p "$bin"
	pkgs=()
	for b in "${need[@]}"; do pkgs+=("github.com/matrix-org/dendrite/cmd/$b@$version"); done
	# Outside the module, so that its go.mod is neither read nor changed.
	(cd "$(mktemp -d)" && GOFLAGS= GOBIN="$bin" go install "${pkgs[@]}")
fi
echo "Dendrite $version from $bin"
# goolm: mautrix's pure-Go Olm, so that the encrypted-room test runs (see docs/matrix.md).
DENDRITE_BIN="$bin" go test -race -tags "integration goolm" -count=1 "$@" ./integration/matrix/...
