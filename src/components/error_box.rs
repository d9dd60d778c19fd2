//! An error as the user sees it: what happened, then what to do.

use wharf_protocol::Error;
use yew::prelude::*;

/// Props of [`ErrorBox`].
#[derive(Properties, PartialEq)]
pub struct ErrorBoxProps {
    /// The error.
    pub error: Error,
    /// What was being done, e.g. "Loading the catalog".
    #[prop_or_default]
    pub context: Option<AttrValue>,
}

/// Shows headline and advice; the advice may hold a config snippet, so it keeps line breaks.
#[component]
pub fn ErrorBox(props: &ErrorBoxProps) -> Html {
    let advice = props.error.advice();
    html! {
        <div class="error-box" role="alert" data-testid="error">
            if let Some(context) = &props.context {
                <div class="error-context">{ context.clone() }{ " failed." }</div>
            }
            <div class="error-headline" data-testid="error-headline">{ props.error.headline() }</div>
            if !advice.is_empty() {
                <pre class="error-advice" data-testid="error-advice">{ advice }</pre>
            }
        </div>
    }
}
