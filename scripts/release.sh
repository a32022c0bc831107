#!/usr/bin/env bash
# Release builds: static binaries (CGO_ENABLED=0) for the supported targets, stamped with the
# version, commit and commit date (`discourse-chatbot version` prints them), plus SHA256SUMS.
#
#   scripts/release.sh [OUT_DIR]        default OUT_DIR: dist
#
# VERSION overrides the version (default: `git describe --tags --always --dirty`), TARGETS the
# list of GOOS/GOARCH pairs. The date is the commit's, not the build's, so two builds of one
# commit are byte for byte the same (-trimpath, no build id).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-dist}"
targets="${TARGETS:-linux/amd64 linux/arm64 darwin/arm64 windows/amd64}"
version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
date="$(git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || true)"
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
	commit="$commit-modified"
fi
ldflags="-s -w -buildid= -X main.version=$version -X main.commit=$commit -X main.buildDate=$date"

mkdir -p "$out"
names=()
for t in $targets; do
	goos="${t%/*}" goarch="${t#*/}"
	bin="discourse-chatbot_${version}_${goos}_${goarch}"
	[ "$goos" = windows ] && bin="$bin.exe"
	echo "building $bin"
	CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" TZ=UTC \
		go build -trimpath -tags goolm -ldflags "$ldflags" -o "$out/$bin" ./cmd/discourse-chatbot
	names+=("$bin")
done
(cd "$out" && sha256sum "${names[@]}" >SHA256SUMS)
echo "wrote ${#names[@]} binaries and SHA256SUMS to $out"
