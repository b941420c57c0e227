//! Starting the built `demo-server` binary as a child process (killed on drop) and reading
//! the proxy it prints.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `demo-server`; killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// The proxy it printed (`ready <proxy>`).
    pub proxy: String,
}

impl ServerProcess {
    /// Starts `demo-server` with `args` (plus an OS-assigned port on 127.0.0.1) and waits
    /// up to 30 s for its `ready` line.
    pub fn start(args: &[&str]) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_demo-server"))
            .args(["--endpoints", "tcp -h 127.0.0.1 -p 0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start demo-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(p) = line.strip_prefix("ready ") {
                    let _ = tx.send(p.to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(proxy) => ServerProcess { child, proxy },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("demo-server {args:?} did not print its proxy within 30 s");
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
