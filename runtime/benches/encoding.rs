//! Encoding throughput: a `sequence<sequence<float>>` of 1 MiB and a sequence of 10,000
//! small structs, each encoded and decoded, with a plain copy of the same bytes as the
//! baseline (`cargo bench -p ice-runtime --bench encoding`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ice_runtime::encoding::{Decode, Encode, InputStream, MarshalError, OutputStream};
use std::hint::black_box;

/// A small struct as slicec-rs emits it: `struct Sample { int id; double value; bool ok;
/// string name; }`.
#[derive(Clone, Debug, PartialEq)]
struct Sample {
    id: i32,
    value: f64,
    ok: bool,
    name: String,
}

impl Encode for Sample {
    fn encode(&self, out: &mut OutputStream) {
        self.id.encode(out);
        self.value.encode(out);
        self.ok.encode(out);
        self.name.encode(out);
    }
}

impl Decode for Sample {
    const MIN_WIRE_SIZE: usize = 14;
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        Ok(Sample {
            id: input.read()?,
            value: input.read()?,
            ok: input.read()?,
            name: input.read()?,
        })
    }
}

fn encode<T: Encode + ?Sized>(value: &T, capacity: usize) -> Vec<u8> {
    let mut out = OutputStream::with_capacity(capacity);
    value.encode(&mut out);
    out.into_vec()
}

/// Benchmarks encode, decode and a plain copy of the same bytes for one value.
fn bench_value<T: Encode + Decode>(c: &mut Criterion, name: &str, value: &T) {
    let bytes = encode(value, 0);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode", |b| {
        b.iter(|| encode(black_box(value), bytes.len()))
    });
    group.bench_function("decode", |b| {
        b.iter(|| T::decode(&mut InputStream::new(black_box(&bytes))))
    });
    group.bench_function("memcpy", |b| b.iter(|| black_box(&bytes).to_vec()));
    group.finish();
}

fn benches(c: &mut Criterion) {
    // 256 rows of 1024 floats: 1 MiB of floats.
    let grid: Vec<Vec<f32>> = (0..256)
        .map(|r| (0..1024).map(|i| (r * 1024 + i) as f32 * 0.5).collect())
        .collect();
    bench_value(c, "float_grid_1MiB", &grid);

    let samples: Vec<Sample> = (0..10_000)
        .map(|i| Sample {
            id: i,
            value: f64::from(i) * 1.25,
            ok: i % 2 == 0,
            name: format!("sample-{i}"),
        })
        .collect();
    bench_value(c, "structs_10000", &samples);
}

criterion_group!(encoding, benches);
criterion_main!(encoding);
