//! The Milkshed sync server. For now it carries the `rate` command; the sync protocol, the
//! agency record and the review pages come with their issues.

pub mod rate;
