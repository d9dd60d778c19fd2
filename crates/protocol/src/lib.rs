//! The registry protocol behind Wharf, with no browser in it.
//!
//! Everything that decides something lives here as plain Rust: reference grammar, media types and
//! the Accept list, request building, `Link` paging, error envelopes and what to tell the user
//! about them, digest checks, manifest parsing for display, and the sequencing of operations such
//! as retag. The only I/O is [`http::Transport`]: "send this request, give me status, headers and
//! bytes back". The browser supplies a fetch-based transport; tests supply scripted ones.
#![deny(missing_docs)]

pub mod address;
pub mod attachments;
pub mod auth;
pub mod auth_failure;
pub mod bulk;
pub mod client;
pub mod copy;
pub mod curl;
pub mod delete;
pub mod digest;
pub mod error;
pub mod flow;
pub mod glance;
pub mod http;
pub mod journal;
pub mod json;
pub mod manifest;
pub mod media;
pub mod names;
pub mod pace;
pub mod paging;
pub mod pretty;
pub mod pull;
pub mod rate_limit;
pub mod referrers;
pub mod requests;
pub mod retag;
pub mod selftest;
pub mod tags;
pub mod time;
pub mod units;
pub mod upload;

pub use client::Registry;
pub use error::{Error, Result};
