//! A JWKS file on the local disk: read whole, bounded in size and time, off the async threads.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::fetch::FetchError;

/// A read still running after its timeout (a hung network file system): the next check waits
/// for it instead of starting another, so a hung mount holds one blocking thread, not one more
/// per check.
pub(crate) type PendingRead = Option<JoinHandle<Result<Vec<u8>, FetchError>>>;

/// Reads the key set file at `path` (following symbolic links, as a Kubernetes-mounted secret
/// needs: its files are links that the kubelet swaps atomically), at most `max_bytes` of it,
/// within `timeout`.
pub(crate) async fn read(
    path: &Path,
    max_bytes: usize,
    timeout: Duration,
    pending: &mut PendingRead,
) -> Result<Vec<u8>, FetchError> {
    let mut reading = pending.take().unwrap_or_else(|| {
        let owned: PathBuf = path.to_owned();
        tokio::task::spawn_blocking(move || read_bounded(&owned, max_bytes))
    });
    match tokio::time::timeout(timeout, &mut reading).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(FetchError::File("the read was cancelled".to_owned())),
        Err(_) => {
            *pending = Some(reading);
            Err(FetchError::Timeout(timeout))
        }
    }
}

fn read_bounded(path: &Path, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    let failed = |e: &std::io::Error| FetchError::File(describe(e));
    let file = open(path).map_err(|e| failed(&e))?;
    // Checked on the opened file, so nothing can be swapped in between.
    let meta = file.metadata().map_err(|e| failed(&e))?;
    if !meta.is_file() {
        return Err(FetchError::File("not a regular file".to_owned()));
    }
    check_writers(path, &meta)?;
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

/// Opens without blocking on a FIFO (which would wait for a writer) and without becoming the
/// controlling terminal of anything; reads of a regular file still block as usual.
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Refuses a key file that any user of the machine could replace: one writable by every user,
/// or in a directory every user may write without the sticky bit (anyone could rename their
/// own file over it), for the configured path and the file it resolves to.
#[cfg(unix)]
fn check_writers(path: &Path, meta: &std::fs::Metadata) -> Result<(), FetchError> {
    use std::os::unix::fs::PermissionsExt;
    let open_to_all = |mode: u32| mode & 0o002 != 0;
    if open_to_all(meta.permissions().mode()) {
        return Err(FetchError::File(
            "the file is writable by every user of the machine".to_owned(),
        ));
    }
    let resolved = std::fs::canonicalize(path).ok();
    let parents = [Some(path.to_owned()), resolved]
        .into_iter()
        .flatten()
        .filter_map(|p| p.parent().map(Path::to_owned));
    for dir in parents {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        if let Ok(dir_meta) = std::fs::metadata(&dir) {
            let mode = dir_meta.permissions().mode();
            if open_to_all(mode) && mode & 0o1000 == 0 {
                return Err(FetchError::File(
                    "the file is in a directory every user of the machine may write".to_owned(),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_writers(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), FetchError> {
    Ok(())
}

fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        kind => format!("read failed ({kind})"),
    }
}
