# The two entry points (see README.md):
#   make coverage [CRATE=path/to/crate]   coverage of a crate's tests on wasm
#   make test                             every test of this project
# Both install what they need: the wasm32 rustup targets and the pinned
# Node (package.json, via npm).

CRATE ?= examples/demo
CRATE_NAME := $(notdir $(abspath $(CRATE)))
OUT ?= coverage/$(CRATE_NAME)
# Extra cargo arguments for building the crate's tests, e.g.
#   make coverage CARGO_FLAGS=--features=fail-on-purpose
CARGO_FLAGS ?=

NODE := node_modules/.bin/node
TOOLS := wasm-run v8cov-extract wasm-cov-mapper cov-report

.PHONY: coverage test setup node targets tools clean help

help:
	@echo "make coverage [CRATE=dir]  build CRATE's tests for wasm, run them, report coverage"
	@echo "make test                  run every test of this project"
	@echo "make setup                 install the rustup targets and the pinned Node only"

coverage: setup tools
	scripts/coverage.sh $(CRATE) $(OUT) $(CARGO_FLAGS)

test: setup
	cargo build --bins
	scripts/test.sh

setup: targets node

# rustup is quick when the targets are already there.
targets:
	@rustup target add wasm32-wasip1 wasm32-unknown-unknown >/dev/null 2>&1 \
		|| rustup target add wasm32-wasip1 wasm32-unknown-unknown

node: $(NODE)

$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund
	@$(NODE) --version
	@touch $@

tools:
	cargo build --release $(addprefix --bin ,$(TOOLS))

clean:
	rm -rf coverage
