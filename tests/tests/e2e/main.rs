//! End-to-end tests across the crates, one binary.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod agency_record;
mod browser;
mod desk;
mod hostile;
mod ims_rating;
mod insider;
mod instances;
mod one_rule;
mod rate_examples;
mod review_pages;
mod sampling;
mod storage;
mod sync;
mod tidy;
mod ui_desktop;
