//! Rating speed: a 10,000-farm FORM 2359k and a 200-product FORM 2359L, rated from validated
//! worksheets (`rate`: every figure of the form computed), with the result JSON written
//! (`rate + print`), and end to end from JSON text (`parse + rate + print`).
//!
//! Run: `cargo bench -p milkshed-shared --bench rating`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use milkshed_shared::worksheet;
use serde_json::{json, Value};

const FARM_IDS: &[&str] = &[
    "1", "2A", "2B", "3", "4", "5C", "6", "9", "10", "12", "13", "15A", "15D", "17", "18A", "18C",
    "19C", "LAB-SCC",
];

/// A BTU of `n` farms with a few violations each, deterministic.
fn btu(n: usize) -> String {
    let farms: Vec<Value> = (0..n)
        .map(|i| {
            let mut v: Vec<Value> = (0..(i % 6))
                .map(|k| json!(FARM_IDS[(i * 7 + k * 5) % FARM_IDS.len()]))
                .collect();
            if i % 9 == 0 {
                v.push(json!({"item": "8", "points": if i % 2 == 0 { 2 } else { 5 }}));
            }
            json!({"name": format!("Farm {i}"), "pounds_sold_daily": 800 + (i * 37) % 4000, "violations": v})
        })
        .collect();
    json!({"form": "2359k", "shipper": "Bench BTU", "rating_date": "2012-08-10", "farms": farms})
        .to_string()
}

/// A plant with `n` products, partial debits on some, and three stations.
fn plant(n: usize) -> String {
    let products: Vec<Value> = (0..n)
        .map(|i| json!({"name": format!("Product {i}"), "pounds_daily": 1000 + i * 250}))
        .collect();
    let mut violations = vec![json!("9"), json!("13"), json!("22")];
    for (k, item) in ["16-1", "16-2", "16-4", "18", "19"].iter().enumerate() {
        let names: Vec<Value> = (0..n)
            .filter(|i| i % (k + 3) == 0)
            .map(|i| json!(format!("Product {i}")))
            .collect();
        violations.push(json!({"item": item, "products": names}));
    }
    json!({
        "form": "2359L",
        "plant": {"name": "Bench Dairy", "pounds_processed_daily": 2_000_000, "violations": violations},
        "products": products,
        "stations": [
            {"name": "RS 1", "cwt": 3000, "rating": 88, "supervision": "local"},
            {"name": "TS 1", "cwt": 1500, "rating": 93, "supervision": "local"},
            {"name": "RS 2", "cwt": 2500, "violations": ["1", "3", "7", "12A"], "supervision": "separately_listed"}
        ]
    })
    .to_string()
}

fn bench(c: &mut Criterion) {
    let farms = btu(10_000);
    let parsed_farms = worksheet::parse(&farms).expect("bench worksheet is valid");
    c.bench_function("2359k 10,000 farms: rate", |b| {
        b.iter(|| worksheet::rate(black_box(&parsed_farms)))
    });
    c.bench_function("2359k 10,000 farms: rate + print", |b| {
        b.iter(|| serde_json::to_string(&worksheet::rate(black_box(&parsed_farms))))
    });
    c.bench_function("2359k 10,000 farms: parse + rate + print", |b| {
        b.iter(|| worksheet::rate_json(black_box(&farms)))
    });
    let plant = plant(200);
    let parsed_plant = worksheet::parse(&plant).expect("bench worksheet is valid");
    c.bench_function("2359L 200 products: rate", |b| {
        b.iter(|| worksheet::rate(black_box(&parsed_plant)))
    });
    c.bench_function("2359L 200 products: parse + rate + print", |b| {
        b.iter(|| worksheet::rate_json(black_box(&plant)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
