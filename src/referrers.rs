//! Reading what each attachment of an image states, for the manifest page. What a registry has
//! shown of its referrers API is kept in the [`Connection`] (the app's context), so a registry
//! without the route is asked once per page life, not once per manifest.

use wharf_protocol::names::{Digest, Repository};
use wharf_protocol::referrers::{self, Attachment, Discovered};
use wharf_protocol::Error;

use crate::connection::{Client, Connection};

/// Everything attached to `subject`, each manifest read and described; the payload of a cosign
/// signature is read too (a few hundred bytes) for the identity it signs.
pub async fn describe_all(
    connection: &Connection,
    client: &Client,
    repository: &Repository,
    subject: &Digest,
) -> Result<Vec<Attachment>, Error> {
    let known = connection.referrers_api(client.url());
    let found: Discovered = referrers::discover_read(client, repository, subject, known).await?;
    connection.learned_referrers_api(client.url(), found.api);
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
