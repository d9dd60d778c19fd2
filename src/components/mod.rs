//! Pieces shared by several pages.

pub mod about;
pub mod attachments;
pub mod bulk;
pub mod bulk_form;
pub mod digest_badge;
pub mod digest_search;
pub mod error_box;
pub mod export;
pub mod facts;
pub mod load;
pub mod login;
pub mod markup;
pub mod open_reference;
pub mod paging;
pub mod pull;
pub mod registry_bar;
pub mod source;
pub mod text;
pub mod wire_panel;

use wharf_protocol::requests::RegistryUrl;
use yew::Properties;

/// Props of the views that need only their registry (self-test, journal).
#[derive(Properties, PartialEq)]
pub struct RegistryProps {
    /// Which registry.
    pub registry: RegistryUrl,
}
