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
use std::task::{Context, Poll};

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
            Some(Box::pin(async move {
                loop {
                    let i = next.get();
                    if i >= count || stop() {
                        return;
                    }
                    next.set(i + 1);
                    work(i).await;
                }
            }) as Boxed<'_>)
        })
        .collect();
    JoinAll(workers).await;
    next.get()
}

/// Runs every future to its end. Each time the task wakes, every future still running is polled
/// in order: a handful of workers, so that is cheap, and it is the order `futures`' `join_all`
/// polls a short list in.
struct JoinAll<'a>(Vec<Option<Boxed<'a>>>);

impl Future for JoinAll<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut running = false;
        for slot in self.0.iter_mut() {
            if let Some(future) = slot {
                if future.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    running = true;
                }
            }
        }
        if running {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

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
