//! Shared by the class and exception tests: the Rust types of `vectors/slice/Vectors.ice`
//! written exactly as the code generator emits them, a vector loader, and helpers that
//! compare a decoded class graph with a vector's JSON value (labels `#n` make sharing and
//! cycles explicit) or build a graph from it.
#![allow(dead_code)]

use ice_runtime::encoding::{
    AnyValue, Class, Decode, Encode, Extends, InputStream, MarshalError, OutputStream, SlicedData,
    UserException, Value, ValueRef,
};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;

// ---------------------------------------------------------------------------------------
// Generated-style code for module Vec (classes).
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

impl Encode for Point {
    const FIXED_SIZE: Option<usize> = Some(8);
    fn encode(&self, out: &mut OutputStream) {
        out.write_i32(self.x);
        out.write_i32(self.y);
    }
}

impl Decode for Point {
    const FIXED_SIZE: Option<usize> = Some(8);
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        Ok(Point {
            x: input.read_i32()?,
            y: input.read_i32()?,
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Base {
    pub id: i32,
    pub name: String,
}

impl Class for Base {
    const ICE_ID: &'static str = "::Vec::Base";
}

impl AnyValue for Base {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::Base"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, true);
        out.write_i32(self.id);
        out.write_string(&self.name);
        out.end_slice();
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.id = input.read_i32()?;
        self.name = input.read_string()?;
        input.end_slice()
    }
    ice_runtime::ice_upcast_root!();
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Derived {
    pub base: Base,
    pub weight: f64,
    pub buddy: Option<Value<Base>>,
}

impl Deref for Derived {
    type Target = Base;
    fn deref(&self) -> &Base {
        &self.base
    }
}

impl DerefMut for Derived {
    fn deref_mut(&mut self) -> &mut Base {
        &mut self.base
    }
}

impl Class for Derived {
    const ICE_ID: &'static str = "::Vec::Derived";
}

impl Extends<Base> for Derived {}

impl AnyValue for Derived {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::Base", "::Vec::Derived"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, false);
        out.write_f64(self.weight);
        out.write_value(self.buddy.as_ref());
        out.end_slice();
        self.base.ice_write(out);
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.weight = input.read_f64()?;
        self.buddy = input.read_value::<Base>()?;
        input.end_slice()?;
        self.base.ice_read(input)
    }
    ice_runtime::ice_upcast_derived!(base);
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compact {
    pub v: i32,
}

impl Class for Compact {
    const ICE_ID: &'static str = "::Vec::Compact";
    const COMPACT_ID: Option<i32> = Some(7);
}

impl AnyValue for Compact {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::Compact"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, true);
        out.write_i32(self.v);
        out.end_slice();
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.v = input.read_i32()?;
        input.end_slice()
    }
    ice_runtime::ice_upcast_root!();
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    pub value: i32,
    pub next: Option<Value<Node>>,
}

impl Class for Node {
    const ICE_ID: &'static str = "::Vec::Node";
}

impl AnyValue for Node {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::Node"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, true);
        out.write_i32(self.value);
        out.write_value(self.next.as_ref());
        out.end_slice();
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.value = input.read_i32()?;
        self.next = input.read_value::<Node>()?;
        input.end_slice()
    }
    ice_runtime::ice_upcast_root!();
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trio {
    pub first: Option<Value<Base>>,
    pub second: Option<Value<Base>>,
    pub missing: Option<Value<Base>>,
}

impl Class for Trio {
    const ICE_ID: &'static str = "::Vec::Trio";
}

impl AnyValue for Trio {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::Trio"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, true);
        out.write_value(self.first.as_ref());
        out.write_value(self.second.as_ref());
        out.write_value(self.missing.as_ref());
        out.end_slice();
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.first = input.read_value::<Base>()?;
        self.second = input.read_value::<Base>()?;
        self.missing = input.read_value::<Base>()?;
        input.end_slice()
    }
    ice_runtime::ice_upcast_root!();
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WithOptionals {
    pub req: i32,
    pub o1: Option<i32>,
    pub o2: Option<String>,
    pub o40: Option<Point>,
}

impl Class for WithOptionals {
    const ICE_ID: &'static str = "::Vec::WithOptionals";
}

impl AnyValue for WithOptionals {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::WithOptionals"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, true);
        out.write_i32(self.req);
        out.write_optional_member(1, self.o1.as_ref());
        out.write_optional_member(2, self.o2.as_deref());
        out.write_optional_member(40, self.o40.as_ref());
        out.end_slice();
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.req = input.read_i32()?;
        self.o1 = input.read_optional_member(1)?;
        self.o2 = input.read_optional_member(2)?;
        self.o40 = input.read_optional_member(40)?;
        input.end_slice()
    }
    ice_runtime::ice_upcast_root!();
}

/// `["preserve-slice"] class PBase`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PBase {
    pub pb: i32,
    /// Slices of unknown derived classes, kept to be sent on.
    pub ice_sliced_data: Option<SlicedData>,
}

impl Class for PBase {
    const ICE_ID: &'static str = "::Vec::PBase";
}

impl AnyValue for PBase {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::PBase"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, true);
        out.write_i32(self.pb);
        out.end_slice();
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.pb = input.read_i32()?;
        input.end_slice()
    }
    ice_runtime::ice_upcast_root!();
    fn ice_sliced_data(&self) -> Option<&SlicedData> {
        self.ice_sliced_data.as_ref()
    }
    fn ice_set_sliced_data(&mut self, data: SlicedData) {
        self.ice_sliced_data = Some(data);
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PDerived {
    pub base: PBase,
    pub pd: String,
    pub other: Option<Value<PBase>>,
}

impl Deref for PDerived {
    type Target = PBase;
    fn deref(&self) -> &PBase {
        &self.base
    }
}

impl Class for PDerived {
    const ICE_ID: &'static str = "::Vec::PDerived";
}

impl Extends<PBase> for PDerived {}

impl AnyValue for PDerived {
    fn ice_id(&self) -> &str {
        Self::ICE_ID
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::PBase", "::Vec::PDerived"]
    }
    fn ice_write(&self, out: &mut OutputStream) {
        out.start_slice(Self::ICE_ID, Self::COMPACT_ID, false);
        out.write_string(&self.pd);
        out.write_value(self.other.as_ref());
        out.end_slice();
        self.base.ice_write(out);
    }
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.pd = input.read_string()?;
        self.other = input.read_value::<PBase>()?;
        input.end_slice()?;
        self.base.ice_read(input)
    }
    ice_runtime::ice_upcast_derived!(base);
    fn ice_sliced_data(&self) -> Option<&SlicedData> {
        self.base.ice_sliced_data()
    }
    fn ice_set_sliced_data(&mut self, data: SlicedData) {
        self.base.ice_set_sliced_data(data);
    }
}

/// What a generated `register_types()` for module Vec does.
pub fn register_vec_classes(registry: &ice_runtime::encoding::ValueFactories) {
    registry.register::<Base>();
    registry.register::<Derived>();
    registry.register::<Compact>();
    registry.register::<Node>();
    registry.register::<Trio>();
    registry.register::<WithOptionals>();
    registry.register::<PBase>();
    registry.register::<PDerived>();
}

// ---------------------------------------------------------------------------------------
// Generated-style code for module Vec (exceptions).
// ---------------------------------------------------------------------------------------

macro_rules! display_as_id {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.ice_id())
            }
        }
        impl std::error::Error for $t {}
    };
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BaseError {
    pub reason: String,
}

display_as_id!(BaseError);

impl UserException for BaseError {
    fn ice_id(&self) -> &'static str {
        "::Vec::BaseError"
    }
    fn ice_write_slices(&self, out: &mut OutputStream) {
        out.start_slice("::Vec::BaseError", None, true);
        out.write_string(&self.reason);
        out.end_slice();
    }
    fn ice_read_slices(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.reason = input.read_string()?;
        input.end_slice()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DerivedError {
    pub reason: String,
    pub code: i32,
    pub detail: Option<String>,
}

display_as_id!(DerivedError);

impl UserException for DerivedError {
    fn ice_id(&self) -> &'static str {
        "::Vec::DerivedError"
    }
    fn ice_write_slices(&self, out: &mut OutputStream) {
        out.start_slice("::Vec::DerivedError", None, false);
        out.write_i32(self.code);
        out.write_optional_member(2, self.detail.as_deref());
        out.end_slice();
        out.start_slice("::Vec::BaseError", None, true);
        out.write_string(&self.reason);
        out.end_slice();
    }
    fn ice_read_slices(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.code = input.read_i32()?;
        self.detail = input.read_optional_member(2)?;
        input.end_slice()?;
        input.start_slice()?;
        self.reason = input.read_string()?;
        input.end_slice()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassCarrier {
    pub reason: String,
    pub obj: Option<Value<Base>>,
}

display_as_id!(ClassCarrier);

impl UserException for ClassCarrier {
    fn ice_id(&self) -> &'static str {
        "::Vec::ClassCarrier"
    }
    fn ice_write_slices(&self, out: &mut OutputStream) {
        out.start_slice("::Vec::ClassCarrier", None, false);
        out.write_value(self.obj.as_ref());
        out.end_slice();
        out.start_slice("::Vec::BaseError", None, true);
        out.write_string(&self.reason);
        out.end_slice();
    }
    fn ice_read_slices(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        input.start_slice()?;
        self.obj = input.read_value::<Base>()?;
        input.end_slice()?;
        input.start_slice()?;
        self.reason = input.read_string()?;
        input.end_slice()
    }
    fn ice_uses_classes(&self) -> bool {
        true
    }
}

/// A factory knowing every exception of module Vec (what a client passes for an operation
/// that declares `throws BaseError`, plus registered subclasses).
pub fn vec_exceptions(type_id: &str) -> Option<Box<dyn UserException>> {
    Some(match type_id {
        "::Vec::BaseError" => Box::new(BaseError::default()),
        "::Vec::DerivedError" => Box::new(DerivedError::default()),
        "::Vec::ClassCarrier" => Box::new(ClassCarrier::default()),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Vectors.
// ---------------------------------------------------------------------------------------

#[path = "../common/mod.rs"]
mod common;

#[allow(unused_imports)] // Not every test uses every helper.
pub use common::{hex, to_hex, vectors_dir};

/// Every vector of `encoding/<file>`, as JSON (the shared loader of `tests/common`).
pub fn load_vectors(file: &str) -> Vec<Json> {
    common::load_encoding(file)
        .into_iter()
        .map(|v| v.raw)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Graph <-> JSON.
// ---------------------------------------------------------------------------------------

/// A member value, as the comparison sees it.
#[derive(Clone, Debug)]
pub enum Field {
    Int(i64),
    Double(f64),
    Str(String),
    Class(Option<ValueRef>),
    Point(Point),
    Unset,
}

fn class_field<T: Class>(v: &Option<Value<T>>) -> Field {
    Field::Class(v.as_ref().map(|v| v.as_value_ref().clone()))
}

/// A member of an instance by name (what a reflective test needs).
pub fn get_member(v: &ValueRef, name: &str) -> Field {
    let g = v.read();
    let any = |t: std::any::TypeId| g.ice_upcast(t);
    macro_rules! as_ {
        ($t:ty) => {
            any(std::any::TypeId::of::<$t>()).and_then(|a| a.downcast_ref::<$t>())
        };
    }
    if let Some(d) = as_!(Derived) {
        match name {
            "weight" => return Field::Double(d.weight),
            "buddy" => return class_field(&d.buddy),
            _ => {}
        }
    }
    if let Some(b) = as_!(Base) {
        match name {
            "id" => return Field::Int(b.id.into()),
            "name" => return Field::Str(b.name.clone()),
            _ => {}
        }
    }
    if let Some(c) = as_!(Compact) {
        if name == "v" {
            return Field::Int(c.v.into());
        }
    }
    if let Some(n) = as_!(Node) {
        match name {
            "value" => return Field::Int(n.value.into()),
            "next" => return class_field(&n.next),
            _ => {}
        }
    }
    if let Some(t) = as_!(Trio) {
        match name {
            "first" => return class_field(&t.first),
            "second" => return class_field(&t.second),
            "missing" => return class_field(&t.missing),
            _ => {}
        }
    }
    if let Some(w) = as_!(WithOptionals) {
        match name {
            "req" => return Field::Int(w.req.into()),
            "o1" => return w.o1.map_or(Field::Unset, |v| Field::Int(v.into())),
            "o2" => return w.o2.clone().map_or(Field::Unset, Field::Str),
            "o40" => return w.o40.map_or(Field::Unset, Field::Point),
            _ => {}
        }
    }
    if let Some(p) = as_!(PDerived) {
        match name {
            "pd" => return Field::Str(p.pd.clone()),
            "other" => return class_field(&p.other),
            _ => {}
        }
    }
    if let Some(p) = as_!(PBase) {
        if name == "pb" {
            return Field::Int(p.pb.into());
        }
    }
    panic!("{} has no member {name}", g.ice_id())
}

/// Checks `actual` against a vector's JSON value; `labels` maps `#n` to instances.
pub fn check(expected: &Json, actual: &Field, labels: &mut HashMap<String, ValueRef>, at: &str) {
    match (expected, actual) {
        (Json::Null, Field::Class(None) | Field::Unset) => {}
        (Json::Object(o), Field::Class(Some(r))) if o.contains_key("ref") => {
            let label = o["ref"].as_str().expect("label");
            let target = labels
                .get(label)
                .unwrap_or_else(|| panic!("{at}: unknown label {label}"));
            assert!(
                ValueRef::ptr_eq(target, r),
                "{at}: expected a reference to {label}, got another instance"
            );
        }
        (Json::Object(o), Field::Class(Some(r))) if o.contains_key("class") => {
            let class = o["class"].as_str().expect("class");
            assert_eq!(r.ice_id(), class, "{at}: class");
            let label = o["label"].as_str().expect("label").to_owned();
            assert!(
                !labels.values().any(|v| ValueRef::ptr_eq(v, r)),
                "{at}: {label} is an instance already seen under another label"
            );
            labels.insert(label.clone(), r.clone());
            for (name, exp) in o["members"].as_object().expect("members") {
                let field = get_member(r, name);
                check(exp, &field, labels, &format!("{at}.{name}"));
            }
        }
        (Json::Object(o), Field::Point(p)) => {
            assert_eq!(o["x"].as_i64(), Some(p.x.into()), "{at}.x");
            assert_eq!(o["y"].as_i64(), Some(p.y.into()), "{at}.y");
        }
        (Json::Number(n), Field::Int(i)) => assert_eq!(n.as_i64(), Some(*i), "{at}"),
        (Json::Number(n), Field::Double(d)) => assert_eq!(n.as_f64(), Some(*d), "{at}"),
        (Json::String(s), Field::Str(a)) => assert_eq!(s, a, "{at}"),
        _ => panic!("{at}: expected {expected}, got {actual:?}"),
    }
}

fn int(j: &Json) -> i32 {
    j.as_i64().expect("int") as i32
}

fn typed<T: Class>(f: Option<ValueRef>) -> Option<Value<T>> {
    f.map(|r| r.downcast::<T>().expect("member of the declared class"))
}

/// Builds the class graph a vector's JSON value describes.
pub fn build(j: &Json, labels: &mut HashMap<String, ValueRef>) -> Option<ValueRef> {
    let o = j.as_object()?;
    if let Some(label) = o.get("ref") {
        return Some(labels[label.as_str().expect("label")].clone());
    }
    let class = o["class"].as_str().expect("class");
    let label = o["label"].as_str().expect("label").to_owned();
    let r: ValueRef = match class {
        "::Vec::Base" => ValueRef::new(Base::default()),
        "::Vec::Derived" => ValueRef::new(Derived::default()),
        "::Vec::Compact" => ValueRef::new(Compact::default()),
        "::Vec::Node" => ValueRef::new(Node::default()),
        "::Vec::Trio" => ValueRef::new(Trio::default()),
        "::Vec::WithOptionals" => ValueRef::new(WithOptionals::default()),
        "::Vec::PBase" => ValueRef::new(PBase::default()),
        "::Vec::PDerived" => ValueRef::new(PDerived::default()),
        other => panic!("no Rust type for {other}"),
    };
    labels.insert(label, r.clone());
    let m = &o["members"];
    // Build the referenced instances first (no lock is held while doing so).
    let mut refs = HashMap::new();
    for (name, v) in m.as_object().expect("members") {
        if v.get("class").is_some() || v.get("ref").is_some() {
            refs.insert(name.clone(), build(v, labels));
        }
    }
    let mut cls = |n: &str| refs.remove(n).flatten();
    if let Some(d) = r.downcast::<Derived>() {
        let buddy = typed(cls("buddy"));
        let mut d = d.write();
        d.weight = m["weight"].as_f64().expect("weight");
        d.buddy = buddy;
        d.id = int(&m["id"]);
        d.name = m["name"].as_str().expect("name").to_owned();
    } else if let Some(b) = r.downcast::<Base>() {
        let mut b = b.write();
        b.id = int(&m["id"]);
        b.name = m["name"].as_str().expect("name").to_owned();
    } else if let Some(c) = r.downcast::<Compact>() {
        c.write().v = int(&m["v"]);
    } else if let Some(n) = r.downcast::<Node>() {
        let next = typed(cls("next"));
        let mut n = n.write();
        n.value = int(&m["value"]);
        n.next = next;
    } else if let Some(t) = r.downcast::<Trio>() {
        let (first, second, missing) = (
            typed(cls("first")),
            typed(cls("second")),
            typed(cls("missing")),
        );
        let mut t = t.write();
        t.first = first;
        t.second = second;
        t.missing = missing;
    } else if let Some(w) = r.downcast::<WithOptionals>() {
        let mut w = w.write();
        w.req = int(&m["req"]);
        w.o1 = m["o1"].as_i64().map(|v| v as i32);
        w.o2 = m["o2"].as_str().map(str::to_owned);
        w.o40 = m["o40"].as_object().map(|p| Point {
            x: int(&p["x"]),
            y: int(&p["y"]),
        });
    } else if let Some(p) = r.downcast::<PDerived>() {
        let other = typed(cls("other"));
        let mut p = p.write();
        p.pd = m["pd"].as_str().expect("pd").to_owned();
        p.other = other;
        p.base.pb = int(&m["pb"]);
    } else if let Some(p) = r.downcast::<PBase>() {
        p.write().pb = int(&m["pb"]);
    }
    Some(r)
}

// ---------------------------------------------------------------------------------------
// A live ZeroC Ice peer.
// ---------------------------------------------------------------------------------------

/// A ZeroC Ice for Python server (`tests/scripts/class_echo_server.py`, which also
/// raises the `Vec` exceptions) and one
/// connection to it; the server is killed on drop.
pub struct IcePeer {
    child: std::process::Child,
    socket: std::net::TcpStream,
    request_id: i32,
    identity: &'static str,
}

impl IcePeer {
    pub fn start() -> IcePeer {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/scripts/class_echo_server.py");
        IcePeer::spawn(&[script, vectors_dir()], None, "echo")
    }

    /// The vectors' preservation peer (`gen/preserve_server.py`): it knows only `PBase`
    /// and echoes `echoPBaseSliced` (identity `pecho`).
    pub fn start_preserve_server() -> IcePeer {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let script = vectors_dir().join("gen/preserve_server.py");
        IcePeer::spawn(
            &[script, PathBuf::from(port.to_string())],
            Some(port),
            "pecho",
        )
    }

    /// Runs `/usr/bin/python3 args...`, waits for its first line (the port, unless `port`
    /// is given) and connects.
    fn spawn(args: &[PathBuf], port: Option<u16>, identity: &'static str) -> IcePeer {
        use std::io::{BufRead, Read};
        let mut child = std::process::Command::new("/usr/bin/python3")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("this test needs ZeroC Ice for Python at /usr/bin/python3");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("first line");
        let port = match port.or_else(|| line.trim().parse().ok()) {
            Some(p) if !line.is_empty() => p,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the Ice server did not start: {line:?}");
            }
        };
        let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut validate = [0u8; 14];
        socket
            .read_exact(&mut validate)
            .expect("validate connection");
        assert_eq!(&validate[..4], b"IceP");
        assert_eq!(validate[8], 3, "validate connection message");
        IcePeer {
            child,
            socket,
            request_id: 0,
            identity,
        }
    }

    /// Sends a request with `params` (a whole encapsulation); returns the reply's
    /// encapsulation (status 0 required).
    pub fn invoke(&mut self, operation: &str, params: &[u8]) -> Vec<u8> {
        let (status, encaps) = self.invoke_any(operation, params);
        assert_eq!(
            status,
            0,
            "reply status for {operation}: {}",
            to_hex(&encaps)
        );
        encaps
    }

    /// Sends a request; returns the reply status and what follows it.
    pub fn invoke_any(&mut self, operation: &str, params: &[u8]) -> (u8, Vec<u8>) {
        use std::io::{Read, Write};
        self.request_id += 1;
        let mut body = OutputStream::new();
        body.write_i32(self.request_id);
        body.write_string(self.identity);
        body.write_string("");
        body.write_size(0);
        body.write_string(operation);
        body.write_u8(0);
        body.write_size(0);
        body.write_blob(params);
        let mut msg = b"IceP\x01\x00\x01\x00\x00\x00".to_vec();
        msg.extend_from_slice(&((14 + body.len()) as i32).to_le_bytes());
        msg.extend_from_slice(body.as_slice());
        self.socket.write_all(&msg).expect("send");
        let mut header = [0u8; 14];
        self.socket.read_exact(&mut header).expect("reply header");
        assert_eq!(header[8], 2, "reply message");
        let size = i32::from_le_bytes(header[10..14].try_into().unwrap()) as usize;
        let mut rest = vec![0u8; size - 14];
        self.socket.read_exact(&mut rest).expect("reply body");
        assert_eq!(
            i32::from_le_bytes(rest[..4].try_into().unwrap()),
            self.request_id
        );
        (rest[4], rest[5..].to_vec())
    }
}

impl Drop for IcePeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
