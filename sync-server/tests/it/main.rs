//! Integration tests of `milkshed-server`, one binary.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report
mod cli_admin;
mod cli_rate;
