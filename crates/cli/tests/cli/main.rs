//! The `sehat` binary's integration tests, in one binary: the real executable started as a user
//! would, and the fast forms of the resilience suites run through it.

mod binary;
mod browser;
mod resilience;
