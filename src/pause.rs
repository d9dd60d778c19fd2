//! Waiting out a registry's 429 in the browser: the one pacing of every run in the page. A bulk
//! run's items (through the core's [`Throttle`]) and the tag list's glance (directly) each hold a
//! [`BrowserThrottle`]: one [`Pace`] per run, so a pause one request meets holds every request
//! of the run back until the registry's `Retry-After`, and the run goes on with fewer in flight.

use std::cell::RefCell;

use wharf_protocol::pace::{Pace, Throttle, Wait};

/// The pace of one run, shared by its requests.
#[derive(Default)]
pub struct BrowserThrottle {
    pace: RefCell<Pace>,
}

/// Sleeps until `until_ms` (a `Date.now()` time); at once when it has passed.
async fn sleep_until(until_ms: f64) {
    let wait = until_ms - js_sys::Date::now();
    if wait > 0.0 {
        gloo_timers::future::TimeoutFuture::new(wait.ceil() as u32).await;
    }
}

impl BrowserThrottle {
    /// Requests that may be in flight now.
    pub fn limit(&self) -> usize {
        self.pace.borrow().limit()
    }

    /// Until when the run is paused (a `Date.now()` time; past: not paused).
    pub fn paused_until_ms(&self) -> f64 {
        self.pace.borrow().paused_until_ms()
    }

    /// An answer that was not a 429: the run may grow back.
    pub fn passed(&self) {
        self.pace.borrow_mut().passed();
    }

    /// The connection turned out to be multiplexed (HTTP/2 or 3): allow more in flight.
    pub fn multiplexed(&self) {
        self.pace.borrow_mut().multiplexed();
    }

    /// A 429 now, with its `Retry-After`: fewer in flight, and a pause. Returns when it ends.
    pub fn throttled_now(&self, retry_after: Option<&str>) -> f64 {
        self.pace.borrow_mut().throttled(js_sys::Date::now(), retry_after)
    }
}

impl Throttle for BrowserThrottle {
    fn throttled<'a>(&'a self, retry_after: Option<&'a str>) -> Wait<'a> {
        Box::pin(sleep_until(self.throttled_now(retry_after)))
    }

    fn ready(&self) -> Wait<'_> {
        Box::pin(sleep_until(self.paused_until_ms()))
    }
}
