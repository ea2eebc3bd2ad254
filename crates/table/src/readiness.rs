//! Readiness tables: one row per check with its measured value, the requirement and pass/fail.
//!
//! The ingest stage writes `movielens_interference_setup_readiness.csv` and the exposure stage
//! writes `movielens_interference_exposure_readiness.csv`; both share this shape.

use polars::prelude::*;

use crate::{ColumnSpec, ColumnType, ColumnValue, Result, TableError, TableSchema};

/// Column names of a readiness table.
pub mod col {
    /// Short machine-readable name of the check.
    pub const CHECK: &str = "check";
    /// The measured value, formatted for reading.
    pub const VALUE: &str = "value";
    /// What the check requires, in words.
    pub const REQUIREMENT: &str = "requirement";
    /// Whether the value meets the requirement.
    pub const PASSED: &str = "passed";
}

const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::new(col::CHECK, ColumnType::Str),
    ColumnSpec::new(col::VALUE, ColumnType::Str),
    ColumnSpec::new(col::REQUIREMENT, ColumnType::Str),
    ColumnSpec::new(col::PASSED, ColumnType::Bool),
];

/// Builds the schema of a readiness table stored under `file_name`, described by
/// `description`.
pub const fn schema(file_name: &'static str, description: &'static str) -> TableSchema {
    TableSchema {
        file_name,
        columns: COLUMNS,
        description,
    }
}

/// One readiness check. `C` names it: a [`crate::Label`] where the checks are a closed set
/// (the ingest stage's), a `String` where some are named at run time (one balance check per
/// covariate of the log).
#[derive(Debug, Clone, PartialEq)]
pub struct Check<C = String> {
    /// Short machine-readable name.
    pub check: C,
    /// The measured value.
    pub value: String,
    /// The requirement, in words.
    pub requirement: String,
    /// Whether the requirement is met.
    pub passed: bool,
}

impl<C> Check<C> {
    /// Creates a check.
    pub fn new(
        check: impl Into<C>,
        value: impl ToString,
        requirement: impl Into<String>,
        passed: bool,
    ) -> Self {
        Self {
            check: check.into(),
            value: value.to_string(),
            requirement: requirement.into(),
            passed,
        }
    }
}

/// Assembles checks into a frame with the readiness schema.
pub fn to_frame<C: ColumnValue>(checks: &[Check<C>]) -> Result<DataFrame> {
    let column = |name: &str, values: Vec<String>| Column::new(name.into(), values);
    let names: Vec<C> = checks.iter().map(|c| c.check.clone()).collect();
    DataFrame::new(
        checks.len(),
        vec![
            C::to_column(col::CHECK, &names),
            column(col::VALUE, checks.iter().map(|c| c.value.clone()).collect()),
            column(
                col::REQUIREMENT,
                checks.iter().map(|c| c.requirement.clone()).collect(),
            ),
            Column::new(
                col::PASSED.into(),
                checks.iter().map(|c| c.passed).collect::<Vec<_>>(),
            ),
        ],
    )
    .map_err(|source| TableError::Polars {
        table: "readiness".into(),
        source,
    })
}

/// Reads checks back from a readiness frame (`label` names the table in errors).
pub fn from_frame<C: ColumnValue>(df: &DataFrame, label: &str) -> Result<Vec<Check<C>>> {
    let checks = C::from_frame(df, label, col::CHECK)?;
    let values = crate::schema::column_str(df, label, col::VALUE)?;
    let requirements = crate::schema::column_str(df, label, col::REQUIREMENT)?;
    let passed = crate::schema::column_bool(df, label, col::PASSED)?;
    Ok(checks
        .into_iter()
        .zip(values)
        .zip(requirements)
        .zip(passed)
        .map(|(((check, value), requirement), passed)| Check {
            check,
            value,
            requirement,
            passed,
        })
        .collect())
}
