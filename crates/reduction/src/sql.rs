//! The reduction as one SQL query, in the dialect of the embedded engine (polars' SQL) or of
//! Apache Spark: what each cell, statistic and fact of [`crate::columns`] sums over the log's
//! rows, the shape of a log (which optional columns it has), and the query itself.

use std::fmt::Write as _;
use std::path::Path;

use slate_exposure::ExposureError;
use slate_log::{LogColumn, LogConfig};
use slate_table::TableError;
use slate_table::polars::prelude::*;

use crate::columns::{
    Cell, CellStat, CovariateStat, Fact, MASK_MAX_POSITION, cell_column, covariate_column,
    outcome_column,
};

/// The name of the table the reduction query reads.
pub const IMPRESSIONS: &str = "impressions";

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

impl Cell {
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

impl CellStat {
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

impl CovariateStat {
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

impl Fact {
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
        if has(config.file_name_of(LogColumn::TargetPosition)) {
            return Err(ExposureError::Unsupported {
                file: file.display().to_string(),
                column: config.file_name_of(LogColumn::TargetPosition).to_string(),
                message: "the per-slate reduction reads logs with one focal item per slate promoted to slot 1; read a log with target positions through its item rows (`analyze --item-rows`)".into(),
            });
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
