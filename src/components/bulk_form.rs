//! The bulk panel's form as one reducer: what the user chose (retag or copy, the naming rule,
//! where to, how many at once, with attachments or not) and what was wrong with it. Every
//! transition and the reading of the form into a plan request are plain functions, tested
//! natively; the panel only dispatches and renders.

use std::rc::Rc;

use wharf_protocol::bulk::{name_targets, NamingRule};
use wharf_protocol::names::{Repository, Tag};
use wharf_protocol::requests::RegistryUrl;
use wharf_protocol::runner::{DEFAULT_CONCURRENCY, MAX_CONCURRENCY};
use yew::Reducible;

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Retag within this repository.
    Retag,
    /// Copy to another repository or registry.
    Copy,
}

/// How each target tag is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `prefix` + the tag.
    Prefix,
    /// The tag + `suffix`.
    Suffix,
    /// The same name.
    Keep,
    /// One fixed tag.
    Fixed,
}

impl RuleKind {
    /// Every rule, with its key (the `<option>` value) and label.
    pub const ALL: [(RuleKind, &'static str, &'static str); 4] = [
        (RuleKind::Prefix, "prefix", "prefix + tag"),
        (RuleKind::Suffix, "suffix", "tag + suffix"),
        (RuleKind::Keep, "keep", "same name"),
        (RuleKind::Fixed, "fixed", "one fixed tag"),
    ];

    /// The rule a key names (an unknown key: prefix).
    pub fn from_key(key: &str) -> RuleKind {
        RuleKind::ALL.iter().find(|(_, k, _)| *k == key).map_or(RuleKind::Prefix, |(rule, _, _)| *rule)
    }
}

/// The form.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkForm {
    /// Retag or copy.
    pub operation: Operation,
    /// The naming rule.
    pub rule: RuleKind,
    /// Its prefix, suffix or fixed tag.
    pub rule_text: String,
    /// Where a copy goes: repository, as typed.
    pub target_repository: String,
    /// Where a copy goes: registry, as typed (empty: this one).
    pub target_registry: String,
    /// Items at once, as typed.
    pub concurrency: String,
    /// Carry signatures and attachments with a copy.
    pub with_attachments: bool,
    /// What was wrong with the form the last time a plan was asked for.
    pub problems: Vec<String>,
}

impl BulkForm {
    /// A form for the tags of `repository`: retag, prefix rule, copies to the same repository,
    /// `concurrency` items at once (what the page's connection carries well).
    pub fn new(repository: &Repository, concurrency: usize) -> Self {
        BulkForm {
            operation: Operation::Retag,
            rule: RuleKind::Prefix,
            rule_text: String::new(),
            target_repository: repository.to_string(),
            target_registry: String::new(),
            concurrency: concurrency.to_string(),
            with_attachments: true,
            problems: Vec::new(),
        }
    }

    /// Items at once: the number typed, within 1 and the most the browser serves well.
    pub fn limit(&self) -> usize {
        self.concurrency.trim().parse::<usize>().unwrap_or(DEFAULT_CONCURRENCY).clamp(1, MAX_CONCURRENCY)
    }

    /// The naming rule as typed.
    pub fn naming_rule(&self) -> NamingRule {
        let text = self.rule_text.trim().to_string();
        match self.rule {
            RuleKind::Keep => NamingRule::Keep,
            RuleKind::Suffix => NamingRule::Suffix(text),
            RuleKind::Fixed => NamingRule::Fixed(text),
            RuleKind::Prefix => NamingRule::Prefix(text),
        }
    }

    /// What to plan for `selected` tags of `repository` at `registry`, or every problem with the
    /// form (nothing is sent while there is one).
    pub fn request(
        &self,
        registry: &RegistryUrl,
        repository: &Repository,
        selected: &[String],
    ) -> Result<PlanRequest, Vec<String>> {
        let copying = self.operation == Operation::Copy;
        let to = match self.target_registry.trim() {
            other if copying && !other.is_empty() => RegistryUrl::parse(other).map_err(|e| e.0),
            _ => Ok(registry.clone()),
        };
        let target_repository = if copying {
            Repository::parse(self.target_repository.trim()).map_err(|e| e.to_string())
        } else {
            Ok(repository.clone())
        };
        let (to, target_repository) = match (to, target_repository) {
            (Ok(to), Ok(repo)) => (to, repo),
            (to, repo) => return Err([to.err(), repo.err()].into_iter().flatten().collect()),
        };
        let same_place = &to == registry && &target_repository == repository;
        let pairs = name_targets(selected, &self.naming_rule(), same_place)?;
        Ok(PlanRequest { to, target_repository, pairs, limit: self.limit(), with_attachments: self.with_attachments })
    }
}

/// A form read into what the dry run looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest {
    /// The registry written to.
    pub to: RegistryUrl,
    /// The repository written to.
    pub target_repository: Repository,
    /// Each selected tag and its target.
    pub pairs: Vec<(Tag, Tag)>,
    /// Items at once.
    pub limit: usize,
    /// Carry attachments (a copy only).
    pub with_attachments: bool,
}

/// What changes the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormAction {
    /// Retag or copy.
    Operation(Operation),
    /// The naming rule.
    Rule(RuleKind),
    /// Its text.
    RuleText(String),
    /// The copy's repository.
    TargetRepository(String),
    /// The copy's registry.
    TargetRegistry(String),
    /// Items at once.
    Concurrency(String),
    /// With or without attachments.
    ToggleAttachments,
    /// What was wrong (empty: nothing).
    Problems(Vec<String>),
}

impl Reducible for BulkForm {
    type Action = FormAction;

    fn reduce(self: Rc<Self>, action: FormAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FormAction::Operation(operation) => next.operation = operation,
            FormAction::Rule(rule) => next.rule = rule,
            FormAction::RuleText(text) => next.rule_text = text,
            FormAction::TargetRepository(text) => next.target_repository = text,
            FormAction::TargetRegistry(text) => next.target_registry = text,
            FormAction::Concurrency(text) => next.concurrency = text,
            FormAction::ToggleAttachments => next.with_attachments = !next.with_attachments,
            FormAction::Problems(problems) => next.problems = problems,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Rc<BulkForm> {
        Rc::new(BulkForm::new(&Repository::parse("team/app").unwrap(), DEFAULT_CONCURRENCY))
    }

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_retag_names_targets_in_the_same_repository() {
        let registry = RegistryUrl::parse("http://r:5000").unwrap();
        let repository = Repository::parse("team/app").unwrap();
        let form = form().reduce(FormAction::RuleText(" rc- ".into()));
        let request = form.request(&registry, &repository, &tags(&["1.0", "1.1"])).unwrap();
        assert_eq!((request.to, request.target_repository), (registry.clone(), repository.clone()));
        assert_eq!(request.pairs[1].1.as_str(), "rc-1.1");
        assert_eq!(request.limit, DEFAULT_CONCURRENCY);
        // The same name in the same place is refused, with the reason.
        let keep = form.reduce(FormAction::Rule(RuleKind::Keep));
        let problems = keep.request(&registry, &repository, &tags(&["1.0"])).unwrap_err();
        assert!(problems[0].contains("same tag"), "{problems:?}");
    }

    #[test]
    fn a_copy_reads_its_destination_and_reports_every_problem() {
        let registry = RegistryUrl::parse("http://r:5000").unwrap();
        let repository = Repository::parse("team/app").unwrap();
        let copy = form()
            .reduce(FormAction::Operation(Operation::Copy))
            .reduce(FormAction::Rule(RuleKind::from_key("keep")))
            .reduce(FormAction::TargetRegistry("http://other:5000".into()))
            .reduce(FormAction::Concurrency("99".into()))
            .reduce(FormAction::ToggleAttachments);
        let request = copy.request(&registry, &repository, &tags(&["v1"])).unwrap();
        assert_eq!(request.to, RegistryUrl::parse("http://other:5000").unwrap());
        assert_eq!((request.limit, request.with_attachments), (MAX_CONCURRENCY, false));
        assert_eq!(request.pairs[0].1.as_str(), "v1", "same name, other registry");
        let broken = copy
            .reduce(FormAction::TargetRegistry("ftp://x".into()))
            .reduce(FormAction::TargetRepository("Bad Name".into()));
        assert_eq!(broken.request(&registry, &repository, &tags(&["v1"])).unwrap_err().len(), 2, "both said at once");
        // A retag ignores a copy's destination.
        let retag = broken.reduce(FormAction::Operation(Operation::Retag)).reduce(FormAction::Rule(RuleKind::Suffix));
        let problems = retag.request(&registry, &repository, &tags(&["v1"])).unwrap_err();
        assert!(problems[0].contains("same tag"), "an empty suffix names the same tag: {problems:?}");
        assert_eq!(retag.reduce(FormAction::Concurrency("0".into())).limit(), 1);
    }
}
