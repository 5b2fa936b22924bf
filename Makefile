# bqsync: a toolkit of small programs over one static library.
#
#   make                      build lib/libbqsync.a and every tool
#   make check                unit (Check) and end-to-end tests
#   make DEVELOPER=1          warnings are errors
#   make SANITIZE=address,undefined check
#   make install PREFIX=/usr/local
#   make lint | check-headers | style | bench

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man

TOOLS = bq-pull bq-partition harper-load bq-checkpoint maritime-synth bq-emulator

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -DBQSYNC_VERSION='"$(VERSION)"' -Ilib \
	  -Wall -Wextra
CPPFLAGS_CHECK := $(shell pkg-config --cflags check 2>/dev/null)
LDLIBS = -lcurl -lcjson -lyaml -lssl -lcrypto -lmicrohttpd -lsqlite3 -lm -lpthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

ifdef DEVELOPER
CFLAGS += -Werror -Wpedantic -Wstrict-prototypes -Wmissing-prototypes \
	  -Wshadow -Wformat=2 -Wvla -Wwrite-strings -Wno-format-nonliteral
endif
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:.c=.o)
LIB_HDR := $(sort $(wildcard lib/*.h))
CHECK_SRC := $(sort $(wildcard tests/check_*.c))
CHECKS := $(CHECK_SRC:.c=)
BINS := $(TOOLS:%=bin/%)
MANS := $(TOOLS:%=man/%.1)
MAN5 = man/bqsync-config.5
MAN7 = man/bqsync.7

all: $(BINS)

lib/libbqsync.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(BINS): bin/%: bin/%.o lib/libbqsync.a
	$(CC) $(LDFLAGS) -o $@ $< lib/libbqsync.a $(LDLIBS)

$(CHECKS): tests/check_%: tests/check_%.c lib/libbqsync.a
	$(CC) $(CFLAGS) $(CPPFLAGS_CHECK) $(LDFLAGS) -o $@ $< lib/libbqsync.a $(CHECK_LIBS) $(LDLIBS)

%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(LIB_SRC:.c=.d) $(TOOLS:%=bin/%.d)

# Tests need a real Harper: tests/run-tests.sh uses $$HARPER_URL when it
# answers, else starts one (scripts/harper.sh) and stops it afterwards.
check: $(BINS) $(CHECKS)
	tests/run-tests.sh

check-unit: $(CHECKS)
	tests/run-tests.sh --unit

check-e2e: $(BINS)
	tests/run-tests.sh --e2e $(E2E)

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
	@for h in $(LIB_HDR); do \
		echo "#include \"$$h\"" | $(CC) $(CFLAGS) -fsyntax-only -x c - || exit 1; \
	done; echo "headers compile on their own"

style:
	@for f in $(LIB_SRC) $(LIB_HDR) bin/*.c; do \
		clang-format --style=file $$f | diff -u $$f - ; \
	done; true

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7

clean:
	rm -f lib/*.o lib/*.d lib/libbqsync.a bin/*.o bin/*.d $(BINS) $(CHECKS) $(FUZZERS)
	rm -rf tests/tmp

.PHONY: all check check-unit check-e2e bench fuzz lint check-headers style install clean
