# The two entry points a new user needs on a fresh Debian 12 machine:
#   make run   - install, build, and run the main job (an emulated dynamic
#                launch of Debian's real kernel, verified and attested)
#   make test  - install, build, and run every test (unit, integration, e2e,
#                then unit + integration again under ASan + UBSan)
.PHONY: all deps artifacts build run test test-release test-asan bench fuzz fuzz-build clean format

JOBS ?= $(shell nproc)

all: build

deps:
	@bash scripts/install-deps.sh

artifacts: deps
	@bash scripts/fetch-artifacts.sh >/dev/null

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

run: build artifacts
	@bash scripts/demo.sh

test: test-release test-asan

test-release: build artifacts
	@ctest --preset release -j 1

test-asan: deps artifacts
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j 1

# libFuzzer targets (clang, ASan + UBSan): FUZZ_SECONDS per target (default 60).
fuzz-build: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))

FUZZ_TARGETS = event_log txt_heap slrt boot_image evidence policy running_system verifier_request
fuzz: fuzz-build
	@bash scripts/fuzz.sh

bench: build
	@bash bench/run

format:
	@find src tests bench fuzz -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build
