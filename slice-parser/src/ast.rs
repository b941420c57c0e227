//! The syntax tree: what the grammar read, with spans, before any name is resolved.
//!
//! Produced by [`crate::grammar`], consumed by [`crate::check`]. Nodes keep every span a
//! diagnostic may need (the reference compiler reports many checks at the `{` that opens a
//! definition, at its closing `}`, or at the token after a member's name; see
//! SLICE-LANGUAGE.md 13.2). Identifier and literal values are already lexically decoded
//! (backslash removed, escapes processed); lexical *rules* (underscores, reserved suffixes,
//! ranges) are checked by the checker, which needs the include level.

use crate::source::Span;

/// A parsed compilation unit: the top-level file with its includes spliced in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// An element of a definition list (global scope or module body).
// File metadata is rare and definitions are the common case, so boxing the large variant
// would only add an allocation per definition.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `[[ ... ]]` (legal only before the first definition of its file, at global scope).
    FileMetadata(Metadata),
    /// A definition.
    Definition(Definition),
}

/// An unscoped identifier.
///
/// A data member, parameter or constant written without a name is kept (as slice2py keeps
/// it, under a UUID) with the placeholder name `<unnamed@FILE:OFFSET>`, which is never a
/// valid Slice identifier and so never clashes; the grammar has reported the missing name
/// unless the type cannot resolve (then the failed lookup is the only error, as in slice2py).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name without the escaping backslash.
    pub name: String,
    /// Whether it was written with a leading backslash.
    pub escaped: bool,
    /// Its span (including the backslash).
    pub span: Span,
}

/// A possibly scoped name as written: `T`, `A::T`, `::A::T`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopedName {
    /// The text as written, without a leading escape backslash (`A::\B` keeps the inner one).
    pub text: String,
    /// Whether the first component was escaped.
    pub escaped: bool,
    /// Its span.
    pub span: Span,
}

impl ScopedName {
    /// Whether the name starts with `::`.
    pub fn is_absolute(&self) -> bool {
        self.text.starts_with("::")
    }

    /// The components (`::A::B` gives `["A", "B"]`).
    pub fn components(&self) -> Vec<&str> {
        self.text.trim_start_matches("::").split("::").collect()
    }

    /// The last component.
    pub fn last(&self) -> &str {
        self.text.rsplit("::").next().unwrap_or(&self.text)
    }
}

/// `[ "a", "b" ]` or `[[ "a" ]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// The directives (adjacent string literals already concatenated).
    pub directives: Vec<MetadataDirective>,
    /// The whole block, brackets included.
    pub span: Span,
}

/// One metadata string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataDirective {
    /// The decoded string.
    pub value: String,
    /// Its span.
    pub span: Span,
}

/// A doc comment, raw and parsed (SLICE-LANGUAGE.md 3.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocComment {
    /// The comment text between `/**` and `*/`.
    pub raw: String,
    /// The overview: lines before the first tag line, joined with `\n`.
    pub overview: String,
    /// `@param NAME text`.
    pub params: Vec<(String, String)>,
    /// `@return text`.
    pub returns: Option<String>,
    /// `@throws NAME text` and `@exception NAME text`.
    pub throws: Vec<(String, String)>,
    /// `@see text`, one per tag.
    pub see: Vec<String>,
    /// `@deprecated text`.
    pub deprecated: Option<String>,
    /// Any other tag line, kept whole.
    pub misc: Vec<String>,
    /// Where the comment is.
    pub span: Option<Span>,
}

/// A definition with its leading metadata and doc comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// `[ ... ]` before it.
    pub metadata: Option<Metadata>,
    /// The doc comment attached to it (3.3 rules).
    pub doc: Option<DocComment>,
    /// The whole definition, from its first keyword (or metadata) to its end.
    pub span: Span,
    /// What it defines.
    pub kind: DefinitionKind,
}

/// The kinds of definition.
#[derive(Clone, Debug, PartialEq)]
pub enum DefinitionKind {
    /// `module M { ... }`.
    Module(Module),
    /// `class C;` / `interface I;` (forward declaration).
    ForwardDecl(ForwardDecl),
    /// `class C ... { ... }`.
    Class(Class),
    /// `interface I ... { ... }`.
    Interface(Interface),
    /// `exception E ... { ... }`.
    Exception(Exception),
    /// `struct S { ... }`.
    Struct(Struct),
    /// `enum E { ... }`.
    Enum(Enum),
    /// `sequence<T> S;`.
    Sequence(Sequence),
    /// `dictionary<K, V> D;`.
    Dictionary(Dictionary),
    /// `const T N = V;`.
    Const(Const),
}

/// Braces around a body, for the reference's "reported at `{`" / "at `}`" rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Braces {
    /// The `{`.
    pub open: Span,
    /// The `}`.
    pub close: Span,
}

/// `module M { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// The name.
    pub name: Ident,
    /// Its body.
    pub items: Vec<Item>,
    /// Its braces.
    pub braces: Braces,
}

/// What a forward declaration declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    /// `class`.
    Class,
    /// `interface`.
    Interface,
}

/// `local? class|interface NAME;`.
#[derive(Clone, Debug, PartialEq)]
pub struct ForwardDecl {
    /// Class or interface.
    pub kind: DeclKind,
    /// Whether `local` was written.
    pub local: bool,
    /// The name.
    pub name: Ident,
    /// The `;`.
    pub semicolon: Span,
}

/// An integer literal or a name standing for one (compact ids, tags, enumerator values).
#[derive(Clone, Debug, PartialEq)]
pub enum IntOrName {
    /// A literal (already range-checked against i64 by the grammar, saturated on overflow).
    Int(IntLiteral),
    /// A constant or enumerator name.
    Name(ScopedName),
}

impl IntOrName {
    /// The span of the literal or name.
    pub fn span(&self) -> Span {
        match self {
            IntOrName::Int(i) => i.span,
            IntOrName::Name(n) => n.span,
        }
    }
}

/// An integer literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntLiteral {
    /// The value (saturated when out of range).
    pub value: i64,
    /// The literal as written.
    pub text: String,
    /// Its span.
    pub span: Span,
}

/// `local? class NAME[(id)] [extends B] [implements I, J] { members }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Class {
    /// Whether `local` was written.
    pub local: bool,
    /// The name.
    pub name: Ident,
    /// The compact id, if any.
    pub compact_id: Option<IntOrName>,
    /// The base class.
    pub extends: Option<ScopedName>,
    /// Implemented interfaces (deprecated in 3.7).
    pub implements: Vec<ScopedName>,
    /// Data members and operations in source order.
    pub members: Vec<ClassMember>,
    /// Its braces.
    pub braces: Braces,
}

/// A member of a class.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassMember {
    /// A data member.
    Data(DataMember),
    /// An operation (deprecated in classes in 3.7).
    Operation(Operation),
}

/// `local? interface NAME [extends A, B] { operations }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Interface {
    /// Whether `local` was written.
    pub local: bool,
    /// The name.
    pub name: Ident,
    /// Base interfaces.
    pub extends: Vec<ScopedName>,
    /// Operations in source order.
    pub operations: Vec<Operation>,
    /// Its braces.
    pub braces: Braces,
}

/// `local? exception NAME [extends B] { members }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    /// Whether `local` was written.
    pub local: bool,
    /// The name.
    pub name: Ident,
    /// The base exception.
    pub extends: Option<ScopedName>,
    /// Data members.
    pub members: Vec<DataMember>,
    /// Its braces.
    pub braces: Braces,
}

/// `local? struct NAME { members }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Struct {
    /// Whether `local` was written.
    pub local: bool,
    /// The name.
    pub name: Ident,
    /// Data members.
    pub members: Vec<DataMember>,
    /// Its braces.
    pub braces: Braces,
}

/// `local? enum NAME { a, b = 3, c = K }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Enum {
    /// Whether `local` was written.
    pub local: bool,
    /// The name.
    pub name: Ident,
    /// The enumerators (empty slots dropped).
    pub enumerators: Vec<Enumerator>,
    /// Its braces.
    pub braces: Braces,
}

/// One enumerator.
#[derive(Clone, Debug, PartialEq)]
pub struct Enumerator {
    /// Its doc comment.
    pub doc: Option<DocComment>,
    /// The name.
    pub name: Ident,
    /// The explicit value, if any.
    pub value: Option<IntOrName>,
    /// Where value checks are reported: the value when there is one, else the token after
    /// the enumerator (`,` or `}`).
    pub after: Span,
}

/// `local? sequence<T> NAME;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Whether `local` was written.
    pub local: bool,
    /// The element type (with its metadata).
    pub element: TypeRef,
    /// The name.
    pub name: Ident,
}

/// `local? dictionary<K, V> NAME;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dictionary {
    /// Whether `local` was written.
    pub local: bool,
    /// The key type.
    pub key: TypeRef,
    /// The value type.
    pub value: TypeRef,
    /// The name.
    pub name: Ident,
}

/// `const [meta] T NAME = VALUE;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Const {
    /// The type, with the metadata written after `const`.
    pub ty: TypeRef,
    /// The name.
    pub name: Ident,
    /// The value.
    pub value: ConstValue,
}

/// The builtin types spelled with keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `bool`.
    Bool,
    /// `byte`.
    Byte,
    /// `short`.
    Short,
    /// `int`.
    Int,
    /// `long`.
    Long,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `string`.
    String,
    /// `Object` (by value: any class instance).
    Object,
    /// `Object*`.
    ObjectProxy,
    /// `LocalObject`.
    LocalObject,
    /// `Value`.
    Value,
}

impl Builtin {
    /// The Slice keyword(s).
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Bool => "bool",
            Builtin::Byte => "byte",
            Builtin::Short => "short",
            Builtin::Int => "int",
            Builtin::Long => "long",
            Builtin::Float => "float",
            Builtin::Double => "double",
            Builtin::String => "string",
            Builtin::Object => "Object",
            Builtin::ObjectProxy => "Object*",
            Builtin::LocalObject => "LocalObject",
            Builtin::Value => "Value",
        }
    }
}

/// A type as written.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeRef {
    /// Metadata written directly on the type (sequence elements, dictionary keys/values,
    /// parameters, constants).
    pub metadata: Option<Metadata>,
    /// What was written.
    pub kind: TypeRefKind,
    /// The span of the type itself (name and `*`).
    pub span: Span,
}

/// The forms of a type reference.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeRefKind {
    /// A builtin keyword type.
    Builtin(Builtin),
    /// A named type (`T`, `A::T`); note `\int` arrives here as the name `int`.
    Named(ScopedName),
    /// A proxy `T*`.
    Proxy(ScopedName),
}

/// `optional(tag)`.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionalTag {
    /// The tag: an integer or a constant/enumerator name.
    pub tag: IntOrName,
    /// The whole `optional(...)` text.
    pub span: Span,
}

/// `[meta] [optional(t)] T name [= default];`.
#[derive(Clone, Debug, PartialEq)]
pub struct DataMember {
    /// Metadata before it.
    pub metadata: Option<Metadata>,
    /// Its doc comment.
    pub doc: Option<DocComment>,
    /// `optional(tag)`, if written.
    pub optional: Option<OptionalTag>,
    /// Its type.
    pub ty: TypeRef,
    /// Its name.
    pub name: Ident,
    /// The default value, if any.
    pub default: Option<ConstValue>,
    /// The token after the name (`;`, `=` or `}`), where most member checks are reported.
    pub after_name: Span,
    /// The whole member.
    pub span: Span,
}

/// A constant value or default value.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstValue {
    /// What it is.
    pub kind: ConstValueKind,
    /// The literal or name as written.
    pub text: String,
    /// Its span.
    pub span: Span,
}

/// The forms of a constant value.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstValueKind {
    /// An integer literal (saturated when out of range; the grammar reported that).
    Integer(i64),
    /// A floating-point literal.
    Float(f64),
    /// A string literal, decoded to bytes (escapes processed; usually UTF-8).
    String(Vec<u8>),
    /// `true` / `false`.
    Bool(bool),
    /// A constant or enumerator name.
    Name(ScopedName),
}

/// An operation's return type.
#[derive(Clone, Debug, PartialEq)]
pub enum ReturnType {
    /// `void`.
    Void(Span),
    /// A type, possibly optional.
    Type {
        /// `optional(tag)`, if written.
        optional: Option<OptionalTag>,
        /// The type.
        ty: TypeRef,
    },
}

/// `[meta] [idempotent] RET name(params) [throws E, F];`.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Metadata before it.
    pub metadata: Option<Metadata>,
    /// Its doc comment.
    pub doc: Option<DocComment>,
    /// Whether `idempotent` was written.
    pub idempotent: bool,
    /// The return type.
    pub return_type: ReturnType,
    /// The name.
    pub name: Ident,
    /// The `name(` token (name, blanks and the parenthesis), where operation checks are
    /// reported.
    pub name_paren: Span,
    /// The parameters.
    pub params: Vec<Parameter>,
    /// The exceptions in the throws clause.
    pub throws: Vec<ScopedName>,
    /// The whole operation.
    pub span: Span,
}

/// `[out] [meta] [optional(t)] T name`.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Metadata (written after `out`).
    pub metadata: Option<Metadata>,
    /// Its doc comment (rare; the reference attaches pending comments to parameters too).
    pub doc: Option<DocComment>,
    /// Whether it is an out parameter.
    pub out: bool,
    /// `optional(tag)`, if written.
    pub optional: Option<OptionalTag>,
    /// Its type.
    pub ty: TypeRef,
    /// Its name.
    pub name: Ident,
    /// The whole parameter.
    pub span: Span,
}
