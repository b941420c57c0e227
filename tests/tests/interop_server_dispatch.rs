//! A real ZeroC Ice 3.7 client (Python) calls a Rust server over TCP: out-parameters, user
//! exceptions, every reply status, panics, built-in operations, missing objects and facets,
//! default servants, contexts, compression, oneway and batch oneway requests, and 1,000
//! concurrent calls on one connection.

mod interop_server_support;

use ice_runtime::identity::Identity;
use ice_tests::run_python;
use interop_server_support::{support_dir, RustServer, ServerI, ServerServant};
use std::time::Duration;

#[test]
fn python_client_against_rust_server() {
    let server = RustServer::start(&[]);
    let adapter = &server.adapter;
    adapter
        .add(
            ServerServant::new(ServerI::new("main", None)),
            Identity::new("server"),
        )
        .unwrap();
    adapter
        .add_facet(
            ServerServant::new(ServerI::new("facet", None)),
            Identity::new("server"),
            "other",
        )
        .unwrap();
    adapter
        .add_default_servant(ServerServant::new(ServerI::new("default", None)), "dflt")
        .unwrap();
    adapter.activate().unwrap();

    let (code, output) = run_python(
        &support_dir().join("client.py"),
        &["basic", &server.proxy("server")],
        Duration::from_secs(60),
    );
    let text = output.text();
    eprintln!("{text}");
    assert_eq!(code, 0, "the Python client reported failures:\n{text}");
    assert!(text.contains("ALL OK"));
    assert!(text.contains("OK   1000 concurrent calls"));
}
