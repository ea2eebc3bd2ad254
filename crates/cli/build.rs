//! Links the `slate` program with run paths to the XGBoost shared library: beside the
//! program (`$ORIGIN`, where `cargo xtask` copies it in the target directory) and in
//! `../lib/slate` (where `cargo xtask install` puts it), so it runs from any directory with no
//! `LD_LIBRARY_PATH`.

fn main() {
    println!("cargo:rustc-link-arg-bin=slate=-Wl,-rpath,$ORIGIN:$ORIGIN/../lib/slate");
}
