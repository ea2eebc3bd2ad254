//! Downloading the official MovieLens 32M archive: progress bar, MD5 check, unzip, and no
//! half-written file left behind on failure or interruption.
//!
//! The archive is streamed into a hidden `*.partial` temporary file next to its destination while
//! its MD5 is computed; only a verified archive is renamed into place. Extraction goes to a hidden
//! temporary directory that is renamed to `ml-32m/` once complete. A cancel flag (set by the
//! binary's Ctrl-C handler) is polled between chunks; temporaries are removed on every exit path,
//! and stale ones from a killed run are swept at the start of the next.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use md5::{Digest, Md5};

/// Official GroupLens URL of MovieLens 32M.
pub const ML_32M_URL: &str = "https://files.grouplens.org/datasets/movielens/ml-32m.zip";

/// MD5 of `ml-32m.zip` as published by GroupLens in `ml-32m.zip.md5`.
pub const ML_32M_MD5: &str = "d472be332d4daa821edc399621853b57";

/// Where and what to download.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// Archive URL.
    pub url: String,
    /// Expected MD5 (lowercase hex).
    pub md5: String,
    /// Directory that receives `<name>.zip` and the extracted `<name>/` folder.
    pub raw_dir: PathBuf,
    /// Folder name the archive's files are extracted to (e.g. `ml-32m`).
    pub dataset_name: String,
    /// Seconds allowed to establish the connection.
    pub connect_timeout_secs: u64,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

impl FetchRequest {
    /// The official ML-32M request into `raw_dir`.
    pub fn ml_32m(raw_dir: &Path) -> Self {
        Self {
            url: ML_32M_URL.to_string(),
            md5: ML_32M_MD5.to_string(),
            raw_dir: raw_dir.to_path_buf(),
            dataset_name: "ml-32m".to_string(),
            connect_timeout_secs: 10,
            progress: true,
        }
    }
}

/// What can go wrong fetching the dataset.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server could not be reached (offline, DNS, refused, timed out).
    #[error(
        "cannot reach {url}: {message}. Offline? Point the pipeline at a MovieLens folder with \
         `--data-dir <dir>`, or run on generated data with `--synthetic`"
    )]
    Unreachable {
        /// The URL.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url}: server answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// HTTP status code.
        status: u16,
    },
    /// The downloaded bytes do not have the published MD5.
    #[error("{url}: MD5 mismatch (expected {expected}, got {actual}); the download was discarded")]
    ChecksumMismatch {
        /// The URL.
        url: String,
        /// Published checksum.
        expected: String,
        /// Computed checksum.
        actual: String,
    },
    /// The archive is not a valid zip or lacks an expected member.
    #[error("{path}: invalid archive: {message}")]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The user interrupted the download.
    #[error("download interrupted; partial files were removed")]
    Interrupted,
    /// Local I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes hidden temporaries (`.*.partial*`) left in `raw_dir` by a killed earlier run.
fn sweep_stale(raw_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(raw_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') && name.contains(".partial") {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

/// Temporaries are created private; what we keep is an ordinary readable file or folder.
fn make_readable(path: &Path, mode: u32) -> Result<(), FetchError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io(path))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Downloads, verifies and extracts the archive; returns the extracted dataset folder.
/// An already extracted folder is returned as is.
pub fn fetch(request: &FetchRequest, cancel: &AtomicBool) -> Result<PathBuf, FetchError> {
    let dataset_dir = request.raw_dir.join(&request.dataset_name);
    if dataset_dir.is_dir() {
        return Ok(dataset_dir);
    }
    std::fs::create_dir_all(&request.raw_dir).map_err(io(&request.raw_dir))?;
    sweep_stale(&request.raw_dir);
    let archive = request
        .raw_dir
        .join(format!("{}.zip", request.dataset_name));
    if !archive.is_file() || md5_of_file(&archive)? != request.md5 {
        download(request, &archive, cancel)?;
    }
    extract(&archive, &request.raw_dir, &request.dataset_name, cancel)?;
    Ok(dataset_dir)
}

fn md5_of_file(path: &Path) -> Result<String, FetchError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut hasher = Md5::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

fn download(request: &FetchRequest, archive: &Path, cancel: &AtomicBool) -> Result<(), FetchError> {
    let url = &request.url;
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(request.connect_timeout_secs)))
        .timeout_resolve(Some(Duration::from_secs(request.connect_timeout_secs)))
        .http_status_as_error(false)
        .build();
    let agent: ureq::Agent = config.into();
    let mut response = agent.get(url).call().map_err(|e| FetchError::Unreachable {
        url: url.clone(),
        message: e.to_string(),
    })?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(FetchError::Status {
            url: url.clone(),
            status,
        });
    }
    let total = response.body().content_length();
    let bar = if request.progress {
        let bar = ProgressBar::new(total.unwrap_or(0));
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {bar:40.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("downloading {}", request.dataset_name));
        bar
    } else {
        ProgressBar::hidden()
    };
    let parent = archive.parent().unwrap_or(Path::new("."));
    let file_name = archive
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // Dropped (and deleted) on every early return below.
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".partial")
        .tempfile_in(parent)
        .map_err(io(parent))?;
    let mut hasher = Md5::new();
    {
        let mut writer = BufWriter::new(temp.as_file());
        let mut reader = response.body_mut().as_reader();
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            if cancel.load(Ordering::Relaxed) {
                bar.abandon();
                return Err(FetchError::Interrupted);
            }
            let n = reader
                .read(&mut buffer)
                .map_err(|e| FetchError::Unreachable {
                    url: url.clone(),
                    message: format!("connection lost: {e}"),
                })?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            writer.write_all(&buffer[..n]).map_err(io(archive))?;
            bar.inc(n as u64);
        }
        writer.flush().map_err(io(archive))?;
    }
    bar.finish_and_clear();
    let actual = format!("{:x}", hasher.finalize());
    if actual != request.md5.to_ascii_lowercase() {
        return Err(FetchError::ChecksumMismatch {
            url: url.clone(),
            expected: request.md5.clone(),
            actual,
        });
    }
    temp.as_file().sync_all().map_err(io(archive))?;
    make_readable(temp.path(), 0o644)?;
    temp.persist(archive).map_err(|e| FetchError::Io {
        path: archive.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Extracts every regular file of `archive` into `raw_dir/<name>/`, dropping the archive's
/// top-level folder (`ml-32m/ratings.csv` becomes `<name>/ratings.csv`).
fn extract(
    archive: &Path,
    raw_dir: &Path,
    name: &str,
    cancel: &AtomicBool,
) -> Result<(), FetchError> {
    let bad = |message: String| FetchError::Archive {
        path: archive.to_path_buf(),
        message,
    };
    let file = File::open(archive).map_err(io(archive))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempdir_in(raw_dir)
        .map_err(io(raw_dir))?;
    let mut extracted = 0usize;
    for index in 0..zip.len() {
        if cancel.load(Ordering::Relaxed) {
            return Err(FetchError::Interrupted);
        }
        let mut entry = zip.by_index(index).map_err(|e| bad(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let Some(inner) = entry.enclosed_name() else {
            return Err(bad(format!("unsafe path `{}`", entry.name())));
        };
        let relative: PathBuf = inner
            .components()
            .skip(usize::from(inner.components().count() > 1))
            .collect();
        let target = staging.path().join(relative);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let mut out = BufWriter::new(File::create(&target).map_err(io(&target))?);
        std::io::copy(&mut entry, &mut out).map_err(|e| bad(format!("{}: {e}", entry.name())))?;
        out.flush().map_err(io(&target))?;
        extracted += 1;
    }
    if extracted == 0 {
        return Err(bad("archive holds no files".into()));
    }
    let destination = raw_dir.join(name);
    make_readable(staging.path(), 0o755)?;
    let staged = staging.keep();
    std::fs::rename(&staged, &destination).map_err(|source| {
        let _ = std::fs::remove_dir_all(&staged);
        FetchError::Io {
            path: destination.clone(),
            source,
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    fn small_zip() -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut bytes);
            let options = zip::write::SimpleFileOptions::default();
            zip.add_directory("ml-test/", options).unwrap();
            zip.start_file("ml-test/movies.csv", options).unwrap();
            zip.write_all(b"movieId,title,genres\n1,Toy Story (1995),Animation\n")
                .unwrap();
            zip.start_file("ml-test/ratings.csv", options).unwrap();
            zip.write_all(b"userId,movieId,rating,timestamp\n1,1,4.0,1\n")
                .unwrap();
            zip.finish().unwrap();
        }
        bytes.into_inner()
    }

    /// Serves `body` to `requests` HTTP GETs on 127.0.0.1, then stops.
    fn serve(body: Vec<u8>, requests: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
                    line.clear();
                }
                let header = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(header.as_bytes()).unwrap();
                stream.write_all(&body).unwrap();
            }
        });
        format!("http://{address}/ml-test.zip")
    }

    fn request(url: String, md5: String, raw_dir: &Path) -> FetchRequest {
        FetchRequest {
            url,
            md5,
            raw_dir: raw_dir.to_path_buf(),
            dataset_name: "ml-test".into(),
            connect_timeout_secs: 2,
            progress: false,
        }
    }

    fn md5_hex(bytes: &[u8]) -> String {
        format!("{:x}", Md5::digest(bytes))
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn downloads_verifies_and_extracts_from_a_local_server() {
        let body = small_zip();
        let url = serve(body.clone(), 1);
        let raw = tempfile::tempdir().unwrap();
        let dir = fetch(
            &request(url, md5_hex(&body), raw.path()),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(dir, raw.path().join("ml-test"));
        assert_eq!(entries(&dir), vec!["movies.csv", "ratings.csv"]);
        assert!(
            std::fs::read_to_string(dir.join("movies.csv"))
                .unwrap()
                .contains("Toy Story")
        );
        assert_eq!(entries(raw.path()), vec!["ml-test", "ml-test.zip"]);
    }

    #[test]
    fn corrupted_archive_is_rejected_and_nothing_is_left_behind() {
        let body = small_zip();
        let expected = md5_hex(&body);
        let mut corrupted = body;
        let middle = corrupted.len() / 2;
        corrupted[middle] ^= 0xff;
        let url = serve(corrupted, 1);
        let raw = tempfile::tempdir().unwrap();
        let err = fetch(&request(url, expected, raw.path()), &AtomicBool::new(false)).unwrap_err();
        assert!(matches!(err, FetchError::ChecksumMismatch { .. }), "{err}");
        assert!(entries(raw.path()).is_empty(), "{:?}", entries(raw.path()));
    }

    #[test]
    fn interrupted_download_leaves_no_partial_file() {
        let body = small_zip();
        let url = serve(body.clone(), 1);
        let raw = tempfile::tempdir().unwrap();
        let err = fetch(
            &request(url, md5_hex(&body), raw.path()),
            &AtomicBool::new(true),
        )
        .unwrap_err();
        assert!(matches!(err, FetchError::Interrupted), "{err}");
        assert!(entries(raw.path()).is_empty(), "{:?}", entries(raw.path()));
    }

    #[test]
    fn unreachable_server_fails_fast_naming_the_offline_flags() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let raw = tempfile::tempdir().unwrap();
        let url = format!("http://127.0.0.1:{port}/ml-test.zip");
        let err = fetch(
            &request(url, "0".repeat(32), raw.path()),
            &AtomicBool::new(false),
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, FetchError::Unreachable { .. }), "{message}");
        assert!(
            message.contains("--data-dir") && message.contains("--synthetic"),
            "{message}"
        );
    }

    #[test]
    fn stale_partials_from_a_killed_run_are_swept() {
        let body = small_zip();
        let url = serve(body.clone(), 1);
        let raw = tempfile::tempdir().unwrap();
        std::fs::write(raw.path().join(".ml-test.zip.abc.partial"), b"half").unwrap();
        fetch(
            &request(url, md5_hex(&body), raw.path()),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(entries(raw.path()), vec!["ml-test", "ml-test.zip"]);
    }
}
