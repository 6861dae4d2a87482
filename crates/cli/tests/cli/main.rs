//! The `sehat` binary's integration tests, in one binary: the real executable started as a user
//! would, and the fast forms of the resilience suites run through it.

mod binary;
#[allow(clippy::print_stderr)] // SKIPPED and install notes go to the test output
mod browser;
mod resilience;
