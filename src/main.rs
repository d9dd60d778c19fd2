//! Entry point: only renders, so tests and tools can import the app from the library.
fn main() {
    yew::Renderer::<wharf::app::App>::new().render();
}
