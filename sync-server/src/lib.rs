//! The Milkshed agency server: devices enroll and sync their inspections here, photos are
//! uploaded here, and the agency record (SQLite) is kept here.
//!
//! - [`server`]: state and start-up (plain HTTP on loopback, TLS with rustls elsewhere).
//! - [`api`]: the HTTP routes (enroll, sync, photos) and their JSON errors.
//! - [`auth`]: roles, argon2 passwords, device tokens.
//! - [`db`]: every SQL statement: the agency record and its projection of the documents.
//! - [`blob`]: photo storage behind a trait.
//! - [`demo`]: the demo agency of `serve --demo`.
//! - [`rate`]: `milkshed-server rate`.

pub mod api;
pub mod auth;
pub mod blob;
pub mod board;
pub mod db;
pub mod demo;
pub mod lab;
pub mod pdf;
pub mod photo;
pub mod rate;
pub mod ratings;
pub mod record;
pub mod server;
pub mod web;
