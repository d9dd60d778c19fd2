//! Why a request could not be authorised, as plain data.
//!
//! A leaf: it imports nothing from the crate. [`crate::http`] carries it in
//! [`TransportError::Auth`](crate::http::TransportError::Auth) without depending on the login
//! machinery, and [`crate::auth`] (which produces it) re-exports it as `auth::AuthFailure`.

use std::fmt;

/// Why a request could not be authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// The registry wants a login and none was given (or anonymous access was refused).
    LoginRequired {
        /// `basic` or `bearer`.
        scheme: String,
    },
    /// The registry or its token service refused the user name and password.
    WrongCredentials {
        /// Who refused: the registry (Basic) or the token service's realm URL.
        by: String,
    },
    /// A token was issued but does not allow this: the account lacks the permission.
    InsufficientScope {
        /// What the registry asked for.
        scopes: Vec<String>,
    },
    /// The registry answered 401 without a challenge to a request that carried the user's
    /// credentials: it refuses this account here (some registries and proxies name no scheme
    /// outside `/v2/`).
    Refused {
        /// What was refused: `GET /v2/x/tags/list`.
        request: String,
    },
    /// The token service failed or answered something unusable.
    TokenService {
        /// The realm URL.
        realm: String,
        /// What went wrong.
        detail: String,
    },
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthFailure::LoginRequired { scheme } => write!(f, "the registry requires a login ({scheme})"),
            AuthFailure::WrongCredentials { by } => write!(f, "the user name or password was refused by {by}"),
            AuthFailure::InsufficientScope { scopes } => {
                write!(f, "insufficient scope: this account is denied {}", scopes.join(" "))
            }
            AuthFailure::TokenService { realm, detail } => write!(f, "the token service {realm} failed: {detail}"),
            AuthFailure::Refused { request } => {
                write!(f, "the registry refused {request} for the account you logged in with (401, no challenge)")
            }
        }
    }
}
