//! A synthetic impression log with the truth known: the fixture of the analysis crates' tests
//! (which never depend on a source of logs) and a generator of logs of any size.
//!
//! The population (items, clusters, relevance, focal items and both potential click
//! probabilities of every item) comes from `population_seed`; the experiment (assignment per
//! unit and the clicks) from the draw seed, so re-drawing keeps the population fixed, as the
//! coverage study needs. Every draw comes from a `Pcg64` stream keyed by (seed, slate or unit),
//! so the log does not depend on the thread count.
//!
//! The click model follows the MovieLens simulation's: an item shown at position `k` with
//! relevance `v` is clicked with probability
//! `min(0.95, 0.39 · k^−0.4 · v / mean(v) · A · S)`. Promotion moves the slate's `f` focal
//! items (`focals_per_slate`, drawn below their slots) to slots `t..t+f−1`
//! (`target_position`) in seed order and the other items to the remaining slots in seed order
//! ([`crate::design`]); it spends attention per promoted tile (`A = D / (D + 0.8 f)` with
//! budget `D = 4` for every item of a promoted slate) and makes the focal items' substitutes
//! lose per tile (`S = (1 − 0.08)^m` for a non-focal item sharing its cluster with `m` focal
//! items). With one focal item promoted to the top (the default) the log carries no
//! `target_position` column.

use rand::Rng;
use rand_pcg::Pcg64;
use slate_table::polars::prelude::{Column, DataFrame};

use crate::design::Promotion;
use crate::{ImpressionLog, LogConfig, LogError, OnBadSlate};

/// The shape of a synthetic log.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticConfig {
    /// Slates.
    pub slates: usize,
    /// Items per slate.
    pub slate_size: usize,
    /// Substitute clusters.
    pub clusters: usize,
    /// Consecutive slates per randomization unit (1: slate randomization).
    pub slates_per_unit: usize,
    /// Probability that a unit is promoted.
    pub promotion_probability: f64,
    /// Lowest seed position of a focal item (uniform from here to the last position; raised
    /// to `target_position + focals_per_slate` so that every focal item starts below its slot).
    pub focal_min_position: usize,
    /// Focal items per slate (distinct seed positions, uniform over the focal window).
    pub focals_per_slate: usize,
    /// The slot the first focal item (in seed order) is promoted to; the others follow it.
    pub target_position: usize,
    /// Seed of the population.
    pub population_seed: u64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            slates: 3_000,
            slate_size: 12,
            clusters: 6,
            slates_per_unit: 1,
            promotion_probability: 0.5,
            focal_min_position: 5,
            focals_per_slate: 1,
            target_position: 1,
            population_seed: 20_261_130,
        }
    }
}

impl SyntheticConfig {
    /// Whether the shape holds together (at least one slate and one slate per unit, two items
    /// per slate) and the promotion design fits the slate: at least one focal item, and every
    /// slot `target_position..target_position + focals_per_slate` within it.
    pub fn check(&self) -> Result<(), LogError> {
        if self.slates == 0 || self.slate_size < 2 || self.slates_per_unit == 0 {
            return Err(LogError::Config {
                message: format!(
                    "synthetic log: {} slates of {} items, {} per unit: slates and slates per unit must be at least 1, the slate size at least 2",
                    self.slates, self.slate_size, self.slates_per_unit
                ),
            });
        }
        let n = self.slate_size.max(2);
        let (k, t) = (self.focals_per_slate, self.target_position);
        if k == 0 || t == 0 || t + k > n + 1 || k >= n {
            return Err(LogError::Config {
                message: format!(
                    "synthetic log: {k} focal items promoted to slots {t}..={} do not fit a slate of {n} (at least 1 focal item and 1 other item; slots from 1)",
                    t + k.max(1) - 1
                ),
            });
        }
        Ok(())
    }

    /// Whether the design is the default one (one focal item to the top): the log then has
    /// no `target_position` column.
    fn default_design(&self) -> bool {
        self.focals_per_slate == 1 && self.target_position == 1
    }
}

const TOP_CLICK: f64 = 0.39;
const DECAY: f64 = 0.4;
const ATTENTION_BUDGET: f64 = 4.0;
const ATTENTION_COST: f64 = 0.8;
const SUBSTITUTION: f64 = 0.08;
const MAX_CLICK: f64 = 0.95;

fn stream(seed: u64, purpose: u64, index: u64) -> Pcg64 {
    Pcg64::new(
        (u128::from(seed) << 64) | u128::from(index),
        0xa02b_dbf7_bb3c_0a7a_c28f_a16a_64ab_f96d ^ u128::from(purpose),
    )
}

fn click_probability(position: usize, relevance: f64, mean: f64, factor: f64) -> f64 {
    (TOP_CLICK * (position as f64).powf(-DECAY) * relevance / mean * factor).min(MAX_CLICK)
}

/// The log of `config`'s population under experiment `draw_seed` (canonical columns, the two
/// truth columns and the item-level covariate `relevance`). Slates have at least two items and
/// the focal window is clamped into the slate.
pub fn synthetic_log(config: &SyntheticConfig, draw_seed: u64) -> Result<ImpressionLog, LogError> {
    config.check()?;
    let frame = synthetic_frame(config, draw_seed).map_err(|e| LogError::Config {
        message: format!("synthetic log: {e}"),
    })?;
    let log_config = LogConfig {
        covariates: vec!["relevance".into()],
        ..LogConfig::default()
    };
    Ok(ImpressionLog::from_frame(&frame, "synthetic log", &log_config, OnBadSlate::Error)?.0)
}

/// The frame of [`synthetic_log`].
pub fn synthetic_frame(
    config: &SyntheticConfig,
    draw_seed: u64,
) -> Result<DataFrame, slate_table::polars::prelude::PolarsError> {
    synthetic_frame_of(config, draw_seed, 0..config.slates)
}

/// The rows of slates `slates` of [`synthetic_frame`]: every slate (and unit) has its own
/// streams, so consecutive ranges concatenate to the whole frame.
pub fn synthetic_frame_of(
    config: &SyntheticConfig,
    draw_seed: u64,
    slates: std::ops::Range<usize>,
) -> Result<DataFrame, slate_table::polars::prelude::PolarsError> {
    // At least two items (a focal and one other) and a focal position within the slate.
    let n = config.slate_size.max(2);
    let promoted_unit =
        |u: usize| stream(draw_seed, 1, u as u64).random::<f64>() < config.promotion_probability;
    let rows = slates.len() * n;
    let mut slate_id = Vec::with_capacity(rows);
    let mut unit_id = Vec::with_capacity(rows);
    let mut item_id = Vec::with_capacity(rows);
    let mut cluster = Vec::with_capacity(rows);
    let mut seed_position = Vec::with_capacity(rows);
    let mut shown_position = Vec::with_capacity(rows);
    let mut is_focal = Vec::with_capacity(rows);
    let mut target_col: Vec<Option<i64>> = Vec::with_capacity(rows);
    let mut promoted_col = Vec::with_capacity(rows);
    let mut click = Vec::with_capacity(rows);
    let mut if_promoted = Vec::with_capacity(rows);
    let mut if_control = Vec::with_capacity(rows);
    let mut relevance_col = Vec::with_capacity(rows);
    let k = config.focals_per_slate.clamp(1, n - 1);
    let t = config.target_position.clamp(1, n + 1 - k);
    let attention = ATTENTION_BUDGET / (ATTENTION_BUDGET + ATTENTION_COST * k as f64);
    let mut positions = Vec::with_capacity(n);
    for s in slates {
        let mut rng = stream(config.population_seed, 2, s as u64);
        let mut relevance: Vec<f64> = (0..n).map(|_| rng.random_range(0.05..1.0)).collect();
        relevance.sort_by(|a, b| b.total_cmp(a));
        let mean = relevance.iter().sum::<f64>() / n as f64;
        let clusters: Vec<usize> = (0..n)
            .map(|_| rng.random_range(0..config.clusters))
            .collect();
        // The focal items' seed indices: distinct, uniform on the window, in seed order.
        let low = if config.default_design() {
            config.focal_min_position
        } else {
            config.focal_min_position.max(t + k)
        };
        let window = low.clamp(1, n + 1 - k)..=n;
        let mut focals: Vec<usize> = Vec::with_capacity(k);
        while focals.len() < k {
            let f = rng.random_range(window.clone()) - 1;
            if !focals.contains(&f) {
                focals.push(f);
            }
        }
        focals.sort_unstable();
        let promotions: Vec<Promotion> = focals
            .iter()
            .enumerate()
            .map(|(j, f)| Promotion {
                seed: *f as u32 + 1,
                target: (t + j) as u32,
            })
            .collect();
        crate::design::promoted_positions(n, &promotions, &mut positions);
        let unit = s / config.slates_per_unit.max(1);
        let promoted = promoted_unit(unit);
        let mut draw = stream(draw_seed, 3, s as u64);
        for i in 0..n {
            let seed = i + 1;
            let promoted_position = positions[i] as usize;
            let focal = focals.contains(&i);
            // Substitution per promoted tile of the item's cluster.
            let tiles = if focal {
                0
            } else {
                focals
                    .iter()
                    .filter(|f| clusters[**f] == clusters[i])
                    .count()
            };
            let substitution = if tiles == 0 {
                1.0
            } else {
                (1.0 - SUBSTITUTION).powi(tiles as i32)
            };
            let p0 = click_probability(seed, relevance[i], mean, 1.0);
            let p1 = click_probability(
                promoted_position,
                relevance[i],
                mean,
                attention * substitution,
            );
            slate_id.push(s as i64);
            unit_id.push(unit as i64);
            item_id.push((100 * (s % 37) + i) as i64);
            cluster.push(format!("c{}", clusters[i]));
            seed_position.push(seed as i64);
            shown_position.push(if promoted { promoted_position } else { seed } as i64);
            is_focal.push(focal);
            target_col.push(
                promotions
                    .iter()
                    .find(|p| p.seed as usize == seed)
                    .map(|p| i64::from(p.target)),
            );
            promoted_col.push(promoted);
            click.push(draw.random::<f64>() < if promoted { p1 } else { p0 });
            if_promoted.push(p1);
            if_control.push(p0);
            relevance_col.push(relevance[i]);
        }
    }
    let mut columns = vec![
        Column::new("slate_id".into(), slate_id),
        Column::new("unit_id".into(), unit_id),
        Column::new("item_id".into(), item_id),
        Column::new("item_cluster".into(), cluster),
        Column::new("seed_position".into(), seed_position),
        Column::new("shown_position".into(), shown_position),
        Column::new("is_focal".into(), is_focal),
        Column::new("promoted".into(), promoted_col),
        Column::new("click".into(), click),
        Column::new(
            "assignment_probability".into(),
            vec![config.promotion_probability; rows],
        ),
        Column::new("click_prob_if_promoted".into(), if_promoted),
        Column::new("click_prob_if_control".into(), if_control),
        Column::new("relevance".into(), relevance_col),
    ];
    if !config.default_design() {
        columns.push(Column::new("target_position".into(), target_col));
    }
    DataFrame::new(rows, columns)
}

/// Writes the log of [`synthetic_frame`] as parquet to `dir/file_name` with bounded memory:
/// slates are generated and written a row group of about `group_rows` rows at a time (whole
/// slates per group), so memory holds one group, whatever the number of slates. The file is
/// written to a temporary and renamed. Returns its path and rows.
pub fn write_synthetic_log(
    config: &SyntheticConfig,
    draw_seed: u64,
    dir: &std::path::Path,
    file_name: &str,
    group_rows: usize,
) -> Result<(std::path::PathBuf, usize), slate_table::TableError> {
    use slate_table::polars::prelude::ParquetWriter;
    let failed = |source| slate_table::TableError::Polars {
        table: file_name.to_string(),
        source,
    };
    let n = config.slate_size.max(2);
    let per_group = (group_rows / n).max(1);
    let path = slate_table::write_atomically(dir, file_name, |out| {
        let chunk = |start: usize| {
            synthetic_frame_of(
                config,
                draw_seed,
                start..(start + per_group).min(config.slates),
            )
            .map_err(failed)
        };
        let first = chunk(0)?;
        let mut writer = ParquetWriter::new(out)
            .with_row_group_size(Some(per_group * n))
            .batched(first.schema())
            .map_err(failed)?;
        writer.write_batch(&first).map_err(failed)?;
        drop(first);
        for start in (per_group..config.slates).step_by(per_group) {
            writer.write_batch(&chunk(start)?).map_err(failed)?;
        }
        writer.finish().map_err(failed)?;
        Ok(())
    })?;
    Ok((path, config.slates * n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streamed_file_reads_back_as_the_in_memory_log() {
        let config = SyntheticConfig {
            slates: 250,
            slate_size: 7,
            slates_per_unit: 3,
            ..SyntheticConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        // Groups of 10 slates (70 rows): 25 batches.
        let (path, rows) = write_synthetic_log(&config, 9, dir.path(), "log.parquet", 70).unwrap();
        assert_eq!(rows, 250 * 7);
        let log_config = LogConfig {
            covariates: vec!["relevance".into()],
            ..LogConfig::default()
        };
        let (read, dropped) = crate::read_log(&path, &log_config, OnBadSlate::Error).unwrap();
        assert!(dropped.is_empty());
        let (expected, _) = ImpressionLog::from_frame(
            &synthetic_frame(&config, 9).unwrap(),
            &path.display().to_string(),
            &log_config,
            OnBadSlate::Error,
        )
        .unwrap();
        assert!(
            read == expected,
            "the streamed file differs from the in-memory log"
        );
        // No temporary is left beside it.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["log.parquet"]);
    }

    #[test]
    fn a_shape_or_design_that_does_not_hold_is_a_config_error() {
        assert!(SyntheticConfig::default().check().is_ok());
        for (config, says) in [
            (
                SyntheticConfig {
                    slates: 0,
                    ..SyntheticConfig::default()
                },
                "0 slates of 12 items",
            ),
            (
                SyntheticConfig {
                    slate_size: 1,
                    ..SyntheticConfig::default()
                },
                "slate size at least 2",
            ),
            (
                SyntheticConfig {
                    slates_per_unit: 0,
                    ..SyntheticConfig::default()
                },
                "0 per unit",
            ),
            (
                SyntheticConfig {
                    focals_per_slate: 2,
                    target_position: 12,
                    ..SyntheticConfig::default()
                },
                "2 focal items promoted to slots 12..=13 do not fit a slate of 12",
            ),
        ] {
            let error = config.check().unwrap_err().to_string();
            assert!(error.contains(says), "{error}");
        }
    }

    #[test]
    fn population_is_fixed_across_draws_and_units_hold_their_slates() {
        let config = SyntheticConfig {
            slates: 200,
            slates_per_unit: 4,
            ..SyntheticConfig::default()
        };
        let a = synthetic_log(&config, 1).unwrap();
        let b = synthetic_log(&config, 2).unwrap();
        assert_eq!(a.n_slates(), 200);
        assert_eq!(a.n_units(), 50);
        assert_eq!(
            a.truth, b.truth,
            "the population does not depend on the draw"
        );
        assert_eq!(a.covariates, b.covariates);
        assert_ne!(a.promoted, b.promoted);
        assert_eq!(a, synthetic_log(&config, 1).unwrap(), "seeded");
        // Promotion helps the focal item and costs everyone else.
        let truth = a.truth.as_ref().unwrap();
        for s in 0..a.n_slates() {
            for r in a.slate_rows(s) {
                let lift = truth.if_promoted[r] - truth.if_control[r];
                assert_eq!(lift > 0.0, a.focals(s).contains(&r), "slate {s} row {r}");
            }
        }
    }
}
