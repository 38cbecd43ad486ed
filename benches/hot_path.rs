//! Criterion benchmark of the request hot path without the network: route, parse,
//! normalise, validate, store, render and journal, through `Mock::process`.
//!
//! `cargo bench --bench hot_path`

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hyper::Request;
use vms_billing_mock::{Config, Mock};

// The binary's allocator, so the numbers match what the server does.
#[path = "../src/allocator.rs"]
mod allocator;

#[global_allocator]
static GLOBAL: allocator::MiMalloc = allocator::MiMalloc;

fn create_request(body: String) -> Request<Bytes> {
    Request::post("/api/v1/billing/user/manage")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("host", "127.0.0.1")
        .body(Bytes::from(body))
        .expect("a valid request")
}

fn vendor_body(n: u64) -> String {
    format!(
        r#"{{"login":"u{n}@mail.com","password":"qweasdzxc","type":"type_value","billing_info":{{"billing_id":"123123123","billing_extra":[]}},"status":"active","billing_properties":[{{"type":"phone","value":"+80283289362"}}]}}"#
    )
}

fn hot_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("create");
    group.throughput(Throughput::Elements(1));

    let mock = Mock::new(Config::default());
    let mut n = 0u64;
    group.bench_function("200 unique login", |b| {
        b.iter_batched(
            || {
                n += 1;
                create_request(vendor_body(n))
            },
            |req| black_box(mock.process(req)),
            criterion::BatchSize::SmallInput,
        )
    });

    let mock = Mock::new(Config::default());
    group.bench_function("422 four errors", |b| {
        b.iter_batched(
            || create_request(r#"{"billing_info":[],"billing_properties":[]}"#.to_owned()),
            |req| black_box(mock.process(req)),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
