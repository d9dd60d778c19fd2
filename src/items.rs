//! A many-item run in a flow, as every page with one shows it (the bulk panel, the clean-up):
//! each item's state kept, the item table redrawn at most every [`REDRAW_MS`] (more rarely for
//! long lists), each item's journal entries recorded the moment it ends, User Timing marks where
//! a run starts, pauses and ends.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wharf_protocol::flow::Finished;
use wharf_protocol::journal::Entry;
use wharf_protocol::runner::ItemState;

use crate::connection::transport::performance_mark;
use crate::flow::{FlowHandle, Reporter};

/// Every item's state, as last shown.
pub type States = Rc<Vec<ItemState>>;

/// A flow whose run is a list of items.
pub type ItemsFlow<P> = FlowHandle<P, States, Vec<ItemState>>;

/// The item table redraws at most this often during a run: a thousand rows re-rendered per item
/// would be the slow part.
pub const REDRAW_MS: u32 = 250;
/// Items per extra millisecond between redraws: a redraw's style and layout grow with the table,
/// and a thousand-row table costs ~30 ms each time, main-thread time in which the answers that
/// arrived wait to be read (the benchmark's CPU profile: a 1,000-item run redrawn every 250 ms
/// spent ~0.5 s more in the browser's own work than one not redrawn). 1,000 items redraw every
/// 750 ms.
const REDRAW_ITEMS_PER_MS: usize = 2;

/// What a running list of items reports through.
pub struct Items {
    states: RefCell<Vec<ItemState>>,
    reporter: Reporter<States>,
    redraw: RefCell<Option<Timeout>>,
    /// The name in the User Timing marks (`wharf:<name>-paused`).
    name: &'static str,
}

impl Items {
    /// Whether the user asked the run to stop (read before each item starts).
    pub fn stopped(&self) -> bool {
        self.reporter.stopped()
    }

    /// Item `i` is now in `state`; `entries` are its journal entries (recorded now).
    pub fn report(self: &Rc<Self>, i: usize, state: ItemState, entries: Vec<Entry>) {
        // The tests (and the performance panel) count the pauses a run met.
        if matches!(state, ItemState::Paused(_)) {
            performance_mark(&format!("wharf:{}-paused", self.name));
        }
        self.states.borrow_mut()[i] = state;
        self.reporter.journal(entries);
        if self.redraw.borrow().is_none() {
            let this = self.clone();
            let wait = REDRAW_MS + (self.states.borrow().len() / REDRAW_ITEMS_PER_MS) as u32;
            *self.redraw.borrow_mut() = Some(Timeout::new(wait, move || {
                this.redraw.borrow_mut().take();
                this.reporter.progress(Rc::new(this.states.borrow().clone()));
            }));
        }
    }
}

/// Runs the items at `indices` of `plan`, every other item keeping its state from `states`:
/// `work(plan, indices, items)` runs them and reports through `items`. `name` names the marks
/// `wharf:<name>-start`, `-paused` and `-done`.
pub fn run_items<P: 'static, F>(
    flow: &ItemsFlow<P>,
    plan: Rc<P>,
    mut states: Vec<ItemState>,
    indices: Vec<usize>,
    name: &'static str,
    work: impl FnOnce(Rc<P>, Vec<usize>, Rc<Items>) -> F + 'static,
) where
    F: Future<Output = ()> + 'static,
{
    for &i in &indices {
        states[i] = ItemState::Waiting;
    }
    let initial = Rc::new(states.clone());
    flow.run(plan, initial, move |plan, reporter| async move {
        let items = Rc::new(Items { states: RefCell::new(states), reporter, redraw: RefCell::default(), name });
        performance_mark(&format!("wharf:{name}-start"));
        work(plan, indices, items.clone()).await;
        items.redraw.borrow_mut().take();
        performance_mark(&format!("wharf:{name}-done"));
        let states = items.states.borrow().clone();
        // Each item's entries were recorded as it ended.
        Finished { outcome: Ok(states), journal: Vec::new() }
    });
}
