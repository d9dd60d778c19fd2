//! Builders for the markup the pages repeat. `html!` expands every element in place, so each
//! `<p class="muted">…</p>` is its own construction code at its call site; these build the same
//! elements in one function each, and a call site is a call with a few constants.

use wharf_protocol::address::View;
use wharf_protocol::names::Repository;
use wharf_protocol::requests::RegistryUrl;
use yew::prelude::*;
use yew::virtual_dom::{AttrValue, AttributeOrProperty, Attributes, Listeners, VList, VTag, VText};
use yew::NodeRef;

use crate::router::{link, route_for};

fn attribute(value: &'static str) -> Option<AttributeOrProperty> {
    (!value.is_empty()).then_some(AttributeOrProperty::Static(value))
}

/// `<tag class="…" data-testid="…">content</tag>`; an empty class or test id is left out.
#[inline(never)]
pub fn el(tag: &'static str, class: &'static str, testid: &'static str, content: Html) -> Html {
    // The constructor `html!` itself calls (public, hidden from the docs): an element named at
    // run time through `VTag::new` would lower-case and compare its name on every render.
    let attributes = Attributes::Dynamic {
        keys: &["class", "data-testid"],
        values: Box::new([attribute(class), attribute(testid)]),
    };
    let tag = AttrValue::Static(tag);
    VTag::__new_other(tag, NodeRef::default(), None, attributes, Listeners::None, content).into()
}

/// [`el`] holding a fixed text.
#[inline(never)]
pub fn text(tag: &'static str, class: &'static str, testid: &'static str, text: &'static str) -> Html {
    el(tag, class, testid, fixed(text))
}

/// A fixed text node.
#[inline(never)]
pub fn fixed(text: &'static str) -> Html {
    VText::new(AttrValue::Static(text)).into()
}

/// A text node of a computed string.
#[inline(never)]
pub fn owned(text: String) -> Html {
    VText::new(AttrValue::from(text)).into()
}

/// `<code>` around a computed string (`class`: `""` or `"small"`).
#[inline(never)]
pub fn code(class: &'static str, text: String) -> Html {
    el("code", class, "", owned(text))
}

/// A table's header row: `<thead><tr><th>…</th>…</tr></thead>`; `last` is the last cell's class.
#[inline(never)]
pub fn head_row(cells: &[&'static str], last: &'static str) -> Html {
    let cells =
        cells.iter().enumerate().map(|(i, cell)| text("th", if i + 1 == cells.len() { last } else { "" }, "", cell));
    el("thead", "", "", el("tr", "", "", VList::with_children(cells.collect(), None).into()))
}

/// One term of a `<dl>`: `<dt>term</dt><dd>description</dd>` (`testid` on the `<dd>`).
#[inline(never)]
pub fn term(term: &'static str, testid: &'static str, description: Html) -> Html {
    VList::with_children(vec![text("dt", "", "", term), el("dd", "", testid, description)], None).into()
}

/// `<tr>` of one `<td>` per cell (`testid` on the row).
#[inline(never)]
pub fn row(testid: &'static str, cells: Vec<Html>) -> Html {
    let cells = cells.into_iter().map(|cell| el("td", "", "", cell)).collect();
    el("tr", "", testid, VList::with_children(cells, None).into())
}

/// The breadcrumbs of a repository's pages: `Repositories / <repository>` and then `tail`.
#[inline(never)]
pub fn crumbs(registry: &RegistryUrl, repository: &Repository, tail: Html) -> Html {
    let catalog = route_for(&View::Catalog { registry: registry.clone() });
    let tags = route_for(&View::Tags { registry: registry.clone(), repository: repository.clone() });
    let items = vec![
        link(catalog, "", fixed("Repositories")),
        fixed(" / "),
        link(tags, "", owned(repository.to_string())),
        tail,
    ];
    el("nav", "crumbs", "", VList::with_children(items, None).into())
}

/// `<button class="…" data-testid="…" disabled?>label</button>` that runs `onclick`.
#[inline(never)]
pub fn button(
    class: &'static str,
    testid: &'static str,
    label: Html,
    disabled: bool,
    onclick: Callback<MouseEvent>,
) -> Html {
    let class = (!class.is_empty()).then_some(class);
    let testid = (!testid.is_empty()).then_some(testid);
    html! { <button {class} data-testid={testid} {disabled} {onclick}>{ label }</button> }
}
