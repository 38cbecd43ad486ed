//! Any text through the scenario loader: it refuses with a message or loads; never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vms_billing_mock::{Scenario, Schemas};

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::embedded().expect("the embedded schemas compile"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = Scenario::from_json("fuzz", &text, schemas()) {
        // Every refusal says where and what.
        assert!(!e.to_string().is_empty());
    }
});
