//! The communicator's life cycle from a plain thread and from inside tokio: properties from
//! arguments, proxy strings, shutdown hooks, blocking waits refused on runtime threads.

use ice_runtime::communicator::{self, Communicator};
use ice_runtime::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn from_a_plain_thread() {
    let (comm, rest) = Communicator::initialize([
        "prog",
        "--Ice.Default.Host=127.0.0.1",
        "--Ice.Default.EncodingVersion=1.0",
        "--Ice.MessageSizeMax=2048",
        "--Ice.Trace.Network=1",
        "--Hello.Endpoints=tcp",
        "arg",
    ])
    .unwrap();
    assert_eq!(rest, ["prog", "--Hello.Endpoints=tcp", "arg"]);
    let props = comm.properties();
    assert_eq!(props.get_int("Ice.MessageSizeMax").unwrap(), 2048);
    assert_eq!(
        comm.client_defaults().connection.message_size_max,
        2048 * 1024
    );
    props.set("Custom.Key", "v");
    assert_eq!(comm.properties().get("Custom.Key"), "v");

    // Ice.Default.Host and Ice.Default.EncodingVersion fill in what a proxy string omits.
    let prx = comm.string_to_proxy("obj:tcp -p 4061").unwrap();
    assert_eq!(
        prx.to_string(),
        "obj -t -e 1.0:tcp -h 127.0.0.1 -p 4061 -t 60000"
    );
    assert_eq!(comm.proxy_to_string(Some(&prx)), prx.to_string());
    assert_eq!(comm.proxy_to_string(None), "");
    assert!(comm.string_to_proxy("").is_err());
    assert!(comm.string_to_proxy_nullable("").unwrap().is_none());
    assert!(matches!(
        comm.string_to_proxy("obj:tcp -p notaport"),
        Err(Error::EndpointParse { .. } | Error::ProxyParse { .. })
    ));

    // Shutdown hooks run once; wait_for_shutdown returns after them.
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    comm.on_shutdown(move || {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            r.fetch_add(1, Ordering::SeqCst);
        })
    });
    let waiter = {
        let comm = comm.clone();
        std::thread::spawn(move || comm.wait_for_shutdown())
    };
    std::thread::sleep(Duration::from_millis(50));
    comm.shutdown();
    comm.shutdown();
    waiter.join().unwrap().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert!(comm.is_shutdown());
    comm.destroy();
    assert!(comm.is_destroyed());
    assert_eq!(
        comm.string_to_proxy("obj:tcp -p 1").unwrap_err(),
        Error::CommunicatorDestroyed
    );
}

#[tokio::test]
async fn inside_tokio_blocking_is_refused() {
    assert!(communicator::on_runtime_thread());
    let comm = communicator::initialize(Vec::<String>::new()).unwrap();
    assert!(matches!(
        comm.wait_for_shutdown(),
        Err(Error::WouldBlock(_))
    ));
    assert!(matches!(comm.block_on(async {}), Err(Error::WouldBlock(_))));
    comm.shutdown();
    comm.shutdown_complete().await;
    comm.destroy_async().await;
}

#[test]
fn bad_properties_are_reported() {
    let e = Communicator::initialize(["--Ice.MessageSizeMax=lots"]).unwrap_err();
    assert!(matches!(e, Error::InvalidProperty { .. }), "{e:?}");
    let e = Communicator::initialize(["--Ice.Config=/nonexistent/file.cfg"]).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/file.cfg"), "{e}");
}

#[test]
fn unsupported_proxies_fail_clearly() {
    let comm = communicator::initialize(Vec::<String>::new()).unwrap();
    use ice_runtime::proxy::Wait;
    for s in [
        "x -d:udp -h 127.0.0.1 -p 10000",
        "x -D:udp -h 127.0.0.1 -p 10000",
        "x -s:ssl -h 127.0.0.1 -p 10000",
        "x:ws -h 127.0.0.1 -p 10000",
        "x @ SomeAdapter",
    ] {
        let prx = comm.string_to_proxy(s).unwrap();
        let e = prx
            .invoke("op", ice_runtime::OperationMode::Normal, &[], None)
            .wait()
            .unwrap_err();
        assert!(matches!(e, Error::NoEndpoint(_)), "{s}: {e:?}");
    }
    comm.destroy();
}

#[test]
fn the_last_handle_may_be_dropped_anywhere() {
    // A call still running when every user handle is gone: the communicator (and its
    // runtime) is dropped by the invocation task itself, on a runtime thread.
    let comm = communicator::initialize(Vec::<String>::new()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let prx = comm
        .string_to_proxy(&format!("x:tcp -h 127.0.0.1 -p {port} -t 300"))
        .unwrap();
    let call = prx.ice_ping();
    drop(prx);
    drop(comm);
    drop(call);
    // The connect attempt times out (the listener never validates) and the task ends.
    std::thread::sleep(Duration::from_millis(900));
    drop(listener);
}
