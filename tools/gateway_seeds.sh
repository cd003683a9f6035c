#!/bin/sh
# Real order-entry sessions as seeds of the gateway fuzz target (Fuzz/Seeds/Gateway): for OUCH
# 4.2 and 5.0, `tickwire gateway --symbols 3` (its scripted burst: resting bids, marketable IOC
# sells the venue's matching engine fills, cancels, replaces) against the venue simulator on
# loopback, captured by the venue (--capture) and turned into scripts by tools/gateway_seed.py.
# Usage: tools/gateway_seeds.sh [tickwire binary] [output directory]
set -eu
bin=${1:-.build/release/tickwire}
out=${2:-Fuzz/Seeds/Gateway}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
port=$((27000 + $$ % 1000))
for v in 4.2 5.0; do
    "$bin" exchange --seconds 6 --rate 2000 --interface 127.0.0.1 --symbols 3 --start-delay 1 \
        --feed-a 239.192.77.1:$((port + 1)) --feed-b 239.192.77.2:$((port + 1)) --rerequest 127.0.0.1:$((port + 2)) \
        --order-entry 127.0.0.1:$port --capture "$tmp/venue.pcap" --json >/dev/null 2>&1 &
    venue=$!
    sleep 1.5
    # The venue's default users: TW1 speaks OUCH 4.2, TW2 5.0.
    user=TW1; [ $v = 5.0 ] && user=TW2
    TICKWIRE_OUCH_USER=$user TICKWIRE_OUCH_PASSWORD=secret \
        "$bin" gateway --order-entry 127.0.0.1:$port --ouch $v --symbols 3 --orders 60 --rate 200 --json >"$tmp/gateway.json"
    wait $venue
    python3 tools/gateway_seed.py "$tmp/venue.pcap" --port $port --ouch $v -o "$out/real-v$(echo $v | tr -d .)"
    port=$((port + 3))
done
