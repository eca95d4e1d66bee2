# bombus — the two commands a fresh Debian 12 machine needs: `make demo` and `make test`.
# Both install missing Debian packages (as root), configure, build and run.

PACKAGES := build-essential cmake ninja-build ccache clang llvm libclang-rt-14-dev \
            libelf-dev zlib1g-dev libpcap-dev libcapstone-dev libasmjit-dev libcli11-dev \
            nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev googletest libbenchmark-dev \
            libbpf-dev libseccomp-dev tcpdump iproute2 pkg-config linux-libc-dev bpftool

JOBS ?= $(shell nproc)
CTEST_ARGS ?=
export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Paths relative to the checkout, so a fresh clone elsewhere (CI) reuses the compiler cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= true

.PHONY: all deps build demo test test-release test-asan fuzz fuzz-long bench clean verifier-selftests

all: build

deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "bombus: missing Debian packages:$$missing"; \
	    echo "bombus: run 'sudo make deps' (or apt-get install them) and try again"; exit 1; fi; \
	  echo "bombus: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

demo: build
	bash examples/demo.sh build/release

test-release: build
	cd build/release && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-asan: deps
	cmake --preset asan-ubsan >/dev/null
	cmake --build --preset asan-ubsan -j $(JOBS)
	cd build/asan && ctest --output-on-failure -j $(JOBS) -L unit

# CI fuzzing: each target for about a minute (at most FUZZ_RUNS runs, fixed seed, FUZZ_SECONDS);
# `make fuzz-long FUZZ_SECONDS=600` explores longer.
FUZZ_RUNS ?= 2000000
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	FUZZ_RUNS=$(FUZZ_RUNS) bash fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

fuzz-long: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	bash fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# The kernel's verifier selftests through bombus's verifier and the kernel (needs network
# access to Debian's archive for linux-source, and root for the kernel column).
verifier-selftests: build
	bash scripts/verifier-selftests.sh build/release

# `make test`: the release build and every ctest suite, then the ASan+UBSan build of the unit
# tests, then bounded fuzzing of every target — each stage within a time budget, and each gates
# (a failure fails the run). STRICT=0 reports sanitizer/fuzz failures without failing.
STRICT ?= 1
ASAN_BUDGET ?= 2400
FUZZ_BUDGET ?= 1800
test: test-release
	@rc=0; timeout $(ASAN_BUDGET) $(MAKE) --no-print-directory test-asan || rc=$$?; \
	if [ $$rc -ne 0 ]; then echo "bombus: ASan+UBSan unit tests FAILED or ran out of time (exit $$rc)"; \
	  [ "$(STRICT)" = 1 ] && exit $$rc; fi; \
	rc=0; timeout $(FUZZ_BUDGET) $(MAKE) --no-print-directory fuzz || rc=$$?; \
	if [ $$rc -ne 0 ]; then echo "bombus: fuzzing FAILED or ran out of time (exit $$rc)"; \
	  [ "$(STRICT)" = 1 ] && exit $$rc; fi; \
	echo "bombus: release tests passed; ASan and fuzz stages finished"

bench: build
	for b in build/release/bench/*/bombus-bench-*; do echo "== $$b"; $$b --benchmark_min_time=0.2; done

clean:
	rm -rf build
