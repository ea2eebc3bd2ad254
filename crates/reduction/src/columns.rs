//! The per-slate table's vocabulary: its file, its exposure cells, the statistics summed per
//! cell, the summaries of each covariate and the per-slate facts, each with its column name.
//! The one place those names live; [`crate::sql`] defines how each is computed.

use slate_table::polars::prelude::{DataType, ParquetCompression, ParquetWriter};

/// The file the reduction writes.
pub const SLATE_STATS_FILE: &str = "interference_slate_stats.parquet";

/// The writer of the per-slate table, whichever path reduced it: snappy-compressed, which
/// every parquet reader (Spark's default, DuckDB, polars, pyarrow) decodes, and which encodes
/// several times faster than polars' default zstd (zstd was an eighth of `reduce-log`'s CPU
/// time) at a larger file.
pub(crate) fn slate_stats_writer<W: std::io::Write>(out: W) -> ParquetWriter<W> {
    ParquetWriter::new(out).with_compression(ParquetCompression::Snappy)
}

/// A cell of a slate's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cell {
    /// The focal items.
    Focal,
    /// Non-focal, sharing a cluster with a focal item, pushed down by promotion (displaced;
    /// with one focal item promoted to the top: seeded above it).
    SameClusterDisplaced,
    /// Non-focal, sharing a cluster with a focal item, not pushed down.
    SameClusterBelow,
    /// Non-focal, no cluster shared with a focal item, displaced.
    OtherDisplaced,
    /// Non-focal, no cluster shared with a focal item, not pushed down.
    OtherBelow,
    /// Non-focal, one seed position above or below the (lead) focal item (overlaps the cells
    /// above).
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

    /// The cell's position in [`Cell::ALL`], and so in every per-cell vector.
    pub fn index(self) -> usize {
        Cell::ALL
            .iter()
            .position(|c| *c == self)
            .expect("every cell is listed")
    }

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

    pub(crate) fn key(self) -> &'static str {
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

/// The displacement buckets of the spillover by displacement distance: non-focal rows pushed
/// down 1, 2, or 3 or more places (with their column keys).
pub const DISPLACEMENT_BUCKETS: [(u32, &str); 3] = [
    (1, "displaced_by_1"),
    (2, "displaced_by_2"),
    (3, "displaced_by_3plus"),
];

/// The column of statistic `stat` (rows or clicks) of displacement bucket `b` (an index into
/// [`DISPLACEMENT_BUCKETS`]); only a log with target positions has these columns.
pub fn displacement_column(stat: CellStat, b: usize) -> String {
    format!("{}_{}", stat.key(), DISPLACEMENT_BUCKETS[b].1)
}

/// A per-slate summary of the log's `k`-th covariate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CovariateStat {
    /// The focal row's value (with several focal items, their mean).
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

    pub(crate) fn key(self) -> &'static str {
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
    /// Displaced rows (non-focal, pushed down by promotion) shown where the design places
    /// them: one place lower for a log with one focal item promoted to the top.
    DisplacedShiftedByOne,
    /// The first canonical column (in [`crate::sql::LogShape::read_columns`] order) with a
    /// null in the slate, as its index; the number of those columns when there is none.
    FirstNullColumn,
    /// Focal rows (a log with target positions only).
    Focals,
    /// Focal rows whose target position is null, below 1 or below their seed position.
    BadTargets,
    /// Distinct target positions of the focal rows.
    DistinctTargets,
    /// Rows not shown where the design places them (checked in promoted slates).
    OffDesignRows,
    /// The lead focal item's target position.
    FocalTargetPosition,
}

/// The largest position the position masks cover exactly (2^52 is exact in a double).
pub const MASK_MAX_POSITION: u32 = 52;

impl Fact {
    /// The type the reduction stores this fact as: `None` for an id (the log's own id type,
    /// kept as it is); counts are 32-bit, positions and masks 64-bit integers.
    pub fn data_type(self) -> Option<DataType> {
        match self {
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
            Fact::FocalSeedPosition
            | Fact::FocalShownPosition
            | Fact::FocalTargetPosition
            | Fact::FirstNullColumn => Some(DataType::Int64),
            Fact::PromotedMin | Fact::PromotedMax => Some(DataType::Int32),
            Fact::Rows
            | Fact::NullRows
            | Fact::BadClicks
            | Fact::BadFlags
            | Fact::DistinctClusters
            | Fact::DistinctItems
            | Fact::DisplacedShiftedByOne
            | Fact::Focals
            | Fact::BadTargets
            | Fact::DistinctTargets
            | Fact::OffDesignRows => Some(DataType::UInt32),
        }
    }

    /// Every fact, in column order.
    pub const ALL: [Fact; 32] = [
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
        Fact::FirstNullColumn,
        Fact::Focals,
        Fact::BadTargets,
        Fact::DistinctTargets,
        Fact::OffDesignRows,
        Fact::FocalTargetPosition,
    ];

    /// The facts only a log with target positions has (several focal items, any slot).
    pub const DESIGN: [Fact; 5] = [
        Fact::Focals,
        Fact::BadTargets,
        Fact::DistinctTargets,
        Fact::OffDesignRows,
        Fact::FocalTargetPosition,
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
            Fact::FirstNullColumn => "first_null_column",
            Fact::Focals => "n_focals",
            Fact::BadTargets => "n_bad_targets",
            Fact::DistinctTargets => "n_distinct_targets",
            Fact::OffDesignRows => "n_off_design_rows",
            Fact::FocalTargetPosition => "focal_target_position",
        }
    }
}
