# The commands a newcomer types. `make run` and `make test` need only Rust.
.PHONY: run test test-unit test-e2e lint fmt migrate docs check-architecture bench

CARGO ?= cargo

## Run the server on the embedded SQLite database (data/crm.db), mail written to mail-outbox/.
run:
	$(CARGO) run --bin crm -- serve

## Architecture check, unit tests and end-to-end tests (SQLite always; PostgreSQL and MariaDB
## when CRM_TEST_POSTGRES_URL / CRM_TEST_MYSQL_URL are set). The end-to-end tests wait on the
## databases more than they compute (a database created and migrated per test), so they run
## more at once than there are cores (TEST_THREADS, default 2, the cores).
TEST_THREADS ?= 2
test: check-architecture
	$(CARGO) test --workspace --all-targets -- --test-threads=$(TEST_THREADS)

## fmt check and clippy with warnings as errors.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Apply pending migrations to the configured database (CRM__DATABASE__URL).
migrate:
	$(CARGO) run --bin crm -- migrate up

## API reference (rustdoc) for every crate; the HTTP API's docs are served at /docs.
docs:
	$(CARGO) doc --workspace --no-deps

## Benchmark on PostgreSQL (CRM_BENCH_DATABASE_URL, default the local server's crm_bench, which it
## re-creates): release build, seeding, HTTP load and the direct-call ceiling; writes target/bench/
## and docs/PERFORMANCE.md.
bench:
	$(CARGO) build --release -p crm -p crm-bench
	./target/release/crm-bench

check-architecture:
	./scripts/check-architecture.sh
