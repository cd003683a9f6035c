# Tickwire: `make demo` and `make test` work on a fresh Debian 12 machine as root; both install
# the system packages they need when missing.
SHELL := /bin/bash
SWIFT ?= swift
DEB_PACKAGES := libdpdk-dev libnuma-dev libpcap-dev zlib1g-dev pkg-config tshark tcpdump gnuplot-nox iproute2 python3 ethtool nftables iputils-ping strace
RELEASE_BIN := .build/release/tickwire

.PHONY: all deps build release pgo-profile pgo-check test demo validate models research research-venv research-test compare-hftbacktest bench fuzz soak clean

all: build

# Installs whatever of DEB_PACKAGES is missing (apt-get needs root; say so clearly otherwise).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing missing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make: need root to install:$$missing (run as root or install them)"; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "make: swift not found: install Swift 6.1 or later (swift.org) and put it on PATH"; exit 1; }

build: deps
	$(SWIFT) build

# The release build is profile-guided (README "Profile-guided build"): pgo/tickwire.proftext, the
# counts of tools/pgo-train.sh's training runs (`make pgo-profile` remakes it), turned into the
# toolchain's indexed form under .build/pgo, named by its content so that a new profile is a new
# flag and SwiftPM recompiles; -disable-incremental-llvm-codegen because the frontend otherwise
# keeps an object whose IR is unchanged, and the IR does not include the profile. A function whose
# control flow changed since the profile was made is compiled without its counts, silently:
# `make pgo-check` (part of `make test`) says how much of the profile still fits. Without the
# toolchain's llvm-profdata the build is the plain one, and says so. File-local functions are
# named in the profile by their object's file name, not its path
# (-static-func-full-module-prefix=false, as in the training build), so any clone's build finds them.
LLVM_PROFDATA := $(shell d=$$(dirname "$$(readlink -f "$$(command -v $(SWIFT))")" 2>/dev/null) && [ -x "$$d/llvm-profdata" ] && echo "$$d/llvm-profdata")
PGO_TEXT := pgo/tickwire.proftext
PGO_HASH := $(shell sha1sum $(PGO_TEXT) 2>/dev/null | cut -c1-12)
PGO_DATA := .build/pgo/tickwire-$(PGO_HASH).profdata
PGO_FLAGS := $(if $(and $(LLVM_PROFDATA),$(PGO_HASH)),-Xswiftc -Xfrontend -Xswiftc -ir-profile-use=$(CURDIR)/$(PGO_DATA) -Xswiftc -Xfrontend -Xswiftc -disable-incremental-llvm-codegen -Xswiftc -Xllvm -Xswiftc -static-func-full-module-prefix=false)

$(PGO_DATA): $(PGO_TEXT)
	@mkdir -p $(dir $@)
	$(LLVM_PROFDATA) merge -o $@ $<

release: deps $(if $(PGO_FLAGS),$(PGO_DATA))
	@[ -n "$(PGO_FLAGS)" ] || echo "make: no llvm-profdata next to $(SWIFT), or no $(PGO_TEXT): the release build is not profile-guided"
	$(SWIFT) build -c release $(PGO_FLAGS)

# Remakes pgo/tickwire.proftext from the training runs (tools/pgo-train.sh; the demo among them
# needs root). Commit the new profile with the change that prompted it.
pgo-profile: deps
	SWIFT=$(SWIFT) tools/pgo-train.sh

# How much of the committed profile still fits the code (tools/pgo-check.py): the profile must
# read back, and at least 90% of its counts must belong to functions whose control flow is
# unchanged; else remake it (`make pgo-profile`). An instrumented build of tickwire (.build-pgogen).
pgo-check: deps $(if $(PGO_FLAGS),$(PGO_DATA))
	@[ -n "$(PGO_FLAGS)" ] || { echo "make: no llvm-profdata next to $(SWIFT), or no $(PGO_TEXT): nothing to check"; exit 1; }
	SWIFT=$(SWIFT) tools/pgo-train.sh --hashes .build/pgo/current.proftext
	python3 tools/pgo-check.py $(PGO_TEXT) .build/pgo/current.proftext

# The test suite (Swift Testing), the research pipeline on local Ray (research/tests), the
# allocation benchmark's thresholds, then how much of the release build's profile still fits.
test: deps
	@! grep -rn '@_specialize' Sources || { echo "@_specialize keeps a function from cross-module specialization (Package.swift)"; exit 1; }
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory research-test
	$(MAKE) bench-check
	$(MAKE) --no-print-directory pgo-check

# The appliance against the embedded venue simulator, twice with the same seed (about 20 s
# each): the venue in its own network namespace on the kernel's UDP and TCP; the appliance on
# the near end of a veth through DPDK af_packet, orders first over the kernel's TCP, then over
# Tickwire's own TCP with the kernel bypassed both ways; a tcpdump tap on the venue's end.
# Prints the report (ticks, orders, fills, PnL, risk, per-stage latency, Tickwire's TCP) and
# wire to wire of both transports with their ratio; writes everything under out/demo (JSON,
# CSV, PNG, the captures). Loopback sockets without root.
demo: release
	$(RELEASE_BIN) demo --compare-transports --out out/demo

# Backtest vs paper vs replay on one seeded simulator day (root: the paper run is the demo's):
# the market maker at the demo's settings against the venue with the flow's reaction to our
# orders off (and the paper run twice: the floor under any agreement), then on; fills, filled
# shares, PnL and order-by-order agreement side by side, under out/validate/{off,on}.
validate: release
	$(RELEASE_BIN) validate --reaction off --paper-twice --out out/validate/off
	$(RELEASE_BIN) validate --reaction on --out out/validate/on

# The research virtual environment (research/requirements.txt, PyPI), made or brought up to date
# when the requirements change. No pip cache: CI machines' disks can be nearly full, and the
# wheels would be kept twice. (research/requirements-runtimes.txt adds the model runtime
# comparison's frameworks; not needed here.)
VENV := .venv-research
research-venv:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="python3 python3-venv"
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@[ $(VENV)/.installed -nt research/requirements.txt ] || { echo "make: installing research/requirements.txt into $(VENV)"; \
	  $(VENV)/bin/pip install -q --no-cache-dir -r research/requirements.txt && touch $(VENV)/.installed; }

# The research pipeline end to end on local Ray with 2 workers (and 1, for the determinism check),
# small days, the debug binary of `make test`'s build.
research-test: research-venv
	TICKWIRE=$(CURDIR)/.build/debug/tickwire $(VENV)/bin/python -B research/tests/test_research.py

# Tickwire's backtester side by side with hftbacktest (research/hftbacktest/compare.py, README
# "Backtests and transaction cost analysis"): a simulated day of COMPARE_MESSAGES messages, its
# stock 1 through both with one fixed-offset market maker; one JSON line. hftbacktest's numba pins
# numpy and llvmlite below the research venv's, so it has a venv of its own.
COMPARE_MESSAGES ?= 5000000
HFT_VENV := .venv-hft
compare-hftbacktest: release
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="python3 python3-venv"
	@[ -x $(HFT_VENV)/bin/python ] || python3 -m venv $(HFT_VENV)
	@[ $(HFT_VENV)/.installed -nt research/hftbacktest/requirements.txt ] || { echo "make: installing research/hftbacktest/requirements.txt into $(HFT_VENV)"; \
	  $(HFT_VENV)/bin/pip install -q --no-cache-dir -r research/hftbacktest/requirements.txt && touch $(HFT_VENV)/.installed; }
	@mkdir -p out/compare
	@[ -s out/compare/day.itch ] || $(RELEASE_BIN) gen itch --messages $(COMPARE_MESSAGES) --rate 50000 --out out/compare/day.itch
	$(HFT_VENV)/bin/python research/hftbacktest/compare.py out/compare/day.itch --locate 1 --offset 1 --tickwire $(RELEASE_BIN)

# Research at scale (research/tickwire_research, README "Research at scale"): 3 simulated days and
# the real NASDAQ snippet into the catalogue (datasets/), the five models trained from it
# (out/research/models), the report (out/research); ends with one JSON line: catalogue, days,
# tables, workers. RESEARCH_WORKERS local Ray workers; RAY_ADDRESS for a cluster.
RESEARCH_WORKERS ?= 2
RESEARCH_MESSAGES ?= 2000000
RESEARCH := cd research && ../$(VENV)/bin/python -m tickwire_research --tickwire ../$(RELEASE_BIN) --workers $(RESEARCH_WORKERS) $(if $(RAY_ADDRESS),--address $(RAY_ADDRESS))
research: release research-venv
	$(RESEARCH) simulate --days 3 --messages $(RESEARCH_MESSAGES) > /dev/null
	$(RESEARCH) --venue nasdaq ingest --input ../../shared/data/itch/12302019_SNIPPET.NASDAQ_ITCH50 --day 2019-12-30 > /dev/null
	$(RESEARCH) train --days seed-0001,seed-0002 --heldout seed-0003 --out ../out/research/models > /dev/null
	$(RESEARCH) report --out ../out/research > /dev/null
	@$(RESEARCH) --json summary

# The five microstructure models end to end, through the research pipeline: two training days
# (seeds 1 and 2, 6M messages each) and a held-out day (seed 99, 3M) simulated into the catalogue,
# LightGBM and scikit-learn fits on Ray from it, export to models/, the held-out day through the
# Swift runtime, and models/REPORT.md (research/train.py holds the model code;
# research/make_models.sh is the same without Ray or the catalogue).
models: release research-venv
	$(RESEARCH) simulate --days 2 --first-seed 1 --messages 6000000 > /dev/null
	$(RESEARCH) simulate --days 1 --first-seed 99 --messages 3000000 > /dev/null
	$(RESEARCH) train --days seed-0001,seed-0002 --heldout seed-0099 --out ../models

# package-benchmark suites (Benchmarks/ is its own package): full run with figures.
bench: deps
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark --no-progress

# The checked-in thresholds (allocations and retains of the hot loops) must hold, and no measured
# loop may look up generic metadata (a benchmark that does stops and says why in
# Benchmarks/.build/bench-check-failure.txt, printed here: the runner shows neither its output nor
# its fatal error); first the control, which allocates, retains and looks up on purpose, must be
# seen doing so (a build whose counters read 0 would pass every threshold without proving anything).
CONTROL_DIR := .build/bench-control
bench-check: deps
	@rm -rf $(CONTROL_DIR) Benchmarks/.build/bench-check-failure.txt && mkdir -p $(CONTROL_DIR)
	cd Benchmarks && $(SWIFT) package --disable-sandbox --allow-writing-to-directory ../$(CONTROL_DIR) benchmark \
	  --filter "Control.*" --format metricP90AbsoluteThresholds --path ../$(CONTROL_DIR) --no-progress \
	  || { cat .build/bench-check-failure.txt 2>/dev/null; exit 1; }
	@python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); ok=d.get("mallocCountTotal",0)>0 and d.get("retainCount",0)>0; \
	  print("bench-check: the control counts", d, "" if ok else "-- ZERO: the allocation and retain counters do not count"); sys.exit(0 if ok else 1)' \
	  $(CONTROL_DIR)/HotPath.Control_allocates_and_retains.p90.json
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark thresholds check --no-progress --skip "Control.*" \
	  || { cat .build/bench-check-failure.txt 2>/dev/null; exit 1; }

# The load campaign (tools/soak.py; not part of `make test`): the appliance against the venue
# simulator on loopback for SOAK_SECONDS: the highest feed rate with 0 gaps, tick to trade at
# 25/50/75/100% of it (out/soak/latency.png), A/B faults and microbursts with nothing lost and
# the book rebuilt exactly, the gateway killed with SIGKILL every 30 s and restarted from its
# journal with nothing duplicated or lost at the venue. Report in out/soak/report.{txt,json}.
SOAK_SECONDS ?= 600
soak: release
	python3 tools/soak.py --bin $(RELEASE_BIN) --seconds $(SOAK_SECONDS) --out out/soak

# libFuzzer over every decoder, FUZZ_SECONDS each (Fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz: deps
	$(SWIFT) build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address
	@for t in ITCH MoldUDP64 IEX Pcap SoupBinTCP OUCH Net Gateway Backtest; do mkdir -p .build/fuzz-corpus/$$t; \
	  case $$t in SoupBinTCP|OUCH|Gateway) Fuzz/.build/debug/Fuzz$$t --write-seeds .build/fuzz-corpus/$$t || exit 1;; esac; \
	  if [ -d Fuzz/Seeds/$$t ]; then cp Fuzz/Seeds/$$t/* .build/fuzz-corpus/$$t/; fi; \
	  Fuzz/.build/debug/Fuzz$$t .build/fuzz-corpus/$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 || exit 1; done

clean:
	rm -rf .build .build-pgogen Benchmarks/.build Fuzz/.build
