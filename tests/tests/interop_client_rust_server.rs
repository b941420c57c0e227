//! The Rust client against the Rust server (this runtime's object adapters): a servant that
//! answers synchronously, one that chains an asynchronous call to another object, one that
//! makes a blocking call from its dispatch thread, and many concurrent compressed calls.

use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Dispatch, Dispatched, Request, Servant};
use ice_runtime::encoding::{InputStream, OutputStream};
use ice_runtime::proxy::{ObjectPrx, Wait};
use ice_runtime::{Error, Identity, OperationMode};
use ice_tests::string_param;

/// `echo(string) -> string`; `relay(string)` asks `next` for `echo` asynchronously;
/// `relayBlocking(string)` does the same with a blocking wait on its dispatch thread.
struct Echo {
    next: Option<ObjectPrx>,
}

fn echo_of(
    prx: &ObjectPrx,
    s: &str,
) -> impl std::future::Future<Output = Result<String, Error>> + Send + 'static {
    let call = prx.invoke("echo", OperationMode::Normal, &string_param(s), None);
    async move {
        let reply = call.await?;
        Ok(InputStream::new(&reply.into_ok_payload()?).read_string()?)
    }
}

impl Servant for Echo {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Echo"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Echo"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        let encode = |out: &mut OutputStream, s: String| out.write_string(&s);
        match request.operation() {
            "echo" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_string(),
                |s, _| Dispatch::<String, Error>::ok(s),
                encode,
            ),
            "relay" => {
                let next = self.next.clone();
                request.dispatch(
                    OperationMode::Normal,
                    |i| i.read_string(),
                    move |s, _| match next {
                        Some(n) => Dispatch::pending(echo_of(&n, &format!("relayed {s}"))),
                        None => Dispatch::ok(s),
                    },
                    encode,
                )
            }
            "relayBlocking" => {
                let next = self.next.clone();
                request.dispatch(
                    OperationMode::Normal,
                    |i| i.read_string(),
                    move |s, _| match next {
                        Some(n) => Dispatch::from(echo_of(&n, &format!("blocking {s}")).wait()),
                        None => Dispatch::ok(s),
                    },
                    encode,
                )
            }
            _ => request.dispatch_builtin(self),
        }
    }
}

fn call_string(prx: &ObjectPrx, op: &str, s: &str) -> Result<String, Error> {
    let reply = prx
        .invoke(op, OperationMode::Normal, &string_param(s), None)
        .wait()?;
    Ok(InputStream::new(&reply.into_ok_payload()?).read_string()?)
}

#[test]
fn rust_client_and_rust_servers_with_chained_and_blocking_calls() {
    let (server, _) = Communicator::initialize(Vec::<String>::new()).unwrap();
    let back = server
        .create_object_adapter_with_endpoints("Back", "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    back.add(Echo { next: None }, Identity::new("back"))
        .unwrap();
    back.activate().unwrap();
    let back_prx = server
        .string_to_proxy(&format!("back:{}", back.endpoints()[0]))
        .unwrap();
    let front = server
        .create_object_adapter_with_endpoints("Front", "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    front
        .add(
            Echo {
                next: Some(back_prx),
            },
            Identity::new("front"),
        )
        .unwrap();
    front.activate().unwrap();

    let (client, _) = Communicator::initialize(Vec::<String>::new()).unwrap();
    let prx = client
        .string_to_proxy(&format!("front:{}", front.endpoints()[0]))
        .unwrap();
    assert_eq!(call_string(&prx, "echo", "hi").unwrap(), "hi");
    assert_eq!(call_string(&prx, "relay", "x").unwrap(), "relayed x");
    assert_eq!(
        call_string(&prx, "relayBlocking", "y").unwrap(),
        "blocking y"
    );
    assert_eq!(prx.ice_id().wait().unwrap(), "::T::Echo");
    assert!(prx.ice_is_a("::T::Echo").wait().unwrap());

    // Many concurrent compressed calls, half of them chained.
    let zprx = prx.ice_compress(true);
    let big = "z".repeat(500);
    let calls: Vec<_> = (0..300)
        .map(|i| {
            let op = if i % 2 == 0 { "echo" } else { "relay" };
            let call = zprx.invoke(
                op,
                OperationMode::Normal,
                &string_param(&format!("{big}{i}")),
                None,
            );
            async move {
                let r = call.await?;
                Ok::<_, Error>(InputStream::new(&r.into_ok_payload()?).read_string()?)
            }
        })
        .collect();
    let results = client.block_on(futures::future::join_all(calls)).unwrap();
    for (i, r) in results.into_iter().enumerate() {
        let expected = if i % 2 == 0 {
            format!("{big}{i}")
        } else {
            format!("relayed {big}{i}")
        };
        assert_eq!(r.unwrap(), expected);
    }

    // Unknown identity and operation.
    assert!(matches!(
        prx.ice_identity(Identity::new("nobody")).ice_ping().wait(),
        Err(Error::ObjectNotExist { .. })
    ));
    assert!(matches!(
        call_string(&prx, "nope", ""),
        Err(Error::OperationNotExist { .. })
    ));

    // Shutting the server down closes its connections gracefully; the client reconnects
    // and finds nobody.
    server.shutdown();
    server.wait_for_shutdown().unwrap();
    let e = prx.ice_ping().wait().unwrap_err();
    assert!(
        matches!(e, Error::ConnectionRefused(_) | Error::ConnectionLost(_)),
        "{e:?}"
    );
    client.destroy();
    server.destroy();
}
