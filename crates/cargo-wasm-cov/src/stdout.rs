//! Keeping standard output for the report: with `--lcov` (or another
//! format) and no `--output-path`, the report is the program's stdout,
//! so what the tests and cargo print while they run goes to stderr, as
//! cargo-llvm-cov does.

#[cfg(unix)]
use std::os::fd::OwnedFd;

/// While it lives, file descriptor 1 (ours and every child's) is stderr.
pub struct StdoutToStderr {
    #[cfg(unix)]
    saved: Option<OwnedFd>,
}

impl StdoutToStderr {
    /// Redirects when `active`; otherwise does nothing.
    pub fn new(active: bool) -> StdoutToStderr {
        #[cfg(unix)]
        {
            let saved = active
                .then(|| {
                    use std::io::Write;
                    let _ = std::io::stdout().flush();
                    let saved = nix::unistd::dup(std::io::stdout()).ok()?;
                    nix::unistd::dup2_stdout(std::io::stderr()).ok()?;
                    Some(saved)
                })
                .flatten();
            StdoutToStderr { saved }
        }
        #[cfg(not(unix))]
        {
            let _ = active;
            StdoutToStderr {}
        }
    }
}

impl Drop for StdoutToStderr {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = self.saved.take() {
            use std::io::Write;
            let _ = std::io::stdout().flush();
            let _ = nix::unistd::dup2_stdout(saved);
        }
    }
}
