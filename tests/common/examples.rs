//! Running the example binaries as processes, the way users run them.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The crate features this test binary was built with: an example the test runs is built with
/// the same ones.
fn features() -> Vec<&'static str> {
    [
        ("aws-lc-rs", cfg!(feature = "aws-lc-rs")),
        ("rust-crypto", cfg!(feature = "rust-crypto")),
        ("axum", cfg!(feature = "axum")),
        ("tonic", cfg!(feature = "tonic")),
        ("redis", cfg!(feature = "redis")),
        ("metrics", cfg!(feature = "metrics")),
        ("testing", cfg!(feature = "testing")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
}

/// `target/<profile>/examples/<name>`, (re)built first with this test binary's features, so a
/// test run alone (`cargo test --test X`) never runs a binary built with other ones.
pub fn example(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--example",
                name,
                "--no-default-features",
            ])
            .args(["--features", &features().join(",")])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo");
        assert!(status.success(), "cargo build --example {name} failed");
        built.push(name.to_owned());
    }
    assert!(
        path.exists(),
        "{} is missing after the build",
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
