# `make run` builds and runs the daemon in the foreground on the example
# config; `make test` runs every test.
GO ?= go
BIN := bin

.PHONY: build run test vet fmt clean bench

build:
	$(GO) build -o $(BIN)/ ./cmd/...

run: build
	mkdir -p tmp
	./$(BIN)/supervisord -n -c examples/supervisord.conf

test: build
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...
	# Tests that run several fleet nodes in one process skip under -race
	# (a race inside protoactor's remote.Start; see internal/fleet).
	$(GO) test -count=1 -timeout 10m ./internal/fleet/...

# `make bench` measures ours side by side with the reference supervisord
# (when installed) and rewrites docs/benchmarks.md and docs/benchmarks.json;
# BENCH_REPS=n and BENCH_ONLY=spawn1000,log narrow it (go run ./bench/run -h).
bench: build
	$(GO) run ./bench/run

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN) tmp
