//! The wire log: every exchange the page makes in its life, whatever page is open, kept for the
//! wire panel.
//!
//! Recording an exchange re-renders the app shell and the panel; pages compare their props and
//! stay as they are.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wharf_protocol::curl::Exchange;
use yew::prelude::*;

/// How long exchanges are gathered before the log (and the panel) is updated.
const WIRE_BATCH_MS: u32 = 250;

/// A safety cap on the exchanges kept (a few hundred bytes each, no bodies): far above what a
/// session makes (a bulk run of 1,000 tags makes about 2,000), so the log holds the page's whole
/// life in practice; past it the oldest go.
pub const WIRE_LOG_LIMIT: usize = 100_000;

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

/// The wire log and the callback that records into it, for the app shell. Exchanges wait up to
/// [`WIRE_BATCH_MS`] and go into the log together: a bulk run makes thousands, and a re-render of
/// the shell for each would be the slowest part of it.
#[hook]
pub fn use_wire_log() -> (Callback<Exchange>, UseReducerHandle<WireLog>) {
    let log = use_reducer(WireLog::default);
    let record = {
        let dispatcher = log.dispatcher();
        use_memo((), move |_| {
            let pending: Rc<RefCell<(Vec<Exchange>, Option<gloo_timers::callback::Timeout>)>> = Rc::default();
            Callback::from(move |exchange| {
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
            })
        })
    };
    ((*record).clone(), log)
}
