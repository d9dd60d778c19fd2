//! Accessibility checks with axe-core: the browser tests inject `axe.min.js` (installed by
//! `scripts/setup` from npm into `target/npm`, git-ignored) into the open page and run its WCAG 2
//! level A and AA rules.

use std::fmt;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::workspace_root;

/// The axe-core release `scripts/setup` installs (keep the two equal).
pub const AXE_CORE_VERSION: &str = "4.14.1";

/// The rule tags every check runs: WCAG 2.0 level A and level AA.
pub const WCAG_TAGS: [&str; 2] = ["wcag2a", "wcag2aa"];

/// One rule that failed on the page, with the elements that fail it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule's id (`color-contrast`, `label`, `scrollable-region-focusable`, …).
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for, in a sentence.
    pub help: String,
    /// The rule's page on the axe documentation site.
    pub help_url: String,
    /// A CSS selector of each failing element (frames and shadow roots joined by ` >>> `).
    pub targets: Vec<String>,
    /// axe's account of why each element fails (same order as `targets`): contrast ratios,
    /// colours, the attribute missing.
    pub failures: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({}): {} [{}]", self.id, self.impact, self.help, self.help_url)?;
        for (target, failure) in self.targets.iter().zip(&self.failures) {
            let failure = failure.split_whitespace().collect::<Vec<_>>().join(" ");
            writeln!(f, "    {target}\n        {failure}")?;
        }
        Ok(())
    }
}

/// Where `scripts/setup` puts axe-core's browser bundle.
pub fn axe_script_path() -> PathBuf {
    workspace_root().join("target/npm/node_modules/axe-core/axe.min.js")
}

/// The text of `axe.min.js`; panics, saying how to install it, when it is missing, so that no
/// accessibility test passes without having run.
pub fn axe_source() -> String {
    let path = axe_script_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing: cannot read {} ({e}). Run scripts/setup, which installs \
             axe-core@{AXE_CORE_VERSION} there from npm; the accessibility tests cannot run without it.",
            path.display()
        )
    })
}

/// Every violation in a list, one block each, for a test's failure message.
pub fn describe(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect()
}

/// Runs axe after injecting it: resolves with the violations as plain objects, or `{error}`.
const RUN_AXE: &str = "const done = arguments[arguments.length - 1]; \
    axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']}) \
      .then(r => done({version: axe.version, violations: r.violations.map(v => ({ \
        id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl, \
        targets: v.nodes.map(n => n.target.map(t => [].concat(t).join(' >>> ')).join(' ')), \
        failures: v.nodes.map(n => n.failureSummary || '')}))})) \
      .catch(e => done({error: String((e && e.stack) || e)}));";

impl Browser {
    /// Runs axe-core's WCAG 2 A and AA rules ([`WCAG_TAGS`]) over the open page and returns what
    /// fails. Injects `axe.min.js` first unless the page has it already (an in-app navigation
    /// keeps it, a new load does not). Panics when axe is missing or cannot run.
    pub async fn axe_violations(&self) -> Vec<Violation> {
        let present =
            self.client.execute("return typeof window.axe === 'object';", vec![]).await.expect("look for axe");
        if present != json!(true) {
            // The script runs as WebDriver's own script (not an inline one), so the page's CSP
            // does not stand in the way; axe's bundle sets `window.axe`.
            self.client.execute(&axe_source(), vec![]).await.expect("inject axe.min.js");
        }
        let result = self.client.execute_async(RUN_AXE, vec![json!(WCAG_TAGS)]).await.expect("run axe");
        if let Some(error) = result.get("error") {
            panic!("axe.run failed: {error}");
        }
        let version = result["version"].as_str().unwrap_or_default();
        assert_eq!(version, AXE_CORE_VERSION, "the page ran another axe-core than the one scripts/setup pins");
        let Some(Value::Array(violations)) = result.get("violations") else {
            panic!("axe returned no list of violations: {result}");
        };
        violations.iter().map(violation).collect()
    }
}

fn violation(v: &Value) -> Violation {
    let text = |key: &str| v[key].as_str().unwrap_or_default().to_string();
    let list = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect())
            .unwrap_or_default()
    };
    Violation {
        id: text("id"),
        impact: text("impact"),
        help: text("help"),
        help_url: text("helpUrl"),
        targets: list("targets"),
        failures: list("failures"),
    }
}
