# Roost: the two set-up commands are `make demo` and `make test` (see README.md).
SWIFT ?= swift
DEMO_HOME ?= $(CURDIR)/.roost-demo
SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && echo sudo)

.PHONY: deps browser-deps postgres-deps build demo test bench bench-baseline bench-check clean

## Install libsodium-dev (and pkg-config) and libcld2-dev (language detection) with apt-get when they are missing.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libsodium || [ ! -f /usr/include/cld2/public/compact_lang_det.h ]; then \
		echo "Installing libsodium-dev and libcld2-dev with apt-get..."; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsodium-dev libcld2-dev pkg-config; \
	fi

## Install Debian's postgresql (the warehouse mirror's tests start a server of their own) with apt-get when missing.
postgres-deps:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then \
		echo "Installing postgresql with apt-get (warehouse mirror tests)..."; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	fi

## Install Debian's chromium and chromium-driver (the web app's browser tests) with apt-get when missing.
browser-deps:
	@if ! command -v chromedriver >/dev/null 2>&1 || ! { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }; then \
		echo "Installing chromium and chromium-driver with apt-get (browser tests)..."; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

build: deps
	$(SWIFT) build --product roost

## A demo node on the embedded SQLite store, with sample data, then its state and a full verify.
demo: build
	@ROOST=$$($(SWIFT) build --product roost --show-bin-path)/roost DEMO_HOME="$(DEMO_HOME)" bash examples/demo.sh

## The whole test suite (what CI runs).
test: deps browser-deps postgres-deps
	$(SWIFT) test

## Release-build benchmarks (package-benchmark, in Benchmarks/).
bench: deps
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark

## Regression gate (issue 12): record a baseline before a change, check after it; a metric more than 15% worse at the
## median fails the check (Benchmarks/README.md, "Regressions"). BENCH_TARGET=RoostStoreBenchmarks for the quick one.
bench-baseline: deps
	cd Benchmarks && $(SWIFT) package --disable-sandbox --allow-writing-to-package-directory benchmark baseline update before $(if $(BENCH_TARGET),--target $(BENCH_TARGET))
bench-check: deps
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark baseline check before $(if $(BENCH_TARGET),--target $(BENCH_TARGET))

clean:
	rm -rf .build "$(DEMO_HOME)"

## The X gateway walk-through: three nodes against the local fake X API (examples/gateway/README.md).
.PHONY: gateway-demo
gateway-demo: deps
	bash examples/gateway/run.sh
