//! Running the example binaries as processes, the way users run them.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `target/<profile>/examples/<name>`, built by `cargo test` along with the tests.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the whole suite (`cargo test` builds the examples) or `cargo build --example {name}`",
        path.display()
    );
    path
}

/// A running example, killed when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts an example on `127.0.0.1:0` with these variables (and no `JWT_JWKS_URL`/`JWT_ISSUER`
/// from the environment); returns it with the address it printed and its `TOKEN=`, if any.
pub fn start_example(name: &str, vars: &[(&str, &str)]) -> (Running, String, Option<String>) {
    let mut command = Command::new(example(name));
    command
        .env("BIND", "127.0.0.1:0")
        .env_remove("JWT_JWKS_URL")
        .env_remove("JWT_ISSUER")
        .env_remove("REDIS_URL")
        .env_remove("JWT_REVOCATION_FAIL");
    for (key, value) in vars {
        command.env(key, value);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start");
    let stdout = child.stdout.take().expect("stdout");
    let (found, printed) = std::sync::mpsc::channel();
    // Read every line (a closed pipe would fail the example's later prints); report the address
    // and the token once the example has printed what it prints at start-up.
    std::thread::spawn(move || {
        let mut base = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("tower-jwt-auth ")
                && let Some((_, address)) = line.rsplit_once(" on ")
            {
                base = Some(address.to_owned());
            }
            if let Some(token) = line.strip_prefix("TOKEN=") {
                let _ = found.send((base.clone(), Some(token.to_owned())));
            } else if line.starts_with("Try: ") || line.starts_with("  open ") {
                let _ = found.send((base.clone(), None));
            }
        }
    });
    let (base, token) = printed
        .recv_timeout(Duration::from_secs(30))
        .expect("the example started");
    (Running(child), base.expect("address printed first"), token)
}
