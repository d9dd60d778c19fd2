//! Moving one blob's bytes from a source repository into an upload session of a target, without
//! holding more than one chunk in memory.
//!
//! Small blobs go in one request (GET the blob, `PUT <session>?digest=` with its bytes). Larger
//! ones are read with `Range` requests and sent as `PATCH` chunks (`Content-Range: start-end`),
//! each to the `Location` the previous answer gave, then closed by an empty `PUT ?digest=`. The
//! digest is computed over the bytes as they pass and checked before the closing `PUT`, so a
//! corrupted stream never becomes a blob. On any failure the session is cancelled with `DELETE`:
//! no upload is left dangling. Every request comes from a builder in [`crate::requests`].

use sha2::{Digest as _, Sha256};

use crate::client::Registry;
use crate::error::Error;
use crate::http::Transport;
use crate::names::{Digest, Repository};
use crate::requests;
use crate::requests::RegistryUrl;

/// Blobs up to this size go in one PUT; larger ones in chunks of this size.
pub const CHUNK_SIZE: u64 = 8 * 1024 * 1024;

/// How the bytes were sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// One GET, one PUT.
    Monolithic,
    /// Ranged GETs and PATCH chunks, closed by a PUT.
    Chunked {
        /// How many chunks.
        chunks: usize,
    },
    /// The registry refused the one-request PUT (with this status), so the blob went as
    /// POST + PATCH + PUT, in this many chunks.
    ChunkedAfterRefusal {
        /// The status the single PUT got.
        refused: u16,
        /// How many chunks.
        chunks: usize,
    },
}

impl UploadMode {
    /// Which requests carried the bytes, for the copy's result.
    pub fn describe(&self) -> String {
        match self {
            UploadMode::Monolithic => "POST + PUT".to_string(),
            UploadMode::Chunked { chunks } => format!("POST + {chunks} PATCH + PUT"),
            UploadMode::ChunkedAfterRefusal { refused, chunks } => {
                format!("POST + {chunks} PATCH + PUT (the registry answered {refused} to a single PUT)")
            }
        }
    }
}

/// Whether the target's refusal of a one-request PUT is worth sending again in chunks: the
/// statuses of a registry that does not implement it (the container-registry crate answers 500
/// "missing content length not implemented"; others 501, 405, 411, 415, or a 400 without the
/// spec's envelope). A refusal the chunked upload would meet too (auth, 429, 413, a digest or
/// name the registry rejects with its envelope) is not retried.
pub fn refusal_worth_chunking(error: &Error) -> bool {
    match error.status() {
        Some(405 | 411 | 415 | 500 | 501) => true,
        Some(400) => error.registry_errors().is_empty(),
        _ => false,
    }
}

/// An open upload session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Its absolute URL (`Location`).
    pub location: String,
    /// `OCI-Chunk-Min-Length`: chunks (but the last) must be at least this long.
    pub min_chunk: Option<u64>,
}

impl Session {
    /// The session a POST answered (202 with `Location`).
    pub fn from_answer(
        registry: &RegistryUrl,
        request_url: &str,
        headers: &crate::http::Headers,
    ) -> Result<Session, Error> {
        Ok(Session {
            location: session_location(registry, request_url, headers)?,
            min_chunk: headers.get("OCI-Chunk-Min-Length").and_then(|v| v.trim().parse().ok()),
        })
    }
}

/// Opens an upload session in `repository`.
pub async fn start<T: Transport>(target: &Registry<T>, repository: &Repository) -> Result<Session, Error> {
    let request = requests::upload_start(target.url(), repository);
    let url = request.url.clone();
    let response = target.send_checked(request).await?;
    Session::from_answer(target.url(), &url, &response.headers)
}

/// The absolute session URL from an upload answer's `Location` (under the registry's prefix).
pub fn session_location(
    registry: &RegistryUrl,
    request_url: &str,
    headers: &crate::http::Headers,
) -> Result<String, Error> {
    match headers.get("Location") {
        Some(location) => Ok(registry.resolve(request_url, location)),
        None => Err(Error::Parse {
            url: request_url.to_string(),
            detail: "the registry answered an upload without a Location header (is Location exposed by CORS?)".into(),
        }),
    }
}

/// Streams blob `digest` (of `size` bytes) from `source`/`source_repository` into the open
/// `session` of `target`, in chunks of `chunk_size` (or the registry's minimum, if larger).
/// `on_bytes` is told the bytes sent so far. The session is cancelled if anything fails.
#[allow(clippy::too_many_arguments)] // Two endpoints and a blob: each argument is a different thing.
pub async fn stream<T: Transport>(
    source: &Registry<T>,
    source_repository: &Repository,
    (target, target_repository): (&Registry<T>, &Repository),
    session: Session,
    digest: &Digest,
    size: u64,
    (chunk_size, monolithic_refused): (u64, &std::cell::Cell<bool>),
    on_bytes: &dyn Fn(u64),
) -> Result<UploadMode, Error> {
    let chunk_size = chunk_size.max(session.min_chunk.unwrap_or(0)).max(1);
    let mut session = session.location;
    let result = if size <= chunk_size && !monolithic_refused.get() {
        match monolithic(source, source_repository, target, &session, digest).await {
            Ok(()) => Ok(UploadMode::Monolithic),
            Err(Refusal::Target(e)) if refusal_worth_chunking(&e) => {
                // The rest of this copy goes in chunks at once; this blob starts over in a
                // session of its own (the refused one may be spent).
                monolithic_refused.set(true);
                let refused = e.status().unwrap_or_default();
                let _ = target.send_checked(requests::upload_cancel(&session)).await;
                match start(target, target_repository).await {
                    Ok(fresh) => {
                        session = fresh.location;
                        chunked(source, source_repository, target, &mut session, digest, size, size.max(1), on_bytes)
                            .await
                            .map(|mode| match mode {
                                UploadMode::Chunked { chunks } => UploadMode::ChunkedAfterRefusal { refused, chunks },
                                other => other,
                            })
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(Refusal::Source(e) | Refusal::Target(e)) => Err(e),
        }
    } else {
        chunked(source, source_repository, target, &mut session, digest, size, chunk_size, on_bytes).await
    };
    if result.is_ok() {
        on_bytes(size);
    } else {
        // Never leave the session dangling; its own failure adds nothing the user can act on.
        let _ = target.send_checked(requests::upload_cancel(&session)).await;
    }
    result
}

/// Which end failed a one-request upload: only the target's refusal may call for chunks.
enum Refusal {
    Source(Error),
    Target(Error),
}

async fn monolithic<T: Transport>(
    source: &Registry<T>,
    source_repository: &Repository,
    target: &Registry<T>,
    session: &str,
    digest: &Digest,
) -> Result<(), Refusal> {
    let bytes = source.blob_get(source_repository, digest).await.map_err(Refusal::Source)?;
    target.send_checked(requests::upload_monolithic(session, digest, bytes)).await.map(|_| ()).map_err(Refusal::Target)
}

#[allow(clippy::too_many_arguments)]
async fn chunked<T: Transport>(
    source: &Registry<T>,
    source_repository: &Repository,
    target: &Registry<T>,
    session: &mut String,
    digest: &Digest,
    size: u64,
    chunk_size: u64,
    on_bytes: &dyn Fn(u64),
) -> Result<UploadMode, Error> {
    let blob_url = requests::blob_url(source.url(), source_repository, digest);
    let mut hasher = Sha256::new();
    // A registry that ignores Range answers 200 with the whole blob: then it is cut up here.
    let mut whole: Option<Vec<u8>> = None;
    let mut offset = 0u64;
    let mut chunks = 0usize;
    while offset < size {
        let end = (offset + chunk_size).min(size) - 1;
        let chunk = match &whole {
            Some(all) => all[offset as usize..=end as usize].to_vec(),
            None => {
                let ranged = requests::blob_get_range(source.url(), source_repository, digest, offset, end);
                let response = source.send_checked(ranged).await?;
                if response.status == 200 && response.body.len() as u64 == size {
                    let part = response.body[offset as usize..=end as usize].to_vec();
                    whole = Some(response.body);
                    part
                } else if response.body.len() as u64 == end - offset + 1 {
                    response.body
                } else {
                    return Err(Error::Parse {
                        url: blob_url,
                        detail: format!(
                            "asked for bytes {offset}-{end} and got {} bytes (status {})",
                            response.body.len(),
                            response.status
                        ),
                    });
                }
            }
        };
        hasher.update(&chunk);
        let response = target.send_checked(requests::upload_chunk(session, offset, end, chunk)).await?;
        *session = session_location(target.url(), session, &response.headers)?;
        offset = end + 1;
        chunks += 1;
        on_bytes(offset);
    }
    let actual = format!("sha256:{:x}", hasher.finalize());
    if digest.algorithm() == "sha256" && actual != digest.as_str() {
        return Err(Error::DigestMismatch { url: blob_url, expected: digest.to_string(), actual });
    }
    target.send_checked(requests::upload_close(session, digest)).await?;
    Ok(UploadMode::Chunked { chunks })
}
