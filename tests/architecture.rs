//! Architecture invariants, checked by machine: every crate depends only on the crates the
//! dependency graph allows it, and every crate root opens with a `//!` doc saying what it owns.

use std::path::{Path, PathBuf};

/// Every crate and the internal crates it may use directly, for its code and its tests alike;
/// it may also use whatever those may use ([`allowed`] closes the list). The graph is a partial
/// order, not one line: at the bottom, `table` (schemas and artifact I/O) and the impression
/// `log` (the boundary between data and analysis). The sources produce a log (`ingest` →
/// `simulate`); the analysis consumes one (`exposure` → `reduction` → `estimate` → `models` →
/// `report`) and never depends on a source. `studies` joins a source and the analysis (it
/// simulates populations and estimates on them); `pipeline` wires every stage to its files;
/// `bench` times the pipeline; `cli` is the `slate` program on top, and `python` the Python
/// package's bindings beside it (the same library calls, never the program). `xtask` sits outside the
/// graph with no dependencies. Each crate is listed after everything it may use.
const GRAPH: &[(&str, &[&str])] = &[
    ("table", &[]),
    ("log", &["table"]),
    ("ingest", &["table"]),
    ("simulate", &["log", "ingest"]),
    ("exposure", &["log"]),
    ("reduction", &["exposure"]),
    ("estimate", &["reduction"]),
    ("models", &["estimate"]),
    ("report", &["models"]),
    ("studies", &["simulate", "estimate"]),
    ("pipeline", &["report", "studies"]),
    ("bench", &["pipeline"]),
    ("cli", &["bench"]),
    ("python", &["pipeline"]),
];

/// The sources of a log.
const SOURCES: &[&str] = &["ingest", "simulate"];

/// The analysis crates: they read only the log, never a source (what a source wrote reaches
/// the report from the pipeline, as typed lists).
const LOG_ANALYSIS: &[&str] = &["exposure", "reduction", "estimate", "models", "report"];

/// Every section of a manifest that names a dependency.
const SECTIONS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];

/// Every crate `krate` may depend on: the crates [`GRAPH`] lists for it and, transitively,
/// whatever those may depend on.
fn allowed(krate: &str) -> Vec<&'static str> {
    let direct = GRAPH
        .iter()
        .find(|(name, _)| *name == krate)
        .map(|(_, deps)| *deps)
        .unwrap_or_else(|| panic!("crates/{krate} is not in the dependency graph"));
    let mut all: Vec<&'static str> = Vec::new();
    for dep in direct {
        for d in allowed(dep).into_iter().chain([*dep]) {
            if !all.contains(&d) {
                all.push(d);
            }
        }
    }
    all
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
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
fn every_crate_depends_only_on_crates_it_may() {
    for (krate, _) in GRAPH {
        if !root().join("crates").join(krate).exists() {
            continue;
        }
        let may = allowed(krate);
        for dep in internal_dependencies_in(krate, &SECTIONS) {
            assert!(
                may.contains(&dep.as_str()),
                "crate `{krate}` must not depend on `{dep}` (it may depend on {may:?})"
            );
        }
    }
}

/// The graph has no cycle: every crate lists only crates above it in [`GRAPH`], so each may
/// use only crates below it.
#[test]
fn the_graph_is_a_partial_order() {
    for (rank, (krate, direct)) in GRAPH.iter().enumerate() {
        for dep in *direct {
            let dep_rank = GRAPH
                .iter()
                .position(|(name, _)| name == dep)
                .unwrap_or_else(|| panic!("`{krate}` may use unknown crate `{dep}`"));
            assert!(
                dep_rank < rank,
                "`{krate}` may use `{dep}`, listed after it"
            );
        }
    }
    // The analysis never reaches a source through what it may use.
    for krate in LOG_ANALYSIS {
        let may = allowed(krate);
        assert!(
            SOURCES.iter().all(|s| !may.contains(s)),
            "`{krate}` may reach a source: {may:?}"
        );
    }
}

/// Not even for tests: their fixtures are logs (`slate_log::synthetic`, committed CSVs).
#[test]
fn the_analysis_never_depends_on_a_source() {
    for krate in LOG_ANALYSIS {
        for dep in internal_dependencies_in(krate, &SECTIONS) {
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
fn every_crate_is_in_the_graph_and_opens_with_a_crate_doc() {
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        allowed(&name);
        // A library's root, or the program's for the binary-only `cli`.
        let root_file = ["lib.rs", "main.rs"]
            .into_iter()
            .find(|f| dir.join("src").join(f).exists())
            .unwrap_or_else(|| panic!("crates/{name} has neither src/lib.rs nor src/main.rs"));
        let text = std::fs::read_to_string(dir.join("src").join(root_file)).unwrap();
        assert!(
            text.starts_with("//!"),
            "crates/{name}/src/{root_file} must open with a //! crate doc"
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

/// Every label type of the workspace: the file that defines it and its texts, read from the
/// type itself. [`every_label_type_is_listed`] keeps the list complete.
fn label_types() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    use slate_estimate::contrasts::{Contrast, OutcomeView};
    use slate_estimate::decompose::{Component, EffectFamily, ProductMetric, SpilloverDefinition};
    use slate_estimate::inference::{ClusteredMethod, InferenceMethod};
    use slate_estimate::tables::{Arm, Knob, LiftPart, RowUnit, Scenario};
    use slate_exposure::schema::ColumnRole;
    use slate_ingest::SetupCheck;
    use slate_log::CovariateLevel;
    use slate_models::learner::Learner;
    use slate_models::tables::{Dimension, Estimator, PolicyRule, Propensity, Split};
    use slate_report::final_report::{ArtifactKind, SummarySection};
    use slate_table::Label;

    fn of<L: Label>(file: &'static str) -> (&'static str, &'static str, Vec<&'static str>) {
        let name = std::any::type_name::<L>().rsplit("::").next().unwrap();
        (name, file, L::ALL.iter().map(|l| l.text()).collect())
    }
    vec![
        of::<Contrast>("crates/estimate/src/contrasts.rs"),
        of::<OutcomeView>("crates/estimate/src/contrasts.rs"),
        of::<LiftPart>("crates/estimate/src/tables.rs"),
        of::<Scenario>("crates/estimate/src/tables.rs"),
        of::<Knob>("crates/estimate/src/tables.rs"),
        of::<Arm>("crates/estimate/src/tables.rs"),
        of::<RowUnit>("crates/estimate/src/tables.rs"),
        of::<SetupCheck>("crates/ingest/src/readiness.rs"),
        of::<EffectFamily>("crates/estimate/src/decompose.rs"),
        of::<Component>("crates/estimate/src/decompose.rs"),
        of::<ProductMetric>("crates/estimate/src/decompose.rs"),
        of::<SpilloverDefinition>("crates/estimate/src/decompose.rs"),
        of::<InferenceMethod>("crates/estimate/src/inference.rs"),
        of::<ClusteredMethod>("crates/estimate/src/inference.rs"),
        of::<Learner>("crates/models/src/learner.rs"),
        of::<Split>("crates/models/src/tables.rs"),
        of::<Estimator>("crates/models/src/tables.rs"),
        of::<Propensity>("crates/models/src/tables.rs"),
        of::<PolicyRule>("crates/models/src/tables.rs"),
        of::<Dimension>("crates/models/src/tables.rs"),
        of::<ColumnRole>("crates/exposure/src/schema.rs"),
        of::<CovariateLevel>("crates/log/src/impression.rs"),
        of::<SummarySection>("crates/report/src/final_report/tables.rs"),
        of::<ArtifactKind>("crates/report/src/final_report/tables.rs"),
    ]
}

/// Every `.rs` file under `crates/*/src`, as (path relative to the root, text).
fn library_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        walk(&entry.unwrap().path().join("src"), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let relative = path
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .to_string();
            (relative, text)
        })
        .collect()
}

/// The string literals of a file's non-test code: everything before its `#[cfg(test)]`
/// module (a `tests.rs` file has none), comment lines skipped.
fn non_test_literals(path: &str, text: &str) -> Vec<String> {
    if path.ends_with("/tests.rs") || path.contains("/tests/") {
        return Vec::new();
    }
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut literals = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c != '"' {
                continue;
            }
            let mut literal = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    c => literal.push(c),
                }
            }
            literals.push(literal);
        }
    }
    literals
}

/// Labels whose texts are the names of what they stand for, owned elsewhere: (label, the
/// files that own those names, by path prefix). A design knob is written as the config field
/// it sets, and the simulation's config check names its fields; a heterogeneity dimension is
/// written as the per-slate column it groups by, a name of the reduction's vocabulary. (The
/// label's crate cannot depend on the owner's, or may not own the name.)
const SHARED_WITH_THEIR_OWNER: &[(&str, &str)] = &[
    ("Knob", "crates/simulate/src/config.rs"),
    ("Dimension", "crates/reduction/src/"),
];

#[test]
fn no_crate_restates_a_label() {
    let labels = label_types();
    let mut restated = Vec::new();
    for (path, text) in library_sources() {
        for literal in non_test_literals(&path, &text) {
            // A canonical log column's name is that column wherever it is written (an arm is
            // `promoted` or not, as the log's flag).
            if slate_log::LogColumn::ALL
                .iter()
                .any(|c| c.name() == literal)
            {
                continue;
            }
            for (name, file, texts) in &labels {
                if SHARED_WITH_THEIR_OWNER
                    .iter()
                    .any(|(label, owner)| label == name && path.starts_with(owner))
                {
                    continue;
                }
                for label in texts.iter().filter(|t| t.len() >= 8) {
                    if path != *file && literal == *label {
                        restated.push(format!(
                            "{path}: \"{literal}\" restates {name}'s \"{label}\""
                        ));
                    }
                }
            }
        }
    }
    assert!(
        restated.is_empty(),
        "find rows by the label's value and write its text with `Label::text` or `Display`:\n{}",
        restated.join("\n")
    );
}

#[test]
fn every_label_type_is_listed() {
    let listed: Vec<(&str, &str)> = label_types()
        .iter()
        .map(|(name, file, _)| (*name, *file))
        .collect();
    let mut found = Vec::new();
    for (path, text) in library_sources() {
        if path == "crates/table/src/label.rs" {
            continue;
        }
        for line in text.lines().map(str::trim) {
            let names: Vec<&str> = if let Some(rest) = line.strip_prefix("slate_table::label!(") {
                rest.trim_end_matches(");")
                    .split(',')
                    .map(str::trim)
                    .collect()
            } else if line.starts_with("impl") && line.contains("Label for ") {
                let rest = line.split("Label for ").nth(1).unwrap();
                vec![rest.trim_end_matches('{').trim()]
            } else {
                continue;
            };
            for name in names.into_iter().filter(|n| !n.is_empty()) {
                found.push((name.to_string(), path.clone()));
            }
        }
    }
    assert!(
        !found.is_empty(),
        "no label type found: did the macro's name change?"
    );
    for (name, path) in &found {
        assert!(
            listed.contains(&(name.as_str(), path.as_str())),
            "{path} defines the label {name}: list it in `label_types`"
        );
    }
    assert_eq!(
        found.len(),
        listed.len(),
        "label_types lists a type no file defines"
    );
}

#[test]
fn every_label_text_names_one_value() {
    // A method whose label does not name its clusters reads the same under both clusterings
    // (and reads back as slate-clustered): compare its `method`, not its clustering.
    for (name, _, texts) in label_types()
        .into_iter()
        .filter(|(n, ..)| *n != "ClusteredMethod")
    {
        for (i, text) in texts.iter().enumerate() {
            assert!(
                !texts[..i].contains(text),
                "{name}: \"{text}\" names two values"
            );
        }
    }
}
