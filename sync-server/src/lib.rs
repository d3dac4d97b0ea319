//! The Milkshed agency server: devices enroll and sync their inspections here, photos are
//! uploaded here, and the agency record (SQLite) is kept here.
//!
//! Three floors, imports pointing down only (the tidy test checks it):
//! - [`http`]: routes, extractors, the review pages; thin handlers.
//! - [`service`]: what the server does (registry, briefcase, board, lab, ratings, auth,
//!   photos, PDFs), with no HTTP types and no SQL.
//! - [`db`]: every SQL statement: the agency record and its projection of the documents.

pub mod db;
pub mod http;
pub mod service;
