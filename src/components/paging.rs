//! Long tables shown a page at a time (the tag list, a bulk plan's operations): how many rows a
//! page holds, and which page is shown.

/// Rows a page: enough to scan, few enough to render at once. A table a run keeps updating (a
/// bulk plan of a thousand items) redraws only its page: each redraw's diff, style and layout
/// grow with the rows on it, on the main thread the run's answers wait on.
pub const ROWS_PER_PAGE: usize = 100;

/// The page shown of `rows` rows when page `wanted` (from 0) is asked for, kept within the pages
/// there are, and how many pages there are (at least one).
pub fn page_within(rows: usize, wanted: usize) -> (usize, usize) {
    let pages = rows.div_ceil(ROWS_PER_PAGE).max(1);
    (wanted.min(pages - 1), pages)
}
