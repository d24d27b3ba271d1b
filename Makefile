# The two entry points (see README.md):
#   make coverage [CRATE=path/to/crate]   coverage of a crate's tests on wasm
#   make test                             every test of this project
# Both install what they need: the wasm32 rustup targets and the pinned
# Node (package.json, via npm). `make coverage` is `cargo wasm-cov` run in
# CRATE (crates/cargo-wasm-cov); it installs wasm-bindgen-test-runner only
# for a crate whose tests use wasm-bindgen-test, at the version that crate
# locks, and only when no such runner is found (.tools/bin, PATH, its cache).

CRATE ?= examples/demo
CRATE_NAME := $(notdir $(abspath $(CRATE)))
OUT ?= coverage/$(CRATE_NAME)
# Extra cargo arguments for building the crate's tests, e.g.
#   make coverage CARGO_FLAGS=--features=fail-on-purpose
CARGO_FLAGS ?=

NODE := node_modules/.bin/node
# wasm-bindgen-test-runner must be the version of the wasm-bindgen crate the
# tests link; the example's lock file says which.
WBG_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;}' examples/bindgen/Cargo.lock)
WBG_RUNNER := .tools/bin/wasm-bindgen-test-runner
TOOLS := wasm-run v8cov-extract wasm-cov-mapper cov-report cargo-wasm-cov

.PHONY: bench coverage compare test test-toolchains setup node targets wasm-bindgen report-tools browser tools clean help

help:
	@echo "make coverage [CRATE=dir]  build CRATE's tests for wasm, run them, report coverage"
	@echo "make test                  run every test of this project"
	@echo "make setup                 install the rustup targets and the pinned Node only"
	@echo "make test-toolchains       the pipeline and fidelity tests on beta and nightly (long; not in make test)"
	@echo "make bench                 benchmark against the anchors; rewrites docs/performance.md (~6-10 min)"

# No wasm-bindgen here: a wasip1 crate never needs it, and for a
# wasm-bindgen-test crate the driver finds or installs the runner of the
# version the crate locks (not the version examples/bindgen locks).
coverage: targets node tools
	@test -f $(CRATE)/Cargo.toml || { echo "coverage: $(CRATE)/Cargo.toml not found (CRATE must be a crate's folder)" >&2; exit 2; }
	cd $(CRATE) && $(CURDIR)/target/release/cargo-wasm-cov wasm-cov \
		--output-dir $(abspath $(OUT)) --html --show-missing $(CARGO_FLAGS)

test: setup
	cargo build --bins
	scripts/test.sh

# The project's own tests need wasm-bindgen-test-runner (the bindgen
# example), xmllint and genhtml, and Chromium and Firefox (the browser suites);
# `make coverage` needs none of them (cargo wasm-cov finds or installs what a
# crate's suites need).
setup: targets node wasm-bindgen report-tools browser

# rustup is quick when the targets are already there.
targets:
	@rustup target add wasm32-wasip1 wasm32-wasip2 wasm32-unknown-unknown >/dev/null 2>&1 \
		|| rustup target add wasm32-wasip1 wasm32-wasip2 wasm32-unknown-unknown

node: $(NODE)

$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund
	@$(NODE) --version
	@touch $@

wasm-bindgen: $(WBG_RUNNER)

# About 3 minutes the first time. Not --locked: its lock file pins a crate
# version the registry may no longer serve.
$(WBG_RUNNER): examples/bindgen/Cargo.lock
	cargo install wasm-bindgen-cli --version $(WBG_VERSION) --root .tools
	@touch $@

# xmllint (Cobertura DTD check) and genhtml (LCOV acceptance check) for
# cov-report's tests, from Debian's packages when we may install them.
report-tools:
	@if command -v xmllint >/dev/null && command -v genhtml >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq libxml2-utils lcov >/dev/null; \
	else echo "note: install xmllint and genhtml (Debian: libxml2-utils lcov) for cov-report's format checks"; fi

# Headless Chromium and Firefox for browser suites (wasm-run finds them as
# chromium and firefox-esr on PATH and drives them itself: no chromedriver,
# no geckodriver), from Debian's packages when we may install them.
browser:
	@missing=""; \
	command -v chromium >/dev/null || command -v google-chrome >/dev/null || missing="chromium"; \
	command -v firefox-esr >/dev/null || command -v firefox >/dev/null || missing="$$missing firefox-esr"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "setup: installing$$(echo " $$missing") for the browser suites (apt-get install$$(echo " $$missing"))"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note: install$$(echo " $$missing") (Debian: apt-get install$$(echo " $$missing")) to run browser suites"; fi

tools:
	cargo build --release $(addprefix --bin ,$(TOOLS))

# The next Rust (docs/fidelity.md, "The next Rust"): the pipeline and
# fidelity tests on beta and nightly, installed with rustup, each in a target
# dir of its own. A full build per toolchain; not part of `make test`.
TOOLCHAINS ?= beta nightly
test-toolchains: setup
	scripts/test-toolchains.sh $(TOOLCHAINS)

# How closely this matches LLVM's own coverage of the same tests, natively
# (docs/fidelity.md). Only what the comparison uses: the script runs
# cargo wasm-cov, which holds every stage and installs a
# wasm-bindgen-test-runner only for a crate whose tests need one, so a
# wasip1 crate costs no wasm-bindgen-cli install and no other tool's build.
compare: targets node
	cargo build --release --bin cargo-wasm-cov
	scripts/compare-llvm.sh $(CRATE)

# Benchmarks (bench/run.sh): ratios against genhtml, lcov, llvm-dwarfdump,
# Node without counters and native instrument-coverage; third-party crates
# are fetched by cargo into target/bench. Not part of `make test`.
bench: setup tools
	bench/run.sh

clean:
	rm -rf coverage
