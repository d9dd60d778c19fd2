//! One component per view.

pub mod catalog;
pub mod copy;
pub mod home;
pub mod manifest;
pub mod retag;
pub mod selftest;
pub mod tags;
