use super::*;

fn refs(measurements: &[Measurement]) -> Vec<&Measurement> {
    measurements.iter().collect()
}

fn run(reference_seconds: f64, date: &str) -> Run {
    Run {
        command: "cargo xtask bench-estimate --slates 1000 --repeats 3".into(),
        commit: "abc1234".into(),
        date: date.into(),
        threads: 2,
        reference_seconds,
    }
}

fn stage(name: &str, seconds: f64, peak: f64, peer: Option<f64>) -> Stage {
    Stage {
        name: name.into(),
        size: 1000,
        rows: 12_000,
        bytes: None,
        repeats: 3,
        seconds,
        statistic: Statistic::Fastest,
        median_seconds: Some(seconds + 0.25),
        peak_rss_mib: peak,
        peer: peer.map(|seconds| Peer {
            name: "python-polars".into(),
            seconds,
            peak_rss_mib: 500.0,
        }),
    }
}

#[test]
fn a_stage_is_reported_when_its_time_relative_to_the_reference_got_more_than_15_percent_worse() {
    let before = [stage("suite", 1.0, 100.0, None).of(&run(0.5, "d1"))];
    // The machine ran twice as slow: every time doubled, the reference too. Not a regression.
    let slower_machine = [stage("suite", 2.0, 100.0, None).of(&run(1.0, "d2"))];
    assert!(regressions(&refs(&before), &refs(&slower_machine)).is_empty());
    // 10% worse against the same reference: within the threshold.
    let within = [stage("suite", 1.10, 100.0, None).of(&run(0.5, "d2"))];
    assert!(regressions(&refs(&before), &refs(&within)).is_empty());
    // 20% worse: reported, with both normalised times.
    let worse = [stage("suite", 1.2, 100.0, None).of(&run(0.5, "d2"))];
    let found = regressions(&refs(&before), &refs(&worse));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].measure, "time");
    assert!((found[0].before - 2.0).abs() < 1e-12);
    assert!((found[0].after - 2.4).abs() < 1e-12);
    assert!((found[0].factor() - 1.2).abs() < 1e-12);
    assert!(found[0].to_string().contains("suite (size 1000)"));
}

#[test]
fn a_stage_with_a_peer_is_compared_through_its_ratio_to_the_peer() {
    let before = [stage("ingest", 1.0, 100.0, Some(1.0)).of(&run(0.5, "d1"))];
    // Ours 30% slower, but so was the peer: the ratio held.
    let both_slower = [stage("ingest", 1.3, 100.0, Some(1.3)).of(&run(0.5, "d2"))];
    assert!(regressions(&refs(&before), &refs(&both_slower)).is_empty());
    // The peer held and we got 30% slower, whatever the reference did.
    let ours_slower = [stage("ingest", 1.3, 100.0, Some(1.0)).of(&run(5.0, "d2"))];
    let found = regressions(&refs(&before), &refs(&ours_slower));
    assert_eq!(found.len(), 1);
    assert!(found[0].what.contains("against python-polars"));
}

#[test]
fn peak_memory_is_reported_past_the_threshold_and_the_noise_floor() {
    let before = [
        stage("small", 1.0, 100.0, None).of(&run(0.5, "d1")),
        stage("large", 1.0, 1000.0, None).of(&run(0.5, "d1")),
    ];
    // small: +50% but only 50 MiB (noise); large: +20% and 200 MiB.
    let after = [
        stage("small", 1.0, 150.0, None).of(&run(0.5, "d2")),
        stage("large", 1.0, 1200.0, None).of(&run(0.5, "d2")),
    ];
    let found = regressions(&refs(&before), &refs(&after));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].measure, "peak memory");
    assert!(found[0].what.starts_with("large"));
}

#[test]
fn stages_shorter_than_the_timer_noise_are_not_compared_for_time() {
    let before = [stage("tiny", 0.010, 100.0, None).of(&run(0.5, "d1"))];
    let after = [stage("tiny", 0.020, 100.0, None).of(&run(0.5, "d2"))];
    assert!(regressions(&refs(&before), &refs(&after)).is_empty());
    // Past 50 ms in the new run, the same doubling is reported.
    let after = [stage("tiny", 0.060, 100.0, None).of(&run(0.5, "d2"))];
    assert_eq!(regressions(&refs(&before), &refs(&after)).len(), 1);
}

#[test]
fn stages_new_in_a_run_are_not_compared() {
    let before = [stage("suite", 1.0, 100.0, None).of(&run(0.5, "d1"))];
    let after = [stage("new stage", 9.0, 9000.0, None).of(&run(0.5, "d2"))];
    assert!(regressions(&refs(&before), &refs(&after)).is_empty());
}

#[test]
fn the_record_round_trips_and_groups_measurements_by_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(RECORD_FILE);
    assert!(read(&path).unwrap().is_empty());
    let first = run(0.5, "2026-12-01T00:00:00Z");
    let second = run(0.6, "2026-12-02T00:00:00Z");
    let mut other = run(0.6, "2026-12-03T00:00:00Z");
    other.command = "cargo xtask bench".into();
    append(&path, &[stage("suite", 1.0, 100.0, None).of(&first)]).unwrap();
    append(
        &path,
        &[
            stage("simulate", 2.0, 100.0, None).of(&second),
            stage("suite", 1.5, 100.0, Some(3.0)).of(&second),
        ],
    )
    .unwrap();
    append(&path, &[stage("ingest", 1.0, 100.0, None).of(&other)]).unwrap();
    let record = read(&path).unwrap();
    assert_eq!(record.len(), 4);
    assert_eq!(record[2].stage, stage("suite", 1.5, 100.0, Some(3.0)));
    let (last, before) = last_two_runs(&record, "bench-estimate");
    assert_eq!(last.len(), 2);
    assert!(last.iter().all(|m| m.run == second));
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].run, first);
    let (last, before) = last_two_runs(&record, "bench");
    assert_eq!(last.len(), 1);
    assert!(before.is_empty());
}

#[test]
fn a_line_that_is_not_a_measurement_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(RECORD_FILE);
    append(
        &path,
        &[stage("suite", 1.0, 100.0, None).of(&run(0.5, "d1"))],
    )
    .unwrap();
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap() + "{\"stage\": 1}\n",
    )
    .unwrap();
    let error = format!("{:#}", read(&path).unwrap_err());
    assert!(error.contains("record.jsonl, line 2"), "{error}");
}

#[test]
fn the_report_says_when_nothing_got_worse_and_lists_what_did() {
    let before = [stage("suite", 1.0, 100.0, None).of(&run(0.5, "d1"))];
    let same = [stage("suite", 1.0, 100.0, None).of(&run(0.5, "d2"))];
    let worse = [stage("suite", 2.0, 100.0, None).of(&run(0.5, "d2"))];
    assert!(regression_report(&[], &refs(&same)).starts_with("No earlier run"));
    assert!(
        regression_report(&refs(&before), &refs(&same))
            .contains("No stage got more than 15% worse")
    );
    let report = regression_report(&refs(&before), &refs(&worse));
    assert!(
        report.contains("One stage got more than 15% worse"),
        "{report}"
    );
    assert!(
        report.contains("- suite (size 1000): time 2.00x worse"),
        "{report}"
    );
}

#[test]
fn the_command_name_is_the_word_after_cargo_xtask() {
    assert_eq!(
        command_name("cargo xtask bench-estimate --slates 3"),
        "bench-estimate"
    );
    assert_eq!(command_name("cargo xtask bench"), "bench");
}

#[test]
fn an_unmeasured_figure_is_written_as_null_and_read_back_as_nan() {
    let mut unmeasured = stage("fit", 1.0, 100.0, Some(2.0));
    if let Some(peer) = unmeasured.peer.as_mut() {
        peer.peak_rss_mib = f64::NAN;
    }
    let line = serde_json::to_string(&unmeasured.of(&run(0.5, "d1"))).unwrap();
    assert!(line.contains("\"peak_rss_mib\":null"), "{line}");
    let back: Measurement = serde_json::from_str(&line).unwrap();
    assert!(back.stage.peer.unwrap().peak_rss_mib.is_nan());
}
