//! Building the [`Model`] from the checked symbol table: modules merged, ids allocated for
//! every type first (so forward references resolve), then every definition filled in.

use std::collections::HashMap;

use super::symbols::{EntId, Kind, Ty, Val, UNIT};
use super::Checker;
use crate::model::{
    Class, ClassId, Const, ConstValue, DataMember, Definition, Dictionary, Enum, EnumId,
    Enumerator, Exception, FileInfo, Info, Interface, InterfaceId, Model, Module, ModuleId,
    Operation, Parameter, Sequence, Struct, Type,
};

/// Where an entity landed in the model.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Module,
    Class(ClassId),
    Interface(InterfaceId),
    Def(Definition),
}

struct Lowering {
    model: Model,
    slots: HashMap<EntId, Slot>,
    modules_by_name: HashMap<String, ModuleId>,
    classes_by_name: HashMap<String, ClassId>,
    interfaces_by_name: HashMap<String, InterfaceId>,
}

impl Checker<'_> {
    fn info(&self, id: EntId) -> Info {
        let e = &self.ents[id];
        Info {
            name: e.name.clone(),
            scoped: e.scoped.clone(),
            doc: e.doc.clone(),
            metadata: e.metadata.clone(),
            span: e.span,
            created_at: e.created,
            from_main: e.span.file == self.main,
        }
    }

    /// Builds the model (only called when no error was reported).
    pub(crate) fn lower(&self) -> Model {
        let mut l = Lowering {
            model: Model {
                main_file: Some(self.main),
                ..Model::default()
            },
            slots: HashMap::new(),
            modules_by_name: HashMap::new(),
            classes_by_name: HashMap::new(),
            interfaces_by_name: HashMap::new(),
        };
        for (file, ctx) in &self.files {
            l.model.files.insert(
                *file,
                FileInfo {
                    metadata: ctx.metadata.clone(),
                },
            );
        }
        self.allocate(&mut l, UNIT, None);
        for id in 0..self.ents.len() {
            self.fill(&mut l, id);
        }
        l.model
    }

    /// Pass 1: allocates an entry for every definition, merges modules and records module
    /// contents in source order.
    fn allocate(&self, l: &mut Lowering, cont: EntId, parent: Option<ModuleId>) {
        let contents = self.ents[cont].contents.clone();
        for id in contents {
            let e = &self.ents[id];
            let info = self.info(id);
            let push = |l: &mut Lowering, d: Definition| {
                if let Some(p) = parent {
                    if let Some(m) = l.model.modules.get_mut(p) {
                        m.contents.push(d);
                    }
                }
            };
            match &e.kind {
                Kind::Module => {
                    let mid = match l.modules_by_name.get(&e.scoped) {
                        Some(&m) => {
                            let module = &mut l.model.modules.get_mut(m);
                            if let Some(module) = module {
                                let longer = match (&module.info.doc, &info.doc) {
                                    (None, Some(_)) => true,
                                    (Some(a), Some(b)) => b.raw.len() > a.raw.len(),
                                    _ => false,
                                };
                                if longer {
                                    module.info.doc.clone_from(&info.doc);
                                }
                                module.any_from_main |= info.from_main;
                            }
                            m
                        }
                        None => {
                            let any_from_main = info.from_main;
                            let m = l.model.modules.alloc(Module {
                                info,
                                parent,
                                contents: Vec::new(),
                                any_from_main,
                            });
                            l.modules_by_name.insert(e.scoped.clone(), m);
                            match parent {
                                Some(_) => push(l, Definition::Module(m)),
                                None => l.model.top_level.push(m),
                            }
                            m
                        }
                    };
                    l.slots.insert(id, Slot::Module);
                    self.allocate(l, id, Some(mid));
                }
                Kind::ClassDecl { intf, .. } | Kind::ClassDef { intf, .. } => {
                    let defined = e.is_class_def();
                    if *intf {
                        let iid =
                            *l.interfaces_by_name
                                .entry(e.scoped.clone())
                                .or_insert_with(|| {
                                    l.model.interfaces.alloc(Interface {
                                        info: info.clone(),
                                        local: e.local,
                                        defined: false,
                                        bases: Vec::new(),
                                        operations: Vec::new(),
                                    })
                                });
                        l.slots.insert(id, Slot::Interface(iid));
                        if defined {
                            if let Some(i) = l.model.interfaces.get_mut(iid) {
                                i.defined = true;
                                i.info = info;
                            }
                            push(l, Definition::Interface(iid));
                        }
                    } else {
                        let cid = *l
                            .classes_by_name
                            .entry(e.scoped.clone())
                            .or_insert_with(|| {
                                l.model.classes.alloc(Class {
                                    info: info.clone(),
                                    local: e.local,
                                    defined: false,
                                    compact_id: None,
                                    base: None,
                                    implements: Vec::new(),
                                    members: Vec::new(),
                                    operations: Vec::new(),
                                })
                            });
                        l.slots.insert(id, Slot::Class(cid));
                        if defined {
                            if let Some(c) = l.model.classes.get_mut(cid) {
                                c.defined = true;
                                c.info = info;
                            }
                            push(l, Definition::Class(cid));
                        }
                    }
                }
                Kind::Exception { .. } => {
                    let x = l.model.exceptions.alloc(Exception {
                        info,
                        local: e.local,
                        base: None,
                        members: Vec::new(),
                    });
                    l.slots.insert(id, Slot::Def(Definition::Exception(x)));
                    push(l, Definition::Exception(x));
                }
                Kind::Struct => {
                    let x = l.model.structs.alloc(Struct {
                        info,
                        local: e.local,
                        members: Vec::new(),
                    });
                    l.slots.insert(id, Slot::Def(Definition::Struct(x)));
                    push(l, Definition::Struct(x));
                }
                Kind::Enum { .. } => {
                    let x = l.model.enums.alloc(Enum {
                        info,
                        local: e.local,
                        enumerators: Vec::new(),
                    });
                    l.slots.insert(id, Slot::Def(Definition::Enum(x)));
                    push(l, Definition::Enum(x));
                }
                Kind::Sequence { .. } => {
                    let x = l.model.sequences.alloc(Sequence {
                        info,
                        local: e.local,
                        element: Type::Builtin(crate::ast::Builtin::Byte),
                        element_metadata: Vec::new(),
                    });
                    l.slots.insert(id, Slot::Def(Definition::Sequence(x)));
                    push(l, Definition::Sequence(x));
                }
                Kind::Dictionary { .. } => {
                    let x = l.model.dictionaries.alloc(Dictionary {
                        info,
                        local: e.local,
                        key: Type::Builtin(crate::ast::Builtin::Byte),
                        key_metadata: Vec::new(),
                        value: Type::Builtin(crate::ast::Builtin::Byte),
                        value_metadata: Vec::new(),
                    });
                    l.slots.insert(id, Slot::Def(Definition::Dictionary(x)));
                    push(l, Definition::Dictionary(x));
                }
                Kind::Const { .. } => {
                    let x = l.model.consts.alloc(Const {
                        info,
                        ty: Type::Builtin(crate::ast::Builtin::Int),
                        type_metadata: Vec::new(),
                        value: ConstValue::Int(0),
                        literal: String::new(),
                    });
                    l.slots.insert(id, Slot::Def(Definition::Const(x)));
                    push(l, Definition::Const(x));
                }
                _ => {}
            }
        }
    }

    fn ty(&self, l: &Lowering, ty: Ty) -> Type {
        let fallback = Type::Builtin(crate::ast::Builtin::Object);
        match ty {
            Ty::Builtin(b) => Type::Builtin(b),
            Ty::Decl(d) | Ty::Proxy(d) => {
                let proxy = matches!(ty, Ty::Proxy(_));
                match l.slots.get(&d) {
                    Some(Slot::Interface(i)) if proxy => Type::Proxy(*i),
                    Some(Slot::Interface(i)) => Type::Interface(*i),
                    Some(Slot::Class(c)) if proxy => Type::ClassProxy(*c),
                    Some(Slot::Class(c)) => Type::Class(*c),
                    _ => fallback,
                }
            }
            Ty::Named(e) => match l.slots.get(&e) {
                Some(Slot::Def(Definition::Struct(s))) => Type::Struct(*s),
                Some(Slot::Def(Definition::Enum(s))) => Type::Enum(*s),
                Some(Slot::Def(Definition::Sequence(s))) => Type::Sequence(*s),
                Some(Slot::Def(Definition::Dictionary(s))) => Type::Dictionary(*s),
                _ => fallback,
            },
        }
    }

    fn enumerator_ref(&self, l: &Lowering, en: EntId) -> Option<(EnumId, usize)> {
        let parent = self.ents[en].parent;
        let Some(Slot::Def(Definition::Enum(eid))) = l.slots.get(&parent) else {
            return None;
        };
        let idx = self.ents[parent]
            .contents
            .iter()
            .filter(|&&c| matches!(self.ents[c].kind, Kind::Enumerator { .. }))
            .position(|&c| c == en)?;
        Some((*eid, idx))
    }

    fn value(&self, l: &Lowering, v: &Val) -> ConstValue {
        match v {
            Val::Bool(b) => ConstValue::Bool(*b),
            Val::Int(i) => ConstValue::Int(*i),
            Val::Float(f) => ConstValue::Float(*f),
            Val::Str(s) => ConstValue::String(s.clone()),
            Val::Enumerator(e) => match self.enumerator_ref(l, *e) {
                Some((eid, idx)) => ConstValue::Enumerator(eid, idx),
                None => ConstValue::Int(0),
            },
        }
    }

    fn members(&self, l: &Lowering, cont: EntId) -> Vec<DataMember> {
        self.data_members(cont)
            .into_iter()
            .filter_map(|m| match &self.ents[m].kind {
                Kind::DataMember(md) => Some(DataMember {
                    info: self.info(m),
                    ty: self.ty(l, md.ty),
                    tag: md.tag,
                    default: md.default.as_ref().map(|(v, _)| self.value(l, v)),
                    default_literal: md.default.as_ref().map(|(_, s)| s.clone()),
                }),
                _ => None,
            })
            .collect()
    }

    fn operations(&self, l: &Lowering, cont: EntId) -> Vec<Operation> {
        self.ents[cont]
            .contents
            .iter()
            .filter_map(|&o| match &self.ents[o].kind {
                Kind::Operation {
                    ret,
                    ret_tag,
                    idempotent,
                    throws,
                } => Some(Operation {
                    info: self.info(o),
                    idempotent: *idempotent,
                    return_type: ret.map(|t| self.ty(l, t)),
                    return_tag: *ret_tag,
                    params: self.ents[o]
                        .contents
                        .iter()
                        .filter_map(|&p| match &self.ents[p].kind {
                            Kind::Param { ty, out, tag } => Some(Parameter {
                                info: self.info(p),
                                out: *out,
                                ty: self.ty(l, *ty),
                                tag: *tag,
                            }),
                            _ => None,
                        })
                        .collect(),
                    throws: throws
                        .iter()
                        .filter_map(|t| match l.slots.get(t) {
                            Some(Slot::Def(Definition::Exception(x))) => Some(*x),
                            _ => None,
                        })
                        .collect(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Pass 2: fills in one definition.
    fn fill(&self, l: &mut Lowering, id: EntId) {
        let Some(slot) = l.slots.get(&id).copied() else {
            return;
        };
        let e = &self.ents[id];
        match (&e.kind, slot) {
            (
                Kind::ClassDef {
                    bases, compact_id, ..
                },
                Slot::Class(cid),
            ) => {
                let mut base = None;
                let mut implements = Vec::new();
                for b in bases {
                    match l.slots.get(b) {
                        Some(Slot::Class(c)) => base = Some(*c),
                        Some(Slot::Interface(i)) => implements.push(*i),
                        _ => {}
                    }
                }
                let members = self.members(l, id);
                let operations = self.operations(l, id);
                if let Some(c) = l.model.classes.get_mut(cid) {
                    c.base = base;
                    c.implements = implements;
                    c.compact_id = *compact_id;
                    c.members = members;
                    c.operations = operations;
                }
                if let Some(cid_value) = compact_id {
                    l.model.compact_ids.insert(*cid_value, cid);
                }
            }
            (Kind::ClassDef { bases, .. }, Slot::Interface(iid)) => {
                let mut list = Vec::new();
                for b in bases {
                    if let Some(Slot::Interface(i)) = l.slots.get(b) {
                        if !list.contains(i) {
                            list.push(*i);
                        }
                    }
                }
                let operations = self.operations(l, id);
                if let Some(i) = l.model.interfaces.get_mut(iid) {
                    i.bases = list;
                    i.operations = operations;
                }
            }
            (Kind::Exception { base }, Slot::Def(Definition::Exception(x))) => {
                let base = base.and_then(|b| match l.slots.get(&b) {
                    Some(Slot::Def(Definition::Exception(bx))) => Some(*bx),
                    _ => None,
                });
                let members = self.members(l, id);
                if let Some(ex) = l.model.exceptions.get_mut(x) {
                    ex.base = base;
                    ex.members = members;
                }
            }
            (Kind::Struct, Slot::Def(Definition::Struct(x))) => {
                let members = self.members(l, id);
                if let Some(s) = l.model.structs.get_mut(x) {
                    s.members = members;
                }
            }
            (Kind::Enum { .. }, Slot::Def(Definition::Enum(x))) => {
                let enumerators = e
                    .contents
                    .iter()
                    .filter_map(|&c| match self.ents[c].kind {
                        Kind::Enumerator { value, explicit } => Some(Enumerator {
                            info: self.info(c),
                            value: i32::try_from(value).unwrap_or(i32::MAX),
                            explicit,
                        }),
                        _ => None,
                    })
                    .collect();
                if let Some(en) = l.model.enums.get_mut(x) {
                    en.enumerators = enumerators;
                }
            }
            (Kind::Sequence { elem, elem_meta }, Slot::Def(Definition::Sequence(x))) => {
                let element = self.ty(l, *elem);
                if let Some(s) = l.model.sequences.get_mut(x) {
                    s.element = element;
                    s.element_metadata.clone_from(elem_meta);
                }
            }
            (
                Kind::Dictionary {
                    key,
                    key_meta,
                    value,
                    value_meta,
                },
                Slot::Def(Definition::Dictionary(x)),
            ) => {
                let (k, v) = (self.ty(l, *key), self.ty(l, *value));
                if let Some(d) = l.model.dictionaries.get_mut(x) {
                    d.key = k;
                    d.value = v;
                    d.key_metadata.clone_from(key_meta);
                    d.value_metadata.clone_from(value_meta);
                }
            }
            (
                Kind::Const {
                    ty,
                    ty_meta,
                    value,
                    literal,
                },
                Slot::Def(Definition::Const(x)),
            ) => {
                let (t, v) = (self.ty(l, *ty), self.value(l, value));
                if let Some(c) = l.model.consts.get_mut(x) {
                    c.ty = t;
                    c.value = v;
                    c.type_metadata.clone_from(ty_meta);
                    c.literal.clone_from(literal);
                }
            }
            _ => {}
        }
    }
}
