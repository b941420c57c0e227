//! Adapters created by a communicator: configuration from properties, listening, proxies
//! from `create_proxy`, a Rust client calling through them, and shutdown.

mod dispatch_support;

use dispatch_support::service::{ServiceI, ServiceServant};
use ice_runtime::adapter::{AdapterConfig, ThreadPoolConfig};
use ice_runtime::communicator::Communicator;
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::properties::Properties;
use ice_runtime::proxy::Wait;
use ice_runtime::Error;

#[test]
fn thread_pool_properties_follow_ice() {
    let props = Properties::new();
    let get = |p: &Properties, k: &str| p.get_opt(k);
    let c = AdapterConfig::from_properties("A", |k| get(&props, k)).unwrap();
    assert_eq!(c.thread_pool, ThreadPoolConfig::default());
    assert_eq!((c.thread_pool.size, c.thread_pool.size_max), (1, 1));

    props.set("Ice.ThreadPool.Server.Size", "2");
    props.set("Ice.ThreadPool.Server.SizeMax", "5");
    props.set("Ice.ThreadPool.Server.Serialize", "1");
    props.set("A.Endpoints", "tcp -p 0");
    let c = AdapterConfig::from_properties("A", |k| get(&props, k)).unwrap();
    assert_eq!((c.thread_pool.size, c.thread_pool.size_max), (2, 5));
    assert!(c.thread_pool.serialize);
    assert_eq!(c.endpoints, "tcp -p 0");

    // The adapter's own pool replaces the server pool when configured.
    props.set("A.ThreadPool.Size", "3");
    let c = AdapterConfig::from_properties("A", |k| get(&props, k)).unwrap();
    assert_eq!((c.thread_pool.size, c.thread_pool.size_max), (3, 3));
    assert!(!c.thread_pool.serialize);

    props.set("A.ThreadPool.SizeMax", "x");
    assert!(matches!(
        AdapterConfig::from_properties("A", |k| get(&props, k)),
        Err(Error::InvalidProperty { .. })
    ));
}

#[test]
fn a_rust_client_calls_through_create_proxy() {
    let props = Properties::new();
    props.set("Hello.Endpoints", "tcp -h 127.0.0.1 -p 0");
    let communicator = Communicator::with_properties(props).unwrap();
    let adapter = communicator.create_object_adapter("Hello").unwrap();
    assert_eq!(adapter.endpoints().len(), 1);
    adapter
        .add(
            ServiceServant::new(ServiceI::default()),
            Identity::new("svc"),
        )
        .unwrap();
    adapter.activate().unwrap();

    let prx = adapter.create_proxy(&Identity::new("svc")).unwrap();
    prx.ice_ping().wait().unwrap();
    assert_eq!(
        prx.ice_ids().wait().unwrap(),
        vec!["::Ice::Object".to_owned(), "::Vec::Service".to_owned()]
    );
    assert!(prx.ice_is_a("::Vec::Service").wait().unwrap());
    let reply = prx
        .invoke("opOut", OperationMode::Normal, &5i32.to_le_bytes(), None)
        .wait()
        .unwrap();
    let mut input = reply.input();
    assert_eq!(input.read_string().unwrap(), "got 5");
    assert_eq!(input.read_i32().unwrap(), 10);
    assert_eq!(input.read_i32().unwrap(), 6);

    let missing = adapter.create_proxy(&Identity::new("nobody")).unwrap();
    assert!(matches!(
        missing.ice_ping().wait(),
        Err(Error::ObjectNotExist { .. })
    ));

    // Shutdown deactivates the adapter: later calls fail.
    let second = communicator
        .create_object_adapter_with_endpoints("Other", "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    assert!(!second.is_deactivated());
    communicator.shutdown();
    communicator.wait_for_shutdown().unwrap();
    assert!(adapter.is_deactivated() && second.is_deactivated());
    adapter.destroy();
    communicator.destroy();
}

#[test]
fn bad_endpoints_are_refused() {
    let communicator = Communicator::with_properties(Properties::new()).unwrap();
    assert!(matches!(
        communicator.create_object_adapter_with_endpoints("X", "udp -p 0"),
        Err(Error::EndpointParse { .. })
    ));
    communicator.destroy();
}

#[test]
fn adapter_endpoints_follow_the_ice_default_properties() {
    let props = Properties::new();
    props.set("Ice.Default.Host", "127.0.0.1");
    props.set("Ice.Default.Timeout", "1234");
    props.set(
        "A.Endpoints",
        "default -p 0:tcp -h 127.0.0.1 -p 0 -t infinite -z",
    );
    let communicator = Communicator::with_properties(props).unwrap();
    let adapter = communicator.create_object_adapter("A").unwrap();
    let e = adapter.endpoints();
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[0].host.as_str(), e[0].timeout),
        ("127.0.0.1", Some(1234))
    );
    assert_ne!(e[0].port, 0);
    assert_eq!((e[1].timeout, e[1].compress), (Some(-1), true));
    communicator.destroy();
}

#[test]
fn proxy_strings_quote_the_identity_only_when_ice_does() {
    let communicator = Communicator::with_properties(Properties::new()).unwrap();
    let adapter = communicator
        .create_object_adapter_with_endpoints("Quotes", "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    let port = adapter.endpoints()[0].port;
    let plain = adapter.proxy_string(&Identity::new("model"));
    assert!(
        plain.starts_with(&format!("model:tcp -h 127.0.0.1 -p {port}")),
        "{plain}"
    );
    let spaced = adapter.proxy_string(&Identity::with_category("a b", "cat"));
    assert!(spaced.starts_with("\"cat/a b\":tcp"), "{spaced}");
    // Both parse back to the same identity.
    let prx = communicator.string_to_proxy(&spaced).unwrap();
    assert_eq!(
        prx.ice_get_identity(),
        &Identity::with_category("a b", "cat")
    );
    adapter.destroy();
    communicator.destroy();
}

#[test]
fn wildcard_endpoints_publish_the_machine_addresses_and_published_endpoints_replace_them() {
    let props = Properties::new();
    props.set("W.Endpoints", "tcp -h * -p 0");
    props.set("P.Endpoints", "tcp -h 127.0.0.1 -p 0");
    props.set(
        "P.PublishedEndpoints",
        "tcp -h example.org -p 4061:tcp -h 10.1.2.3 -p 4062",
    );
    let communicator = Communicator::with_properties(props).unwrap();

    // Listening on every interface: published once per non-loopback IPv4 address of the
    // machine (127.0.0.1 when it has none), all with the port the system chose.
    let wild = communicator.create_object_adapter("W").unwrap();
    wild.add(
        ServiceServant::new(ServiceI::default()),
        Identity::new("svc"),
    )
    .unwrap();
    wild.activate().unwrap();
    let published = wild.endpoints();
    assert!(!published.is_empty());
    let port = published[0].port;
    assert_ne!(port, 0);
    for e in &published {
        assert_eq!(e.port, port);
        let ip: std::net::Ipv4Addr = e.host.parse().expect("an IPv4 address");
        assert!(!ip.is_unspecified());
        assert!(!ip.is_loopback() || published.len() == 1, "{published:?}");
    }
    // Each published address reaches the adapter.
    let client = Communicator::with_properties(Properties::new()).unwrap();
    for e in &published {
        let prx = client
            .string_to_proxy(&format!("svc:tcp -h {} -p {}", e.host, e.port))
            .unwrap()
            .ice_invocation_timeout(5000);
        prx.ice_ping().wait().unwrap();
    }
    client.destroy();

    // PublishedEndpoints: what proxies carry, whatever the adapter listens on.
    let p = communicator.create_object_adapter("P").unwrap();
    let text = p.proxy_string(&Identity::new("x"));
    assert_eq!(
        text,
        "x:tcp -h example.org -p 4061 -t 60000:tcp -h 10.1.2.3 -p 4062 -t 60000"
    );
    communicator.destroy();
}
