# Attune: `make run` builds and starts the demo; `make test` builds and runs every test.
# Both install what they need first (scripts/setup).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
CTEST_ARGS ?= --output-on-failure -j $(JOBS)

.PHONY: all setup build build-asan test test-asan test-fast run bench format lint clean

all: build

setup:
	@scripts/setup

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null

$(ASAN_BUILD)/build.ninja:
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1" -DATTUNE_SANITIZE=ON -DATTUNE_BENCH=OFF >/dev/null

## build: the binary at build/attune
build: setup $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

## test: the whole suite under ASan+UBSan, then the whole suite on the normal build (ends with ctest's summary)
## (-g1: line tables only, for readable sanitizer reports at a fraction of full debug info's build time)
test: build build-asan
	@echo "== test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest $(CTEST_ARGS) --label-exclude "bench|web"
	@echo "== test suite (RelWithDebInfo)"
	@cd $(BUILD) && ctest $(CTEST_ARGS)

## test-fast: only the normal build's suite
test-fast: build
	@cd $(BUILD) && ctest $(CTEST_ARGS)

## run: build, then the demo
run: build
	@scripts/demo

bench: build
	@cd $(BUILD) && ctest --output-on-failure -L bench -V | grep -E '^[0-9]+: (bench|  )' || true

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

lint: build
	@git ls-files 'src/*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
