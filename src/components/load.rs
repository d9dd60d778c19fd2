//! Loading data for a view: one async load per set of dependencies, late answers for an older
//! set ignored, and a reload callback.
//!
//! The hook that does the work ([`use_any_load`]) knows neither the dependencies' type nor the
//! result's: the pages' loads share one copy of it in the bundle, and [`use_load`] only wraps the
//! page's future and reads the typed result back.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
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

/// An `Rc<Load<T>>` of a type only [`use_load`] knows.
type AnyLoad = Rc<dyn Any>;

/// Starts the load for the dependencies it was made with.
type Start = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = AnyLoad>>>>;

/// Dependencies of any type, compared and copied by functions of their own type.
struct Deps {
    value: Box<dyn Any>,
    same: fn(&dyn Any, &dyn Any) -> bool,
    copy: fn(&dyn Any) -> Box<dyn Any>,
}

impl Deps {
    fn duplicate(&self) -> Deps {
        Deps { value: (self.copy)(&*self.value), same: self.same, copy: self.copy }
    }
}

impl PartialEq for Deps {
    fn eq(&self, other: &Self) -> bool {
        (self.same)(&*self.value, &*other.value)
    }
}

fn same<D: PartialEq + 'static>(a: &dyn Any, b: &dyn Any) -> bool {
    a.downcast_ref::<D>() == b.downcast_ref::<D>()
}

fn copy<D: Clone + 'static>(value: &dyn Any) -> Box<dyn Any> {
    Box::new(value.downcast_ref::<D>().expect("dependencies of one type").clone())
}

fn loading<T: 'static>() -> AnyLoad {
    Rc::new(Load::<T>::Loading)
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
    let start: Start = {
        let deps = deps.clone();
        Box::new(move || {
            Box::pin(async move {
                let loaded: AnyLoad = Rc::new(match load(deps).await {
                    Ok(value) => Load::Ready(value),
                    Err(e) => Load::Failed(e),
                });
                loaded
            })
        })
    };
    let (state, reload) =
        use_any_load(Deps { value: Box::new(deps), same: same::<D>, copy: copy::<D> }, start, loading::<T>);
    match state.downcast::<Load<T>>() {
        Ok(state) => (state, reload),
        // The state only ever holds what `start` and `loading` made, both `Load<T>`.
        Err(_) => unreachable!(),
    }
}

/// [`use_load`] without its types: `start` is called when `deps` change (or on reload, or at a
/// login or logout), `loading` makes the state shown meanwhile.
#[hook]
fn use_any_load(deps: Deps, start: Start, loading: fn() -> AnyLoad) -> (AnyLoad, Callback<()>) {
    let state = use_state(loading);
    // What the state was loaded for. The render in which the dependencies change comes before
    // the effect that starts their load, so the state still holds the old dependencies' result
    // (a self-test's empty list from before config.json, another repository's tags): that
    // render shows "loading" instead.
    let loaded_for: Rc<RefCell<Option<Deps>>> = use_mut_ref(|| None);
    let stale = loaded_for.borrow().as_ref() != Some(&deps);
    let generation: Rc<RefCell<u64>> = use_mut_ref(|| 0);
    let reloads = use_state(|| 0u32);
    // A login or logout changes what the registry will answer: load again.
    let login_epoch = crate::connection::use_connection().epoch;
    {
        let state = state.clone();
        use_effect_with((deps, *reloads, login_epoch), move |(deps, _, _)| {
            *loaded_for.borrow_mut() = Some(deps.duplicate());
            *generation.borrow_mut() += 1;
            let mine = *generation.borrow();
            state.set(loading());
            let future = start();
            wasm_bindgen_futures::spawn_local(async move {
                let result = future.await;
                if *generation.borrow() == mine {
                    state.set(result);
                }
            });
        });
    }
    let reload = Callback::from(move |_| reloads.set(*reloads + 1));
    (if stale { loading() } else { (*state).clone() }, reload)
}
