//! A JWKS file on the local disk: read whole, bounded in size and time, off the async threads.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::fetch::FetchError;

/// Reads the key set file at `path` (following symbolic links, as a Kubernetes-mounted secret
/// needs: its files are links that the kubelet swaps atomically), at most `max_bytes` of it,
/// within `timeout`.
pub(crate) async fn read(
    path: &Path,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Vec<u8>, FetchError> {
    let owned: PathBuf = path.to_owned();
    let reading = tokio::task::spawn_blocking(move || read_bounded(&owned, max_bytes));
    match tokio::time::timeout(timeout, reading).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(FetchError::File("the read was cancelled".to_owned())),
        Err(_) => Err(FetchError::Timeout(timeout)),
    }
}

fn read_bounded(path: &Path, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    let failed = |e: &std::io::Error| FetchError::File(describe(e));
    // A FIFO or a device would block or never end: only regular files are opened.
    let meta = std::fs::metadata(path).map_err(|e| failed(&e))?;
    if !meta.is_file() {
        return Err(FetchError::File("not a regular file".to_owned()));
    }
    let file = std::fs::File::open(path).map_err(|e| failed(&e))?;
    let meta = file.metadata().map_err(|e| failed(&e))?;
    check_mode(&meta)?;
    if !meta.is_file() {
        return Err(FetchError::File("not a regular file".to_owned()));
    }
    if meta.len() > max_bytes as u64 {
        return Err(FetchError::TooLarge(max_bytes));
    }
    let mut body = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(max_bytes));
    file.take(max_bytes as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| failed(&e))?;
    if body.len() > max_bytes {
        return Err(FetchError::TooLarge(max_bytes));
    }
    Ok(body)
}

/// A key file every user of the machine may write is refused: anyone could put their own key in.
#[cfg(unix)]
fn check_mode(meta: &std::fs::Metadata) -> Result<(), FetchError> {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o002 != 0 {
        return Err(FetchError::File(
            "the file is writable by every user of the machine".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_meta: &std::fs::Metadata) -> Result<(), FetchError> {
    Ok(())
}

fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        kind => format!("read failed ({kind})"),
    }
}
