//! Milkshed's domain, shared by the field app and the sync server. Pure code: no clock, no
//! files, no network — time and randomness come in as arguments.
//!
//! - [`authority`]: who may write which part of an inspection (roles, the write rules).
//! - [`briefcase`]: the typed reference records devices keep, with their due date and lab
//!   warning by the board's rules.
//! - [`calendar`]: month-end date rules, appraisal windows, Appendix P, listing expiry.
//! - [`catalog`]: the inspection item catalogs (FORM 2359a/2359k farm items, FORM 2359/2359L
//!   plant items) with their debit weights, caps and lab standards, as versioned data.
//! - [`rating`]: the sanitation compliance ratings of the Methods of Making Sanitation Ratings
//!   (MMSR): FORM 2359k (raw milk, [`rating::raw_milk`]), FORM 2359L (plants and stations,
//!   [`rating::plant`]), laboratory crediting ([`rating::lab`]), TABLE 1 and random selection
//!   ([`rating::table1`]) and combined raw-milk ratings ([`rating::combined`]).
//! - [`document`]: the Automerge document of an inspection, its typed view, signing and
//!   tamper detection, conflicts.
//! - [`ledger`]: the lab ledger's enforcement rules (2 of 4, 3 of 5, frequency, reinstatement).
//! - [`listing`]: IMS listing decisions, withdrawal triggers, FORM 2359i checks.
//! - [`photo`]: the photo limits the device and the server share.
//! - [`policy`]: every reading of an ambiguous MMSR passage, each in one named place.
//! - [`letters`]: enforcement letters' templates and their merge fields.
//! - [`reference`]: versioned reference data (product codes, FIPS, laboratory codes).
//! - [`register`]: the IMS listing register's clocks: reminders, 2359o, re-ratings, withdrawals.
//! - [`registry`]: facility kinds and frequencies, permit statuses, retention, the 40 % warning.
//! - [`residue`]: Appendix N drug residue events: notices, shipping hold, 12-month repeats.
//! - [`sampling`]: sampling surveillance: the 2399a/2399 evaluation forms as data, who may
//!   evaluate (SSO certificate, delegation from comparison evaluations), the next evaluation.
//! - [`sync`]: the device–server sync protocol, sans-IO.
//! - [`workload`]: the routine work a facility owes (one mapping, one due date for the
//!   tablet's work list and the agency's board).
//! - [`worksheet`]: the JSON worksheet exchange format (`milkshed-server rate`), its validation
//!   with JSON paths, and its results.
//! - [`exact`]: exact rational arithmetic and the MMSR's rounding.
//! - [`ids`]: the typed ids of inspections, facilities, users and devices.

pub mod authority;
pub mod briefcase;
pub mod calendar;
pub mod catalog;
pub mod document;
pub mod exact;
pub mod ids;
pub mod ledger;
pub mod letters;
pub mod listing;
pub mod photo;
pub mod policy;
pub mod rating;
pub mod reference;
pub mod register;
pub mod registry;
pub mod residue;
pub mod sampling;
pub mod sync;
pub mod workload;
pub mod worksheet;
