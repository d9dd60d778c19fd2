//! One component per view.

#[cfg(feature = "console")]
pub mod bulk;
pub mod catalog;
#[cfg(feature = "console")]
pub mod copy;
#[cfg(feature = "console")]
pub mod delete;
pub mod home;
#[cfg(feature = "console")]
pub mod journal;
pub mod manifest;
pub mod retag;
pub mod selftest;
pub mod tags;
