//! Helpers shared by the interoperability tests: finding Debian's ZeroC Ice for Python,
//! starting Python peers (servers and clients) and stopping them.
//!
//! A peer is a Python script run with `/usr/bin/python3` (the `python3` first on `PATH` has no
//! Ice). A server script prints `PORT <n>` on its standard output once it listens on
//! 127.0.0.1 with an OS-assigned port; [`PythonPeer::spawn`] waits for that line. Every line
//! of standard output and standard error is kept, so a test can look for what the peer printed
//! (`NOTIFY x`, Ice traces, ...). A peer is killed when dropped. When Python or its Ice module
//! is missing, the helpers panic with a message saying what to install: interop tests must
//! never pass without a real Ice peer.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Python interpreter that has ZeroC Ice.
pub const PYTHON: &str = "/usr/bin/python3";

/// The parameters of an operation taking one string (encoding 1.1).
pub fn string_param(s: &str) -> Vec<u8> {
    let mut out = ice_runtime::encoding::OutputStream::new();
    out.write_string(s);
    out.into_vec()
}

/// The folder with the shared Python scripts and Slice files (`tests/src/py`).
pub fn py_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("py")
}

/// The path of a script in [`py_dir`].
pub fn py_script(name: &str) -> PathBuf {
    py_dir().join(name)
}

/// Panics with a clear message unless `/usr/bin/python3` can `import Ice`.
pub fn require_python_ice() {
    let out = Command::new(PYTHON)
        .args(["-c", "import Ice; print(Ice.stringVersion())"])
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "{PYTHON} cannot import Ice (install Debian's python3-zeroc-ice): {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run {PYTHON} (install python3 and python3-zeroc-ice): {e}"),
    }
}

/// Everything a peer printed so far, line by line, in order (stdout and stderr interleaved
/// as they arrived; stderr lines are prefixed with `E: `).
#[derive(Clone, Default)]
pub struct Output {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Output {
    /// A copy of the lines printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Whether any line so far contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.lines().iter().any(|l| l.contains(needle))
    }

    /// Waits up to `timeout` for a line containing `needle`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.contains(needle)
    }

    /// All the text printed so far.
    pub fn text(&self) -> String {
        self.lines().join("\n")
    }
}

/// A running Python process; killed on drop.
pub struct PythonPeer {
    child: Child,
    port: Option<u16>,
    output: Output,
}

fn pump(reader: impl std::io::Read + Send + 'static, prefix: &'static str, output: Output) {
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            let line = format!("{prefix}{line}");
            if let Ok(mut l) = output.lines.lock() {
                l.push(line);
            }
        }
    });
}

impl PythonPeer {
    /// Starts `script` with `args` and waits (up to 30 s) for its `PORT <n>` line.
    /// Panics, with everything the script printed, when it exits or stays silent.
    pub fn spawn_server(script: &Path, args: &[&str]) -> PythonPeer {
        let mut peer = PythonPeer::start(script, args);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let port = peer
                .output
                .lines()
                .iter()
                .find_map(|l| l.strip_prefix("PORT ").and_then(|p| p.trim().parse().ok()));
            if let Some(port) = port {
                peer.port = Some(port);
                return peer;
            }
            if let Ok(Some(_)) = peer.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        peer.kill();
        std::thread::sleep(Duration::from_millis(100));
        panic!(
            "Python peer {} did not print its port; its output:\n{}",
            script.display(),
            peer.output.text()
        );
    }

    /// Starts `script` with `args` without waiting for anything.
    pub fn start(script: &Path, args: &[&str]) -> PythonPeer {
        require_python_ice();
        let mut child = Command::new(PYTHON)
            .arg("-u")
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {PYTHON} {}: {e}", script.display()));
        let output = Output::default();
        if let Some(out) = child.stdout.take() {
            pump(out, "", output.clone());
        }
        if let Some(err) = child.stderr.take() {
            pump(err, "E: ", output.clone());
        }
        PythonPeer {
            child,
            port: None,
            output,
        }
    }

    /// The port the server printed.
    pub fn port(&self) -> u16 {
        self.port
            .unwrap_or_else(|| panic!("this peer printed no port"))
    }

    /// `tcp -h 127.0.0.1 -p <port>`.
    pub fn endpoint(&self) -> String {
        format!("tcp -h 127.0.0.1 -p {}", self.port())
    }

    /// A proxy string for `identity` on this server.
    pub fn proxy(&self, identity: &str) -> String {
        format!("{identity}:{}", self.endpoint())
    }

    /// What the peer printed.
    pub fn output(&self) -> &Output {
        &self.output
    }

    /// Waits up to `timeout` for the process to exit; returns its exit code, or `None` if it
    /// is still running (or was killed by a signal).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Kills the process now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs a Python client script to completion (at most `timeout`) and returns its exit code and
/// output; panics if it has to be killed.
pub fn run_python(script: &Path, args: &[&str], timeout: Duration) -> (i32, Output) {
    let mut peer = PythonPeer::start(script, args);
    match peer.wait_exit(timeout) {
        Some(code) => {
            // Let the pump threads drain the pipes.
            std::thread::sleep(Duration::from_millis(50));
            (code, peer.output.clone())
        }
        None => {
            peer.kill();
            panic!(
                "{} did not finish within {timeout:?}; its output:\n{}",
                script.display(),
                peer.output.text()
            )
        }
    }
}
