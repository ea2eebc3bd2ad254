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
    Cell, CellStat, CovariateStat, DISPLACEMENT_BUCKETS, Fact, MASK_MAX_POSITION, cell_column,
    covariate_column, displacement_column, outcome_column,
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
    /// Whether a row is in the cell, over the reduction's canonical columns: with `design`
    /// (a log with target positions) from each row's shared cluster and displacement, else
    /// from the slate's one focal row.
    fn condition(self, design: bool) -> &'static str {
        match (self, design) {
            (Cell::SameClusterDisplaced, true) => {
                "is_focal = 0 AND shares_cluster = 1 AND displacement > 0"
            }
            (Cell::SameClusterBelow, true) => {
                "is_focal = 0 AND shares_cluster = 1 AND displacement = 0"
            }
            (Cell::OtherDisplaced, true) => {
                "is_focal = 0 AND shares_cluster = 0 AND displacement > 0"
            }
            (Cell::OtherBelow, true) => "is_focal = 0 AND shares_cluster = 0 AND displacement = 0",
            _ => self.one_focal_condition(),
        }
    }

    fn one_focal_condition(self) -> &'static str {
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
            Fact::DisplacedShiftedByOne if shape.target => Aggregate::Sum(
                "CASE WHEN is_focal = 0 AND displacement > 0 \
                 AND shown_position = seed_position + displacement THEN 1 ELSE 0 END"
                    .into(),
            ),
            Fact::DisplacedShiftedByOne => Aggregate::Sum(
                "CASE WHEN is_focal = 0 AND seed_position < focal_seed_position \
                 AND shown_position = seed_position + 1 THEN 1 ELSE 0 END"
                    .into(),
            ),
            Fact::FirstNullColumn => {
                let columns = shape.read_columns();
                Aggregate::Min(format!(
                    "CASE {} ELSE {} END",
                    columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("WHEN {c} IS NULL THEN {i}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    columns.len()
                ))
            }
            Fact::Focals => Aggregate::Sum("is_focal".into()),
            Fact::BadTargets => Aggregate::Sum(
                "CASE WHEN is_focal = 1 AND (target_position IS NULL OR target_position < 1 \
                 OR target_position > seed_position) THEN 1 ELSE 0 END"
                    .into(),
            ),
            Fact::DistinctTargets => Aggregate::CountDistinct("focal_target".into()),
            Fact::OffDesignRows => Aggregate::Sum(
                "CASE WHEN design_position IS NULL OR shown_position <> design_position \
                 THEN 1 ELSE 0 END"
                    .into(),
            ),
            Fact::FocalTargetPosition => Aggregate::Min(column("focal_target_position")),
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
    /// Has a target-position column: several focal items per slate, promoted to any slot.
    pub target: bool,
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
            target: present(LogColumn::TargetPosition),
            outcomes: config.outcomes.clone(),
            covariates: config.covariates.clone(),
        })
    }

    /// The canonical columns the analysis reads (the null check covers these; a target
    /// position may be null on a non-focal row).
    pub fn read_columns(&self) -> Vec<String> {
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

    /// The canonical name of column `read` of [`Self::read_columns`] (`outcome0` and
    /// `covariate0` name the config's outcomes and covariates).
    pub fn canonical_name<'a>(&'a self, read: &'a str) -> &'a str {
        let outcome = (0..self.outcomes.len()).find(|k| format!("outcome{k}") == read);
        let covariate = (0..self.covariates.len()).find(|k| format!("covariate{k}") == read);
        match (read, outcome, covariate) {
            ("p_if_promoted", ..) => LogColumn::ClickProbIfPromoted.name(),
            ("p_if_control", ..) => LogColumn::ClickProbIfControl.name(),
            (_, Some(k), _) => &self.outcomes[k],
            (_, _, Some(k)) => &self.covariates[k],
            _ => read,
        }
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
        if self.target {
            for b in 0..DISPLACEMENT_BUCKETS.len() {
                for stat in CellStat::OBSERVED {
                    out.push((displacement_column(stat, b), true));
                }
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
                f if Fact::DESIGN.contains(f) => self.target,
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
    if shape.target {
        input.push(format!(
            "CAST({} AS BIGINT) AS target_position",
            q(LogColumn::TargetPosition)
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
        let when = cell.condition(shape.target);
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
    if shape.target {
        for (b, (places, _)) in DISPLACEMENT_BUCKETS.iter().enumerate() {
            let at = if b + 1 == DISPLACEMENT_BUCKETS.len() {
                format!("displacement >= {places}")
            } else {
                format!("displacement = {places}")
            };
            for stat in CellStat::OBSERVED {
                push(
                    Aggregate::Sum(format!(
                        "CASE WHEN is_focal = 0 AND {at} THEN {} ELSE 0 END",
                        stat.expression()
                    )),
                    &displacement_column(stat, b),
                );
            }
        }
    }

    let list = |items: &[String]| items.join(",\n    ");
    let focal_steps = if shape.target {
        design_steps(shape)
    } else {
        one_focal_steps(shape)
    };
    let mut sql = String::new();
    let _ = write!(
        sql,
        "-- The per-slate reduction of an impression log (slate-interference).\n\
         WITH canonical AS (\n  SELECT\n    {}\n  FROM {IMPRESSIONS}\n),\n\
         {focal_steps}\
         per_row AS (\n  SELECT *,\n    {}\n  FROM with_focal\n)\n\
         SELECT\n    {}\nFROM per_row\nGROUP BY slate_id\nORDER BY slate_id\n",
        list(&input),
        list(&per_row),
        list(&output),
    );
    sql
}

/// The query's steps from `canonical` to `with_focal` for a log with one focal item per slate
/// promoted to the top: every row joined to its slate's focal row.
fn one_focal_steps(shape: &LogShape) -> String {
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
    let list = |items: &[String]| items.join(",\n    ");
    format!(
        "focal_rows AS (\n  SELECT\n    {}\n  FROM canonical\n  WHERE is_focal = 1\n),\n\
         with_focal AS (\n  SELECT c.*,\n    {}\n  FROM canonical c\n  \
         LEFT JOIN focal_rows f ON c.slate_id = f.focal_slate_id\n),\n",
        list(&focal),
        list(&joined),
    )
}

/// The query's steps from `canonical` to `with_focal` for a log with target positions
/// (several focal items per slate, any slot): each row gets the slate's lead focal item (the
/// smallest target), the mean of the focal items' covariates, whether it shares a cluster with
/// a focal item, and its position under the design: a focal item's target, or for a non-focal
/// item the j-th slot no focal item takes, j being its rank among the non-focal items in seed
/// order (the slots are the slate's seed positions, checked to be 1..n).
fn design_steps(shape: &LogShape) -> String {
    let k = shape.covariates.len();
    let list = |items: &[String]| items.join(",\n    ");
    let mut focal = vec![
        "slate_id AS focal_slate_id".to_string(),
        "item_id AS focal_item_id".into(),
        "item_cluster AS focal_cluster".into(),
        "seed_position AS focal_seed_position".into(),
        "shown_position AS focal_shown_position".into(),
        "target_position AS focal_target_position".into(),
    ];
    focal.extend((0..k).map(|k| format!("covariate{k} AS focal_value{k}")));
    focal.push(
        "ROW_NUMBER() OVER (PARTITION BY slate_id ORDER BY target_position, seed_position) \
         AS focal_rank"
            .into(),
    );
    let lead: Vec<String> = focal[..6]
        .iter()
        .map(|f| f.rsplit(' ').next().unwrap_or(f).to_string())
        .collect();
    let mut means = vec!["focal_slate_id AS mean_slate_id".to_string()];
    means.extend((0..k).map(|k| format!("AVG(focal_value{k}) AS focal_covariate{k}")));
    let mut joined: Vec<String> = lead.iter().skip(1).map(|c| format!("f.{c}")).collect();
    joined.extend((0..k).map(|k| format!("m.focal_covariate{k}")));
    joined.push("CASE WHEN g.shared_cluster IS NULL THEN 0 ELSE 1 END AS shares_cluster".into());
    joined.push(
        "CASE WHEN r.is_focal = 1 THEN r.target_position ELSE s.free_slot END AS design_position"
            .into(),
    );
    joined.push("CASE WHEN r.is_focal = 1 THEN r.target_position END AS focal_target".into());
    // A row matching no free slot (a broken design) gets a negative displacement: it falls in
    // no exposure cell, which the reader reports.
    joined.push(
        "CASE WHEN r.is_focal = 1 THEN 0 ELSE COALESCE(s.free_slot, 0) - r.seed_position END \
         AS displacement"
            .into(),
    );
    format!(
        "focal_rows AS (\n  SELECT\n    {focal}\n  FROM canonical\n  WHERE is_focal = 1\n),\n\
         lead_focal AS (\n  SELECT\n    {lead}\n  FROM focal_rows\n  WHERE focal_rank = 1\n),\n\
         focal_means AS (\n  SELECT\n    {means}\n  FROM focal_rows\n  GROUP BY focal_slate_id\n),\n\
         focal_clusters AS (\n  SELECT DISTINCT focal_slate_id AS cluster_slate_id, \
         focal_cluster AS shared_cluster\n  FROM focal_rows\n),\n\
         free_slots AS (\n  SELECT\n    c.slate_id AS free_slate_id,\n    \
         c.seed_position AS free_slot,\n    \
         ROW_NUMBER() OVER (PARTITION BY c.slate_id ORDER BY c.seed_position) AS free_rank\n  \
         FROM canonical c\n  LEFT JOIN focal_rows t \
         ON c.slate_id = t.focal_slate_id AND c.seed_position = t.focal_target_position\n  \
         WHERE t.focal_slate_id IS NULL\n),\n\
         counted AS (\n  SELECT *,\n    \
         SUM(is_focal) OVER (PARTITION BY slate_id ORDER BY seed_position) AS focals_so_far\n  \
         FROM canonical\n),\n\
         ranked AS (\n  SELECT *,\n    \
         CASE WHEN is_focal = 0 THEN seed_position - focals_so_far ELSE 0 END AS nonfocal_rank\n  \
         FROM counted\n),\n\
         with_focal AS (\n  SELECT r.*,\n    {joined}\n  FROM ranked r\n  \
         LEFT JOIN lead_focal f ON r.slate_id = f.focal_slate_id\n  \
         LEFT JOIN focal_means m ON r.slate_id = m.mean_slate_id\n  \
         LEFT JOIN focal_clusters g \
         ON r.slate_id = g.cluster_slate_id AND r.item_cluster = g.shared_cluster\n  \
         LEFT JOIN free_slots s \
         ON r.slate_id = s.free_slate_id AND r.nonfocal_rank = s.free_rank\n),\n",
        focal = list(&focal),
        lead = list(&lead),
        means = list(&means),
        joined = list(&joined),
    )
}

impl LogShape {
    /// Every column of the reduction with the type it is stored as (`None`: the id types of
    /// the log, kept as they are). Counts are 32-bit, sums of floats 64-bit floats.
    pub fn columns(&self) -> Vec<(String, Option<DataType>)> {
        let mut out: Vec<(String, Option<DataType>)> = self
            .facts()
            .into_iter()
            .map(|f| {
                let ty = f.data_type();
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
