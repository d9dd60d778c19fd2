//! The wire log: every exchange the app makes, kept for the wire panel.
//!
//! The log lives in its own provider so that recording an exchange re-renders the panel, not the
//! page that made the request. Pages get a [`Connection`] (stable across log updates) to build
//! registry clients from.

use std::cell::Cell;
use std::rc::Rc;

use wharf_protocol::curl::Exchange;
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::Registry;
use yew::prelude::*;

use crate::transport::{registry_client, BrowserTransport};

/// How many exchanges the panel keeps; older ones are dropped.
pub const WIRE_LOG_LIMIT: usize = 2000;

/// The recorded exchanges, oldest first.
#[derive(Default, PartialEq)]
pub struct WireLog {
    /// The exchanges.
    pub exchanges: Vec<Rc<Exchange>>,
    /// How many were dropped off the front.
    pub dropped: usize,
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
        match action {
            WireAction::Record(exchange) => {
                let mut exchanges = self.exchanges.clone();
                exchanges.push(Rc::new(exchange));
                let mut dropped = self.dropped;
                if exchanges.len() > WIRE_LOG_LIMIT {
                    let excess = exchanges.len() - WIRE_LOG_LIMIT;
                    exchanges.drain(..excess);
                    dropped += excess;
                }
                Rc::new(WireLog { exchanges, dropped })
            }
            WireAction::Clear => Rc::new(WireLog { exchanges: Vec::new(), dropped: self.dropped + self.exchanges.len() }),
        }
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
