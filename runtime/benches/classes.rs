//! Class graph throughput: a graph of 100 instances (a binary tree of 90 nodes, each also
//! linking to one of 10 shared leaves) encoded and decoded in the compact and sliced
//! formats (`cargo bench -p ice-runtime --bench classes`). Time per iteration is the time
//! per graph; the throughput line gives MB/s of encoded bytes.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ice_runtime::encoding::{
    AnyValue, Class, Format, InputStream, MarshalError, OutputStream, Value, ValueFactories,
    ENCODING_1_1,
};
use std::hint::black_box;

/// `class GraphNode { int id; string label; double weight; GraphNode left; GraphNode right;
/// GraphNode link; }` as slicec-rs emits it.
#[derive(Clone, Debug, Default, PartialEq)]
struct GraphNode {
    id: i32,
    label: String,
    weight: f64,
    left: Option<Value<GraphNode>>,
    right: Option<Value<GraphNode>>,
    link: Option<Value<GraphNode>>,
}

impl Class for GraphNode {
    const ICE_ID: &'static str = "::Bench::GraphNode";
}

impl AnyValue for GraphNode {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Bench::GraphNode", "::Ice::Object"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, true);
        out.write_i32(self.id);
        out.write_string(&self.label);
        out.write_f64(self.weight);
        out.write_value(self.left.as_ref());
        out.write_value(self.right.as_ref());
        out.write_value(self.link.as_ref());
        out.end_slice();
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.id = input.read_i32()?;
        self.label = input.read_string()?;
        self.weight = input.read_f64()?;
        self.left = input.read_value()?;
        self.right = input.read_value()?;
        self.link = input.read_value()?;
        input.end_slice()
    }
    ice_runtime::ice_upcast_root!();
}

/// 100 instances: nodes 0..90 form a binary tree (children of i are 2i+1 and 2i+2) and
/// each links to one of the shared leaves 90..100. No cycles.
fn graph() -> Value<GraphNode> {
    let nodes: Vec<Value<GraphNode>> = (0..100)
        .map(|i| {
            Value::new(GraphNode {
                id: i,
                label: format!("node-{i}"),
                weight: f64::from(i) * 0.5,
                ..GraphNode::default()
            })
        })
        .collect();
    for i in 0..90 {
        let mut n = nodes[i].write();
        n.left = nodes.get(2 * i + 1).filter(|_| 2 * i + 1 < 90).cloned();
        n.right = nodes.get(2 * i + 2).filter(|_| 2 * i + 2 < 90).cloned();
        n.link = Some(nodes[90 + i % 10].clone());
    }
    nodes[0].clone()
}

fn encode(root: &Value<GraphNode>, format: Format) -> Vec<u8> {
    let mut out = OutputStream::with_capacity(4096);
    out.set_format(format);
    out.start_encapsulation(ENCODING_1_1);
    out.write_value(Some(root));
    out.end_encapsulation();
    out.into_vec()
}

fn decode(bytes: &[u8]) -> Value<GraphNode> {
    let mut input = InputStream::new(bytes);
    input.start_encapsulation().expect("encapsulation");
    let v = input
        .read_value::<GraphNode>()
        .expect("graph")
        .expect("not null");
    input.end_encapsulation().expect("end");
    v
}

fn bench(c: &mut Criterion) {
    ValueFactories::global().register::<GraphNode>();
    let root = graph();
    for (name, format) in [("compact", Format::Compact), ("sliced", Format::Sliced)] {
        let bytes = encode(&root, format);
        let decoded = decode(&bytes);
        assert_eq!(encode(&decoded, format), bytes, "round trip");
        let mut g = c.benchmark_group(format!("class_graph_100/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("encode", |b| b.iter(|| encode(black_box(&root), format)));
        g.bench_function("decode", |b| b.iter(|| decode(black_box(&bytes))));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
