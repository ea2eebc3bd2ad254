//! `cargo xtask`: the project's front door, in the style of rust-analyzer's xtask.
//!
//! It has no dependencies, so it compiles in seconds on a machine that cannot build the
//! pipeline yet. Every command first makes sure the system prerequisites are there
//! ([`setup`]: C/C++ compilers, pkg-config, ninja, OpenBLAS, libclang, cmake ≥ 3.28), installing
//! them when it runs as root on Debian or Ubuntu and printing the exact commands otherwise.
//!
//! - `cargo xtask test [ARGS]`: `cargo test --workspace --locked [ARGS]` (`-p CRATE`: one
//!   crate's tests instead of the workspace's).
//! - `cargo xtask install [--root DIR]`: the `slate` program into `DIR/bin` (default: cargo's
//!   own install root), runnable from anywhere ([`binary`]).
//! - `cargo xtask python [--python PY]`: the Python package into PY's environment ([`python`]).
//! - `cargo xtask setup`: the prerequisites alone; prints the build's environment as a shell
//!   `export` line, for `eval "$(cargo xtask setup)"` before plain cargo commands.
//! - `cargo xtask <anything else>`: builds `slate` and runs `slate <anything else>` in its
//!   place, with the repository as the project directory (default `data/`, `writeup/`).

mod binary;
mod python;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The workspace root: the parent of this crate's manifest directory. `cargo run` (so `cargo
/// xtask`) gives the running xtask its manifest directory in the environment: that one wins
/// over the directory compiled in, because two clones that share a target directory share one
/// `xtask` binary, and the compiled-in path would be the other clone's.
fn workspace_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().unwrap_or(&manifest).to_path_buf()
}

/// What went wrong, in a sentence for the user.
type Result<T> = std::result::Result<T, String>;

const HELP: &str = "\
cargo xtask: set up this machine, build the `slate` program and run it

Commands of xtask itself:
  cargo xtask test [ARGS]          install the prerequisites, then run every test
                                   (cargo test --workspace --locked [ARGS]; with -p CRATE,
                                   that crate's tests only)
  cargo xtask install [--root DIR] install the `slate` program into DIR/bin
                                   [default: $CARGO_INSTALL_ROOT, else $CARGO_HOME, else ~/.cargo]
  cargo xtask python [--python PY] build the Python package slate_interference and install
                                   it into PY's environment [default: the active venv's
                                   python, else python3]
  cargo xtask setup                check and install the system prerequisites only, and
                                   print the build's environment: run
                                   eval \"$(cargo xtask setup)\" before plain cargo commands

Every other command is a `slate` command, built and run from this repository
(defaults under data/ and writeup/ here). Its help follows.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode> {
    let root = workspace_root();
    let first = args.first().map(String::as_str);
    let toolchain = setup::ensure_prerequisites()?;
    match first {
        Some("setup") => {
            eprintln!("xtask: every prerequisite is present");
            // For `eval "$(cargo xtask setup)"` before running cargo directly.
            let line = format!("export {}\n", toolchain.shell_exports());
            std::io::Write::write_all(&mut std::io::stdout(), line.as_bytes())
                .map_err(|e| format!("writing to stdout: {e}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Some("test") => {
            let rest = &args[1..];
            let one_package = rest
                .iter()
                .any(|a| a.starts_with("-p") || a.starts_with("--package"));
            let mut command = cargo_command(&root);
            command
                .args(["test", "--locked"])
                .args((!one_package).then_some("--workspace"))
                .args(rest);
            toolchain.apply(&mut command);
            status_code(&mut command)
        }
        Some("python") => {
            let python = python::interpreter(&args[1..])?;
            let wheel = python::install(&root, &toolchain, &python)?;
            eprintln!(
                "xtask: installed {} into {}",
                wheel.display(),
                python.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some("install") => {
            let install_root = match &args[1..] {
                [] => binary::default_install_root()?,
                [flag, dir] if flag == "--root" => PathBuf::from(dir),
                _ => return Err("usage: cargo xtask install [--root DIR]".into()),
            };
            let built = binary::build(&root, &toolchain)?;
            let installed = binary::install(&built, &install_root)?;
            eprintln!("xtask: installed {}", installed.display());
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            if matches!(first, None | Some("help" | "--help" | "-h")) {
                eprintln!("{HELP}");
            }
            let built = binary::build(&root, &toolchain)?;
            binary::exec(&built.executable, args, &root)
        }
    }
}

/// A command running the cargo that runs us (`$CARGO`, so the same toolchain builds the
/// pipeline), in the repository, without the variables `cargo run` set for us.
///
/// Those describe xtask's own package (`CARGO_MANIFEST_DIR`, `CARGO_PKG_*`, ...), and some
/// build scripts track them (ring reruns when `CARGO_MANIFEST_DIR` changes): left in, a build
/// through xtask and a plain `cargo` build (clippy in CI) would rebuild each other's
/// dependencies.
fn cargo_command(root: &Path) -> Command {
    command_in(
        root,
        &std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
    )
}

/// A command running `program` in the repository without the variables `cargo run` set for
/// us (see [`cargo_command`]): for cargo, and for tools that run cargo (maturin).
fn command_in(root: &Path, program: &std::ffi::OsStr) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo_run = name.starts_with("CARGO_PKG_")
            || [
                "CARGO",
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "OUT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo_run {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// Runs `command` and returns its exit code as ours.
fn status_code(command: &mut Command) -> Result<ExitCode> {
    let status = command
        .status()
        .map_err(|e| format!("running {command:?}: {e}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}
