//! The CORS and auth self-test page: every check with its verdict, what was seen, and the
//! configuration that fixes a failure.

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
    let (report, rerun) = use_load((props.registry.clone(), settled), move |(registry, settled)| async move {
        if !settled {
            return Ok(Vec::new());
        }
        let client = connection.registry(&registry);
        Ok(selftest::run(&registry, &connection.raw_transport(), client.transport(), &page_origin()).await)
    });
    let body = match &*report {
        _ if !settled => text("p", "muted", "loading", "Reading the runtime configuration…"),
        Load::Loading => text("p", "muted", "loading", "Probing the registry…"),
        Load::Failed(e) => el("p", "field-error", "", owned(e.headline())),
        Load::Ready(findings) => {
            let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
            html! {
                <>
                    <p data-testid="selftest-summary" data-failed={failed.to_string()}>{
                        if failed == 0 { "Everything Wharf needs works with this registry.".to_string() }
                        else { format!("{failed} check(s) failed: each says what to set.") }
                    }</p>
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
            { body }
        </section>
    }
}
