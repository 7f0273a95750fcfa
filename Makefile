# pg_adoption: PGXS build.  The version comes from the control file alone.
EXTENSION = pg_adoption
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = $(EXTENSION)
# The feedback categorizer (tokenizer, matcher, lexicon) is plain C in src/textcat/,
# which test/textcat also builds outside the server.
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c src/textcat/*.c))
PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/textcat
# make ASSERTS=1: the extension's Assert()s and invariant checks on, at the usual -O2
# (docs/reliability.md runs the stress driver on such a build).
ifdef ASSERTS
PG_CPPFLAGS += -DUSE_ASSERT_CHECKING
endif

# The install script is assembled from one SQL file per concern, in this order.
SQL_SOURCES = \
	src/sql/schema.sql \
	src/sql/inputs.sql \
	src/sql/events.sql \
	src/sql/state.sql \
	src/sql/actions.sql \
	src/sql/rebuild.sql \
	src/sql/views.sql \
	src/sql/health.sql \
	src/sql/plays.sql \
	src/sql/feedback.sql \
	src/sql/profiles.sql \
	src/sql/messaging.sql \
	src/sql/analytics.sql \
	src/sql/launches.sql \
	src/sql/bi.sql \
	src/sql/api.sql \
	src/sql/recommend.sql \
	src/sql/effectiveness.sql \
	src/sql/revenue.sql \
	src/sql/governance.sql \
	src/sql/citus.sql \
	src/sql/security.sql

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# Frozen install scripts of released versions and the upgrade scripts between them.
DATA = $(wildcard src/upgrade/$(EXTENSION)--*.sql)

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=plpgsql

ISOLATION = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso --load-extension=pg_adoption

EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql results regression.diffs regression.out output_iso

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PostgreSQL 15 or later (pg_prng, MarkGUCPrefixReserved, security_invoker views).
ifneq ($(MAJORVERSION),)
ifeq ($(shell test $(firstword $(subst ., ,$(MAJORVERSION))) -ge 15 && echo ok),)
$(error pg_adoption needs PostgreSQL 15 or later; $(PG_CONFIG) is PostgreSQL $(MAJORVERSION))
endif
endif

# PGXS tracks no header dependencies: every object is rebuilt when a header changes.
$(OBJS): $(wildcard src/*.h src/textcat/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control Makefile
	cat $(SQL_SOURCES) > $@

.PHONY: dist
# The PGXN distribution: dist/pg_adoption-<version>.zip of the committed tree
# (git archive of DIST_REF, default HEAD), every file under pg_adoption-<version>/.
DIST_REF ?= HEAD
dist:
	mkdir -p dist
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o dist/$(EXTENSION)-$(EXTVERSION).zip $(DIST_REF)

.PHONY: prove
# pgTAP suites (needs a running server with pgTAP installed; PG* variables pick it).
prove:
	pg_prove --ext .sql -r test/pgtap

.PHONY: fuzz
# Bad-input fuzz run, 100,000 calls (needs a running server; PG* variables pick it;
# FUZZ_SEED, FUZZ_CALLS change the run).
fuzz:
	bash test/fuzz/sql_fuzz.sh

.PHONY: reliability
# Stress and crash drivers, full versions (docs/reliability.md).  The
# stress run uses the server the PG* variables pick (a superuser) for
# DURATION seconds (default 120); the crash run starts a private cluster on
# CRASH_PORT (default 54340) and stops it CYCLES times (default 5), so it
# needs root.  Both run; the target fails if either did.  WRITERS (8),
# WORKERS (3), TENANTS (4), USERS (2000) shape the load of both;
# RELIABILITY_KEEP=1 keeps databases and client logs.
DURATION ?= 120
CYCLES ?= 5
reliability:
	DURATION=$(DURATION) bash test/reliability/stress.sh; s=$$?; \
	CYCLES=$(CYCLES) bash test/reliability/crash.sh && exit $$s

.PHONY: fuzz-c
# libFuzzer runs of the pure-C parts, built outside the server with clang: the feedback
# tokenizer and matcher (src/textcat, built by test/textcat), the velocity and health math (test/fuzz/c);
# FUZZ_SECONDS per target (default 60).
fuzz-c:
	$(MAKE) -C test/textcat fuzz
	$(MAKE) -C test/fuzz/c fuzz PG_CONFIG=$(PG_CONFIG)

.PHONY: valgrind
# The regression suite and isolation specs with the server under valgrind memcheck, in a
# private installation and cluster (port 54345; run as root); fails on an error record
# with a frame in the extension.
valgrind:
	bash test/memcheck/valgrind.sh
