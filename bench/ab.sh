#!/usr/bin/env bash
# Interleaved A/B of two server binaries on the same seeded database:
#   bench/ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [SCENARIOS]
# Runs the bench in quick mode (HTTP scenarios only), alternating A B B A … so drift and the
# other load on the machine fall on both, and prints each scenario's req/s per round, the
# median of each side and new/old. Knobs as for `make bench` (CRM_BENCH_SECS,
# CRM_BENCH_CONNECTIONS, …); the lines accumulate in target/bench/quick.jsonl.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
export CRM_BENCH_SCENARIOS=${4:-${CRM_BENCH_SCENARIOS:-get,list leads (status,create,patch lead (If}}
export CRM_BENCH_QUICK=1 CRM_BENCH_CONNECTIONS=${CRM_BENCH_CONNECTIONS:-64}
export CRM_BENCH_SECS=${CRM_BENCH_SECS:-8} CRM_BENCH_WARMUP_SECS=${CRM_BENCH_WARMUP_SECS:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${CRM_BENCH_DRIVER:-${CARGO_TARGET_DIR:-$root/target}/release/crm-bench}
run=$(date +%s)
for ((i = 0; i < rounds; i++)); do
  if ((i % 2 == 0)); then order="old new"; else order="new old"; fi
  for side in $order; do
    bin=$old; [[ $side == new ]] && bin=$new
    CRM_BENCH_LABEL="$run:$side:$i" CRM_BENCH_BINARY=$bin "$bench" | grep -E '^(bench: [a-z].* at [0-9]+ connections|  [0-9]+ req/s)' || true
  done
done
python3 - "$root/target/bench/quick.jsonl" "$run" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r["label"].startswith(sys.argv[2] + ":")]
keys = sorted({(r["scenario"], r["connections"]) for r in rows}, key=lambda k: (k[0], k[1]))
print(f"{'scenario':26} {'old req/s (rounds)':>28} {'new req/s (rounds)':>28} {'new/old':>7}  server µs/req old→new  postgres µs/req old→new")
for k in keys:
    pick = lambda s: [r for r in rows if (r["scenario"], r["connections"]) == k and r["label"].split(":")[1] == s]
    o, n = pick("old"), pick("new")
    if not o or not n: continue
    fmt = lambda v: " ".join(f"{x['rps']:.0f}" for x in v)
    med = lambda v, f: st.median([x.get(f, 0) for x in v])
    mo, mn = med(o, "rps"), med(n, "rps")
    errs = sum(r["errors"] for r in o + n)
    print(f"{k[0][:22]+' @'+str(k[1]):26} {mo:>6.0f} ({fmt(o)}) {mn:>6.0f} ({fmt(n)}) {mn/mo:>6.2f}x  "
          f"{med(o, 'server_us_per_req'):>6.0f} → {med(n, 'server_us_per_req'):<6.0f} "
          f"({med(n, 'server_us_per_req')/max(med(o, 'server_us_per_req'),1e-9):.2f}x)  "
          f"{med(o, 'postgres_us_per_req'):>6.0f} → {med(n, 'postgres_us_per_req'):<6.0f}  errors {errs}")
PY
