//! A progress bar on standard error, redrawn in place (`\r`) after every completed call.
//! When standard error is not a terminal it prints one line per phase instead, so logs stay
//! readable.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Cells of the bar.
const WIDTH: usize = 40;

/// Counts completed calls out of a total, with a label for the current phase.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    done: AtomicUsize,
    label: Mutex<String>,
    visible: bool,
}

impl Progress {
    /// A bar for `total` steps, drawn only on a terminal.
    pub fn new(total: usize) -> Progress {
        Progress {
            total: total.max(1),
            done: AtomicUsize::new(0),
            label: Mutex::new(String::new()),
            visible: std::io::stderr().is_terminal(),
        }
    }

    /// Names the current phase and redraws (or prints the phase's name).
    pub fn set_label(&self, label: &str) {
        if let Ok(mut l) = self.label.lock() {
            label.clone_into(&mut l);
        }
        if self.visible {
            self.draw();
        } else {
            let done = self.done.load(Ordering::Relaxed).min(self.total);
            eprintln!("[{done}/{}] {label}", self.total);
        }
    }

    /// One more step done.
    pub fn inc(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.draw();
    }

    /// Clears the bar's line.
    pub fn finish(&self) {
        if self.visible {
            eprint!("\r{:width$}\r", "", width = WIDTH + 40);
            let _ = std::io::stderr().flush();
        }
    }

    fn draw(&self) {
        if !self.visible {
            return;
        }
        let done = self.done.load(Ordering::Relaxed).min(self.total);
        let filled = done * WIDTH / self.total;
        let label = self.label.lock().map(|l| l.clone()).unwrap_or_default();
        eprint!(
            "\r[{}{}] {done:>4}/{} {label:<12}",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.total
        );
        let _ = std::io::stderr().flush();
    }
}
