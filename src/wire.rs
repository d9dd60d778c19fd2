//! The wire log: every exchange the app makes, kept for the wire panel.
//!
//! Recording an exchange re-renders the app shell and the panel; pages compare their props and
//! stay as they are. Pages get a [`Connection`] (stable across log updates) to build
//! registry clients from.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use wharf_protocol::curl::Exchange;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::Registry;
use yew::prelude::*;

use std::collections::HashMap;

use wharf_protocol::auth::{AuthState, AuthTransport, Credentials, SharedAuth};

use crate::session;
use crate::transport::BrowserTransport;

/// How long exchanges are gathered before the log (and the panel) is updated.
const WIRE_BATCH_MS: u32 = 100;

/// How many exchanges the panel keeps; older ones are dropped.
pub const WIRE_LOG_LIMIT: usize = 2000;

/// The recorded exchanges, oldest first. The list is shared and appended in place, so recording
/// costs O(1) however long the log is; `version` tells the panel that it changed.
#[derive(Default)]
pub struct WireLog {
    entries: Rc<RefCell<VecDeque<Rc<Exchange>>>>,
    version: u64,
}

impl PartialEq for WireLog {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.entries, &other.entries) && self.version == other.version
    }
}

impl WireLog {
    /// How many exchanges are kept.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether nothing was recorded (or all was cleared).
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    /// The newest `limit` exchanges, newest first.
    pub fn newest(&self, limit: usize) -> Vec<Rc<Exchange>> {
        self.entries.borrow().iter().rev().take(limit).cloned().collect()
    }
}

/// Changes to the log.
pub enum WireAction {
    /// New exchanges (gathered for a moment, see [`use_wire`]).
    Record(Vec<Exchange>),
    /// Empty the log.
    Clear,
}

impl Reducible for WireLog {
    type Action = WireAction;

    fn reduce(self: Rc<Self>, action: WireAction) -> Rc<Self> {
        {
            let mut entries = self.entries.borrow_mut();
            match action {
                WireAction::Record(exchanges) => {
                    entries.extend(exchanges.into_iter().map(Rc::new));
                    let excess = entries.len().saturating_sub(WIRE_LOG_LIMIT);
                    entries.drain(..excess);
                }
                WireAction::Clear => entries.clear(),
            }
        }
        Rc::new(WireLog { entries: self.entries.clone(), version: self.version + 1 })
    }
}

/// A registry client as pages use it: fetch, logged in as the session says.
pub type Client = Registry<AuthTransport<BrowserTransport, fn() -> f64>>;

/// Seconds on the browser's clock, for token expiry.
fn seconds_now() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// What pages need to talk to registries: records into the log, and holds each registry's login.
/// `epoch` changes on every login or logout, so loads that depend on it run again.
#[derive(Clone)]
pub struct Connection {
    record: Callback<Exchange>,
    ids: Rc<Cell<u64>>,
    logins: Rc<RefCell<HashMap<RegistryUrl, SharedAuth>>>,
    read_only: Rc<Cell<bool>>,
    /// Bumped by every login and logout.
    pub epoch: u32,
    /// The runtime configuration (one context for both: each context type adds page weight).
    pub config: crate::app::ConfigState,
    bump_epoch: Callback<()>,
}

impl PartialEq for Connection {
    fn eq(&self, other: &Self) -> bool {
        self.epoch == other.epoch && self.config == other.config && Rc::ptr_eq(&self.logins, &other.logins)
    }
}

impl Connection {
    /// A client for `registry`, sharing its login with every other client of it.
    pub fn registry(&self, registry: &RegistryUrl) -> Client {
        let transport = BrowserTransport::new(self.record.clone(), self.ids.clone(), self.read_only.clone());
        Registry::new(
            registry.clone(),
            AuthTransport::new(transport, self.login_state(registry), seconds_now as fn() -> f64, registry),
        )
    }

    fn login_state(&self, registry: &RegistryUrl) -> SharedAuth {
        self.logins
            .borrow_mut()
            .entry(registry.clone())
            .or_insert_with(|| {
                let mut state = AuthState::default();
                state.set_credentials(
                    session::remembered(registry).or_else(|| crate::console::handed_over_login(registry)),
                );
                Rc::new(RefCell::new(state))
            })
            .clone()
    }

    /// A transport without login handling, for probes that must see raw answers (the self-test).
    pub fn raw_transport(&self) -> BrowserTransport {
        BrowserTransport::new(self.record.clone(), self.ids.clone(), self.read_only.clone())
    }

    /// Whether the deployment is read-only (no mutating action shown or sent).
    pub fn read_only(&self) -> bool {
        self.read_only.get()
    }

    /// Switches read-only mode (from the runtime config).
    pub fn set_read_only(&self, read_only: bool) {
        self.read_only.set(read_only);
    }

    /// Every login in use, by registry (handed to the console bundle when it starts).
    pub fn logins(&self) -> Vec<(RegistryUrl, Credentials)> {
        self.logins
            .borrow()
            .iter()
            .filter_map(|(registry, state)| state.borrow().credentials().cloned().map(|c| (registry.clone(), c)))
            .collect()
    }

    /// The user name logged in at `registry`, if any.
    pub fn user(&self, registry: &RegistryUrl) -> Option<String> {
        self.login_state(registry).borrow().credentials().map(|c| c.username.clone())
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

/// The wire log and the [`Connection`] built on it, for the app to provide as contexts. A hook
/// rather than a provider component: each component type adds to the page's weight.
#[hook]
pub fn use_wire(config: crate::app::ConfigState) -> (Connection, UseReducerHandle<WireLog>) {
    let log = use_reducer(WireLog::default);
    let epoch = use_state(|| 0u32);
    let stable = {
        let dispatcher = log.dispatcher();
        use_memo((), move |_| {
            // Exchanges wait up to WIRE_BATCH_MS and go into the log together: a bulk run makes
            // thousands, and a re-render of the shell for each would be the slowest part of it.
            let pending: Rc<RefCell<(Vec<Exchange>, Option<gloo_timers::callback::Timeout>)>> = Rc::default();
            let record = Callback::from(move |exchange| {
                let mut waiting = pending.borrow_mut();
                waiting.0.push(exchange);
                if waiting.1.is_none() {
                    let (pending, dispatcher) = (pending.clone(), dispatcher.clone());
                    waiting.1 = Some(gloo_timers::callback::Timeout::new(WIRE_BATCH_MS, move || {
                        let batch = {
                            let mut waiting = pending.borrow_mut();
                            waiting.1 = None;
                            std::mem::take(&mut waiting.0)
                        };
                        dispatcher.dispatch(WireAction::Record(batch));
                    }));
                }
            });
            (record, Rc::new(Cell::new(0)), Rc::new(RefCell::new(HashMap::new())), Rc::new(Cell::new(false)))
        })
    };
    let connection = Connection {
        record: stable.0.clone(),
        ids: stable.1.clone(),
        logins: stable.2.clone(),
        read_only: stable.3.clone(),
        epoch: *epoch,
        config,
        bump_epoch: {
            let epoch = epoch.clone();
            Callback::from(move |_| epoch.set(*epoch + 1))
        },
    };
    (connection, log)
}

/// The connection the app provides (see [`use_wire`]).
#[hook]
pub fn use_connection() -> Connection {
    use_context::<Connection>().expect("pages are rendered inside the app's Connection context")
}
