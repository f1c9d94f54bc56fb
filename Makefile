# SQLite Worker — the one entry point.
#   make test    install what is missing, build, run every test (native, Node, Chromium, Firefox, WebKit)
#   make build   the wasm module and the JS loader in dist/
#   make bench   benchmarks (native vs wasm), printed as a table
#   make fuzz    the fuzzers, for longer than the quick runs of make test
#   make size    wasm and JS sizes, raw, gzip -9 and brotli, and what a page downloads
#   make demo    build, then serve the interactive demo at http://localhost:3000/ (PORT)
# Objects are cached under build/; SQLite is fetched into build/sqlite at first use.

SHELL := /bin/bash
.DEFAULT_GOAL := build

SQLITE_DIR := build/sqlite
SQLITE_C   := $(SQLITE_DIR)/sqlite3.c
CODES_H    := build/gen/codes.h
PROTO_JS   := src/js/proto.js

# SQLite's compile-time options, the same in every build (wasm, native, sanitizers),
# so native numbers and tests describe the SQLite that ships.
SQLITE_OPTS := \
  -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
  -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0 -DSQLITE_ENABLE_FTS5 \
  -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_DBPAGE_VTAB -DSQLITE_TEMP_STORE=3 -DSQLITE_DEFAULT_CACHE_SIZE=-8192 -DSQLITE_OMIT_DEPRECATED \
  -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_LIKE_DOESNT_MATCH_BLOBS \
  -DSQLITE_OMIT_UTF16 -DSQLITE_OMIT_TCL_VARIABLE -DSQLITE_OMIT_GET_TABLE \
  -DSQLITE_OMIT_AUTOINIT -DSQLITE_OMIT_TRACE \
  -DSQLITE_OMIT_COMPILEOPTION_DIAGS -DSQLITE_OMIT_COMPLETE \
  -DSQLITE_UNTESTABLE -DSQLITE_OMIT_INTROSPECTION_PRAGMAS -DSQLITE_MAX_MMAP_SIZE=0 -DNDEBUG

CORE_SRC  := src/core/engine.c src/core/engine_image.c src/core/engine_cursor.c src/core/engine_changes.c src/core/codec.c src/core/coord_msg.c src/core/coord.c src/core/coord_engine.c src/core/coord_guard.c src/core/coord_txn.c src/core/vfs_common.c \
             src/core/vfs_host.c src/core/vfs_pool.c \
             src/core/memfile.c src/core/os.c src/core/stackguard.c
CORE_HDR  := $(wildcard src/core/*.h) $(CODES_H)
INCLUDES  := -Isrc/core -I$(SQLITE_DIR) -Ibuild/gen
WARN      := -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Werror

# ---- wasm ---------------------------------------------------------------------------
WASI_LIB  := /usr/lib/wasm32-wasi
WASM_RT   := $(firstword $(wildcard /usr/lib/llvm-14/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a))
WASM_CC   := clang --target=wasm32-wasi --sysroot=/usr
WASM_OPT_LEVEL ?= -Oz
# --low-memory-unused lets wasm-opt fold `p + c` (c < 1024) into a load's or store's offset,
# which differs only where p + c wraps around 2^32 into the first KiB: no pointer of ours
# does (the stack, first in memory, is addressed upward from its positive stack pointer).
# −10 KB raw, −3 KB gzip, and fewer adds (docs/decisions.md, 2026-12-03).
WASM_OPT_FLAGS := $(WASM_OPT_LEVEL) --converge --low-memory-unused --strip-producers
WASM_FEATURES := -mbulk-memory -mnontrapping-fptoint -msign-ext -mmutable-globals
# FTS5 is not in the module: it is a module of its own, dist/sqlite-worker-fts5.wasm,
# linked by the core into the first connection that needs it (src/js/core.js,
# docs/decisions.md 2026-12-04): a page that never uses FTS5 never downloads it.
# It is SQLite's own fts5.c cut out of the amalgamation, built position-independent
# (clang makes PIC only for the emscripten triple; the code is plain wasm32 C against
# wasi-libc's headers all the same) and linked as a shared module; the core exports
# what it imports (FTS5_IMPORTS) and its table.
WASM_CFLAGS := $(WASM_OPT_LEVEL) $(WASM_FEATURES) $(filter-out -DSQLITE_ENABLE_FTS5,$(SQLITE_OPTS)) \
  -DSQLW_FTS5_MODULE $(INCLUDES)
WASM_PIC_CC := clang --target=wasm32-unknown-emscripten -fPIC -nostdlibinc -isystem /usr/include/wasm32-wasi
WASM_SQLITE_FLAGS := -DHAVE_LOCALTIME_R=1 -Dlocaltime_r=sqlwLocaltimeR \
  -Dmalloc=sqlwGuardMalloc -Drealloc=sqlwGuardRealloc -w
# wasm_api.c (the exports) and hostmath.c (libm through the host) are the wasm build's own.
WASM_OBJ  := $(patsubst src/core/%.c,build/wasm/%.o,$(CORE_SRC) src/core/wasm_api.c src/core/hostmath.c) build/wasm/sqlite3.o
WASM_LDFLAGS := --no-entry --export=_initialize -z stack-size=524288 --stack-first \
  --initial-memory=16777216 --max-memory=2147483648 --gc-sections --strip-debug
# What the FTS5 module needs of the core: its table, stack pointer and the functions it imports.
FTS5_IMPORTS := build/wasm/fts5.imports
WASM_LINK_FTS5 = --export-table --growable-table --export=__stack_pointer $$(sed 's/^/--export=/' $(FTS5_IMPORTS))

DIST_JS := dist/proto.js dist/opfs.js dist/host-common.js dist/core.js dist/runtime.js dist/link.js dist/codec.js dist/errors.js dist/pool.js dist/protocol.js dist/coord.js \
  dist/host-node.js dist/host-browser.js dist/drizzle.js dist/kysely.js
# Bundled by scripts/build-js.mjs (esbuild): the API, the worker, and the one-file build.
DIST_BUNDLES := dist/index.js dist/worker.js dist/sqlite-worker.single.js
# The declarations (index.d.ts, core.d.ts… beside package.json), as TypeScript < 5.7 reads them.
DIST_TYPES_OLD := $(patsubst %,dist/ts5.6/%,index.d.ts core.d.ts errors.d.ts host-node.d.ts worker.d.ts drizzle.d.ts kysely.d.ts)

# ---- native -------------------------------------------------------------------------
NATIVE_OBJ := $(patsubst src/core/%.c,build/native/%.o,$(CORE_SRC)) \
              build/native/host_posix.o build/native/sqlite3.o
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined
ASAN_OBJ   := $(patsubst src/core/%.c,build/asan/%.o,$(CORE_SRC)) \
              build/asan/host_posix.o build/asan/sqlite3.o
FUZZ_OBJ   := $(patsubst src/core/%.c,build/fuzz/%.o,$(CORE_SRC)) \
              build/fuzz/host_posix.o build/fuzz/sqlite3.o
TEST_NATIVE_SRC := $(wildcard tests/native/*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_RUNS ?= 10000
FUZZ_SECONDS ?= 120

# Objects depend on a stamp of their build's flags, rewritten only when the flags
# change, so editing the Makefile rebuilds only what it affects.
FLAGS_wasm   := $(WASM_CC) $(WASM_CFLAGS) $(WASM_SQLITE_FLAGS) | $(WASM_OPT_FLAGS)
FLAGS_native := gcc -O2 $(SQLITE_OPTS)
FLAGS_asan   := clang $(ASAN_FLAGS) $(SQLITE_OPTS)
build/%.flags: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '$(FLAGS_$*)' | cmp -s - $@ || printf '%s\n' '$(FLAGS_$*)' > $@

.PHONY: FORCE build node-dist lint check-proto setup test test-native test-sim test-node test-browser test-webkit fuzz fuzz-quick bench size clean check-imports demo \
  conformance test-conformance

setup:
	@bash scripts/setup.sh

build: setup dist/sqlite-worker.wasm dist/sqlite-worker-fts5.wasm $(DIST_JS) $(DIST_BUNDLES) $(DIST_TYPES_OLD) check-imports

$(SQLITE_C):
	bash scripts/fetch-sqlite.sh

# Every number C and JavaScript share is written once, in src/core/proto.h; this writes
# its JavaScript mirror and the result-code name table of both (scripts/gen-proto.mjs).
$(CODES_H) $(PROTO_JS) &: src/core/proto.h scripts/gen-proto.mjs $(SQLITE_C)
	@mkdir -p $(dir $(CODES_H))
	node scripts/gen-proto.mjs --sqlite $(SQLITE_DIR)/sqlite3.h --js $(PROTO_JS) --c $(CODES_H)
	@touch $(CODES_H) $(PROTO_JS)

build/wasm/sqlite3.o: $(SQLITE_C) build/wasm.flags
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_CFLAGS) $(WASM_SQLITE_FLAGS) -c $< -o $@

build/wasm/%.o: src/core/%.c $(CORE_HDR) $(SQLITE_C) build/wasm.flags
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_CFLAGS) $(WARN) -c $< -o $@

build/wasm/sqlite-worker.raw.wasm: $(WASM_OBJ) $(FTS5_IMPORTS)
	wasm-ld $(WASM_LDFLAGS) $(WASM_LINK_FTS5) $(WASI_LIB)/crt1-reactor.o $(WASM_OBJ) -L$(WASI_LIB) -lc $(WASM_RT) -o $@

dist/sqlite-worker.wasm: build/wasm/sqlite-worker.raw.wasm build/wasm.flags
	@mkdir -p $(@D)
	wasm-opt $(WASM_OPT_FLAGS) $< -o $@

# The FTS5 module: fts5.c as the amalgamation holds it, as a loadable extension
# (sqlite3_fts5_init) calling SQLite's functions directly (SQLITE_OMIT_LOAD_EXTENSION:
# no sqlite3_api table), which it imports from the core.
build/wasm/fts5.c: $(SQLITE_C)
	@mkdir -p $(@D)
	{ printf '#include "sqlite3ext.h"\n#include <string.h>\n#include <assert.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <math.h>\n'; \
	  sed -n '/^\/\*\*\*\*\*\*\*\*\*\*\*\*\*\* Begin file fts5\.c /,/^\/\*\*\*\*\*\*\*\*\*\*\*\*\*\* End of fts5\.c /p' $<; } > $@.tmp
	@grep -q 'sqlite3_fts5_init' $@.tmp || { echo "fts5.c not found in $<"; exit 1; }
	mv $@.tmp $@

build/wasm/fts5.o: build/wasm/fts5.c build/wasm.flags
	$(WASM_PIC_CC) $(WASM_OPT_LEVEL) $(WASM_FEATURES) $(filter-out -DSQLITE_ENABLE_FTS5,$(SQLITE_OPTS)) -I$(SQLITE_DIR) -w -c $< -o $@

build/wasm/fts5.raw.wasm: build/wasm/fts5.o
	wasm-ld --experimental-pic -shared --strip-debug --export=sqlite3_fts5_init $< -o $@

$(FTS5_IMPORTS): build/wasm/fts5.raw.wasm
	wasm-objdump -x -j Import $< | grep -E '^ - func\[|^ - global\[.* <- GOT\.func\.' \
	  | sed -n 's/.* <- \(env\|GOT\.func\)\.\([A-Za-z0-9_]*\)$$/\2/p' | sort -u > $@.tmp
	@! wasm-objdump -x -j Import $< | grep -q ' <- GOT\.mem\.' || { echo "$<: imports data of the core (GOT.mem), which the loader does not link"; exit 1; }
	@grep -q '^sqlite3_create_module_v2$$' $@.tmp || { echo "$@: no imports read from $<"; exit 1; }
	mv $@.tmp $@

dist/sqlite-worker-fts5.wasm: build/wasm/fts5.raw.wasm build/wasm.flags
	@mkdir -p $(@D)
	wasm-opt $(WASM_OPT_FLAGS) $< -o $@

dist/%.js: src/js/%.js
	@mkdir -p $(@D)
	cp $< $@

# The browser entry points, bundled and minified (scripts/build-js.mjs). esbuild comes
# from npm (setup), hence the order-only setup.
$(DIST_BUNDLES) &: dist/sqlite-worker.wasm dist/sqlite-worker-fts5.wasm $(wildcard src/js/*.js) \
  scripts/build-js.mjs | setup
	@mkdir -p dist
	node scripts/build-js.mjs

# The type declarations for TypeScript before 5.7 (package.json "types@<5.7"): there
# Uint8Array is not generic, so Bytes is a plain Uint8Array.
dist/ts5.6/%.d.ts: %.d.ts
	@mkdir -p $(@D)
	sed 's/Uint8Array<ArrayBuffer>/Uint8Array/g' $< > $@

# What the Node suite loads (tests/node/proto-shift.test.mjs builds this in a copy).
node-dist: dist/sqlite-worker.wasm dist/sqlite-worker-fts5.wasm $(DIST_JS)

# The module must import only the host interface and link.fts5 (src/js/link.js): no
# WASI, nothing else.
check-imports: dist/sqlite-worker.wasm
	@bad=$$(wasm-objdump -x -j Import $< | grep -E '<-' | grep -v ' <- host\.' | grep -v ' <- link\.fts5$$' || true); \
	if [ -n "$$bad" ]; then echo "unexpected wasm imports:"; echo "$$bad"; exit 1; fi

build/native/sqlite3.o: $(SQLITE_C) build/native.flags
	@mkdir -p $(@D)
	gcc -O2 $(SQLITE_OPTS) -w -c $< -o $@

build/native/%.o: src/core/%.c $(CORE_HDR) $(SQLITE_C) build/native.flags
	@mkdir -p $(@D)
	gcc -O2 $(SQLITE_OPTS) $(INCLUDES) $(WARN) -c $< -o $@

build/native/host_posix.o: src/host/posix/host_posix.c src/core/host.h $(SQLITE_C)
	@mkdir -p $(@D)
	gcc -O2 $(INCLUDES) $(WARN) -c $< -o $@

build/native/libsqlw.a: $(NATIVE_OBJ)
	ar rcs $@ $^

build/asan/sqlite3.o: $(SQLITE_C) build/asan.flags
	@mkdir -p $(@D)
	clang $(ASAN_FLAGS) $(SQLITE_OPTS) -w -c $< -o $@

build/asan/%.o: src/core/%.c $(CORE_HDR) $(SQLITE_C) build/asan.flags
	@mkdir -p $(@D)
	clang $(ASAN_FLAGS) $(SQLITE_OPTS) $(INCLUDES) $(WARN) -c $< -o $@

build/asan/host_posix.o: src/host/posix/host_posix.c src/core/host.h $(SQLITE_C)
	@mkdir -p $(@D)
	clang $(ASAN_FLAGS) $(INCLUDES) $(WARN) -c $< -o $@

# The native tests run over a fault-injecting shim (tests/native/faulthost.c): they link
# a second build of the POSIX host whose file functions are renamed out of its way.
SHIM_RENAME := $(foreach f,open close read write truncate size sync,-Dhost_$(f)=posix_host_$(f))
ASAN_TEST_OBJ := $(filter-out build/asan/host_posix.o,$(ASAN_OBJ)) build/asan/host_posix_shim.o

build/asan/host_posix_shim.o: src/host/posix/host_posix.c src/core/host.h $(SQLITE_C) build/asan.flags
	@mkdir -p $(@D)
	clang $(ASAN_FLAGS) $(INCLUDES) $(WARN) $(SHIM_RENAME) -c $< -o $@

build/asan/test-native: $(TEST_NATIVE_SRC) $(wildcard tests/native/*.h) $(ASAN_TEST_OBJ)
	clang $(ASAN_FLAGS) $(INCLUDES) -Itests/native $(WARN) $(TEST_NATIVE_SRC) $(ASAN_TEST_OBJ) -lm -o $@

# SQLite is instrumented for coverage too: an imported image is decoded by SQLite's
# own code, which the import fuzzer must be able to steer through.
build/fuzz/sqlite3.o: $(SQLITE_C) build/asan.flags
	@mkdir -p $(@D)
	clang $(ASAN_FLAGS) -fsanitize=fuzzer-no-link $(SQLITE_OPTS) -w -c $< -o $@

build/fuzz/%.o: src/core/%.c $(CORE_HDR) $(SQLITE_C) build/asan.flags
	@mkdir -p $(@D)
	clang $(ASAN_FLAGS) -fsanitize=fuzzer-no-link $(SQLITE_OPTS) $(INCLUDES) $(WARN) -c $< -o $@

build/fuzz/host_posix.o: src/host/posix/host_posix.c src/core/host.h $(SQLITE_C)
	@mkdir -p $(@D)
	clang $(ASAN_FLAGS) $(INCLUDES) $(WARN) -c $< -o $@

# Named explicitly so make keeps the objects (they are not intermediate files).
$(FUZZ_TARGETS): $(FUZZ_OBJ)
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ) $(wildcard tests/native/wire.[ch])
	clang $(ASAN_FLAGS) -fsanitize=fuzzer $(INCLUDES) -Itests/native $(WARN) $< \
	  $(wildcard tests/native/wire.c) $(FUZZ_OBJ) -lm -o $@

# ---- tests --------------------------------------------------------------------------
NPROC := $(shell nproc 2>/dev/null || echo 2)

# Everything is compiled first, in parallel; the suites then run one after another
# so their output stays readable.
test: setup
	@$(MAKE) --no-print-directory check-proto
	@$(MAKE) --no-print-directory -j$(NPROC) dist/sqlite-worker.wasm dist/sqlite-worker-fts5.wasm $(DIST_JS) \
	  build/asan/test-native build/native/coord-sim $(FUZZ_TARGETS)
	@$(MAKE) --no-print-directory check-imports lint test-native test-sim fuzz-quick test-node \
	  test-conformance test-browser test-webkit

test-native: setup build/asan/test-native
	@d=$$(mktemp -d) && cd $$d && \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(CURDIR)/build/asan/test-native; rc=$$?; rm -rf $$d; exit $$rc

# Each fuzzer: FUZZ_RUNS executions (make test), or FUZZ_SECONDS each (make fuzz).
fuzz-quick: setup $(FUZZ_TARGETS)
	@set -o pipefail; for f in $(FUZZ_TARGETS); do \
	  mkdir -p build/corpus/$$(basename $$f); \
	  echo "fuzz: $$f, $(FUZZ_RUNS) runs"; \
	  $$f -runs=$(FUZZ_RUNS) -seed=1 -max_len=65536 -artifact_prefix=build/corpus/ \
	    build/corpus/$$(basename $$f) 2>&1 | tail -n 2 || exit 1; \
	done

fuzz: setup $(FUZZ_TARGETS)
	@for f in $(FUZZ_TARGETS); do \
	  mkdir -p build/corpus/$$(basename $$f); \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=build/corpus/ \
	    build/corpus/$$(basename $$f) || exit 1; \
	done

test-node: build
	node --test tests/node/

# The committed mirror of src/core/proto.h must be what the generator makes of it, before
# any build could rewrite it: a header changed without its mirror fails here.
check-proto: $(SQLITE_C)
	node scripts/gen-proto.mjs --check --sqlite $(SQLITE_DIR)/sqlite3.h --js $(PROTO_JS)

# The JavaScript linter (eslint.config.js): names used but never defined, or defined and
# never used, code that cannot run.
lint: setup
	node_modules/.bin/eslint .

# Browser tests: headless Debian chromium and firefox-esr through puppeteer-core.
# Every browser test runs in each browser of the matrix (driver.mjs launches the one
# SQLW_BROWSER names), the browsers side by side; SQLW_BROWSER=chromium (or firefox)
# make test-browser runs one.
BROWSERS := $(or $(SQLW_BROWSER),chromium firefox)
test-browser: build
	node scripts/test-browsers.mjs $(BROWSERS)

# The WebKit leg: WebKitGTK's MiniBrowser under Xvfb over classic WebDriver (no OPFS sync
# handles on Linux: the API in memory, the fallback, the one-file build, the demo).
test-webkit: build
	node --test tests/webkit/

# The protocol simulator at full speed (gcc -O2, no sanitizers; the sanitizer build runs
# fewer seeds in test-native): 10,000 seeded runs and 10 systematic leader-crash sweeps.
build/native/coord-sim: tests/native/test_coord_sim.c tests/native/harness.c tests/native/support.c \
  tests/native/wire.c $(wildcard tests/native/*.h) build/native/libsqlw.a
	gcc -O2 $(INCLUDES) -Itests/native $(WARN) $(filter %.c,$^) build/native/libsqlw.a -lm -o $@

test-sim: setup build/native/coord-sim
	@d=$$(mktemp -d) && cd $$d && SQLW_SIM_RUNS=10000 SQLW_SIM_SWEEPS=10 \
	  $(CURDIR)/build/native/coord-sim; rc=$$?; rm -rf $$d; exit $$rc

# SQLite's sqllogictest corpus, read in place from ../shared/slt beside the repository
# (or $SQLW_SLT_DIR), through the Node build and the public API in Chromium on OPFS.
# Fails on any failed record, and when the corpus is missing.
conformance: build
	node tests/slt/run.mjs --node --browser

# make test runs the corpus through the Node build (~20 s) here, and through the API in
# each browser in test-browser (~55 s each); without the corpus it says so loudly and
# goes on.
test-conformance: build
	node tests/slt/run.mjs --node --if-present

# ---- demo ---------------------------------------------------------------------------
# The interactive demo (demo/) and dist/, served by scripts/serve.mjs until Ctrl+C.
demo: build
	node scripts/serve.mjs

# ---- bench and size -----------------------------------------------------------------
build/native/bench-native: bench/bench_native.c bench/bench_util.h build/native/libsqlw.a
	gcc -O2 $(INCLUDES) $(WARN) $< build/native/libsqlw.a -lm -o $@

# The plain-SQLite reference: SQLite's API only, the same SQLite objects, the core's host VFS.
build/native/bench-plain: bench/bench_plain.c bench/bench_util.h build/native/libsqlw.a
	gcc -O2 $(INCLUDES) $(WARN) $< build/native/libsqlw.a -lm -o $@

# The same plain loop in wasm (its memdb workloads as exports; bench/plain-wasm.js runs
# it): the same SQLite objects and flags as the shipped module, the core's VFS objects.
build/wasm/bench_plain.o: bench/bench_plain.c bench/bench_util.h $(CORE_HDR) build/wasm.flags
	$(WASM_CC) $(WASM_CFLAGS) $(WARN) -c $< -o $@

BENCH_PLAIN_WASM_OBJ := build/wasm/bench_plain.o build/wasm/sqlite3.o build/wasm/os.o \
  build/wasm/vfs_host.o build/wasm/vfs_common.o build/wasm/memfile.o build/wasm/stackguard.o
build/wasm/bench-plain.wasm: $(BENCH_PLAIN_WASM_OBJ)
	wasm-ld $(WASM_LDFLAGS) $(WASI_LIB)/crt1-reactor.o $^ -L$(WASI_LIB) -lc $(WASM_RT) -o $@.raw
	wasm-opt $(WASM_OPT_FLAGS) $@.raw -o $@

bench: build build/native/bench-native build/native/bench-plain build/wasm/bench-plain.wasm
	node bench/run.js

# Raw, gzip -9 and brotli sizes (node:zlib), and what a page downloads against the aim.
size: build
	@node scripts/size.mjs dist/sqlite-worker.wasm dist/sqlite-worker-fts5.wasm $(DIST_BUNDLES) $(DIST_JS)

clean:
	rm -rf build dist
