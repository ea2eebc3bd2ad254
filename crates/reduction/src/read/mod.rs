//! The read of a per-slate table, whichever engine wrote it (the embedded one, Spark), into the
//! slate outcomes and cells, checking every rule of the design on the slate's aggregates.
//!
//! Its columns are read one at a time, cast to the types the reduction declares and put in
//! slate order, so the result does not depend on the engine's output types or order. Every rule
//! of the log that [`slate_log::read_log`] checks on rows is checked here on the slate's
//! aggregates, and a broken one is an error naming the file, the slate and the column.
//!
//! Ids keep the log's values when they are integers; string ids become their rank in sorted
//! order, as in the row path, except the focal item's, which is ranked among focal items only
//! (the per-slate table does not list the other items).

use std::collections::BTreeMap;
use std::path::Path;

use slate_exposure::readiness::DesignFacts;
use slate_exposure::readiness::exposure_readiness;
use slate_exposure::{
    ExposureError, Feature, FeatureColumns, FeatureFile, HeldTruth, SlateOutcomes, SlateRows,
    features,
};
use slate_log::ids::{IdValues, RawIds};
use slate_log::{CovariateLevel, IdDictionary, LogColumn, LogConfig};
use slate_table::polars::prelude::*;
use slate_table::readiness::Check;
use slate_table::{NamedColumn, TableError};

use crate::cells::{CellOutcome, SlateCells};
use crate::columns::{
    Cell, CellStat, CovariateStat, DISPLACEMENT_BUCKETS, Fact, cell_column, covariate_column,
    displacement_column, outcome_column,
};
use crate::source::{ColumnSource, ascending, bad, part_files, read_parts};
use crate::sql::LogShape;
use crate::truth_cells::TruthCells;

mod cell_counts;
mod rules;

use cell_counts::CellCounts;

/// The slate outcomes and cells read from a per-slate table.
#[derive(Debug, Clone, PartialEq)]
pub struct SlateStatsTables {
    /// One row per slate, as the exposure stage's slate outcomes.
    pub slates: SlateOutcomes,
    /// Per-slate cell sums.
    pub cells: SlateCells,
    /// Rows of the log the table reduces.
    pub rows: usize,
    /// The facts of the item rows the readiness checks read.
    pub design: DesignFacts,
    /// The readiness checks, as the exposure stage computes them from item rows.
    pub readiness: Vec<Check>,
    /// The string ids of the table's id columns (items: the focal items, ranked among
    /// themselves); empty when every id is an integer.
    pub dictionary: IdDictionary,
}

/// The file in which [`read_slate_stats_spilling`] leaves the covariate features.
pub const FEATURE_SPILL_FILE: &str = "interference_slate_features.spill.parquet";

/// Reads a per-slate table (a parquet file, or a directory of parquet files as Spark writes)
/// for a log whose further outcomes and covariates `config` lists, checks every rule of the
/// design on it, and returns the slate outcomes and cells.
pub fn read_slate_stats(
    path: &Path,
    config: &LogConfig,
) -> Result<SlateStatsTables, ExposureError> {
    read_slate_stats_to(path, config, None)
}

/// [`read_slate_stats`], leaving the covariate features on disk in [`FEATURE_SPILL_FILE`] of
/// `dir` as soon as they are computed (seven `f64`s a slate per item-level covariate that the
/// rest of the read and the slate table's writer, which reads them a row group at a time, need
/// not hold). The caller removes the file once the slate table is written.
pub fn read_slate_stats_spilling(
    path: &Path,
    config: &LogConfig,
    dir: &Path,
) -> Result<SlateStatsTables, ExposureError> {
    read_slate_stats_to(path, config, Some(dir))
}

fn read_slate_stats_to(
    path: &Path,
    config: &LogConfig,
    spill: Option<&Path>,
) -> Result<SlateStatsTables, ExposureError> {
    let polars = |source: PolarsError| {
        ExposureError::Table(TableError::Polars {
            table: path.display().to_string(),
            source,
        })
    };
    let files = part_files(path)?;
    let names = slate_table::parquet_columns(&files[0])?;
    let has = |name: &str| names.iter().any(|n| n == name);
    let shape = LogShape {
        unit: has(Fact::UnitId.name()),
        user: has(Fact::UserId.name()),
        probability: has(Fact::ProbabilityMin.name()),
        truth: has(&cell_column(CellStat::IfPromoted, Cell::Focal)),
        target: has(Fact::Focals.name()),
        outcomes: config.outcomes.clone(),
        covariates: config.covariates.clone(),
    };
    let types: BTreeMap<String, Option<DataType>> = shape.columns().into_iter().collect();
    if let Some(name) = types.keys().find(|name| !has(name)) {
        return Err(ExposureError::Table(TableError::MissingColumn {
            table: path.display().to_string(),
            column: name.clone(),
        }));
    }
    // Columns are read one at a time (a table of millions of slates is never in memory
    // whole), each cast to the reduction's type and, when the engine did not write the table
    // in slate order, put in it.
    let slates = read_parts(&files, Some(&[Fact::SlateId.name().to_string()]))?;
    let slate = slates.column(Fact::SlateId.name()).map_err(polars)?;
    let order = (!ascending(slate)).then(|| {
        slate
            .as_materialized_series()
            .arg_sort(SortOptions::default())
    });
    Reader {
        n: slate.len(),
        source: ColumnSource {
            path: path.to_path_buf(),
            files,
            order,
        },
        types,
        shape: &shape,
        spill,
    }
    .read()
}

/// Per slate, its number among its user's slates in slate order (0 for the first), from the
/// users' dense codes: the row path's sessions.
fn sessions(user_codes: &[u32]) -> Vec<u32> {
    let mut seen = vec![0u32; user_codes.iter().max().map_or(0, |m| *m as usize + 1)];
    user_codes
        .iter()
        .map(|u| {
            let session = seen[*u as usize];
            seen[*u as usize] += 1;
            session
        })
        .collect()
}

/// Reads the table's columns one at a time.
struct Reader<'a> {
    source: ColumnSource,
    n: usize,
    /// Every column's type (`None`: the log's id type, kept).
    types: BTreeMap<String, Option<DataType>>,
    shape: &'a LogShape,
    /// Where the covariate features are left on disk (held without).
    spill: Option<&'a Path>,
}

/// Ids of one id column: the `i64` values, or the dense codes of strings in sorted order (as
/// [`slate_log::read_log`] interns them), with the interned values. A null id is an error.
fn ids(column: &Column) -> Result<(Vec<i64>, IdValues), PolarsError> {
    let raw = RawIds::of_column(column).ok_or_else(|| {
        PolarsError::ComputeError(
            format!(
                "column `{}` has a null id or is not integers or strings",
                column.name()
            )
            .into(),
        )
    })?;
    let (values, codes) = raw.intern();
    Ok((
        codes.iter().map(|c| values.table_value(*c)).collect(),
        values,
    ))
}

/// Per row, whether id columns `min` and `max` differ (as written: string codes of two columns
/// are not comparable).
fn differs(min: &Column, max: &Column) -> Result<Vec<bool>, PolarsError> {
    let same = min
        .as_materialized_series()
        .equal_missing(max.as_materialized_series())?;
    Ok(same.iter().map(|v| v != Some(true)).collect())
}

/// A table's ids as the slate outcomes show them.
struct Ids {
    /// Slate ids (integers as written, strings as ranks).
    slate: Vec<i64>,
    /// How messages show a slate id.
    slate_names: SlateNames,
    /// Unit ids (the slate's own without a unit column).
    unit: Vec<i64>,
    /// User ids (the unit's without a user column).
    user: Vec<i64>,
    /// The focal item's id (string ids ranked among focal items).
    focal_item: Vec<i64>,
    /// The string ids of every id column.
    dictionary: IdDictionary,
}

impl Ids {
    /// Slate `s`'s id as written in the log (while the ids hold the slate ids).
    fn shown(&self, s: usize) -> String {
        self.slate_names.show(&self.slate, s)
    }
}

/// How messages show a slate id: an integer id is its own value, a string id's rank indexes
/// the sorted strings (no per-slate copy is held for messages).
struct SlateNames {
    /// The distinct string ids in sorted order; `None` when ids are integers.
    strings: Option<Vec<String>>,
}

impl SlateNames {
    /// Slate `s`'s id as written in the log, from the slate ids as the table holds them.
    fn show(&self, slate_id: &[i64], s: usize) -> String {
        match &self.strings {
            None => slate_id[s].to_string(),
            Some(strings) => strings[slate_id[s] as usize].clone(),
        }
    }
}

/// The log's covariates with their levels, in config order.
type Covariates = Vec<(String, CovariateLevel)>;

/// Per slate, whether its unit or its user varies within it (a broken rule).
struct Varies {
    unit: Vec<bool>,
    user: Vec<bool>,
}

/// The per-slate counts and positions every step reads.
struct Counts {
    /// Rows (shown items).
    rows: Vec<u32>,
    /// Distinct item clusters.
    distinct_clusters: Vec<u32>,
    /// 1 when the slate is promoted (its largest `promoted`).
    promoted_max: Vec<i64>,
    /// The focal item's seed position.
    focal_seed: Vec<i64>,
    /// The focal item's shown position.
    focal_shown: Vec<i64>,
    /// Rows per cell and slate, cells in [`Cell::ALL`] order.
    cell_rows: CellCounts,
    /// Clicks per cell and slate.
    cell_clicks: CellCounts,
}

/// The randomization units.
struct Units {
    /// Each slate's unit as a dense code in unit-id order.
    index: Vec<u32>,
    /// Units.
    count: usize,
    /// Promoted units.
    promoted: usize,
}

impl Reader<'_> {
    fn polars(&self, source: PolarsError) -> ExposureError {
        self.source.polars(source)
    }

    /// Column `name` of the table, cast to its type, in slate order.
    fn column(&self, name: &str) -> Result<Column, ExposureError> {
        self.source
            .column(name, self.types.get(name).and_then(Option::as_ref))
    }

    fn u32s(&self, name: &str) -> Result<Vec<u32>, ExposureError> {
        let c = self.column(name)?;
        let nulls = c.null_count();
        if nulls > 0 {
            return Err(ExposureError::Table(TableError::Nulls {
                table: self.source.path.display().to_string(),
                column: name.into(),
                nulls,
                first_row: 1,
            }));
        }
        Ok(c.u32()
            .map_err(|e| self.polars(e))?
            .into_no_null_iter()
            .collect())
    }

    fn i64s(&self, name: &str) -> Result<Vec<i64>, ExposureError> {
        let c = self
            .column(name)?
            .cast(&DataType::Int64)
            .map_err(|e| self.polars(e))?;
        Ok(c.i64()
            .map_err(|e| self.polars(e))?
            .iter()
            .map(|v| v.unwrap_or(i64::MIN))
            .collect())
    }

    fn f64s(&self, name: &str) -> Result<Vec<f64>, ExposureError> {
        self.source.f64s(name)
    }

    /// The whole read, step by step; each step's checks run in the order the rules are listed
    /// in the log schema, so the first broken rule is the one reported.
    fn read(&self) -> Result<SlateStatsTables, ExposureError> {
        let (ids, varies) = self.ids()?;
        let mut counts = self.counts()?;
        self.check_slates(&ids, &counts, varies)?;
        // Past the rules, only whether the focal item is shown first is read (a byte, not
        // eight).
        let focal_shown_first: Vec<bool> = std::mem::take(&mut counts.focal_shown)
            .into_iter()
            .map(|p| p == 1)
            .collect();
        let units = self.units(&ids, &counts)?;
        let (probability, logged) = self.assignment_probability(&ids, &units)?;
        // The truth's two totals, the further outcomes and the covariates' features before the
        // slate rows are built, so that the features (seven `f64`s a slate per item-level
        // covariate) come and go, when spilled, while less is held.
        let truth_totals = self.truth_totals()?;
        let (outcomes, outcome_totals) = self.outcomes()?;
        let (features, covariates) = self.covariate_features(&|s| ids.shown(s), &counts.rows)?;
        // Without covariates there is nothing to leave on disk.
        let features = match self.spill.filter(|_| !features.is_empty()) {
            None => FeatureColumns::Held(features),
            Some(dir) => {
                let file = FeatureFile::write(&features, dir, FEATURE_SPILL_FILE)?;
                let held = FeatureColumns::Held(features);
                // Let go of the values now (a shadowed binding would hold them to the end).
                FeatureColumns::OnDisk {
                    file,
                    names: held.names(),
                }
            }
        };
        let (table, slate_names, dictionary) =
            self.slate_rows(ids, &mut counts, units, probability, logged)?;
        // What only the slate rows needed goes now: the table is millions of slates.
        drop(std::mem::take(&mut counts.focal_seed));
        drop(std::mem::take(&mut counts.promoted_max));
        // The truth cells stay in the table until a view of them is asked for.
        let truth = self
            .shape
            .truth
            .then(|| TruthCells::new(self.source.clone(), &table.promotion_applied));
        // The truth as its two totals: the other columns follow from them and the arm.
        let slate_truth = truth_totals.map(|[if_promoted, if_control]| HeldTruth::Totals {
            if_promoted,
            if_control,
        });
        let slates = SlateOutcomes {
            rows: table,
            truth: slate_truth,
            features,
            covariates,
            outcome_totals,
        };
        let shown = |s: usize| slate_names.show(&slates.rows.slate_id, s);
        let Counts {
            rows,
            cell_rows,
            cell_clicks,
            ..
        } = counts;
        let cell_name = |stat: CellStat| move |c: usize| cell_column(stat, Cell::ALL[c]);
        // Both narrowed here; the rows' error, if any, is reported before the clicks'.
        let clicks = cell_clicks.narrow(
            &self.source.path,
            cell_name(CellStat::Clicks),
            |_, c, s| cell_rows.get(c, s),
            &shown,
        );
        let cells = SlateCells {
            rows: cell_rows.narrow(
                &self.source.path,
                cell_name(CellStat::Rows),
                |_, _, s| rows[s],
                &shown,
            )?,
            clicks: clicks?,
            truth,
            outcomes,
            displacement: None,
        };
        let displacement = if self.shape.target {
            let mut buckets = Vec::with_capacity(DISPLACEMENT_BUCKETS.len());
            for b in 0..DISPLACEMENT_BUCKETS.len() {
                let mut counts = CellCounts::default();
                for stat in [CellStat::Rows, CellStat::Clicks] {
                    counts.push(&self.u32s(&displacement_column(stat, b))?);
                }
                let narrowed = counts.narrow(
                    &self.source.path,
                    |c| displacement_column([CellStat::Rows, CellStat::Clicks][c], b),
                    |own, c, s| if c == 0 { rows[s] } else { own.get(0, s) },
                    &shown,
                )?;
                let [rows_b, clicks_b]: [Vec<u8>; 2] =
                    narrowed.try_into().expect("two columns narrowed");
                buckets.push((rows_b, clicks_b));
            }
            Some(buckets)
        } else {
            None
        };
        let cells = SlateCells {
            displacement,
            ..cells
        };
        let shifted_by_one = self.u32s(Fact::DisplacedShiftedByOne.name())?;
        let every_target_top = slates.n_focals.iter().all(|k| *k == 1)
            && slates.focal_target_position.iter().all(|t| *t == 1);
        let design = cells.design_facts(
            &slates,
            &shifted_by_one,
            &focal_shown_first,
            self.shape.unit,
            self.shape.target,
            every_target_top,
        );
        let readiness = exposure_readiness(&design, &slates)?;
        Ok(SlateStatsTables {
            slates,
            cells,
            rows: rows.iter().map(|r| *r as usize).sum(),
            design,
            readiness,
            dictionary,
        })
    }

    /// The slate, unit, user and focal item ids, and per slate whether its unit or its user
    /// varies within it. A log without a unit column has the slate as its unit; without a user
    /// column, the unit as its user.
    fn ids(&self) -> Result<(Ids, Varies), ExposureError> {
        let n = self.n;
        let (slate, slate_values) =
            ids(&self.column(Fact::SlateId.name())?).map_err(|e| self.polars(e))?;
        let mut dictionary = IdDictionary::default();
        dictionary.push_ids(LogColumn::SlateId, &slate_values);
        let slate_names = SlateNames {
            strings: match slate_values {
                IdValues::Int(_) => None,
                IdValues::Str(strings) => Some(strings),
            },
        };
        let mut id_pair = |column: LogColumn, min: Fact, max: Fact| -> Result<_, ExposureError> {
            let (smallest, largest) = (self.column(min.name())?, self.column(max.name())?);
            let varies = differs(&smallest, &largest).map_err(|e| self.polars(e))?;
            let (codes, values) = ids(&smallest).map_err(|e| self.polars(e))?;
            dictionary.push_ids(column, &values);
            Ok((codes, varies))
        };
        let (unit, unit_varies) = if self.shape.unit {
            id_pair(LogColumn::UnitId, Fact::UnitId, Fact::UnitIdMax)?
        } else {
            (slate.clone(), vec![false; n])
        };
        let (user, user_varies) = if self.shape.user {
            id_pair(LogColumn::UserId, Fact::UserId, Fact::UserIdMax)?
        } else {
            (unit.clone(), vec![false; n])
        };
        let (focal_item, item_values) =
            ids(&self.column(Fact::FocalItemId.name())?).map_err(|e| self.polars(e))?;
        dictionary.push_ids(LogColumn::ItemId, &item_values);
        let ids = Ids {
            slate,
            slate_names,
            unit,
            user,
            focal_item,
            dictionary,
        };
        let varies = Varies {
            unit: unit_varies,
            user: user_varies,
        };
        Ok((ids, varies))
    }

    /// The per-slate counts and positions every later step reads.
    fn counts(&self) -> Result<Counts, ExposureError> {
        Ok(Counts {
            rows: self.u32s(Fact::Rows.name())?,
            distinct_clusters: self.u32s(Fact::DistinctClusters.name())?,
            promoted_max: self.i64s(Fact::PromotedMax.name())?,
            focal_seed: self.i64s(Fact::FocalSeedPosition.name())?,
            focal_shown: self.i64s(Fact::FocalShownPosition.name())?,
            cell_rows: self.cell_counts(CellStat::Rows)?,
            cell_clicks: self.cell_counts(CellStat::Clicks)?,
        })
    }

    /// The slate outcomes' fixed columns. The ids and the distinct-cluster counts move into
    /// the table; what messages show a slate by and the id dictionary come back beside it
    /// (`counts` keeps the rest).
    fn slate_rows(
        &self,
        ids: Ids,
        counts: &mut Counts,
        units: Units,
        probability: f64,
        logged: bool,
    ) -> Result<(SlateRows, SlateNames, IdDictionary), ExposureError> {
        let n = self.n;
        let cell_rows = &counts.cell_rows;
        let cell_clicks = &counts.cell_clicks;
        let focal_cluster = slate_table::shared_strs(
            self.column(Fact::FocalCluster.name())?
                .cast(&DataType::String)
                .map_err(|e| self.polars(e))?
                .str()
                .map_err(|e| self.polars(e))?
                .iter()
                .map(Option::unwrap_or_default),
        );
        let sum_cells = |values: &CellCounts, cells: &[Cell]| -> Vec<u32> {
            (0..n)
                .map(|s| cells.iter().map(|c| values.get(c.index(), s)).sum())
                .collect()
        };
        let same_cluster = sum_cells(
            cell_rows,
            &[Cell::SameClusterDisplaced, Cell::SameClusterBelow],
        );
        let sessions = sessions(&RawIds::Int(ids.user.clone()).intern().1);
        let focal_targets = if self.shape.target {
            Some(self.i64s(Fact::FocalTargetPosition.name())?)
        } else {
            None
        };
        // The columns moved in below replace their reserved vectors, which were never written
        // to (the system backs an allocation's pages only once they are touched).
        let mut table = SlateRows::with_capacity(n);
        for s in 0..n {
            let rows = counts.rows[s];
            table.promotion_applied.push(counts.promoted_max[s] == 1);
            table.assignment_probability.push(probability);

            table.focal_seed_position.push(counts.focal_seed[s] as u32);
            table.slate_size.push(rows);
            table.n_same_cluster_competitors.push(same_cluster[s]);
            table.n_displaced_items.push(
                cell_rows.get(Cell::SameClusterDisplaced.index(), s)
                    + cell_rows.get(Cell::OtherDisplaced.index(), s),
            );
            table
                .n_same_cluster_displaced
                .push(cell_rows.get(Cell::SameClusterDisplaced.index(), s));
            table.total_observed_clicks.push(
                // Saturating: a broken table's counts (reported below, where the clicks'
                // bounds are checked) must not overflow first.
                Cell::PARTITION
                    .iter()
                    .fold(0u32, |t, c| t.saturating_add(cell_clicks.get(c.index(), s))),
            );
            table
                .focal_observed_click
                .push(cell_clicks.get(Cell::Focal.index(), s) >= 1);
            table.focal_cluster_share.push(
                f64::from(same_cluster[s] + cell_rows.get(Cell::Focal.index(), s))
                    / f64::from(rows),
            );
            table.assignment_probability_logged.push(logged);
            table.n_focals.push(cell_rows.get(Cell::Focal.index(), s));
            table.focal_target_position.push(
                focal_targets
                    .as_ref()
                    .map_or(1, |t| u32::try_from(t[s]).unwrap_or(0)),
            );
        }
        let Ids {
            slate,
            slate_names,
            unit,
            user,
            focal_item,
            dictionary,
        } = ids;
        table.focal_cluster = focal_cluster;
        table.slate_id = slate;
        table.unit_id = unit;
        table.user_id = user;
        table.session = sessions;
        table.focal_movie_id = focal_item;
        table.n_distinct_clusters = std::mem::take(&mut counts.distinct_clusters);
        table.unit_index = units.index;
        Ok((table, slate_names, dictionary))
    }

    /// The truth cells' sums per slate in both arms, `[if promoted, if control]` (only the
    /// cells that partition a slate enter its totals); `None` without truth columns. Each arm's
    /// total is summed a column at a time, in cell order (the additions of a per-slate sum over
    /// the cells).
    fn truth_totals(&self) -> Result<Option<[Vec<f64>; 2]>, ExposureError> {
        if !self.shape.truth {
            return Ok(None);
        }
        let total = |stat: CellStat| -> Result<Vec<f64>, ExposureError> {
            // The empty sum, as `Iterator::sum` starts from it.
            let zero: f64 = std::iter::empty::<f64>().sum();
            let mut total = vec![zero; self.n];
            for c in Cell::PARTITION {
                let column = self.f64s(&cell_column(stat, c))?;
                for (t, v) in total.iter_mut().zip(&column) {
                    *t += v;
                }
            }
            Ok(total)
        };
        Ok(Some([
            total(CellStat::IfPromoted)?,
            total(CellStat::IfControl)?,
        ]))
    }

    /// Each further outcome's per-cell sums, and its total per slate.
    fn outcomes(&self) -> Result<(Vec<CellOutcome>, Vec<NamedColumn>), ExposureError> {
        let partition_sum = |per_cell: &[Vec<f64>], s: usize| -> f64 {
            Cell::PARTITION.iter().map(|c| per_cell[c.index()][s]).sum()
        };
        let mut outcomes = Vec::new();
        let mut totals = Vec::new();
        for (k, name) in self.shape.outcomes.iter().enumerate() {
            let per_cell = |squared: bool| -> Result<Vec<Vec<f64>>, ExposureError> {
                Cell::ALL
                    .iter()
                    .map(|c| self.f64s(&outcome_column(k, squared, *c)))
                    .collect()
            };
            let (sums, squares) = (per_cell(false)?, per_cell(true)?);
            totals.push(NamedColumn {
                name: name.clone(),
                values: (0..self.n).map(|s| partition_sum(&sums, s)).collect(),
            });
            outcomes.push(CellOutcome {
                name: name.clone(),
                sum: sums,
                squares,
            });
        }
        Ok((outcomes, totals))
    }

    /// Each covariate's level (slate-level when constant within every slate) and the model
    /// features derived from its per-slate summaries, as the row path derives them.
    fn covariate_features(
        &self,
        shown: &dyn Fn(usize) -> String,
        rows: &[u32],
    ) -> Result<(Vec<Feature>, Covariates), ExposureError> {
        let n = self.n;
        let mut covariates = Vec::new();
        let mut feature_columns = Vec::new();
        for (k, name) in self.shape.covariates.iter().enumerate() {
            let stat = |stat| self.f64s(&covariate_column(k, stat));
            let (focal_value, sum, squares, max, min, top_three, first) = (
                stat(CovariateStat::Focal)?,
                stat(CovariateStat::Sum)?,
                stat(CovariateStat::SumSquared)?,
                stat(CovariateStat::Max)?,
                stat(CovariateStat::Min)?,
                stat(CovariateStat::TopThreeSum)?,
                stat(CovariateStat::First)?,
            );
            if let Some(s) = (0..n).find(|s| !(sum[*s].is_finite() && squares[*s].is_finite())) {
                return Err(bad(
                    &self.source.path,
                    &shown(s),
                    name,
                    "a value is not a finite number".into(),
                ));
            }
            let level = if (0..n).all(|s| max[s] == min[s]) {
                CovariateLevel::Slate
            } else {
                CovariateLevel::Item
            };
            let values: Vec<Vec<f64>> = match level {
                CovariateLevel::Slate => vec![min],
                CovariateLevel::Item => {
                    // The profile written over the statistics it is made of, slate by slate
                    // (the same operations as a profile built in new columns, without them):
                    // the sums become the means and the sums of squares the deviations.
                    let m = |s: usize| f64::from(rows[s]);
                    let (mut mean, mut std) = (sum, squares);
                    for s in 0..n {
                        let (sum, squares) = (mean[s], std[s]);
                        let mean_s = sum / m(s);
                        let variance = ((squares - sum * mean_s) / (m(s) - 1.0).max(1.0)).max(0.0);
                        mean[s] = mean_s;
                        std[s] = variance.sqrt();
                    }
                    let mut top = top_three;
                    for (s, t) in top.iter_mut().enumerate() {
                        *t /= m(s).min(3.0);
                    }
                    let mut gap = first;
                    for (g, focal) in gap.iter_mut().zip(&focal_value) {
                        *g -= focal;
                    }
                    vec![focal_value, mean, max, min, std, top, gap]
                }
            };
            for ((feature, kind), values) in
                features::feature_names(name, level).into_iter().zip(values)
            {
                feature_columns.push(Feature {
                    column: NamedColumn {
                        name: feature,
                        values,
                    },
                    kind,
                });
            }
            covariates.push((name.clone(), level));
        }
        Ok((feature_columns, covariates))
    }
}

#[cfg(test)]
mod tests {
    use super::sessions;
    use slate_log::ids::RawIds;

    #[test]
    fn dense_codes_rank_ids_and_count_slates_per_id_in_slate_order() {
        let (_, codes) = RawIds::Int(vec![30, 10, 30, -5, 10, 30]).intern();
        assert_eq!(codes, vec![2, 1, 2, 0, 1, 2]);
        assert_eq!(sessions(&codes), vec![0, 0, 1, 0, 1, 2]);
        let (_, none) = RawIds::Int(vec![]).intern();
        assert_eq!((none.clone(), sessions(&none)), (vec![], vec![]));
    }
}
