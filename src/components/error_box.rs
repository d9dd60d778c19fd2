//! An error as the user sees it: what happened, then what to do.

use wharf_protocol::Error;
use yew::prelude::*;

/// Headline and advice; the advice may hold a config snippet, so it keeps line breaks. `context`
/// says what was being done ("Loading the catalog"). A function: it has no state of its own.
pub fn error_box(error: &Error, context: Option<&str>) -> Html {
    let advice = error.advice();
    html! {
        <div class="error-box" role="alert" data-testid="error">
            if let Some(context) = context {
                <div class="error-context">{ context.to_string() }{ " failed." }</div>
            }
            <div class="error-headline" data-testid="error-headline">{ error.headline() }</div>
            if !advice.is_empty() {
                <pre class="error-advice" data-testid="error-advice">{ advice }</pre>
            }
        </div>
    }
}
