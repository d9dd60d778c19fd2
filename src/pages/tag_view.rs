//! How the user looks at a tag list, as one reducer: the filter, the order, the page, the tags
//! selected for a bulk run (with shift-click ranges), and the pull command's tool. Transitions and
//! the selection's order are plain functions, tested natively; the page dispatches and renders.

use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

use wharf_protocol::glance::{Filter, Order};
use wharf_protocol::pull::Tool;
use yew::Reducible;

use crate::components::paging::page_within;

/// The view of one tag list.
#[derive(Debug, Clone, PartialEq)]
pub struct TagView {
    /// What is shown.
    pub filter: Filter,
    /// In which order.
    pub order: Order,
    /// Which page (from 0; kept within the pages there are when read, see [`TagView::page_of`]).
    pub page: usize,
    /// The tags chosen for a bulk run.
    pub selected: Rc<BTreeSet<String>>,
    /// The tag clicked last: the other end of a shift-click range.
    pub anchor: Option<String>,
    /// The pull command's tool.
    pub pull_tool: Tool,
    /// Pull commands pinned by digest rather than by tag.
    pub pull_pinned: bool,
    /// The pull command copied last, to say so.
    pub copied: Option<String>,
}

impl TagView {
    /// A view in `order`, nothing filtered or selected.
    pub fn new(order: Order) -> Self {
        TagView {
            filter: Filter::default(),
            order,
            page: 0,
            selected: Rc::new(BTreeSet::new()),
            anchor: None,
            pull_tool: Tool::Docker,
            pull_pinned: false,
            copied: None,
        }
    }

    /// The page shown of `shown` tags, and how many pages there are (at least one).
    pub fn page_of(&self, shown: usize) -> (usize, usize) {
        page_within(shown, self.page)
    }

    /// The selected tags in the order shown; selected tags the filter hides now follow in the
    /// order of `listed` (the registry's). One pass over each list: the tag list is arranged
    /// once per render.
    pub fn chosen(&self, shown: &[String], listed: &[String]) -> Vec<String> {
        if self.selected.is_empty() {
            return Vec::new();
        }
        let in_view: Vec<&String> = shown.iter().filter(|t| self.selected.contains(*t)).collect();
        let mut chosen: Vec<String> = in_view.iter().map(|t| (*t).clone()).collect();
        if chosen.len() < self.selected.len() {
            let in_view: HashSet<&str> = in_view.into_iter().map(String::as_str).collect();
            chosen
                .extend(listed.iter().filter(|t| self.selected.contains(*t) && !in_view.contains(t.as_str())).cloned());
        }
        chosen
    }
}

/// What changes the view.
#[derive(Debug, Clone, PartialEq)]
pub enum TagAction {
    /// The text filter.
    FilterText(String),
    /// The kind filter (a kind key, or empty).
    FilterKind(String),
    /// The platform filter (`os/arch`, or empty).
    FilterPlatform(String),
    /// Show or hide signature and attachment tags.
    ToggleAttachmentTags,
    /// The order.
    Sort(Order),
    /// Forward or back `delta` pages of `pages`.
    Page {
        /// Pages to move.
        delta: isize,
        /// Pages there are.
        pages: usize,
    },
    /// A tag's checkbox clicked; with shift, every tag of `visible` between it and the last one
    /// clicked takes its new state.
    Toggle {
        /// The tag.
        tag: String,
        /// Shift held.
        shift: bool,
        /// The tags on the page, in order.
        visible: Rc<Vec<String>>,
    },
    /// Select every tag shown (all pages).
    SelectAll(Rc<Vec<String>>),
    /// Select nothing.
    ClearSelection,
    /// The pull command's tool.
    PullTool(Tool),
    /// Pin pull commands by digest, or not.
    TogglePinned,
    /// A pull command was copied.
    Copied(String),
}

impl Reducible for TagView {
    type Action = TagAction;

    fn reduce(self: Rc<Self>, action: TagAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            // Whatever changes what is shown starts again at the first page.
            TagAction::FilterText(text) => (next.filter.text, next.page) = (text, 0),
            TagAction::FilterKind(kind) => (next.filter.kind, next.page) = (kind, 0),
            TagAction::FilterPlatform(platform) => (next.filter.platform, next.page) = (platform, 0),
            TagAction::ToggleAttachmentTags => {
                (next.filter.show_attachments, next.page) = (!next.filter.show_attachments, 0)
            }
            TagAction::Sort(order) => (next.order, next.page) = (order, 0),
            TagAction::Page { delta, pages } => {
                let current = next.page.min(pages.max(1) - 1);
                next.page = current.saturating_add_signed(delta).min(pages.max(1) - 1);
            }
            TagAction::Toggle { tag, shift, visible } => {
                let mut selected = (*next.selected).clone();
                let on = !selected.contains(&tag);
                let anchor = next.anchor.as_ref().and_then(|a| visible.iter().position(|t| t == a));
                let here = visible.iter().position(|t| *t == tag);
                let range = match (shift, anchor, here) {
                    (true, Some(a), Some(h)) => &visible[a.min(h)..=a.max(h)],
                    _ => std::slice::from_ref(&tag),
                };
                for t in range {
                    if on {
                        selected.insert(t.clone());
                    } else {
                        selected.remove(t);
                    }
                }
                next.selected = Rc::new(selected);
                next.anchor = Some(tag);
            }
            TagAction::SelectAll(shown) => next.selected = Rc::new(shown.iter().cloned().collect()),
            TagAction::ClearSelection => (next.selected, next.anchor) = (Rc::new(BTreeSet::new()), None),
            TagAction::PullTool(tool) => next.pull_tool = tool,
            TagAction::TogglePinned => next.pull_pinned = !next.pull_pinned,
            TagAction::Copied(command) => next.copied = Some(command),
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(names: &[&str]) -> Rc<Vec<String>> {
        Rc::new(names.iter().map(|s| s.to_string()).collect())
    }

    fn view() -> Rc<TagView> {
        Rc::new(TagView::new(Order::Version))
    }

    fn selected(view: &TagView) -> Vec<&str> {
        view.selected.iter().map(String::as_str).collect()
    }

    #[test]
    fn filters_and_sorting_go_back_to_the_first_page() {
        let paged = view().reduce(TagAction::Page { delta: 2, pages: 5 });
        assert_eq!(paged.page, 2);
        assert_eq!(paged.clone().reduce(TagAction::FilterText("v1".into())).page, 0);
        assert_eq!(paged.clone().reduce(TagAction::FilterKind("image".into())).filter.kind, "image");
        assert_eq!(paged.clone().reduce(TagAction::FilterPlatform("linux/arm64".into())).page, 0);
        assert!(paged.clone().reduce(TagAction::ToggleAttachmentTags).filter.show_attachments);
        let sorted = paged.reduce(TagAction::Sort(Order::Newest));
        assert_eq!((sorted.order, sorted.page), (Order::Newest, 0));
    }

    #[test]
    fn pages_stay_within_the_list() {
        let last = view().reduce(TagAction::Page { delta: 9, pages: 3 });
        assert_eq!(last.page, 2);
        assert_eq!(last.clone().reduce(TagAction::Page { delta: -5, pages: 3 }).page, 0);
        // The list shrank under the page: the page shown is the last there is.
        assert_eq!(last.page_of(150), (1, 2));
        assert_eq!(view().page_of(0), (0, 1), "an empty list has one page");
        assert_eq!(last.reduce(TagAction::Page { delta: -1, pages: 2 }).page, 0);
    }

    #[test]
    fn shift_click_selects_a_range_and_unselects_it_again() {
        let visible = tags(&["a", "b", "c", "d", "e"]);
        let click = |view: Rc<TagView>, tag: &str, shift: bool| {
            view.reduce(TagAction::Toggle { tag: tag.into(), shift, visible: visible.clone() })
        };
        let one = click(view(), "b", false);
        assert_eq!(selected(&one), ["b"]);
        let range = click(one, "d", true);
        assert_eq!(selected(&range), ["b", "c", "d"]);
        // Shift-clicking a selected tag clears the range from the last click to it.
        let cleared = click(range, "c", true);
        assert_eq!(selected(&cleared), ["b"], "c and d were cleared");
        // Without a last click, shift selects one tag.
        assert_eq!(selected(&click(view(), "e", true)), ["e"]);
    }

    #[test]
    fn select_all_and_the_selection_in_the_order_shown() {
        let all = view().reduce(TagAction::SelectAll(tags(&["v2", "v10", "latest"])));
        assert_eq!(all.selected.len(), 3);
        let listed = tags(&["latest", "v10", "v2", "sha256-x.sig"]);
        assert_eq!(all.chosen(&tags(&["v10", "v2", "latest"]), &listed), ["v10", "v2", "latest"]);
        // Filtered down to one: the other two still go, after it, in the registry's order.
        assert_eq!(all.chosen(&tags(&["v2"]), &listed), ["v2", "latest", "v10"]);
        let none = all.reduce(TagAction::ClearSelection);
        assert!(none.chosen(&listed, &listed).is_empty() && none.anchor.is_none());
    }

    #[test]
    fn pull_choices() {
        let chosen = view().reduce(TagAction::PullTool(Tool::Skopeo)).reduce(TagAction::TogglePinned);
        assert_eq!((chosen.pull_tool, chosen.pull_pinned), (Tool::Skopeo, true));
        assert_eq!(chosen.reduce(TagAction::Copied("docker pull x".into())).copied.as_deref(), Some("docker pull x"));
    }
}
