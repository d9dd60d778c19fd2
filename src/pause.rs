//! Waiting out a registry's 429 in the browser: the bulk runner's [`Throttle`]. One [`Pace`] per
//! run, so a pause one item meets holds every item back until the registry's `Retry-After`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use wharf_protocol::bulk::Throttle;
use wharf_protocol::pace::Pace;

/// The pace of one run, shared by its items.
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

impl Throttle for BrowserThrottle {
    fn throttled<'a>(&'a self, retry_after: Option<&'a str>) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        let until = self.pace.borrow_mut().throttled(js_sys::Date::now(), retry_after);
        Box::pin(sleep_until(until))
    }

    fn ready(&self) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        Box::pin(sleep_until(self.pace.borrow().paused_until_ms()))
    }
}
