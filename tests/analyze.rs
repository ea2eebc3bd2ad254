//! `analyze --log` end to end: the MovieLens run's own log gives the `all` run's tables back,
//! a team's log without truth is analyzed without any truth table, and bad logs are errors
//! that name the file, row and column and write nothing (or, with `drop`, lose only the bad
//! slates).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use slate_e2e::{small_pipeline, small_run};
use slate_log::OnBadSlate;
use slate_pipeline::{LogSource, Paths, Pipeline};

/// The simulation's log with the MovieLens covariates, analyzed into `root`.
fn analyze(
    pipeline: &Pipeline,
    log: &Path,
    root: &Path,
    policy: OnBadSlate,
) -> anyhow::Result<Pipeline> {
    let mut config = pipeline.config.clone();
    config.log = slate_simulate::log::log_config();
    let analysis = Pipeline {
        config,
        paths: Paths::under(root),
        progress: false,
    };
    analysis.analyze(LogSource::Rows(log, policy), &AtomicBool::new(false))?;
    Ok(analysis)
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The analysis summary `pipeline` wrote.
fn summary_of(pipeline: &Pipeline) -> String {
    std::fs::read_to_string(
        pipeline
            .paths
            .writeup_dir
            .join(slate_report::LOG_SUMMARY_FILE),
    )
    .unwrap()
}

fn sim_log(pipeline: &Pipeline) -> PathBuf {
    pipeline
        .paths
        .processed_dir
        .join(slate_simulate::log::IMPRESSION_LOG.file_name)
}

#[test]
fn the_runs_own_log_reproduces_every_analysis_table_byte_for_byte() {
    let run = tempfile::tempdir().unwrap();
    let all = small_run(run.path());
    let out = tempfile::tempdir().unwrap();
    let analysis = analyze(&all, &sim_log(&all), out.path(), OnBadSlate::Error).unwrap();
    let (a, b) = (&all.paths.processed_dir, &analysis.paths.processed_dir);
    let mut compared = 0;
    for name in files(b) {
        if name == slate_report::RUN_MANIFEST_FILE || name == slate_log::DROPPED_SLATES.file_name {
            continue;
        }
        let (left, right) = (std::fs::read(a.join(&name)), std::fs::read(b.join(&name)));
        assert!(left.is_ok(), "{name} is written by analyze but not by all");
        assert!(
            left.unwrap() == right.unwrap(),
            "{name} differs between all and analyze"
        );
        compared += 1;
    }
    // Exposure (5), estimate (10 + inference), decomposition (7), models (6).
    assert!(compared >= 28, "{compared} tables compared");
    let summary = summary_of(&analysis);
    assert!(summary.contains("No slate was dropped"), "{summary}");
    let manifest = std::fs::read_to_string(b.join(slate_report::RUN_MANIFEST_FILE)).unwrap();
    assert!(manifest.contains("\"command\": \"analyze\""), "{manifest}");
    assert!(manifest.contains("\"sha256\": \""), "{manifest}");
}

/// The estimate crate's user-randomized fixture: string ids, no truth, the team's own names.
fn user_log() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/estimate/tests/reference/user_log.csv")
}

fn user_pipeline(root: &Path) -> Pipeline {
    let mut pipeline = small_pipeline(root);
    pipeline.config.log = toml::from_str(
        "covariates = [\"score\"]\noutcomes = [\"dwell\"]\n[columns]\nslate_id = \"impression\"\nunit_id = \"user\"\n",
    )
    .unwrap();
    pipeline
}

#[test]
fn a_log_without_truth_gets_no_truth_table_or_column() {
    let root = tempfile::tempdir().unwrap();
    let pipeline = user_pipeline(root.path());
    pipeline
        .analyze(
            LogSource::Rows(&user_log(), OnBadSlate::Error),
            &AtomicBool::new(false),
        )
        .unwrap();
    let processed = &pipeline.paths.processed_dir;
    let names = files(processed);
    for absent in [
        slate_estimate::tables::VALIDATION.file_name,
        slate_estimate::tables::SLATE_DECOMPOSITION.file_name,
        slate_estimate::tables::COVERAGE.file_name,
    ] {
        assert!(
            !names.contains(&absent.to_string()),
            "{absent} written without truth"
        );
    }
    // The models run on the experiment alone: no oracle column, no oracle rule, no
    // predicted-vs-oracle figure.
    for table in slate_models::TABLES {
        let text = std::fs::read_to_string(processed.join(table.file_name)).unwrap();
        assert!(
            !text.contains("oracle") && !text.contains("true_effect"),
            "{}: {text}",
            table.file_name
        );
    }
    let figures = files(&pipeline.paths.figures_dir);
    assert!(!figures.contains(&slate_report::MODELS_FIGURES[0].to_string()));
    assert!(figures.contains(&slate_report::MODELS_FIGURES[1].to_string()));
    let mapping = slate_exposure::read_mapping(processed).unwrap();
    assert!(mapping.truth.is_none());
    // String ids: the tables hold codes, the dictionary maps them back.
    let frame = slate_table::read_csv(
        &processed.join(slate_log::ID_DICTIONARY.file_name),
        &slate_log::ID_DICTIONARY,
    )
    .unwrap();
    let dictionary = slate_log::IdDictionary::from_frame(&frame, "ids").unwrap();
    let first_slate = (0..dictionary.len())
        .find(|i| dictionary.kind[*i] == "slate_id" && dictionary.code[*i] == mapping.slate_id[0])
        .unwrap();
    assert_eq!(dictionary.id[first_slate], "user-000/slate-0");
    let text = std::fs::read_to_string(
        processed.join(slate_estimate::decompose::SPILLOVER_SENSITIVITY.file_name),
    )
    .unwrap();
    assert!(!text.contains("known"), "{text}");
    let summary = summary_of(&pipeline);
    assert!(summary.contains("from 80 randomization units"), "{summary}");
    assert!(summary.contains("| Total slate |"), "{summary}");
    assert!(
        summary.contains("| Total slate | total dwell |"),
        "{summary}"
    );
    // A logged experiment is described as one: observed clicks, nothing simulated.
    assert!(summary.contains("| Observed total clicks |"), "{summary}");
    assert!(!summary.to_lowercase().contains("simulat"), "{summary}");
    // The page shows the summary and embeds every figure; it names the log by its file name.
    let page = std::fs::read_to_string(
        pipeline
            .paths
            .writeup_dir
            .join(slate_report::HTML_REPORT_FILE),
    )
    .unwrap();
    assert!(page.contains("<td>Total slate</td><td>total dwell</td>"));
    assert!(page.contains("Slate promotion experiment: <code>user_log.csv</code>"));
    assert_eq!(page.matches("<img ").count(), figures.len());
    assert!(!page.contains("<script") && !page.contains("://"));
    assert!(!page.contains(&root.path().display().to_string()));
}

#[test]
fn a_bad_log_is_an_error_naming_file_row_and_column_and_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let bad = root.path().join("bad.csv");
    let text = std::fs::read_to_string(user_log()).unwrap();
    // Row 1 (a non-focal item of a promoted slate) becomes a second focal item: without a
    // `target_position` column both are promoted to slot 1, which is named at the focal item
    // seeded lower (file row 1914).
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].replace(",false,1,", ",true,1,");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let pipeline = user_pipeline(&root.path().join("run"));
    let error = pipeline
        .analyze(
            LogSource::Rows(&bad, OnBadSlate::Error),
            &AtomicBool::new(false),
        )
        .unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message
            .contains("bad.csv: row 1914 (slate user-058/slate-5), column `target_position`: two focal items of the slate share target position 1"),
        "{message}"
    );
    assert!(files(&pipeline.paths.processed_dir).is_empty());
    assert!(files(&pipeline.paths.writeup_dir).is_empty());

    // Dropping: the slate is listed and the rest analyzed.
    pipeline
        .analyze(
            LogSource::Rows(&bad, OnBadSlate::Drop),
            &AtomicBool::new(false),
        )
        .unwrap();
    let dropped = slate_table::read_csv(
        &pipeline
            .paths
            .processed_dir
            .join(slate_log::DROPPED_SLATES.file_name),
        &slate_log::DROPPED_SLATES,
    )
    .unwrap();
    let dropped = slate_log::DroppedSlatesTable::from_frame(&dropped, "dropped").unwrap();
    assert_eq!(dropped.slate_id, vec!["user-058/slate-5".to_string()]);
    assert_eq!(dropped.unit_id, vec!["user-058".to_string()]);
    let summary = summary_of(&pipeline);
    assert!(
        summary.contains("1 slate broke a rule of the design and was dropped"),
        "{summary}"
    );
}

/// A parquet log whose unit ids are categorical (pandas' `category` written to parquet) is
/// analyzed as the same log with string ids: every table the same bytes.
#[test]
fn categorical_unit_ids_are_read_as_their_values() {
    use slate_table::polars::prelude::*;
    let root = tempfile::tempdir().unwrap();
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(user_log()))
        .unwrap()
        .finish()
        .unwrap();
    let mut categorical = frame.clone();
    let user = categorical
        .column("user")
        .unwrap()
        .cast(&DataType::from_categories(Categories::global()))
        .unwrap();
    categorical.with_column(user).unwrap();
    let mut runs = Vec::new();
    for (name, mut log) in [("plain", frame), ("categorical", categorical)] {
        let path = root.path().join(format!("{name}.parquet"));
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut log)
            .unwrap();
        let pipeline = user_pipeline(&root.path().join(name));
        pipeline
            .analyze(LogSource::Reduced(&path, 1 << 20), &AtomicBool::new(false))
            .unwrap();
        runs.push(pipeline.paths.processed_dir);
    }
    let tables: Vec<String> = files(&runs[0])
        .into_iter()
        .filter(|f| f.ends_with(".csv"))
        .collect();
    assert!(tables.len() > 20);
    assert_eq!(files(&runs[0]), files(&runs[1]));
    for table in tables {
        assert_eq!(
            std::fs::read(runs[0].join(&table)).unwrap(),
            std::fs::read(runs[1].join(&table)).unwrap(),
            "{table}"
        );
    }
}
