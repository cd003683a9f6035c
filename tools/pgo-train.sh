#!/usr/bin/env bash
# Profile-guided optimization: writes pgo/tickwire.proftext, the execution counts `make release`
# builds tickwire with (`make pgo-profile` runs this; README "Profile-guided build").
#
# 1. tickwire built with LLVM's IR-level instrumentation (the Swift frontend's
#    -ir-profile-generate; the SIL-level -profile-use asserts in Swift 6.3.1's cold-block
#    analysis) in a scratch build of its own (.build-pgogen).
# 2. The training runs, all deterministic but the demo: backtests of a simulated day that is not
#    the benchmark's (flow model, seed 2) with the market maker, the taker, the probabilistic
#    queue model and the fixed-offset maker; a deep book day; the NASDAQ snippet (replay and
#    backtest); the in-process tick-to-trade rig with both strategies; the book and gateway
#    benchmarks; and, as root, the demo (the appliance on DPDK af_packet against the simulator,
#    the kernel's TCP and Tickwire's own), so that the live path's branches are laid out by live
#    counts, not by a backtest's (PGO_DEMO=0 skips it).
# 3. The raw profiles merged, functions never run dropped (--sparse: a function with no counts
#    is compiled as without a profile, not as cold), written as text: reviewable, and the
#    indexed form (toolchain-specific) is made from it at build time. Two things make the text
#    portable: a file-local function's name carries its object's file name only, not the build
#    directory's path (-static-func-full-module-prefix=false, in `make release` too), and each
#    record's counters end with an explicit "$0" (no MC/DC bitmap bytes): LLVM's text reader
#    takes a line that starts with "$" after the counters for that count, and every Swift
#    symbol starts with "$s", so without it only the first record reads back.
# A profile goes stale function by function as the code changes: a function whose control flow
# changed is compiled without its counts, the rest keep theirs. The compiler does not say so;
# `pgo-train.sh --hashes FILE` writes the current code's function hashes (the instrumented build's
# profile of `tickwire --help`, every function in it) for tools/pgo-check.py (`make pgo-check`).
set -euo pipefail
hashes=
if [ "${1:-}" = --hashes ]; then
  hashes=${2:?usage: pgo-train.sh [--hashes FILE]}
  case $hashes in /*) ;; *) hashes=$PWD/$hashes ;; esac
fi
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
bindir=$(dirname "$(readlink -f "$(command -v "$SWIFT")")")
profdata=$bindir/llvm-profdata
runtime=$(ls "$bindir"/../lib/clang/*/lib/linux/libclang_rt.profile-x86_64.a 2>/dev/null | head -1)
[ -x "$profdata" ] || { echo "pgo-train: no llvm-profdata next to $SWIFT ($bindir)" >&2; exit 1; }
[ -n "$runtime" ] || { echo "pgo-train: no libclang_rt.profile in the Swift toolchain ($bindir/../lib/clang)" >&2; exit 1; }

scratch=.build-pgogen
work=$(mktemp -d /tmp/tickwire-pgo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/raw"

echo "pgo-train: instrumented build in $scratch"
# -disable-incremental-llvm-codegen: the frontend otherwise reuses an object whose IR is
# unchanged, and the IR does not include the instrumentation.
"$SWIFT" build -c release --product tickwire --scratch-path "$scratch" \
  -Xswiftc -Xfrontend -Xswiftc -ir-profile-generate=tickwire.profraw \
  -Xswiftc -Xfrontend -Xswiftc -disable-incremental-llvm-codegen \
  -Xswiftc -Xllvm -Xswiftc -static-func-full-module-prefix=false \
  -Xlinker "$runtime" -Xlinker -u__llvm_profile_runtime
bin=$scratch/release/tickwire
export LLVM_PROFILE_FILE="$work/raw/%p.profraw"
if [ -n "$hashes" ]; then
  "$bin" --help > /dev/null
  mkdir -p "$(dirname "$hashes")"
  "$profdata" merge --text -o "$hashes" "$work"/raw/*.profraw
  echo "pgo-train: the code's function hashes in $hashes"
  exit 0
fi

run() { echo "pgo-train: $*"; "$@" > "$work/last.out" 2>&1 || { cat "$work/last.out" >&2; exit 1; }; }

run "$bin" gen itch --messages 3000000 --seed 2 --out "$work/flow.itch"
run "$bin" gen itch --model simple --stocks 500 --live-orders 250000 --messages 2000000 --seed 2 --out "$work/deep.itch"
run "$bin" backtest "$work/flow.itch" --strategy mm --traded 20 --json
run "$bin" backtest "$work/flow.itch" --strategy taker --traded 20 --json
run "$bin" backtest "$work/flow.itch" --strategy mm --traded 20 --queue-model prob-power:2 --json
run "$bin" backtest "$work/flow.itch" --strategy fixed --traded 5 --models none --json
run "$bin" backtest "$work/deep.itch" --strategy mm --traded 20 --json
snippet=../shared/data/itch/12302019_SNIPPET.NASDAQ_ITCH50
if [ -f "$snippet" ]; then
  run "$bin" replay "$snippet"
  run "$bin" backtest "$snippet" --strategy mm --most-active --traded 5 --json
fi
run "$bin" bench t2t --strategy mm --models models --messages 1000000 --json
run "$bin" bench t2t --models models --messages 1000000 --json
run "$bin" bench t2t --messages 1000000 --json
run "$bin" bench book --json
run "$bin" bench gateway --json
if [ "${PGO_DEMO:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
  run "$bin" demo --compare-transports --seconds 10 --out "$work/demo"
else
  echo "pgo-train: the demo skipped (needs root; PGO_DEMO=0): the live path's counts come from the in-process rig only"
fi

mkdir -p pgo
"$profdata" merge --sparse --text -o "$work/merged.proftext" "$work"/raw/*.profraw
awk '{ print }
     last == "# Num Counters:" { n = $0 }
     $0 == "# Counter Values:" { for (i = 0; i < n; i++) { getline; print }; print "$0" }
     { last = $0 }' "$work/merged.proftext" > pgo/tickwire.proftext
# The text must read back as the same profile.
"$profdata" merge -o "$work/indexed.profdata" "$work"/raw/*.profraw
"$profdata" merge -o "$work/roundtrip.profdata" pgo/tickwire.proftext
"$profdata" overlap "$work/indexed.profdata" "$work/roundtrip.profdata" | grep -q "Edge profile overlap: 100.000%" \
  || { echo "pgo-train: pgo/tickwire.proftext does not read back as the profile it was written from" >&2; exit 1; }
echo "pgo-train: wrote pgo/tickwire.proftext ($(grep -c '^# Func Hash:' pgo/tickwire.proftext) functions)"
