//! Class instances against the golden vectors of ZeroC Ice 3.7 (`encoding/classes.json`,
//! the class vector of `encoding10.json`), plus slicing, preservation, limits, hostile
//! input and property tests. Every vector is decoded (graph shape, sharing and cycles
//! checked through its `#n` labels) and encoded back to exactly its bytes.

mod classes_support;

use classes_support::*;
use ice_runtime::encoding::{
    ClassOptions, Format, InputStream, OutputStream, Value, ValueFactories, ValueRef, ENCODING_1_0,
    ENCODING_1_1,
};
use proptest::prelude::*;
use serde_json::Value as Json;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Once};

// ---- a counting allocator: decoding must not allocate beyond a multiple of its input ----

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

// SAFETY: every call forwards to the system allocator with the caller's layout unchanged;
// the bookkeeping touches only const-initialized thread-local cells (no allocation).
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        track(layout.size() as isize);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        track(-(layout.size() as isize));
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        track(new as isize - layout.size() as isize);
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak bytes allocated (above the level at the start) while `f` runs on this thread.
fn peak_allocation<R>(f: impl FnOnce() -> R) -> (R, isize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    (r, PEAK.with(Cell::get) - base)
}

// ---- helpers ------------------------------------------------------------------------

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| register_vec_classes(ValueFactories::global()));
}

fn format_of(v: &Json) -> Format {
    match v["format"].as_str() {
        Some("sliced") => Format::Sliced,
        _ => Format::Compact,
    }
}

/// Reads the operation's parameter the way generated code for `Vec::Echo` would.
fn read_param(op: &str, input: &mut InputStream<'_>) -> Result<Vec<Field>, String> {
    let one = |f: Option<ValueRef>| vec![Field::Class(f)];
    let r = match op {
        "echoBaseSeq" | "echoBaseSeqSliced" => {
            let n = input.read_count(1).map_err(|e| e.to_string())?;
            let mut v = Vec::new();
            for _ in 0..n {
                let b = input.read_value::<Base>().map_err(|e| e.to_string())?;
                v.push(Field::Class(b.map(Value::into_value_ref)));
            }
            v
        }
        "echoCompact" | "echoCompactSliced" => one(input
            .read_value::<Compact>()
            .map_err(|e| e.to_string())?
            .map(Value::into_value_ref)),
        "echoNode" | "echoNodeSliced" => one(input
            .read_value::<Node>()
            .map_err(|e| e.to_string())?
            .map(Value::into_value_ref)),
        "echoTrio" | "echoTrioSliced" => one(input
            .read_value::<Trio>()
            .map_err(|e| e.to_string())?
            .map(Value::into_value_ref)),
        "echoWithOptionals" | "echoWithOptionalsSliced" => one(input
            .read_value::<WithOptionals>()
            .map_err(|e| e.to_string())?
            .map(Value::into_value_ref)),
        "echoPBaseSliced" => one(input
            .read_value::<PBase>()
            .map_err(|e| e.to_string())?
            .map(Value::into_value_ref)),
        _ => one(input
            .read_value::<Base>()
            .map_err(|e| e.to_string())?
            .map(Value::into_value_ref)),
    };
    input.read_pending_values().map_err(|e| e.to_string())?;
    Ok(r)
}

fn write_param(op: &str, out: &mut OutputStream, fields: &[Field]) {
    if op.starts_with("echoBaseSeq") {
        out.write_size(fields.len());
    }
    for f in fields {
        if let Field::Class(r) = f {
            out.write_value(r.as_ref());
        }
    }
    out.write_pending_values();
}

fn expected_roots(v: &Json) -> Vec<&Json> {
    match &v["value"] {
        Json::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

fn check_roots(v: &Json, roots: &[Field]) {
    let name = v["name"].as_str().unwrap_or("?");
    let exp = expected_roots(v);
    assert_eq!(exp.len(), roots.len(), "{name}: number of values");
    let mut labels = HashMap::new();
    for (i, (e, a)) in exp.iter().zip(roots).enumerate() {
        check(e, a, &mut labels, &format!("{name}[{i}]"));
    }
}

fn build_roots(v: &Json) -> Vec<Field> {
    let mut labels = HashMap::new();
    expected_roots(v)
        .into_iter()
        .map(|j| Field::Class(build(j, &mut labels)))
        .collect()
}

fn encode(v: &Json, roots: &[Field], encaps: bool) -> Vec<u8> {
    let op = v["operation"].as_str().unwrap_or("");
    let version = if v["encoding"] == "1.0" {
        ENCODING_1_0
    } else {
        ENCODING_1_1
    };
    let mut out = OutputStream::new();
    out.set_format(format_of(v));
    if encaps {
        out.start_encapsulation(version);
    } else {
        out.set_encoding(version);
    }
    write_param(op, &mut out, roots);
    if encaps {
        out.end_encapsulation();
    }
    out.into_vec()
}

fn decode(v: &Json, bytes: &[u8], encaps: bool) -> Result<Vec<Field>, String> {
    let op = v["operation"].as_str().unwrap_or("");
    let version = if v["encoding"] == "1.0" {
        ENCODING_1_0
    } else {
        ENCODING_1_1
    };
    let mut input = InputStream::with_encoding(bytes, version);
    input.set_accept_class_cycles(true);
    if encaps {
        input.start_encapsulation().map_err(|e| e.to_string())?;
    }
    let roots = read_param(op, &mut input)?;
    if encaps {
        input.end_encapsulation().map_err(|e| e.to_string())?;
    }
    assert_eq!(input.remaining(), 0, "bytes left over");
    Ok(roots)
}

fn class_vectors() -> Vec<Json> {
    let mut all: Vec<Json> = load_vectors("classes.json")
        .into_iter()
        .filter(|v| v.get("same_as_sent").is_none())
        .collect();
    all.extend(
        load_vectors("encoding10.json")
            .into_iter()
            .filter(|v| v["value"].get("class").is_some()),
    );
    assert!(
        all.len() >= 25,
        "expected the class vectors, found {}",
        all.len()
    );
    all
}

// ---- golden vectors -------------------------------------------------------------------

#[test]
fn every_class_vector_decodes_to_its_value() {
    register();
    for v in class_vectors() {
        let name = v["name"].as_str().unwrap_or("?");
        for encaps in [false, true] {
            let bytes = hex(v[if encaps { "encaps_hex" } else { "hex" }]
                .as_str()
                .unwrap());
            let roots = decode(&v, &bytes, encaps).unwrap_or_else(|e| panic!("{name}: {e}"));
            check_roots(&v, &roots);
        }
    }
}

#[test]
fn every_class_vector_encodes_to_its_bytes() {
    register();
    for v in class_vectors() {
        let name = v["name"].as_str().unwrap_or("?");
        let roots = build_roots(&v);
        assert_eq!(
            to_hex(&encode(&v, &roots, false)),
            v["hex"].as_str().unwrap(),
            "{name}: body"
        );
        assert_eq!(
            to_hex(&encode(&v, &roots, true)),
            v["encaps_hex"].as_str().unwrap(),
            "{name}: encapsulation"
        );
    }
}

#[test]
fn decoded_vectors_encode_back_to_the_same_bytes() {
    register();
    for v in class_vectors() {
        let name = v["name"].as_str().unwrap_or("?");
        let bytes = hex(v["encaps_hex"].as_str().unwrap());
        let roots = decode(&v, &bytes, true).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            to_hex(&encode(&v, &roots, true)),
            v["encaps_hex"].as_str().unwrap(),
            "{name}"
        );
    }
}

/// `PDerived.preserved_by_base_only_peer`: a peer that knows only `PBase` keeps the
/// `PDerived` slice (and its indirection table, a reference to the instance itself) and
/// sends back exactly the bytes it received.
#[test]
fn a_peer_knowing_only_the_base_preserves_unknown_slices() {
    let v = load_vectors("classes.json")
        .into_iter()
        .find(|v| v["name"] == "PDerived.preserved_by_base_only_peer")
        .expect("vector");
    assert_eq!(v["same_as_sent"], true);
    let bytes = hex(v["hex"].as_str().unwrap());
    let only_pbase = Arc::new(ValueFactories::new());
    only_pbase.register::<PBase>();
    let mut input = InputStream::new(&bytes);
    input.set_value_factories(only_pbase);
    input.set_accept_class_cycles(true);
    let p = input.read_value::<PBase>().unwrap().expect("not null");
    assert_eq!(input.remaining(), 0);
    {
        let g = p.read();
        assert_eq!(g.pb, 1);
        let sliced = g.ice_sliced_data.as_ref().expect("preserved slices");
        assert_eq!(sliced.slices.len(), 1);
        let s = &sliced.slices[0];
        assert_eq!(s.type_id, "::Vec::PDerived");
        assert!(!s.is_last_slice);
        assert_eq!(s.instances.len(), 1);
        assert!(
            ValueRef::ptr_eq(&s.instances[0], p.as_value_ref()),
            "self reference kept"
        );
    }
    let mut out = OutputStream::new();
    out.set_format(Format::Sliced);
    out.write_value(Some(&p));
    assert_eq!(to_hex(out.as_slice()), v["hex"].as_str().unwrap());
    // In the compact format the preserved slices are dropped: a plain PBase.
    let mut out = OutputStream::new();
    out.write_value(Some(&p));
    assert_eq!(
        to_hex(out.as_slice()),
        "01210c3a3a5665633a3a504261736501000000"
    );
    // Break the cycle so the test does not leak.
    p.write().ice_sliced_data = None;
}

#[test]
fn sliced_format_slices_an_unknown_derived_class_to_its_known_base() {
    let v = class_vectors()
        .into_iter()
        .find(|v| v["name"] == "Derived.with_buddy.sliced")
        .unwrap();
    let bytes = hex(v["hex"].as_str().unwrap());
    let only_base = Arc::new(ValueFactories::new());
    only_base.register::<Base>();
    let mut input = InputStream::new(&bytes);
    input.set_value_factories(only_base);
    let b = input.read_value::<Base>().unwrap().unwrap();
    assert_eq!(input.remaining(), 0);
    assert_eq!(b.as_value_ref().ice_id(), "::Vec::Base");
    assert_eq!((b.read().id, b.read().name.as_str()), (2, "two"));
}

#[test]
fn compact_format_cannot_slice_an_unknown_derived_class() {
    let v = class_vectors()
        .into_iter()
        .find(|v| v["name"] == "Derived.with_buddy.compact")
        .unwrap();
    let bytes = hex(v["hex"].as_str().unwrap());
    let only_base = Arc::new(ValueFactories::new());
    only_base.register::<Base>();
    let mut input = InputStream::new(&bytes);
    input.set_value_factories(only_base);
    let err = input.read_value::<Base>().unwrap_err();
    assert!(
        err.message.contains("compact format prevents slicing")
            && err.message.contains("::Vec::Derived"),
        "{err}"
    );
}

#[test]
fn an_unknown_class_in_the_sliced_format_becomes_an_unknown_sliced_value() {
    let v = class_vectors()
        .into_iter()
        .find(|v| v["name"] == "Derived.with_buddy.sliced")
        .unwrap();
    let bytes = hex(v["hex"].as_str().unwrap());
    let mut input = InputStream::new(&bytes);
    input.set_value_factories(Arc::new(ValueFactories::new()));
    let r = input.read_value_ref().unwrap().unwrap();
    assert_eq!(input.remaining(), 0);
    assert_eq!(r.ice_id(), "::Vec::Derived");
    // It is written back unchanged in the sliced format, and also in the compact format
    // (an instance made only of preserved slices can only be written with its slices).
    for format in [Format::Sliced, Format::Compact] {
        let mut out = OutputStream::new();
        out.set_format(format);
        out.write_value(Some(&r));
        assert_eq!(
            to_hex(out.as_slice()),
            v["hex"].as_str().unwrap(),
            "{format:?}"
        );
    }
    // With Ice.SliceValues off, an unknown type is an error.
    let mut input = InputStream::new(&bytes);
    input.set_value_factories(Arc::new(ValueFactories::new()));
    input.set_slice_values(false);
    let err = input.read_value_ref().unwrap_err();
    assert!(err.message.contains("Ice.SliceValues"), "{err}");
    // A member declared `Base` gets the Base slice (the declared class needs no factory)...
    let mut input = InputStream::new(&bytes);
    input.set_value_factories(Arc::new(ValueFactories::new()));
    assert_eq!(input.read_value::<Base>().unwrap().unwrap().read().id, 2);
    // ...but a member declared `Node` cannot hold it.
    let mut input = InputStream::new(&bytes);
    input.set_value_factories(Arc::new(ValueFactories::new()));
    let err = input.read_value::<Node>().unwrap_err();
    assert!(
        err.message.contains("expected an instance of ::Vec::Node"),
        "{err}"
    );
}

#[test]
fn cycles_are_refused_unless_accepted() {
    register();
    let v = class_vectors()
        .into_iter()
        .find(|v| v["name"] == "Node.cycle2.compact")
        .unwrap();
    let bytes = hex(v["hex"].as_str().unwrap());
    let err = InputStream::new(&bytes).read_value::<Node>().unwrap_err();
    assert!(err.message.contains("cycle"), "{err}");
    // A shared instance without a cycle is fine by default.
    let v = class_vectors()
        .into_iter()
        .find(|v| v["name"] == "Trio.shared_and_null.sliced")
        .unwrap();
    let bytes = hex(v["hex"].as_str().unwrap());
    let t = InputStream::new(&bytes)
        .read_value::<Trio>()
        .unwrap()
        .unwrap();
    let t = t.read();
    assert_eq!(t.first, t.second);
    assert!(t.missing.is_none());
}

fn chain(n: usize) -> Value<Node> {
    let mut head: Option<Value<Node>> = None;
    for i in (0..n).rev() {
        head = Some(Value::new(Node {
            value: i as i32,
            next: head,
        }));
    }
    head.expect("n > 0")
}

#[test]
fn the_class_graph_depth_limit_is_enforced() {
    for format in [Format::Compact, Format::Sliced] {
        for (n, ok) in [(100, true), (101, false)] {
            let mut out = OutputStream::new();
            out.set_format(format);
            out.write_value(Some(&chain(n)));
            let mut input = InputStream::new(out.as_slice());
            let r = input.read_value::<Node>();
            assert_eq!(r.is_ok(), ok, "{format:?} {n}: {r:?}");
            if !ok {
                assert!(r.unwrap_err().message.contains("Ice.ClassGraphDepthMax"));
            }
            let mut input = InputStream::new(out.as_slice());
            input.set_class_graph_depth_max(200);
            assert!(input.read_value::<Node>().is_ok());
            let mut input = InputStream::new(out.as_slice());
            input.set_class_graph_depth_max(10);
            assert!(input.read_value::<Node>().is_err());
        }
    }
}

#[test]
fn decoded_graphs_can_be_mutated_and_encoded_again() {
    register();
    let v = class_vectors()
        .into_iter()
        .find(|v| v["name"] == "Derived.with_buddy.compact")
        .unwrap();
    let bytes = hex(v["hex"].as_str().unwrap());
    let b = InputStream::new(&bytes)
        .read_value::<Base>()
        .unwrap()
        .unwrap();
    let d = b.downcast::<Derived>().expect("a Derived");
    let buddy = d.read().buddy.clone().expect("buddy");
    buddy.write().name = "THREE".into();
    d.write().weight = 3.0;
    let mut out = OutputStream::new();
    out.write_value(Some(&b));
    let again = InputStream::new(out.as_slice())
        .read_value::<Derived>()
        .unwrap()
        .unwrap();
    let again = again.read();
    assert_eq!(again.weight, 3.0);
    assert_eq!(again.buddy.as_ref().unwrap().read().name, "THREE");
    assert_eq!(again.name, "two");
}

#[test]
fn a_reference_of_the_wrong_class_is_refused() {
    register();
    // A Trio whose `first` is a Node.
    let node = Value::new(Node::default()).into_value_ref();
    let mut out = OutputStream::new();
    let trio = ValueRef::new(WrongTrio(node));
    out.write_value(Some(&trio));
    let err = InputStream::new(out.as_slice())
        .read_value::<Trio>()
        .unwrap_err();
    assert!(err.message.contains("::Vec::Base"), "{err}");
}

/// Writes a Trio slice whose first member is any instance.
#[derive(Debug)]
struct WrongTrio(ValueRef);

impl ice_runtime::encoding::AnyValue for WrongTrio {
    fn ice_id(&self) -> &str {
        "::Vec::Trio"
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::Trio"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice("::Vec::Trio", None, true);
        out.write_value(Some(&self.0));
        out.write_value::<ValueRef>(None);
        out.write_value::<ValueRef>(None);
        out.end_slice();
    }
    fn ice_read(
        &mut self,
        _: &mut InputStream<'_>,
    ) -> Result<(), ice_runtime::encoding::MarshalError> {
        Ok(())
    }
    ice_runtime::ice_upcast_root!();
}

#[test]
fn hostile_indexes_are_errors() {
    register();
    let cases: &[(&str, &str)] = &[
        ("05", "refers to no instance"),
        ("01220500000000", "type id index"),
        // Sliced Node whose member uses indirection index 3 of a 1-entry table.
        (
            "01390b3a3a5665633a3a4e6f646509000000010000000301013201090000000500000000",
            "indirection index 3 is out of range",
        ),
        (
            "01390b3a3a5665633a3a4e6f64650900000001000000030100",
            "null entry",
        ),
        // A slice whose members do not fill its size.
        (
            "01310b3a3a5665633a3a4e6f64650a000000010000000000",
            "do not match its size",
        ),
        // Indirection flag, empty table.
        (
            "01390b3a3a5665633a3a4e6f646509000000010000000100",
            "empty indirection table",
        ),
        // Slice size beyond the buffer.
        ("01310b3a3a5665633a3a4e6f6465ff000000", "invalid slice size"),
        ("ffffffffff", "negative"),
        ("01", "need"),
    ];
    for (h, what) in cases {
        let bytes = hex(h);
        let err = InputStream::new(&bytes).read_value::<Node>().unwrap_err();
        assert!(err.message.contains(what), "{h}: {err}");
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Value<Node>>();
    assert_send_sync::<ValueRef>();
    assert_send_sync::<OutputStream>();
    assert_send_sync::<InputStream<'static>>();
    assert_send_sync::<Box<dyn ice_runtime::encoding::UserException>>();
    let n = chain(3);
    let m = n.clone();
    std::thread::spawn(move || m.write().value = 42)
        .join()
        .unwrap();
    assert_eq!(n.read().value, 42);
}

// ---- property tests -------------------------------------------------------------------

/// A random graph of Nodes: node i's `next` is `links[i]` (any node: sharing and cycles),
/// and the roots are a sequence of (possibly repeated, possibly null) nodes.
/// Node i: (value, index of its `next`).
type Nodes = Vec<(i32, Option<usize>)>;
/// Root sequence: indexes of nodes, or null.
type Roots = Vec<Option<usize>>;

fn graph() -> impl Strategy<Value = (Nodes, Roots)> {
    (1usize..24).prop_flat_map(|n| {
        (
            proptest::collection::vec((any::<i32>(), proptest::option::of(0..n)), n),
            proptest::collection::vec(proptest::option::of(0..n), 1..6),
        )
    })
}

fn make_graph(nodes: &[(i32, Option<usize>)], roots: &[Option<usize>]) -> Vec<Option<Value<Node>>> {
    let handles: Vec<Value<Node>> = nodes
        .iter()
        .map(|&(value, _)| Value::new(Node { value, next: None }))
        .collect();
    for (h, &(_, link)) in handles.iter().zip(nodes) {
        h.write().next = link.map(|l| handles[l].clone());
    }
    roots
        .iter()
        .map(|r| r.map(|i| handles[i].clone()))
        .collect()
}

fn has_cycle(nodes: &[(i32, Option<usize>)], roots: &[Option<usize>]) -> bool {
    roots.iter().flatten().any(|&start| {
        let mut seen = vec![false; nodes.len()];
        let mut at = start;
        loop {
            if seen[at] {
                return true;
            }
            seen[at] = true;
            match nodes[at].1 {
                Some(n) => at = n,
                None => return false,
            }
        }
    })
}

fn break_cycles(roots: &[Option<Value<Node>>]) {
    for r in roots.iter().flatten() {
        let mut at = Some(r.clone());
        while let Some(n) = at {
            at = n.write().next.take();
        }
    }
}

fn encode_seq(roots: &[Option<Value<Node>>], format: Format) -> Vec<u8> {
    let mut out = OutputStream::new();
    out.set_format(format);
    out.start_encapsulation(ENCODING_1_1);
    out.write_size(roots.len());
    for r in roots {
        out.write_value(r.as_ref());
    }
    out.end_encapsulation();
    out.into_vec()
}

fn decode_seq(
    bytes: &[u8],
    accept_cycles: bool,
) -> Result<Vec<Option<Value<Node>>>, ice_runtime::encoding::MarshalError> {
    let mut input = InputStream::new(bytes);
    input.set_accept_class_cycles(accept_cycles);
    input.set_class_graph_depth_max(100);
    input.start_encapsulation()?;
    let n = input.read_count(1)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(input.read_value::<Node>()?);
    }
    input.end_encapsulation()?;
    Ok(v)
}

/// Same shape: a bijection between the instances of `a` and `b` that preserves values
/// and links.
fn isomorphic(a: &[Option<Value<Node>>], b: &[Option<Value<Node>>]) -> bool {
    let mut map: HashMap<usize, ValueRef> = HashMap::new();
    let ptr = |v: &Value<Node>| v.as_value_ref().identity();
    if a.len() != b.len() {
        return false;
    }
    let mut stack: Vec<(Value<Node>, Value<Node>)> = Vec::new();
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (None, None) => {}
            (Some(x), Some(y)) => stack.push((x.clone(), y.clone())),
            _ => return false,
        }
    }
    while let Some((x, y)) = stack.pop() {
        let px = ptr(&x);
        if let Some(m) = map.get(&px) {
            if !ValueRef::ptr_eq(m, y.as_value_ref()) {
                return false;
            }
            continue;
        }
        if map.values().any(|m| ValueRef::ptr_eq(m, y.as_value_ref())) {
            return false;
        }
        map.insert(px, y.as_value_ref().clone());
        let (xv, xn) = {
            let g = x.read();
            (g.value, g.next.clone())
        };
        let (yv, yn) = {
            let g = y.read();
            (g.value, g.next.clone())
        };
        if xv != yv {
            return false;
        }
        match (xn, yn) {
            (None, None) => {}
            (Some(xn), Some(yn)) => stack.push((xn, yn)),
            _ => return false,
        }
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_graphs_round_trip((nodes, roots) in graph(), sliced in any::<bool>()) {
        let format = if sliced { Format::Sliced } else { Format::Compact };
        let original = make_graph(&nodes, &roots);
        let bytes = encode_seq(&original, format);
        let decoded = decode_seq(&bytes, true).expect("decodes");
        prop_assert!(isomorphic(&original, &decoded));
        prop_assert_eq!(encode_seq(&decoded, format), bytes.clone());
        // Without Ice.AcceptClassCycles, exactly the graphs with a cycle are refused.
        let strict = decode_seq(&bytes, false);
        prop_assert_eq!(strict.is_err(), has_cycle(&nodes, &roots));
        if let Ok(s) = strict { break_cycles(&s); }
        break_cycles(&original);
        break_cycles(&decoded);
    }

    #[test]
    fn mutated_class_bytes_never_panic_nor_overallocate(
        (nodes, roots) in graph(),
        sliced in any::<bool>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let format = if sliced { Format::Sliced } else { Format::Compact };
        let original = make_graph(&nodes, &roots);
        let mut bytes = encode_seq(&original, format);
        break_cycles(&original);
        for (i, b) in flips {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let (r, peak) = peak_allocation(|| decode_seq(&bytes, true));
        if let Ok(v) = r { break_cycles(&v); }
        prop_assert!(peak <= 64 * bytes.len() as isize + 16 * 1024, "peak {} for {} bytes", peak, bytes.len());
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), sliced in any::<bool>()) {
        register();
        let mut input = InputStream::new(&bytes);
        input.set_accept_class_cycles(true);
        let (r, peak) = peak_allocation(|| {
            let a = input.read_value::<Derived>().map(|v| v.map(Value::into_value_ref));
            let b = InputStream::new(&bytes).read_value::<WithOptionals>().map(|v| v.map(Value::into_value_ref));
            let c = InputStream::new(&bytes).read_value::<Trio>().map(|v| v.map(Value::into_value_ref));
            let d = InputStream::new(&bytes).read_value_ref();
            let mut e = InputStream::with_encoding(&bytes, ENCODING_1_0);
            let e = e.read_value::<Base>().and_then(|v| e.read_pending_values().map(|_| v));
            (a, b, c, d, e.map(|v| v.map(Value::into_value_ref)), sliced)
        });
        drop(r);
        prop_assert!(peak <= 64 * bytes.len() as isize + 16 * 1024);
    }
}

// ---- optional class values ------------------------------------------------------------

/// `optionals.json: opt.class`: `sendOptBase(optional(1) Base v)`, format Class.
#[test]
fn an_optional_class_parameter_matches_its_vector() {
    register();
    let v = load_vectors("optionals.json")
        .into_iter()
        .find(|v| v["name"] == "opt.class")
        .expect("vector opt.class");
    let mut labels = HashMap::new();
    let value = build(&v["value"], &mut labels)
        .and_then(|r| r.downcast::<Base>())
        .expect("a Base");
    let mut out = OutputStream::new();
    out.start_encapsulation(ENCODING_1_1);
    out.write_optional(1, Some(&value));
    out.end_encapsulation();
    assert_eq!(to_hex(out.as_slice()), v["encaps_hex"].as_str().unwrap());

    let bytes = hex(v["encaps_hex"].as_str().unwrap());
    let mut input = InputStream::new(&bytes);
    input.start_encapsulation().unwrap();
    let got = input
        .read_optional::<Option<Value<Base>>>(1)
        .unwrap()
        .flatten()
        .expect("present");
    input.end_encapsulation().unwrap();
    let field = Field::Class(Some(got.into_value_ref()));
    check(&v["value"], &field, &mut HashMap::new(), "opt.class");
}

/// A newer `WithOptionals` that also has `optional(3) Base extra`: an older reader skips
/// the unknown class member (the instance is read and dropped) and still finds tag 40.
#[derive(Debug, Default)]
struct NewerWithOptionals {
    inner: WithOptionals,
    extra: Option<Value<Base>>,
}

impl ice_runtime::encoding::AnyValue for NewerWithOptionals {
    fn ice_id(&self) -> &str {
        "::Vec::WithOptionals"
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::WithOptionals"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice("::Vec::WithOptionals", None, true);
        out.write_i32(self.inner.req);
        out.write_optional_member(1, self.inner.o1.as_ref());
        out.write_optional_member(3, self.extra.as_ref());
        out.write_optional_member(40, self.inner.o40.as_ref());
        out.end_slice();
    }
    fn ice_read(
        &mut self,
        _: &mut InputStream<'_>,
    ) -> Result<(), ice_runtime::encoding::MarshalError> {
        Ok(())
    }
    ice_runtime::ice_upcast_root!();
}

#[test]
fn unknown_optional_class_members_are_skipped() {
    for format in [Format::Compact, Format::Sliced] {
        let newer = ValueRef::new(NewerWithOptionals {
            inner: WithOptionals {
                req: 7,
                o1: Some(1),
                o2: None,
                o40: Some(Point { x: 4, y: 5 }),
            },
            extra: Some(Value::new(Base {
                id: 9,
                name: "extra".into(),
            })),
        });
        let mut out = OutputStream::new();
        out.set_format(format);
        out.start_encapsulation(ENCODING_1_1);
        out.write_value(Some(&newer));
        out.write_value(Some(&newer));
        out.end_encapsulation();
        let mut input = InputStream::new(out.as_slice());
        input.start_encapsulation().unwrap();
        let w = input.read_value::<WithOptionals>().unwrap().unwrap();
        let again = input.read_value::<WithOptionals>().unwrap().unwrap();
        input.end_encapsulation().unwrap();
        assert_eq!(w, again, "{format:?}: the same instance");
        let w = w.read();
        assert_eq!(
            (w.req, w.o1, w.o2.clone(), w.o40),
            (7, Some(1), None, Some(Point { x: 4, y: 5 })),
            "{format:?}"
        );
    }
}

/// Instance ids and type-id indexes are per encapsulation.
#[test]
fn each_encapsulation_numbers_its_instances_from_two() {
    register();
    let b = Value::new(Base {
        id: 1,
        name: "one".into(),
    });
    let mut out = OutputStream::new();
    for _ in 0..2 {
        out.start_encapsulation(ENCODING_1_1);
        out.write_value(Some(&b));
        out.write_value(Some(&b));
        out.end_encapsulation();
    }
    let one = "1d000000010101210b3a3a5665633a3a4261736501000000036f6e6502";
    assert_eq!(to_hex(out.as_slice()), format!("{one}{one}"));
    let mut input = InputStream::new(out.as_slice());
    for _ in 0..2 {
        input.start_encapsulation().unwrap();
        let x = input.read_value::<Base>().unwrap().unwrap();
        let y = input.read_value::<Base>().unwrap().unwrap();
        input.end_encapsulation().unwrap();
        assert_eq!(x, y);
    }
}

// ---- against a live ZeroC Ice peer ----------------------------------------------------

/// Random graphs of `Base`/`Derived` (buddies give sharing and cycles).
type Instances = Vec<(bool, i32, String, Option<usize>)>;

fn base_graph() -> impl Strategy<Value = (Instances, Roots)> {
    (1usize..16).prop_flat_map(|n| {
        (
            proptest::collection::vec(
                (
                    any::<bool>(),
                    any::<i32>(),
                    "[a-z]{0,6}",
                    proptest::option::of(0..n),
                ),
                n,
            ),
            proptest::collection::vec(proptest::option::of(0..n), 1..6),
        )
    })
}

fn make_base_graph(instances: &Instances, roots: &Roots) -> Vec<Option<Value<Base>>> {
    let handles: Vec<Value<Base>> = instances
        .iter()
        .map(|(derived, id, name, _)| {
            let base = Base {
                id: *id,
                name: name.clone(),
            };
            if *derived {
                Value::new(Derived {
                    base,
                    weight: f64::from(*id) / 4.0,
                    buddy: None,
                })
                .upcast()
            } else {
                Value::new(base)
            }
        })
        .collect();
    for (h, (_, _, _, link)) in handles.iter().zip(instances) {
        if let Some(d) = h.downcast::<Derived>() {
            d.write().buddy = link.map(|l| handles[l].clone());
        }
    }
    roots
        .iter()
        .map(|r| r.map(|i| handles[i].clone()))
        .collect()
}

fn break_base_cycles(roots: &[Option<Value<Base>>]) {
    for r in roots.iter().flatten() {
        let mut at = r.downcast::<Derived>();
        while let Some(d) = at {
            // Take the link first: the next instance may be `d` itself (locked while taken).
            let next = d.write().buddy.take();
            at = next.and_then(|b| b.downcast::<Derived>());
        }
    }
}

fn encode_base_seq(
    roots: &[Option<Value<Base>>],
    format: Format,
    version: ice_runtime::encoding::EncodingVersion,
) -> Vec<u8> {
    let mut out = OutputStream::new();
    out.set_format(format);
    out.start_encapsulation(version);
    out.write_size(roots.len());
    for r in roots {
        out.write_value(r.as_ref());
    }
    out.write_pending_values();
    out.end_encapsulation();
    out.into_vec()
}

fn decode_base_seq(bytes: &[u8]) -> Vec<Option<Value<Base>>> {
    let mut input = InputStream::new(bytes);
    input.set_accept_class_cycles(true);
    input.start_encapsulation().expect("encapsulation");
    let n = input.read_count(1).expect("count");
    let v: Vec<_> = (0..n)
        .map(|_| input.read_value::<Base>().expect("element"))
        .collect();
    input.read_pending_values().expect("pending values");
    input.end_encapsulation().expect("end");
    v
}

/// The same graph: instances in bijection, same classes, members and links.
fn same_base_graph(a: &[Option<Value<Base>>], b: &[Option<Value<Base>>]) -> bool {
    let mut map: HashMap<usize, ValueRef> = HashMap::new();
    let mut stack: Vec<(Value<Base>, Value<Base>)> = Vec::new();
    if a.len() != b.len() {
        return false;
    }
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (None, None) => {}
            (Some(x), Some(y)) => stack.push((x.clone(), y.clone())),
            _ => return false,
        }
    }
    while let Some((x, y)) = stack.pop() {
        let key = x.as_value_ref().identity();
        if let Some(m) = map.get(&key) {
            if !ValueRef::ptr_eq(m, y.as_value_ref()) {
                return false;
            }
            continue;
        }
        map.insert(key, y.as_value_ref().clone());
        if *x.read() != *y.read() {
            return false;
        }
        match (x.downcast::<Derived>(), y.downcast::<Derived>()) {
            (None, None) => {}
            (Some(dx), Some(dy)) => {
                let (bx, by) = (dx.read().buddy.clone(), dy.read().buddy.clone());
                if dx.read().weight != dy.read().weight {
                    return false;
                }
                match (bx, by) {
                    (None, None) => {}
                    (Some(bx), Some(by)) => stack.push((bx, by)),
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    true
}

/// Random graphs sent to a real Ice 3.7 peer that decodes them and encodes them again:
/// in encoding 1.1 the reply must be byte-identical (compact and sliced formats); in
/// encoding 1.0 (whose instance order depends on the peer's memory addresses) it must
/// decode to the same graph.
#[test]
fn random_graphs_survive_a_round_trip_through_zeroc_ice() {
    register();
    let peer = std::cell::RefCell::new(IcePeer::start());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(60));
    runner
        .run(&base_graph(), |(instances, roots)| {
            let graph = make_base_graph(&instances, &roots);
            for (format, op) in [
                (Format::Compact, "echoBaseSeq"),
                (Format::Sliced, "echoBaseSeqSliced"),
            ] {
                let sent = encode_base_seq(&graph, format, ENCODING_1_1);
                let reply = peer.borrow_mut().invoke(op, &sent);
                prop_assert_eq!(to_hex(&reply), to_hex(&sent), "{:?}", format);
                let back = decode_base_seq(&reply);
                prop_assert!(same_base_graph(&graph, &back));
                break_base_cycles(&back);
            }
            let sent = encode_base_seq(&graph, Format::Compact, ENCODING_1_0);
            let reply = peer.borrow_mut().invoke("echoBaseSeq", &sent);
            prop_assert_eq!(
                &reply[4..6],
                &[1u8, 0][..],
                "a 1.0 request gets a 1.0 reply"
            );
            let back = decode_base_seq(&reply);
            prop_assert!(same_base_graph(&graph, &back));
            break_base_cycles(&back);
            break_base_cycles(&graph);
            Ok(())
        })
        .unwrap();
}

// ---- reference chains and encoding 1.0 graphs ---------------------------------------------

/// A sequence whose element i refers back to element i - 1: little nesting while decoding,
/// but a chain of `n` references (dropping it would recurse `n` deep).
fn back_chain(n: usize) -> Vec<Option<Value<Node>>> {
    let mut v: Vec<Option<Value<Node>>> = Vec::new();
    for i in 0..n {
        let prev = v.last().cloned().flatten();
        v.push(Some(Value::new(Node {
            value: i as i32,
            next: prev,
        })));
    }
    v
}

#[test]
fn long_reference_chains_are_refused_however_they_are_nested() {
    for format in [Format::Compact, Format::Sliced] {
        for (n, ok) in [(100, true), (101, false)] {
            let bytes = encode_seq(&back_chain(n), format);
            let mut input = InputStream::new(&bytes);
            input.start_encapsulation().unwrap();
            let count = input.read_count(1).unwrap();
            let r: Result<Vec<_>, _> = (0..count).map(|_| input.read_value::<Node>()).collect();
            assert_eq!(r.is_ok(), ok, "{format:?} {n}");
            if let Err(e) = r {
                assert!(e.message.contains("chain of 101"), "{e}");
            }
        }
    }
}

fn encode_seq_1_0(roots: &[Option<Value<Node>>]) -> Vec<u8> {
    let mut out = OutputStream::new();
    out.start_encapsulation(ENCODING_1_0);
    out.write_size(roots.len());
    for r in roots {
        out.write_value(r.as_ref());
    }
    out.write_pending_values();
    out.end_encapsulation();
    out.into_vec()
}

fn decode_seq_1_0(bytes: &[u8], accept_cycles: bool) -> Result<Vec<Option<Value<Node>>>, String> {
    register();
    let mut input = InputStream::new(bytes);
    input.set_accept_class_cycles(accept_cycles);
    input.start_encapsulation().map_err(|e| e.to_string())?;
    let n = input.read_count(1).map_err(|e| e.to_string())?;
    let v: Result<Vec<_>, _> = (0..n).map(|_| input.read_value::<Node>()).collect();
    let v = v.map_err(|e| e.to_string())?;
    input.read_pending_values().map_err(|e| e.to_string())?;
    input.end_encapsulation().map_err(|e| e.to_string())?;
    Ok(v)
}

#[test]
fn encoding_1_0_graphs_are_checked_for_cycles_and_depth() {
    let cyclic = make_graph(&[(1, Some(1)), (2, Some(0))], &[Some(0)]);
    let bytes = encode_seq_1_0(&cyclic);
    break_cycles(&cyclic);
    assert!(decode_seq_1_0(&bytes, false).unwrap_err().contains("cycle"));
    let back = decode_seq_1_0(&bytes, true).unwrap();
    let a = back[0].clone().unwrap();
    let b = a.read().next.clone().unwrap();
    assert_eq!((a.read().value, b.read().value), (1, 2));
    assert!(Value::ptr_eq(b.read().next.as_ref().unwrap(), &a));
    break_cycles(&back);

    for (n, ok) in [(100, true), (101, false)] {
        let bytes = encode_seq_1_0(&[Some(chain(n))]);
        let r = decode_seq_1_0(&bytes, false);
        assert_eq!(r.is_ok(), ok, "{n}: {r:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn random_graphs_round_trip_in_encoding_1_0((nodes, roots) in graph()) {
        let original = make_graph(&nodes, &roots);
        let bytes = encode_seq_1_0(&original);
        let decoded = decode_seq_1_0(&bytes, true).expect("decodes");
        prop_assert!(isomorphic(&original, &decoded));
        prop_assert_eq!(decode_seq_1_0(&bytes, false).is_err(), has_cycle(&nodes, &roots));
        break_cycles(&original);
        break_cycles(&decoded);
    }
}

// ---- preservation of random graphs ------------------------------------------------------

fn make_p_graph(instances: &Instances, roots: &Roots) -> Vec<Option<Value<PBase>>> {
    let handles: Vec<Value<PBase>> = instances
        .iter()
        .map(|(derived, pb, pd, _)| {
            let base = PBase {
                pb: *pb,
                ice_sliced_data: None,
            };
            if *derived {
                Value::new(PDerived {
                    base,
                    pd: pd.clone(),
                    other: None,
                })
                .upcast()
            } else {
                Value::new(base)
            }
        })
        .collect();
    for (h, (_, _, _, link)) in handles.iter().zip(instances) {
        if let Some(d) = h.downcast::<PDerived>() {
            d.write().other = link.map(|l| handles[l].clone());
        }
    }
    roots
        .iter()
        .map(|r| r.map(|i| handles[i].clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// A middle tier that knows only `PBase` decodes random graphs of `PBase`/`PDerived`
    /// (sharing, cycles, nested instances inside preserved slices) and sends them on
    /// byte-identically in the sliced format.
    #[test]
    fn a_base_only_middle_tier_forwards_random_graphs_unchanged((instances, roots) in base_graph()) {
        let graph = make_p_graph(&instances, &roots);
        let mut out = OutputStream::new();
        out.set_format(Format::Sliced);
        out.start_encapsulation(ENCODING_1_1);
        out.write_size(graph.len());
        for r in &graph {
            out.write_value(r.as_ref());
        }
        out.end_encapsulation();
        let sent = out.into_vec();

        let only_pbase = Arc::new(ValueFactories::new());
        only_pbase.register::<PBase>();
        let mut input = InputStream::new(&sent);
        input.set_value_factories(only_pbase);
        input.set_accept_class_cycles(true);
        input.start_encapsulation().unwrap();
        let n = input.read_count(1).unwrap();
        let middle: Vec<Option<Value<PBase>>> =
            (0..n).map(|_| input.read_value::<PBase>().unwrap()).collect();
        input.end_encapsulation().unwrap();
        for v in middle.iter().flatten() {
            prop_assert!(v.downcast::<PDerived>().is_none(), "sliced to PBase");
        }

        let mut out = OutputStream::new();
        out.set_format(Format::Sliced);
        out.start_encapsulation(ENCODING_1_1);
        out.write_size(middle.len());
        for r in &middle {
            out.write_value(r.as_ref());
        }
        out.end_encapsulation();
        prop_assert_eq!(to_hex(out.as_slice()), to_hex(&sent));

        // Break the cycles: links live in PDerived members and in preserved slices.
        for v in middle.iter().flatten() {
            v.write().ice_sliced_data = None;
        }
        for v in graph.iter().flatten() {
            if let Some(d) = v.downcast::<PDerived>() {
                let other = d.write().other.take();
                drop(other);
            }
        }
    }
}

/// The same through the real preservation peer of the vectors (ZeroC Ice for Python that
/// knows only `PBase`): it slices what we send, keeps the unknown slices and must send back
/// exactly our bytes.
#[test]
fn zeroc_ice_knowing_only_the_base_forwards_our_graphs_unchanged() {
    register();
    let peer = std::cell::RefCell::new(IcePeer::start_preserve_server());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(40));
    runner
        .run(&base_graph(), |(instances, roots)| {
            let graph = make_p_graph(&instances, &roots);
            let Some(root) = graph.iter().flatten().next().cloned() else {
                return Ok(()); // the peer wants an instance
            };
            let root = Some(root);
            let mut out = OutputStream::new();
            out.set_format(Format::Sliced);
            out.start_encapsulation(ENCODING_1_1);
            out.write_value(root.as_ref());
            out.end_encapsulation();
            let reply = peer.borrow_mut().invoke("echoPBaseSliced", out.as_slice());
            prop_assert_eq!(to_hex(&reply), to_hex(out.as_slice()));
            for v in graph.iter().flatten() {
                if let Some(d) = v.downcast::<PDerived>() {
                    let other = d.write().other.take();
                    drop(other);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn class_options_come_from_ice_properties() {
    let props: HashMap<&str, &str> = [
        ("Ice.ClassGraphDepthMax", "3"),
        ("Ice.AcceptClassCycles", "1"),
        ("Ice.SliceValues", "0"),
    ]
    .into_iter()
    .collect();
    let o = ClassOptions::from_properties(|n| props.get(n).map(|v| v.to_string()));
    assert_eq!(
        (
            o.class_graph_depth_max,
            o.accept_class_cycles,
            o.slice_values
        ),
        (3, true, false)
    );
    let d = ClassOptions::from_properties(|_| None);
    assert_eq!(
        (
            d.class_graph_depth_max,
            d.accept_class_cycles,
            d.slice_values
        ),
        (100, false, true)
    );
    // Applied to a stream: depth 3 refuses a chain of 4.
    let mut out = OutputStream::new();
    out.write_value(Some(&chain(4)));
    let mut input = InputStream::new(out.as_slice());
    input.set_class_options(&o);
    assert!(input.read_value::<Node>().is_err());
    let mut input = InputStream::new(out.as_slice());
    input.set_class_options(&ClassOptions::default());
    assert!(input.read_value::<Node>().is_ok());
}
