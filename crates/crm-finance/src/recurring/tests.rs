//! Unit tests of the recurring templates and their job, with mocked ports.
