//! What the page has learned of each registry's referrers API, for the page's life, and reading
//! what each attachment states.
//!
//! A registry without the route (distribution) answers with a 404 that, cross-origin, arrives as
//! a blocked request: asking again on every manifest would cost a request and a console error
//! each time, so the answer is kept per registry until the page is reloaded.

use std::cell::RefCell;
use std::collections::HashMap;

use wharf_protocol::names::Repository;
use wharf_protocol::referrers::{self, ApiSupport, Attachment, Discovered};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::Error;

use crate::connection::Client;

thread_local! {
    static LEARNED: RefCell<HashMap<String, ApiSupport>> = RefCell::new(HashMap::new());
}

/// What is known of `registry`'s referrers API.
pub fn known(registry: &RegistryUrl) -> ApiSupport {
    LEARNED.with(|l| l.borrow().get(&registry.to_string()).copied().unwrap_or(ApiSupport::Unknown))
}

/// Keeps what a discovery learned (an unknown answer changes nothing).
pub fn learned(registry: &RegistryUrl, api: ApiSupport) {
    if api != ApiSupport::Unknown {
        LEARNED.with(|l| l.borrow_mut().insert(registry.to_string(), api));
    }
}

/// Everything attached to `subject`, each manifest read and described; the payload of a cosign
/// signature is read too (a few hundred bytes) for the identity it signs.
pub async fn describe_all(
    client: &Client,
    repository: &Repository,
    subject: &wharf_protocol::names::Digest,
) -> Result<Vec<Attachment>, Error> {
    let found: Discovered = referrers::discover_read(client, repository, subject, known(client.url())).await?;
    learned(client.url(), found.api);
    let mut shown = Vec::with_capacity(found.referrers.len());
    for referrer in &found.referrers {
        let payload = match referrer.manifest.as_ref().and_then(referrers::payload_to_read) {
            // A payload that cannot be read only leaves the statement out.
            Some(digest) => client.blob_get(repository, &digest).await.ok(),
            None => None,
        };
        shown.extend(referrers::describe(referrer, payload.as_deref()));
    }
    Ok(shown)
}
