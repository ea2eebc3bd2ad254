//! The whole pipeline on a small synthetic dataset: every table exists, holds its invariants,
//! opens with its declared schema, and is byte-identical across runs and thread counts.

use std::sync::atomic::AtomicBool;

use slate_e2e::{copy_of_shared_run, shared_root, shared_run, small_pipeline};
use slate_exposure::schema::{ASSIGNMENT, EXPOSURE_MAPPING, EXPOSURE_READINESS, SLATE_OUTCOMES};
use slate_pipeline::DataSource;

#[test]
fn synthetic_run_writes_the_four_exposure_tables_with_their_invariants() {
    let pipeline = shared_run();
    let processed = &pipeline.paths.processed_dir;
    for schema in [EXPOSURE_MAPPING, SLATE_OUTCOMES, ASSIGNMENT] {
        slate_table::read_parquet(&processed.join(schema.file_name), &schema).unwrap();
    }
    let readiness = slate_table::read_csv(
        &processed.join(EXPOSURE_READINESS.file_name),
        &EXPOSURE_READINESS,
    )
    .unwrap();
    let passed =
        slate_table::column_bool(&readiness, "readiness", slate_table::readiness::col::PASSED)
            .unwrap();
    assert!(
        passed.iter().all(|p| *p),
        "every exposure readiness check passes"
    );

    let mapping = slate_exposure::read_mapping(processed).unwrap();
    let slates = slate_exposure::read_slates(processed).unwrap();
    assert_eq!(mapping.len(), 36_000);
    assert_eq!(slates.len(), 3_000);
    let truth = mapping
        .truth
        .as_ref()
        .expect("the simulation's log has truth");
    let slate_truth = slates
        .truth
        .as_ref()
        .and_then(slate_exposure::HeldTruth::columns)
        .expect("truth, every column read back");
    for s in 0..slates.len() {
        let rows = s * 12..(s + 1) * 12;
        assert_eq!(rows.clone().filter(|r| mapping.is_focal[*r]).count(), 1);
        let clicks = rows.clone().filter(|r| mapping.observed_click[*r]).count() as u32;
        assert_eq!(
            clicks, slates.total_observed_clicks[s],
            "slate totals add up its items"
        );
        let expected: f64 = rows.clone().map(|r| truth.expected_click_prob[r]).sum();
        assert!((expected - slate_truth.total_expected_clicks[s]).abs() < 1e-9);
        if !slates.promotion_applied[s] {
            assert!(rows.clone().all(|r| truth.known_induced_lift[r] == 0.0));
        }
    }
}

#[test]
fn synthetic_run_writes_every_estimate_table_and_figure() {
    let pipeline = shared_run();
    let processed = &pipeline.paths.processed_dir;
    let observed = slate_table::read_csv(
        &processed.join(slate_estimate::tables::OBSERVED_EFFECTS.file_name),
        &slate_estimate::tables::OBSERVED_EFFECTS,
    )
    .unwrap();
    assert_eq!(observed.height(), 5);
    for schema in [
        slate_estimate::tables::ESTIMATES,
        slate_estimate::tables::ASSIGNMENT_RECHECK,
        slate_estimate::tables::CONTRAST_SUPPORT,
        slate_estimate::tables::SE_COMPARISON,
        slate_estimate::tables::BOOTSTRAP_DISTRIBUTION,
        slate_estimate::tables::BOOTSTRAP_SUMMARY,
        slate_estimate::tables::VALIDATION,
        slate_estimate::tables::SLATE_DECOMPOSITION,
        slate_estimate::tables::CLUSTER_EFFECTS,
        slate_estimate::tables::INFERENCE_COMPARISON,
    ] {
        let frame = slate_table::read_csv(&processed.join(schema.file_name), &schema).unwrap();
        assert!(frame.height() > 0, "{} is empty", schema.file_name);
    }
    for schema in [
        slate_estimate::decompose::DIRECT_INDIRECT_TOTAL,
        slate_estimate::decompose::ADDITIVITY_CHECKS,
        slate_estimate::decompose::SPILLOVER_SENSITIVITY,
        slate_estimate::decompose::PRODUCT_SUMMARY,
        slate_report::findings::RECOMMENDATIONS,
        slate_estimate::decompose::CLUSTER_RISK,
        slate_estimate::decompose::POSITION_RISK,
        slate_estimate::tables::COVERAGE,
        slate_models::tables::MODEL_METRICS,
        slate_models::tables::AIPW_ESTIMATES,
        slate_models::tables::CONDITIONAL_EFFECTS,
        slate_models::tables::POLICY_TARGETING,
        slate_models::tables::HETEROGENEITY,
        slate_report::findings::TAKEAWAYS,
    ] {
        let frame = slate_table::read_csv(&processed.join(schema.file_name), &schema).unwrap();
        assert!(frame.height() > 0, "{} is empty", schema.file_name);
    }
    for figure in slate_report::ESTIMATOR_FIGURES
        .iter()
        .chain(&slate_report::DECOMPOSITION_FIGURES)
        .chain(&slate_report::MODELS_FIGURES)
        .chain(&[slate_report::COVERAGE_FIGURE])
    {
        let bytes = std::fs::read(pipeline.paths.figures_dir.join(figure)).unwrap();
        assert!(bytes.len() > 10_000 && &bytes[1..4] == b"PNG", "{figure}");
    }
    check_final_report(pipeline, &shared_root());
}

/// Every artifact the index lists exists and is non-empty, every file of the output folders is
/// listed, and every number in the summary equals its table value.
fn check_final_report(pipeline: &slate_pipeline::Pipeline, root: &std::path::Path) {
    use slate_report::final_report::{
        ARTIFACT_INDEX, ArtifactIndex, FINAL_DECOMPOSITION, FINAL_MAIN_EFFECTS, FinalDecomposition,
        FinalMainEffects, SUMMARY_FILE,
    };
    let tables = pipeline.paths.writeup_dir.join("tables");
    let frame =
        slate_table::read_csv(&tables.join(ARTIFACT_INDEX.file_name), &ARTIFACT_INDEX).unwrap();
    let index = ArtifactIndex::from_frame(&frame, "artifact index").unwrap();
    assert!(index.len() > 50, "{} artifacts", index.len());
    for i in 0..index.len() {
        let path = root.join(&index.path[i]);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 0, "{} is missing or empty", index.path[i]);
        assert!(
            !index.description[i].is_empty(),
            "{} has no description",
            index.artifact[i]
        );
        if index.kind[i] == slate_report::final_report::ArtifactKind::Table
            && index.artifact[i] != ARTIFACT_INDEX.file_name
        {
            assert!(
                index.rows[i].is_some_and(|r| r > 0),
                "{} has no rows",
                index.artifact[i]
            );
        }
    }
    for dir in [
        &pipeline.paths.processed_dir,
        &pipeline.paths.figures_dir,
        &tables,
        &pipeline.paths.writeup_dir,
    ] {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if entry.file_type().unwrap().is_file() {
                assert!(
                    index.artifact.contains(&name),
                    "{name} is not in the artifact index"
                );
            }
        }
    }
    let summary = std::fs::read_to_string(pipeline.paths.writeup_dir.join(SUMMARY_FILE)).unwrap();
    let main = FinalMainEffects::from_frame(
        &slate_table::read_csv(
            &tables.join(FINAL_MAIN_EFFECTS.file_name),
            &FINAL_MAIN_EFFECTS,
        )
        .unwrap(),
        "main",
    )
    .unwrap();
    use slate_estimate::contrasts::Contrast;
    for (contrast, label) in [
        (Contrast::DirectFocal, "Direct focal item effect: "),
        (Contrast::SameCluster, "Same-cluster competitor spillover: "),
        (Contrast::AllNonFocal, "All non-focal spillover: "),
        (Contrast::TotalSlate, "Total slate effect: "),
    ] {
        let i = main.contrast.iter().position(|c| *c == contrast).unwrap();
        let expected = format!("{label}{:.3}", main.estimate[i]);
        assert!(summary.contains(&expected), "summary lacks `{expected}`");
    }
    let decomposition = FinalDecomposition::from_frame(
        &slate_table::read_csv(
            &tables.join(FINAL_DECOMPOSITION.file_name),
            &FINAL_DECOMPOSITION,
        )
        .unwrap(),
        "decomposition",
    )
    .unwrap();
    // The one page: every figure embedded, the headline numbers as the table shows them, inert
    // and without the run's absolute paths.
    let page = std::fs::read_to_string(
        pipeline
            .paths
            .writeup_dir
            .join(slate_report::HTML_REPORT_FILE),
    )
    .unwrap();
    let figures = std::fs::read_dir(&pipeline.paths.figures_dir)
        .unwrap()
        .count();
    assert_eq!(
        page.matches("<img ").count(),
        figures,
        "every figure embedded once"
    );
    let total = main
        .contrast
        .iter()
        .position(|c| *c == Contrast::TotalSlate)
        .unwrap();
    assert!(page.contains(&format!("{:.4}", main.estimate[total])));
    assert!(!page.contains("<script") && !page.contains("://"));
    assert!(!page.contains(&root.display().to_string()));
    let per_1000 = decomposition.estimate_per_1000_promoted_slates.clone();
    let expected = format!(
        "the focal item gained {:.1} simulated clicks per 1,000 promoted slates, while same-cluster competitors changed by {:.1} and other competitors changed by {:.1}. The net total slate effect was {:.1}",
        per_1000[0], per_1000[1], per_1000[2], per_1000[3]
    );
    assert!(summary.contains(&expected), "summary lacks `{expected}`");
}

#[test]
fn all_check_finds_identical_bytes_across_thread_counts() {
    let root = tempfile::tempdir().unwrap();
    let config = small_pipeline(root.path()).config;
    let files = slate_pipeline::check_determinism(&config, &DataSource::Synthetic).unwrap();
    assert!(
        files >= 36,
        "every processed table and figure compared ({files})"
    );
}

#[test]
fn missing_data_dir_is_a_clear_error() {
    let root = tempfile::tempdir().unwrap();
    let pipeline = small_pipeline(root.path());
    let missing = root.path().join("nowhere");
    let err = pipeline
        .all(&DataSource::Dir(missing), &AtomicBool::new(false))
        .unwrap_err();
    assert!(format!("{err:#}").contains("nowhere"), "{err:#}");
}

#[test]
fn truncated_parquet_between_stages_is_an_error_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let pipeline = copy_of_shared_run(root.path());
    let path = pipeline
        .paths
        .processed_dir
        .join(EXPOSURE_MAPPING.file_name);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let message = format!("{:#}", pipeline.estimate().unwrap_err());
    assert!(message.contains(EXPOSURE_MAPPING.file_name), "{message}");

    // The final report names a missing or malformed upstream table too, and writes nothing.
    let policy = slate_models::tables::POLICY_TARGETING.file_name;
    let index = pipeline
        .paths
        .writeup_dir
        .join("tables")
        .join(slate_report::final_report::ARTIFACT_INDEX.file_name);
    std::fs::remove_file(&index).unwrap();
    std::fs::remove_file(pipeline.paths.processed_dir.join(policy)).unwrap();
    let message = format!("{:#}", pipeline.report().unwrap_err());
    assert!(message.contains(policy), "{message}");
    std::fs::write(
        pipeline.paths.processed_dir.join(policy),
        "policy,slates_promoted\nPromote all,oops\n",
    )
    .unwrap();
    let message = format!("{:#}", pipeline.report().unwrap_err());
    assert!(message.contains(policy), "{message}");
    assert!(
        !index.exists(),
        "a failed report must not write the artifact index"
    );
}

#[test]
fn inputs_are_never_modified() {
    let root = tempfile::tempdir().unwrap();
    let pipeline = small_pipeline(root.path());
    let input = root.path().join("input");
    slate_ingest::synthetic::generate(&pipeline.config.synthetic, &input).unwrap();
    let snapshot = |dir: &std::path::Path| {
        let mut files: Vec<(String, Vec<u8>, std::time::SystemTime)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
                (
                    path.display().to_string(),
                    std::fs::read(&path).unwrap(),
                    modified,
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(&input);
    pipeline
        .all(&DataSource::Dir(input.clone()), &AtomicBool::new(false))
        .unwrap();
    assert_eq!(snapshot(&input), before);
}

#[test]
fn output_directory_that_cannot_be_created_is_an_error_naming_it() {
    let root = tempfile::tempdir().unwrap();
    let mut pipeline = small_pipeline(root.path());
    let blocker = root.path().join("not-a-directory");
    std::fs::write(&blocker, b"a file where a directory should be").unwrap();
    pipeline.paths.processed_dir = blocker.join("processed");
    let message = format!(
        "{:#}",
        pipeline
            .all(&DataSource::Synthetic, &AtomicBool::new(false))
            .unwrap_err()
    );
    assert!(message.contains("not-a-directory"), "{message}");
}

/// Disk full: a 256 KiB tmpfs as the output directory. Needs root to mount, so it is ignored
/// by default; `.ci/run` runs the ignored tests.
#[test]
#[ignore = "mounts a tmpfs, so needs root (.ci/run runs the ignored tests)"]
fn disk_full_is_a_clear_error_and_leaves_no_partial_artifact() {
    use slate_table::polars::prelude::{ParquetReader, SerReader};
    let root = tempfile::tempdir().unwrap();
    let mut pipeline = small_pipeline(root.path());
    let full = root.path().join("full");
    std::fs::create_dir(&full).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&full)
        .status()
        .unwrap();
    assert!(mounted.success(), "mounting a tmpfs failed");
    pipeline.paths.processed_dir = full.clone();
    let result = pipeline.all(&DataSource::Synthetic, &AtomicBool::new(false));
    let leftovers: Vec<String> = std::fs::read_dir(&full)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let complete: Vec<bool> = leftovers
        .iter()
        .filter(|n| n.ends_with(".parquet"))
        .map(|n| {
            let file = std::fs::File::open(full.join(n)).unwrap();
            ParquetReader::new(file).finish().is_ok()
        })
        .collect();
    let _ = std::process::Command::new("umount").arg(&full).status();
    let message = format!("{:#}", result.unwrap_err());
    assert!(
        message.contains("space") || message.contains("os error 28"),
        "{message}"
    );
    assert!(
        message.contains(".parquet") || message.contains(".csv"),
        "names the file: {message}"
    );
    assert!(
        leftovers.iter().all(|n| !n.starts_with('.')),
        "temporaries removed: {leftovers:?}"
    );
    assert!(
        complete.iter().all(|ok| *ok),
        "every artifact left is complete: {leftovers:?}"
    );
}

/// `power` and `design-sweep` after a run: every table row and figure, the summary's power
/// paragraph and the sweep's limitation row, and the artifact index lists them.
#[test]
fn power_and_design_sweep_write_their_tables_figures_and_report_sections() {
    use slate_studies::scenario::Scenario;
    use slate_studies::sweep::SweepPoint;
    let root = tempfile::tempdir().unwrap();
    let mut pipeline = copy_of_shared_run(root.path());
    let processed = pipeline.paths.processed_dir.clone();
    pipeline.config.simulation.slates.n_slates = 300;
    pipeline
        .power(
            &[150, 300],
            8,
            &[Scenario::Default, Scenario::CorrelatedUserRandomized],
        )
        .unwrap();
    pipeline.design_sweep(4).unwrap();
    // The run's own log as a pilot: the default grid is its size times 1/2 to 16.
    let log = processed.join(slate_simulate::log::IMPRESSION_LOG.file_name);
    pipeline
        .pilot_power(&log, slate_log::OnBadSlate::Error, None)
        .unwrap();
    let pilot = slate_estimate::tables::PilotPowerTable::from_frame(
        &slate_table::read_csv(
            &processed.join(slate_estimate::tables::PILOT_POWER.file_name),
            &slate_estimate::tables::PILOT_POWER,
        )
        .unwrap(),
        "pilot power",
    )
    .unwrap();
    let slates = pilot.pilot_slates[0];
    let mut sizes: Vec<u32> = pilot.n_slates.clone();
    sizes.sort_unstable();
    sizes.dedup();
    assert_eq!(
        sizes,
        [
            slates / 2,
            slates,
            2 * slates,
            4 * slates,
            8 * slates,
            16 * slates
        ]
    );
    assert!(pilot.mde_80.iter().all(|m| m.is_finite() && *m > 0.0));
    pipeline.report().unwrap();
    let power = slate_estimate::tables::PowerTable::from_frame(
        &slate_table::read_csv(
            &processed.join(slate_estimate::tables::POWER.file_name),
            &slate_estimate::tables::POWER,
        )
        .unwrap(),
        "power",
    )
    .unwrap();
    assert_eq!(
        power.len(),
        2 * 2 * 5 * 2,
        "scenarios x sizes x contrasts x methods"
    );
    for i in 0..power.len() {
        assert!((0.0..=1.0).contains(&power.power[i]));
        assert!((0.0..=1.0).contains(&power.analytic_power[i]));
        assert!(power.mde_80[i] > 0.0);
        if power.scenario[i] == Scenario::CorrelatedUserRandomized {
            // Five slates per user, randomized by user.
            assert_eq!(power.n_units[i] * 5, power.n_slates[i]);
        } else {
            assert_eq!(power.n_units[i], power.n_slates[i]);
        }
    }
    let sweep = slate_estimate::tables::DesignSweepTable::from_frame(
        &slate_table::read_csv(
            &processed.join(slate_estimate::tables::DESIGN_SWEEP.file_name),
            &slate_estimate::tables::DESIGN_SWEEP,
        )
        .unwrap(),
        "sweep",
    )
    .unwrap();
    assert_eq!(sweep.len(), SweepPoint::default_sweep().len());
    assert_eq!(
        sweep.is_run_design.iter().filter(|d| **d).count(),
        6,
        "the run's design is one point of each knob"
    );
    for figure in [
        slate_report::POWER_FIGURE,
        slate_report::SWEEP_FIGURE,
        slate_report::TARGET_SLOT_FIGURE,
    ] {
        let bytes = std::fs::read(pipeline.paths.figures_dir.join(figure)).unwrap();
        assert!(bytes.len() > 10_000 && &bytes[1..4] == b"PNG", "{figure}");
    }
    let summary = std::fs::read_to_string(
        pipeline
            .paths
            .writeup_dir
            .join(slate_report::final_report::SUMMARY_FILE),
    )
    .unwrap();
    assert!(summary.contains("## Power"), "{summary}");
    // The target-slot sweep's answer: the best slot, or that every slot loses.
    assert!(
        summary.contains("## Where to place the promoted tile")
            && (summary.contains("gives the slate its best total")
                || summary.contains("every slot loses clicks")),
        "{summary}"
    );
    let limitations = std::fs::read_to_string(
        pipeline
            .paths
            .writeup_dir
            .join("tables")
            .join(slate_report::final_report::LIMITATIONS.file_name),
    )
    .unwrap();
    assert!(limitations.contains("design sweep"), "{limitations}");
    check_final_report(&pipeline, root.path());
}

/// A MovieLens-format folder whose user and movie ids sit near `u32::MAX` (the synthetic
/// folder's ids, shifted up in the same order) runs `all` and gives the compact folder's
/// numbers: no table is sized by the largest id. (The coverage study's correlated scenario
/// keys each user's propensity by the user's id, so its draws differ; the setup readiness names
/// the folder.)
#[test]
fn ids_near_u32_max_give_the_compact_folders_numbers() {
    use slate_table::polars::prelude::*;
    let root = tempfile::tempdir().unwrap();
    let compact = small_pipeline(&root.path().join("compact"));
    let input = root.path().join("input");
    slate_ingest::synthetic::generate(&compact.config.synthetic, &input).unwrap();
    let shifted_input = root.path().join("shifted_input");
    std::fs::create_dir_all(&shifted_input).unwrap();
    let offset = u64::from(u32::MAX) - 10_000_000;
    for (file, columns) in [
        ("ratings.csv", &["userId", "movieId"][..]),
        ("tags.csv", &["userId", "movieId"][..]),
        ("movies.csv", &["movieId"][..]),
        ("links.csv", &["movieId"][..]),
    ] {
        let mut frame = CsvReadOptions::default()
            .with_infer_schema_length(None)
            .try_into_reader_with_file_path(Some(input.join(file)))
            .unwrap()
            .finish()
            .unwrap();
        for column in columns {
            let shifted = frame
                .column(column)
                .unwrap()
                .cast(&DataType::UInt64)
                .unwrap()
                .as_materialized_series()
                + offset;
            frame
                .replace(column, shifted.with_name((*column).into()).into_column())
                .unwrap();
        }
        CsvWriter::new(std::fs::File::create(shifted_input.join(file)).unwrap())
            .finish(&mut frame)
            .unwrap();
    }
    let shifted = small_pipeline(&root.path().join("shifted"));
    for (pipeline, input) in [(&compact, &input), (&shifted, &shifted_input)] {
        pipeline
            .all(&DataSource::Dir(input.clone()), &AtomicBool::new(false))
            .unwrap();
    }
    let processed = |p: &slate_pipeline::Pipeline| p.paths.processed_dir.clone();
    let ratings = slate_table::read_parquet(
        &processed(&shifted).join("movielens_ratings.parquet"),
        &slate_ingest::schema::RATINGS,
    )
    .unwrap();
    let users = ratings
        .column("user_id")
        .unwrap()
        .cast(&DataType::UInt64)
        .unwrap();
    assert!(
        users.u64().unwrap().min().unwrap() > offset,
        "the ids were shifted"
    );
    let mut compared = 0;
    for entry in std::fs::read_dir(processed(&compact)).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".csv")
            || name == slate_estimate::tables::COVERAGE.file_name
            || name.contains("setup_readiness")
        {
            continue;
        }
        let a = std::fs::read(entry.path()).unwrap();
        let b = std::fs::read(processed(&shifted).join(&name)).unwrap();
        assert!(a == b, "{name} differs between compact and shifted ids");
        compared += 1;
    }
    assert!(compared > 20, "{compared} tables compared");
}
