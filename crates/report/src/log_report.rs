//! The report of a team's logged experiment (`analyze --log`): what the log holds, whether
//! the design is intact, the effects on observed clicks clustered by the randomization unit
//! with Holm-adjusted p-values, every uncertainty method on the total, the direct / indirect /
//! total decomposition and the slates that were dropped. Its words describe a logged
//! experiment: observed clicks, units and slates; nothing here is simulated.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use slate_estimate::contrasts::{Contrast, OutcomeView};
use slate_estimate::decompose::{DIRECT_INDIRECT_TOTAL, DirectIndirectTotal};
use slate_estimate::tables::{
    Estimates, INFERENCE_COMPARISON, InferenceComparison, OBSERVED_EFFECTS,
};
use slate_exposure::schema::EXPOSURE_READINESS;
use slate_log::{DROPPED_SLATES, DroppedSlatesTable};

use crate::ReportError;
use crate::estimator_figures::read;
use crate::final_report::RUN_MANIFEST_FILE;
use crate::html::Page;
use crate::paths::ReportPaths;

/// The summary `analyze --log` writes into the writeup folder.
pub const LOG_SUMMARY_FILE: &str = "analysis_summary.md";

fn ci(lower: f64, upper: f64) -> String {
    format!("[{lower:.4}, {upper:.4}]")
}

/// A p-value as a reader wants it: four decimals, or "< 0.0001".
fn p(value: f64) -> String {
    if value < 1e-4 {
        "< 0.0001".into()
    } else {
        format!("{value:.4}")
    }
}

/// A number, or a dash where the method has none (a bootstrap or randomization interval has
/// no standard error).
fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.4}")
    } else {
        "—".into()
    }
}

/// A markdown table cell (pipes escaped).
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The promotion design of a log, as its slate table shows it.
struct Design {
    /// The fewest and most focal items in a slate.
    focals: (u32, u32),
    /// The lowest and highest slot a lead focal item is promoted to.
    slots: (u32, u32),
}

/// What the summary says of the slate table, read a row group at a time (a log's table holds
/// millions of slates, and only these few facts are needed).
struct LogFacts {
    /// Slates.
    slates: usize,
    /// Impressions (the slates' items).
    rows: u64,
    /// Distinct randomization units.
    units: usize,
    /// The promotion design.
    design: Design,
}

impl LogFacts {
    fn read(dir: &Path) -> Result<LogFacts, ReportError> {
        let file = slate_exposure::SlateOutcomesFile::open(dir)?;
        // Units are dense indexes: a flag per index seen.
        let mut seen: Vec<bool> = Vec::new();
        let mut rows = 0u64;
        // The lowest and highest focal count and target slot met so far.
        let mut focals: Option<(u32, u32)> = None;
        let mut slots: Option<(u32, u32)> = None;
        let widen = |span: &mut Option<(u32, u32)>, values: &[u32]| {
            for v in values {
                *span = Some(span.map_or((*v, *v), |(low, high)| (low.min(*v), high.max(*v))));
            }
        };
        for range in file.row_groups() {
            let part = file.slate_rows(range.clone())?;
            for unit in &part.unit_index {
                let unit = *unit as usize;
                if unit >= seen.len() {
                    seen.resize(unit + 1, false);
                }
                seen[unit] = true;
            }
            rows += part.slate_size.iter().map(|n| u64::from(*n)).sum::<u64>();
            widen(&mut focals, &part.n_focals);
            widen(&mut slots, &part.focal_target_position);
        }
        Ok(LogFacts {
            slates: file.len(),
            rows,
            units: seen.iter().filter(|s| **s).count(),
            design: Design {
                focals: focals.unwrap_or((1, 1)),
                slots: slots.unwrap_or((1, 1)),
            },
        })
    }
}

impl Design {
    /// One focal item per slate, to the top.
    fn one_to_the_top(&self) -> bool {
        self.focals == (1, 1) && self.slots == (1, 1)
    }

    fn span(what: &str, (low, high): (u32, u32)) -> String {
        if low == high {
            format!("{what} {low}")
        } else {
            format!("{what}s {low} to {high}")
        }
    }

    /// What promotion did to a slate.
    fn describe(&self) -> String {
        if self.one_to_the_top() {
            return "the focal item was moved to the top".into();
        }
        let count = if self.focals.0 == self.focals.1 {
            format!("{} per slate", self.focals.0)
        } else {
            format!("{} to {} per slate", self.focals.0, self.focals.1)
        };
        format!(
            "the focal items ({count}) were moved to their target slots (the lead one to {}) and the other items kept their seed order in the remaining slots",
            Design::span("slot", self.slots)
        )
    }

    /// What was promoted.
    fn promoted_items(&self) -> &'static str {
        if self.focals == (1, 1) {
            "focal item"
        } else {
            "focal items"
        }
    }
}

/// The sections of a design other than one focal item to the top: the spillover by
/// displacement distance and the effects by the number of focal items, under CR1 and CR2.
fn design_sections(w: &mut String, dir: &std::path::Path) -> Result<(), ReportError> {
    use slate_estimate::design_effects::{
        DISPLACEMENT_SPILLOVER, DisplacementSpillover, FOCAL_COUNT_EFFECTS, FocalCountEffects,
    };
    let displacement: DisplacementSpillover = read(
        dir,
        &DISPLACEMENT_SPILLOVER,
        DisplacementSpillover::from_frame,
    )?;
    let by_count: FocalCountEffects =
        read(dir, &FOCAL_COUNT_EFFECTS, FocalCountEffects::from_frame)?;
    let _ = writeln!(w, "\n## Spillover by displacement distance\n");
    let _ = writeln!(
        w,
        "Non-focal items by how many places promotion pushes them down (from the design, so in both arms), promoted vs control.\n"
    );
    let _ = writeln!(
        w,
        "| Places pushed down | Method | Estimate | SE | 95% CI | p | Units |\n|---|---|---|---|---|---|---|"
    );
    for i in 0..displacement.len() {
        let _ = writeln!(
            w,
            "| {} | {} | {:.4} | {} | {} | {} | {} |",
            displacement.displacement[i],
            cell(&displacement.method[i].to_string()),
            displacement.estimate[i],
            number(displacement.se[i]),
            ci(displacement.ci_95_lower[i], displacement.ci_95_upper[i]),
            p(displacement.p_value[i]),
            displacement.clusters[i]
        );
    }
    let _ = writeln!(w, "\n## Effects by the number of focal items\n");
    let _ = writeln!(
        w,
        "Subgroup effects: the number of focal items is part of a slate's design, not randomized, so a difference between the rows is not the effect of promoting one more item. Unit-clustered CR1.\n"
    );
    let _ = writeln!(
        w,
        "| Focal items | Contrast | Estimate | 95% CI | p | Units |\n|---|---|---|---|---|---|"
    );
    for i in (0..by_count.len())
        .filter(|i| by_count.method[*i].method == slate_estimate::inference::InferenceMethod::Cr1)
    {
        let _ = writeln!(
            w,
            "| {} | {} | {:.4} | {} | {} | {} |",
            by_count.n_focals[i],
            by_count.contrast[i],
            by_count.estimate[i],
            ci(by_count.ci_95_lower[i], by_count.ci_95_upper[i]),
            p(by_count.p_value[i]),
            by_count.clusters[i]
        );
    }
    Ok(())
}

/// Writes the summary of a logged experiment and its page ([`HTML_REPORT_FILE`](crate::HTML_REPORT_FILE):
/// the summary, every figure drawn and the run manifest); returns the summary's path.
pub fn log_report(paths: &ReportPaths, log_name: &str) -> Result<PathBuf, ReportError> {
    let dir = &paths.processed_dir;
    let readiness = read(
        dir,
        &EXPOSURE_READINESS,
        slate_table::readiness::from_frame::<String>,
    )?;
    let observed: Estimates = read(dir, &OBSERVED_EFFECTS, Estimates::from_frame)?;
    let inference: InferenceComparison =
        read(dir, &INFERENCE_COMPARISON, InferenceComparison::from_frame)?;
    let effects: DirectIndirectTotal =
        read(dir, &DIRECT_INDIRECT_TOTAL, DirectIndirectTotal::from_frame)?;
    let dropped: DroppedSlatesTable = read(dir, &DROPPED_SLATES, DroppedSlatesTable::from_frame)?;
    let facts = LogFacts::read(dir)?;

    // The title names the log as the team gave it; the page names it by its file name only
    // (it holds no absolute path). Everything below the title is shared.
    let title = |name: &str| format!("# Slate promotion experiment: `{name}`\n\n");
    let mut md = String::new();
    let w = &mut md;
    let design = &facts.design;
    let _ = writeln!(
        w,
        "Each slate showed several items; in promoted slates {}. \
         The effects below compare promoted with control slates on **observed clicks**, with \
         intervals clustered by the randomization unit. Written by `slate analyze`; every number \
         comes from the tables in `{}`.\n",
        design.describe(),
        paths.relative(dir)
    );
    let _ = writeln!(w, "## The log\n");
    let _ = writeln!(
        w,
        "- {} impressions in {} slates from {} randomization units ({:.2} slates per unit).",
        facts.rows,
        facts.slates,
        facts.units,
        facts.slates as f64 / facts.units.max(1) as f64
    );
    if dropped.is_empty() {
        let _ = writeln!(w, "- No slate was dropped.");
    } else {
        let _ = writeln!(
            w,
            "- {} broke a rule of the design and {} dropped (`{}`); the first: slate {} ({}, column `{}`).",
            if dropped.len() == 1 {
                "1 slate".to_string()
            } else {
                format!("{} slates", dropped.len())
            },
            if dropped.len() == 1 { "was" } else { "were" },
            DROPPED_SLATES.file_name,
            dropped.slate_id[0],
            dropped.reason[0],
            dropped.column[0]
        );
    }
    let failed: Vec<&str> = readiness
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.check.as_str())
        .collect();
    let _ = writeln!(
        w,
        "- Design checks: {} of {} passed{}.\n",
        readiness.len() - failed.len(),
        readiness.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!("; failed: {}", failed.join(", "))
        }
    );
    let _ = writeln!(
        w,
        "| Check | Value | Requirement | Passed |\n|---|---|---|---|"
    );
    for c in &readiness {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} |",
            cell(&c.check),
            cell(&c.value),
            cell(&c.requirement),
            if c.passed { "yes" } else { "**no**" }
        );
    }

    let _ = writeln!(w, "\n## Effects of promotion on observed clicks\n");
    let _ = writeln!(
        w,
        "Item contrasts are differences in mean click rate per item row; the total is the difference \
         in clicks per slate. 95% intervals and p-values use CR1 standard errors clustered by unit; \
         Holm adjusts the p-values across the five contrasts (and the log's further outcomes, if any).\n"
    );
    let _ = writeln!(
        w,
        "| Contrast | Outcome | Estimate | 95% CI | p | Holm p | Units |\n|---|---|---|---|---|---|---|"
    );
    for i in 0..observed.len() {
        let _ = writeln!(
            w,
            "| {} | {} | {:.4} | {} | {} | {} | {} |",
            observed.contrast[i],
            cell(&observed.outcome[i].text()),
            observed.estimate[i],
            ci(observed.ci_95_lower[i], observed.ci_95_upper[i]),
            p(observed.p_value_cluster[i]),
            p(observed.p_value_holm[i]),
            observed.clusters[i]
        );
    }
    let total = Contrast::TotalSlate;
    if let Some(t) = (0..observed.len()).find(|i| observed.contrast[*i] == total) {
        let direction = if observed.ci_95_upper[t] < 0.0 {
            "lowered"
        } else if observed.ci_95_lower[t] > 0.0 {
            "raised"
        } else {
            "did not measurably change"
        };
        let _ = writeln!(
            w,
            "\nPromoting the {} {direction} the slate's clicks: {:.4} clicks per slate (95% CI {}, Holm p {}).",
            design.promoted_items(),
            observed.estimate[t],
            ci(observed.ci_95_lower[t], observed.ci_95_upper[t]),
            match p(observed.p_value_holm[t]) {
                text if text.starts_with('<') => text,
                text => format!("= {text}"),
            }
        );
    }

    if !design.one_to_the_top() {
        design_sections(w, dir)?;
    }

    let _ = writeln!(w, "\n## Every uncertainty method on the total\n");
    let _ = writeln!(
        w,
        "| Outcome | Method | Estimate | SE | 95% CI | p |\n|---|---|---|---|---|---|"
    );
    for i in (0..inference.len()).filter(|i| inference.contrast[*i] == total) {
        let _ = writeln!(
            w,
            "| {} | {} | {:.4} | {} | {} | {} |",
            cell(&inference.outcome[i].text()),
            inference.method[i],
            inference.estimate[i],
            number(inference.se[i]),
            ci(inference.ci_95_lower[i], inference.ci_95_upper[i]),
            p(inference.p_value[i])
        );
    }

    let _ = writeln!(w, "\n## Direct, indirect and total effects per slate\n");
    let _ = writeln!(
        w,
        "| Effect | Component | Clicks per slate | 95% CI | Per 1,000 promoted slates |\n|---|---|---|---|---|"
    );
    for i in 0..effects.len() {
        if effects.outcome_type[i] != OutcomeView::Observed {
            continue;
        }
        let _ = writeln!(
            w,
            "| {} | {} | {:.4} | {} | {:.1} |",
            effects.effect_family[i],
            effects.component[i],
            effects.estimate_per_slate[i],
            ci(effects.ci_95_lower[i], effects.ci_95_upper[i]),
            effects.estimate_per_1000_promoted_slates[i]
        );
    }
    let summary = slate_table::write_bytes_atomically(
        &paths.writeup_dir,
        LOG_SUMMARY_FILE,
        format!("{}{md}", title(log_name)).as_bytes(),
    )?;
    let file_name = Path::new(log_name)
        .file_name()
        .map_or(log_name.to_string(), |n| n.to_string_lossy().to_string());
    let mut page = Page::new(&format!("Slate promotion experiment: {file_name}"));
    page.markdown(&format!("{}{md}", title(&file_name)));
    page.heading("Figures");
    page.figures(&paths.figures_dir)?;
    let manifest = dir.join(RUN_MANIFEST_FILE);
    if manifest.exists() {
        page.heading("Run manifest");
        page.manifest(&manifest)?;
    }
    page.write(&paths.writeup_dir)?;
    Ok(summary)
}
