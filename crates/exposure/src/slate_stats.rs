//! The per-slate reduction of an impression log: one SQL query, in a dialect that both the
//! embedded engine (polars' SQL) and Apache Spark accept, turns item rows into one row per slate
//! holding everything the estimators need: the slate's design facts, the checks of the log's
//! rules, and per exposure cell the row count, the click count and (with truth, further
//! outcomes, covariates) sums and sums of squares.
//!
//! Cells partition a slate's rows by the roles of [`crate`]: the focal item, then non-focal
//! items by (same cluster as the focal or not) × (seeded above the focal, so displaced, or
//! below). Two further overlapping cells serve the spillover sensitivity: non-focal items one
//! seed position from the focal, and non-focal items in seed positions 1–3. Every contrast's
//! sample is a sum of cells.
//!
//! The query reads a table named [`IMPRESSIONS`] with the log's own column names (mapped by
//! `[log.columns]`); its first step renames them to the canonical ones, so the rest of the
//! query, and the table it writes, never depend on the log's names. Integer sums (rows, clicks,
//! positions) are exact in every engine; floating sums are exact up to the engines' summation
//! order. [`reduce_parquet`] runs the query in-process over ranges of slates, so memory holds
//! one range at a time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use slate_log::{LogColumn, LogConfig};
use slate_table::polars::prelude::*;
use slate_table::polars::sql::SQLContext;
use slate_table::{Bound, TableError};

use crate::ExposureError;

/// The name of the table the reduction query reads.
pub const IMPRESSIONS: &str = "impressions";

/// The file the reduction writes.
pub const SLATE_STATS_FILE: &str = "interference_slate_stats.parquet";

/// Rows of the log per range of slates that [`reduce_parquet`] holds in memory by default.
pub const DEFAULT_CHUNK_ROWS: usize = 1 << 20;

/// A SQL dialect the reduction is printed in. They differ only in identifier quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// polars' SQL (the embedded engine); identifiers in double quotes.
    Polars,
    /// Spark SQL; identifiers in backticks.
    Spark,
}

impl Dialect {
    /// `name` quoted as an identifier.
    fn quote(self, name: &str) -> String {
        match self {
            Dialect::Polars => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// The dialect named `name` (`polars` or `spark`).
    pub fn from_name(name: &str) -> Option<Dialect> {
        match name {
            "polars" => Some(Dialect::Polars),
            "spark" => Some(Dialect::Spark),
            _ => None,
        }
    }
}

/// A cell of a slate's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cell {
    /// The focal item.
    Focal,
    /// Non-focal, the focal's cluster, seeded above the focal (displaced).
    SameClusterDisplaced,
    /// Non-focal, the focal's cluster, seeded below the focal.
    SameClusterBelow,
    /// Non-focal, another cluster, seeded above the focal (displaced).
    OtherDisplaced,
    /// Non-focal, another cluster, seeded below the focal.
    OtherBelow,
    /// Non-focal, one seed position above or below the focal (overlaps the cells above).
    Adjacent,
    /// Non-focal, seed positions 1–3 (overlaps the cells above).
    TopThree,
}

impl Cell {
    /// Every cell, in column order.
    pub const ALL: [Cell; 7] = [
        Cell::Focal,
        Cell::SameClusterDisplaced,
        Cell::SameClusterBelow,
        Cell::OtherDisplaced,
        Cell::OtherBelow,
        Cell::Adjacent,
        Cell::TopThree,
    ];

    /// The cells that partition a slate's rows.
    pub const PARTITION: [Cell; 5] = [
        Cell::Focal,
        Cell::SameClusterDisplaced,
        Cell::SameClusterBelow,
        Cell::OtherDisplaced,
        Cell::OtherBelow,
    ];

    /// The cell's name in column names.
    pub fn key(self) -> &'static str {
        match self {
            Cell::Focal => "focal",
            Cell::SameClusterDisplaced => "same_cluster_displaced",
            Cell::SameClusterBelow => "same_cluster_below",
            Cell::OtherDisplaced => "other_displaced",
            Cell::OtherBelow => "other_below",
            Cell::Adjacent => "adjacent",
            Cell::TopThree => "top_three",
        }
    }

    /// Whether a row is in the cell, over the reduction's canonical columns.
    fn condition(self) -> &'static str {
        match self {
            Cell::Focal => "is_focal = 1",
            Cell::SameClusterDisplaced => {
                "is_focal = 0 AND item_cluster = focal_cluster AND seed_position < focal_seed_position"
            }
            Cell::SameClusterBelow => {
                "is_focal = 0 AND item_cluster = focal_cluster AND seed_position > focal_seed_position"
            }
            Cell::OtherDisplaced => {
                "is_focal = 0 AND item_cluster <> focal_cluster AND seed_position < focal_seed_position"
            }
            Cell::OtherBelow => {
                "is_focal = 0 AND item_cluster <> focal_cluster AND seed_position > focal_seed_position"
            }
            Cell::Adjacent => {
                "is_focal = 0 AND (seed_position = focal_seed_position - 1 OR seed_position = focal_seed_position + 1)"
            }
            Cell::TopThree => "is_focal = 0 AND seed_position <= 3",
        }
    }
}

/// A per-cell statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellStat {
    /// Rows in the cell.
    Rows,
    /// Clicks in the cell (clicks are 0/1, so this is also the sum of squares).
    Clicks,
    /// Σ click probability if promoted (truth).
    IfPromoted,
    /// Σ click probability if not promoted (truth).
    IfControl,
    /// Σ of its square.
    IfPromotedSquared,
    /// Σ of its square.
    IfControlSquared,
    /// Σ (if promoted − if control)².
    LiftSquared,
}

impl CellStat {
    /// The statistics every log has.
    pub const OBSERVED: [CellStat; 2] = [CellStat::Rows, CellStat::Clicks];
    /// The statistics of the truth columns.
    pub const TRUTH: [CellStat; 5] = [
        CellStat::IfPromoted,
        CellStat::IfControl,
        CellStat::IfPromotedSquared,
        CellStat::IfControlSquared,
        CellStat::LiftSquared,
    ];

    fn key(self) -> &'static str {
        match self {
            CellStat::Rows => "rows",
            CellStat::Clicks => "clicks",
            CellStat::IfPromoted => "p_if_promoted",
            CellStat::IfControl => "p_if_control",
            CellStat::IfPromotedSquared => "p_if_promoted_sq",
            CellStat::IfControlSquared => "p_if_control_sq",
            CellStat::LiftSquared => "lift_sq",
        }
    }

    /// The summed expression, over the reduction's canonical columns.
    fn expression(self) -> &'static str {
        match self {
            CellStat::Rows => "1",
            CellStat::Clicks => "click",
            CellStat::IfPromoted => "p_if_promoted",
            CellStat::IfControl => "p_if_control",
            CellStat::IfPromotedSquared => "p_if_promoted * p_if_promoted",
            CellStat::IfControlSquared => "p_if_control * p_if_control",
            CellStat::LiftSquared => {
                "(p_if_promoted - p_if_control) * (p_if_promoted - p_if_control)"
            }
        }
    }

    fn integer(self) -> bool {
        matches!(self, CellStat::Rows | CellStat::Clicks)
    }
}

/// The column of statistic `stat` in cell `cell`.
pub fn cell_column(stat: CellStat, cell: Cell) -> String {
    format!("{}_{}", stat.key(), cell.key())
}

/// A statistic of the log's `k`-th further outcome in a cell: its sum or sum of squares.
pub fn outcome_column(k: usize, squared: bool, cell: Cell) -> String {
    let stat = if squared { "sq" } else { "sum" };
    format!("outcome{k}_{stat}_{}", cell.key())
}

/// A per-slate summary of the log's `k`-th covariate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CovariateStat {
    /// The focal row's value.
    Focal,
    /// Σ over the slate.
    Sum,
    /// Σ of squares.
    SumSquared,
    /// Maximum.
    Max,
    /// Minimum.
    Min,
    /// Σ over seed positions 1–3.
    TopThreeSum,
    /// The value at seed position 1.
    First,
}

impl CovariateStat {
    /// Every statistic, in column order.
    pub const ALL: [CovariateStat; 7] = [
        CovariateStat::Focal,
        CovariateStat::Sum,
        CovariateStat::SumSquared,
        CovariateStat::Max,
        CovariateStat::Min,
        CovariateStat::TopThreeSum,
        CovariateStat::First,
    ];

    fn key(self) -> &'static str {
        match self {
            CovariateStat::Focal => "focal",
            CovariateStat::Sum => "sum",
            CovariateStat::SumSquared => "sq",
            CovariateStat::Max => "max",
            CovariateStat::Min => "min",
            CovariateStat::TopThreeSum => "top_three_sum",
            CovariateStat::First => "first",
        }
    }

    fn aggregate(self, c: &str) -> Aggregate {
        match self {
            CovariateStat::Focal => Aggregate::Min(format!("focal_{c}")),
            CovariateStat::Sum => Aggregate::Sum(c.to_string()),
            CovariateStat::SumSquared => Aggregate::Sum(format!("{c} * {c}")),
            CovariateStat::Max => Aggregate::Max(c.to_string()),
            CovariateStat::Min => Aggregate::Min(c.to_string()),
            CovariateStat::TopThreeSum => {
                Aggregate::Sum(format!("CASE WHEN seed_position <= 3 THEN {c} ELSE 0 END"))
            }
            CovariateStat::First => {
                Aggregate::Max(format!("CASE WHEN seed_position = 1 THEN {c} END"))
            }
        }
    }
}

/// The column of statistic `stat` of the log's `k`-th covariate.
pub fn covariate_column(k: usize, stat: CovariateStat) -> String {
    format!("covariate{k}_{}", stat.key())
}

/// A per-slate fact or check of the reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// The slate (the group key; the log's id type).
    SlateId,
    /// Smallest unit id of the slate's rows (the unit; the log's id type).
    UnitId,
    /// Largest unit id (equal to the smallest in a valid log).
    UnitIdMax,
    /// Smallest user id of the slate's rows.
    UserId,
    /// Largest user id (equal to the smallest in a valid log).
    UserIdMax,
    /// Smallest promotion flag (0/1).
    PromotedMin,
    /// Largest promotion flag (equal to the smallest in a valid log).
    PromotedMax,
    /// Smallest logged assignment probability (with the column only).
    ProbabilityMin,
    /// Largest logged assignment probability.
    ProbabilityMax,
    /// Rows.
    Rows,
    /// Rows with a null in a column the analysis reads.
    NullRows,
    /// Rows whose click is not 0 or 1.
    BadClicks,
    /// Rows whose `is_focal` or `promoted` is not 0 or 1 (false or true).
    BadFlags,
    /// Smallest seed position.
    SeedMin,
    /// Largest seed position.
    SeedMax,
    /// Σ 2^(seed − 1) over seeds 1..=52: `2^n − 1` exactly when the seeds are 1..n.
    SeedMask,
    /// Smallest shown position.
    ShownMin,
    /// Largest shown position.
    ShownMax,
    /// Σ 2^(shown − 1), as for seeds.
    ShownMask,
    /// The focal item (the log's id type).
    FocalItemId,
    /// The focal item's cluster.
    FocalCluster,
    /// The focal's seed position.
    FocalSeedPosition,
    /// The focal's shown position.
    FocalShownPosition,
    /// Distinct item clusters on the slate.
    DistinctClusters,
    /// Distinct items on the slate (the rows, in a valid log).
    DistinctItems,
    /// Displaced rows (non-focal, seeded above the focal) shown exactly one place lower.
    DisplacedShiftedByOne,
}

/// The largest position the position masks cover exactly (2^52 is exact in a double).
pub const MASK_MAX_POSITION: u32 = 52;

impl Fact {
    /// Every fact, in column order.
    pub const ALL: [Fact; 26] = [
        Fact::SlateId,
        Fact::UnitId,
        Fact::UnitIdMax,
        Fact::UserId,
        Fact::UserIdMax,
        Fact::PromotedMin,
        Fact::PromotedMax,
        Fact::ProbabilityMin,
        Fact::ProbabilityMax,
        Fact::Rows,
        Fact::NullRows,
        Fact::BadClicks,
        Fact::BadFlags,
        Fact::SeedMin,
        Fact::SeedMax,
        Fact::SeedMask,
        Fact::ShownMin,
        Fact::ShownMax,
        Fact::ShownMask,
        Fact::FocalItemId,
        Fact::FocalCluster,
        Fact::FocalSeedPosition,
        Fact::FocalShownPosition,
        Fact::DistinctClusters,
        Fact::DistinctItems,
        Fact::DisplacedShiftedByOne,
    ];

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Fact::SlateId => "slate_id",
            Fact::UnitId => "unit_id",
            Fact::UnitIdMax => "unit_id_max",
            Fact::UserId => "user_id",
            Fact::UserIdMax => "user_id_max",
            Fact::PromotedMin => "promoted_min",
            Fact::PromotedMax => "promoted_max",
            Fact::ProbabilityMin => "assignment_probability_min",
            Fact::ProbabilityMax => "assignment_probability_max",
            Fact::Rows => "rows",
            Fact::NullRows => "null_rows",
            Fact::BadClicks => "bad_clicks",
            Fact::BadFlags => "bad_flags",
            Fact::SeedMin => "seed_position_min",
            Fact::SeedMax => "seed_position_max",
            Fact::SeedMask => "seed_position_mask",
            Fact::ShownMin => "shown_position_min",
            Fact::ShownMax => "shown_position_max",
            Fact::ShownMask => "shown_position_mask",
            Fact::FocalItemId => "focal_item_id",
            Fact::FocalCluster => "focal_cluster",
            Fact::FocalSeedPosition => "focal_seed_position",
            Fact::FocalShownPosition => "focal_shown_position",
            Fact::DistinctClusters => "n_distinct_clusters",
            Fact::DistinctItems => "n_distinct_items",
            Fact::DisplacedShiftedByOne => "n_displaced_shifted_by_one",
        }
    }

    /// The aggregate (`None` for the group key, and for the columns a log lacks).
    fn aggregate(self, shape: &LogShape) -> Option<Aggregate> {
        let mask = |c: &str| {
            Aggregate::Sum(format!(
                "CASE WHEN {c} BETWEEN 1 AND {MASK_MAX_POSITION} \
                 THEN CAST(POWER(2, {c} - 1) AS BIGINT) ELSE 0 END"
            ))
        };
        let column = |c: &str| c.to_string();
        Some(match self {
            Fact::SlateId => return None,
            f if !shape.facts().contains(&f) => return None,
            Fact::UnitId => Aggregate::Min(column("unit_id")),
            Fact::UnitIdMax => Aggregate::Max(column("unit_id")),
            Fact::UserId => Aggregate::Min(column("user_id")),
            Fact::UserIdMax => Aggregate::Max(column("user_id")),
            Fact::PromotedMin => Aggregate::Min(column("promoted")),
            Fact::PromotedMax => Aggregate::Max(column("promoted")),
            Fact::ProbabilityMin => Aggregate::Min(column("assignment_probability")),
            Fact::ProbabilityMax => Aggregate::Max(column("assignment_probability")),
            Fact::Rows => Aggregate::Count,
            Fact::NullRows => Aggregate::Sum(format!(
                "CASE WHEN {} THEN 1 ELSE 0 END",
                shape
                    .read_columns()
                    .iter()
                    .map(|c| format!("{c} IS NULL"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            )),
            Fact::BadFlags => Aggregate::Sum(
                "CASE WHEN (is_focal_value = 0 OR is_focal_value = 1) \
                 AND (promoted_value = 0 OR promoted_value = 1) THEN 0 ELSE 1 END"
                    .into(),
            ),
            Fact::BadClicks => {
                Aggregate::Sum("CASE WHEN click = 0 OR click = 1 THEN 0 ELSE 1 END".into())
            }
            Fact::SeedMin => Aggregate::Min(column("seed_position")),
            Fact::SeedMax => Aggregate::Max(column("seed_position")),
            Fact::SeedMask => mask("seed_position"),
            Fact::ShownMin => Aggregate::Min(column("shown_position")),
            Fact::ShownMax => Aggregate::Max(column("shown_position")),
            Fact::ShownMask => mask("shown_position"),
            Fact::FocalItemId => Aggregate::Min(column("focal_item_id")),
            Fact::FocalCluster => Aggregate::Min(column("focal_cluster")),
            Fact::FocalSeedPosition => Aggregate::Min(column("focal_seed_position")),
            Fact::FocalShownPosition => Aggregate::Min(column("focal_shown_position")),
            Fact::DistinctClusters => Aggregate::CountDistinct(column("item_cluster")),
            Fact::DistinctItems => Aggregate::CountDistinct(column("item_id")),
            Fact::DisplacedShiftedByOne => Aggregate::Sum(
                "CASE WHEN is_focal = 0 AND seed_position < focal_seed_position \
                 AND shown_position = seed_position + 1 THEN 1 ELSE 0 END"
                    .into(),
            ),
        })
    }
}

/// An aggregate of the reduction over a per-row expression. An expression that is not a plain
/// column is computed once per row in the query's `per_row` step and the aggregate reads that
/// column: engines aggregate plain columns on their fast paths.
#[derive(Debug, Clone, PartialEq)]
enum Aggregate {
    /// `COUNT(*)`.
    Count,
    /// `COUNT(DISTINCT column)`.
    CountDistinct(String),
    /// `SUM(expression)`.
    Sum(String),
    /// `MIN(expression)`.
    Min(String),
    /// `MAX(expression)`.
    Max(String),
}

impl Aggregate {
    /// The aggregate over column `alias` of the per-row step, registering `alias` there when
    /// the expression is not a plain column.
    fn sql(&self, alias: &str, per_row: &mut Vec<String>) -> String {
        let mut over = |expression: &str| {
            if expression
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                expression.to_string()
            } else {
                per_row.push(format!("{expression} AS {alias}"));
                alias.to_string()
            }
        };
        match self {
            Aggregate::Count => "COUNT(*)".into(),
            Aggregate::CountDistinct(c) => format!("COUNT(DISTINCT {c})"),
            Aggregate::Sum(e) => format!("SUM({})", over(e)),
            Aggregate::Min(e) => format!("MIN({})", over(e)),
            Aggregate::Max(e) => format!("MAX({})", over(e)),
        }
    }
}

/// Which optional columns a log has, and its further outcomes and covariates (from the config).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogShape {
    /// Has a unit column (else the unit is the slate).
    pub unit: bool,
    /// Has a user column (else the user is the unit).
    pub user: bool,
    /// Has an assignment-probability column.
    pub probability: bool,
    /// Has both truth columns.
    pub truth: bool,
    /// Further outcomes, in config order.
    pub outcomes: Vec<String>,
    /// Covariates, in config order.
    pub covariates: Vec<String>,
}

impl LogShape {
    /// The shape of a log whose file has columns `names`; errors name a required column that is
    /// absent (with the name the config maps it to) and a configured outcome or covariate that
    /// is absent.
    pub fn of_columns(
        names: &[String],
        config: &LogConfig,
        file: &Path,
    ) -> Result<LogShape, ExposureError> {
        let has = |name: &str| names.iter().any(|n| n == name);
        let missing = |column: &str| {
            ExposureError::Table(TableError::MissingColumn {
                table: file.display().to_string(),
                column: column.to_string(),
            })
        };
        for column in LogColumn::ALL.into_iter().filter(|c| c.required()) {
            if !has(config.file_name_of(column)) {
                return Err(missing(config.file_name_of(column)));
            }
        }
        for name in config.outcomes.iter().chain(&config.covariates) {
            if !has(name) {
                return Err(missing(name));
            }
        }
        let present = |c: LogColumn| has(config.file_name_of(c));
        Ok(LogShape {
            unit: present(LogColumn::UnitId),
            user: present(LogColumn::UserId),
            probability: present(LogColumn::AssignmentProbability),
            truth: present(LogColumn::ClickProbIfPromoted)
                && present(LogColumn::ClickProbIfControl),
            outcomes: config.outcomes.clone(),
            covariates: config.covariates.clone(),
        })
    }

    /// The canonical columns the analysis reads (the null check covers these).
    fn read_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            "slate_id",
            "unit_id",
            "user_id",
            "item_id",
            "item_cluster",
            "seed_position",
            "shown_position",
            "is_focal",
            "promoted",
            "click",
        ]
        .map(String::from)
        .to_vec();
        if self.probability {
            out.push("assignment_probability".into());
        }
        if self.truth {
            out.extend(["p_if_promoted".into(), "p_if_control".into()]);
        }
        out.extend((0..self.outcomes.len()).map(|k| format!("outcome{k}")));
        out.extend((0..self.covariates.len()).map(|k| format!("covariate{k}")));
        out
    }

    /// The per-cell statistics this log gets.
    fn cell_stats(&self) -> Vec<CellStat> {
        let mut out = CellStat::OBSERVED.to_vec();
        if self.truth {
            out.extend(CellStat::TRUTH);
        }
        out
    }

    /// The reduction's columns after the facts, in order: each with whether it is an integer.
    pub fn stat_columns(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for cell in Cell::ALL {
            for stat in self.cell_stats() {
                out.push((cell_column(stat, cell), stat.integer()));
            }
            for k in 0..self.outcomes.len() {
                out.push((outcome_column(k, false, cell), false));
                out.push((outcome_column(k, true, cell), false));
            }
        }
        for k in 0..self.covariates.len() {
            for stat in CovariateStat::ALL {
                out.push((covariate_column(k, stat), false));
            }
        }
        out
    }

    /// The facts this log's reduction has, in column order: a log without a unit (user,
    /// probability) column has no unit (user, probability) facts, so the per-slate table keeps
    /// the log's shape.
    pub fn facts(&self) -> Vec<Fact> {
        Fact::ALL
            .into_iter()
            .filter(|f| match f {
                Fact::UnitId | Fact::UnitIdMax => self.unit,
                Fact::UserId | Fact::UserIdMax => self.user,
                Fact::ProbabilityMin | Fact::ProbabilityMax => self.probability,
                _ => true,
            })
            .collect()
    }
}

/// The reduction query over table [`IMPRESSIONS`] for a log of `shape` whose columns are named
/// by `config`, in `dialect`. Its result has one row per slate, in slate-id order: the
/// [`LogShape::facts`] then the [`LogShape::stat_columns`].
pub fn reduction_sql(config: &LogConfig, shape: &LogShape, dialect: Dialect) -> String {
    let q = |c: LogColumn| dialect.quote(config.file_name_of(c));
    let mut input = vec![format!("{} AS slate_id", q(LogColumn::SlateId))];
    let unit = if shape.unit {
        q(LogColumn::UnitId)
    } else {
        q(LogColumn::SlateId)
    };
    input.push(format!("{unit} AS unit_id"));
    let user = if shape.user {
        q(LogColumn::UserId)
    } else {
        unit
    };
    input.push(format!("{user} AS user_id"));
    input.push(format!("{} AS item_id", q(LogColumn::ItemId)));
    input.push(format!("{} AS item_cluster", q(LogColumn::ItemCluster)));
    for (column, name, ty) in [
        (LogColumn::IsFocal, "is_focal_value", "DOUBLE"),
        (LogColumn::Promoted, "promoted_value", "DOUBLE"),
        (LogColumn::SeedPosition, "seed_position", "BIGINT"),
        (LogColumn::ShownPosition, "shown_position", "BIGINT"),
        (LogColumn::IsFocal, "is_focal", "INT"),
        (LogColumn::Promoted, "promoted", "INT"),
        (LogColumn::Click, "click", "DOUBLE"),
    ] {
        input.push(format!("CAST({} AS {ty}) AS {name}", q(column)));
    }
    if shape.probability {
        input.push(format!(
            "CAST({} AS DOUBLE) AS assignment_probability",
            q(LogColumn::AssignmentProbability)
        ));
    }
    if shape.truth {
        input.push(format!(
            "CAST({} AS DOUBLE) AS p_if_promoted",
            q(LogColumn::ClickProbIfPromoted)
        ));
        input.push(format!(
            "CAST({} AS DOUBLE) AS p_if_control",
            q(LogColumn::ClickProbIfControl)
        ));
    }
    for (k, name) in shape.outcomes.iter().enumerate() {
        input.push(format!(
            "CAST({} AS DOUBLE) AS outcome{k}",
            dialect.quote(name)
        ));
    }
    for (k, name) in shape.covariates.iter().enumerate() {
        input.push(format!(
            "CAST({} AS DOUBLE) AS covariate{k}",
            dialect.quote(name)
        ));
    }

    let mut focal = vec![
        "slate_id AS focal_slate_id".to_string(),
        "item_id AS focal_item_id".into(),
        "item_cluster AS focal_cluster".into(),
        "seed_position AS focal_seed_position".into(),
        "shown_position AS focal_shown_position".into(),
    ];
    focal
        .extend((0..shape.covariates.len()).map(|k| format!("covariate{k} AS focal_covariate{k}")));
    let joined: Vec<String> = focal
        .iter()
        .skip(1)
        .map(|f| format!("f.{}", f.rsplit(' ').next().unwrap_or(f)))
        .collect();

    let mut output = vec!["slate_id".to_string()];
    let mut per_row: Vec<String> = Vec::new();
    let mut push = |aggregate: Aggregate, name: &str| {
        let sql = aggregate.sql(&format!("row_{name}"), &mut per_row);
        output.push(format!("{sql} AS {name}"));
    };
    for fact in shape.facts() {
        if let Some(aggregate) = fact.aggregate(shape) {
            push(aggregate, fact.name());
        }
    }
    for cell in Cell::ALL {
        let when = cell.condition();
        for stat in shape.cell_stats() {
            push(
                Aggregate::Sum(format!(
                    "CASE WHEN {when} THEN {} ELSE 0 END",
                    stat.expression()
                )),
                &cell_column(stat, cell),
            );
        }
        for k in 0..shape.outcomes.len() {
            push(
                Aggregate::Sum(format!("CASE WHEN {when} THEN outcome{k} ELSE 0 END")),
                &outcome_column(k, false, cell),
            );
            push(
                Aggregate::Sum(format!(
                    "CASE WHEN {when} THEN outcome{k} * outcome{k} ELSE 0 END"
                )),
                &outcome_column(k, true, cell),
            );
        }
    }
    for k in 0..shape.covariates.len() {
        for stat in CovariateStat::ALL {
            push(
                stat.aggregate(&format!("covariate{k}")),
                &covariate_column(k, stat),
            );
        }
    }

    let mut sql = String::new();
    let list = |items: &[String]| items.join(",\n    ");
    let _ = write!(
        sql,
        "-- The per-slate reduction of an impression log (slate-interference).\n\
         WITH canonical AS (\n  SELECT\n    {}\n  FROM {IMPRESSIONS}\n),\n\
         focal_rows AS (\n  SELECT\n    {}\n  FROM canonical\n  WHERE is_focal = 1\n),\n\
         with_focal AS (\n  SELECT c.*,\n    {}\n  FROM canonical c\n  \
         LEFT JOIN focal_rows f ON c.slate_id = f.focal_slate_id\n),\n\
         per_row AS (\n  SELECT *,\n    {}\n  FROM with_focal\n)\n\
         SELECT\n    {}\nFROM per_row\nGROUP BY slate_id\nORDER BY slate_id\n",
        list(&input),
        list(&focal),
        list(&joined),
        list(&per_row),
        list(&output),
    );
    sql
}

/// What [`reduce_parquet`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReducedLog {
    /// The per-slate file written.
    pub path: PathBuf,
    /// Slates (rows of the per-slate file).
    pub slates: usize,
    /// Rows of the log.
    pub rows: usize,
    /// Ranges of slates the log was reduced in (1 for a file not sorted by slate).
    pub ranges: usize,
    /// Whether the file is sorted by slate, so memory held one range at a time.
    pub sorted: bool,
}

fn polars_error(path: &Path) -> impl Fn(PolarsError) -> ExposureError + '_ {
    move |source| {
        ExposureError::Table(TableError::Polars {
            table: path.display().to_string(),
            source,
        })
    }
}

fn bound_literal(bound: &Bound) -> Expr {
    match bound {
        Bound::Int(v) => lit(*v),
        Bound::Str(s) => lit(s.clone()),
    }
}

/// Reduces the parquet log at `path` (columns named by `config`) to one row per slate with
/// polars' SQL engine, and writes it to `dir/`[`SLATE_STATS_FILE`] (atomically). A file sorted
/// by slate (ranges of slate ids in its row groups' statistics do not overlap, as every writer
/// of this project and a Spark `ORDER BY` produce) is reduced in ranges of at most
/// `chunk_rows` rows (a larger row group is a range of its own), each read alone (row groups
/// outside a range are skipped by their statistics), so memory holds one range; any other
/// file is reduced in one pass. Each range is
/// one query on polars' in-memory engine, which sums a slate's rows in file order: the result
/// does not depend on the thread count.
pub fn reduce_parquet(
    path: &Path,
    config: &LogConfig,
    dir: &Path,
    chunk_rows: usize,
) -> Result<ReducedLog, ExposureError> {
    let failed = polars_error(path);
    let slate = config.file_name_of(LogColumn::SlateId).to_string();
    let groups = slate_table::parquet_row_groups(path, &slate)?;
    let rows = groups.iter().map(|g| g.rows).sum();
    let scan = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(path).map_err(&failed)?,
        ScanArgsParquet::default(),
    )
    .map_err(&failed)?;
    let shape = LogShape::of_columns(&slate_table::parquet_columns(path)?, config, path)?;
    let sql = reduction_sql(config, &shape, Dialect::Polars);
    let runs = slate_table::sorted_runs(&groups, chunk_rows.max(1));
    let sorted = runs.is_some();
    let ranges: Vec<Expr> = match &runs {
        Some(starts) => (0..starts.len())
            .map(|j| {
                let from = col(slate.as_str()).gt_eq(bound_literal(&starts[j]));
                match starts.get(j + 1) {
                    Some(next) => from.and(col(slate.as_str()).lt(bound_literal(next))),
                    None => from,
                }
            })
            .collect(),
        None => vec![lit(true)],
    };
    let columns = shape.columns();
    let reduce = |range: &Expr| -> Result<DataFrame, ExposureError> {
        let mut context = SQLContext::new();
        context.register(IMPRESSIONS, scan.clone().filter(range.clone()));
        let frame = context.execute(&sql).map_err(&failed)?;
        let frame = frame
            .select(
                columns
                    .iter()
                    .map(|(name, ty)| match ty {
                        Some(dtype) => col(name.as_str()).strict_cast(dtype.clone()),
                        None => col(name.as_str()),
                    })
                    .collect::<Vec<_>>(),
            )
            .collect()
            .map_err(&failed)?;
        Ok(frame)
    };
    let mut slates = 0usize;
    let out_path = slate_table::write_atomically(dir, SLATE_STATS_FILE, |out| {
        let table_error = |source| TableError::Polars {
            table: SLATE_STATS_FILE.to_string(),
            source,
        };
        let as_table_error = |e: ExposureError| match e {
            ExposureError::Table(t) => t,
            other => TableError::SchemaMismatch {
                table: SLATE_STATS_FILE.into(),
                message: other.to_string(),
            },
        };
        let mut reduced_rows = 0usize;
        let rows_of = |frame: &DataFrame| -> Result<usize, TableError> {
            let column = frame.column(Fact::Rows.name()).map_err(table_error)?;
            Ok(column
                .u32()
                .map_err(table_error)?
                .iter()
                .map(|v| v.unwrap_or(0) as usize)
                .sum())
        };
        let mut frames = ranges
            .iter()
            .map(|range| reduce(range).map_err(as_table_error));
        let mut first = None;
        for frame in frames.by_ref() {
            let frame = frame?;
            if frame.height() > 0 {
                first = Some(frame);
                break;
            }
        }
        let first = first.ok_or_else(|| TableError::SchemaMismatch {
            table: path.display().to_string(),
            message: "the log has no rows".into(),
        })?;
        let mut writer = ParquetWriter::new(out)
            .batched(first.schema())
            .map_err(table_error)?;
        slates += first.height();
        reduced_rows += rows_of(&first)?;
        writer.write_batch(&first).map_err(table_error)?;
        drop(first);
        for frame in frames {
            let frame = frame?;
            slates += frame.height();
            reduced_rows += rows_of(&frame)?;
            if frame.height() > 0 {
                writer.write_batch(&frame).map_err(table_error)?;
            }
        }
        if reduced_rows < rows {
            // Rows without a slate id fall in no range (and are no slate's). More rows than the
            // file's mean a slate with several focal rows (each row joined to each), which the
            // checks of the table name.
            return Err(TableError::SchemaMismatch {
                table: path.display().to_string(),
                message: format!(
                    "{} of its {rows} rows have no slate id (column `{slate}`)",
                    rows - reduced_rows
                ),
            });
        }
        writer.finish().map_err(table_error)?;
        Ok(())
    })?;
    Ok(ReducedLog {
        path: out_path,
        slates,
        rows,
        ranges: ranges.len(),
        sorted,
    })
}

impl LogShape {
    /// Every column of the reduction with the type it is stored as (`None`: the id types of
    /// the log, kept as they are). Counts are 32-bit, sums of floats 64-bit floats.
    pub fn columns(&self) -> Vec<(String, Option<DataType>)> {
        let mut out: Vec<(String, Option<DataType>)> = self
            .facts()
            .into_iter()
            .map(|f| {
                let ty = match f {
                    Fact::SlateId
                    | Fact::UnitId
                    | Fact::UnitIdMax
                    | Fact::UserId
                    | Fact::UserIdMax
                    | Fact::FocalItemId
                    | Fact::FocalCluster => None,
                    Fact::ProbabilityMin | Fact::ProbabilityMax => Some(DataType::Float64),
                    Fact::SeedMask | Fact::ShownMask | Fact::SeedMin | Fact::SeedMax => {
                        Some(DataType::Int64)
                    }
                    Fact::ShownMin | Fact::ShownMax => Some(DataType::Int64),
                    Fact::FocalSeedPosition | Fact::FocalShownPosition => Some(DataType::Int64),
                    Fact::PromotedMin | Fact::PromotedMax => Some(DataType::Int32),
                    Fact::Rows
                    | Fact::NullRows
                    | Fact::BadClicks
                    | Fact::BadFlags
                    | Fact::DistinctClusters
                    | Fact::DistinctItems
                    | Fact::DisplacedShiftedByOne => Some(DataType::UInt32),
                };
                (f.name().to_string(), ty)
            })
            .collect();
        out.extend(self.stat_columns().into_iter().map(|(name, integer)| {
            let ty = if integer {
                DataType::UInt32
            } else {
                DataType::Float64
            };
            (name, Some(ty))
        }));
        out
    }
}

#[cfg(test)]
mod tests {
    use slate_log::synthetic::{SyntheticConfig, write_synthetic_log};
    use slate_log::{OnBadSlate, read_log};

    use super::*;

    fn config() -> LogConfig {
        LogConfig {
            covariates: vec!["relevance".into()],
            ..LogConfig::default()
        }
    }

    fn read(path: &Path) -> DataFrame {
        let file = std::fs::File::open(path).unwrap();
        ParquetReader::new(file).finish().unwrap()
    }

    fn i64s(frame: &DataFrame, name: &str) -> Vec<i64> {
        let column = frame.column(name).unwrap().cast(&DataType::Int64).unwrap();
        column.i64().unwrap().into_no_null_iter().collect()
    }

    fn f64s(frame: &DataFrame, name: &str) -> Vec<f64> {
        let column = frame
            .column(name)
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap();
        column.f64().unwrap().into_no_null_iter().collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    /// The reduction of a synthetic log written in 20 row groups, in several ranges, equals
    /// the in-memory exposure tables of the same log, slate by slate.
    #[test]
    fn the_reduction_equals_the_in_memory_exposure_tables() {
        let synthetic = SyntheticConfig {
            slates: 400,
            slate_size: 9,
            slates_per_unit: 2,
            ..SyntheticConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let (path, rows) =
            write_synthetic_log(&synthetic, 3, dir.path(), "log.parquet", 180).unwrap();
        let reduced = reduce_parquet(&path, &config(), dir.path(), 700).unwrap();
        assert_eq!((reduced.slates, reduced.rows), (400, rows));
        assert!(reduced.sorted);
        assert!(reduced.ranges > 3, "{} ranges", reduced.ranges);
        let stats = read(&reduced.path);

        let (log, _) = read_log(&path, &config(), OnBadSlate::Error).unwrap();
        let tables = crate::map_exposure(&log).unwrap();
        let slates = &tables.slates;
        let mapping = &tables.mapping;
        assert_eq!(i64s(&stats, "slate_id"), slates.slate_id);
        assert_eq!(i64s(&stats, "unit_id"), slates.unit_id);
        assert_eq!(i64s(&stats, "unit_id_max"), slates.unit_id);
        let column = |stat, cell| i64s(&stats, &cell_column(stat, cell));
        let sum = |stat, cells: &[Cell]| -> Vec<i64> {
            let mut out = vec![0; slates.len()];
            for cell in cells {
                for (o, v) in out.iter_mut().zip(column(stat, *cell)) {
                    *o += v;
                }
            }
            out
        };
        let as_i64 = |v: &[u32]| v.iter().map(|x| i64::from(*x)).collect::<Vec<_>>();
        assert_eq!(
            sum(CellStat::Rows, &Cell::PARTITION),
            as_i64(&slates.slate_size)
        );
        assert_eq!(column(CellStat::Rows, Cell::Focal), vec![1; slates.len()]);
        assert_eq!(
            sum(
                CellStat::Rows,
                &[Cell::SameClusterDisplaced, Cell::SameClusterBelow]
            ),
            as_i64(&slates.n_same_cluster_competitors)
        );
        assert_eq!(
            sum(
                CellStat::Rows,
                &[Cell::SameClusterDisplaced, Cell::OtherDisplaced]
            ),
            as_i64(&slates.n_displaced_items)
        );
        assert_eq!(
            column(CellStat::Rows, Cell::SameClusterDisplaced),
            as_i64(&slates.n_same_cluster_displaced)
        );
        assert_eq!(
            sum(CellStat::Clicks, &Cell::PARTITION),
            as_i64(&slates.total_observed_clicks)
        );
        assert_eq!(
            column(CellStat::Clicks, Cell::Focal),
            slates
                .focal_observed_click
                .iter()
                .map(|c| i64::from(*c))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            i64s(&stats, "focal_seed_position"),
            as_i64(&slates.focal_seed_position)
        );
        assert_eq!(
            i64s(&stats, "n_distinct_clusters"),
            as_i64(&slates.n_distinct_clusters)
        );
        assert_eq!(i64s(&stats, "null_rows"), vec![0; slates.len()]);
        assert_eq!(i64s(&stats, "bad_clicks"), vec![0; slates.len()]);
        let full_mask: Vec<i64> = slates.slate_size.iter().map(|n| (1i64 << n) - 1).collect();
        assert_eq!(i64s(&stats, "seed_position_mask"), full_mask);
        assert_eq!(i64s(&stats, "shown_position_mask"), full_mask);

        // The overlapping cells, from the item rows.
        let mut adjacent = vec![0i64; slates.len()];
        let mut top_three = vec![0i64; slates.len()];
        let mut s = 0;
        for r in 0..mapping.len() {
            while mapping.slate_id[r] != slates.slate_id[s] {
                s += 1;
            }
            let focal = i64::from(slates.focal_seed_position[s]);
            let seed = i64::from(mapping.seed_position[r]);
            if !mapping.is_focal[r] {
                adjacent[s] += i64::from((seed - focal).abs() == 1);
                top_three[s] += i64::from(seed <= 3);
            }
        }
        assert_eq!(column(CellStat::Rows, Cell::Adjacent), adjacent);
        assert_eq!(column(CellStat::Rows, Cell::TopThree), top_three);

        // Truth totals and covariate features, to rounding.
        let truth = slates.truth.as_ref().unwrap();
        let fsum = |stat, cells: &[Cell]| -> Vec<f64> {
            let mut out = vec![0.0; slates.len()];
            for cell in cells {
                for (o, v) in out.iter_mut().zip(f64s(&stats, &cell_column(stat, *cell))) {
                    *o += v;
                }
            }
            out
        };
        for (a, b) in fsum(CellStat::IfPromoted, &Cell::PARTITION)
            .iter()
            .zip(&truth.total_expected_clicks_if_promoted)
        {
            assert!(close(*a, *b), "{a} vs {b}");
        }
        for (a, b) in fsum(CellStat::IfControl, &Cell::PARTITION)
            .iter()
            .zip(&truth.total_expected_clicks_if_control)
        {
            assert!(close(*a, *b), "{a} vs {b}");
        }
        let feature = |name: &str| {
            &slates
                .features
                .iter()
                .find(|f| f.column.name == name)
                .unwrap()
                .column
                .values
        };
        let n = f64s(&stats, "rows");
        let mean: Vec<f64> = f64s(&stats, &covariate_column(0, CovariateStat::Sum))
            .iter()
            .zip(&n)
            .map(|(s, n)| s / n)
            .collect();
        for (a, b) in mean.iter().zip(feature("mean_relevance")) {
            assert!(close(*a, *b), "{a} vs {b}");
        }
        assert_eq!(
            &f64s(&stats, &covariate_column(0, CovariateStat::Focal)),
            feature("focal_relevance")
        );
        assert_eq!(
            &f64s(&stats, &covariate_column(0, CovariateStat::Max)),
            feature("max_relevance")
        );
    }

    /// Read back, the per-slate table gives the in-memory exposure stage's slate outcomes:
    /// integers exactly, sums and covariate features to rounding.
    #[test]
    fn the_table_read_back_gives_the_slate_outcomes() {
        let synthetic = SyntheticConfig {
            slates: 300,
            slate_size: 8,
            slates_per_unit: 3,
            ..SyntheticConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let (path, rows) =
            write_synthetic_log(&synthetic, 7, dir.path(), "log.parquet", 240).unwrap();
        let reduced = reduce_parquet(&path, &config(), dir.path(), 500).unwrap();
        let read = crate::cells::read_slate_stats(&reduced.path, &config()).unwrap();
        assert_eq!(read.rows, rows);
        let (log, _) = read_log(&path, &config(), OnBadSlate::Error).unwrap();
        let tables = crate::map_exposure(&log).unwrap();
        assert_eq!(read.assignment, tables.assignment);
        assert_eq!(read.design, crate::readiness::DesignFacts::of_log(&log));
        assert_eq!(read.readiness, tables.readiness);
        assert!(read.dictionary.is_empty());
        let expected = tables.slates;
        let got = read.slates;
        let float_close = |a: &[f64], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(*x, *y))
        };
        let mut rows_a = got.rows.clone();
        let rows_b = expected.rows.clone();
        assert!(float_close(
            &rows_a.focal_cluster_share,
            &rows_b.focal_cluster_share
        ));
        rows_a.focal_cluster_share = rows_b.focal_cluster_share.clone();
        assert_eq!(rows_a, rows_b);
        let (ta, tb) = (got.truth.unwrap(), expected.truth.unwrap());
        assert!(float_close(
            &ta.total_expected_clicks,
            &tb.total_expected_clicks
        ));
        assert!(float_close(&ta.total_known_lift, &tb.total_known_lift));
        assert!(float_close(
            &ta.slate_promotion_effect,
            &tb.slate_promotion_effect
        ));
        assert_eq!(got.covariates, expected.covariates);
        assert_eq!(got.features.len(), expected.features.len());
        for (a, b) in got.features.iter().zip(&expected.features) {
            assert_eq!((&a.column.name, a.kind), (&b.column.name, b.kind));
            assert!(
                float_close(&a.column.values, &b.column.values),
                "{}",
                a.column.name
            );
        }
    }

    /// A log without unit and user columns (the slate is the unit and the user) with string
    /// slate ids: read back, its per-slate table gives the item rows' design, readiness checks
    /// and slate ids.
    #[test]
    fn a_log_without_unit_or_user_columns_reads_back_as_its_rows() {
        let synthetic = SyntheticConfig {
            slates: 120,
            slate_size: 6,
            ..SyntheticConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = write_synthetic_log(&synthetic, 5, dir.path(), "log.parquet", 60).unwrap();
        let mut frame = read(&path);
        let slate = frame
            .column("slate_id")
            .unwrap()
            .cast(&DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .apply_values(|v| format!("s-{v:0>4}").into())
            .into_column();
        frame.with_column(slate).unwrap();
        let mut frame = frame.drop_many(["unit_id", "user_id"]);
        let edited = dir.path().join("edited.parquet");
        ParquetWriter::new(std::fs::File::create(&edited).unwrap())
            .finish(&mut frame)
            .unwrap();
        let reduced = reduce_parquet(&edited, &config(), dir.path(), 100).unwrap();
        let stats = read(&reduced.path);
        assert!(stats.column(Fact::UnitId.name()).is_err());
        assert!(stats.column(Fact::UserId.name()).is_err());
        let read = crate::cells::read_slate_stats(&reduced.path, &config()).unwrap();
        let (log, _) = read_log(&edited, &config(), OnBadSlate::Error).unwrap();
        let tables = crate::map_exposure(&log).unwrap();
        assert!(!read.design.has_unit_column);
        assert_eq!(read.assignment, tables.assignment);
        assert_eq!(read.readiness, tables.readiness);
        assert_eq!(read.slates.rows.unit_id, tables.slates.rows.unit_id);
        assert_eq!(read.slates.rows.user_id, tables.slates.rows.user_id);
        // Slate ids are strings: the dictionary lists them as the row path does.
        let rows_dictionary = log.id_dictionary();
        assert_eq!(read.dictionary.len(), 120);
        assert_eq!(read.dictionary.id[..120], rows_dictionary.id[..120]);
    }

    /// The error of reading back the reduction of a synthetic log (`slates` × `size`) after
    /// `edit` broke its frame.
    fn error_after(slates: usize, size: usize, edit: impl Fn(&mut DataFrame)) -> String {
        let synthetic = SyntheticConfig {
            slates,
            slate_size: size,
            ..SyntheticConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let (path, _) =
            write_synthetic_log(&synthetic, 2, dir.path(), "log.parquet", 10 * size).unwrap();
        let mut frame = read(&path);
        edit(&mut frame);
        let broken = dir.path().join("broken.parquet");
        ParquetWriter::new(std::fs::File::create(&broken).unwrap())
            .finish(&mut frame)
            .unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let reduced = reduce_parquet(&broken, &config(), &out, 1000).unwrap();
        crate::cells::read_slate_stats(&reduced.path, &config())
            .unwrap_err()
            .to_string()
    }

    /// A slate with two focal rows is an error naming the slate and the column.
    #[test]
    fn a_broken_rule_names_the_slate_and_column() {
        let err = error_after(40, 5, |frame| {
            let mut focal: Vec<bool> = frame
                .column("is_focal")
                .unwrap()
                .bool()
                .unwrap()
                .iter()
                .map(|v| v.unwrap())
                .collect();
            // A second focal row in slate 0 (rows 0..5).
            let extra = (0..5).find(|r| !focal[*r]).unwrap();
            focal[extra] = true;
            frame
                .replace("is_focal", Column::new("is_focal".into(), focal))
                .unwrap();
        });
        assert!(
            err.contains("slate 0, column `is_focal`: more than one focal row"),
            "{err}"
        );
    }

    /// A string unit that varies within a slate is named, though each column's codes agree.
    #[test]
    fn a_string_unit_varying_within_a_slate_is_an_error() {
        let err = error_after(20, 4, |frame| {
            let mut units: Vec<String> = i64s(frame, "unit_id")
                .iter()
                .map(|u| format!("u{u:03}"))
                .collect();
            // Slate 0's last row gets a unit between slate 0's and slate 1's.
            units[3] = "u000b".into();
            frame
                .replace("unit_id", Column::new("unit_id".into(), units))
                .unwrap();
        });
        assert!(err.contains("slate 0") && err.contains("unit_id"), "{err}");
    }

    /// A promotion flag of 2 is an error, not a control slate.
    #[test]
    fn a_flag_that_is_not_0_or_1_is_an_error() {
        let err = error_after(20, 4, |frame| {
            let mut promoted: Vec<i64> = i64s(frame, "promoted");
            for p in &mut promoted[..4] {
                *p = 2;
            }
            frame
                .replace("promoted", Column::new("promoted".into(), promoted))
                .unwrap();
        });
        assert!(err.contains("slate 0") && err.contains("0/1"), "{err}");
    }

    /// A per-slate table (from another engine, or edited) whose cell counts more rows than its
    /// slate has is an error naming the slate and the column, not a count cut to a byte.
    #[test]
    fn a_cell_count_beyond_its_slate_is_an_error() {
        let synthetic = SyntheticConfig {
            slates: 30,
            slate_size: 6,
            ..SyntheticConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = write_synthetic_log(&synthetic, 3, dir.path(), "log.parquet", 60).unwrap();
        let reduced = reduce_parquet(&path, &config(), dir.path(), 100).unwrap();
        let name = cell_column(CellStat::Rows, Cell::TopThree);
        for count in [7u32, 300] {
            let mut frame = read(&reduced.path);
            let mut counts: Vec<u32> = frame
                .column(&name)
                .unwrap()
                .u32()
                .unwrap()
                .into_no_null_iter()
                .collect();
            counts[2] = count;
            frame
                .replace(&name, Column::new(name.as_str().into(), counts))
                .unwrap();
            let edited = dir.path().join("edited.parquet");
            ParquetWriter::new(std::fs::File::create(&edited).unwrap())
                .finish(&mut frame)
                .unwrap();
            let err = crate::cells::read_slate_stats(&edited, &config())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("slate 2") && err.contains(&name) && err.contains(&count.to_string()),
                "{err}"
            );
        }
    }

    /// A file whose row groups are not in slate order is reduced in one pass, to the same table.
    #[test]
    fn an_unsorted_file_gives_the_same_table() {
        let synthetic = SyntheticConfig {
            slates: 60,
            slate_size: 5,
            ..SyntheticConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = write_synthetic_log(&synthetic, 5, dir.path(), "log.parquet", 50).unwrap();
        let sorted = read(
            &reduce_parquet(&path, &config(), dir.path(), 10)
                .unwrap()
                .path,
        );
        let mut frame = read(&path);
        frame = frame
            .sort(
                ["slate_id"],
                SortMultipleOptions::default().with_order_descending(true),
            )
            .unwrap();
        let shuffled = dir.path().join("shuffled.parquet");
        ParquetWriter::new(std::fs::File::create(&shuffled).unwrap())
            .with_row_group_size(Some(50))
            .finish(&mut frame)
            .unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let reduced = reduce_parquet(&shuffled, &config(), &out, 10).unwrap();
        assert!(!reduced.sorted);
        assert_eq!(reduced.ranges, 1);
        assert!(read(&reduced.path).equals(&sorted));
    }

    #[test]
    fn a_missing_column_is_named() {
        let names = vec!["slate_id".to_string(), "item_id".to_string()];
        let err = LogShape::of_columns(&names, &LogConfig::default(), Path::new("x.parquet"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.parquet") && err.contains("item_cluster"),
            "{err}"
        );
    }

    #[test]
    fn the_spark_dialect_quotes_with_backticks() {
        let mut config = config();
        config
            .columns
            .insert("slate_id".into(), "impression id".into());
        let shape = LogShape {
            covariates: config.covariates.clone(),
            ..LogShape::default()
        };
        let spark = reduction_sql(&config, &shape, Dialect::Spark);
        assert!(spark.contains("`impression id` AS slate_id"), "{spark}");
        let polars = reduction_sql(&config, &shape, Dialect::Polars);
        assert!(polars.contains("\"impression id\" AS slate_id"), "{polars}");
        assert_eq!(spark.replace('`', "\""), polars);
    }
}
