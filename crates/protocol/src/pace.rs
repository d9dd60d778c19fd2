//! How many requests to keep in flight, and when to hold off: the one pacing of every run (the
//! tag list's glance, bulk runs, their dry runs).
//!
//! Browsers allow six connections per HTTP/1.1 host, so more in flight only queues; over HTTP/2
//! one connection carries many streams, and more in flight hides round trips. A 429 halves the
//! concurrency and pauses everything until its `Retry-After`; answers that pass grow it back.
//! [`Pace`] decides; the app's clock waits ([`Throttle`]); a step of a flow that met a 429 asks
//! its [`Retry`] whether to send again.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;

use crate::error::Error;

/// Requests in flight over HTTP/1.1 (the browser's per-host connection limit).
pub const HTTP1_IN_FLIGHT: usize = 6;
/// Requests in flight over a multiplexed connection (HTTP/2 or 3). 64 rather than 32: in the
/// benchmark's 1,000-tag bulk retag over HTTP/2 (same-origin nginx, distribution 2.8, 2 cores)
/// the page took 3.29 s at 64 against 3.56 s at 32, and a bare fetch 2.96 s against 3.17 s: the
/// browser's work per answer overlaps more of the registry's. nginx allows 128 streams.
pub const MULTIPLEXED_IN_FLIGHT: usize = 64;
/// The pause after a 429 that names no `Retry-After`.
pub const DEFAULT_PAUSE_MS: f64 = 1000.0;
/// The longest pause taken on a registry's word.
pub const MAX_PAUSE_MS: f64 = 60_000.0;
/// Successful answers that earn one more request in flight after a 429.
const GROW_AFTER: usize = 20;

/// The concurrency controller of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    limit: usize,
    ceiling: usize,
    paused_until_ms: f64,
    streak: usize,
    throttled: usize,
}

impl Default for Pace {
    fn default() -> Self {
        Pace { limit: HTTP1_IN_FLIGHT, ceiling: HTTP1_IN_FLIGHT, paused_until_ms: 0.0, streak: 0, throttled: 0 }
    }
}

impl Pace {
    /// Requests that may be in flight now.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The connection turned out to be multiplexed (`nextHopProtocol` h2 or h3): allow more.
    pub fn multiplexed(&mut self) {
        if self.ceiling < MULTIPLEXED_IN_FLIGHT {
            self.ceiling = MULTIPLEXED_IN_FLIGHT;
            if self.throttled == 0 {
                self.limit = MULTIPLEXED_IN_FLIGHT;
            }
        }
    }

    /// An answer that was not a 429.
    pub fn passed(&mut self) {
        self.streak += 1;
        if self.streak >= GROW_AFTER && self.limit < self.ceiling {
            self.limit += 1;
            self.streak = 0;
        }
    }

    /// A 429 at `now_ms`, with the `Retry-After` it carried: halves the concurrency and pauses
    /// until the registry's time (bounded). Returns when work may resume.
    pub fn throttled(&mut self, now_ms: f64, retry_after: Option<&str>) -> f64 {
        self.throttled += 1;
        self.streak = 0;
        self.limit = (self.limit / 2).max(1);
        let pause = retry_after.and_then(|v| retry_after_ms(v, now_ms)).unwrap_or(DEFAULT_PAUSE_MS);
        self.paused_until_ms = self.paused_until_ms.max(now_ms + pause.clamp(0.0, MAX_PAUSE_MS));
        self.paused_until_ms
    }

    /// Until when work is paused (0 or a past time: not paused).
    pub fn paused_until_ms(&self) -> f64 {
        self.paused_until_ms
    }

    /// How many 429s this run met.
    pub fn throttled_count(&self) -> usize {
        self.throttled
    }
}

/// A `Retry-After` value as milliseconds from `now_ms`: delay-seconds, or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`). `None` when it is neither.
pub fn retry_after_ms(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(f64::from(seconds) * 1000.0);
    }
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" → the RFC 3339 reader does the arithmetic.
    let mut parts = value.split_ascii_whitespace().skip(1);
    let (day, month, year, clock, zone) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    if zone != "GMT" {
        return None;
    }
    let at = crate::time::parse_rfc3339(&format!("{year}-{month:02}-{day}T{clock}Z"))?;
    Some((at as f64 * 1000.0 - now_ms).max(0.0))
}

/// How often one step (an item's write, its attachments, a dry-run lookup) waits out a 429 before
/// it fails with it.
pub const MAX_THROTTLED_ATTEMPTS: usize = 8;

/// A future of a type only its maker knows.
pub type Wait<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// What a run does when the registry answers 429 Too Many Requests. The core has no clock: the
/// app waits (and shows why), and the step is sent again when the future ends.
pub trait Throttle {
    /// A 429 arrived, with its `Retry-After` if any: the future ends when the run may go on.
    fn throttled<'a>(&'a self, retry_after: Option<&'a str>) -> Wait<'a>;
    /// Before a step starts: ends at once unless a pause is on.
    fn ready(&self) -> Wait<'_>;
}

/// No waiting at all: for runs whose registry never throttles, and for scripted tests.
pub struct NoWait;

impl Throttle for NoWait {
    fn throttled<'a>(&'a self, _: Option<&'a str>) -> Wait<'a> {
        Box::pin(std::future::ready(()))
    }
    fn ready(&self) -> Wait<'_> {
        Box::pin(std::future::ready(()))
    }
}

fn never_stopped() -> bool {
    false
}

/// One item's way through 429s: the run's [`Throttle`], whether the run was stopped, whom to
/// tell about a pause (`Some(why)` as it begins, `None` as the item goes on), and how often this
/// item has waited.
pub struct Retry<'a> {
    throttle: &'a dyn Throttle,
    stopped: &'a dyn Fn() -> bool,
    tell: Box<dyn Fn(Option<String>) + 'a>,
    waits: Cell<usize>,
}

impl<'a> Retry<'a> {
    /// Retries through `throttle` until `stopped()`, telling `tell` of each pause.
    pub fn new(
        throttle: &'a dyn Throttle,
        stopped: &'a dyn Fn() -> bool,
        tell: Box<dyn Fn(Option<String>) + 'a>,
    ) -> Self {
        Retry { throttle, stopped, tell, waits: Cell::new(0) }
    }

    /// Retries through `throttle` until `stopped()`, telling no one (a dry run's lookups).
    pub fn quietly(throttle: &'a dyn Throttle, stopped: &'a dyn Fn() -> bool) -> Self {
        Retry::new(throttle, stopped, Box::new(|_| {}))
    }

    /// Never waits: a 429 fails the step with its advice (a change made from a page, where the
    /// user sees the error and tries again).
    pub fn never() -> Retry<'static> {
        Retry::quietly(&NoWait, &never_stopped)
    }

    /// Whether the run was stopped.
    pub fn stopped(&self) -> bool {
        (self.stopped)()
    }

    /// Waits until no pause is on (before a step starts).
    pub async fn ready(&self) {
        self.throttle.ready().await;
    }

    /// After a failed step: `true` when it was a 429 with attempts left, once its wait is over
    /// (send the step again); `false` for anything else, or when the run was stopped.
    pub async fn again(&self, error: &Error) -> bool {
        if !error.is_throttled() || self.waits.get() >= MAX_THROTTLED_ATTEMPTS || self.stopped() {
            return false;
        }
        self.waits.set(self.waits.get() + 1);
        let asked = match error.retry_after() {
            Some(after) => format!("Retry-After: {after}"),
            None => "no Retry-After".to_string(),
        };
        (self.tell)(Some(format!(
            "the registry answered 429 Too Many Requests ({asked}); the run waits and resumes by itself (attempt {} of \
             {} next)",
            self.waits.get() + 1,
            MAX_THROTTLED_ATTEMPTS + 1
        )));
        self.throttle.throttled(error.retry_after()).await;
        // Stopped during the pause: the step ends with the 429 it met (a retry runs it again).
        if self.stopped() {
            return false;
        }
        (self.tell)(None);
        true
    }

    /// Runs `step` until it succeeds, fails with anything but a 429, or runs out of waits. A
    /// refused step changed nothing, so sending it again is safe.
    pub async fn step<R, F: Future<Output = Result<R, Error>>>(&self, mut step: impl FnMut() -> F) -> Result<R, Error> {
        loop {
            match step().await {
                Err(e) if self.again(&e).await => continue,
                done => return done,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_browser_connection_limit_and_grows_when_multiplexed() {
        let mut pace = Pace::default();
        assert_eq!(pace.limit(), HTTP1_IN_FLIGHT);
        pace.multiplexed();
        assert_eq!(pace.limit(), MULTIPLEXED_IN_FLIGHT);
    }

    #[test]
    fn a_429_halves_and_pauses_until_retry_after_then_grows_back() {
        let mut pace = Pace::default();
        pace.multiplexed();
        assert_eq!(pace.throttled(10_000.0, Some("2")), 12_000.0);
        assert_eq!(pace.limit(), MULTIPLEXED_IN_FLIGHT / 2);
        // A second 429 during the pause never shortens it.
        assert_eq!(pace.throttled(10_500.0, Some("0")), 12_000.0);
        assert_eq!(pace.limit(), MULTIPLEXED_IN_FLIGHT / 4);
        assert_eq!(pace.throttled_count(), 2);
        for _ in 0..GROW_AFTER {
            pace.passed();
        }
        assert_eq!(pace.limit(), MULTIPLEXED_IN_FLIGHT / 4 + 1);
        // Multiplexing found later does not undo the registry's request to slow down.
        pace.multiplexed();
        assert_eq!(pace.limit(), MULTIPLEXED_IN_FLIGHT / 4 + 1);
    }

    #[test]
    fn pauses_are_bounded_and_default_when_unreadable() {
        let mut pace = Pace::default();
        assert_eq!(pace.throttled(0.0, Some("soon")), DEFAULT_PAUSE_MS);
        assert_eq!(pace.throttled(0.0, Some("86400")), MAX_PAUSE_MS);
        assert_eq!(pace.limit(), 1);
    }

    #[test]
    fn reads_both_retry_after_forms() {
        assert_eq!(retry_after_ms("17", 0.0), Some(17_000.0));
        let now = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(retry_after_ms("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(10_000.0));
        assert_eq!(retry_after_ms("Sun, 06 Nov 1994 08:49:27 GMT", now), Some(0.0));
        assert_eq!(retry_after_ms("Sun, 06 Nov 1994 08:49:47 PST", now), None);
        assert_eq!(retry_after_ms("-3", now), None);
    }
}
