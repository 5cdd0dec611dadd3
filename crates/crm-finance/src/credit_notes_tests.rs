//! Unit tests of the service, with mocked ports (see test_support).
