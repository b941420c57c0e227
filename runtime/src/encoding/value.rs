//! Class instances (Slice `class`, Ice's `Value`): how they are represented in Rust.
//!
//! # Representation, and why
//!
//! Slice classes are passed by value but form *graphs*: an instance may be referenced from
//! several places (sharing), may reference itself or an ancestor (cycles), a reference may be
//! null, and a member declared with a base class may hold any derived class (polymorphism).
//! Decoded graphs must stay mutable, and values travel inside futures across threads. So:
//!
//! * [`ValueRef`] is the untyped handle: `Arc<parking_lot::RwLock<Box<dyn AnyValue>>>`.
//!   Cloning it makes another reference to the *same* instance (identity is the `Arc`
//!   pointer, [`ValueRef::ptr_eq`]); the encoder writes an instance once and refers back to
//!   it by id, the decoder rebuilds the same sharing. `Arc` + `RwLock` give `Send + Sync`
//!   with concurrent readers (several threads may encode the same graph at once). The extra
//!   `Box` lets the decoder create the handle *before* it knows the instance's final type
//!   (sliced format: the most derived slices may be unknown and are skipped while the
//!   instance id is already referenced by nested instances), then put the right object in.
//! * [`Value<T>`] is the typed handle generated code uses for a member of class type `T`:
//!   a [`ValueRef`] whose instance is guaranteed to be a `T` *or a subclass of `T`*
//!   (checked when decoding, guaranteed by construction otherwise). `read()` and `write()`
//!   lock the instance and give `&T` / `&mut T`, even when the instance is a subclass.
//! * Null is `Option::None`: a class member is `Option<Value<T>>`.
//! * Inheritance is composition: a generated `Derived` embeds its base as a field `base`
//!   (and may `Deref` to it); [`AnyValue::ice_upcast`] walks that chain by `TypeId`, which is
//!   how a `Value<Base>` reads a `Derived`. [`ValueRef::downcast`] goes the other way.
//! * A type-erased [`AnyValue`] trait object carries the dynamic class: its Slice type ids,
//!   how to write and read its slices, and any preserved slices ([`SlicedData`]).
//!
//! Cycles are the user's to break (as in Ice's C++11 mapping): an `Arc` cycle is never freed.
//! That is why decoding refuses cycles unless `Ice.AcceptClassCycles` is set
//! ([`crate::encoding::InputStream::set_accept_class_cycles`]): a hostile peer must not be
//! able to leak memory in a server. `Debug` on a handle prints the type id and address only,
//! never the members, so printing a cyclic graph terminates.
//!
//! Locking discipline: the encoder read-locks each instance while it writes it, the decoder
//! write-locks each instance while it reads it; neither ever locks an instance it is already
//! inside of (a back reference is written/read by id, without locking). Do not hold a write
//! guard on one instance of a graph while another thread encodes that graph and you lock a
//! second instance: that is an ordinary lock-order deadlock.
//!
//! # What generated code looks like
//!
//! For `class Base { int id; string name; }` and `class Derived extends Base { Base buddy;
//! optional(1) string note; }` (the generator also registers every class once, e.g. in a
//! module's `register_types()`, so that the decoder can instantiate subclasses and the
//! classes referenced from sliced-format indirection tables):
//!
//! ```
//! use ice_runtime::encoding::*;
//!
//! #[derive(Clone, Debug, Default, PartialEq)]
//! pub struct Base { pub id: i32, pub name: String }
//!
//! impl Class for Base { const ICE_ID: &'static str = "::M::Base"; }
//! impl AnyValue for Base {
//!     fn ice_id(&self) -> &str { Self::ICE_ID }
//!     fn ice_ids(&self) -> &'static [&'static str] { &["::Ice::Object", "::M::Base"] }
//!     fn ice_write(&self, out: &mut OutputStream) {
//!         out.start_slice(Self::ICE_ID, Self::COMPACT_ID, true); // true: no base class
//!         out.write_i32(self.id);
//!         out.write_string(&self.name);
//!         out.end_slice();
//!     }
//!     fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
//!         input.start_slice()?;
//!         self.id = input.read_i32()?;
//!         self.name = input.read_string()?;
//!         input.end_slice()
//!     }
//!     ice_runtime::ice_upcast_root!();
//! }
//!
//! #[derive(Clone, Debug, Default, PartialEq)]
//! pub struct Derived { pub base: Base, pub buddy: Option<Value<Base>>, pub note: Option<String> }
//!
//! impl std::ops::Deref for Derived {
//!     type Target = Base;
//!     fn deref(&self) -> &Base { &self.base }
//! }
//! impl Class for Derived { const ICE_ID: &'static str = "::M::Derived"; }
//! impl Extends<Base> for Derived {}
//! impl AnyValue for Derived {
//!     fn ice_id(&self) -> &str { Self::ICE_ID }
//!     fn ice_ids(&self) -> &'static [&'static str] {
//!         &["::Ice::Object", "::M::Base", "::M::Derived"]
//!     }
//!     fn ice_write(&self, out: &mut OutputStream) {
//!         out.start_slice(Self::ICE_ID, Self::COMPACT_ID, false);
//!         out.write_value(self.buddy.as_ref());
//!         out.write_optional_member(1, self.note.as_deref());
//!         out.end_slice();
//!         self.base.ice_write(out);
//!     }
//!     fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
//!         input.start_slice()?;
//!         self.buddy = input.read_value::<Base>()?;
//!         self.note = input.read_optional_member(1)?;
//!         input.end_slice()?;
//!         self.base.ice_read(input)
//!     }
//!     ice_runtime::ice_upcast_derived!(base);
//! }
//!
//! // Once, before decoding (generated `register_types()`):
//! register_class::<Base>();
//! register_class::<Derived>();
//!
//! // A Derived whose buddy is itself, passed where a Base is expected.
//! let d = Value::new(Derived { base: Base { id: 1, name: "d".into() }, ..Default::default() });
//! d.write().buddy = Some(d.clone().upcast());
//! let mut out = OutputStream::new();
//! out.set_format(Format::Sliced); // `["format:sliced"]`; the default is Format::Compact
//! out.write_value(Some(&d.clone().upcast::<Base>()));
//!
//! let mut input = InputStream::new(out.as_slice());
//! input.set_accept_class_cycles(true); // Ice.AcceptClassCycles
//! let b: Value<Base> = input.read_value::<Base>()?.expect("not null");
//! assert_eq!(b.read().name, "d"); // a Derived, read as a Base
//! let back = b.downcast::<Derived>().expect("a Derived");
//! assert!(Value::ptr_eq(back.read().buddy.as_ref().unwrap(), &b)); // the cycle survived
//! back.write().buddy = None; // break the cycles, or they are never freed
//! d.write().buddy = None;
//! # Ok::<(), MarshalError>(())
//! ```
//!
//! This module must never decode bytes itself; the wire format lives in `class_encoder.rs`
//! and `class_decoder.rs`.

use super::{InputStream, MarshalError, OptionalFormat, OutputStream};
use parking_lot::{
    MappedRwLockReadGuard, MappedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, LazyLock};

/// The type id every class implicitly extends.
pub const OBJECT_TYPE_ID: &str = "::Ice::Object";

/// A class instance of any class type, as a trait object. Generated classes implement it
/// (together with [`Class`]); the runtime's [`UnknownSlicedValue`] does too.
pub trait AnyValue: Any + Send + Sync + fmt::Debug {
    /// The most derived Slice type id of this instance, e.g. `::Vec::Derived`.
    fn ice_id(&self) -> &str;

    /// Every Slice type id this instance *is*: its class, all base classes and
    /// `::Ice::Object` (any order). Decoding checks a reference's type against it.
    fn ice_ids(&self) -> &'static [&'static str];

    /// Writes this class's slice, then its base classes' slices, each between
    /// [`OutputStream::start_slice`] and [`OutputStream::end_slice`] (most derived first).
    fn ice_write(&self, out: &mut OutputStream);

    /// Reads this class's slice, then its base classes' slices, each between
    /// [`InputStream::start_slice`] and [`InputStream::end_slice`].
    fn ice_read(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError>;

    /// This instance viewed as the class whose Rust type is `target` (itself or an embedded
    /// base), or `None` if it is not one.
    fn ice_upcast(&self, target: TypeId) -> Option<&dyn Any>;

    /// Mutable form of [`AnyValue::ice_upcast`].
    fn ice_upcast_mut(&mut self, target: TypeId) -> Option<&mut dyn Any>;

    /// The slices this instance kept from the wire because it did not know their types
    /// (`["preserve-slice"]` classes only).
    fn ice_sliced_data(&self) -> Option<&SlicedData> {
        None
    }

    /// Called after decoding with the slices that were skipped. Classes that preserve
    /// slices store them (and write them back in the sliced format); others drop them.
    fn ice_set_sliced_data(&mut self, data: SlicedData) {
        let _ = data;
    }
}

/// A generated Slice class: static information the codec needs.
pub trait Class: AnyValue + Default {
    /// The Slice type id, e.g. `::Vec::Base`.
    const ICE_ID: &'static str;
    /// The compact id (`class Compact(7)`), if the class has one.
    const COMPACT_ID: Option<i32> = None;
}

/// Marker: `Self` is a Slice subclass of `B` (generated once per ancestor), so a
/// `Value<Self>` can be used where a `Value<B>` is expected ([`Value::upcast`]).
pub trait Extends<B: Class>: Class {}

/// Implements [`AnyValue`]'s `ice_upcast`/`ice_upcast_mut` for a class with no base class.
#[macro_export]
macro_rules! ice_upcast_root {
    () => {
        fn ice_upcast(&self, target: ::std::any::TypeId) -> Option<&dyn ::std::any::Any> {
            (target == ::std::any::TypeId::of::<Self>()).then_some(self as &dyn ::std::any::Any)
        }
        fn ice_upcast_mut(
            &mut self,
            target: ::std::any::TypeId,
        ) -> Option<&mut dyn ::std::any::Any> {
            (target == ::std::any::TypeId::of::<Self>()).then_some(self as &mut dyn ::std::any::Any)
        }
    };
}

/// Implements [`AnyValue`]'s `ice_upcast`/`ice_upcast_mut` for a class whose base is
/// embedded in the field `$base`.
#[macro_export]
macro_rules! ice_upcast_derived {
    ($base:ident) => {
        fn ice_upcast(&self, target: ::std::any::TypeId) -> Option<&dyn ::std::any::Any> {
            if target == ::std::any::TypeId::of::<Self>() {
                Some(self)
            } else {
                $crate::encoding::AnyValue::ice_upcast(&self.$base, target)
            }
        }
        fn ice_upcast_mut(
            &mut self,
            target: ::std::any::TypeId,
        ) -> Option<&mut dyn ::std::any::Any> {
            if target == ::std::any::TypeId::of::<Self>() {
                Some(self)
            } else {
                $crate::encoding::AnyValue::ice_upcast_mut(&mut self.$base, target)
            }
        }
    };
}

type Cell = RwLock<Box<dyn AnyValue>>;

/// A shared reference to a class instance of any type. Cloning shares the instance.
#[derive(Clone)]
pub struct ValueRef(Arc<Cell>);

impl ValueRef {
    /// A new instance.
    pub fn new<V: AnyValue>(value: V) -> ValueRef {
        ValueRef(Arc::new(RwLock::new(Box::new(value))))
    }

    /// A new instance from a boxed value (what factories return).
    pub fn from_box(value: Box<dyn AnyValue>) -> ValueRef {
        ValueRef(Arc::new(RwLock::new(value)))
    }

    /// Locks the instance for reading.
    pub fn read(&self) -> MappedRwLockReadGuard<'_, dyn AnyValue> {
        RwLockReadGuard::map(self.0.read(), |b| &**b)
    }

    /// Locks the instance for writing.
    pub fn write(&self) -> MappedRwLockWriteGuard<'_, dyn AnyValue> {
        RwLockWriteGuard::map(self.0.write(), |b| &mut **b)
    }

    /// Whether `a` and `b` are the same instance.
    pub fn ptr_eq(a: &ValueRef, b: &ValueRef) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// The most derived type id (locks the instance briefly).
    pub fn ice_id(&self) -> String {
        self.read().ice_id().to_owned()
    }

    /// Whether the instance is a `T` or a subclass of `T` (locks it briefly).
    pub fn is<T: Class>(&self) -> bool {
        self.read().ice_upcast(TypeId::of::<T>()).is_some()
    }

    /// A typed handle, if the instance is a `T` or a subclass of `T`.
    pub fn downcast<T: Class>(&self) -> Option<Value<T>> {
        self.is::<T>().then(|| Value {
            inner: self.clone(),
            _class: PhantomData,
        })
    }

    /// Replaces the instance's object, keeping its identity (decoder only).
    pub(crate) fn replace(&self, value: Box<dyn AnyValue>) {
        *self.0.write() = value;
    }

    /// A number that identifies the instance while it is alive (for identity maps).
    pub fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

impl fmt::Debug for ValueRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print members: the graph may be cyclic. `try_read` so that printing while
        // the instance is locked for writing cannot deadlock.
        match self.0.try_read() {
            Some(g) => write!(f, "Value({}@{:#x})", g.ice_id(), self.identity()),
            None => write!(f, "Value(<locked>@{:#x})", self.identity()),
        }
    }
}

impl PartialEq for ValueRef {
    /// Identity, as for Ice's smart pointers.
    fn eq(&self, other: &ValueRef) -> bool {
        ValueRef::ptr_eq(self, other)
    }
}

impl Eq for ValueRef {}

impl std::hash::Hash for ValueRef {
    /// Identity, consistent with `PartialEq`.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.identity().hash(state);
    }
}

/// A shared reference to an instance of class `T` or of a subclass of `T`.
pub struct Value<T> {
    inner: ValueRef,
    _class: PhantomData<fn() -> T>,
}

impl<T: Class> Value<T> {
    /// A new instance.
    pub fn new(value: T) -> Value<T> {
        Value {
            inner: ValueRef::new(value),
            _class: PhantomData,
        }
    }

    /// Locks the instance for reading and views it as a `T`.
    pub fn read(&self) -> MappedRwLockReadGuard<'_, T> {
        RwLockReadGuard::map(self.inner.0.read(), |b| {
            b.ice_upcast(TypeId::of::<T>())
                .and_then(|a| a.downcast_ref::<T>())
                .unwrap_or_else(|| upcast_bug::<T>())
        })
    }

    /// Locks the instance for writing and views it as a `T`.
    pub fn write(&self) -> MappedRwLockWriteGuard<'_, T> {
        RwLockWriteGuard::map(self.inner.0.write(), |b| {
            b.ice_upcast_mut(TypeId::of::<T>())
                .and_then(|a| a.downcast_mut::<T>())
                .unwrap_or_else(|| upcast_bug::<T>())
        })
    }

    /// The untyped handle.
    pub fn as_value_ref(&self) -> &ValueRef {
        &self.inner
    }

    /// The untyped handle.
    pub fn into_value_ref(self) -> ValueRef {
        self.inner
    }

    /// The same instance as a reference to a base class.
    pub fn upcast<B: Class>(self) -> Value<B>
    where
        T: Extends<B>,
    {
        Value {
            inner: self.inner,
            _class: PhantomData,
        }
    }

    /// The same instance as a subclass `D`, if it is one.
    pub fn downcast<D: Class>(&self) -> Option<Value<D>> {
        self.inner.downcast()
    }

    /// Whether `a` and `b` are the same instance.
    pub fn ptr_eq(a: &Value<T>, b: &Value<T>) -> bool {
        ValueRef::ptr_eq(&a.inner, &b.inner)
    }

    /// A typed handle on an instance the decoder already checked to be a `T`.
    pub(crate) fn from_checked(inner: ValueRef) -> Value<T> {
        Value {
            inner,
            _class: PhantomData,
        }
    }
}

/// `ice_upcast` is generated: a failure means the generated `ice_ids` and `ice_upcast`
/// disagree, which no input can cause.
#[cold]
fn upcast_bug<T>() -> ! {
    panic!(
        "class instance does not embed {} although its ice_ids say it does (generated code bug)",
        std::any::type_name::<T>()
    )
}

impl<T> Clone for Value<T> {
    fn clone(&self) -> Self {
        Value {
            inner: self.inner.clone(),
            _class: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<T> PartialEq for Value<T> {
    /// Identity, as for Ice's smart pointers.
    fn eq(&self, other: &Value<T>) -> bool {
        ValueRef::ptr_eq(&self.inner, &other.inner)
    }
}

impl<T> Eq for Value<T> {}

impl<T> std::hash::Hash for Value<T> {
    /// Identity, consistent with `PartialEq`.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.hash(state);
    }
}

impl<T> AsRef<ValueRef> for Value<T> {
    fn as_ref(&self) -> &ValueRef {
        &self.inner
    }
}

impl AsRef<ValueRef> for ValueRef {
    fn as_ref(&self) -> &ValueRef {
        self
    }
}

/// Slices of an instance (or exception) that the receiver did not know and kept so it can
/// send them on unchanged (`["preserve-slice"]`). Most derived slice first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlicedData {
    /// The preserved slices, most derived first.
    pub slices: Vec<SliceInfo>,
}

/// One preserved slice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SliceInfo {
    /// The slice's type id (empty when it was sent as a compact id).
    pub type_id: String,
    /// The compact id, when the slice was sent with one.
    pub compact_id: Option<i32>,
    /// The slice's member bytes (after the slice size, without the optional end marker).
    pub bytes: Vec<u8>,
    /// The instances of the slice's indirection table, in order.
    pub instances: Vec<ValueRef>,
    /// The slice had optional members (flag 0x04; the end marker is re-added on writing).
    pub has_optional_members: bool,
    /// The slice was the least derived one (flag 0x20).
    pub is_last_slice: bool,
}

/// An instance none of whose slices the receiver knows (sliced format). It keeps every slice
/// and writes them back unchanged in the sliced format.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnknownSlicedValue {
    /// The most derived type id that was received.
    pub unknown_type_id: String,
    /// All the slices.
    pub sliced_data: SlicedData,
}

impl AnyValue for UnknownSlicedValue {
    fn ice_id(&self) -> &str {
        &self.unknown_type_id
    }
    fn ice_ids(&self) -> &'static [&'static str] {
        &[OBJECT_TYPE_ID]
    }
    fn ice_write(&self, _out: &mut OutputStream) {
        // Everything is in the preserved slices, written by the encoder before this call.
    }
    fn ice_read(&mut self, _input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        Ok(())
    }
    ice_upcast_root!();
    fn ice_sliced_data(&self) -> Option<&SlicedData> {
        Some(&self.sliced_data)
    }
    fn ice_set_sliced_data(&mut self, data: SlicedData) {
        self.sliced_data = data;
    }
}

/// Creates a default instance of a class, to be filled by decoding.
pub type ValueFactory = Arc<dyn Fn() -> Box<dyn AnyValue> + Send + Sync>;

/// Value factories by type id and by compact id: how the decoder instantiates the most
/// derived class it knows. The process-wide registry is [`ValueFactories::global`]; a
/// stream may use its own ([`InputStream::set_value_factories`]).
#[derive(Default)]
pub struct ValueFactories {
    by_type_id: RwLock<HashMap<String, ValueFactory>>,
    by_compact_id: RwLock<HashMap<i32, String>>,
}

static GLOBAL_VALUE_FACTORIES: LazyLock<Arc<ValueFactories>> = LazyLock::new(Default::default);

impl ValueFactories {
    /// An empty registry.
    pub fn new() -> ValueFactories {
        ValueFactories::default()
    }

    /// The process-wide registry (used by streams that have none of their own).
    pub fn global() -> &'static Arc<ValueFactories> {
        &GLOBAL_VALUE_FACTORIES
    }

    /// Registers the generated class `T` (its type id and compact id).
    pub fn register<T: Class>(&self) {
        self.register_factory(
            T::ICE_ID,
            T::COMPACT_ID,
            Arc::new(|| Box::new(T::default())),
        );
    }

    /// Registers a factory for `type_id` (and `compact_id`), replacing any previous one.
    pub fn register_factory(&self, type_id: &str, compact_id: Option<i32>, factory: ValueFactory) {
        self.by_type_id.write().insert(type_id.to_owned(), factory);
        if let Some(c) = compact_id {
            self.by_compact_id.write().insert(c, type_id.to_owned());
        }
    }

    /// A new instance of `type_id`, if a factory is registered.
    pub fn create(&self, type_id: &str) -> Option<Box<dyn AnyValue>> {
        self.factory(type_id).map(|f| f())
    }

    /// The factory registered for `type_id`.
    pub fn factory(&self, type_id: &str) -> Option<ValueFactory> {
        self.by_type_id.read().get(type_id).cloned()
    }

    /// The type id registered for a compact id.
    pub fn resolve_compact_id(&self, compact_id: i32) -> Option<String> {
        self.by_compact_id.read().get(&compact_id).cloned()
    }
}

impl fmt::Debug for ValueFactories {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueFactories")
            .field(
                "type_ids",
                &self.by_type_id.read().keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Registers the generated class `T` in the process-wide registry.
pub fn register_class<T: Class>() {
    ValueFactories::global().register::<T>();
}

// A class reference is an optional value of format Class. An optional class member is
// written with `write_optional_member(tag, self.o.as_ref())` (`Value<T>: Encode`) and read
// with `read_optional_member::<Option<Value<T>>>(tag)?.flatten()` (set-but-null is legal).

impl<T: Class> super::Encode for Value<T> {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::Class;
    fn encode(&self, out: &mut OutputStream) {
        out.write_value(Some(self));
    }
}

impl super::Encode for ValueRef {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::Class;
    fn encode(&self, out: &mut OutputStream) {
        out.write_value(Some(self));
    }
}

impl<T: Class> super::Encode for Option<Value<T>> {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::Class;
    fn encode(&self, out: &mut OutputStream) {
        out.write_value(self.as_ref());
    }
}

impl<T: Class> super::Decode for Option<Value<T>> {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::Class;
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        input.read_value::<T>()
    }
}

impl super::Encode for Option<ValueRef> {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::Class;
    fn encode(&self, out: &mut OutputStream) {
        out.write_value(self.as_ref());
    }
}

impl super::Decode for Option<ValueRef> {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::Class;
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        input.read_value_ref()
    }
}
