//! Writing class instances and user exceptions (ICE-PROTOCOL.md sections 5, 6 and 14):
//! instance ids, type-id indexes, compact and sliced formats, indirection tables, preserved
//! slices, and the encoding 1.0 forms.
//!
//! The state lives in the [`OutputStream`] (one per encapsulation, reset when a new
//! encapsulation starts writing classes). Generated code calls only the public methods
//! below; it never sees the state.

use super::value::{SlicedData, UnknownSlicedValue, ValueRef};
use super::{Encode, OptionalFormat, OutputStream, ENCODING_1_0};
use std::collections::HashMap;

/// Flags of a slice header (ICE-PROTOCOL.md 5.2).
pub(crate) mod flags {
    pub const TYPE_ID_STRING: u8 = 0x01;
    pub const TYPE_ID_INDEX: u8 = 0x02;
    pub const TYPE_ID_COMPACT: u8 = 0x03;
    pub const TYPE_ID_MASK: u8 = 0x03;
    pub const HAS_OPTIONAL_MEMBERS: u8 = 0x04;
    pub const HAS_INDIRECTION_TABLE: u8 = 0x08;
    pub const HAS_SLICE_SIZE: u8 = 0x10;
    pub const IS_LAST_SLICE: u8 = 0x20;
}

/// Hashes instance identities (addresses of live instances, never chosen by a peer):
/// a multiplication and a fold instead of SipHash.
#[derive(Clone, Copy, Default)]
pub(crate) struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b) ^ self.0.rotate_left(8));
        }
    }
    fn write_u64(&mut self, n: u64) {
        let h = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type IdentityMap<V> = HashMap<usize, V, std::hash::BuildHasherDefault<IdentityHasher>>;

/// How classes and exceptions are written: Ice's `FormatType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// No slice sizes; only the most derived slice has a type id (Ice's default).
    #[default]
    Compact,
    /// Every slice has a type id and a size, so receivers can skip unknown slices
    /// (`["format:sliced"]`, `Ice.Default.SlicedFormat`).
    Sliced,
}

/// An instance (or exception) being written.
#[derive(Clone, Debug, Default)]
struct Frame {
    exception: bool,
    /// This instance's slices carry sizes and type ids (the sliced format, or an instance
    /// made only of preserved slices).
    sliced: bool,
    /// Encoding 1.0 exceptions: the pending instances follow the exception.
    uses_classes: bool,
    first_slice: bool,
    flags_pos: usize,
    flags: u8,
    size_pos: usize,
    /// Sliced format: the instances referenced from the current slice, in index order.
    table: Vec<ValueRef>,
    table_index: IdentityMap<usize>,
}

/// Per-encapsulation class state of an [`OutputStream`].
#[derive(Clone, Debug, Default)]
pub(crate) struct ClassEncoder {
    format: Format,
    /// The encapsulation this state belongs to.
    key: Option<usize>,
    /// Instances written so far: identity key -> (instance id, handle kept alive so the key
    /// cannot be reused by another allocation while this encapsulation is written).
    marshaled: IdentityMap<(usize, ValueRef)>,
    last_id: usize,
    type_ids: HashMap<String, usize>,
    stack: Vec<Frame>,
    /// Encoding 1.0: instances referenced but not written yet.
    pending: Vec<(usize, ValueRef)>,
}

impl ClassEncoder {
    fn reset(&mut self, key: Option<usize>) {
        self.key = key;
        self.marshaled.clear();
        self.last_id = if key.is_some() {
            1
        } else {
            self.last_id.max(1)
        };
        self.type_ids.clear();
        self.pending.clear();
    }
}

impl OutputStream {
    fn class_encoder(&mut self) -> &mut ClassEncoder {
        let key = self.encaps_key();
        let state = self.classes.get_or_insert_with(Default::default);
        if state.last_id == 0 || (state.key != key && state.stack.is_empty()) {
            state.reset(key);
        }
        state
    }

    /// Sets the format for classes and exceptions (Compact unless the operation says
    /// `["format:sliced"]`).
    pub fn set_format(&mut self, format: Format) {
        self.classes.get_or_insert_with(Default::default).format = format;
    }

    /// The format for classes and exceptions.
    pub fn format(&self) -> Format {
        self.classes.as_ref().map(|c| c.format).unwrap_or_default()
    }

    fn is_1_0(&self) -> bool {
        self.encoding() == ENCODING_1_0
    }

    /// Writes a class reference (`None` is null): the instance inline the first time it is
    /// written in this encapsulation, then its id; inside a slice in the sliced format, an
    /// indirection index. Encoding 1.0: a negative index, the instance follows in
    /// [`OutputStream::write_pending_values`].
    pub fn write_value<V: AsRef<ValueRef>>(&mut self, value: Option<&V>) {
        let Some(value) = value.map(AsRef::as_ref) else {
            if self.is_1_0() {
                self.write_i32(0);
            } else {
                self.write_size(0);
            }
            return;
        };
        if self.is_1_0() {
            let id = self.register_pending(value);
            self.write_i32(-(id as i32));
            return;
        }
        let state = self.class_encoder();
        if let Some(frame) = state.stack.last_mut().filter(|f| f.sliced) {
            let next = frame.table.len() + 1;
            let index = *frame.table_index.entry(value.identity()).or_insert(next);
            if index == next {
                frame.table.push(value.clone());
            }
            self.write_size(index);
        } else {
            self.write_instance(value);
        }
    }

    /// Writes an instance inline (`01` + slices) or, if already written, its id.
    fn write_instance(&mut self, value: &ValueRef) {
        let state = self.class_encoder();
        if let Some((id, _)) = state.marshaled.get(&value.identity()) {
            let id = *id;
            self.write_size(id);
            return;
        }
        state.last_id += 1;
        let id = state.last_id;
        state
            .marshaled
            .insert(value.identity(), (id, value.clone()));
        self.write_size(1);
        self.write_instance_body(value);
    }

    fn write_instance_body(&mut self, value: &ValueRef) {
        let guard = value.read();
        // An instance none of whose slices is known has nothing but its preserved slices:
        // they are written (sliced, so decodable) even in the compact format.
        let opaque = guard
            .ice_upcast(std::any::TypeId::of::<UnknownSlicedValue>())
            .is_some();
        self.start_instance(false, guard.ice_sliced_data(), opaque);
        guard.ice_write(self);
        self.end_instance();
    }

    fn start_instance(&mut self, exception: bool, preserved: Option<&SlicedData>, opaque: bool) {
        let sliced = opaque || self.format() == Format::Sliced;
        let state = self.class_encoder();
        state.stack.push(Frame {
            exception,
            sliced,
            first_slice: true,
            ..Frame::default()
        });
        if let Some(data) = preserved.filter(|_| sliced && !self.is_1_0()) {
            self.write_sliced_data(data);
        }
    }

    fn end_instance(&mut self) {
        self.class_encoder().stack.pop();
    }

    /// Preserved slices are written back only in the sliced format; in the compact format
    /// they are dropped (the instance is sliced to the most derived type we know).
    fn write_sliced_data(&mut self, data: &SlicedData) {
        for slice in &data.slices {
            self.start_slice(&slice.type_id, slice.compact_id, slice.is_last_slice);
            self.write_blob(&slice.bytes);
            if let Some(frame) = self.class_encoder().stack.last_mut() {
                if slice.has_optional_members {
                    frame.flags |= flags::HAS_OPTIONAL_MEMBERS;
                }
                // The bytes already hold the indexes: only the table is re-written.
                frame.table.extend(slice.instances.iter().cloned());
            }
            self.end_slice();
        }
    }

    /// Starts a slice of a class instance or exception being written (called by generated
    /// `ice_write`/`ice_write_slices`, most derived class first). `last` is true for the
    /// class or exception that has no base.
    pub fn start_slice(&mut self, type_id: &str, compact_id: Option<i32>, last: bool) {
        if self.is_1_0() {
            self.start_slice_1_0(type_id);
            return;
        }
        let flags_pos = self.len();
        self.write_u8(0);
        let state = self.class_encoder();
        let Some(frame) = state.stack.last_mut() else {
            return;
        };
        let sliced = frame.sliced;
        let mut f = 0u8;
        if sliced {
            f |= flags::HAS_SLICE_SIZE;
        }
        if last {
            f |= flags::IS_LAST_SLICE;
        }
        let exception = frame.exception;
        let write_type_id = !exception && (sliced || frame.first_slice);
        frame.first_slice = false;
        frame.flags_pos = flags_pos;
        if exception {
            frame.flags = f;
            self.write_string(type_id);
        } else if write_type_id {
            if let Some(c) = compact_id {
                frame.flags = f | flags::TYPE_ID_COMPACT;
                self.write_size(c.max(0) as usize);
            } else if let Some(&index) = state.type_ids.get(type_id) {
                frame.flags = f | flags::TYPE_ID_INDEX;
                self.write_size(index);
            } else {
                let index = state.type_ids.len() + 1;
                state.type_ids.insert(type_id.to_owned(), index);
                frame.flags = f | flags::TYPE_ID_STRING;
                self.write_string(type_id);
            }
        } else {
            frame.flags = f;
        }
        if sliced {
            let size_pos = self.len();
            if let Some(frame) = self.class_encoder().stack.last_mut() {
                frame.size_pos = size_pos;
            }
            self.write_i32(0);
        }
    }

    /// Ends the slice started by [`OutputStream::start_slice`]: end marker, slice size,
    /// indirection table, flags.
    pub fn end_slice(&mut self) {
        if self.is_1_0() {
            self.end_slice_1_0();
            return;
        }
        let Some(frame) = self.class_encoder().stack.last_mut() else {
            return;
        };
        let mut f = frame.flags;
        let size_pos = frame.size_pos;
        let flags_pos = frame.flags_pos;
        let table = std::mem::take(&mut frame.table);
        frame.table_index.clear();
        if f & flags::HAS_OPTIONAL_MEMBERS != 0 {
            self.write_u8(super::optional::OPTIONAL_END_MARKER);
        }
        if f & flags::HAS_SLICE_SIZE != 0 {
            self.patch_i32(size_pos, (self.len() - size_pos) as i32);
        }
        if !table.is_empty() {
            f |= flags::HAS_INDIRECTION_TABLE;
            self.write_size(table.len());
            for v in &table {
                self.write_instance(v);
            }
        }
        if let Some(b) = self.as_mut_slice().get_mut(flags_pos) {
            *b = f;
        }
    }

    fn patch_i32(&mut self, pos: usize, v: i32) {
        if let Some(dst) = self.as_mut_slice().get_mut(pos..pos + 4) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Writes an optional data member of the current class or exception slice if it is set
    /// (header, then the value in its type's optional format) and marks the slice as having
    /// optional members. Call it for each optional member in increasing tag order, after
    /// the required members: `out.write_optional_member(2, self.o2.as_deref())`. Writes
    /// nothing in encoding 1.0.
    pub fn write_optional_member<T: Encode + ?Sized>(&mut self, tag: u32, value: Option<&T>) {
        if value.is_some() && !self.is_1_0() {
            self.mark_optional_members();
        }
        self.write_optional(tag, value);
    }

    /// Writes the header of an optional data member of the current slice and marks the slice
    /// as having optional members (for members whose body the caller writes itself); false
    /// in encoding 1.0, where the caller then writes nothing.
    pub fn write_slice_optional_header(&mut self, tag: u32, format: OptionalFormat) -> bool {
        if self.is_1_0() {
            return false;
        }
        self.mark_optional_members();
        self.write_optional_header(tag, format)
    }

    fn mark_optional_members(&mut self) {
        if let Some(frame) = self.class_encoder().stack.last_mut() {
            frame.flags |= flags::HAS_OPTIONAL_MEMBERS;
        }
    }

    /// Starts writing a user exception (generated `encode_exception` does this around
    /// `ice_write_slices`). `uses_classes` matters for encoding 1.0 only.
    pub fn start_exception(&mut self, sliced: Option<&SlicedData>, uses_classes: bool) {
        if self.is_1_0() {
            self.write_bool(uses_classes);
            self.class_encoder().stack.push(Frame {
                exception: true,
                uses_classes,
                ..Frame::default()
            });
            return;
        }
        self.start_instance(true, sliced, false);
    }

    /// Starts writing an exception made only of preserved slices (they are written even in
    /// the compact format, the only way to keep it decodable).
    pub(crate) fn start_opaque_exception(&mut self, preserved: &SlicedData) {
        if self.is_1_0() {
            self.start_exception(None, false);
        } else {
            self.start_instance(true, Some(preserved), true);
        }
    }

    /// Ends the exception started by [`OutputStream::start_exception`].
    pub fn end_exception(&mut self) {
        let uses_classes = self
            .class_encoder()
            .stack
            .pop()
            .is_some_and(|f| f.uses_classes);
        if uses_classes && self.is_1_0() {
            // "uses classes" was announced: the pending instances follow (possibly none).
            self.write_pending_values();
        }
    }

    // ---- encoding 1.0 --------------------------------------------------------------

    fn register_pending(&mut self, value: &ValueRef) -> usize {
        let state = self.class_encoder();
        if let Some((id, _)) = state.marshaled.get(&value.identity()) {
            return *id - 1;
        }
        state.last_id += 1;
        let id = state.last_id;
        state
            .marshaled
            .insert(value.identity(), (id, value.clone()));
        state.pending.push((id - 1, value.clone()));
        id - 1
    }

    /// Encoding 1.0: writes the instances referenced so far (and those they reference),
    /// then the terminating empty size. Generated code calls it after the parameters of an
    /// operation that uses classes; it writes nothing in encoding 1.1.
    pub fn write_pending_values(&mut self) {
        if !self.is_1_0() {
            return;
        }
        loop {
            let batch = std::mem::take(&mut self.class_encoder().pending);
            if batch.is_empty() {
                break;
            }
            self.write_size(batch.len());
            for (index, value) in &batch {
                self.write_i32(*index as i32);
                let guard = value.read();
                self.class_encoder().stack.push(Frame::default());
                guard.ice_write(self);
                // Every 1.0 instance ends with the `::Ice::Object` slice (an empty facet map).
                self.start_slice_1_0(super::value::OBJECT_TYPE_ID);
                self.write_size(0);
                self.end_slice_1_0();
                self.class_encoder().stack.pop();
            }
        }
        self.write_size(0);
    }

    fn start_slice_1_0(&mut self, type_id: &str) {
        let state = self.class_encoder();
        let exception = state.stack.last().map(|f| f.exception).unwrap_or(false);
        if exception {
            self.write_string(type_id);
        } else if let Some(&index) = state.type_ids.get(type_id) {
            self.write_bool(true);
            self.write_size(index);
        } else {
            let index = state.type_ids.len() + 1;
            state.type_ids.insert(type_id.to_owned(), index);
            self.write_bool(false);
            self.write_string(type_id);
        }
        let size_pos = self.len();
        if let Some(frame) = self.class_encoder().stack.last_mut() {
            frame.size_pos = size_pos;
        }
        self.write_i32(0);
    }

    fn end_slice_1_0(&mut self) {
        let size_pos = self
            .class_encoder()
            .stack
            .last()
            .map(|f| f.size_pos)
            .unwrap_or(0);
        self.patch_i32(size_pos, (self.len() - size_pos) as i32);
    }
}
