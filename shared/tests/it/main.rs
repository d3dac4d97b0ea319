//! Integration tests of `milkshed-shared`, one binary: the MMSR worked examples and the
//! properties every rating keeps.

mod mmsr_examples;
mod properties;
