//! Building, running and installing the `slate` program.
//!
//! XGBoost is compiled by its -sys crate into a shared `libxgboost.so` inside that crate's
//! build directory. `slate` is linked with the run paths `$ORIGIN` and `$ORIGIN/../lib/slate`
//! (`crates/cli/build.rs`), and the library is copied beside the built binary and, on install,
//! into `<root>/lib/slate`, so the program finds it from any directory without
//! `LD_LIBRARY_PATH`. (The alternative, linking XGBoost statically, would need a patched copy
//! of the -sys crate, which hard-codes `dylib=xgboost`.)

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use crate::Result;
use crate::setup::Toolchain;

/// The built program and the shared library it needs.
pub struct Built {
    /// `target/<profile>/slate`.
    pub executable: PathBuf,
    /// Every `libxgboost.so*` file (the library and its soname link).
    pub libraries: Vec<PathBuf>,
}

/// Builds `slate` (the `dev` profile, which optimises everything; the tests share it) and
/// puts the XGBoost library beside it.
pub fn build(root: &Path, toolchain: &Toolchain) -> Result<Built> {
    let mut command = crate::cargo_command(root);
    command
        .args([
            "build",
            "--locked",
            "--package",
            "slate-cli",
            "--bin",
            "slate",
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped());
    toolchain.apply(&mut command);
    let output = command
        .spawn()
        .and_then(|child| child.wait_with_output())
        .map_err(|e| format!("running cargo build: {e}"))?;
    if !output.status.success() {
        return Err("building the slate program failed (see cargo's messages above)".into());
    }
    let messages = String::from_utf8_lossy(&output.stdout);
    let executable = messages
        .lines()
        .filter(|l| l.contains(r#""reason":"compiler-artifact""#))
        .find_map(|l| json_string(l, "executable").filter(|p| p.ends_with("/slate")))
        .map(PathBuf::from)
        .ok_or("cargo build reported no `slate` executable")?;
    let out_dir = messages
        .lines()
        .filter(|l| {
            l.contains(r#""reason":"build-script-executed""#) && l.contains("xgboost_lib-sys")
        })
        .find_map(|l| json_string(l, "out_dir"))
        .map(PathBuf::from)
        .ok_or("cargo build reported no XGBoost build directory")?;
    let libraries = xgboost_libraries(&out_dir.join("lib"))?;
    let beside = executable
        .parent()
        .ok_or("the slate executable has no parent directory")?;
    copy_libraries(&libraries, beside)?;
    Ok(Built {
        executable,
        libraries,
    })
}

/// Replaces this process with `slate ARGS`, with `root` as the project directory.
pub fn exec(executable: &Path, args: &[String], root: &Path) -> Result<ExitCode> {
    let error = Command::new(executable)
        .args(args)
        .env("SLATE_PROJECT_DIR", root)
        .exec();
    Err(format!("running {}: {error}", executable.display()))
}

/// Cargo's install root: `$CARGO_INSTALL_ROOT`, else `$CARGO_HOME`, else `~/.cargo`.
pub fn default_install_root() -> Result<PathBuf> {
    for var in ["CARGO_INSTALL_ROOT", "CARGO_HOME"] {
        if let Some(dir) = std::env::var_os(var) {
            return Ok(PathBuf::from(dir));
        }
    }
    std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".cargo"))
        .ok_or_else(|| "no HOME; pass --root DIR".into())
}

/// Copies the program to `root/bin/slate` and the library to `root/lib/slate/`; returns the
/// installed program.
pub fn install(built: &Built, root: &Path) -> Result<PathBuf> {
    let bin = root.join("bin");
    copy_libraries(&built.libraries, &root.join("lib").join("slate"))?;
    let target = bin.join("slate");
    copy_file(&built.executable, &target)?;
    Ok(target)
}

/// The `libxgboost.so*` files in `dir`.
fn xgboost_libraries(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut libraries: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("libxgboost.so"))
        })
        .collect();
    libraries.sort();
    if libraries.is_empty() {
        return Err(format!("no libxgboost.so in {}", dir.display()));
    }
    Ok(libraries)
}

fn copy_libraries(libraries: &[PathBuf], dir: &Path) -> Result<()> {
    for library in libraries {
        let name = library.file_name().ok_or("a library path without a name")?;
        copy_file(library, &dir.join(name))?;
    }
    Ok(())
}

/// Copies `from` (following links) to `to` through a temporary file and a rename, so a running
/// program never sees a half-written file; skips the copy when the bytes are already there.
fn copy_file(from: &Path, to: &Path) -> Result<()> {
    let fail = |e: std::io::Error| format!("copying {} to {}: {e}", from.display(), to.display());
    let bytes = std::fs::read(from).map_err(fail)?;
    if std::fs::read(to).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    let dir = to.parent().ok_or("a destination without a directory")?;
    std::fs::create_dir_all(dir).map_err(fail)?;
    let name = to.file_name().ok_or("a destination without a name")?;
    let temp = dir.join(format!(".{}.partial", name.to_string_lossy()));
    std::fs::write(&temp, &bytes).map_err(fail)?;
    let permissions = std::fs::metadata(from).map_err(fail)?.permissions();
    std::fs::set_permissions(&temp, permissions).map_err(fail)?;
    std::fs::rename(&temp, to).map_err(fail)
}

/// The string value of `"key":"..."` in one line of cargo's JSON messages (cargo writes paths
/// with `\\` and `\"` escapes only).
fn json_string(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!(r#""{key}":""#))? + key.len() + 4;
    let mut value = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_read_with_escapes() {
        let line = r#"{"reason":"compiler-artifact","executable":"/t/debug/slate","fresh":true}"#;
        assert_eq!(
            json_string(line, "executable").as_deref(),
            Some("/t/debug/slate")
        );
        let line = r#"{"out_dir":"/a \"b\"\\c/out","x":1}"#;
        assert_eq!(
            json_string(line, "out_dir").as_deref(),
            Some(r#"/a "b"\c/out"#)
        );
        assert_eq!(json_string(line, "missing"), None);
        assert_eq!(json_string(r#"{"out_dir":"unterminated"#, "out_dir"), None);
    }
}
