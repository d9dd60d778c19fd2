//! One component per view.

pub mod catalog;
pub mod cleanup;
pub mod copy;
pub mod delete;
pub mod home;
pub mod journal;
pub mod manifest;
pub mod retag;
pub mod selftest;
pub mod tag_view;
pub mod tags;
