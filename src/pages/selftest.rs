//! The CORS and auth self-test page: every check with its verdict, what was seen, and the
//! configuration that fixes a failure.

use wharf_protocol::names::Repository;
use wharf_protocol::selftest::{self, Finding, Status};
use yew::prelude::*;

use crate::components::load::{use_load, Load};
use crate::components::markup::{button, el, fixed, owned, text};
use crate::components::RegistryProps;
use crate::connection::{use_connection, ConfigState};

fn page_origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// The row's classes (plain strings: cheaper in the bundle than `classes!`).
fn finding_class(status: Status) -> &'static str {
    match status {
        Status::Pass => "finding pass",
        Status::Warn => "finding warn",
        Status::Fail => "finding fail",
        Status::Skip => "finding skip",
    }
}

fn row(f: &Finding) -> Html {
    let mark = match f.status {
        Status::Pass => "✓",
        Status::Warn => "!",
        Status::Fail => "✗",
        Status::Skip => "–",
    };
    html! {
        <tr data-testid="finding" data-id={f.id} data-status={f.status.key()} class={finding_class(f.status)}>
            { text("td", "mark", "", mark) }
            <td>
                { text("strong", "", "", f.title) }
                { el("div", "", "", owned(f.detail.clone())) }
                if let Some(fix) = &f.fix {
                    <details open={f.status == Status::Fail}>
                        { text("summary", "", "", "How to fix") }
                        { el("pre", "fix", "", owned(fix.clone())) }
                    </details>
                }
            </td>
        </tr>
    }
}

/// Runs the self-test against the registry and shows the report.
#[component]
pub fn SelfTestPage(props: &RegistryProps) -> Html {
    let connection = use_connection();
    // The probes that write are sent only when the deployment allows changes, which is known once
    // config.json has been read: until then nothing is probed.
    let settled = connection.config != ConfigState::Loading;
    // The repository whose tag list is checked (optional: else the catalog's first).
    let typed = use_state(String::new);
    let checked = use_state(|| None::<Repository>);
    let problem = use_state(|| None::<String>);
    let key = (props.registry.clone(), settled, (*checked).clone());
    let (report, rerun) = use_load(key, move |(registry, settled, checked)| async move {
        if !settled {
            return Ok(Vec::new());
        }
        let client = connection.registry(&registry);
        Ok(selftest::run(&registry, &connection.raw_transport(), client.transport(), &page_origin(), checked.as_ref())
            .await)
    });
    let oninput = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| typed.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let onsubmit = {
        let (typed, checked, problem) = (typed.clone(), checked.clone(), problem.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match typed.trim() {
                "" => {
                    problem.set(None);
                    checked.set(None);
                }
                name => match Repository::parse(name) {
                    Ok(repository) => {
                        problem.set(None);
                        checked.set(Some(repository));
                    }
                    Err(e) => problem.set(Some(format!("{e}. Nothing was sent."))),
                },
            }
        })
    };
    let repository_form = html! {
        <form class="open-by-name" {onsubmit} data-testid="selftest-repo-form">
            <label for="selftest-repo">{ "Repository to check the tag list and digests on (optional)" }</label>
            <input id="selftest-repo" type="text" placeholder="team/app" value={(*typed).clone()} {oninput} data-testid="selftest-repo" />
            <button type="submit">{ "Check" }</button>
            if let Some(p) = &*problem { <span class="field-error" data-testid="selftest-repo-error">{ p.clone() }</span> }
        </form>
    };
    let body = match &*report {
        _ if !settled => text("p", "muted", "loading", "Reading the runtime configuration…"),
        Load::Loading => text("p", "muted", "loading", "Probing the registry…"),
        Load::Failed(e) => el("p", "field-error", "", owned(e.headline())),
        Load::Ready(findings) => {
            let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
            html! {
                <>
                    <p data-testid="selftest-summary" data-failed={failed.to_string()}
                        data-proven={findings.iter().all(|f| f.status == Status::Pass).to_string()}>{ selftest::summary(findings) }</p>
                    <table class="selftest" data-testid="selftest">{ for findings.iter().map(row) }</table>
                    { button("secondary", "", fixed("Run again"), false, rerun.reform(|_| ())) }
                </>
            }
        }
    };
    html! {
        <section>
            { text("h1", "", "", "Self-test") }
            { el("p", "muted", "", owned(format!("Probes {} from this page ({}) the way Wharf uses it. The probes change nothing: the PUT sends an invalid manifest, the DELETE names a digest that does not exist, and the one upload session the POST opens is cancelled at once.", props.registry.display_name(), page_origin()))) }
            { repository_form }
            { body }
        </section>
    }
}
