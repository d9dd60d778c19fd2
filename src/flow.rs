//! One hook for every page that changes a registry: a flow's state in a reducer.
//!
//! A page plans (the core looks things up), shows the plan, runs it, and renders the report. The
//! core decides what succeeded and what to journal (`wharf_protocol::flow::Finished`); this hook
//! only moves the state along and hands the report's journal entries to the journal store, so no
//! page decides either. Answers from an older plan (the user typed on, or cancelled) are dropped:
//! every plan has a generation, and the reducer ignores actions of another one. A run can be
//! stopped ([`FlowHandle::stop`]): the work reads [`Reporter::stopped`] (a many-item run starts no
//! new item), and the state says it is stopping until the run ends.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use wharf_protocol::flow::Finished;
use wharf_protocol::journal::Entry;
use wharf_protocol::Error;
use yew::prelude::*;

use crate::connection::transport::performance_mark;
use crate::journal_store::{use_journal, JournalStore};

/// Where a flow stands. `P` is its plan, `G` its progress, `R` its report.
#[derive(Debug)]
pub enum FlowState<P, G, R> {
    /// Nothing planned.
    Idle,
    /// Looking up what the plan needs.
    Planning,
    /// Planned: shown for confirmation (or as a dry run).
    Planned(Rc<P>),
    /// The user declined: nothing was sent.
    Cancelled(Rc<P>),
    /// Being sent.
    Running(Rc<P>, G),
    /// Ended with a report.
    Done(Rc<P>, Rc<R>),
    /// Planning or running failed.
    Failed(Error),
}

/// How long a run goes before the page shows it running.
const RUNNING_SHOWN_AFTER_MS: u32 = 100;

/// A flow's state and the generation its actions must carry.
pub struct Flow<P, G, R> {
    /// Where it stands.
    pub state: FlowState<P, G, R>,
    /// Stop was asked for while it runs.
    pub stopping: bool,
    generation: u64,
}

/// What moves a flow along.
pub enum FlowAction<P, G, R> {
    /// A new plan is being looked up (generation `n`).
    Planning(u64),
    /// The lookup ended.
    Planned(u64, Result<P, Error>),
    /// The user declined the plan.
    Cancel,
    /// The plan is being sent.
    Start(u64, Rc<P>, G),
    /// Progress while sending.
    Progress(u64, G),
    /// The run ended.
    Finished(u64, Result<R, Error>),
    /// Back to nothing planned (a new generation).
    Reset(u64),
    /// The user asked the run to stop.
    Stop(u64),
}

impl<P, G: Clone, R> Reducible for Flow<P, G, R> {
    type Action = FlowAction<P, G, R>;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        let current = self.generation;
        let next = |generation, state| Rc::new(Flow { state, stopping: false, generation });
        match action {
            FlowAction::Planning(n) => next(n, FlowState::Planning),
            FlowAction::Reset(n) => next(n, FlowState::Idle),
            FlowAction::Planned(n, result) if n == current => next(
                n,
                match result {
                    Ok(plan) => FlowState::Planned(Rc::new(plan)),
                    Err(e) => FlowState::Failed(e),
                },
            ),
            // A plan shown has no answer under way: the generation stays.
            FlowAction::Cancel => match &self.state {
                FlowState::Planned(plan) => next(current, FlowState::Cancelled(plan.clone())),
                _ => self,
            },
            // A start shown late (see `RUNNING_SHOWN_AFTER_MS`) never undoes a newer reset or plan.
            FlowAction::Start(n, plan, progress) if n >= current => next(n, FlowState::Running(plan, progress)),
            FlowAction::Progress(n, progress) if n == current => match &self.state {
                FlowState::Running(plan, _) => Rc::new(Flow {
                    state: FlowState::Running(plan.clone(), progress),
                    stopping: self.stopping,
                    generation: n,
                }),
                _ => self,
            },
            FlowAction::Stop(n) if n == current => match &self.state {
                FlowState::Running(plan, progress) => Rc::new(Flow {
                    state: FlowState::Running(plan.clone(), progress.clone()),
                    stopping: true,
                    generation: n,
                }),
                _ => self,
            },
            FlowAction::Finished(n, result) if n == current => match (&self.state, result) {
                (FlowState::Running(plan, _), Ok(report)) => next(n, FlowState::Done(plan.clone(), Rc::new(report))),
                (_, Err(e)) => next(n, FlowState::Failed(e)),
                _ => self,
            },
            // An answer for an older generation.
            _ => self,
        }
    }
}

/// What a running flow reports through: progress to show, and journal entries to record at once
/// (a bulk run hands over each item's entry as the item ends).
pub struct Reporter<G> {
    progress: Callback<G>,
    journal: JournalStore,
    stop: Rc<Cell<bool>>,
}

impl<G> Reporter<G> {
    /// Shows progress.
    pub fn progress(&self, progress: G) {
        self.progress.emit(progress);
    }

    /// Whether the user asked the run to stop.
    pub fn stopped(&self) -> bool {
        self.stop.get()
    }

    /// The stop flag itself, for work that hands it on (a runner reads it before each item).
    pub fn stop_flag(&self) -> Rc<Cell<bool>> {
        self.stop.clone()
    }

    /// Records entries now.
    pub fn journal(&self, changes: Vec<Entry>) {
        self.journal.record(changes);
    }
}

/// A flow and the intents a page has for it.
pub struct FlowHandle<P: 'static, G: Clone + 'static, R: 'static> {
    flow: UseReducerHandle<Flow<P, G, R>>,
    generations: Rc<Cell<u64>>,
    journal: JournalStore,
    /// The stop flag of the run under way (a new one per run).
    stop: Rc<RefCell<Rc<Cell<bool>>>>,
    /// A run is under way (set at once, before the page shows it).
    running: Rc<Cell<bool>>,
}

impl<P, G: Clone, R> Clone for FlowHandle<P, G, R> {
    fn clone(&self) -> Self {
        FlowHandle {
            flow: self.flow.clone(),
            generations: self.generations.clone(),
            journal: self.journal.clone(),
            stop: self.stop.clone(),
            running: self.running.clone(),
        }
    }
}

impl<P: 'static, G: Clone + 'static, R: 'static> FlowHandle<P, G, R> {
    /// Where the flow stands.
    pub fn state(&self) -> &FlowState<P, G, R> {
        &self.flow.state
    }

    /// Which plan or run the state belongs to: a new one for each. A report keyed by it is a new
    /// element for each run, not the last run's element patched in place, so whatever the
    /// browser (or a person's assistive technology) knew of the old result is not carried over.
    pub fn run_id(&self) -> u64 {
        self.flow.generation
    }

    /// Whether the user asked the run under way to stop.
    pub fn stopping(&self) -> bool {
        self.flow.stopping
    }

    /// Asks the run under way to stop: its work sees [`Reporter::stopped`].
    pub fn stop(&self) {
        self.stop.borrow().set(true);
        self.flow.dispatch(FlowAction::Stop(self.generations.get()));
    }

    /// Whether a lookup or a run is under way.
    pub fn busy(&self) -> bool {
        self.running.get() || matches!(self.flow.state, FlowState::Planning | FlowState::Running(..))
    }

    fn next_generation(&self) -> u64 {
        self.generations.set(self.generations.get() + 1);
        self.generations.get()
    }

    /// Looks up a plan to show; a newer plan or a reset makes this one's answer count for nothing.
    pub fn plan(&self, lookup: impl Future<Output = Result<P, Error>> + 'static) {
        self.plan_or_send(lookup, |_| true, |_, _| {});
    }

    /// Looks up a plan, then shows it when `ask(plan)` says the user must confirm it, or hands
    /// it to `send` at once (a retag or copy that moves no tag goes straight on).
    pub fn plan_or_send(
        &self,
        lookup: impl Future<Output = Result<P, Error>> + 'static,
        ask: fn(&P) -> bool,
        send: impl FnOnce(&Self, Rc<P>) + 'static,
    ) {
        let generation = self.begin_planning();
        let handle = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let looked_up = lookup.await;
            handle.decide(generation, looked_up, ask, send);
        });
    }

    /// [`FlowHandle::plan_or_send`] for a plan that needed no lookup (or was looked up already).
    /// A plan that needs no confirmation is sent at once, with no state in between.
    pub fn show_or_send(&self, plan: P, ask: fn(&P) -> bool, send: impl FnOnce(&Self, Rc<P>)) {
        if ask(&plan) {
            let generation = self.begin_planning();
            self.flow.dispatch(FlowAction::Planned(generation, Ok(plan)));
        } else {
            send(self, Rc::new(plan));
        }
    }

    /// Shows `plan` without a lookup (a plan that needed none).
    pub fn show(&self, plan: P) {
        self.show_or_send(plan, |_| true, |_, _| {});
    }

    fn begin_planning(&self) -> u64 {
        let generation = self.next_generation();
        self.flow.dispatch(FlowAction::Planning(generation));
        generation
    }

    /// Sends a plan that needs no confirmation, while it is still the newest; shows the others.
    fn decide(&self, generation: u64, plan: Result<P, Error>, ask: fn(&P) -> bool, send: impl FnOnce(&Self, Rc<P>)) {
        match plan {
            Ok(plan) if !ask(&plan) && self.generations.get() == generation => send(self, Rc::new(plan)),
            result => self.flow.dispatch(FlowAction::Planned(generation, result)),
        }
    }

    /// Runs `plan`: `work` gets a [`Reporter`] and ends with the core's [`Finished`], whose
    /// journal entries are recorded here, whatever the page does next.
    pub fn run<F>(&self, plan: Rc<P>, initial: G, work: impl FnOnce(Rc<P>, Reporter<G>) -> F)
    where
        F: Future<Output = Finished<R>> + 'static,
    {
        // One run at a time: a second click before the page shows the first running is ignored.
        if self.running.replace(true) {
            return;
        }
        performance_mark("wharf:flow-run");
        let generation = self.next_generation();
        let dispatcher = self.flow.dispatcher();
        let progress = {
            let dispatcher = dispatcher.clone();
            Callback::from(move |g| dispatcher.dispatch(FlowAction::Progress(generation, g)))
        };
        let journal = self.journal.clone();
        let stop = Rc::new(Cell::new(false));
        *self.stop.borrow_mut() = stop.clone();
        let running = work(plan.clone(), Reporter { progress, journal: journal.clone(), stop });
        // "Running" is shown only if the run is still under way after a moment: a retag that ends
        // in 15 ms would otherwise re-render the page while its requests are out, and the frame
        // that render asks for lands as their answers arrive (the benchmark's retag breakdown:
        // the GET's answer read ~0.5 ms later, the result's render twice as long). Whatever is
        // on screen (a plan, the previous retag's result) stays for that moment. A retry (the
        // plan whose report is on screen, run again) shows it at once: that report must not
        // stand for the new run, even briefly.
        let retry = matches!(&self.flow.state, FlowState::Done(shown, _) if Rc::ptr_eq(shown, &plan));
        let start: Rc<RefCell<Option<FlowAction<P, G, R>>>> =
            Rc::new(RefCell::new(Some(FlowAction::Start(generation, plan, initial))));
        let show_running = (!retry).then(|| {
            let (start, dispatcher) = (start.clone(), dispatcher.clone());
            gloo_timers::callback::Timeout::new(RUNNING_SHOWN_AFTER_MS, move || {
                if let Some(action) = start.borrow_mut().take() {
                    dispatcher.dispatch(action);
                }
            })
        });
        let busy = self.running.clone();
        let start_now = start.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let finished = running.await;
            performance_mark("wharf:flow-finished");
            drop(show_running);
            if let Some(action) = start.borrow_mut().take() {
                dispatcher.dispatch(action);
            }
            busy.set(false);
            // The report renders first; the entries are handed over right after (kept at once,
            // written to the browser's store by a task queued behind the render).
            dispatcher.dispatch(FlowAction::Finished(generation, finished.outcome));
            journal.record(finished.journal);
        });
        if retry {
            // After the work is queued, as yew renders on the same queue: the first request
            // still leaves before the page re-renders.
            if let Some(action) = start_now.borrow_mut().take() {
                self.flow.dispatch(action);
            }
        }
    }

    /// The user declined the plan shown.
    pub fn cancel(&self) {
        self.flow.dispatch(FlowAction::Cancel);
    }

    /// Back to nothing planned; answers still under way are dropped.
    pub fn reset(&self) {
        let generation = self.next_generation();
        self.flow.dispatch(FlowAction::Reset(generation));
    }
}

/// A flow for one page (or one row).
#[hook]
pub fn use_flow<P: 'static, G: Clone + 'static, R: 'static>() -> FlowHandle<P, G, R> {
    let flow = use_reducer(|| Flow { state: FlowState::Idle, stopping: false, generation: 0 });
    let shared = use_memo((), |_| {
        (Rc::new(Cell::new(0u64)), Rc::new(RefCell::new(Rc::new(Cell::new(false)))), Rc::new(Cell::new(false)))
    });
    FlowHandle {
        flow,
        generations: shared.0.clone(),
        journal: use_journal(),
        stop: shared.1.clone(),
        running: shared.2.clone(),
    }
}
