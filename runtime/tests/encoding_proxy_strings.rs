//! Stringified proxies, endpoints and identities compared with ZeroC Ice 3.7 itself: every
//! input goes through our parser and printer and through Ice for Python
//! (`/usr/bin/python3`, `tests/scripts/ice_strings.py`); results and errors must agree.

use ice_runtime::encoding::endpoint::{
    EndpointData, OpaqueEndpoint, TcpEndpoint, UdpEndpoint, WsEndpoint,
};
use ice_runtime::encoding::{EncodingVersion, InvocationMode, ProxyData};
use ice_runtime::identity::{Identity, ProtocolVersion, ToStringMode};
use ice_runtime::Error;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs every input through Ice for Python; one JSON answer per input.
fn ask_ice(inputs: &[String]) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts/ice_strings.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("this test needs ZeroC Ice for Python at /usr/bin/python3");
    let mut stdin = child.stdin.take().expect("stdin");
    let text: String = inputs
        .iter()
        .map(|i| serde_json::to_string(i).expect("json") + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let output = child.wait_with_output().expect("python output");
    writer.join().expect("writer").expect("write to python");
    assert!(output.status.success(), "ice_strings.py failed");
    let answers: Vec<Value> = String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json answer"))
        .collect();
    assert_eq!(answers.len(), inputs.len(), "one answer per input");
    answers
}

/// Ice's exception name for one of our parse errors.
fn ice_name(e: &Error) -> &'static str {
    match e {
        Error::ProxyParse { reason, .. } if reason.starts_with("illegal identity") => {
            "IllegalIdentityException"
        }
        Error::ProxyParse { .. } => "ProxyParseException",
        Error::EndpointParse { .. } => "EndpointParseException",
        Error::IdentityParse { .. } => "IdentityParseException",
        Error::Marshal(_) => "UnmarshalOutOfBoundsException",
        _ => "other",
    }
}

fn ours(input: &str) -> Value {
    if let Some(id) = input.strip_prefix("identity:") {
        return match Identity::parse(id) {
            Ok(i) => serde_json::json!({"ok": [
                i.category, i.name,
                i.to_string_mode(ToStringMode::Unicode),
                i.to_string_mode(ToStringMode::Ascii),
                i.to_string_mode(ToStringMode::Compat)]}),
            Err(e) => serde_json::json!({ "error": ice_name(&e) }),
        };
    }
    match ProxyData::parse_nullable(input) {
        Ok(p) => serde_json::json!({ "ok": p.map(|p| p.to_string()).unwrap_or_default() }),
        Err(e) => serde_json::json!({ "error": ice_name(&e) }),
    }
}

const INPUTS: &[&str] = &[
    "test", "test:tcp -h 127.0.0.1 -p 10000 -t 60000", "test @ MyAdapter", "x@a", "x @ \"a b\"",
    "x@ a b", "x @", "x @ \"\"", "cat/obj -f fac -o -s:tcp -h host -p 1", "obj -O:tcp -h h -p 2",
    "obj -d:udp -h 239.255.0.1 -p 10000", "obj -D", "obj -e 1.0:tcp -h h -p 3",
    "obj:tcp -h h -p 4 -t 2500 -z", "obj:tcp -h h -p 5 -t infinite", "obj:tcp -h \"::1\" -p 6",
    "\"a b/c\\/d\"", "a\\x01b", "a\\u00e9", "\"a\\tb\"", "x -f \"a/b c\"", "x -f a\\/b", "x @ a\\/b",
    "x:opaque -t 65535 -e 1.1 -v AA==", "x:opaque -t 32767 -e 1.1 -v AA==",
    "x:opaque -t 40000 -e 1.1 -v AA==", "x:opaque -t -1 -v AA==", "x:opaque -v AA==",
    "x:opaque -t 99", "x:opaque -t 99 -t 98 -v AA==", "x:opaque -t 99 -v AA== -v AA==",
    "x:opaque -t 99 -e 1.1 -v AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "x:opaque -t 99 -v A*A", "x:opaque -t 99 -e 2.0 -v AQID", "x:opaque -t 99 -e 1 -v AQID",
    "x:tcp -p 1 -t -1", "x:tcp -t 0", "x:tcp -t abc", "x:tcp -t 5x", "x:tcp -p 65536", "x:tcp -p -1",
    "x:tcp -p +5", "x:tcp -p", "x:tcp -h", "x:tcp -h \"::1\" -p 1 --sourceAddress 127.0.0.1",
    "x:tcp -h h --sourceAddress nothost", "x:ws -h h -p 1 -r \"\"", "x:ws -h h -p 1",
    "x:ws -h h -p 1 -r /a/b", "x:wss -h h -p 1 -r \"/a:b\"", "x:ssl -h h -p 1 -z -t 7",
    "x:udp -h h -p 1 -c --ttl 5 --interface eth0 -v 1.0", "x:udp -h h -p 1 --ttl -2",
    "x:udp -h h -p 1 --interface *", "x:udp -h h -p 1 -e 1.1", "x:udp -h h -p 1 -z -c",
    "x:udp -h h -p 1 -t 5", "x:opaque -t 1 -e 1.1 -v AmgxECcAAGDqAAAA",
    "x:opaque -t 3 -e 1.0 -v AWgBAAAAAQABAAA=", "x:opaque -t 1 -e 1.1 -v AQID", "x -p 1.0",
    "x -p 2.0 -e 1.2", "x -e 1", "x -e 1.x", "x -e 0.1", "x -e 1.256", "x -e", "x:default -p 1",
    "x:tcp", "'a b'", "x:bt -a foo:tcp -p 1", "x:bt -a foo", "a/b/c", "/x", "x/", "\\x41",
    "é", "a\\07b", "a\\400", "a\\xg", "a\\u12", "a\\ud800", "a\\U0001F600", "x:opaque -t 99 -v AQID -e 1.0",
    "x:opaque -t 99 -v A", "x:opaque -t 99 -v AQ==AQ==", "x:tcp -h 1.2.3.4 -p 3 -t 5 -z -z",
    "x -t -t", "x -t foo", "x -s -o :tcp", "x -x", "x -ff", "x foo", "x -f", "x -f \"\"",
    "x:tcp -h \"a b\" -p 1", "x:tcp -h 'a:b' -p 1", "x:tcp -h a\\\"b -p 1", "x:ws -h a -p 1 -r /a:b",
    "x:tcp -h a -p 1 :tcp -h b -p 2", "x :tcp -h a", "\"\"", "\"\" x", "\\\"", "x:tcp -h * -p 1",
    "", "   ", "\"x", "x -f \"y", "x @ \"y", "x:", "x::tcp", "x:tcp -h a extra", "x:tcp -z 1",
    "x:tcp -tq 5", "x:tcp --sourceAddress", "x:tcp -h h -p 1 --sourceAddress ::1", "x\ty", "x\t-o",
    "a\\\\/b", "a\\\\\\/b", "\\/", "a\\'b", "a\\?", "a\\", "ctrl\u{1}", "x -f a\u{7f}", "x -f \\u0001",
    "x @ a\\x7f", "x -f a:b", "x -f \"a@b\"", "x @ \"a:b\"", "x:tcp -h h -p 1 -t 2147483647",
    "x:tcp -h h -p 1 -t 2147483648",
    "x @ \"a\"é", "x @ \"a\"b", "x -f \"a\"é", "\"a\"é",
    "identity:a\\x01/b", "identity:\\u20ac", "identity:a\\'b\\\"c", "identity:c/\\U0001F600",
    "identity:a\\tb\\n", "identity:x\\u007f", "identity:a b", "identity:a/b/c", "identity:a\\/b",
    "identity:/", "identity:", "identity:\\\\", "identity:\\a\\b\\f\\v\\r\\?",
];

#[test]
fn proxy_strings_parse_and_print_like_ice() {
    let inputs: Vec<String> = INPUTS.iter().map(|s| s.to_string()).collect();
    let answers = ask_ice(&inputs);
    let mut failures = Vec::new();
    for (input, ice) in inputs.iter().zip(&answers) {
        let ours = ours(input);
        if &ours != ice {
            failures.push(format!("{input:?}: Ice {ice} vs ours {ours}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A small deterministic generator (xorshift), so the cases are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn text(&mut self) -> String {
        const CHARS: &[char] = &[
            'a', 'Z', '0', ' ', '/', '\\', '"', '\'', ':', '@', '-', '\t', '\n', '\u{1}', '\u{7f}',
            'é', '€', '😀', '?', '.',
        ];
        let n = self.below(6) + 1;
        (0..n)
            .map(|_| CHARS[self.below(CHARS.len() as u64) as usize])
            .collect()
    }
    fn host(&mut self) -> String {
        [
            "",
            "h",
            "127.0.0.1",
            "::1",
            "fe80::1%eth0",
            "my-host.example",
        ][self.below(6) as usize]
            .to_owned()
    }
}

fn random_proxy(r: &mut Rng) -> ProxyData {
    let mut name = r.text();
    if name.is_empty() {
        name.push('n');
    }
    let category = if r.below(2) == 0 {
        String::new()
    } else {
        r.text()
    };
    let mut p = ProxyData::new(Identity::with_category(name, category));
    if r.below(3) == 0 {
        p.facet = r.text();
    }
    p.mode = InvocationMode::from_byte(r.below(5) as u8).unwrap_or_default();
    p.secure = r.below(2) == 0;
    p.encoding = EncodingVersion {
        major: 1,
        minor: r.below(2) as u8,
    };
    if r.below(5) == 0 {
        p.protocol = ProtocolVersion { major: 1, minor: 1 };
    }
    match r.below(3) {
        0 => {}
        1 => p.adapter_id = r.text(),
        _ => {
            for _ in 0..=r.below(3) {
                let tcp = TcpEndpoint {
                    host: r.host(),
                    port: r.below(65536) as i32,
                    timeout: [-1, 1, 60000, 12345][r.below(4) as usize],
                    compress: r.below(2) == 0,
                    source_address: None,
                };
                let resource = ["/", "/chat", "/a:b", "/x y"][r.below(4) as usize].to_owned();
                p.endpoints.push(match r.below(6) {
                    0 => EndpointData::Tcp(tcp),
                    1 => EndpointData::Ssl(tcp),
                    2 => EndpointData::Ws(WsEndpoint { tcp, resource }),
                    3 => EndpointData::Wss(WsEndpoint { tcp, resource }),
                    4 => EndpointData::Udp(UdpEndpoint {
                        host: tcp.host,
                        port: tcp.port,
                        compress: tcp.compress,
                        connect: r.below(2) == 0,
                        mcast_interface: String::new(),
                        mcast_ttl: [-1, 0, 5][r.below(3) as usize],
                        source_address: None,
                    }),
                    _ => EndpointData::Opaque(OpaqueEndpoint {
                        endpoint_type: 6 + r.below(200) as i16,
                        encoding: EncodingVersion {
                            major: 1,
                            minor: r.below(2) as u8,
                        },
                        bytes: (0..=r.below(60)).map(|_| r.below(256) as u8).collect(),
                    }),
                });
            }
        }
    }
    p
}

/// Random proxies printed by us are read by Ice and by us: both must accept or refuse them
/// alike (Ice cannot read all of its own output back, e.g. a resource with a blank) and,
/// when accepted, print them the same; what Ice prints back unchanged we must read back to
/// the very same proxy.
#[test]
fn random_printed_proxies_read_the_same_in_ice_and_here() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let proxies: Vec<ProxyData> = (0..400).map(|_| random_proxy(&mut r)).collect();
    let printed: Vec<String> = proxies.iter().map(|p| p.to_string()).collect();
    let answers = ask_ice(&printed);
    let mut failures = Vec::new();
    let mut round_trips = 0;
    for ((p, s), ice) in proxies.iter().zip(&printed).zip(&answers) {
        let ours = ours(s);
        if &ours != ice {
            failures.push(format!("{s:?}: Ice {ice} vs ours {ours}"));
        } else if ice.get("ok").and_then(Value::as_str) == Some(s.as_str()) {
            round_trips += 1;
            match ProxyData::parse(s) {
                Ok(back) if &back == p => {}
                other => failures.push(format!("{s:?}: we read back {other:?}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        round_trips > 100,
        "only {round_trips} proxies round-tripped"
    );
}
