//! The system prerequisites of the build, checked on every call and installed when missing.
//!
//! The pipeline links OpenBLAS (ndarray-linalg's `openblas-system`) and compiles LightGBM 4.7
//! and XGBoost 3.4 from their bundled C++ sources, which need C and C++ compilers, pkg-config,
//! ninja, libclang (bindgen) and cmake ≥ 3.28. Debian 12 ships cmake 3.25, so when neither
//! `$CMAKE`, python's `cmake` package nor the `cmake` on PATH is new enough, PyPI's cmake is
//! installed into a private virtual environment and handed to the build through `$CMAKE`.
//!
//! As root on Debian or Ubuntu the missing pieces are installed (`apt-get`, `pip`); otherwise
//! the exact commands are printed and nothing is built.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Result;

/// The oldest cmake LightGBM 4.7's build accepts.
const MIN_CMAKE: (u32, u32) = (3, 28);

/// A Debian package and how to tell it is present.
struct Package {
    /// Debian/Ubuntu package name.
    name: &'static str,
    /// A command it provides, or `None` to ask dpkg for the package itself.
    command: Option<&'static str>,
}

const PACKAGES: &[Package] = &[
    Package {
        name: "gcc",
        command: Some("cc"),
    },
    Package {
        name: "g++",
        command: Some("c++"),
    },
    Package {
        name: "pkg-config",
        command: Some("pkg-config"),
    },
    Package {
        name: "ninja-build",
        command: Some("ninja"),
    },
    Package {
        name: "libopenblas-dev",
        command: None,
    },
    Package {
        name: "libclang-dev",
        command: None,
    },
];

/// What the build needs from the environment once the prerequisites are present.
pub struct Toolchain {
    /// A cmake ≥ 3.28, passed to the build as `$CMAKE` (the cmake crate's override).
    cmake: PathBuf,
}

impl Toolchain {
    /// Sets the build's environment on `command`.
    pub fn apply(&self, command: &mut Command) {
        command.env("CMAKE", &self.cmake);
    }

    /// The same environment as shell assignments (`CMAKE='...'`).
    pub fn shell_exports(&self) -> String {
        let path = self.cmake.display().to_string().replace('\'', r"'\''");
        format!("CMAKE='{path}'")
    }
}

/// Checks every prerequisite and installs what is missing (as root) or explains how.
pub fn ensure_prerequisites() -> Result<Toolchain> {
    // The Debian packages to install, starting with the missing ones.
    let mut apt = missing_packages();
    let cmake = find_cmake();
    if apt.is_empty()
        && let Some(cmake) = &cmake
    {
        return Ok(Toolchain {
            cmake: cmake.clone(),
        });
    }
    let cmake_from_apt = cmake.is_none() && apt_candidate_is_new_enough("cmake");
    if cmake.is_none() {
        if cmake_from_apt {
            apt.push("cmake");
        } else if !python_can_make_a_venv() {
            apt.extend(["python3", "python3-venv"]);
        }
    }
    let venv = cmake_venv();
    let pip_commands = [
        format!("python3 -m venv {}", venv.display()),
        format!(
            "{} -m pip install --quiet 'cmake>={}.{},<5'",
            venv.join("bin").join("python3").display(),
            MIN_CMAKE.0,
            MIN_CMAKE.1
        ),
    ];
    if !is_root() || !has("apt-get") {
        let mut text = String::from(
            "missing build prerequisites. Install them (Debian/Ubuntu), then run the command again:\n",
        );
        if !apt.is_empty() {
            text.push_str(&format!(
                "  sudo apt-get update && sudo apt-get install -y {}\n",
                apt.join(" ")
            ));
        }
        if cmake.is_none() && !cmake_from_apt {
            for line in &pip_commands {
                text.push_str(&format!("  {line}\n"));
            }
        }
        return Err(text.trim_end().to_string());
    }
    if !apt.is_empty() {
        eprintln!("xtask: installing {}", apt.join(" "));
        run_shell(&format!(
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {}",
            apt.join(" ")
        ))?;
    }
    if cmake.is_none() && !cmake_from_apt {
        eprintln!(
            "xtask: installing cmake >= {}.{} from PyPI into {}",
            MIN_CMAKE.0,
            MIN_CMAKE.1,
            venv.display()
        );
        for line in &pip_commands {
            run_shell(line)?;
        }
    }
    let still = missing_packages();
    if !still.is_empty() {
        return Err(format!("still missing after install: {}", still.join(" ")));
    }
    let cmake = find_cmake().ok_or_else(|| {
        format!(
            "no cmake >= {}.{} after install (looked at $CMAKE, python3's cmake package, {} and PATH)",
            MIN_CMAKE.0,
            MIN_CMAKE.1,
            venv.display()
        )
    })?;
    Ok(Toolchain { cmake })
}

/// The Debian names of the packages that are not there.
fn missing_packages() -> Vec<&'static str> {
    PACKAGES
        .iter()
        .filter(|p| !present(p))
        .map(|p| p.name)
        .collect()
}

fn present(package: &Package) -> bool {
    match package.command {
        Some(command) => has(command),
        None => Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", package.name])
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed")),
    }
}

/// Whether `command` is on PATH.
fn has(command: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(command).is_file()))
}

/// Whether `python3 -m venv` would work (Debian splits `venv`'s pip bootstrap into
/// `python3-venv`).
fn python_can_make_a_venv() -> bool {
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Where a PyPI cmake is installed when no system one is new enough.
fn cmake_venv() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("slate-xtask").join("cmake-venv")
}

/// The first cmake ≥ 3.28 among `$CMAKE`, python3's `cmake` package (where `pip install cmake`
/// puts it), our private virtual environment and PATH. The order keeps one answer on a machine
/// where several exist, so the C++ builds see the same `$CMAKE` from run to run.
fn find_cmake() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("CMAKE") {
        candidates.push(PathBuf::from(path));
    }
    if let Ok(out) = Command::new("python3")
        .args([
            "-c",
            "import cmake, os; print(os.path.join(cmake.CMAKE_BIN_DIR, 'cmake'))",
        ])
        .stderr(Stdio::null())
        .output()
        && out.status.success()
    {
        candidates.push(PathBuf::from(
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        ));
    }
    candidates.push(cmake_venv().join("bin").join("cmake"));
    candidates.push(PathBuf::from("cmake"));
    candidates
        .into_iter()
        .find(|c| version_of(c).is_some_and(|v| v >= MIN_CMAKE))
}

/// `cmake --version`'s major and minor version.
fn version_of(cmake: &Path) -> Option<(u32, u32)> {
    let out = Command::new(cmake)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_version(text.split_whitespace().nth(2)?)
}

/// `"3.25.1"` → `(3, 25)`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    Some((major, minor))
}

/// Whether apt would install a cmake ≥ 3.28 (Debian 13, Ubuntu 24.04: yes; Debian 12: no).
fn apt_candidate_is_new_enough(package: &str) -> bool {
    let Ok(out) = Command::new("apt-cache")
        .args(["policy", package])
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| line.trim().strip_prefix("Candidate:"))
        .and_then(|v| {
            let v = v.trim();
            let v = v.split_once(':').map_or(v, |(_, rest)| rest);
            parse_version(v)
        })
        .is_some_and(|v| v >= MIN_CMAKE)
}

/// Runs an installer's shell line. Its output goes to our standard error: standard output
/// carries only the `export` line that `eval "$(cargo xtask setup)"` reads, and apt's progress
/// there broke that `eval` on a fresh machine.
fn run_shell(line: &str) -> Result<()> {
    let status = Command::new("sh")
        .args(["-c", line])
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| format!("running `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("3.25.1"), Some((3, 25)));
        assert_eq!(parse_version("4.4.5"), Some((4, 4)));
        assert_eq!(parse_version("3.28.3-1build7"), Some((3, 28)));
        assert_eq!(parse_version("3.31rc1"), Some((3, 31)));
        assert_eq!(parse_version("(none)"), None);
        assert!(parse_version("3.28.0").unwrap() >= MIN_CMAKE);
        assert!(parse_version("3.25.1").unwrap() < MIN_CMAKE);
    }
}
