//! Wharf's browser app: pages, components and the one fetch adapter. Every protocol decision is
//! made by `wharf-protocol`; this crate only shows results and turns clicks into operations.

pub mod app;
pub mod components;
pub mod config;
pub mod console;
pub mod journal_store;
pub mod pages;
pub mod router;
pub mod session;
pub mod transport;
pub mod wire;
