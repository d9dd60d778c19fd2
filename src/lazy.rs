//! Pages the first screen does not need, fetched when they open: the self-test, the journal, the
//! clean-up, the copy, delete and retag pages, and the tag list's bulk panel. Each is a split point: in the
//! release build (`--features split`, see `scripts/build`) wasm-split moves the code only that
//! page reaches into a chunk of its own, and the first call of its function fetches the chunk
//! (once; the same memory, the same app, the same wire log and history). Without the feature
//! (`trunk serve`, native tests) the functions are called directly.
//!
//! Nothing else may name these page components: a use outside a split function keeps the page's
//! code in the first module. A chunk that cannot be fetched is said so on the page (with the way
//! out: reload), never a panic, which would end the whole app.
#![allow(unsafe_code)] // Only the split-point macro's own `unsafe extern` block and `no_mangle`.

use wharf_protocol::address::View;
use yew::prelude::*;

use crate::components::about::{ArtifactProps, ArtifactSection};
use crate::components::bulk::{BulkPanel, BulkProps};
use crate::components::digest_search::{DigestSearch, SearchProps};
use crate::components::markup::{el, owned, text};
use crate::pages::cleanup::CleanupPage;
use crate::pages::copy::CopyPage;
use crate::pages::delete::DeletePage;
use crate::pages::journal::JournalPage;
use crate::pages::retag::RetagPage;
use crate::pages::selftest::SelfTestPage;

/// Why a chunk did not arrive (the split loader's error, in words).
#[derive(Debug, Clone, PartialEq)]
pub struct NotLoaded(String);

#[cfg(feature = "split")]
impl From<wasm_split_helpers::SplitLoaderError> for NotLoaded {
    fn from(error: wasm_split_helpers::SplitLoaderError) -> Self {
        NotLoaded(error.to_string())
    }
}

/// One split point: `split!(name, fn f(args) -> T { body })` defines `f` as an `async fn` that
/// returns `Result<T, NotLoaded>`, its body in chunk `name` of a split build.
macro_rules! split {
    ($module:ident, fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty $body:block) => {
        #[cfg(feature = "split")]
        #[wasm_split_helpers::wasm_split($module, fallible)]
        fn $name($($arg: $ty),*) -> Result<$out, NotLoaded> {
            let made: $out = $body;
            Ok(made)
        }

        #[cfg(not(feature = "split"))]
        async fn $name($($arg: $ty),*) -> Result<$out, NotLoaded> {
            let made: $out = $body;
            Ok(made)
        }
    };
}

// Each split function names its own page only: what two of them reach goes into a chunk both
// fetch, and what the first module reaches stays there.
split!(
    selftest,
    fn selftest_page(view: View) -> Html {
        match view {
            View::SelfTest { registry } => html! { <SelfTestPage {registry} /> },
            _ => Html::default(),
        }
    }
);
split!(
    journal,
    fn journal_page(view: View) -> Html {
        match view {
            View::Journal { registry } => html! { <JournalPage {registry} /> },
            _ => Html::default(),
        }
    }
);
split!(
    cleanup,
    fn cleanup_page(view: View) -> Html {
        match view {
            View::Cleanup { registry, repository } => html! { <CleanupPage {registry} {repository} /> },
            _ => Html::default(),
        }
    }
);
split!(
    copy,
    fn copy_page(view: View) -> Html {
        match view {
            View::Copy { registry, repository, reference } => {
                html! { <CopyPage {registry} {repository} {reference} /> }
            }
            _ => Html::default(),
        }
    }
);
split!(
    delete,
    fn delete_page(view: View) -> Html {
        match view {
            View::Delete { registry, repository, reference } => {
                html! { <DeletePage {registry} {repository} {reference} /> }
            }
            _ => Html::default(),
        }
    }
);
split!(
    retag,
    fn retag_page(view: View) -> Html {
        match view {
            View::Retag { registry, repository, reference } => {
                html! { <RetagPage {registry} {repository} {reference} /> }
            }
            _ => Html::default(),
        }
    }
);

/// A renderer of the bulk panel: after its chunk arrived, the panel renders as any component.
type BulkRenderer = fn(BulkProps) -> Html;

fn render_bulk(props: BulkProps) -> Html {
    html! { <BulkPanel ..props /> }
}

split!(
    bulk,
    fn bulk_renderer() -> BulkRenderer {
        render_bulk
    }
);

/// Whether `view` is one of the pages loaded on demand.
pub fn is_lazy(view: &View) -> bool {
    matches!(
        view,
        View::SelfTest { .. }
            | View::Journal { .. }
            | View::Cleanup { .. }
            | View::Copy { .. }
            | View::Delete { .. }
            | View::Retag { .. }
    )
}

async fn load(view: View) -> Result<Html, NotLoaded> {
    match &view {
        View::SelfTest { .. } => selftest_page(view).await,
        View::Journal { .. } => journal_page(view).await,
        View::Cleanup { .. } => cleanup_page(view).await,
        View::Copy { .. } => copy_page(view).await,
        View::Delete { .. } => delete_page(view).await,
        _ => retag_page(view).await,
    }
}

/// What a chunk's failure to arrive says.
fn not_loaded(what: &str, why: &NotLoaded) -> Html {
    el(
        "div",
        "error-box",
        "page-not-loaded",
        owned(format!(
            "The code of {what} could not be fetched from this site ({}). Reload the page; if it persists, the \
             deployment may be incomplete (every file of dist/ must be served).",
            why.0
        )),
    )
}

/// Props of [`LazyPage`].
#[derive(Properties, PartialEq)]
pub struct LazyProps {
    /// The page (one of [`is_lazy`]).
    pub view: View,
}

/// A page loaded on demand: "Loading…" until its chunk arrives (at once when it came before).
#[component]
pub fn LazyPage(props: &LazyProps) -> Html {
    let loaded = use_state(|| None::<(View, Result<Html, NotLoaded>)>);
    {
        let loaded = loaded.clone();
        use_effect_with(props.view.clone(), move |view| {
            let view = view.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let page = load(view.clone()).await;
                loaded.set(Some((view, page)));
            });
        });
    }
    match &*loaded {
        Some((view, Ok(page))) if *view == props.view => page.clone(),
        Some((view, Err(why))) if *view == props.view => not_loaded("this page", why),
        _ => text("p", "muted", "page-loading", "Loading…"),
    }
}

/// A part of a page in a chunk of its own: its renderer once the chunk arrived (fetched when the
/// part first shows).
#[hook]
fn use_chunk<R, F>(fetch: impl FnOnce() -> F + 'static) -> Option<Result<R, NotLoaded>>
where
    R: Clone + 'static,
    F: std::future::Future<Output = Result<R, NotLoaded>> + 'static,
{
    let renderer = use_state(|| None::<Result<R, NotLoaded>>);
    {
        let renderer = renderer.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { renderer.set(Some(fetch().await)) });
        });
    }
    (*renderer).clone()
}

/// The bulk panel, loaded when the first tag is selected.
#[component]
pub fn LazyBulkPanel(props: &BulkProps) -> Html {
    match use_chunk(bulk_renderer) {
        Some(Ok(render)) => render(props.clone()),
        Some(Err(why)) => not_loaded("the bulk panel", &why),
        None => text("p", "muted", "bulk-loading", "Loading…"),
    }
}

type SearchRenderer = fn(SearchProps) -> Html;

fn render_search(props: SearchProps) -> Html {
    html! { <DigestSearch ..props /> }
}

split!(
    search,
    fn search_renderer() -> SearchRenderer {
        render_search
    }
);

/// The digest search of the catalog page: the list shows without waiting for it.
#[component]
pub fn LazyDigestSearch(props: &SearchProps) -> Html {
    match use_chunk(search_renderer) {
        Some(Ok(render)) => render(props.clone()),
        Some(Err(why)) => not_loaded("the search", &why),
        None => text("p", "muted", "search-loading", "Loading the search…"),
    }
}

type ArtifactRenderer = fn(ArtifactProps) -> Html;

fn render_artifact(props: ArtifactProps) -> Html {
    html! { <ArtifactSection ..props /> }
}

split!(
    artifact,
    fn artifact_renderer() -> ArtifactRenderer {
        render_artifact
    }
);

/// A Helm chart's or another artifact's part of the manifest page (images, the common case, do
/// not fetch it).
#[component]
pub fn LazyArtifact(props: &ArtifactProps) -> Html {
    match use_chunk(artifact_renderer) {
        Some(Ok(render)) => render(props.clone()),
        Some(Err(why)) => not_loaded("the artifact view", &why),
        None => text("p", "muted", "artifact-loading", "Loading…"),
    }
}
