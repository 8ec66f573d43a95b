# Programming Labs: one non-recursive Makefile.
#   make            build everything into build/
#   make test       install deps, run the suite, then again under ASan+UBSan and TSan
#   make bench      run every benchmark, JSON lines into build/bench/
#   make demo       the main job on a default input
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
#   make grade LAB=sketches IMPL=dir     the lab's tests against a learner's code
#   make lab-start LAB=sketches DIR=dir  a fresh workspace for a lab

BUILD   ?= build
CC      ?= cc
CFLAGS  ?= -O2 -g
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= 20000

WARN = -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wvla \
       -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual \
       -Wformat=2 -Wundef -Wdouble-promotion
ifdef WERROR
WARN += -Werror
endif

PKGS      = libxxhash cmocka opus speexdsp libzstd libsodium alsa fftw3
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
# Debian's libsonic-dev ships no pkg-config file: its header is in /usr/include.
SONIC_LIBS ?= -lsonic
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) $(SONIC_LIBS) -lm -lpthread

VX_CFLAGS = -std=c11 -D_GNU_SOURCE -MMD -MP -I. $(WARN) $(CFLAGS) $(PKG_CFLAGS)
VX_LDFLAGS = $(LDFLAGS)
ifdef SANITIZE
VX_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
VX_LDFLAGS += -fsanitize=$(SANITIZE)
endif

.DEFAULT_GOAL := all

# --- libraries: one per module directory --------------------------------------
# In grade mode the lab's modules come from the learner's directory instead.
LAB_DIR := $(if $(LAB),$(wildcard labs/*-$(LAB)))
ifneq ($(LAB_DIR),)
include $(LAB_DIR)/lab.mk
endif
LAB_SRC = $(if $(IMPL),$(LAB_MODULES:%=%.c))

ALG_SRC  = $(filter-out $(LAB_SRC),$(wildcard algorithms/*.c))
AUDIO_SRC = $(filter-out $(LAB_SRC),$(wildcard audio/*.c))
TRANSPORT_SRC = $(filter-out $(LAB_SRC),$(wildcard transport/*.c))
PIPE_SRC = $(filter-out pipeline/vox.c $(LAB_SRC),$(wildcard pipeline/*.c))
BENCH_SRC = bench/harness.c bench/workload.c

# A learner's modules go into the last library, so every other one can use them.
ALG_OBJ  = $(ALG_SRC:%.c=$(BUILD)/%.o)
ifdef IMPL
ALG_OBJ += $(addprefix $(BUILD)/impl/,$(notdir $(LAB_MODULES:%=%.o)))
endif

LIBS = $(BUILD)/libpipeline.a $(BUILD)/libbench.a $(BUILD)/libtransport.a $(BUILD)/libaudio.a \
       $(BUILD)/libalgorithms.a

$(BUILD)/libalgorithms.a: $(ALG_OBJ)
$(BUILD)/libaudio.a: $(AUDIO_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/libtransport.a: $(TRANSPORT_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/libpipeline.a: $(PIPE_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/libbench.a: $(BENCH_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/lib%.a:
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(VX_CFLAGS) -c -o $@ $<

# A learner's stubs start with unused parameters: not worth a warning there.
$(BUILD)/impl/%.o: $(IMPL)/%.c
	@mkdir -p $(@D)
	$(CC) $(VX_CFLAGS) -Wno-unused-parameter -c -o $@ $<

# --- programs -------------------------------------------------------------------
TESTS   = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c)) \
          $(wildcard tests/cli/*.sh)
# Programs the integration scripts drive (tests/*.c that are not cmocka tests).
TEST_PROGS = $(patsubst tests/%.c,$(BUILD)/tests/%,$(filter-out tests/test_%.c,$(wildcard tests/*.c)))
BENCHES = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/bench_*.c))
FUZZERS = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
VOX     = $(BUILD)/vox

$(VOX): $(BUILD)/pipeline/vox.o $(LIBS)
	$(CC) $(VX_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBS)
	$(CC) $(VX_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# These tests count the allocations of their modules' real-time calls (see each
# test's header comment): the linker routes our objects' calls through wrappers.
WRAP_ALLOC = -Wl,--wrap=malloc,--wrap=free,--wrap=calloc,--wrap=realloc
$(addprefix $(BUILD)/tests/,test_wav test_noise test_udp test_impair test_session test_jitter test_voice): \
	VX_LDFLAGS += $(WRAP_ALLOC)
# The wrap sees only what is linked statically: test_jitter takes libsonic's archive,
# so that the time-stretcher's own calloc/realloc are counted too.
$(BUILD)/tests/test_jitter: SONIC_LIBS = -l:libsonic.a

# The Noise test-vector runner: jansson for this program only. tests/cli/noise-vectors.sh
# runs it over NOISE_VECTORS (shared/ lies beside the repository).
NOISE_VECTORS ?= ../shared/vectors/noise/noise-25519-chachapoly-blake2b.json
export NOISE_VECTORS
$(BUILD)/tests/noise_vectors.o: VX_CFLAGS += $(shell pkg-config --cflags jansson)
$(BUILD)/tests/noise_vectors: PKG_LIBS += $(shell pkg-config --libs jansson)

$(BUILD)/bench/bench_%.o: VX_CFLAGS += -DNDEBUG
$(BUILD)/bench/bench_ring.o: VX_CFLAGS += $(shell pkg-config --cflags ck jack)
$(BUILD)/bench/bench_ring: PKG_LIBS += $(shell pkg-config --libs ck jack)
# test_rt counts these calls from the real-time loop: see the top of tests/test_rt.c.
$(BUILD)/tests/test_rt: VX_LDFLAGS += $(WRAP_ALLOC),--wrap=pthread_mutex_lock
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBS)
	$(CC) $(VX_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Fuzz targets build with clang's libFuzzer, ASan and UBSan; the library code they
# reach is built the same way (into its own objects) so the sanitizers cover it too.
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -I. -g -O1 $(PKG_CFLAGS) \
             -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_SRC = $(wildcard algorithms/*.c) $(AUDIO_SRC) $(TRANSPORT_SRC) pipeline/jitter.c
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(BUILD)/fuzz/libfuzzlibs.a: $(FUZZ_LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libfuzzlibs.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

all: $(VOX) $(filter $(BUILD)/%,$(TESTS)) $(TEST_PROGS) $(BENCHES)

# --- running ----------------------------------------------------------------------
# Tests that run threads; they run a third time under ThreadSanitizer.
TSAN_TESTS ?= test_ring test_rt
TSAN_SCRIPTS ?= tests/cli/replay-rt.sh

deps:
	@scripts/install-deps.sh

check: $(VOX) $(filter $(BUILD)/%,$(TESTS)) $(TEST_PROGS)
	@tests/run.sh $(BUILD) $(TESTS)

fuzz-smoke: $(FUZZERS)
	@tests/fuzz/run.sh runs $(FUZZ_RUNS) $(FUZZERS)

test: deps
	@$(MAKE) --no-print-directory all check fuzz-smoke lab-check
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory tsan

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=address,undefined check

tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan SANITIZE=thread \
		TESTS="$(TSAN_TESTS:%=build/tsan/tests/%) $(TSAN_SCRIPTS)" check

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZERS)
	@tests/fuzz/run.sh seconds $(FUZZ_SECONDS) $(FUZZERS)

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory $(VOX)
	@scripts/demo.sh $(BUILD)

grade: deps
	@test -n "$(LAB_DIR)" || { echo "grade: no lab '$(LAB)' in labs/" >&2; exit 2; }
	@test -d "$(IMPL)" || { echo "grade: IMPL=$(IMPL) is not a directory" >&2; exit 2; }
	@rm -rf build/grade-$(LAB)/impl # its dependency files name the last IMPL
	@$(MAKE) --no-print-directory BUILD=build/grade-$(LAB) IMPL=$(abspath $(IMPL)) LAB=$(LAB) \
		TESTS="$(LAB_TESTS:%=build/grade-$(LAB)/tests/%)" check

# The lab tooling itself, once (it builds the graders in their own tree).
lab-check:
	@tests/run.sh $(BUILD) tests/lab.sh

lab-start:
	@test -n "$(LAB_DIR)" || { echo "lab-start: no lab '$(LAB)' in labs/" >&2; exit 2; }
	@scripts/lab-start.sh $(LAB) "$(DIR)" $(LAB_MODULES)

clean:
	rm -rf $(BUILD)

.PHONY: all deps check fuzz-smoke test asan tsan fuzz bench demo grade lab-check lab-start clean
.SECONDARY:
.DELETE_ON_ERROR:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
