//! Bidirectional connections: a client sets an object adapter on the connection it opened
//! (`Connection::set_adapter`), and the server calls the client's objects back over that same
//! connection (`Current::con`, `Connection::create_proxy`): no connection from the server to
//! the client is ever opened.

mod dispatch_support;

use dispatch_support::string_param;
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Current, Dispatch, Dispatched, Request, Servant};
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::properties::Properties;
use ice_runtime::proxy::Wait;
use ice_runtime::Error;

/// Server side: `callMe(name)` calls `hello("from the server")` on the client's object `name`
/// over the connection the request came on, and answers what the client answered (or the
/// error, as text).
struct Hub;

impl Servant for Hub {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Hub"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Hub"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        match request.operation() {
            "callMe" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_string(),
                |name, current: &Current| {
                    let con = current.con.clone();
                    let communicator = current.adapter.communicator().cloned();
                    // Pending: the one dispatch thread also reads the client's answer.
                    Dispatch::<String, Error>::pending(async move {
                        let (Some(con), Some(communicator)) = (con, communicator) else {
                            return Ok("no connection".to_owned());
                        };
                        let prx = con.create_proxy(&communicator, Identity::new(&name));
                        let answer = prx
                            .invoke(
                                "hello",
                                OperationMode::Normal,
                                &string_param("from the server"),
                                None,
                            )
                            .await;
                        Ok(match answer {
                            Ok(reply) => reply.input().read_string()?,
                            Err(e) => format!("error: {e}"),
                        })
                    })
                },
                |out, v| out.write_string(&v),
            ),
            _ => request.dispatch_builtin(self),
        }
    }
}

/// Client side: `hello(s)` answers `client got <s>`.
struct Callback;

impl Servant for Callback {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Callback"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Callback"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        match request.operation() {
            "hello" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_string(),
                |s, _: &Current| Dispatch::<String, Error>::ok(format!("client got {s}")),
                |out, v| out.write_string(&v),
            ),
            _ => request.dispatch_builtin(self),
        }
    }
}

#[test]
fn a_server_calls_back_a_client_over_the_connection_the_client_opened() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let hub = server
        .create_object_adapter_with_endpoints("Hub", "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    hub.add(Hub, Identity::new("hub")).unwrap();
    hub.activate().unwrap();
    let hub_text = hub.proxy_string(&Identity::new("hub"));

    // A client with an adapter that listens nowhere: reachable only through its connection.
    let client = Communicator::with_properties(Properties::new()).unwrap();
    let callbacks = client
        .create_object_adapter_with_endpoints("Callbacks", "")
        .unwrap();
    assert!(callbacks.endpoints().is_empty());
    callbacks.add(Callback, Identity::new("cb")).unwrap();
    callbacks.activate().unwrap();
    let prx = client
        .string_to_proxy(&hub_text)
        .unwrap()
        .ice_invocation_timeout(5000);
    let call = |name: &str| -> String {
        let reply = prx
            .invoke("callMe", OperationMode::Normal, &string_param(name), None)
            .wait()
            .unwrap();
        reply.input().read_string().unwrap()
    };

    // Before the adapter is set, the client's connection has no objects.
    assert!(call("cb").contains("does not exist"), "{}", call("cb"));
    let connection = prx.ice_get_connection().wait().unwrap();
    connection.set_adapter(Some(&callbacks));
    assert_eq!(call("cb"), "client got from the server");
    // Objects the adapter does not have are still reported missing.
    assert!(call("nobody").contains("does not exist"));
    // Many callbacks at once over the same connection.
    let calls: Vec<_> = (0..50)
        .map(|_| prx.invoke("callMe", OperationMode::Normal, &string_param("cb"), None))
        .collect();
    for c in calls {
        let reply = c.wait().unwrap();
        assert_eq!(
            reply.input().read_string().unwrap(),
            "client got from the server"
        );
    }
    // Unset again: back to no objects.
    connection.set_adapter(None);
    assert!(call("cb").contains("does not exist"));
    client.destroy();
    server.destroy();
}

#[test]
fn the_server_calls_back_a_python_ice_client_over_its_connection() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let hub = server
        .create_object_adapter_with_endpoints("Hub", "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    hub.add(Hub, Identity::new("hub")).unwrap();
    hub.activate().unwrap();
    // Debian's Python Ice: an adapter with no endpoints set on the connection it opened, and
    // a servant that answers any operation (`Ice.Blobject`).
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts/bidir_client.py");
    let output = dispatch_support::python()
        .arg(script)
        .arg(hub.proxy_string(&Identity::new("hub")))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "python got from the server via hello"
    );
    server.destroy();
}

#[test]
fn a_python_ice_server_calls_back_a_rust_client_over_its_connection() {
    use std::io::BufRead;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts/bidir_server.py");
    let mut child = dispatch_support::python()
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let proxy = line
        .trim()
        .strip_prefix("ready ")
        .unwrap_or_default()
        .to_owned();
    let outcome = std::panic::catch_unwind(|| {
        assert!(
            !proxy.is_empty(),
            "the Python server did not start: {line:?}"
        );
        let client = Communicator::with_properties(Properties::new()).unwrap();
        let callbacks = client
            .create_object_adapter_with_endpoints("Callbacks", "")
            .unwrap();
        callbacks.add(Callback, Identity::new("cb")).unwrap();
        callbacks.activate().unwrap();
        let prx = client
            .string_to_proxy(&proxy)
            .unwrap()
            .ice_invocation_timeout(5000);
        prx.ice_get_connection()
            .wait()
            .unwrap()
            .set_adapter(Some(&callbacks));
        let reply = prx
            .invoke("callMe", OperationMode::Normal, &string_param("cb"), None)
            .wait()
            .unwrap();
        assert_eq!(
            reply.input().read_string().unwrap(),
            "client got from python"
        );
        client.destroy();
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
