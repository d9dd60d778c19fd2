//! The wire log: every exchange the app makes, kept for the wire panel.
//!
//! The log lives in its own provider so that recording an exchange re-renders the panel, not the
//! page that made the request. Pages get a [`Connection`] (stable across log updates) to build
//! registry clients from.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use wharf_protocol::curl::Exchange;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::Registry;
use yew::prelude::*;

use crate::transport::{registry_client, BrowserTransport};

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
    /// A new exchange.
    Record(Exchange),
    /// Empty the log.
    Clear,
}

impl Reducible for WireLog {
    type Action = WireAction;

    fn reduce(self: Rc<Self>, action: WireAction) -> Rc<Self> {
        {
            let mut entries = self.entries.borrow_mut();
            match action {
                WireAction::Record(exchange) => {
                    entries.push_back(Rc::new(exchange));
                    if entries.len() > WIRE_LOG_LIMIT {
                        entries.pop_front();
                    }
                }
                WireAction::Clear => entries.clear(),
            }
        }
        Rc::new(WireLog { entries: self.entries.clone(), version: self.version + 1 })
    }
}

/// What pages need to talk to registries: a stable handle that records into the log.
#[derive(Clone, PartialEq)]
pub struct Connection {
    record: Callback<Exchange>,
    ids: Rc<Cell<u64>>,
}

impl Connection {
    /// A client for `registry`.
    pub fn registry(&self, registry: &RegistryUrl) -> Registry<BrowserTransport> {
        registry_client(registry, self.record.clone(), self.ids.clone())
    }
}

/// Children of [`WireProvider`].
#[derive(Properties, PartialEq)]
pub struct WireProviderProps {
    /// The app.
    pub children: Html,
}

/// Owns the log; provides [`Connection`] and the log handle.
#[component]
pub fn WireProvider(props: &WireProviderProps) -> Html {
    let log = use_reducer(WireLog::default);
    let connection = {
        let dispatcher = log.dispatcher();
        use_memo((), move |_| Connection {
            record: Callback::from(move |exchange| dispatcher.dispatch(WireAction::Record(exchange))),
            ids: Rc::new(Cell::new(0)),
        })
    };
    html! {
        <ContextProvider<Connection> context={(*connection).clone()}>
            <ContextProvider<UseReducerHandle<WireLog>> context={log}>
                { props.children.clone() }
            </ContextProvider<UseReducerHandle<WireLog>>>
        </ContextProvider<Connection>>
    }
}

/// The connection from the nearest [`WireProvider`].
#[hook]
pub fn use_connection() -> Connection {
    use_context::<Connection>().expect("pages are rendered inside WireProvider")
}
