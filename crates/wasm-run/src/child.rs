//! Running a child process whose output is both shown and kept, and which
//! outlives our own Ctrl-C or SIGTERM long enough to save its coverage.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

pub struct Finished {
    pub status: ExitStatus,
    /// Everything the child wrote to stdout and stderr, interleaved as it
    /// arrived.
    pub log: Vec<u8>,
    /// We were asked to stop while it ran.
    pub interrupted: bool,
}

/// Starts `cmd` with its stdout and stderr piped through to ours and into
/// a log. While it runs, SIGINT/SIGTERM/SIGHUP do not kill wasm-run; they
/// are passed on to the child, which saves its coverage and exits, and then
/// we publish what it left.
pub fn run_teed(cmd: &mut Command, describe: &str) -> Result<Finished> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut ids = Vec::new();
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        ids.push(
            signal_hook::flag::register(sig, Arc::clone(&stop))
                .context("cannot install signal handlers")?,
        );
    }
    let result = run_inner(cmd, describe, &stop);
    for id in ids {
        signal_hook::low_level::unregister(id);
    }
    result
}

fn run_inner(cmd: &mut Command, describe: &str, stop: &AtomicBool) -> Result<Finished> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    let mut child: Child = cmd
        .spawn()
        .with_context(|| format!("cannot start {describe}"))?;
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut pumps = Vec::new();
    if let Some(out) = child.stdout.take() {
        pumps.push(pump(out, Box::new(std::io::stdout()), Arc::clone(&log)));
    }
    if let Some(err) = child.stderr.take() {
        pumps.push(pump(err, Box::new(std::io::stderr()), Arc::clone(&log)));
    }
    let mut forwarded = false;
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for the child process")? {
            break status;
        }
        if stop.load(Ordering::Relaxed) && !forwarded {
            forwarded = true;
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            // The child may have got the same signal from the terminal; a
            // second SIGTERM is harmless to a harness that is already saving.
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        }
        thread::sleep(Duration::from_millis(20));
    };
    for p in pumps {
        let _ = p.join();
    }
    let log = std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Finished {
        status,
        log,
        interrupted: stop.load(Ordering::Relaxed),
    })
}

fn pump(
    mut from: impl Read + Send + 'static,
    mut to: Box<dyn Write + Send>,
    log: Arc<Mutex<Vec<u8>>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    // Our own stdout may be closed (`| head`); keep logging.
                    let _ = to.write_all(&buf[..n]);
                    let _ = to.flush();
                    log.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&buf[..n]);
                }
            }
        }
    })
}
