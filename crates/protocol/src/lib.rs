//! The registry protocol behind Wharf, with no browser in it.
//!
//! Everything that decides something lives here as plain Rust: reference grammar, media types and
//! the Accept list, request building and the reading of each answer, `Link` paging, error
//! envelopes and what to tell the user about them, digest checks, manifest parsing for display,
//! and every change to a registry as a flow. The only I/O is [`http::Transport`]: "send this
//! request, give me status, headers and bytes back". The browser supplies a fetch-based
//! transport; tests supply scripted ones.
//!
//! Read it in layers, bottom up; imports only run downwards:
//! - **records and types**: [`names`], [`media`], [`digest`], [`json`], [`kind`], [`manifest`],
//!   [`state`], [`refusal`], [`error`], [`journal`], [`http`], [`requests`], [`responses`],
//!   [`paging`], [`pace`], and the tag list's [`glance`] with [`storage`], [`time`], [`pull`],
//!   [`units`];
//! - **operations** on a [`Registry`]: [`client`], [`tag_delete`], [`upload`], [`transfer`],
//!   [`referrers`], [`auth`], and the [`selftest`] built on the same requests;
//! - **flows**, each plan → execute → [`flow::Finished`]: [`retag`], [`copy`] (with
//!   [`attachments`]), [`delete`], [`undo`];
//! - **the runner** of many flows: [`runner`]; [`bulk`], whose items are retags and copies; and
//!   [`cleanup`], whose items are tag deletes (and their undos);
//! - **export**: every change as a bash script that replays it ([`script`], built by [`export`]).
#![deny(missing_docs)]

pub mod about;
pub mod address;
pub mod attachments;
pub mod auth;
pub mod auth_failure;
pub mod bulk;
pub mod cleanup;
pub mod client;
pub mod copy;
pub mod curl;
pub mod delete;
pub mod digest;
pub mod error;
pub mod export;
pub mod flow;
pub mod glance;
pub mod http;
pub mod journal;
pub mod json;
pub mod kind;
pub mod manifest;
pub mod media;
pub mod names;
pub mod namespaces;
pub mod pace;
pub mod paging;
pub mod pretty;
pub mod pull;
pub mod rate_limit;
pub mod referrers;
pub mod refusal;
pub mod requests;
pub mod responses;
pub mod retag;
pub mod runner;
pub mod script;
pub mod search;
pub mod selftest;
pub mod state;
pub mod storage;
pub mod tag_delete;
pub mod tags;
pub mod time;
pub mod transfer;
pub mod undo;
pub mod units;
pub mod upload;

pub use client::Registry;
pub use error::{Error, Result};
