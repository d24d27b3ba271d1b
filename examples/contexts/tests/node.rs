//! The suite on Node (no configure macro: the runner picks Node).
include!("suite/mod.rs");
