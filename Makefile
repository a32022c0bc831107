# Shortcuts; .ci/run is what CI runs.
.PHONY: build test release clean

build:
	CGO_ENABLED=0 go build -trimpath -tags goolm -o discourse-chatbot ./cmd/discourse-chatbot

test:
	go test -race ./...

# Static binaries for linux amd64/arm64, darwin arm64 and windows amd64, and SHA256SUMS, in dist/.
release:
	scripts/release.sh dist

clean:
	rm -rf dist discourse-chatbot
