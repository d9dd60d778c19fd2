//! One runner for every many-item change: a bulk promotion's retags and copies today, a clean-up's
//! tag deletes next. Each item is one of the single-item flows ([`crate::retag`],
//! [`crate::copy`], [`crate::delete`]) ending in [`Finished`]; the runner only schedules them: a
//! few at a time, no new item once stopped, a pause for every item while the registry asks for
//! one (each item's [`Retry`] waits out its 429s and sends the refused step again), each item's
//! state and journal entries handed over the moment it ends, and items never started said so. A
//! retry of failed items is a run of those items again.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use crate::error::Error;
use crate::flow::Finished;
use crate::journal::Entry;
use crate::pace::{Retry, Throttle};
use crate::state::Stored;

/// Items in flight at once unless the user picks another number: what a browser runs at once to
/// one HTTP/1.1 origin (six connections; more would only queue).
pub const DEFAULT_CONCURRENCY: usize = crate::pace::HTTP1_IN_FLIGHT;
/// The most the form allows: what one multiplexed (HTTP/2 or 3) connection carries well.
pub const MAX_CONCURRENCY: usize = crate::pace::MULTIPLEXED_IN_FLIGHT;

/// How an item ended, or where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    /// Waiting for a free slot.
    Waiting,
    /// Being sent.
    Running,
    /// Stored: verified against the source digest, or unverifiable (header hidden). A registry
    /// that answers another digest makes the item [`ItemState::Failed`].
    Done(Stored),
    /// Nothing to do: the target already holds the image, or the source tag vanished.
    Skipped(String),
    /// It failed; the target is as it was or, for a copy, holds only blobs (no manifest).
    Failed(Error),
    /// Never started: the run was cancelled or stopped first.
    NotStarted,
    /// Waiting because the registry answered 429; it goes on by itself. Says what the registry
    /// asked for.
    Paused(String),
}

impl ItemState {
    /// Whether a retry should run it again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ItemState::Failed(_) | ItemState::NotStarted | ItemState::Waiting | ItemState::Paused(_))
    }
}

/// An item's flow, as [`run`] starts it: it ends with the item's state and journal entries.
pub type ItemFlow<'a> = Pin<Box<dyn Future<Output = Finished<ItemState>> + 'a>>;

/// Runs the items at `indices`, `concurrency` at a time: `work(i, retry)` is item `i`'s flow.
/// `stopped()` is read before each item starts; `report(i, state, entries)` is told every change,
/// with the journal entries of an item that ended (handed over at once, so a run that is stopped
/// or left keeps what it did). Items not started end `NotStarted`. An item the registry answers
/// 429 is reported [`ItemState::Paused`] while its `retry` waits, and no item starts while a
/// pause is on.
pub async fn run<'a>(
    indices: &[usize],
    concurrency: usize,
    stopped: &'a dyn Fn() -> bool,
    throttle: &'a dyn Throttle,
    report: &'a dyn Fn(usize, ItemState, Vec<Entry>),
    work: &dyn Fn(usize, Retry<'a>) -> ItemFlow<'a>,
) {
    let started = for_each_bounded(indices.len(), concurrency, stopped, |n| {
        let i = indices[n];
        async move {
            throttle.ready().await;
            // Stopped while a pause held this item back: it never started.
            if stopped() {
                report(i, ItemState::NotStarted, Vec::new());
                return;
            }
            report(i, ItemState::Running, Vec::new());
            let tell =
                move |pause: Option<String>| report(i, pause.map_or(ItemState::Running, ItemState::Paused), Vec::new());
            let finished = work(i, Retry::new(throttle, stopped, Box::new(tell))).await;
            report(i, finished.outcome.unwrap_or_else(ItemState::Failed), finished.journal);
        }
    })
    .await;
    for &i in &indices[started..] {
        report(i, ItemState::NotStarted, Vec::new());
    }
}

/// Runs `work(i)` for `i` in `0..count`, at most `concurrency` at a time, in order of `i`; stops
/// starting new ones once `stop()` says so. Returns how many were started.
pub async fn for_each_bounded<F, Fut>(count: usize, concurrency: usize, stop: &dyn Fn() -> bool, work: F) -> usize
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    bounded(count, concurrency, stop, &|i| Box::pin(work(i))).await
}

/// A future of a type only its maker knows.
type Boxed<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// [`for_each_bounded`] with the work boxed: the workers and their join exist once in the
/// bundle, whatever the work.
async fn bounded<'a>(
    count: usize,
    concurrency: usize,
    stop: &'a dyn Fn() -> bool,
    work: &'a dyn Fn(usize) -> Boxed<'a>,
) -> usize {
    let next = &Cell::new(0usize);
    let workers = (0..concurrency.clamp(1, count.max(1)))
        .map(|_| {
            Box::pin(async move {
                loop {
                    let i = next.get();
                    if i >= count || stop() {
                        return;
                    }
                    next.set(i + 1);
                    work(i).await;
                }
            }) as Boxed<'_>
        })
        .collect();
    JoinAll::new(workers).await;
    next.get()
}

/// Runs every future to its end, polling a future only when it was woken (and once at the
/// start). Each future gets a waker of its own that notes which one it is: a bulk run keeps up
/// to 64 items in flight, and polling all of them whenever one answer arrived walked 63 pending
/// request chains per answer (the benchmark's CPU profile: most of the page's own wasm time in a
/// 1,000-item run).
struct JoinAll<'a> {
    slots: Vec<Option<Boxed<'a>>>,
    wakers: Vec<Waker>,
    woken: Arc<Mutex<Woken>>,
    running: usize,
}

/// Which futures were woken since the last poll, and the waker of the task that polls them.
#[derive(Default)]
struct Woken {
    slots: Vec<usize>,
    task: Option<Waker>,
}

/// The waker of one future of a [`JoinAll`].
struct SlotWaker {
    slot: usize,
    woken: Arc<Mutex<Woken>>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let task = {
            let mut woken = lock(&self.woken);
            // Already noted: the task was woken then, and polls this future once.
            if woken.slots.contains(&self.slot) {
                return;
            }
            woken.slots.push(self.slot);
            woken.task.clone()
        };
        // Outside the lock: a task's waker may poll at once on some executors.
        if let Some(task) = task {
            task.wake();
        }
    }
}

/// The lock, even after a panic elsewhere while it was held (it guards a plain list).
fn lock(woken: &Mutex<Woken>) -> std::sync::MutexGuard<'_, Woken> {
    woken.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<'a> JoinAll<'a> {
    fn new(futures: Vec<Boxed<'a>>) -> Self {
        let count = futures.len();
        let woken = Arc::new(Mutex::new(Woken { slots: (0..count).collect(), task: None }));
        let wakers = (0..count).map(|slot| Waker::from(Arc::new(SlotWaker { slot, woken: woken.clone() }))).collect();
        JoinAll { slots: futures.into_iter().map(Some).collect(), wakers, woken, running: count }
    }
}

impl Future for JoinAll<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        // The task's waker is noted before the woken list is taken: a future woken from here on
        // wakes the task again, and is polled then (never here in a loop: a future that wakes
        // itself would keep this poll from ever returning).
        let woken = {
            let mut woken = lock(&this.woken);
            if !woken.task.as_ref().is_some_and(|task| task.will_wake(cx.waker())) {
                woken.task = Some(cx.waker().clone());
            }
            std::mem::take(&mut woken.slots)
        };
        for slot in woken {
            // A future woken after it ended is not polled.
            let Some(future) = this.slots[slot].as_mut() else { continue };
            if future.as_mut().poll(&mut Context::from_waker(&this.wakers[slot])).is_ready() {
                this.slots[slot] = None;
                this.running -= 1;
            }
        }
        if this.running == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn bounded_runs_keep_to_the_limit_and_stop_when_told() {
        let in_flight = Cell::new(0usize);
        let most = Cell::new(0usize);
        let done = RefCell::new(Vec::new());
        let stop_after = Cell::new(usize::MAX);
        let started = pollster::block_on(for_each_bounded(10, 3, &|| done.borrow().len() >= stop_after.get(), |i| {
            let (in_flight, most, done) = (&in_flight, &most, &done);
            async move {
                in_flight.set(in_flight.get() + 1);
                most.set(most.get().max(in_flight.get()));
                YieldOnce(false).await;
                in_flight.set(in_flight.get() - 1);
                done.borrow_mut().push(i);
            }
        }));
        assert_eq!(started, 10);
        assert_eq!(most.get(), 3, "three workers overlapped, never more");
        assert_eq!(done.borrow().len(), 10);

        done.borrow_mut().clear();
        stop_after.set(4);
        let started = pollster::block_on(for_each_bounded(10, 2, &|| done.borrow().len() >= stop_after.get(), |i| {
            let done = &done;
            async move {
                YieldOnce(false).await;
                done.borrow_mut().push(i);
            }
        }));
        assert!((4..=5).contains(&started), "stopped starting new items: {started}");
    }

    #[test]
    fn only_the_futures_that_were_woken_are_polled_again() {
        let polls = RefCell::new(vec![0usize; 4]);
        let gates: Vec<Rc<Gate>> = (0..4).map(|_| Rc::default()).collect();
        let futures: Vec<Boxed<'_>> = (0..4)
            .map(|i| {
                let (polls, gate) = (&polls, gates[i].clone());
                Box::pin(std::future::poll_fn(move |cx| {
                    polls.borrow_mut()[i] += 1;
                    gate.poll(cx)
                })) as Boxed<'_>
            })
            .collect();
        let mut join = JoinAll::new(futures);
        let task_woken = Arc::new(Flag::default());
        let task = Waker::from(task_woken.clone());
        let mut cx = Context::from_waker(&task);
        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        assert_eq!(*polls.borrow(), [1, 1, 1, 1], "each polled once at the start");

        gates[2].open();
        assert!(task_woken.0.load(std::sync::atomic::Ordering::SeqCst), "a future's wake wakes the task");
        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        assert_eq!(*polls.borrow(), [1, 1, 2, 1], "only the one woken, and it ended");

        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        assert_eq!(*polls.borrow(), [1, 1, 2, 1], "nothing woken, nothing polled");

        for gate in [&gates[0], &gates[1], &gates[3]] {
            gate.open();
        }
        assert!(Pin::new(&mut join).poll(&mut cx).is_ready(), "every future ended");
        assert_eq!(*polls.borrow(), [2, 2, 2, 2]);
    }

    /// Pending until opened; opening wakes whoever polled it.
    #[derive(Default)]
    struct Gate {
        open: Cell<bool>,
        waker: RefCell<Option<Waker>>,
    }

    impl Gate {
        fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
            if self.open.get() {
                return Poll::Ready(());
            }
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }

        fn open(&self) {
            self.open.set(true);
            if let Some(waker) = self.waker.borrow_mut().take() {
                waker.wake();
            }
        }
    }

    /// A task waker that notes it was woken.
    #[derive(Default)]
    struct Flag(std::sync::atomic::AtomicBool);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Pending once, then ready: lets the other workers run.
    struct YieldOnce(bool);
    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            if self.0 {
                std::task::Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }
    }
}
