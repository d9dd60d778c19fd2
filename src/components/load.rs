//! Loading data for a view: one async load per set of dependencies, late answers for an older
//! set ignored, and a reload callback.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use wharf_protocol::Error;
use yew::prelude::*;

/// Where a load stands.
#[derive(Debug, PartialEq)]
pub enum Load<T> {
    /// Under way.
    Loading,
    /// Done.
    Ready(T),
    /// Failed.
    Failed(Error),
}

/// Runs `load(deps)` whenever `deps` change (and on reload); returns the state and a reload
/// callback. Results of superseded loads are dropped.
#[hook]
pub fn use_load<D, T, F, Fut>(deps: D, load: F) -> (Rc<Load<T>>, Callback<()>)
where
    D: PartialEq + Clone + 'static,
    T: 'static,
    F: FnOnce(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, Error>> + 'static,
{
    let state = use_state(|| Rc::new(Load::Loading));
    let generation: Rc<RefCell<u64>> = use_mut_ref(|| 0);
    let reloads = use_state(|| 0u32);
    // A login or logout changes what the registry will answer: load again.
    let login_epoch = crate::connection::use_connection().epoch;
    {
        let state = state.clone();
        use_effect_with((deps, *reloads, login_epoch), move |(deps, _, _)| {
            *generation.borrow_mut() += 1;
            let mine = *generation.borrow();
            state.set(Rc::new(Load::Loading));
            let future = load(deps.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = future.await;
                if *generation.borrow() == mine {
                    state.set(Rc::new(match result {
                        Ok(value) => Load::Ready(value),
                        Err(e) => Load::Failed(e),
                    }));
                }
            });
        });
    }
    let reload = Callback::from(move |_| reloads.set(*reloads + 1));
    ((*state).clone(), reload)
}
