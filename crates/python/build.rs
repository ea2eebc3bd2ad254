//! Links the extension module with the run path `$ORIGIN`, where the wheel carries the XGBoost
//! shared library (`cargo xtask python` copies it into the package), so `import
//! slate_interference` needs no `LD_LIBRARY_PATH`.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,$ORIGIN");
}
