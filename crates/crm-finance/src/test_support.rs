//! Mocks and fixtures shared by the finance service tests.
