//! Architecture invariants, checked by machine: layers depend only downwards, and every library
//! crate opens with a `//!` doc saying what it owns.

use std::path::{Path, PathBuf};

/// Crates from the bottom of the stack to the top: `table`, the impression `log` (the boundary
/// between data and analysis), the sources that produce a log (`ingest` → `simulate`), the
/// analysis that consumes one (`exposure` → `estimate` → `models` → `report`), then `cli` (the
/// `slate` program), which may use all of them. `xtask` sits outside the stack with no
/// dependencies.
const LAYERS: &[&str] = &[
    "table", "log", "ingest", "simulate", "exposure", "estimate", "models", "report", "cli",
];

/// The sources of a log.
const SOURCES: &[&str] = &["ingest", "simulate"];

/// The analysis crates that read only the log: never a source. (`report` may list the
/// MovieLens source tables in the MovieLens run's load index.)
const LOG_ANALYSIS: &[&str] = &["exposure", "estimate", "models"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn internal_dependencies(krate: &str) -> Vec<String> {
    internal_dependencies_in(krate, &["dependencies", "build-dependencies"])
}

fn internal_dependencies_in(krate: &str, sections: &[&str]) -> Vec<String> {
    let manifest =
        std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let manifest: toml::Table = manifest.parse().unwrap();
    let mut deps = Vec::new();
    for section in sections {
        if let Some(table) = manifest.get(*section).and_then(|t| t.as_table()) {
            deps.extend(
                table
                    .keys()
                    .filter_map(|k| k.strip_prefix("slate-").map(str::to_string)),
            );
        }
    }
    deps
}

#[test]
fn layers_depend_only_on_layers_below() {
    for (rank, krate) in LAYERS.iter().enumerate() {
        if !root().join("crates").join(krate).exists() {
            continue;
        }
        for dep in internal_dependencies(krate) {
            let dep_rank = LAYERS
                .iter()
                .position(|l| *l == dep)
                .unwrap_or_else(|| panic!("unknown layer {dep}"));
            assert!(
                dep_rank < rank,
                "crate `{krate}` must not depend on `{dep}` (same or higher layer)"
            );
        }
    }
}

/// Not even for tests: their fixtures are logs (`slate_log::synthetic`, committed CSVs).
#[test]
fn the_analysis_never_depends_on_a_source() {
    for krate in LOG_ANALYSIS {
        let sections = ["dependencies", "dev-dependencies", "build-dependencies"];
        for dep in internal_dependencies_in(krate, &sections) {
            assert!(
                !SOURCES.contains(&dep.as_str()),
                "analysis crate `{krate}` must not depend on the source `{dep}`: it reads the log"
            );
        }
    }
}

/// `cargo xtask` must compile in seconds on a machine that cannot build the pipeline yet (it
/// installs what that build needs), so it has no dependencies at all.
#[test]
fn xtask_has_no_dependencies() {
    let manifest = std::fs::read_to_string(root().join("xtask").join("Cargo.toml")).unwrap();
    let manifest: toml::Table = manifest.parse().unwrap();
    for section in ["dependencies", "build-dependencies"] {
        let deps = manifest.get(section).and_then(|t| t.as_table());
        assert!(
            deps.is_none_or(|t| t.is_empty()),
            "xtask/Cargo.toml [{section}]: {deps:?}"
        );
    }
}

#[test]
fn every_crate_is_a_known_layer_and_opens_with_a_crate_doc() {
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            LAYERS.contains(&name.as_str()),
            "crates/{name} is not in the layer list"
        );
        let lib = std::fs::read_to_string(dir.join("src").join("lib.rs")).unwrap();
        assert!(
            lib.starts_with("//!"),
            "crates/{name}/src/lib.rs must open with a //! crate doc"
        );
    }
    for lib in ["xtask/src/main.rs", "tests/lib.rs"] {
        assert!(
            std::fs::read_to_string(root().join(lib))
                .unwrap()
                .starts_with("//!"),
            "{lib}"
        );
    }
}
