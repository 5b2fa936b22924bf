# bqsync: a toolkit of small programs over one static library.
#
#   make                      build lib/libbqsync.a, lib/emu/libbqemu.a and every tool
#   make check                unit (Check) and end-to-end tests
#   make soak                 make check-e2e plus the tests marked "# long"
#   make DEVELOPER=1          warnings are errors
#   make SANITIZE=address,undefined check
#   make install PREFIX=/usr/local
#   make lint | check-headers | style | bench

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
SHAREDIR = $(PREFIX)/share/bqsync
EXAMPLES = examples/crontab examples/bq-sync.service examples/sync-cycle.sh \
	   examples/follow.sh

TOOLS = bq-pull bq-partition harper-load bq-checkpoint bq-verify maritime-synth \
	bq-emulator bq-sync

CC ?= cc
# CFLAGS and LDFLAGS are the user's (make CFLAGS=-O0 adds to, never
# replaces, what the build needs); the build's own go in BASIC_*.
CFLAGS ?= -O2 -g
BASIC_CFLAGS = -std=c11 -D_GNU_SOURCE -DBQSYNC_VERSION='"$(VERSION)"' -Ilib \
	  -Wall -Wextra
CPPFLAGS_CHECK := $(shell pkg-config --cflags check 2>/dev/null)
LDLIBS = -lcurl -lcjson -lyaml -lssl -lcrypto -lm -lpthread
# Only the emulator (lib/emu/, bin/bq-emulator) and the suites that run an
# HTTP server need these.
MHD_LIBS = -lmicrohttpd
EMU_LIBS = -lmicrohttpd -lsqlite3
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

ifdef DEVELOPER
BASIC_CFLAGS += -Werror -Wpedantic -Wstrict-prototypes -Wmissing-prototypes \
	  -Wshadow -Wformat=2 -Wvla -Wwrite-strings -Wno-format-nonliteral
endif
ifdef SANITIZE
BASIC_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BASIC_LDFLAGS += -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS = $(BASIC_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(BASIC_LDFLAGS) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:.c=.o)
LIB_HDR := $(sort $(wildcard lib/*.h))
EMU_SRC := $(sort $(wildcard lib/emu/*.c))
EMU_OBJ := $(EMU_SRC:.c=.o)
EMU_HDR := $(sort $(wildcard lib/emu/*.h))
CHECK_SRC := $(sort $(wildcard tests/check_*.c))
CHECKS := $(CHECK_SRC:.c=)
EMU_CHECKS = tests/check_emu tests/check_emusql
# Suites that talk to the scripted HTTP server (tests/testlib_server.c).
MHD_CHECKS = tests/check_auth tests/check_bq tests/check_http
# Suites that link tests/testlib.o: those with Harper tests (to probe for
# one) and those that keep checkpoints in a file store of their own.
TESTLIB_CHECKS = tests/check_ckpt tests/check_ckptcmd tests/check_ckptcommit \
	tests/check_harper
LIB_CHECKS := $(filter-out $(EMU_CHECKS) $(MHD_CHECKS) $(TESTLIB_CHECKS),$(CHECKS))
BINS := $(TOOLS:%=bin/%)
LIB_BINS := $(filter-out bin/bq-emulator,$(BINS))
MANS := $(TOOLS:%=man/%.1)
MAN5 = man/bqsync-config.5
MAN7 = man/bqsync.7

all: $(BINS)

lib/libbqsync.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

lib/emu/libbqemu.a: $(EMU_OBJ)
	rm -f $@
	$(AR) rcs $@ $(EMU_OBJ)

$(LIB_BINS): bin/%: bin/%.o lib/libbqsync.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< lib/libbqsync.a $(LDLIBS)

bin/bq-emulator: bin/bq-emulator.o lib/emu/libbqemu.a lib/libbqsync.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< lib/emu/libbqemu.a lib/libbqsync.a \
	    $(EMU_LIBS) $(LDLIBS)

$(LIB_CHECKS): tests/check_%: tests/check_%.c lib/libbqsync.a
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS_CHECK) $(ALL_LDFLAGS) -o $@ $< lib/libbqsync.a $(CHECK_LIBS) $(LDLIBS)

$(TESTLIB_CHECKS): tests/check_%: tests/check_%.c tests/testlib.o lib/libbqsync.a
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS_CHECK) $(ALL_LDFLAGS) -o $@ $< tests/testlib.o \
	    lib/libbqsync.a $(CHECK_LIBS) $(LDLIBS)

$(MHD_CHECKS): tests/check_%: tests/check_%.c tests/testlib_server.o lib/libbqsync.a
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS_CHECK) $(ALL_LDFLAGS) -o $@ $< \
	    tests/testlib_server.o lib/libbqsync.a $(CHECK_LIBS) $(MHD_LIBS) $(LDLIBS)

$(EMU_CHECKS): tests/check_%: tests/check_%.c lib/emu/libbqemu.a lib/libbqsync.a
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS_CHECK) $(ALL_LDFLAGS) -o $@ $< lib/emu/libbqemu.a \
	    lib/libbqsync.a $(CHECK_LIBS) $(EMU_LIBS) $(LDLIBS)

%.o: %.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(LIB_SRC:.c=.d) $(EMU_SRC:.c=.d) $(TOOLS:%=bin/%.d) tests/testlib.d \
	tests/testlib_server.d

# The e2e tier needs a real Harper: tests/run-tests.sh uses $$HARPER_URL when
# it answers, else starts one (scripts/harper.sh) and stops it afterwards;
# then the suites' Harper tests run against it too.  check-unit starts none:
# the Harper tests skip unless $$HARPER_URL answers.
check: $(BINS) $(CHECKS)
	tests/run-tests.sh

check-unit: $(CHECKS)
	tests/run-tests.sh --unit

check-e2e: $(BINS)
	tests/run-tests.sh --e2e $(E2E)

soak: $(BINS)
	tests/run-tests.sh --long

bench: $(BINS)
	scripts/bench.sh $(BENCH)

# libFuzzer targets (clang): run e.g. tests/fuzz_ndjson -max_total_time=60
FUZZERS = tests/fuzz_ndjson tests/fuzz_config tests/fuzz_confnum tests/fuzz_ts \
	  tests/fuzz_row tests/fuzz_bqrow tests/fuzz_ack
fuzz: $(FUZZERS)
$(FUZZERS): tests/fuzz_%: tests/fuzz_%.c $(LIB_SRC) $(LIB_HDR)
	clang -std=c11 -D_GNU_SOURCE -DBQSYNC_VERSION='"$(VERSION)"' -Ilib -g -O1 \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LDLIBS)

lint:
	mandoc -Tlint -Wwarning $(MANS) $(MAN5) $(MAN7)
	scripts/check-options.sh

check-headers:
	@for h in $(LIB_HDR) $(EMU_HDR); do \
		printf '#include "%s"\ntypedef int check_headers_tu;\n' "$$h" | \
		    $(CC) $(ALL_CFLAGS) -fsyntax-only -x c - || exit 1; \
	done; echo "headers compile on their own"
	@for inc in '<syslog.h>\n#include "log.h"' '"log.h"\n#include <syslog.h>'; do \
		printf "#include $$inc\ntypedef int check_headers_tu;\n" | \
		    $(CC) $(ALL_CFLAGS) -fsyntax-only -x c - || exit 1; \
	done; echo "log.h and <syslog.h> compile together"

style:
	@for f in $(LIB_SRC) $(LIB_HDR) $(EMU_SRC) $(EMU_HDR) bin/*.c; do \
		clang-format --style=file $$f | diff -u $$f - ; \
	done; true

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7
	install -d $(DESTDIR)$(SHAREDIR)/examples
	install -m 644 $(EXAMPLES) $(DESTDIR)$(SHAREDIR)/examples
	chmod 755 $(DESTDIR)$(SHAREDIR)/examples/*.sh

clean:
	rm -f lib/*.o lib/*.d lib/libbqsync.a lib/emu/*.o lib/emu/*.d lib/emu/libbqemu.a bin/*.o bin/*.d tests/*.o tests/*.d \
	    $(BINS) $(CHECKS) $(FUZZERS)
	rm -rf tests/tmp

.PHONY: all check check-unit check-e2e soak bench fuzz lint check-headers style install clean
