//! The resolved semantic model: what code generators read.
//!
//! [`crate::check::check`] builds a [`Model`] once the whole compilation unit (the top-level
//! file with everything it includes) has been checked without errors. Generators never look at
//! the AST or at source text: every name is resolved here.
//!
//! # Layout
//!
//! Definitions live in typed arenas ([`Arena`], indexed by [`Id`]); references between
//! definitions are ids, never pointers, so the model is cheap to clone and easy to borrow.
//!
//! # Invariants
//!
//! * Reopened modules are merged: there is exactly one [`Module`] per scoped module name
//!   (`::A::B`), and its [`Module::contents`] list every definition of every reopening, in
//!   source order (included files first where they were included).
//! * Every id stored anywhere in the model is valid for the arena of its type.
//! * Every definition carries an [`Info`]: its unqualified name, its scoped name (`::M::T`,
//!   which is also its Slice type id), its doc comment, its local metadata, its span and
//!   whether it comes from the top-level file ([`Info::from_main`]; generators skip the others
//!   unless asked to generate everything).
//! * A class or interface has exactly one entry, created at its first declaration or
//!   definition; [`Class::defined`] / [`Interface::defined`] say whether a body was seen. A
//!   forward-declared type that is never defined appears in no module's contents.
//! * Types are fully resolved ([`Type`]): a proxy is [`Type::Proxy`] (an interface) or
//!   [`Type::ClassProxy`] (a class), never a name. Exceptions are never types.
//! * A module's [`Info::from_main`] is that of its first opening; [`Module::any_from_main`]
//!   says whether any opening is in the top-level file (a generator emits the module then).
//! * Enumerator values, optional tags and compact ids are plain integers (already range
//!   checked: values and tags in `0..=i32::MAX`). Constant and default values are typed
//!   ([`ConstValue`]) and normalised (a constant initialised from another constant holds the
//!   final value).
//! * Bases are resolved: a class has at most one base class and any number of implemented
//!   interfaces; an interface any number of base interfaces; an exception at most one base.
//!   Inheritance is acyclic (a base must be defined before it is used).
//!
//! # Queries for generators
//!
//! [`Model::find`] (by scoped name), [`Model::type_id`], [`Model::all_interface_bases`] and
//! [`Model::interface_type_ids`] (Ice's `ice_ids` order), [`Model::all_interface_operations`],
//! [`Model::all_class_members`] / [`Model::all_exception_members`] (base first),
//! [`Model::is_fixed_size`], [`Model::min_wire_size`], [`Model::optional_format`],
//! [`Model::uses_classes`], [`Model::has_marshaled_result`], [`Operation::send_mode`],
//! [`sorted_by_tag`], [`Info::deprecated`], and [`Model::metadata_warnings`] for a
//! generator's own metadata prefix.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

pub use crate::ast::{Builtin, DocComment};
use crate::source::{FileId, Span};

/// A typed index into an [`Arena`].
pub struct Id<T> {
    raw: u32,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    /// The raw index.
    pub fn index(self) -> usize {
        self.raw as usize
    }

    fn from_index(i: usize) -> Id<T> {
        Id {
            raw: i as u32,
            _marker: PhantomData,
        }
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<T> Eq for Id<T> {}
impl<T> std::hash::Hash for Id<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.raw)
    }
}

/// A growable store of `T`s addressed by [`Id<T>`].
#[derive(Clone, Debug)]
pub struct Arena<T> {
    items: Vec<T>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena { items: Vec::new() }
    }
}

impl<T> Arena<T> {
    /// Adds an item and returns its id.
    pub fn alloc(&mut self, item: T) -> Id<T> {
        self.items.push(item);
        Id::from_index(self.items.len() - 1)
    }

    /// The item with this id, if the id belongs to this arena.
    pub fn get(&self, id: Id<T>) -> Option<&T> {
        self.items.get(id.index())
    }

    /// Mutable access to an item.
    pub fn get_mut(&mut self, id: Id<T>) -> Option<&mut T> {
        self.items.get_mut(id.index())
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the arena is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// All items with their ids, in allocation order.
    pub fn iter(&self) -> impl Iterator<Item = (Id<T>, &T)> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, t)| (Id::from_index(i), t))
    }
}

impl<T> std::ops::Index<Id<T>> for Arena<T> {
    type Output = T;
    fn index(&self, id: Id<T>) -> &T {
        // Ids are only created by this arena's `alloc`, so they are in bounds (model invariant).
        &self.items[id.index()]
    }
}

/// Id of a [`Module`].
pub type ModuleId = Id<Module>;
/// Id of a [`Struct`].
pub type StructId = Id<Struct>;
/// Id of a [`Class`].
pub type ClassId = Id<Class>;
/// Id of an [`Interface`].
pub type InterfaceId = Id<Interface>;
/// Id of an [`Exception`].
pub type ExceptionId = Id<Exception>;
/// Id of an [`Enum`].
pub type EnumId = Id<Enum>;
/// Id of a [`Sequence`].
pub type SequenceId = Id<Sequence>;
/// Id of a [`Dictionary`].
pub type DictionaryId = Id<Dictionary>;
/// Id of a [`Const`].
pub type ConstId = Id<Const>;

/// What every named definition carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    /// The unqualified name as written (without escaping backslash).
    pub name: String,
    /// The scoped name, `::M::T`; for types this is also the Slice type id.
    pub scoped: String,
    /// The doc comment attached to it.
    pub doc: Option<DocComment>,
    /// Local metadata (`["..."]`), in order.
    pub metadata: Vec<String>,
    /// Where its name is written.
    pub span: Span,
    /// Where slice2py considers it created (the `{` of a body, the token after a member's
    /// name, the `(` of an operation, the value of a constant...): the line slice2py's own
    /// messages about it use.
    pub created_at: Span,
    /// Whether it comes from the top-level file (not from an included file).
    pub from_main: bool,
}

impl Info {
    /// The file it is defined in.
    pub fn file(&self) -> FileId {
        self.span.file
    }

    /// Whether the metadata list contains exactly `directive`.
    pub fn has_metadata(&self, directive: &str) -> bool {
        self.metadata.iter().any(|m| m == directive)
    }

    /// The first metadata directive starting with `prefix`.
    pub fn find_metadata(&self, prefix: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|m| m.starts_with(prefix))
            .map(String::as_str)
    }

    /// `Some(reason)` when marked deprecated by `["deprecate"]`/`["deprecate:reason"]` metadata
    /// or an `@deprecated` doc tag (reason empty when none is given).
    pub fn deprecated(&self) -> Option<String> {
        if let Some(m) = self.find_metadata("deprecate") {
            return Some(
                m.strip_prefix("deprecate:")
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            );
        }
        self.doc.as_ref().and_then(|d| d.deprecated.clone())
    }
}

/// A resolved type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A builtin type (including `Object*`, `Value`, `LocalObject`).
    Builtin(Builtin),
    /// A struct.
    Struct(StructId),
    /// A class instance (by value).
    Class(ClassId),
    /// An interface by value (deprecated in 3.7; means "any class implementing it").
    Interface(InterfaceId),
    /// A proxy `I*` to an interface.
    Proxy(InterfaceId),
    /// A proxy `C*` to a class (deprecated in 3.7).
    ClassProxy(ClassId),
    /// An enum.
    Enum(EnumId),
    /// A sequence.
    Sequence(SequenceId),
    /// A dictionary.
    Dictionary(DictionaryId),
}

/// A typed constant or default value.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstValue {
    /// `true` / `false`.
    Bool(bool),
    /// An integer (already range-checked against the target type).
    Int(i64),
    /// A floating-point value.
    Float(f64),
    /// A string, decoded to bytes (usually UTF-8; see [`ConstValue::as_str`]).
    String(Vec<u8>),
    /// An enumerator: its enum and its index in [`Enum::enumerators`].
    Enumerator(EnumId, usize),
}

impl ConstValue {
    /// The string value when it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ConstValue::String(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }
}

/// A module, merged across all its reopenings.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// Name, scoped name, doc (the longest of its reopenings'), metadata (first opening).
    pub info: Info,
    /// The enclosing module (`None` at global scope).
    pub parent: Option<ModuleId>,
    /// Its definitions in source order.
    pub contents: Vec<Definition>,
    /// Whether any opening is in the top-level file.
    pub any_from_main: bool,
}

/// One definition inside a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Definition {
    /// A nested module (listed once, at its first opening).
    Module(ModuleId),
    /// A struct.
    Struct(StructId),
    /// A class definition.
    Class(ClassId),
    /// An interface definition.
    Interface(InterfaceId),
    /// An exception.
    Exception(ExceptionId),
    /// An enum.
    Enum(EnumId),
    /// A sequence.
    Sequence(SequenceId),
    /// A dictionary.
    Dictionary(DictionaryId),
    /// A constant.
    Const(ConstId),
}

/// A data member of a struct, class or exception.
#[derive(Clone, Debug, PartialEq)]
pub struct DataMember {
    /// Name (scoped: `::M::S::m`), doc, metadata, span.
    pub info: Info,
    /// Its type.
    pub ty: Type,
    /// `optional(tag)`.
    pub tag: Option<i32>,
    /// The default value, if one was given.
    pub default: Option<ConstValue>,
    /// The default value as written (literal or name).
    pub default_literal: Option<String>,
}

/// A struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Struct {
    /// Name, type id, doc, metadata.
    pub info: Info,
    /// `local struct`.
    pub local: bool,
    /// Members in order.
    pub members: Vec<DataMember>,
}

/// An operation of an interface (or, deprecated, of a class).
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Name, scoped name, doc, metadata.
    pub info: Info,
    /// `idempotent`.
    pub idempotent: bool,
    /// The return type (`None` for `void`).
    pub return_type: Option<Type>,
    /// `optional(tag)` on the return type.
    pub return_tag: Option<i32>,
    /// Parameters in order (in-parameters first, then out-parameters).
    pub params: Vec<Parameter>,
    /// The throws clause, in order.
    pub throws: Vec<ExceptionId>,
}

/// How an operation is sent (the mode byte of a request).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationMode {
    /// `0`: a normal operation.
    Normal,
    /// `1`: an `idempotent` operation with `["nonmutating"]` metadata (legacy).
    Nonmutating,
    /// `2`: an `idempotent` operation.
    Idempotent,
}

impl OperationMode {
    /// The byte sent on the wire.
    pub fn wire_value(self) -> u8 {
        match self {
            OperationMode::Normal => 0,
            OperationMode::Nonmutating => 1,
            OperationMode::Idempotent => 2,
        }
    }
}

/// The optional entries of a member or parameter list, sorted by tag (the order Ice marshals
/// them in, after the required ones).
pub fn sorted_by_tag<'a, T>(
    items: impl IntoIterator<Item = &'a T>,
    tag: impl Fn(&T) -> Option<i32>,
) -> Vec<&'a T>
where
    T: 'a,
{
    let mut v: Vec<&T> = items.into_iter().filter(|i| tag(i).is_some()).collect();
    v.sort_by_key(|i| tag(i));
    v
}

impl Operation {
    /// The mode the operation is sent with (Ice's `sendMode`).
    pub fn send_mode(&self) -> OperationMode {
        match (self.idempotent, self.info.has_metadata("nonmutating")) {
            (true, true) => OperationMode::Nonmutating,
            (true, false) => OperationMode::Idempotent,
            (false, _) => OperationMode::Normal,
        }
    }

    /// The in-parameters.
    pub fn in_params(&self) -> impl Iterator<Item = &Parameter> {
        self.params.iter().filter(|p| !p.out)
    }

    /// The out-parameters.
    pub fn out_params(&self) -> impl Iterator<Item = &Parameter> {
        self.params.iter().filter(|p| p.out)
    }

    /// Whether `["amd"]` is on the operation or on `container_metadata` (its interface's).
    pub fn is_amd(&self, container: &Info) -> bool {
        self.info.has_metadata("amd") || container.has_metadata("amd")
    }

    /// The `format:` metadata of the operation, else of its container (`None`: default).
    pub fn format<'a>(&'a self, container: &'a Info) -> Option<&'a str> {
        self.info
            .find_metadata("format:")
            .or_else(|| container.find_metadata("format:"))
            .map(|m| &m["format:".len()..])
    }
}

/// A parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Name, doc, metadata (written after `out`).
    pub info: Info,
    /// `out`.
    pub out: bool,
    /// Its type.
    pub ty: Type,
    /// `optional(tag)`.
    pub tag: Option<i32>,
}

/// A class.
#[derive(Clone, Debug, PartialEq)]
pub struct Class {
    /// Name, type id, doc, metadata (of the definition when defined).
    pub info: Info,
    /// `local class`.
    pub local: bool,
    /// Whether a definition (body) was seen.
    pub defined: bool,
    /// `class C(id)`.
    pub compact_id: Option<i32>,
    /// `extends B`.
    pub base: Option<ClassId>,
    /// `implements I, J` (deprecated).
    pub implements: Vec<InterfaceId>,
    /// Its own data members.
    pub members: Vec<DataMember>,
    /// Its own operations (deprecated for non-local classes).
    pub operations: Vec<Operation>,
}

/// An interface.
#[derive(Clone, Debug, PartialEq)]
pub struct Interface {
    /// Name, type id, doc, metadata.
    pub info: Info,
    /// `local interface`.
    pub local: bool,
    /// Whether a definition (body) was seen.
    pub defined: bool,
    /// `extends A, B` in order (duplicates removed).
    pub bases: Vec<InterfaceId>,
    /// Its own operations.
    pub operations: Vec<Operation>,
}

/// An exception.
#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    /// Name, type id, doc, metadata.
    pub info: Info,
    /// `local exception`.
    pub local: bool,
    /// `extends B`.
    pub base: Option<ExceptionId>,
    /// Its own data members.
    pub members: Vec<DataMember>,
}

/// An enumerator.
#[derive(Clone, Debug, PartialEq)]
pub struct Enumerator {
    /// Name (scoped `::M::E::e`), doc, span.
    pub info: Info,
    /// Its value.
    pub value: i32,
    /// Whether the value was written explicitly.
    pub explicit: bool,
}

/// An enum.
#[derive(Clone, Debug, PartialEq)]
pub struct Enum {
    /// Name, type id, doc, metadata.
    pub info: Info,
    /// `local enum`.
    pub local: bool,
    /// Enumerators in order.
    pub enumerators: Vec<Enumerator>,
}

impl Enum {
    /// Whether any enumerator has an explicit value.
    pub fn explicit_values(&self) -> bool {
        self.enumerators.iter().any(|e| e.explicit)
    }

    /// The largest enumerator value (0 for an empty enum).
    pub fn max_value(&self) -> i32 {
        self.enumerators.iter().map(|e| e.value).max().unwrap_or(0)
    }
}

/// A sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Name, type id, doc, metadata.
    pub info: Info,
    /// `local sequence`.
    pub local: bool,
    /// Element type.
    pub element: Type,
    /// Metadata written on the element type (`sequence<["m"] T>`).
    pub element_metadata: Vec<String>,
}

/// A dictionary.
#[derive(Clone, Debug, PartialEq)]
pub struct Dictionary {
    /// Name, type id, doc, metadata.
    pub info: Info,
    /// `local dictionary`.
    pub local: bool,
    /// Key type (a legal key type).
    pub key: Type,
    /// Metadata on the key type.
    pub key_metadata: Vec<String>,
    /// Value type.
    pub value: Type,
    /// Metadata on the value type.
    pub value_metadata: Vec<String>,
}

/// A constant.
#[derive(Clone, Debug, PartialEq)]
pub struct Const {
    /// Name, scoped name, doc, metadata.
    pub info: Info,
    /// Its type (a builtin value type or an enum).
    pub ty: Type,
    /// Metadata written on the type (`const ["m"] T`).
    pub type_metadata: Vec<String>,
    /// Its value.
    pub value: ConstValue,
    /// The initializer as written.
    pub literal: String,
}

/// How an optional value of a type is encoded (the tag's format byte, Ice encoding 1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionalFormat {
    /// One byte (`bool`, `byte`).
    F1,
    /// Two bytes (`short`).
    F2,
    /// Four bytes (`int`, `float`).
    F4,
    /// Eight bytes (`long`, `double`).
    F8,
    /// A size (enums).
    Size,
    /// A size followed by that many bytes (strings; fixed-size structs, sequences of
    /// fixed-size elements and dictionaries of fixed-size keys and values).
    VSize,
    /// A four-byte length followed by the value (proxies and other variable-size values).
    FSize,
    /// A class instance.
    Class,
}

/// File-level information.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileInfo {
    /// File metadata (`[[...]]`) of that file, in order.
    pub metadata: Vec<String>,
}

/// The resolved definitions of one compilation.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// All modules (merged).
    pub modules: Arena<Module>,
    /// All structs.
    pub structs: Arena<Struct>,
    /// All classes (declared or defined).
    pub classes: Arena<Class>,
    /// All interfaces (declared or defined).
    pub interfaces: Arena<Interface>,
    /// All exceptions.
    pub exceptions: Arena<Exception>,
    /// All enums.
    pub enums: Arena<Enum>,
    /// All sequences.
    pub sequences: Arena<Sequence>,
    /// All dictionaries.
    pub dictionaries: Arena<Dictionary>,
    /// All constants.
    pub consts: Arena<Const>,
    /// Global-scope modules in first-opening order.
    pub top_level: Vec<ModuleId>,
    /// File metadata per file.
    pub files: HashMap<FileId, FileInfo>,
    /// Compact id → class.
    pub compact_ids: HashMap<i32, ClassId>,
    /// The top-level file.
    pub main_file: Option<FileId>,
}

impl Model {
    /// The [`Info`] of a definition.
    pub fn info(&self, def: Definition) -> &Info {
        match def {
            Definition::Module(i) => &self.modules[i].info,
            Definition::Struct(i) => &self.structs[i].info,
            Definition::Class(i) => &self.classes[i].info,
            Definition::Interface(i) => &self.interfaces[i].info,
            Definition::Exception(i) => &self.exceptions[i].info,
            Definition::Enum(i) => &self.enums[i].info,
            Definition::Sequence(i) => &self.sequences[i].info,
            Definition::Dictionary(i) => &self.dictionaries[i].info,
            Definition::Const(i) => &self.consts[i].info,
        }
    }

    /// File metadata of a file.
    pub fn file_metadata(&self, file: FileId) -> &[String] {
        self.files.get(&file).map_or(&[], |f| f.metadata.as_slice())
    }

    /// Finds a definition by scoped name (`::M::T`; the leading `::` is optional).
    pub fn find(&self, scoped: &str) -> Option<Definition> {
        let wanted = if scoped.starts_with("::") {
            scoped.to_string()
        } else {
            format!("::{scoped}")
        };
        let mut stack: Vec<ModuleId> = self.top_level.clone();
        while let Some(m) = stack.pop() {
            let module = &self.modules[m];
            if module.info.scoped == wanted {
                return Some(Definition::Module(m));
            }
            for &d in &module.contents {
                if let Definition::Module(sub) = d {
                    stack.push(sub);
                } else if self.info(d).scoped == wanted {
                    return Some(d);
                }
            }
        }
        None
    }

    /// The Slice type id of a type (`::M::T`, `::M::I*` for proxies, `int` for builtins).
    pub fn type_id(&self, ty: Type) -> String {
        match ty {
            Type::Builtin(b) => match b {
                Builtin::Object => "::Ice::Object".into(),
                Builtin::ObjectProxy => "::Ice::Object*".into(),
                Builtin::Value => "::Ice::Value".into(),
                Builtin::LocalObject => "::Ice::LocalObject".into(),
                other => other.name().into(),
            },
            Type::Struct(i) => self.structs[i].info.scoped.clone(),
            Type::Class(i) => self.classes[i].info.scoped.clone(),
            Type::Interface(i) => self.interfaces[i].info.scoped.clone(),
            Type::Proxy(i) => format!("{}*", self.interfaces[i].info.scoped),
            Type::ClassProxy(i) => format!("{}*", self.classes[i].info.scoped),
            Type::Enum(i) => self.enums[i].info.scoped.clone(),
            Type::Sequence(i) => self.sequences[i].info.scoped.clone(),
            Type::Dictionary(i) => self.dictionaries[i].info.scoped.clone(),
        }
    }

    /// Every base interface of `id`, transitively, each once, sorted by scoped name (the
    /// order Ice uses for `ice_ids`).
    pub fn all_interface_bases(&self, id: InterfaceId) -> Vec<InterfaceId> {
        let mut seen = std::collections::HashSet::new();
        let mut stack = self.interfaces[id].bases.clone();
        while let Some(b) = stack.pop() {
            if seen.insert(b) {
                stack.extend(self.interfaces[b].bases.iter().copied());
            }
        }
        let mut out: Vec<InterfaceId> = seen.into_iter().collect();
        out.sort_by(|a, b| {
            self.interfaces[*a]
                .info
                .scoped
                .cmp(&self.interfaces[*b].info.scoped)
        });
        out
    }

    /// The type ids an object implementing `id` answers to `ice_ids` with: its own, every
    /// base's and `::Ice::Object`, sorted.
    pub fn interface_type_ids(&self, id: InterfaceId) -> Vec<String> {
        let mut ids: Vec<String> = self
            .all_interface_bases(id)
            .into_iter()
            .map(|b| self.interfaces[b].info.scoped.clone())
            .collect();
        ids.push(self.interfaces[id].info.scoped.clone());
        ids.push("::Ice::Object".into());
        ids.sort();
        ids.dedup();
        ids
    }

    /// Every operation of `id` and its bases: bases first (depth-first, in `extends` order),
    /// each operation once.
    pub fn all_interface_operations(&self, id: InterfaceId) -> Vec<(InterfaceId, &Operation)> {
        let mut out: Vec<(InterfaceId, &Operation)> = Vec::new();
        let mut visited = std::collections::HashSet::new();
        let mut stack: Vec<(InterfaceId, bool)> = vec![(id, false)];
        while let Some((i, expanded)) = stack.pop() {
            if expanded {
                out.extend(self.interfaces[i].operations.iter().map(|op| (i, op)));
                continue;
            }
            if !visited.insert(i) {
                continue;
            }
            stack.push((i, true));
            for &b in self.interfaces[i].bases.iter().rev() {
                stack.push((b, false));
            }
        }
        out
    }

    /// The chain of base classes of `id`, nearest first.
    pub fn class_bases(&self, id: ClassId) -> Vec<ClassId> {
        let mut out = Vec::new();
        let mut cur = self.classes[id].base;
        while let Some(b) = cur {
            if out.contains(&b) || b == id {
                break;
            }
            out.push(b);
            cur = self.classes[b].base;
        }
        out
    }

    /// All data members of a class including inherited ones, base-to-derived.
    pub fn all_class_members(&self, id: ClassId) -> Vec<&DataMember> {
        let mut chain = self.class_bases(id);
        chain.reverse();
        chain.push(id);
        chain
            .into_iter()
            .flat_map(|c| self.classes[c].members.iter())
            .collect()
    }

    /// The chain of base exceptions of `id`, nearest first.
    pub fn exception_bases(&self, id: ExceptionId) -> Vec<ExceptionId> {
        let mut out = Vec::new();
        let mut cur = self.exceptions[id].base;
        while let Some(b) = cur {
            if out.contains(&b) || b == id {
                break;
            }
            out.push(b);
            cur = self.exceptions[b].base;
        }
        out
    }

    /// All data members of an exception including inherited ones, base-to-derived.
    pub fn all_exception_members(&self, id: ExceptionId) -> Vec<&DataMember> {
        let mut chain = self.exception_bases(id);
        chain.reverse();
        chain.push(id);
        chain
            .into_iter()
            .flat_map(|e| self.exceptions[e].members.iter())
            .collect()
    }

    /// Whether values of the type have a fixed encoded size (Ice's `!isVariableLength`):
    /// fixed-size builtins and structs made only of those.
    pub fn is_fixed_size(&self, ty: Type) -> bool {
        self.fixed_size_depth(ty, 0)
    }

    fn fixed_size_depth(&self, ty: Type, depth: usize) -> bool {
        if depth > 64 {
            return false;
        }
        match ty {
            Type::Builtin(b) => matches!(
                b,
                Builtin::Bool
                    | Builtin::Byte
                    | Builtin::Short
                    | Builtin::Int
                    | Builtin::Long
                    | Builtin::Float
                    | Builtin::Double
            ),
            Type::Struct(s) => self.structs[s]
                .members
                .iter()
                .all(|m| self.fixed_size_depth(m.ty, depth + 1)),
            _ => false,
        }
    }

    /// The minimum number of bytes an encoded value of the type takes (Ice's `minWireSize`).
    pub fn min_wire_size(&self, ty: Type) -> usize {
        self.min_wire_size_depth(ty, 0)
    }

    fn min_wire_size_depth(&self, ty: Type, depth: usize) -> usize {
        if depth > 64 {
            return 1;
        }
        match ty {
            Type::Builtin(b) => match b {
                Builtin::Bool | Builtin::Byte => 1,
                Builtin::Short => 2,
                Builtin::Int | Builtin::Float => 4,
                Builtin::Long | Builtin::Double => 8,
                Builtin::String | Builtin::Object | Builtin::Value => 1,
                Builtin::ObjectProxy => 2,
                Builtin::LocalObject => 0,
            },
            Type::Struct(s) => self.structs[s]
                .members
                .iter()
                .map(|m| self.min_wire_size_depth(m.ty, depth + 1))
                .sum(),
            Type::Proxy(_) | Type::ClassProxy(_) => 2,
            Type::Class(_) | Type::Interface(_) => 1,
            Type::Enum(_) | Type::Sequence(_) | Type::Dictionary(_) => 1,
        }
    }

    /// How an optional value of the type is encoded.
    pub fn optional_format(&self, ty: Type) -> OptionalFormat {
        match ty {
            Type::Builtin(b) => match b {
                Builtin::Bool | Builtin::Byte => OptionalFormat::F1,
                Builtin::Short => OptionalFormat::F2,
                Builtin::Int | Builtin::Float => OptionalFormat::F4,
                Builtin::Long | Builtin::Double => OptionalFormat::F8,
                Builtin::String => OptionalFormat::VSize,
                Builtin::ObjectProxy => OptionalFormat::FSize,
                Builtin::Object | Builtin::Value | Builtin::LocalObject => OptionalFormat::Class,
            },
            Type::Enum(_) => OptionalFormat::Size,
            Type::Class(_) | Type::Interface(_) => OptionalFormat::Class,
            Type::Proxy(_) | Type::ClassProxy(_) => OptionalFormat::FSize,
            Type::Struct(_) => {
                if self.is_fixed_size(ty) {
                    OptionalFormat::VSize
                } else {
                    OptionalFormat::FSize
                }
            }
            Type::Sequence(s) => {
                if self.is_fixed_size(self.sequences[s].element) {
                    OptionalFormat::VSize
                } else {
                    OptionalFormat::FSize
                }
            }
            Type::Dictionary(d) => {
                let d = &self.dictionaries[d];
                if self.is_fixed_size(d.key) && self.is_fixed_size(d.value) {
                    OptionalFormat::VSize
                } else {
                    OptionalFormat::FSize
                }
            }
        }
    }

    /// Whether a file's metadata suppresses `category` (`all`, `deprecated`,
    /// `invalid-metadata`) through `[["suppress-warning..."]]`.
    pub fn suppresses_warning(&self, file: FileId, category: &str) -> bool {
        let Some(value) = self
            .file_metadata(file)
            .iter()
            .find(|m| m.starts_with("suppress-warning"))
        else {
            return false;
        };
        match value.strip_prefix("suppress-warning:") {
            None => value == "suppress-warning",
            Some(list) => list
                .split(',')
                .map(str::trim)
                .any(|c| c == "all" || c == category),
        }
    }

    /// Warnings for metadata with `prefix` (e.g. `"rust:"`) that `is_known` rejects, worded
    /// as slice2py words its own (`ignoring invalid file metadata `X'` for file metadata,
    /// `ignoring invalid metadata `X'` elsewhere), skipping files that suppress
    /// `invalid-metadata`. Other prefixes are ignored, as slice2py ignores `cpp:` and the
    /// like.
    pub fn metadata_warnings(
        &self,
        prefix: &str,
        is_known: &dyn Fn(&str) -> bool,
    ) -> Vec<crate::diagnostics::Diagnostic> {
        use crate::diagnostics::{Diagnostic, Severity};
        let bad = |m: &String| m.starts_with(prefix) && !is_known(m);
        let mut out = Vec::new();
        let mut files: Vec<FileId> = self.files.keys().copied().collect();
        files.sort();
        for f in files {
            if self.suppresses_warning(f, "invalid-metadata") {
                continue;
            }
            for m in self.file_metadata(f).iter().filter(|m| bad(m)) {
                out.push(Diagnostic::file_level(
                    Severity::Warning,
                    "invalid-metadata",
                    f,
                    format!("ignoring invalid file metadata `{m}'"),
                ));
            }
        }
        let mut local: Vec<(Span, String)> = Vec::new();
        fn push(local: &mut Vec<(Span, String)>, info: &Info, extra: &[&[String]]) {
            for m in info
                .metadata
                .iter()
                .chain(extra.iter().flat_map(|v| v.iter()))
            {
                local.push((info.created_at, m.clone()));
            }
        }
        fn push_ops(local: &mut Vec<(Span, String)>, ops: &[Operation]) {
            for op in ops {
                push(local, &op.info, &[]);
                op.params.iter().for_each(|p| push(local, &p.info, &[]));
            }
        }
        for (_, m) in self.modules.iter() {
            push(&mut local, &m.info, &[]);
        }
        for (_, x) in self.structs.iter() {
            push(&mut local, &x.info, &[]);
            x.members
                .iter()
                .for_each(|d| push(&mut local, &d.info, &[]));
        }
        for (_, x) in self.exceptions.iter() {
            push(&mut local, &x.info, &[]);
            x.members
                .iter()
                .for_each(|d| push(&mut local, &d.info, &[]));
        }
        for (_, x) in self.classes.iter().filter(|(_, c)| c.defined) {
            push(&mut local, &x.info, &[]);
            x.members
                .iter()
                .for_each(|d| push(&mut local, &d.info, &[]));
            push_ops(&mut local, &x.operations);
        }
        for (_, x) in self.interfaces.iter().filter(|(_, i)| i.defined) {
            push(&mut local, &x.info, &[]);
            push_ops(&mut local, &x.operations);
        }
        for (_, x) in self.enums.iter() {
            push(&mut local, &x.info, &[]);
        }
        for (_, x) in self.sequences.iter() {
            push(&mut local, &x.info, &[&x.element_metadata]);
        }
        for (_, x) in self.dictionaries.iter() {
            push(&mut local, &x.info, &[&x.key_metadata, &x.value_metadata]);
        }
        for (_, x) in self.consts.iter() {
            push(&mut local, &x.info, &[&x.type_metadata]);
        }
        local.sort_by_key(|(span, _)| (span.file, span.start));
        for (span, m) in local {
            if bad(&m) && !self.suppresses_warning(span.file, "invalid-metadata") {
                out.push(Diagnostic::warning(
                    "invalid-metadata",
                    span,
                    format!("ignoring invalid metadata `{m}'"),
                ));
            }
        }
        out
    }

    /// Whether the type (transitively) contains class instances (Ice's `usesClasses`).
    pub fn uses_classes(&self, ty: Type) -> bool {
        self.uses_classes_depth(ty, 0)
    }

    fn uses_classes_depth(&self, ty: Type, depth: usize) -> bool {
        if depth > 64 {
            return true;
        }
        match ty {
            Type::Builtin(b) => matches!(b, Builtin::Object | Builtin::Value),
            Type::Class(_) | Type::Interface(_) => true,
            Type::Struct(s) => self.structs[s]
                .members
                .iter()
                .any(|m| self.uses_classes_depth(m.ty, depth + 1)),
            Type::Sequence(s) => self.uses_classes_depth(self.sequences[s].element, depth + 1),
            Type::Dictionary(d) => self.uses_classes_depth(self.dictionaries[d].value, depth + 1),
            _ => false,
        }
    }

    /// Whether a result of this type can be mutated by user code after a dispatch returns
    /// (what makes `["marshaled-result"]` matter).
    pub fn is_mutable_after_return(&self, ty: Type) -> bool {
        matches!(
            ty,
            Type::Class(_)
                | Type::Interface(_)
                | Type::Struct(_)
                | Type::Sequence(_)
                | Type::Dictionary(_)
                | Type::Builtin(Builtin::Object)
                | Type::Builtin(Builtin::Value)
        )
    }

    /// Whether the operation uses a marshaled result (`["marshaled-result"]` on it or on its
    /// container, and a mutable return or out type).
    pub fn has_marshaled_result(&self, op: &Operation, container: &Info) -> bool {
        (op.info.has_metadata("marshaled-result") || container.has_metadata("marshaled-result"))
            && (op
                .return_type
                .is_some_and(|t| self.is_mutable_after_return(t))
                || op.out_params().any(|p| self.is_mutable_after_return(p.ty)))
    }
}
