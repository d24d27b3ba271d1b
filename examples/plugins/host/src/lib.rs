//! A native host of text-transform plugins (`wit/text.wit`): it links WASI
//! for them and calls their `transform` export. Which engine and which
//! component are the caller's: its tests bring them.

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({ path: "../wit", world: "plugin" });

use exports::example::text::transform::Error;

/// A store's data: what WASI needs.
pub struct State {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl Default for State {
    fn default() -> Self {
        State {
            ctx: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// The linker every plugin is instantiated with.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<State>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    Ok(linker)
}

/// One plugin instance.
pub struct Loaded(Plugin);

impl Loaded {
    pub fn new(
        store: &mut Store<State>,
        linker: &Linker<State>,
        component: &Component,
    ) -> wasmtime::Result<Self> {
        Plugin::instantiate(store, component, linker).map(Loaded)
    }

    pub fn name(&self, store: &mut Store<State>) -> wasmtime::Result<String> {
        self.0.example_text_transform().call_name(store)
    }

    /// The plugin's answer, its error in words.
    pub fn transform(&self, store: &mut Store<State>, input: &str) -> wasmtime::Result<Result<String, String>> {
        Ok(self
            .0
            .example_text_transform()
            .call_transform(store, input)?
            .map_err(|e| match e {
                Error::EmptyInput => "empty input".to_owned(),
                Error::TooLong(n) => format!("too long ({n} bytes)"),
            }))
    }
}
