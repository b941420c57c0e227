//! Which endpoint a proxy with several connects to: a random one by default
//! (`Ice.Default.EndpointSelection=Random`, as Ice), the first one with `Ordered`, and in
//! either case a connection already open to one of them first.

use ice_runtime::adapter::ObjectAdapter;
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Current, Dispatch, Dispatched, Request, Servant};
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::properties::Properties;
use ice_runtime::proxy::{EndpointSelection, ObjectPrx, Wait};
use ice_runtime::Error;
use std::collections::HashSet;

/// `where()`: the name of the adapter that dispatched the call.
struct Where;

impl Servant for Where {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Where"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Where"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        match request.operation() {
            "where" => request.dispatch(
                OperationMode::Normal,
                |_| Ok(()),
                |(), current: &Current| {
                    Dispatch::<String, Error>::ok(current.adapter.name().to_owned())
                },
                |out, v| out.write_string(&v),
            ),
            _ => request.dispatch_builtin(self),
        }
    }
}

fn adapter(server: &Communicator, name: &str) -> ObjectAdapter {
    let a = server
        .create_object_adapter_with_endpoints(name, "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    a.add(Where, Identity::new("where")).unwrap();
    a.activate().unwrap();
    a
}

fn port(a: &ObjectAdapter) -> u16 {
    a.endpoints()[0].port
}

fn answered_by(prx: &ObjectPrx) -> String {
    let reply = prx
        .invoke("where", OperationMode::Normal, &[], None)
        .wait()
        .unwrap();
    reply.input().read_string().unwrap()
}

#[test]
fn proxies_pick_a_random_endpoint_unless_ordered_and_reuse_open_connections() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let (a, b) = (adapter(&server, "A"), adapter(&server, "B"));
    let both = format!(
        "where:tcp -h 127.0.0.1 -p {}:tcp -h 127.0.0.1 -p {}",
        port(&a),
        port(&b)
    );

    // Random (the default): fresh clients end up on both adapters (all 40 on one: 2^-39).
    let mut seen = HashSet::new();
    for _ in 0..40 {
        let client = Communicator::with_properties(Properties::new()).unwrap();
        let prx = client.string_to_proxy(&both).unwrap();
        assert_eq!(prx.ice_get_endpoint_selection(), EndpointSelection::Random);
        seen.insert(answered_by(&prx));
        client.destroy();
    }
    assert_eq!(seen.len(), 2, "answered by {seen:?}");

    // Ordered, by property or per proxy: always the first endpoint.
    let props = Properties::new();
    props.set("Ice.Default.EndpointSelection", "Ordered");
    let client = Communicator::with_properties(props).unwrap();
    for _ in 0..5 {
        let prx = client.string_to_proxy(&both).unwrap();
        assert_eq!(prx.ice_get_endpoint_selection(), EndpointSelection::Ordered);
        assert_eq!(answered_by(&prx), "A");
    }
    client.destroy();
    for _ in 0..5 {
        let client = Communicator::with_properties(Properties::new()).unwrap();
        let prx = client
            .string_to_proxy(&both)
            .unwrap()
            .ice_endpoint_selection(EndpointSelection::Ordered);
        assert_eq!(answered_by(&prx), "A");
        client.destroy();
    }

    // A connection already open to the second endpoint is used, whatever the order.
    let client = Communicator::with_properties(Properties::new()).unwrap();
    let only_b = client
        .string_to_proxy(&format!("where:tcp -h 127.0.0.1 -p {}", port(&b)))
        .unwrap();
    assert_eq!(answered_by(&only_b), "B");
    let ordered = client
        .string_to_proxy(&both)
        .unwrap()
        .ice_endpoint_selection(EndpointSelection::Ordered);
    assert_eq!(answered_by(&ordered), "B");
    client.destroy();
    server.destroy();
}

#[test]
fn a_bad_endpoint_selection_property_is_refused() {
    let props = Properties::new();
    props.set("Ice.Default.EndpointSelection", "Sometimes");
    match Communicator::with_properties(props) {
        Err(Error::InvalidProperty { name, .. }) => {
            assert_eq!(name, "Ice.Default.EndpointSelection")
        }
        other => panic!("expected InvalidProperty, got {:?}", other.map(|_| ())),
    }
}
