//! The connection: which registries the deployment offers (the runtime config), whether it is
//! read-only, the login of each registry, and registry clients built on them.
//!
//! It imports nothing else of the app (its transport, config and session storage are its own
//! submodules), so every page and component can depend on it without a ring. The app shell
//! provides one [`Connection`] as a context; exchanges go to the `record` callback it is given.

pub mod config;
mod fetch;
pub mod pins;
pub mod session;
pub mod transport;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use wharf_protocol::auth::{AuthState, AuthTransport, Credentials, SharedAuth};
use wharf_protocol::curl::Exchange;
use wharf_protocol::referrers::ApiSupport;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::Registry;
use yew::prelude::*;

use self::config::RuntimeConfig;
use self::transport::BrowserTransport;

/// A value that makes a throwaway manifest unique: the time and a random number, as integers
/// (formatting an `f64` would link the float formatter, about 4 KB of the bundle, for this alone).
pub fn unique_value() -> String {
    format!("{}-{}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e15) as u64)
}

/// The runtime configuration as loaded at start.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigState {
    /// Still fetching `config.json`.
    Loading,
    /// Loaded (or absent: the default config).
    Ready(Rc<RuntimeConfig>),
    /// Present but broken: shown on every page.
    Invalid(String),
}

impl ConfigState {
    /// The config to use (the default while loading or broken).
    pub fn config(&self) -> Rc<RuntimeConfig> {
        match self {
            ConfigState::Ready(c) => c.clone(),
            _ => Rc::new(RuntimeConfig::default()),
        }
    }

    /// Read-only unless a valid config says otherwise: while config.json loads, and when it is
    /// broken, nothing that changes a registry is shown or sent (a typo must not open up a
    /// deployment meant to be read-only).
    pub fn read_only(&self) -> bool {
        match self {
            ConfigState::Ready(c) => c.read_only,
            ConfigState::Loading | ConfigState::Invalid(_) => true,
        }
    }
}

/// A registry client as pages use it: fetch, logged in as the connection says.
pub type Client = Registry<AuthTransport<BrowserTransport, fn() -> f64>>;

/// Seconds on the browser's clock, for token expiry.
fn seconds_now() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// What pages need to talk to registries. `epoch` changes on every login or logout, so loads
/// that depend on it run again; `config` changes once, when config.json has been read.
#[derive(Clone)]
pub struct Connection {
    record: Callback<Exchange>,
    ids: Rc<Cell<u64>>,
    logins: Rc<RefCell<HashMap<RegistryUrl, SharedAuth>>>,
    /// What each registry has shown of its referrers API, for the page's life. A registry
    /// without the route (distribution) answers with a 404 that, cross-origin, arrives as a
    /// blocked request: asking again on every manifest would cost a request and a console error
    /// each time.
    referrers: Rc<RefCell<HashMap<RegistryUrl, ApiSupport>>>,
    /// Bumped by every login and logout.
    pub epoch: u32,
    /// The runtime configuration.
    pub config: ConfigState,
    bump_epoch: Callback<()>,
}

impl PartialEq for Connection {
    fn eq(&self, other: &Self) -> bool {
        self.epoch == other.epoch && self.config == other.config && Rc::ptr_eq(&self.logins, &other.logins)
    }
}

impl Connection {
    /// A client for `registry`, sharing its login with every other client of it. Read-only is
    /// fixed when the client is built: pages build clients after the config they render with.
    pub fn registry(&self, registry: &RegistryUrl) -> Client {
        Registry::new(
            registry.clone(),
            AuthTransport::new(self.raw_transport(), self.login_state(registry), seconds_now as fn() -> f64, registry),
        )
    }

    fn login_state(&self, registry: &RegistryUrl) -> SharedAuth {
        self.logins
            .borrow_mut()
            .entry(registry.clone())
            .or_insert_with(|| {
                let mut state = AuthState::default();
                state.set_credentials(session::remembered(registry));
                Rc::new(RefCell::new(state))
            })
            .clone()
    }

    /// A transport without login handling, for probes that must see raw answers (the self-test).
    pub fn raw_transport(&self) -> BrowserTransport {
        BrowserTransport::new(self.record.clone(), self.ids.clone(), self.read_only())
    }

    /// The name pull commands use for `registry`: the config's `public_name`, else the address
    /// the browser uses (for `same-origin`, this page's host).
    pub fn public_name(&self, registry: &RegistryUrl) -> wharf_protocol::pull::PublicName {
        use wharf_protocol::pull::PublicName;
        if let Some(name) = self.config.config().public_name(registry) {
            return PublicName::parse(name);
        }
        match registry {
            RegistryUrl::Origin(origin) => {
                PublicName { guessed: !registry.path().is_empty(), ..PublicName::parse(origin) }
            }
            // The page's host, with the gateway's path: a guess the config's public_name corrects.
            RegistryUrl::SameOrigin | RegistryUrl::Path(_) => {
                let location = web_sys::window().map(|w| w.location());
                let part = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
                    location.as_ref().and_then(|l| f(l).ok()).unwrap_or_default()
                };
                PublicName {
                    host: format!("{}{}", part(web_sys::Location::host), registry.path()),
                    plain_http: part(web_sys::Location::protocol) == "http:",
                    guessed: !registry.path().is_empty(),
                }
            }
        }
    }

    /// The name to show for `registry`: the config's name (with a path registry's path), else
    /// its address.
    pub fn label(&self, registry: &RegistryUrl) -> String {
        match self.config.config().name(registry) {
            Some(name) if registry.path().is_empty() => name.to_string(),
            Some(name) => format!("{name} ({})", registry.path()),
            None => registry.display_name(),
        }
    }

    /// The repositories pinned for `registry`: the deployment's first (`true`), then this
    /// browser's (`false`), each once.
    pub fn pinned(&self, registry: &RegistryUrl) -> Vec<(String, bool)> {
        let config = self.config.config();
        let mut pinned: Vec<(String, bool)> = config.pinned(registry).iter().map(|n| (n.clone(), true)).collect();
        for name in pins::user_pins(registry) {
            if !pinned.iter().any(|(n, _)| *n == name) {
                pinned.push((name, false));
            }
        }
        pinned
    }

    /// What is known of `registry`'s referrers API.
    pub fn referrers_api(&self, registry: &RegistryUrl) -> ApiSupport {
        self.referrers.borrow().get(registry).copied().unwrap_or(ApiSupport::Unknown)
    }

    /// Keeps what a discovery learned of `registry`'s referrers API (an unknown answer changes
    /// nothing).
    pub fn learned_referrers_api(&self, registry: &RegistryUrl, api: ApiSupport) {
        if api != ApiSupport::Unknown {
            self.referrers.borrow_mut().insert(registry.clone(), api);
        }
    }

    /// Whether the deployment is read-only (no mutating action shown or sent).
    pub fn read_only(&self) -> bool {
        self.config.read_only()
    }

    /// The user name logged in at `registry`, if any (read only: no login state is created).
    pub fn user(&self, registry: &RegistryUrl) -> Option<String> {
        match self.logins.borrow().get(registry) {
            Some(state) => state.borrow().credentials().map(|c| c.username.clone()),
            None => session::remembered(registry).map(|c| c.username),
        }
    }

    /// Logs in (credentials kept in memory; in this tab's sessionStorage only when `remember`).
    pub fn log_in(&self, registry: &RegistryUrl, credentials: Credentials, remember: bool) {
        if remember {
            session::remember(registry, &credentials);
        } else {
            session::forget(registry);
        }
        self.login_state(registry).borrow_mut().set_credentials(Some(credentials));
        self.bump_epoch.emit(());
    }

    /// Logs out and forgets any remembered credentials.
    pub fn log_out(&self, registry: &RegistryUrl) {
        session::forget(registry);
        self.login_state(registry).borrow_mut().set_credentials(None);
        self.bump_epoch.emit(());
    }
}

/// The app's one [`Connection`], for the shell to provide: exchanges go to `record`.
#[hook]
pub fn use_connection_root(record: Callback<Exchange>, config: ConfigState) -> Connection {
    let epoch = use_state(|| 0u32);
    let stable = use_memo((), |_| {
        (Rc::new(Cell::new(0)), Rc::new(RefCell::new(HashMap::new())), Rc::new(RefCell::new(HashMap::new())))
    });
    Connection {
        record,
        ids: stable.0.clone(),
        logins: stable.1.clone(),
        referrers: stable.2.clone(),
        epoch: *epoch,
        config,
        bump_epoch: Callback::from(move |_| epoch.set(*epoch + 1)),
    }
}

/// The connection the app provides (see [`use_connection_root`]).
#[hook]
pub fn use_connection() -> Connection {
    use_context::<Connection>().expect("pages are rendered inside the app's Connection context")
}

/// Whether changes are off (see [`ConfigState::read_only`]). Pages re-render when the config
/// arrives.
#[hook]
pub fn use_read_only() -> bool {
    use_connection().read_only()
}
