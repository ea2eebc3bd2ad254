//! The workspace-hack crate: no code, only dependencies. `cargo hakari generate` lists in its
//! `Cargo.toml` every third-party crate that the workspace's members build with different
//! features, with the union of those features; every member but xtask depends on it, so a
//! crate built alone (`cargo test -p <crate>`) resolves the same features as the whole
//! workspace and reuses its compiled dependencies. It may depend on third-party crates only.
