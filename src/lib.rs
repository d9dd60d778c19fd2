//! Wharf's browser app: pages, components and the one fetch adapter. Every protocol decision is
//! made by `wharf-protocol`; this crate only shows results and turns clicks into operations.
//!
//! Imports run one way: `app` (the shell) → `pages` → `components` → services (`connection`,
//! `router`, `browser_store`, `journal_store`, `wire`, `flow`, `items`, `referrers`, `pause`) → `wharf_protocol`. Nothing
//! imports the shell.

pub mod app;
pub mod browser_store;
pub mod components;
pub mod connection;
pub mod flow;
pub mod glance;
pub mod items;
pub mod journal_store;
pub mod lazy;
pub mod pages;
pub mod pause;
pub mod referrers;
pub mod router;
pub mod wire;
