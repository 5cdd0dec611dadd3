//! End-to-end tests: the real server on a random port against a real, fresh database per test.
//! Every scenario runs on SQLite, and on PostgreSQL / MariaDB when `CRM_TEST_POSTGRES_URL` /
//! `CRM_TEST_MYSQL_URL` are set (required when `CRM_TEST_REQUIRE_ALL_BACKENDS=1`, as in CI).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod db_templates;
mod helpers;
mod proxy;

mod activities;
mod calendar;
mod calendar_agenda;
mod calendar_feeds;
mod chassis;
mod cli;
mod clients;
mod concurrency;
mod contracts;
mod events;
mod expenses;
mod exports;
mod faults;
mod files;
mod finance;
mod hr_attendance;
mod hr_leave;
mod hr_people;
mod hr_recruitment;
mod hr_support;
mod hr_training;
mod idempotency;
mod identity;
mod identity_codes;
mod identity_limits;
mod identity_mail;
mod identity_org;
mod identity_support;
mod identity_users;
mod imports;
mod input_errors;
mod instances;
mod jobs;
mod legacy_import;
mod mailbox;
mod messages;
mod migrations;
mod notifications;
mod projects;
mod proposals;
mod replica;
mod round_trips;
mod sales;
mod sorting;
mod tenancy;
mod time_entries;
mod webhooks;
