//! Reading class instances and user exceptions (ICE-PROTOCOL.md sections 5, 6 and 14).
//!
//! Safety rules this module keeps for hostile input:
//! * every new instance counts against `Ice.ClassGraphDepthMax` while it is being read, and
//!   every recursion (nested instance, indirection table, skipped slice, skipped optional
//!   class) goes through [`InputStream::read_instance`], so the stack is bounded;
//! * every count is checked against the bytes that remain before anything is allocated;
//!   preserved slices copy at most the bytes they occupy;
//! * an instance id, type-id index or indirection index that does not exist is a
//!   [`MarshalError`], never a panic;
//! * a reference to an instance that is still being read is a cycle, refused unless
//!   `Ice.AcceptClassCycles` is set (an `Arc` cycle would never be freed).
//!
//! In the sliced format a slice's indirection table follows its members. The decoder reads
//! the table *first* (the slice size says where it starts), then the members, so a member
//! resolves its indirection index at once; instance ids come out in the same order as
//! Ice's (members of a slice with a table never start instances themselves).

use super::class_encoder::flags;
use super::exception::{ExceptionFactories, UnknownSlicedException, UserException};
use super::optional::OPTIONAL_END_MARKER;
use super::value::{
    AnyValue, Class, SliceInfo, SlicedData, UnknownSlicedValue, Value, ValueFactories,
    ValueFactory, ValueRef, OBJECT_TYPE_ID,
};
use super::{Decode, InputStream, MarshalError, OptionalFormat, ENCODING_1_0};
use std::collections::HashMap;
use std::sync::Arc;

/// The default of `Ice.ClassGraphDepthMax` in Ice 3.7.8 (checked: a chain of 100 instances
/// is accepted, 101 refused).
pub const DEFAULT_CLASS_GRAPH_DEPTH_MAX: usize = 100;

/// A factory that knows which exceptions an operation declares: given a type id, a default
/// instance to decode into, or `None`.
pub type ExceptionFactoryFn<'f> = &'f dyn Fn(&str) -> Option<Box<dyn UserException>>;

/// The statically expected class of a reference: a fallback factory when the registry does
/// not know the type.
struct Hint {
    type_id: &'static str,
    compact_id: Option<i32>,
    make: fn() -> Box<dyn AnyValue>,
}

fn make_default<T: Class>() -> Box<dyn AnyValue> {
    Box::new(T::default())
}

#[derive(Clone, Debug)]
struct Entry {
    cell: ValueRef,
    /// The type ids of the instance's class; `None` while its type is not known yet.
    ids: Option<&'static [&'static str]>,
    in_progress: bool,
    /// The longest chain of references that starts at this instance, itself included
    /// (known once it is complete). Dropping a graph recurses that deep.
    height: usize,
}

#[derive(Clone, Debug, Default)]
struct Frame {
    exception: bool,
    skip_first: bool,
    flags: u8,
    /// The slice's type id (`None`: sent as a compact id, or not sent).
    type_id: Option<Arc<str>>,
    /// Index of the type id in the type-id table (for the factory cache).
    type_index: Option<usize>,
    compact_id: Option<i32>,
    slice_end: Option<usize>,
    table: Vec<usize>,
    after_table: usize,
    table_used: bool,
    preserved: Vec<SliceInfo>,
    /// The greatest height among the complete instances this one refers to.
    max_child: usize,
}

#[derive(Clone, Debug)]
struct Deferred {
    entry: usize,
    expected: &'static str,
    pos: usize,
}

/// How a stream decodes classes: Ice's properties `Ice.ClassGraphDepthMax`,
/// `Ice.AcceptClassCycles`, `Ice.SliceValues`, plus the value factories to use. A
/// communicator builds it once ([`ClassOptions::from_properties`]) and applies it to each
/// stream it reads ([`InputStream::set_class_options`]).
#[derive(Clone, Debug)]
pub struct ClassOptions {
    /// `Ice.ClassGraphDepthMax` (default 100).
    pub class_graph_depth_max: usize,
    /// `Ice.AcceptClassCycles` (default false).
    pub accept_class_cycles: bool,
    /// `Ice.SliceValues` (default true).
    pub slice_values: bool,
    /// The value factories (default: the process-wide registry).
    pub factories: Option<Arc<ValueFactories>>,
}

impl Default for ClassOptions {
    fn default() -> Self {
        ClassOptions {
            class_graph_depth_max: DEFAULT_CLASS_GRAPH_DEPTH_MAX,
            accept_class_cycles: false,
            slice_values: true,
            factories: None,
        }
    }
}

impl ClassOptions {
    /// Reads the properties through `get` (a property name to its value, if set); values
    /// that are not numbers keep their defaults, as Ice does.
    pub fn from_properties(get: impl Fn(&str) -> Option<String>) -> ClassOptions {
        let int = |name: &str| get(name).and_then(|v| v.trim().parse::<i64>().ok());
        let d = ClassOptions::default();
        ClassOptions {
            class_graph_depth_max: int("Ice.ClassGraphDepthMax")
                // Ice reads a value below 1 as "no limit"; decoding nests by recursion, so
                // the default stays in force then. A large limit needs a large stack.
                .filter(|&v| v >= 1)
                .map_or(d.class_graph_depth_max, |v| {
                    usize::try_from(v).unwrap_or(usize::MAX)
                }),
            accept_class_cycles: int("Ice.AcceptClassCycles")
                .map_or(d.accept_class_cycles, |v| v > 0),
            slice_values: int("Ice.SliceValues").map_or(d.slice_values, |v| v > 0),
            factories: None,
        }
    }
}

/// Settings of a stream's class decoding (they survive encapsulation changes).
#[derive(Clone, Debug)]
struct Config {
    depth_max: usize,
    accept_cycles: bool,
    slice_values: bool,
    factories: Option<Arc<ValueFactories>>,
}

/// Per-encapsulation class state of an [`InputStream`].
#[derive(Clone, Debug)]
pub(crate) struct ClassDecoder {
    key: Option<Option<usize>>,
    instances: Vec<Entry>,
    /// Encoding 1.0: instance index -> entry.
    by_index_1_0: HashMap<usize, usize>,
    /// Encoding 1.0: references between instances (referrer, target), checked for cycles
    /// and depth once all instances are read.
    edges_1_0: Vec<(usize, usize)>,
    /// Encoding 1.0: the instance being read.
    current_1_0: Option<usize>,
    /// Type ids by index - 1, with the registry's factory once looked up.
    type_ids: Vec<(Arc<str>, Cached)>,
    stack: Vec<Frame>,
    depth: usize,
    deferred: Vec<Deferred>,
    config: Config,
}

impl Default for ClassDecoder {
    fn default() -> Self {
        ClassDecoder {
            key: None,
            instances: Vec::new(),
            by_index_1_0: HashMap::new(),
            edges_1_0: Vec::new(),
            current_1_0: None,
            type_ids: Vec::new(),
            stack: Vec::new(),
            depth: 0,
            deferred: Vec::new(),
            config: Config {
                depth_max: DEFAULT_CLASS_GRAPH_DEPTH_MAX,
                accept_cycles: false,
                slice_values: true,
                factories: None,
            },
        }
    }
}

/// The registry's answer for a type id: not asked yet (`None`), or its factory if any.
#[derive(Clone, Default)]
struct Cached(Option<Option<ValueFactory>>);

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match &self.0 {
            None => "not looked up",
            Some(None) => "no factory",
            Some(Some(_)) => "factory",
        })
    }
}

impl Frame {
    fn tid(&self) -> &str {
        self.type_id.as_deref().unwrap_or("")
    }
}

impl ClassDecoder {
    fn top(&mut self, pos: usize) -> Result<&mut Frame, MarshalError> {
        self.stack
            .last_mut()
            .ok_or_else(|| MarshalError::new(pos, "slice read outside of a class or exception"))
    }

    fn entry(&self, e: usize) -> Option<&Entry> {
        self.instances.get(e)
    }
}

fn factories(config: &Config) -> &ValueFactories {
    config
        .factories
        .as_deref()
        .unwrap_or_else(|| ValueFactories::global())
}

impl<'a> InputStream<'a> {
    fn class_decoder(&mut self) -> &mut ClassDecoder {
        let key = self.encaps_key();
        let state = self.classes.get_or_insert_with(Default::default);
        if state.key != Some(key) && state.stack.is_empty() {
            state.key = Some(key);
            state.instances.clear();
            state.by_index_1_0.clear();
            state.edges_1_0.clear();
            state.type_ids.clear();
            state.deferred.clear();
            state.depth = 0;
        }
        state
    }

    fn is_1_0(&self) -> bool {
        self.encoding() == ENCODING_1_0
    }

    /// Sets `Ice.ClassGraphDepthMax` for this stream (default 100, as in Ice 3.7.8): how deeply instances may
    /// nest while being read.
    pub fn set_class_graph_depth_max(&mut self, max: usize) {
        self.classes
            .get_or_insert_with(Default::default)
            .config
            .depth_max = max;
    }

    /// Sets `Ice.AcceptClassCycles` for this stream (default false: a graph with a cycle is
    /// refused, because an `Arc` cycle is never freed).
    pub fn set_accept_class_cycles(&mut self, accept: bool) {
        self.classes
            .get_or_insert_with(Default::default)
            .config
            .accept_cycles = accept;
    }

    /// Sets `Ice.SliceValues` for this stream (default true): whether an instance of an
    /// unknown class may be sliced to a known base class (sliced format). When false, an
    /// unknown type is an error.
    pub fn set_slice_values(&mut self, slice: bool) {
        self.classes
            .get_or_insert_with(Default::default)
            .config
            .slice_values = slice;
    }

    /// Applies all of `options` to this stream.
    pub fn set_class_options(&mut self, options: &ClassOptions) {
        let config = &mut self.classes.get_or_insert_with(Default::default).config;
        config.depth_max = options.class_graph_depth_max;
        config.accept_cycles = options.accept_class_cycles;
        config.slice_values = options.slice_values;
        config.factories = options.factories.clone();
    }

    /// Uses `factories` instead of the process-wide registry to instantiate classes.
    pub fn set_value_factories(&mut self, factories: Arc<ValueFactories>) {
        self.classes
            .get_or_insert_with(Default::default)
            .config
            .factories = Some(factories);
    }

    /// Reads a reference to an instance of class `T` (or a subclass); `None` is null. The
    /// class `T` itself needs no registration; subclasses are instantiated through the
    /// value factory registry, else sliced (sliced format) to the most derived known class.
    pub fn read_value<T: Class>(&mut self) -> Result<Option<Value<T>>, MarshalError> {
        let pos = self.pos();
        let hint = Hint {
            type_id: T::ICE_ID,
            compact_id: T::COMPACT_ID,
            make: make_default::<T>,
        };
        let Some(e) = self.read_reference(Some(&hint))? else {
            return Ok(None);
        };
        let dec = self.class_decoder();
        let Some(entry) = dec.entry(e) else {
            return Err(MarshalError::new(pos, "class reference to no instance"));
        };
        let cell = entry.cell.clone();
        match entry.ids {
            Some(ids) if !ids.contains(&T::ICE_ID) => {
                return Err(MarshalError::new(
                    pos,
                    format!(
                        "expected an instance of {} but received another class",
                        T::ICE_ID
                    ),
                ))
            }
            Some(_) => {}
            None => dec.deferred.push(Deferred {
                entry: e,
                expected: T::ICE_ID,
                pos,
            }),
        }
        self.check_deferred_if_done()?;
        Ok(Some(Value::from_checked(cell)))
    }

    /// Reads a reference to an instance of any class (Slice `Value`); `None` is null.
    pub fn read_value_ref(&mut self) -> Result<Option<ValueRef>, MarshalError> {
        let pos = self.pos();
        let Some(e) = self.read_reference(None)? else {
            return Ok(None);
        };
        let cell = self
            .class_decoder()
            .entry(e)
            .map(|en| en.cell.clone())
            .ok_or_else(|| MarshalError::new(pos, "class reference to no instance"))?;
        self.check_deferred_if_done()?;
        Ok(Some(cell))
    }

    fn check_deferred_if_done(&mut self) -> Result<(), MarshalError> {
        if self.is_1_0() {
            return Ok(()); // checked by read_pending_values
        }
        let dec = self.class_decoder();
        if !dec.stack.is_empty() {
            return Ok(());
        }
        run_deferred(dec)
    }

    /// A class reference (5.1 rules, or an indirection index inside a slice that has a
    /// table); returns the entry of the instance.
    fn read_reference(&mut self, hint: Option<&Hint>) -> Result<Option<usize>, MarshalError> {
        if self.is_1_0() {
            return self.read_reference_1_0();
        }
        let pos = self.pos();
        let index = self.read_size()?;
        if index == 0 {
            return Ok(None);
        }
        let dec = self.class_decoder();
        if let Some(frame) = dec.stack.last_mut() {
            if frame.flags & flags::HAS_INDIRECTION_TABLE != 0 {
                frame.table_used = true;
                return match frame.table.get(index - 1) {
                    Some(&e) => Ok(Some(e)),
                    None => Err(MarshalError::new(
                        pos,
                        format!(
                            "indirection index {index} is out of range (the table has {} entries)",
                            frame.table.len()
                        ),
                    )),
                };
            }
        }
        self.read_instance(index, pos, hint).map(Some)
    }

    /// An instance reference in the 5.1 form: `1` and the instance inline, or an id >= 2.
    fn read_instance(
        &mut self,
        index: usize,
        pos: usize,
        hint: Option<&Hint>,
    ) -> Result<usize, MarshalError> {
        let dec = self.class_decoder();
        if index > 1 {
            let Some(entry) = dec.entry(index - 2) else {
                return Err(MarshalError::new(
                    pos,
                    format!("instance id {index} refers to no instance read so far"),
                ));
            };
            if entry.in_progress {
                if !dec.config.accept_cycles {
                    return Err(MarshalError::new(
                        pos,
                        "cycle detected during Value unmarshaling (Ice.AcceptClassCycles is not set)",
                    ));
                }
            } else {
                let h = entry.height;
                if let Some(referrer) = dec.stack.last_mut() {
                    referrer.max_child = referrer.max_child.max(h);
                }
            }
            return Ok(index - 2);
        }
        if dec.depth >= dec.config.depth_max {
            return Err(MarshalError::new(
                pos,
                format!(
                    "maximum class graph depth reached (Ice.ClassGraphDepthMax = {})",
                    dec.config.depth_max
                ),
            ));
        }
        dec.depth += 1;
        let base = dec.stack.len();
        let result = self.read_new_instance(hint);
        let dec = self.class_decoder();
        dec.depth -= 1;
        dec.stack.truncate(base);
        let e = result?;
        let h = dec.entry(e).map_or(0, |en| en.height);
        if let Some(referrer) = dec.stack.last_mut() {
            referrer.max_child = referrer.max_child.max(h);
        }
        Ok(e)
    }

    fn read_new_instance(&mut self, hint: Option<&Hint>) -> Result<usize, MarshalError> {
        self.class_decoder().stack.push(Frame {
            skip_first: true,
            ..Frame::default()
        });
        self.read_slice_header()?;
        // Kept as the shared Arc: it is only turned into a String for an unknown type.
        let most_derived: Option<Arc<str>> = self.class_decoder().top(0)?.type_id.clone();
        let unknown_id = || most_derived.as_deref().unwrap_or("").to_owned();
        let mut placeholder: Option<usize> = None;
        let object = loop {
            if let Some(object) = self.create_instance(hint) {
                break object;
            }
            if !self.class_decoder().config.slice_values {
                let pos = self.pos();
                return Err(MarshalError::new(
                    pos,
                    format!(
                        "no value factory found for `{}' and value slicing is disabled (Ice.SliceValues)",
                        unknown_id()
                    ),
                ));
            }
            // Unknown type: the id is taken now, so that instances nested in the skipped
            // slices can refer back to this one; its object is put in place later.
            if placeholder.is_none() {
                let dec = self.class_decoder();
                dec.instances.push(Entry {
                    cell: ValueRef::new(UnknownSlicedValue {
                        unknown_type_id: unknown_id(),
                        ..UnknownSlicedValue::default()
                    }),
                    ids: None,
                    in_progress: true,
                    height: 0,
                });
                placeholder = Some(dec.instances.len() - 1);
            }
            self.skip_slice()?;
            if self.class_decoder().top(0)?.flags & flags::IS_LAST_SLICE != 0 {
                break Box::new(UnknownSlicedValue {
                    unknown_type_id: unknown_id(),
                    sliced_data: SlicedData::default(),
                });
            }
            self.read_slice_header()?;
        };
        let ids = object.ice_ids();
        let dec = self.class_decoder();
        let e = match placeholder {
            Some(e) => {
                if let Some(entry) = dec.instances.get_mut(e) {
                    entry.cell.replace(object);
                    entry.ids = Some(ids);
                }
                e
            }
            None => {
                dec.instances.push(Entry {
                    cell: ValueRef::from_box(object),
                    ids: Some(ids),
                    in_progress: true,
                    height: 0,
                });
                dec.instances.len() - 1
            }
        };
        let cell = dec.instances.get(e).map(|en| en.cell.clone());
        if let Some(cell) = cell {
            let mut guard = cell.write();
            guard.ice_read(self)?;
            let preserved = std::mem::take(&mut self.class_decoder().top(0)?.preserved);
            if !preserved.is_empty() {
                guard.ice_set_sliced_data(SlicedData { slices: preserved });
            }
        }
        // A reference chain longer than the limit would make dropping the graph recurse
        // that deep, even when it was decoded with little nesting (references back to
        // complete instances): refuse it like a deeply nested graph.
        let pos = self.pos();
        let dec = self.class_decoder();
        let height = dec.top(pos)?.max_child + 1;
        if height > dec.config.depth_max {
            return Err(chain_too_long(pos, height, dec.config.depth_max));
        }
        if let Some(entry) = dec.instances.get_mut(e) {
            entry.in_progress = false;
            entry.height = height;
        }
        Ok(e)
    }

    /// A new object for the current slice's type id (or compact id), if one is known.
    fn create_instance(&mut self, hint: Option<&Hint>) -> Option<Box<dyn AnyValue>> {
        let dec = self.classes.as_deref_mut()?;
        let frame = dec.stack.last()?;
        let registry = factories(&dec.config);
        if let Some(c) = frame.compact_id {
            if let Some(object) = registry
                .resolve_compact_id(c)
                .and_then(|t| registry.create(&t))
            {
                return Some(object);
            }
            return hint.filter(|h| h.compact_id == Some(c)).map(|h| (h.make)());
        }
        let type_id = frame.type_id.as_deref()?;
        // The registry is asked once per type id and encapsulation.
        let factory = match frame.type_index.and_then(|i| dec.type_ids.get_mut(i)) {
            Some((_, Cached(Some(cached)))) => cached.clone(),
            Some((_, cache)) => {
                let f = registry.factory(type_id);
                cache.0 = Some(f.clone());
                f
            }
            None => registry.factory(type_id),
        };
        match factory {
            Some(f) => Some(f()),
            None => hint.filter(|h| h.type_id == type_id).map(|h| (h.make)()),
        }
    }

    /// Reads a slice header (flags, type id, size) into the current frame.
    fn read_slice_header(&mut self) -> Result<(), MarshalError> {
        if self.is_1_0() {
            return self.read_slice_header_1_0();
        }
        let pos = self.pos();
        let f = self.read_u8()?;
        let exception = self.class_decoder().top(pos)?.exception;
        let mut compact_id = None;
        let mut type_id: Option<&str> = None;
        let mut index_id: Option<usize> = None;
        if exception {
            type_id = Some(self.read_str()?);
        } else {
            match f & flags::TYPE_ID_MASK {
                flags::TYPE_ID_COMPACT => {
                    let c = self.read_size()?;
                    compact_id = Some(i32::try_from(c).unwrap_or(i32::MAX));
                }
                flags::TYPE_ID_STRING => type_id = Some(self.read_str()?),
                flags::TYPE_ID_INDEX => index_id = Some(self.read_size()?),
                _ => {}
            }
        }
        let slice_end = self.read_slice_size(f & flags::HAS_SLICE_SIZE != 0)?;
        let dec = self.class_decoder();
        let (id, index): (Option<Arc<str>>, Option<usize>) = match (type_id, index_id) {
            (Some(t), _) if exception => (Some(Arc::from(t)), None),
            (Some(t), _) => {
                let t: Arc<str> = Arc::from(t);
                dec.type_ids.push((t.clone(), Cached::default()));
                (Some(t), Some(dec.type_ids.len() - 1))
            }
            (None, Some(i)) => {
                let k = i.checked_sub(1).filter(|k| *k < dec.type_ids.len());
                let Some(k) = k else {
                    return Err(MarshalError::new(
                        pos,
                        format!("type id index {i} is out of range"),
                    ));
                };
                (dec.type_ids.get(k).map(|e| e.0.clone()), Some(k))
            }
            _ => (None, None),
        };
        let frame = dec.top(pos)?;
        frame.flags = f;
        frame.compact_id = compact_id;
        frame.type_id = id;
        frame.type_index = index;
        frame.slice_end = slice_end;
        frame.table.clear();
        frame.table_used = false;
        Ok(())
    }

    fn read_slice_size(&mut self, present: bool) -> Result<Option<usize>, MarshalError> {
        if !present {
            return Ok(None);
        }
        let pos = self.pos();
        let size = self.read_i32()?;
        if size < 4 || (size as usize - 4) > self.remaining() {
            return Err(MarshalError::new(
                pos,
                format!(
                    "invalid slice size {size} ({} bytes remain)",
                    self.remaining()
                ),
            ));
        }
        Ok(Some(pos + size as usize))
    }

    /// Sliced format: reads the current slice's indirection table (which follows the
    /// members), then comes back to the members.
    fn load_indirection_table(&mut self) -> Result<(), MarshalError> {
        let pos = self.pos();
        let dec = self.class_decoder();
        let frame = dec.top(pos)?;
        if frame.flags & flags::HAS_INDIRECTION_TABLE == 0 {
            return Ok(());
        }
        let Some(end) = frame.slice_end else {
            return Err(MarshalError::new(
                pos,
                "indirection table in a slice without a slice size",
            ));
        };
        let level = dec.stack.len() - 1;
        self.set_pos(end);
        let table = self.read_table()?;
        if table.is_empty() {
            return Err(MarshalError::new(end, "empty indirection table"));
        }
        let after = self.pos();
        if let Some(frame) = self.class_decoder().stack.get_mut(level) {
            frame.table = table;
            frame.after_table = after;
        }
        self.set_pos(pos);
        Ok(())
    }

    /// An indirection table: a count, then instance references in the 5.1 form.
    fn read_table(&mut self) -> Result<Vec<usize>, MarshalError> {
        let n = self.read_count(1)?;
        let mut table = Vec::with_capacity(n);
        for _ in 0..n {
            let pos = self.pos();
            let index = self.read_size()?;
            if index == 0 {
                return Err(MarshalError::new(pos, "null entry in an indirection table"));
            }
            table.push(self.read_instance(index, pos, None)?);
        }
        Ok(table)
    }

    /// Skips the current slice (unknown type), keeping its bytes and the instances of its
    /// indirection table as a preserved slice.
    fn skip_slice(&mut self) -> Result<(), MarshalError> {
        let pos = self.pos();
        let dec = self.class_decoder();
        let level = dec.stack.len().saturating_sub(1);
        let frame = dec.top(pos)?;
        let Some(end) = frame.slice_end else {
            let what = if frame.compact_id.is_some() {
                format!("compact id {}", frame.compact_id.unwrap_or_default())
            } else {
                format!("`{}'", frame.tid())
            };
            return Err(MarshalError::new(
                pos,
                format!(
                    "no value factory found for {what} and compact format prevents slicing \
                     (the sender should use the sliced format instead)"
                ),
            ));
        };
        let f = frame.flags;
        let mut info = SliceInfo {
            type_id: frame.tid().to_owned(),
            compact_id: frame.compact_id,
            has_optional_members: f & flags::HAS_OPTIONAL_MEMBERS != 0,
            is_last_slice: f & flags::IS_LAST_SLICE != 0,
            ..SliceInfo::default()
        };
        let bytes = self.read_blob(end.saturating_sub(pos))?;
        let keep = if info.has_optional_members {
            bytes.len().checked_sub(1).ok_or_else(|| {
                MarshalError::new(pos, "slice with optional members has no end marker")
            })?
        } else {
            bytes.len()
        };
        info.bytes = bytes.get(..keep).unwrap_or_default().to_vec();
        if f & flags::HAS_INDIRECTION_TABLE != 0 && !self.is_1_0() {
            let table = self.read_table()?;
            let dec = self.class_decoder();
            info.instances = table
                .iter()
                .filter_map(|&e| dec.entry(e).map(|en| en.cell.clone()))
                .collect();
        }
        if let Some(frame) = self.class_decoder().stack.get_mut(level) {
            frame.preserved.push(info);
        }
        Ok(())
    }

    /// Starts reading the next slice of the instance or exception being read (generated
    /// `ice_read`/`ice_read_slices`, most derived class first).
    pub fn start_slice(&mut self) -> Result<(), MarshalError> {
        let pos = self.pos();
        let frame = self.class_decoder().top(pos)?;
        if frame.skip_first {
            frame.skip_first = false;
        } else {
            self.read_slice_header()?;
        }
        if self.is_1_0() {
            return Ok(());
        }
        self.load_indirection_table()
    }

    /// Ends the slice: skips unknown optional members up to the end marker, checks the
    /// slice size, and moves past the indirection table.
    pub fn end_slice(&mut self) -> Result<(), MarshalError> {
        let pos = self.pos();
        let f = self.class_decoder().top(pos)?.flags;
        if f & flags::HAS_OPTIONAL_MEMBERS != 0 && !self.is_1_0() {
            self.skip_optionals()?;
        }
        let pos = self.pos();
        let is_1_0 = self.is_1_0();
        let frame = self.class_decoder().top(pos)?;
        if let Some(end) = frame.slice_end {
            if pos != end {
                return Err(MarshalError::new(
                    pos,
                    format!(
                        "the members of slice `{}' do not match its size (the slice ends at byte {end})",
                        frame.tid()
                    ),
                ));
            }
        }
        if f & flags::HAS_INDIRECTION_TABLE != 0 && !is_1_0 {
            if !frame.table_used && f & flags::HAS_OPTIONAL_MEMBERS == 0 {
                return Err(MarshalError::new(
                    pos,
                    "no member refers to the indirection table",
                ));
            }
            let after = frame.after_table;
            self.set_pos(after);
        }
        Ok(())
    }

    /// Reads the optional data member `tag` of the current class or exception slice, if
    /// present (in increasing tag order, after the required members):
    /// `self.o2 = input.read_optional_member::<String>(2)?`. A slice without optional
    /// members (flag 0x04) has none to read.
    pub fn read_optional_member<T: Decode>(&mut self, tag: u32) -> Result<Option<T>, MarshalError> {
        if self.read_slice_optional_header(tag, T::OPTIONAL_FORMAT)? {
            T::decode_optional_body(self).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Looks for the optional data member `tag` of the current slice: true if it is present
    /// with `format` (its body is next), false if it is absent. Members with smaller tags
    /// that this reader does not know are skipped, class instances included.
    pub fn read_slice_optional_header(
        &mut self,
        tag: u32,
        format: OptionalFormat,
    ) -> Result<bool, MarshalError> {
        if self.is_1_0() {
            return Ok(false);
        }
        let pos = self.pos();
        match self.class_decoder().stack.last() {
            Some(frame) if frame.flags & flags::HAS_OPTIONAL_MEMBERS == 0 => return Ok(false),
            Some(_) => {}
            None => return Err(MarshalError::new(pos, "optional member outside of a slice")),
        }
        loop {
            if self.remaining() == 0 {
                return Ok(false);
            }
            let start = self.pos();
            let header = self.read_u8()?;
            if header == OPTIONAL_END_MARKER {
                self.set_pos(start);
                return Ok(false);
            }
            let found_format = OptionalFormat::from_bits(header);
            let mut found = (header >> 3) as usize;
            if found == 30 {
                found = self.read_size()?;
            }
            if found > tag as usize {
                self.set_pos(start);
                return Ok(false);
            }
            if found < tag as usize {
                self.skip_optional(found_format)?;
                continue;
            }
            if found_format != format {
                return Err(MarshalError::new(
                    start,
                    format!(
                        "optional member {tag} has format {found_format:?}, expected {format:?}"
                    ),
                ));
            }
            return Ok(true);
        }
    }

    /// Reads and discards one class reference (with the instance it may carry): how an
    /// optional value of format Class is skipped.
    pub(crate) fn skip_class_reference(&mut self) -> Result<(), MarshalError> {
        self.read_reference(None).map(|_| ())
    }

    /// Reads a user exception (reply status 1): the most derived slice whose type is known
    /// (from `factory`, else the exception registry) decodes it; unknown slices are skipped
    /// in the sliced format. If no slice is known, or the compact format prevents skipping,
    /// the result is an [`UnknownSlicedException`] (then skip to the end of the
    /// encapsulation).
    pub fn read_exception(
        &mut self,
        factory: Option<ExceptionFactoryFn<'_>>,
    ) -> Result<Box<dyn UserException>, MarshalError> {
        let uses_classes = if self.is_1_0() {
            self.read_bool()?
        } else {
            false
        };
        let dec = self.class_decoder();
        let base = dec.stack.len();
        dec.stack.push(Frame {
            exception: true,
            skip_first: true,
            ..Frame::default()
        });
        let result = self.read_exception_slices(factory);
        self.class_decoder().stack.truncate(base);
        let ex = result?;
        if uses_classes
            && ex
                .as_ref()
                .as_any()
                .downcast_ref::<UnknownSlicedException>()
                .is_none()
        {
            self.read_pending_values()?;
        }
        self.check_deferred_if_done()?;
        Ok(ex)
    }

    fn read_exception_slices(
        &mut self,
        factory: Option<ExceptionFactoryFn<'_>>,
    ) -> Result<Box<dyn UserException>, MarshalError> {
        self.read_slice_header()?;
        let most_derived = self.class_decoder().top(0)?.tid().to_owned();
        loop {
            let type_id = self.class_decoder().top(0)?.tid().to_owned();
            let ex = factory
                .and_then(|f| f(&type_id))
                .or_else(|| ExceptionFactories::global().create(&type_id));
            if let Some(mut ex) = ex {
                ex.ice_read_slices(self)?;
                let preserved = std::mem::take(&mut self.class_decoder().top(0)?.preserved);
                if !preserved.is_empty() {
                    ex.ice_set_sliced_data(SlicedData { slices: preserved });
                }
                return Ok(ex);
            }
            let frame = self.class_decoder().top(0)?;
            if frame.slice_end.is_none() {
                return Ok(Box::new(UnknownSlicedException {
                    unknown_type_id: most_derived,
                    sliced_data: SlicedData::default(),
                }));
            }
            self.skip_slice()?;
            let last = if self.is_1_0() {
                self.remaining() == 0
            } else {
                self.class_decoder().top(0)?.flags & flags::IS_LAST_SLICE != 0
            };
            if last {
                let preserved = std::mem::take(&mut self.class_decoder().top(0)?.preserved);
                return Ok(Box::new(UnknownSlicedException {
                    unknown_type_id: most_derived,
                    sliced_data: SlicedData { slices: preserved },
                }));
            }
            self.read_slice_header()?;
        }
    }

    // ---- encoding 1.0 --------------------------------------------------------------

    fn read_reference_1_0(&mut self) -> Result<Option<usize>, MarshalError> {
        let pos = self.pos();
        let v = self.read_i32()?;
        if v > 0 {
            return Err(MarshalError::new(pos, format!("invalid object id {v}")));
        }
        if v == 0 {
            return Ok(None);
        }
        let index = v.unsigned_abs() as usize;
        let e = self.entry_1_0(index);
        let dec = self.class_decoder();
        if let Some(c) = dec.current_1_0 {
            dec.edges_1_0.push((c, e));
        }
        Ok(Some(e))
    }

    /// The entry for a 1.0 instance index, with a placeholder object until it is read.
    fn entry_1_0(&mut self, index: usize) -> usize {
        let dec = self.class_decoder();
        if let Some(&e) = dec.by_index_1_0.get(&index) {
            return e;
        }
        dec.instances.push(Entry {
            cell: ValueRef::new(UnknownSlicedValue::default()),
            ids: None,
            in_progress: false,
            height: 0,
        });
        let e = dec.instances.len() - 1;
        dec.by_index_1_0.insert(index, e);
        e
    }

    fn read_slice_header_1_0(&mut self) -> Result<(), MarshalError> {
        let pos = self.pos();
        let exception = self.class_decoder().top(pos)?.exception;
        let type_id: Arc<str> = if exception || !self.read_bool()? {
            let t: Arc<str> = Arc::from(self.read_str()?);
            if !exception {
                self.class_decoder()
                    .type_ids
                    .push((t.clone(), Cached::default()));
            }
            t
        } else {
            let i = self.read_size()?;
            let dec = self.class_decoder();
            i.checked_sub(1)
                .and_then(|i| dec.type_ids.get(i))
                .map(|e| e.0.clone())
                .ok_or_else(|| {
                    MarshalError::new(pos, format!("type id index {i} is out of range"))
                })?
        };
        let slice_end = self.read_slice_size(true)?;
        let frame = self.class_decoder().top(pos)?;
        frame.flags = 0;
        frame.type_id = Some(type_id);
        frame.type_index = None;
        frame.compact_id = None;
        frame.slice_end = slice_end;
        Ok(())
    }

    /// Encoding 1.0: reads the instances that follow the parameters (or an exception) and
    /// puts them in place of the references read before. Generated code calls it after the
    /// parameters of an operation that uses classes; it reads nothing in encoding 1.1.
    pub fn read_pending_values(&mut self) -> Result<(), MarshalError> {
        if !self.is_1_0() {
            return Ok(());
        }
        loop {
            let n = self.read_count(4)?;
            if n == 0 {
                break;
            }
            for _ in 0..n {
                self.read_instance_1_0()?;
            }
        }
        let pos = self.pos();
        let dec = self.class_decoder();
        if dec.instances.iter().any(|e| e.ids.is_none()) {
            return Err(MarshalError::new(
                pos,
                "index for class received, but no instance",
            ));
        }
        check_graph_1_0(dec, pos)?;
        run_deferred(dec)
    }

    fn read_instance_1_0(&mut self) -> Result<(), MarshalError> {
        let pos = self.pos();
        let index = self.read_i32()?;
        if index <= 0 {
            return Err(MarshalError::new(pos, format!("invalid object id {index}")));
        }
        let e = self.entry_1_0(index as usize);
        if self
            .class_decoder()
            .entry(e)
            .is_some_and(|en| en.ids.is_some())
        {
            return Err(MarshalError::new(
                pos,
                format!("instance {index} is sent twice"),
            ));
        }
        let dec = self.class_decoder();
        let base = dec.stack.len();
        dec.stack.push(Frame {
            skip_first: true,
            ..Frame::default()
        });
        let result = self.read_instance_body_1_0(e);
        self.class_decoder().stack.truncate(base);
        result
    }

    fn read_instance_body_1_0(&mut self, e: usize) -> Result<(), MarshalError> {
        self.read_slice_header_1_0()?;
        let most_derived = self.class_decoder().top(0)?.tid().to_owned();
        let object = loop {
            let pos = self.pos();
            if self.class_decoder().top(pos)?.tid() == OBJECT_TYPE_ID {
                return Err(MarshalError::new(
                    pos,
                    format!("no value factory found for `{most_derived}'"),
                ));
            }
            if let Some(object) = self.create_instance(None) {
                break object;
            }
            let end = self.class_decoder().top(pos)?.slice_end.unwrap_or(pos);
            self.read_blob(end.saturating_sub(pos))?;
            self.read_slice_header_1_0()?;
        };
        let ids = object.ice_ids();
        let dec = self.class_decoder();
        let Some(entry) = dec.instances.get_mut(e) else {
            return Ok(());
        };
        entry.cell.replace(object);
        entry.ids = Some(ids);
        entry.in_progress = true;
        let cell = entry.cell.clone();
        dec.current_1_0 = Some(e);
        let read = cell.write().ice_read(self);
        self.class_decoder().current_1_0 = None;
        read?;
        // The `::Ice::Object` slice: an empty facet map.
        self.start_slice()?;
        let pos = self.pos();
        if self.read_size()? != 0 {
            return Err(MarshalError::new(pos, "invalid ::Ice::Object slice"));
        }
        self.end_slice()?;
        if let Some(entry) = self.class_decoder().instances.get_mut(e) {
            entry.in_progress = false;
        }
        Ok(())
    }
}

/// Encoding 1.0 reads instances one after the other, so cycles and depth are checked on
/// the whole graph afterwards: an iterative depth-first search that refuses a cycle (unless
/// accepted) and a reference chain longer than `Ice.ClassGraphDepthMax`.
fn check_graph_1_0(dec: &ClassDecoder, pos: usize) -> Result<(), MarshalError> {
    let n = dec.instances.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in &dec.edges_1_0 {
        if let Some(c) = children.get_mut(a) {
            c.push(b);
        }
    }
    const WHITE: u8 = 0;
    const GRAY: u8 = 1;
    const BLACK: u8 = 2;
    let mut color = vec![WHITE; n];
    let mut height = vec![0usize; n];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..n {
        if color[start] != WHITE {
            continue;
        }
        color[start] = GRAY;
        stack.push((start, 0));
        while let Some(top) = stack.last_mut() {
            let (v, next) = *top;
            let kids = children.get(v).map(Vec::as_slice).unwrap_or_default();
            if let Some(&w) = kids.get(next) {
                top.1 += 1;
                match color.get(w).copied() {
                    Some(WHITE) => {
                        color[w] = GRAY;
                        stack.push((w, 0));
                    }
                    Some(GRAY) if !dec.config.accept_cycles => {
                        return Err(MarshalError::new(
                            pos,
                            "cycle detected during Value unmarshaling (Ice.AcceptClassCycles is not set)",
                        ));
                    }
                    _ => {}
                }
                continue;
            }
            let h = 1 + kids
                .iter()
                .filter(|&&w| color.get(w) == Some(&BLACK))
                .filter_map(|&w| height.get(w).copied())
                .max()
                .unwrap_or(0);
            if h > dec.config.depth_max {
                return Err(chain_too_long(pos, h, dec.config.depth_max));
            }
            height[v] = h;
            color[v] = BLACK;
            stack.pop();
        }
    }
    Ok(())
}

fn chain_too_long(pos: usize, height: usize, max: usize) -> MarshalError {
    MarshalError::new(
        pos,
        format!(
            "maximum class graph depth reached: a chain of {height} references \
             (Ice.ClassGraphDepthMax = {max})"
        ),
    )
}

fn run_deferred(dec: &mut ClassDecoder) -> Result<(), MarshalError> {
    for d in std::mem::take(&mut dec.deferred) {
        let ok = dec
            .entry(d.entry)
            .and_then(|e| e.ids)
            .is_some_and(|ids| ids.contains(&d.expected));
        if !ok {
            return Err(MarshalError::new(
                d.pos,
                format!(
                    "expected an instance of {} but received another class",
                    d.expected
                ),
            ));
        }
    }
    Ok(())
}
