//! Tests of the resolved model the checker builds: resolved types, enumerator values, tags,
//! compact ids, bases, merged modules and the helper queries generators use.

use slice_parser::model::{Builtin, ConstValue, Definition, Model, Type};
use slice_parser::{compile_source, Options};

fn model(src: &str) -> Model {
    let comp = compile_source("m.ice", src, &Options::default());
    let errors: Vec<String> = comp.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert!(!comp.has_errors(), "unexpected errors: {errors:?}");
    comp.model.expect("a model when there is no error")
}

fn find(m: &Model, scoped: &str) -> Definition {
    m.find(scoped)
        .unwrap_or_else(|| panic!("{scoped} not found in the model"))
}

#[test]
fn enumerator_values_and_constants() {
    let m = model(
        "module M {
            enum Level { low, mid = 5, high, top = 2 };
            const Level Default = Level::high;
            const long Big = 0x10;
            const double D = 3;
            const string S = \"a\\u00e9\";
            const short Narrow = Big;
        };",
    );
    let Definition::Enum(e) = find(&m, "::M::Level") else {
        panic!("not an enum")
    };
    let values: Vec<(String, i32, bool)> = m.enums[e]
        .enumerators
        .iter()
        .map(|x| (x.info.name.clone(), x.value, x.explicit))
        .collect();
    assert_eq!(
        values,
        vec![
            ("low".to_string(), 0, false),
            ("mid".to_string(), 5, true),
            ("high".to_string(), 6, false),
            ("top".to_string(), 2, true),
        ]
    );
    assert_eq!(m.enums[e].enumerators[2].info.scoped, "::M::Level::high");
    let Definition::Const(c) = find(&m, "::M::Default") else {
        panic!()
    };
    assert_eq!(m.consts[c].ty, Type::Enum(e));
    assert_eq!(m.consts[c].value, ConstValue::Enumerator(e, 2));
    let Definition::Const(big) = find(&m, "::M::Big") else {
        panic!()
    };
    assert_eq!(m.consts[big].value, ConstValue::Int(16));
    assert_eq!(m.consts[big].literal, "0x10");
    let Definition::Const(d) = find(&m, "::M::D") else {
        panic!()
    };
    assert_eq!(m.consts[d].value, ConstValue::Float(3.0));
    let Definition::Const(s) = find(&m, "::M::S") else {
        panic!()
    };
    assert_eq!(m.consts[s].value.as_str(), Some("aé"));
    let Definition::Const(n) = find(&m, "::M::Narrow") else {
        panic!()
    };
    assert_eq!(m.consts[n].value, ConstValue::Int(16));
}

#[test]
fn classes_bases_tags_and_compact_ids() {
    let m = model(
        "module M {
            class Node;
            sequence<Node> Nodes;
            interface Api { void ping(); };
            class Base(3) { int a; optional(2) string s; };
            class Node extends Base { Nodes children; Node* self; Api* api; };
        };",
    );
    let Definition::Class(base) = find(&m, "::M::Base") else {
        panic!()
    };
    let Definition::Class(node) = find(&m, "::M::Node") else {
        panic!()
    };
    let Definition::Sequence(nodes) = find(&m, "::M::Nodes") else {
        panic!()
    };
    let Definition::Interface(api) = find(&m, "::M::Api") else {
        panic!()
    };
    assert_eq!(m.classes[base].compact_id, Some(3));
    assert_eq!(m.compact_ids.get(&3), Some(&base));
    assert_eq!(m.classes[node].base, Some(base));
    assert!(m.classes[node].defined);
    assert_eq!(m.sequences[nodes].element, Type::Class(node));
    assert_eq!(m.classes[base].members[1].tag, Some(2));
    let members: Vec<&str> = m
        .all_class_members(node)
        .iter()
        .map(|d| d.info.name.as_str())
        .collect();
    assert_eq!(members, ["a", "s", "children", "self", "api"]);
    assert_eq!(m.classes[node].members[1].ty, Type::ClassProxy(node));
    assert_eq!(m.classes[node].members[2].ty, Type::Proxy(api));
    assert_eq!(m.type_id(Type::Proxy(api)), "::M::Api*");
}

#[test]
fn interfaces_operations_and_exceptions() {
    let m = model(
        "module M {
            exception Base { string reason; };
            exception Derived extends Base { int code; };
            interface A { idempotent int get(); };
            interface B extends A { void put(int v); };
            interface C extends A { ['amd'] void run(); };
            [\"amd\"] interface D extends B, C {
                optional(1) string op(int a, optional(2) int b, out long c) throws Derived, Base;
            };
        };"
        .replace('\'', "\"")
        .as_str(),
    );
    let Definition::Interface(d) = find(&m, "::M::D") else {
        panic!()
    };
    let Definition::Interface(a) = find(&m, "::M::A") else {
        panic!()
    };
    let Definition::Exception(der) = find(&m, "::M::Derived") else {
        panic!()
    };
    let Definition::Exception(base) = find(&m, "::M::Base") else {
        panic!()
    };
    assert_eq!(m.exceptions[der].base, Some(base));
    let names: Vec<&str> = m
        .all_exception_members(der)
        .iter()
        .map(|x| x.info.name.as_str())
        .collect();
    assert_eq!(names, ["reason", "code"]);
    let bases: Vec<&str> = m
        .all_interface_bases(d)
        .into_iter()
        .map(|b| m.interfaces[b].info.scoped.as_str())
        .collect();
    assert_eq!(bases, ["::M::A", "::M::B", "::M::C"]);
    assert_eq!(
        m.interface_type_ids(d),
        ["::Ice::Object", "::M::A", "::M::B", "::M::C", "::M::D"]
    );
    let ops: Vec<&str> = m
        .all_interface_operations(d)
        .into_iter()
        .map(|(_, o)| o.info.name.as_str())
        .collect();
    assert_eq!(ops, ["get", "put", "run", "op"]);
    let op = &m.interfaces[d].operations[0];
    assert_eq!(op.return_type, Some(Type::Builtin(Builtin::String)));
    assert_eq!(op.return_tag, Some(1));
    assert_eq!(op.params.len(), 3);
    assert_eq!(op.params[1].tag, Some(2));
    assert!(op.params[2].out);
    assert_eq!(op.throws, vec![der, base]);
    assert!(op.is_amd(&m.interfaces[d].info));
    assert!(m.interfaces[a].operations[0].idempotent);
}

#[test]
fn reopened_modules_are_merged() {
    let m = model(
        "module A { struct S { int x; }; };
         module B { sequence<A::S> Ss; };
         module A { module Inner { const int K = 1; }; dictionary<string, B::Ss> D; };",
    );
    assert_eq!(m.top_level.len(), 2);
    let a = m.top_level[0];
    assert_eq!(m.modules[a].info.scoped, "::A");
    let kinds: Vec<String> = m.modules[a]
        .contents
        .iter()
        .map(|d| m.info(*d).scoped.clone())
        .collect();
    assert_eq!(kinds, ["::A::S", "::A::Inner", "::A::D"]);
    assert!(m.modules[a].info.from_main);
}

#[test]
fn fixed_size_and_wire_sizes() {
    let m = model(
        "module M {
            struct P { int x; double y; bool b; };
            struct Q { P p; string s; };
            enum E { a };
        };",
    );
    let Definition::Struct(p) = find(&m, "::M::P") else {
        panic!()
    };
    let Definition::Struct(q) = find(&m, "::M::Q") else {
        panic!()
    };
    assert!(m.is_fixed_size(Type::Struct(p)));
    assert!(!m.is_fixed_size(Type::Struct(q)));
    assert_eq!(m.min_wire_size(Type::Struct(p)), 13);
    assert_eq!(m.min_wire_size(Type::Struct(q)), 14);
    assert_eq!(
        m.type_id(Type::Builtin(Builtin::ObjectProxy)),
        "::Ice::Object*"
    );
}

#[test]
fn defaults_doc_and_metadata() {
    let m = model(
        "module M {
            enum Color { red, green };
            /** A pixel. */
            [\"cpp:type\"] struct Pixel {
                Color c = green;
                float f = 1;
                /** Alpha. */
                byte a = 255;
            };
        };",
    );
    let Definition::Struct(p) = find(&m, "::M::Pixel") else {
        panic!()
    };
    let Definition::Enum(color) = find(&m, "::M::Color") else {
        panic!()
    };
    let s = &m.structs[p];
    assert_eq!(s.info.metadata, ["cpp:type"]);
    assert!(s
        .info
        .doc
        .as_ref()
        .is_some_and(|d| d.overview.contains("A pixel.")));
    assert_eq!(s.members[0].default, Some(ConstValue::Enumerator(color, 1)));
    assert_eq!(s.members[1].default, Some(ConstValue::Float(1.0)));
    assert_eq!(s.members[2].default, Some(ConstValue::Int(255)));
    assert!(s.members[2]
        .info
        .doc
        .as_ref()
        .is_some_and(|d| d.overview.contains("Alpha.")));
    assert!(s.members[0].info.doc.is_none());
}

#[test]
fn optional_formats() {
    use slice_parser::model::OptionalFormat as F;
    let m = model(
        "module M {
            struct P { int x; };
            struct V { string s; };
            sequence<int> Ints;
            sequence<string> Strs;
            dictionary<int, P> Fixed;
            dictionary<int, string> Var;
            enum E { a };
            class C {};
            interface I {};
        };",
    );
    let ty = |name: &str| match find(&m, name) {
        Definition::Struct(x) => Type::Struct(x),
        Definition::Sequence(x) => Type::Sequence(x),
        Definition::Dictionary(x) => Type::Dictionary(x),
        Definition::Enum(x) => Type::Enum(x),
        Definition::Class(x) => Type::Class(x),
        Definition::Interface(x) => Type::Proxy(x),
        other => panic!("{other:?}"),
    };
    assert_eq!(m.optional_format(Type::Builtin(Builtin::Bool)), F::F1);
    assert_eq!(m.optional_format(Type::Builtin(Builtin::Short)), F::F2);
    assert_eq!(m.optional_format(Type::Builtin(Builtin::Float)), F::F4);
    assert_eq!(m.optional_format(Type::Builtin(Builtin::Long)), F::F8);
    assert_eq!(m.optional_format(Type::Builtin(Builtin::String)), F::VSize);
    assert_eq!(m.optional_format(ty("::M::P")), F::VSize);
    assert_eq!(m.optional_format(ty("::M::V")), F::FSize);
    assert_eq!(m.optional_format(ty("::M::Ints")), F::VSize);
    assert_eq!(m.optional_format(ty("::M::Strs")), F::FSize);
    assert_eq!(m.optional_format(ty("::M::Fixed")), F::VSize);
    assert_eq!(m.optional_format(ty("::M::Var")), F::FSize);
    assert_eq!(m.optional_format(ty("::M::E")), F::Size);
    assert_eq!(m.optional_format(ty("::M::C")), F::Class);
    assert_eq!(m.optional_format(ty("::M::I")), F::FSize);
}

#[test]
fn metadata_warnings_for_one_prefix() {
    let m = model(
        "[[\"rust:bogus\"]] [[\"cpp:header-ext:h\"]]
        module M {
            [\"rust:zzz\", \"python:zzz\"] struct S { [\"rust:known\"] int x; };
            sequence<[\"rust:elem\"] int> Ints;
        };",
    );
    let known = |d: &str| d == "rust:known";
    let msgs: Vec<String> = m
        .metadata_warnings("rust:", &known)
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(
        msgs,
        [
            "ignoring invalid file metadata `rust:bogus'",
            "ignoring invalid metadata `rust:zzz'",
            "ignoring invalid metadata `rust:elem'",
        ]
    );
    let quiet = model("[[\"suppress-warning:invalid-metadata\"]]\nmodule M { [\"rust:zzz\"] struct S { int x; }; };");
    assert!(quiet.metadata_warnings("rust:", &known).is_empty());
}

#[test]
fn ice_locator_model() {
    let opts = Options {
        include_dirs: vec!["/usr/share/ice/slice".into()],
        ..Options::default()
    };
    let comp = slice_parser::compile_file(
        std::path::Path::new("/usr/share/ice/slice/Ice/Locator.ice"),
        &opts,
    );
    assert!(comp.diagnostics.is_empty(), "{:?}", comp.diagnostics);
    let m = comp.model.expect("model");
    let Definition::Interface(loc) = find(&m, "::Ice::Locator") else {
        panic!()
    };
    let Definition::Struct(identity) = find(&m, "::Ice::Identity") else {
        panic!()
    };
    let Definition::Interface(reg) = find(&m, "::Ice::LocatorRegistry") else {
        panic!()
    };
    assert!(m.interfaces[loc].info.from_main);
    assert!(!m.structs[identity].info.from_main);
    let names: Vec<&str> = m.interfaces[loc]
        .operations
        .iter()
        .map(|o| o.info.name.as_str())
        .collect();
    assert_eq!(names, ["findObjectById", "findAdapterById", "getRegistry"]);
    let find_obj = &m.interfaces[loc].operations[0];
    assert!(find_obj.idempotent);
    assert!(find_obj.info.has_metadata("amd"));
    assert_eq!(find_obj.params[0].ty, Type::Struct(identity));
    assert_eq!(
        find_obj.return_type,
        Some(Type::Builtin(Builtin::ObjectProxy))
    );
    assert_eq!(find_obj.throws.len(), 1);
    assert_eq!(
        m.interfaces[loc].operations[2].return_type,
        Some(Type::Proxy(reg))
    );
    assert!(find_obj.info.doc.is_some());
    // Ice/Locator.ice is in package Ice with file metadata.
    assert!(m
        .file_metadata(comp.main_file.expect("main"))
        .iter()
        .any(|d| d == "ice-prefix"));
}

#[test]
fn send_modes_and_tag_order() {
    use slice_parser::model::{sorted_by_tag, OperationMode};
    let m = model(
        "module M { interface I {
            void a();
            idempotent void b();
            [\"nonmutating\"] idempotent void c();
            void d(int x, optional(5) int y, optional(2) string z, long w);
        }; };",
    );
    let Definition::Interface(i) = find(&m, "::M::I") else {
        panic!()
    };
    let ops = &m.interfaces[i].operations;
    let modes: Vec<u8> = ops.iter().map(|o| o.send_mode().wire_value()).collect();
    assert_eq!(modes, [0, 2, 1, 0]);
    assert_eq!(ops[2].send_mode(), OperationMode::Nonmutating);
    let optional: Vec<&str> = sorted_by_tag(&ops[3].params, |p| p.tag)
        .iter()
        .map(|p| p.info.name.as_str())
        .collect();
    assert_eq!(optional, ["z", "y"]);
}

/// The lines of metadata warnings are the ones slice2py uses for its own prefix.
#[test]
fn metadata_warning_lines_match_slice2py() {
    let src = "[[\"python:bogus\"]]\nmodule M\n{\n    [\"python:zzz\"] struct S\n    {\n        [\"python:yyy\"] int x;\n    };\n    [\"python:op\"] interface I\n    {\n        void op(\n        [\"python:p\"] int p);\n    };\n};\n";
    let dir = std::env::temp_dir().join(format!("slice-model-md-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("f.ice");
    std::fs::write(&path, src).expect("write");
    let out = std::process::Command::new("slice2py")
        .current_dir(&dir)
        .arg("--output-dir")
        .arg(&dir)
        .arg("f.ice")
        .output()
        .expect("slice2py must be installed");
    let prefix = format!("{}/", dir.display());
    let want: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| l.replace(&prefix, ""))
        .collect();
    let comp = slice_parser::compile_file(&path, &Options::default());
    let m = comp.model.expect("model");
    let got: Vec<String> = m
        .metadata_warnings("python:", &|_| false)
        .iter()
        .map(|d| match d.span() {
            Some(s) => format!(
                "f.ice:{}: warning: {}",
                comp.sources.line_col(s).0,
                d.message
            ),
            None => format!("f.ice: warning: {}", d.message),
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(got, want);
}
