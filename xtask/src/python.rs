//! `cargo xtask python [--python PY]`: the Python package `slate_interference`, built from this
//! workspace and installed into PY's environment.
//!
//! The wheel is built by maturin in the workspace's `dev` profile and target directory, with
//! the build's environment ([`Toolchain`]) and the workspace's lockfile, so after `cargo xtask
//! test` only the extension crate itself is compiled again (PyO3 builds without an
//! interpreter: `PYO3_NO_PYTHON` in `.cargo/config.toml`). A plain `pip install
//! ./crates/python` would build the release profile: a second full compile.
//!
//! The extension links the XGBoost shared library with the run path `$ORIGIN`
//! (`crates/python/build.rs`); the library, stripped of its debug information, is copied into
//! the package before the wheel is packed, so `import slate_interference` needs no
//! `LD_LIBRARY_PATH`. maturin itself comes from PyPI, pinned, into a venv of its own that is
//! reused across runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::setup::Toolchain;

/// The maturin release the wheel is built with.
const MATURIN: &str = "maturin==1.16.0";

/// Builds the wheel and installs it (with its dependencies from PyPI) into `python`'s
/// environment; returns the wheel.
pub fn install(root: &Path, toolchain: &Toolchain, python: &Path) -> Result<PathBuf> {
    let built = crate::binary::build(root, toolchain)?;
    let package = root.join("crates/python/python/slate_interference");
    let library = built
        .libraries
        .iter()
        .find(|p| p.file_name().is_some_and(|n| n == "libxgboost.so.3"))
        .ok_or("the XGBoost build has no libxgboost.so.3")?;
    strip_into(library, &package.join("libxgboost.so.3"))?;
    let maturin = maturin()?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wheels = target.join("wheels");
    // A wheel of an earlier version must not be the one installed.
    let _ = std::fs::remove_dir_all(&wheels);
    // maturin runs cargo: the same clean environment as our own cargo commands.
    let mut command = crate::command_in(root, maturin.as_os_str());
    command
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--profile", "dev", "--locked", "--strip"])
        .args(["--auditwheel", "skip", "--compatibility", "linux"])
        .arg("--interpreter")
        .arg(python)
        .arg("--manifest-path")
        .arg(root.join("crates/python/Cargo.toml"))
        .arg("--out")
        .arg(&wheels);
    toolchain.apply(&mut command);
    run(&mut command, "maturin build")?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| format!("{}: {e}", wheels.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| format!("maturin wrote no wheel into {}", wheels.display()))?;
    run(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--force-reinstall",
                "--no-deps",
            ])
            .arg(&wheel),
        "pip install (the wheel)",
    )?;
    // Its dependencies, where the environment lacks them (pip keeps what satisfies them).
    run(
        Command::new(python)
            .args(["-m", "pip", "install", "--quiet"])
            .arg(&wheel),
        "pip install (the wheel's dependencies)",
    )?;
    Ok(wheel)
}

/// The Python to install into: `--python PY`, else the active virtual environment's, else
/// `python3`.
pub fn interpreter(args: &[String]) -> Result<PathBuf> {
    match args {
        [] => Ok(std::env::var_os("VIRTUAL_ENV")
            .map(|venv| Path::new(&venv).join("bin").join("python"))
            .unwrap_or_else(|| PathBuf::from("python3"))),
        [flag, python] if flag == "--python" => Ok(PathBuf::from(python)),
        _ => Err("usage: cargo xtask python [--python PY]".into()),
    }
}

/// maturin, installed into its own venv under `~/.cache/slate-xtask` on first use.
fn maturin() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").ok_or("no HOME for the maturin venv")?;
    let venv = Path::new(&home).join(".cache/slate-xtask/maturin-venv");
    let maturin = venv.join("bin/maturin");
    let pinned = Command::new(&maturin)
        .arg("--version")
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout).trim() == MATURIN.replace("==", " ").as_str()
        });
    if !pinned {
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv (for maturin)",
        )?;
        run(
            Command::new(venv.join("bin/pip")).args(["install", "--quiet", MATURIN]),
            "pip install maturin",
        )?;
    }
    Ok(maturin)
}

/// Copies `from` to `to` without its debug information (`strip --strip-debug`: 202 MB → a
/// few), through a temporary file and a rename.
fn strip_into(from: &Path, to: &Path) -> Result<()> {
    let temp = to.with_extension("partial");
    run(
        Command::new("strip")
            .arg("--strip-debug")
            .arg("-o")
            .arg(&temp)
            .arg(from),
        "strip (the XGBoost library)",
    )?;
    std::fs::rename(&temp, to).map_err(|e| format!("{}: {e}", to.display()))
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| format!("running {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}
