//! Generated code against real ZeroC Ice, both ways, from one Slice file with every kind of
//! type (`interop_codegen.ice`): a Rust server answers a Python Ice client, and a Rust
//! client checks a Python Ice server, with equal values.

use ice_compile_tests::interop_codegen::interop_codegen::{
    Color, Echo, EchoPrx, EchoServant, Everything, FailError, IntGrid, Labeled, Node, Point,
};
use ice_compile_tests::interop_codegen::register_classes;
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Current, Dispatch};
use ice_runtime::encoding::Value;
use ice_runtime::identity::Identity;
use ice_runtime::properties::Properties;
use ice_runtime::proxy::Wait;
use ice_runtime::Error;
use ice_tests::{run_python, PythonPeer};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

fn peer_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop_codegen/peer.py")
}

fn communicator(props: &[(&str, &str)]) -> Communicator {
    let properties = Properties::new();
    properties.set("Ice.AcceptClassCycles", "1");
    for (k, v) in props {
        properties.set(k, v);
    }
    Communicator::with_properties(properties).expect("communicator")
}

struct EchoI;

impl Echo for EchoI {
    fn echo_everything(&self, e: Everything, _: &Current) -> Dispatch<Everything, Error> {
        Dispatch::ok(e)
    }
    fn echo_node(
        &self,
        n: Option<Value<Node>>,
        _: &Current,
    ) -> Dispatch<Option<Value<Node>>, Error> {
        Dispatch::ok(n)
    }
    fn echo_optional(
        &self,
        s: Option<String>,
        p: Option<Point>,
        _: &Current,
    ) -> Dispatch<(Option<i32>, Option<String>), Error> {
        Dispatch::ok(match s {
            None => (None, None),
            Some(s) => (
                Some(s.len() as i32 + p.map_or(0, |p| p.x)),
                Some(format!("{s}!")),
            ),
        })
    }
    fn echo_color(&self, c: Color, _: &Current) -> Dispatch<(Color, Color), Error> {
        let next = match c {
            Color::Red => Color::Green,
            Color::Green => Color::Blue,
            Color::Blue => Color::Red,
        };
        Dispatch::ok((c, next))
    }
    fn fail(&self, kind: i32, _: &Current) -> Dispatch<(), FailError> {
        use ice_compile_tests::interop_codegen::interop_codegen::{BaseError, DetailError};
        if kind == 0 {
            Dispatch::err(
                BaseError {
                    reason: "base".into(),
                }
                .into(),
            )
        } else {
            // Async, to show a declared exception from a pending answer.
            Dispatch::pending(async {
                Err(DetailError {
                    reason: "detail".into(),
                    code: 42,
                    detail: Some("more".into()),
                }
                .into())
            })
        }
    }
    fn echo_proxy(&self, p: Option<EchoPrx>, _: &Current) -> Dispatch<Option<EchoPrx>, Error> {
        Dispatch::ok(p)
    }
    fn sum(&self, g: IntGrid, _: &Current) -> Dispatch<i32, Error> {
        Dispatch::ok(g.iter().flatten().sum())
    }
    fn shutdown(&self, _: &Current) -> Dispatch<(), Error> {
        Dispatch::ok(())
    }
}

fn everything() -> Everything {
    Everything {
        b: true,
        by: 200,
        s: -300,
        i: 70000,
        l: -(1 << 40),
        f: 1.5,
        d: -2.25,
        str: "héllo wörld".into(),
        color: Color::Blue,
        p: Point { x: 3, y: -4 },
        grid: vec![vec![1, 2, 3], vec![], vec![4]],
        names: HashMap::from([
            (Point { x: 1, y: 2 }, "a".into()),
            (Point { x: -1, y: 0 }, "b".into()),
        ]),
        grids: HashMap::from([
            ("g".into(), vec![vec![5], vec![6, 7]]),
            ("empty".into(), vec![]),
        ]),
        strings: vec!["x".into(), "".into(), "zz".into()],
        points: vec![Point { x: 0, y: 0 }, Point { x: 9, y: 9 }],
        doubles: vec![0.5, 1e300],
        colors: HashMap::from([(1, Color::Red), (2, Color::Green)]),
    }
}

#[test]
fn python_client_against_rust_server() {
    let communicator = communicator(&[("Echo.Endpoints", "tcp -h 127.0.0.1 -p 0")]);
    let adapter = communicator.create_object_adapter("Echo").expect("adapter");
    adapter
        .add(EchoServant::new(EchoI), Identity::new("echo"))
        .expect("add");
    adapter.activate().expect("activate");
    let port = adapter.endpoints()[0].port;
    let proxy = format!("echo:tcp -h 127.0.0.1 -p {port}");
    let (code, output) = run_python(&peer_script(), &["client", &proxy], Duration::from_secs(60));
    let text = output.text();
    eprintln!("{text}");
    communicator.destroy();
    assert_eq!(code, 0, "the Python client reported failures:\n{text}");
    assert!(text.contains("ALL OK"));
    assert_eq!(text.matches("OK   ").count(), 7, "every check ran:\n{text}");
}

#[test]
fn rust_client_against_python_server() {
    let server = PythonPeer::spawn_server(&peer_script(), &["server"]);
    let communicator = communicator(&[]);
    let base = communicator
        .string_to_proxy(&server.proxy("echo"))
        .expect("proxy");
    let echo = EchoPrx::checked_cast(&base)
        .wait()
        .expect("cast")
        .expect("an Echo");

    let e = everything();
    assert_eq!(echo.echo_everything(&e).wait().unwrap(), e);

    // A cycle through a derived class, and null.
    register_classes();
    let a = Value::new(Node {
        value: 1,
        next: None,
    });
    let b = Value::new(Labeled {
        base: Node {
            value: 2,
            next: Some(a.clone()),
        },
        label: "two".into(),
        weight: Some(7),
        other: Some(a.clone()),
    });
    a.write().next = Some(b.clone().upcast());
    let r = echo
        .echo_node(&Some(a.clone()))
        .wait()
        .unwrap()
        .expect("not null");
    assert_eq!(r.read().value, 1);
    let rb = r.read().next.clone().expect("next");
    let labeled = rb.downcast::<Labeled>().expect("the derived class is kept");
    {
        let l = labeled.read();
        assert_eq!((l.value, l.label.as_str(), l.weight), (2, "two", Some(7)));
        assert!(
            Value::ptr_eq(l.next.as_ref().expect("back"), &r),
            "the cycle is kept"
        );
        assert!(
            Value::ptr_eq(l.other.as_ref().expect("other"), &r),
            "sharing is kept"
        );
    }
    // Break the cycles so the graphs are freed.
    a.write().next = None;
    r.write().next = None;
    assert_eq!(echo.echo_node(&None).wait().unwrap(), None);

    assert_eq!(echo.echo_optional(None, None).wait().unwrap(), (None, None));
    assert_eq!(
        echo.echo_optional(Some("abc"), Some(Point { x: 10, y: 0 }))
            .wait()
            .unwrap(),
        (Some(13), Some("abc!".into()))
    );
    assert_eq!(
        echo.echo_color(Color::Green).wait().unwrap(),
        (Color::Green, Color::Blue)
    );
    match echo.fail(0).wait() {
        Err(FailError::BaseError(e)) => assert_eq!(e.reason, "base"),
        other => panic!("expected BaseError, got {other:?}"),
    }
    match echo.fail(1).wait() {
        Err(FailError::DetailError(e)) => {
            assert_eq!(
                (e.reason.as_str(), e.code, e.detail.as_deref()),
                ("detail", 42, Some("more"))
            )
        }
        other => panic!("expected DetailError, got {other:?}"),
    }
    assert_eq!(
        echo.echo_proxy(&Some(echo.clone()))
            .wait()
            .unwrap()
            .map(|p| p.to_string()),
        Some(echo.to_string())
    );
    assert_eq!(echo.echo_proxy(&None).wait().unwrap(), None);
    assert_eq!(echo.sum(&[vec![1, 2], vec![3], vec![]]).wait().unwrap(), 6);
    echo.shutdown().wait().unwrap();
    communicator.destroy();
}
