//! An error as the user sees it: what happened, then what to do.

use wharf_protocol::error::NextStep;
use wharf_protocol::Error;
use yew::prelude::*;

use crate::components::markup::{el, owned};

/// Where this app offers the step the core's advice names (the core knows no screens).
fn next_step_here(step: NextStep) -> &'static str {
    match step {
        NextStep::LogIn => "Use the login form at the top of the page.",
        NextStep::InspectExchange => "The wire panel at the bottom has the whole exchange.",
        NextStep::RunSelfTest => "The registry's self-test page tells which case this is.",
    }
}

/// Headline and advice; the advice may hold a config snippet, so it keeps line breaks. `context`
/// says what was being done ("Loading the catalog"). A function: it has no state of its own.
pub fn error_box(error: &Error, context: Option<&str>) -> Html {
    let advice = error.advice();
    let here = error.next_step().map(next_step_here);
    html! {
        <div class="error-box" role="alert" data-testid="error">
            if let Some(context) = context {
                { el("div", "error-context", "", owned(format!("{context} failed."))) }
            }
            { el("div", "error-headline", "error-headline", owned(error.headline())) }
            if !advice.is_empty() || here.is_some() {
                <pre class="error-advice" data-testid="error-advice">
                    { advice }
                    if let Some(here) = here {
                        { "\n" }{ here }
                    }
                </pre>
            }
        </div>
    }
}
