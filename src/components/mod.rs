//! Pieces shared by several pages.

pub mod digest_badge;
pub mod error_box;
pub mod load;
pub mod login;
pub mod registry_bar;
pub mod source;
pub mod text;
pub mod wire_panel;
