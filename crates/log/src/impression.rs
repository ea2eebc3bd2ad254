//! The validated impression log and what a read returns beside it: the dropped slates and the
//! dictionary of string ids.

use std::ops::Range;
use std::path::Path;

use crate::config::{LogConfig, OnBadSlate};
use crate::design::Promotion;
use crate::ids::IdValues;
use crate::read::read_frame;
use crate::schema::LogColumn;
use crate::{LogError, read, validate};

/// A slate dropped under [`OnBadSlate::Drop`], with the first rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedSlate {
    /// The slate id as written in the file.
    pub slate_id: String,
    /// Its unit id as written (the slate id when the log has no unit column).
    pub unit_id: String,
    /// 1-based data row of the offending value.
    pub row: usize,
    /// The column.
    pub column: String,
    /// What is wrong.
    pub reason: String,
}

slate_table::table! {
    /// `interference_dropped_slates.csv`: the slates `--on-bad-slate drop` removed, with the
    /// first rule each broke (empty when none was dropped).
    pub struct DroppedSlatesTable, schema DROPPED_SLATES = "interference_dropped_slates.csv" {
        /// The slate id as written in the log.
        slate_id: String,
        /// Its unit id as written.
        unit_id: String,
        /// 1-based data row of the offending value.
        row: i64,
        /// The column.
        column: String,
        /// What is wrong.
        reason: String,
    }
}

impl DroppedSlatesTable {
    /// The table of `dropped`.
    pub fn of(dropped: &[DroppedSlate]) -> Self {
        let mut table = Self::with_capacity(dropped.len());
        for d in dropped {
            table.slate_id.push(d.slate_id.clone());
            table.unit_id.push(d.unit_id.clone());
            table.row.push(d.row as i64);
            table.column.push(d.column.clone());
            table.reason.push(d.reason.clone());
        }
        table
    }
}

slate_table::table! {
    /// `interference_id_dictionary.csv`: for each kind of id the log gives as strings (slate,
    /// unit, user, item), every code the analysis tables use in its place and the id itself
    /// (codes follow sorted id order). Written only when some id is a string.
    pub struct IdDictionary, schema ID_DICTIONARY = "interference_id_dictionary.csv" {
        /// `slate_id`, `unit_id`, `user_id` or `item_id`: the canonical column.
        kind: String,
        /// The value in the analysis tables.
        code: i64,
        /// The id as written in the log.
        id: String,
    }
}

impl ImpressionLog {
    /// The dictionary of the string ids (empty when every id is an integer).
    pub fn id_dictionary(&self) -> IdDictionary {
        let mut table = IdDictionary::default();
        for (column, ids) in [
            (LogColumn::SlateId, &self.slate_ids),
            (LogColumn::UnitId, &self.unit_ids),
            (LogColumn::UserId, &self.user_ids),
            (LogColumn::ItemId, &self.item_ids),
        ] {
            table.push_ids(column, ids);
        }
        table
    }
}

impl IdDictionary {
    /// Adds the codes of `column`'s ids when they are strings (integer ids are their own
    /// values and get no entry).
    pub fn push_ids(&mut self, column: LogColumn, ids: &IdValues) {
        if let IdValues::Str(values) = ids {
            for (code, id) in values.iter().enumerate() {
                self.kind.push(column.name().to_string());
                self.code.push(code as i64);
                self.id.push(id.clone());
            }
        }
    }
}

/// Whether a covariate is constant within every slate (as a label, the `level` column of the
/// log-columns table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
pub enum CovariateLevel {
    /// One value per slate (e.g. a user's history).
    #[strum(serialize = "slate")]
    Slate,
    /// Varies across a slate's items (e.g. a ranker score).
    #[strum(serialize = "item")]
    Item,
}

slate_table::label!(CovariateLevel);

/// A named numeric column of the log, one value per row.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedValues {
    /// Column name (as configured).
    pub name: String,
    /// One value per row, in log order.
    pub values: Vec<f64>,
}

/// A pre-treatment covariate.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariate {
    /// Its values.
    pub column: NamedValues,
    /// Slate- or item-level.
    pub level: CovariateLevel,
}

/// The oracle: both potential click probabilities of every row (a simulation's truth).
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// Click probability had the slate been promoted.
    pub if_promoted: Vec<f64>,
    /// Click probability had the slate not been promoted.
    pub if_control: Vec<f64>,
}

impl Truth {
    /// Row `r`'s click probability in the arm its slate was given (`promoted` or not).
    pub fn realized(&self, r: usize, promoted: bool) -> f64 {
        if promoted {
            self.if_promoted[r]
        } else {
            self.if_control[r]
        }
    }

    /// Row `r`'s known induced lift: its realized probability less its control one (zero in
    /// a control slate).
    pub fn induced_lift(&self, r: usize, promoted: bool) -> f64 {
        self.realized(r, promoted) - self.if_control[r]
    }
}

/// Where the assignment probability comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbabilitySource {
    /// The log's `assignment_probability` column.
    Logged,
    /// Absent from the log: the observed promoted share of units.
    ObservedShare,
}

/// The design probability of promotion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AssignmentProbability {
    /// The probability (in (0, 1)).
    pub value: f64,
    /// Where it comes from.
    pub source: ProbabilitySource,
}

/// A validated impression log, rows grouped by slate in slate-id order and in seed order within
/// a slate.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpressionLog {
    /// The file it was read from (or a label for an in-memory log).
    pub source: String,
    /// Distinct slate ids; slate `s` is code `s`.
    pub slate_ids: IdValues,
    /// Distinct unit ids.
    pub unit_ids: IdValues,
    /// Distinct user ids (the unit ids when the log has no user column).
    pub user_ids: IdValues,
    /// Distinct item ids.
    pub item_ids: IdValues,
    /// Slate `s` is rows `slate_offsets[s]..slate_offsets[s + 1]`.
    pub slate_offsets: Vec<usize>,
    /// Each slate's unit code.
    pub slate_unit: Vec<u32>,
    /// Each slate's user code.
    pub slate_user: Vec<u32>,
    /// Each slate's arm.
    pub promoted: Vec<bool>,
    /// Slate `s`'s focal items are `focal_rows[focal_offsets[s]..focal_offsets[s + 1]]`.
    pub focal_offsets: Vec<usize>,
    /// Every slate's focal rows (one or more per slate), in slate and seed order.
    pub focal_rows: Vec<usize>,
    /// The target position of each of `focal_rows` (1 when the log has no target column).
    pub focal_target: Vec<u32>,
    /// Each row's item code.
    pub item: Vec<u32>,
    /// Each row's substitute group.
    pub item_cluster: Vec<slate_table::SharedStr>,
    /// 1-based seed position.
    pub seed_position: Vec<u32>,
    /// 1-based shown position.
    pub shown_position: Vec<u32>,
    /// Whether the row is its slate's focal item.
    pub is_focal: Vec<bool>,
    /// The click.
    pub click: Vec<bool>,
    /// Further outcomes, in config order.
    pub outcomes: Vec<NamedValues>,
    /// Pre-treatment covariates, in config order.
    pub covariates: Vec<Covariate>,
    /// The oracle, when the log carries both truth columns.
    pub truth: Option<Truth>,
    /// The design probability.
    pub assignment_probability: AssignmentProbability,
    /// Whether the log names its randomization unit (else the unit is the slate).
    pub has_unit_column: bool,
}

impl ImpressionLog {
    /// Number of rows (shown items).
    pub fn n_rows(&self) -> usize {
        self.item.len()
    }

    /// Number of slates.
    pub fn n_slates(&self) -> usize {
        self.promoted.len()
    }

    /// Number of randomization units.
    pub fn n_units(&self) -> usize {
        self.unit_ids.len()
    }

    /// The rows of slate `s`.
    pub fn slate_rows(&self, s: usize) -> Range<usize> {
        self.slate_offsets[s]..self.slate_offsets[s + 1]
    }

    /// The focal rows of slate `s`, in seed order.
    pub fn focals(&self, s: usize) -> &[usize] {
        &self.focal_rows[self.focal_offsets[s]..self.focal_offsets[s + 1]]
    }

    /// The target positions of slate `s`'s focal rows, in the order of [`Self::focals`].
    pub fn focal_targets(&self, s: usize) -> &[u32] {
        &self.focal_target[self.focal_offsets[s]..self.focal_offsets[s + 1]]
    }

    /// Slate `s`'s lead focal row: the focal item promoted to the highest slot (the smallest
    /// target). With one focal item, that item. It is what a column naming "the" focal item
    /// of a slate (`focal_movie_id`, `focal_cluster`, `focal_seed_position`) reports.
    pub fn lead_focal(&self, s: usize) -> usize {
        let focals = self.focals(s);
        let targets = self.focal_targets(s);
        let lead = (0..focals.len())
            .min_by_key(|i| targets[*i])
            .expect("a slate has a focal row");
        focals[lead]
    }

    /// The design of slate `s`: each focal item's seed position and target.
    pub fn promotions(&self, s: usize) -> impl Iterator<Item = Promotion> + '_ {
        self.focals(s)
            .iter()
            .zip(self.focal_targets(s))
            .map(|(r, target)| Promotion {
                seed: self.seed_position[*r],
                target: *target,
            })
    }

    /// Where each item of slate `s` is shown when the slate is promoted (in both arms: the
    /// design's ranking, not the one shown), in row (seed) order, written into `out`.
    pub fn promoted_positions(&self, s: usize, out: &mut Vec<u32>) {
        let promotions: Vec<Promotion> = self.promotions(s).collect();
        crate::design::promoted_positions(self.slate_rows(s).len(), &promotions, out);
    }

    /// Validates a frame holding a log (columns named as in the user's file; `source` names it
    /// in errors) and builds the log. Slate-level violations are errors or drops, per `policy`.
    pub fn from_frame(
        frame: &polars::prelude::DataFrame,
        source: &str,
        config: &LogConfig,
        policy: OnBadSlate,
    ) -> Result<(ImpressionLog, Vec<DroppedSlate>), LogError> {
        config.check()?;
        let raw = read::RawLog::extract(read::Columns::Frame(frame), source, config)?;
        validate::assemble(raw, policy)
    }
}

/// Reads and validates the log at `path` (`.parquet` or `.csv`).
pub fn read_log(
    path: &Path,
    config: &LogConfig,
    policy: OnBadSlate,
) -> Result<(ImpressionLog, Vec<DroppedSlate>), LogError> {
    config.check()?;
    // A parquet file is read a column at a time, each converted before the next is read; a
    // CSV file's frame is dropped once its columns are extracted, before the rows are put in
    // slate order.
    let file = path.display().to_string();
    let raw = if read::is_parquet(path) {
        read::RawLog::extract(read::Columns::parquet(path)?, &file, config)?
    } else {
        read::RawLog::extract(read::Columns::Frame(&read_frame(path)?), &file, config)?
    };
    validate::assemble(raw, policy)
}
