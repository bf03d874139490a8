//! A JWKS file in a fresh directory of its own, written the ways deployments write it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How a new document reaches the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Written to a temporary file, then renamed over the old one (atomic).
    Rename,
    /// Truncated and written in place: a read may see half a document.
    InPlace,
}

/// How the file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `jwks.json`, a regular file.
    Plain,
    /// As the kubelet mounts a Secret: `jwks.json` → `..data/jwks.json`, `..data` → `..v<n>`,
    /// and an update writes `..v<n+1>` and swaps the `..data` link with a rename.
    Kubelet,
}

/// A key set file, removed with its directory when dropped.
pub struct KeyFile {
    dir: PathBuf,
    layout: Layout,
    version: u64,
}

impl KeyFile {
    pub fn new(layout: Layout) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tower-jwt-auth-keyfile-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        set_mode(&dir, 0o755);
        Self {
            dir,
            layout,
            version: 0,
        }
    }

    /// The path the issuer is configured with.
    pub fn path(&self) -> PathBuf {
        self.dir.join("jwks.json")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Puts `contents` in the file.
    pub fn write(&mut self, contents: &str, how: Write) {
        match self.layout {
            Layout::Plain => match how {
                Write::Rename => {
                    let tmp = self.dir.join(".jwks.json.tmp");
                    std::fs::write(&tmp, contents).unwrap();
                    set_mode(&tmp, 0o644);
                    std::fs::rename(&tmp, self.path()).unwrap();
                }
                Write::InPlace => {
                    std::fs::write(self.path(), contents).unwrap();
                    set_mode(&self.path(), 0o644);
                }
            },
            Layout::Kubelet => self.swap(contents),
        }
    }

    /// A new version directory, then the `..data` link swapped to it by a rename.
    #[cfg(unix)]
    fn swap(&mut self, contents: &str) {
        use std::os::unix::fs::symlink;
        self.version += 1;
        let version = format!("..v{}", self.version);
        std::fs::create_dir(self.dir.join(&version)).unwrap();
        set_mode(&self.dir.join(&version), 0o755);
        std::fs::write(self.dir.join(&version).join("jwks.json"), contents).unwrap();
        set_mode(&self.dir.join(&version).join("jwks.json"), 0o644);
        let tmp = self.dir.join("..data_tmp");
        let _ = std::fs::remove_file(&tmp);
        symlink(&version, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
        if std::fs::symlink_metadata(self.path()).is_err() {
            symlink("..data/jwks.json", self.path()).unwrap();
        }
        if self.version > 1 {
            let old = self.dir.join(format!("..v{}", self.version - 1));
            std::fs::remove_dir_all(old).unwrap();
        }
    }

    #[cfg(not(unix))]
    fn swap(&mut self, contents: &str) {
        std::fs::write(self.path(), contents).unwrap();
    }

    /// Removes the file, if it is there (for the kubelet layout, the link's target: the link
    /// dangles).
    pub fn remove(&self) {
        let path = match self.layout {
            Layout::Plain => self.path(),
            Layout::Kubelet => self
                .dir
                .join(format!("..v{}", self.version))
                .join("jwks.json"),
        };
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("remove: {e}"),
            _ => {}
        }
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sets a file's mode whatever the umask (a key file others may write is refused).
#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
pub fn set_mode(_path: &Path, _mode: u32) {}
