//! Entry point: only renders, so tests and tools can import the app from the library.

// talc instead of the default dlmalloc: a few KB less of the page's first load.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    yew::Renderer::<wharf::app::App>::new().render();
}
