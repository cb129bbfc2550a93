# `make run` builds and runs the daemon in the foreground on the example
# config; `make test` runs every test.
GO ?= go
BIN := bin

.PHONY: build run test vet fmt clean

build:
	$(GO) build -o $(BIN)/ ./cmd/...

run: build
	mkdir -p tmp
	./$(BIN)/supervisord -n -c examples/supervisord.conf

test: build
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN) tmp
