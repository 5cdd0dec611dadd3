#!/usr/bin/env bash
# Architecture invariant (docs/ARCHITECTURE.md): the pure domain crates depend on no database,
# web or mail crate. Fails naming the crate and the offending dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for c in crm-domain crm-hr crm-sales crm-finance crm-projects crm-messages crm-calendar; do
  leak=$(cargo tree -p "$c" -e normal --prefix none 2>/dev/null \
    | grep -E '^(sea-orm|sea-query|sea-schema|sqlx[a-z-]*|actix[a-z-]*|lettre|reqwest|hyper) ' | sort -u | tr '\n' ' ' || true)
  if [ -n "$leak" ]; then
    echo "architecture: $c is a pure domain crate but depends on: $leak" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "architecture: pure crates are free of database, web and mail crates"
# Modules depend one way: projects know no sales or finance (finance invoices projects).
for pair in "crm-projects crm-sales" "crm-projects crm-finance" "crm-sales crm-finance" "crm-sales crm-projects"; do
  set -- $pair
  if cargo tree -p "$1" -e normal --prefix none 2>/dev/null | grep -q "^$2 "; then
    echo "architecture: $1 must not depend on $2" >&2
    status=1
  fi
done
# Unsafe code is denied workspace-wide; only the allocator's option call may allow it.
unsafe_sites=$(grep -rln --include='*.rs' 'allow(unsafe_code)' src crates migration bench tests \
  | grep -vx 'src/allocator.rs' || true)
if [ -n "$unsafe_sites" ]; then
  echo "architecture: unsafe code is allowed outside src/allocator.rs in: $unsafe_sites" >&2
  status=1
else
  echo "architecture: unsafe code is allowed only in src/allocator.rs"
fi
exit $status
