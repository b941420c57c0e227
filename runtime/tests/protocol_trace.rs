//! `Ice.Trace.Network` and `Ice.Trace.Protocol` emit `tracing` events (targets `Ice.Network`
//! and `Ice.Protocol`); without them, nothing is emitted.

mod protocol_support;

use ice_runtime::connection::{self, ConnectionConfig, Side};
use ice_runtime::incoming::{IncomingRequest, RequestHandler, Responder};
use protocol_support::{echo_reply, request};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records `target: message` of every event.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut m = Message(String::new());
        event.record(&mut m);
        if let Ok(mut v) = self.0.lock() {
            v.push(format!("{}: {}", event.metadata().target(), m.0));
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

struct Echo;

impl RequestHandler for Echo {
    fn handle_request(&self, request: IncomingRequest, responder: Responder) {
        echo_reply(request, responder);
    }
}

/// One call through a server with `config`, then both sides close.
async fn round_trip(config: ConnectionConfig) {
    let listener = connection::listen("127.0.0.1", 0, config, Arc::new(Echo))
        .await
        .unwrap();
    let port = listener.local_addr().port();
    let conn = connection::connect("127.0.0.1", port, ConnectionConfig::default())
        .await
        .unwrap();
    conn.invoke(request(0, "op", b""), true, false)
        .await
        .unwrap();
    conn.close().await;
    listener.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_follow_the_properties() {
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).unwrap();
    let quiet = ConnectionConfig::defaults(Side::Server);
    round_trip(quiet.clone()).await;
    let ice_events = |r: &Recorder| {
        r.0.lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("Ice."))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(
        ice_events(&recorder).is_empty(),
        "{:?}",
        ice_events(&recorder)
    );

    let mut traced = quiet;
    traced.trace_network = 1;
    traced.trace_protocol = 1;
    round_trip(traced).await;
    let events = ice_events(&recorder);
    let has = |needle: &str| events.iter().any(|e| e.contains(needle));
    assert!(
        has("Ice.Network: listening for tcp connections"),
        "{events:?}"
    );
    assert!(
        has("Ice.Network: incoming connection established"),
        "{events:?}"
    );
    assert!(has("Ice.Protocol: received request"), "{events:?}");
    assert!(has("Ice.Protocol: sending reply"), "{events:?}");
    // The server traces the close when its reader sees the client's close message, which
    // may be just after the client's side of the round trip returned: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let closing = |events: &[String]| {
        events
            .iter()
            .any(|e| e.contains("Ice.Network: closing incoming connection"))
    };
    let mut events = events;
    while !closing(&events) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        events = ice_events(&recorder);
    }
    assert!(closing(&events), "{events:?}");
}
