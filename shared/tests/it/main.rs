//! Integration tests of `milkshed-shared`, one binary: the MMSR worked examples and the
//! properties every rating keeps.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod documents;
mod mmsr_examples;
mod properties;
