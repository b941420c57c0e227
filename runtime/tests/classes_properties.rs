//! The communicator's class properties reach the streams the runtime creates:
//! `Ice.Default.SlicedFormat` for requests and replies, `Ice.ClassGraphDepthMax` for what a
//! server accepts and what a client decodes.

mod classes_support;

use classes_support::{register_vec_classes, Node};
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Dispatch, Dispatched, Request, Servant};
use ice_runtime::encoding::{Value, ValueFactories};
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::properties::Properties;
use ice_runtime::proxy::{ObjectPrx, Reply, Wait};
use ice_runtime::Error;

/// The slice flag saying the slice has a size: set in the sliced format only.
const HAS_SLICE_SIZE: u8 = 0x10;

/// `echo(Node) -> (Node, u8 flags of the request's first slice)`.
struct Echo;

impl Servant for Echo {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Echo"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Echo"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        match request.operation() {
            "echo" => {
                // The parameters start with 1 (an instance follows) and its slice flags.
                let flags = request.params().get(1).copied().unwrap_or(0);
                request.dispatch(
                    OperationMode::Normal,
                    |i| i.read_value::<Node>(),
                    |node, _| Dispatch::<_, Error>::ok((node, flags)),
                    |out, (node, flags)| {
                        out.write_value(node.as_ref());
                        out.write_u8(flags);
                    },
                )
            }
            _ => request.dispatch_builtin(self),
        }
    }
}

fn chain(n: usize) -> Value<Node> {
    let mut head = None;
    for value in (0..n as i32).rev() {
        head = Some(Value::new(Node { value, next: head }));
    }
    head.expect("n > 0")
}

fn communicator(settings: &[(&str, &str)]) -> Communicator {
    let props = Properties::new();
    for (k, v) in settings {
        props.set(k, v);
    }
    Communicator::with_properties(props).unwrap()
}

fn echo(prx: &ObjectPrx, n: usize) -> Result<Reply, Error> {
    let mut request = prx.start_request("echo", OperationMode::Normal, None);
    request.params().write_value(Some(&chain(n)));
    request.invoke().wait()
}

#[test]
fn class_properties_apply_to_requests_and_replies() {
    register_vec_classes(ValueFactories::global());
    let server = communicator(&[
        ("A.Endpoints", "tcp -h 127.0.0.1 -p 0"),
        ("Ice.ClassGraphDepthMax", "5"),
        ("Ice.Default.SlicedFormat", "1"),
    ]);
    let adapter = server.create_object_adapter("A").unwrap();
    adapter.add(Echo, Identity::new("echo")).unwrap();
    adapter.activate().unwrap();
    let text = adapter.proxy_string(&Identity::new("echo"));

    // Compact request, sliced reply; the server accepts a graph of depth 5, not 6.
    let compact = communicator(&[]);
    let prx = compact.string_to_proxy(&text).unwrap();
    let reply = echo(&prx, 5).unwrap();
    assert!(reply.is_ok());
    assert_ne!(reply.payload()[1] & HAS_SLICE_SIZE, 0, "sliced reply");
    let mut input = reply.input();
    assert!(input.read_value::<Node>().unwrap().is_some());
    assert_eq!(
        input.read_u8().unwrap() & HAS_SLICE_SIZE,
        0,
        "compact request"
    );
    match echo(&prx, 6) {
        Err(Error::UnknownLocalException(text)) => {
            assert!(text.contains("Ice.ClassGraphDepthMax"), "{text}")
        }
        other => panic!("a graph deeper than the limit was accepted: {other:?}"),
    }

    // A client with the sliced default and a lower limit of its own.
    let sliced = communicator(&[
        ("Ice.Default.SlicedFormat", "1"),
        ("Ice.ClassGraphDepthMax", "3"),
    ]);
    let prx = sliced.string_to_proxy(&text).unwrap();
    let reply = echo(&prx, 4).unwrap();
    let err = reply.input().read_value::<Node>().unwrap_err();
    assert!(err.message.contains("Ice.ClassGraphDepthMax"), "{err}");
    let reply = echo(&prx, 3).unwrap();
    let mut input = reply.input();
    assert!(input.read_value::<Node>().unwrap().is_some());
    assert_ne!(
        input.read_u8().unwrap() & HAS_SLICE_SIZE,
        0,
        "sliced request"
    );

    for c in [compact, sliced, server] {
        c.destroy();
    }
}
