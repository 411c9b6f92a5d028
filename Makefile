# Sluice: `make demo` sets everything up and runs the demo; `make test` runs every test.
SWIFT ?= swift
APT_PACKAGES := libyaml-dev librdkafka-dev pkg-config kcat
SLUICE := .build/release/sluice

.PHONY: deps test-deps build release test demo bench bench-long bench-e2e bench-eos fuzz clean
VENV := .venv
NOIDA := $(VENV)/bin/noida-db

# Install the C libraries (and kcat) when missing; needs root or sudo on Debian/Ubuntu.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

# The independent Kafka-protocol broker the integration tests start on 127.0.0.1 (PyPI).
test-deps: deps $(NOIDA)
$(NOIDA):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q noida-db==0.2.3

build: deps
	$(SWIFT) build

# The Swift runtime and Foundation linked in statically: every command starts in about half
# the time (no symbol lookups across a dozen shared libraries), for a larger binary.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# SLUICE_REQUIRE_NOIDA makes the broker tests fail, not skip, when noida-db is missing.
test: test-deps
	$(SWIFT) build --build-tests
	SLUICE_REQUIRE_NOIDA=1 $(SWIFT) test --skip-build

# Checks the example pipelines, then runs both tutorial pipelines live on the embedded broker.
demo: release
	$(SLUICE) validate pipelines/*.yaml
	$(SLUICE) test pipelines/*.yaml
	$(SLUICE) demo --duration 20s

# Dry-run engine throughput on one core, with an in-run JSON-parse baseline.
bench: release
	taskset -c 0 $(SLUICE) bench --records 1000000

# Resident memory over a long dry-run: peak RSS is printed after every million records.
bench-long: release
	taskset -c 0 $(SLUICE) bench --records 10000000 --pipeline category-windows --memory-keys 0

# End to end: `sluice run` (seed-processor) against a C consume-transform-produce loop over
# librdkafka on the same embedded broker and records; BENCH_RECORDS records, BENCH_ROUNDS rounds.
CTP := .build-bench/ctp
$(CTP): bench/c-baseline/ctp.c
	@mkdir -p $(dir $(CTP))
	gcc -O2 -Wall -Wextra -o $@ $< $$(pkg-config --cflags --libs rdkafka)

bench-e2e: release $(CTP)
	SLUICE=$(SLUICE) CTP=$(CTP) scripts/bench-e2e.sh $(or $(BENCH_RECORDS),1000000) $(or $(BENCH_ROUNDS),2)

# Exactly once against at least once (`sluice run`, seed-processor) on one noida-db broker, in
# the same run: BENCH_RECORDS records, BENCH_ROUNDS rounds; prints the ratio.
bench-eos: release test-deps
	SLUICE=$(SLUICE) scripts/bench-eos.sh $(or $(BENCH_RECORDS),1000000) $(or $(BENCH_ROUNDS),3)

# libFuzzer targets (YAML + validator, expressions, record decoding); FUZZ_SECONDS per target.
fuzz: deps
	scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

clean:
	rm -rf .build
