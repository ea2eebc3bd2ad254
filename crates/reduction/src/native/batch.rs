//! A window of the log read into typed canonical columns ([`Batch`]), and the id columns in
//! and out of the pass.

use slate_log::{LogColumn, LogConfig};
use slate_table::polars::prelude::*;

use crate::sql::LogShape;

/// An id column of a batch: integers, or strings.
pub(super) enum Ids {
    Int(Vec<i64>),
    Str(StringChunked),
}

impl Ids {
    pub(super) fn of(column: &Column) -> Option<Ids> {
        let dtype = column.dtype();
        if dtype.is_integer() {
            let cast = column.cast(&DataType::Int64).ok()?;
            Some(Ids::Int(cast.i64().ok()?.into_no_null_iter().collect()))
        } else if dtype.is_string() {
            Some(Ids::Str(column.str().ok()?.clone()))
        } else {
            None
        }
    }

    pub(super) fn same(&self, a: usize, b: usize) -> bool {
        match self {
            Ids::Int(v) => v[a] == v[b],
            Ids::Str(s) => s.get(a) == s.get(b),
        }
    }

    /// Whether the id at `b` comes after the one at `a`.
    pub(super) fn after(&self, a: usize, b: usize) -> bool {
        match self {
            Ids::Int(v) => v[b] > v[a],
            Ids::Str(s) => s.get(b) > s.get(a),
        }
    }

    pub(super) fn str_at(&self, i: usize) -> &str {
        match self {
            Ids::Int(_) => unreachable!("string ids only"),
            Ids::Str(s) => s.get(i).unwrap_or_default(),
        }
    }
}

/// An output id column, in the log's id type.
pub(super) enum IdOut {
    Int(Vec<i64>),
    Str(Vec<String>),
}

impl IdOut {
    pub(super) fn for_ids(ids: &Ids) -> IdOut {
        match ids {
            Ids::Int(_) => IdOut::Int(Vec::new()),
            Ids::Str(_) => IdOut::Str(Vec::new()),
        }
    }

    pub(super) fn push(&mut self, ids: &Ids, i: usize) {
        match (self, ids) {
            (IdOut::Int(out), Ids::Int(v)) => out.push(v[i]),
            (IdOut::Str(out), Ids::Str(_)) => out.push(ids.str_at(i).to_string()),
            _ => unreachable!("one id type per column"),
        }
    }

    /// The smallest (`largest`: the largest) id of `rows`, pushed.
    pub(super) fn push_extreme(&mut self, ids: &Ids, rows: std::ops::Range<usize>, largest: bool) {
        let mut best = rows.start;
        for r in rows {
            let better = if largest {
                ids.after(best, r)
            } else {
                ids.after(r, best)
            };
            if better {
                best = r;
            }
        }
        self.push(ids, best);
    }

    pub(super) fn column(self, name: &str) -> Column {
        match self {
            IdOut::Int(v) => Column::new(name.into(), v),
            IdOut::Str(v) => Column::new(name.into(), v),
        }
    }
}

/// The canonical columns of one window of the log.
pub(super) struct Batch {
    pub(super) slate: Ids,
    pub(super) unit: Option<Ids>,
    pub(super) user: Option<Ids>,
    pub(super) item: Ids,
    pub(super) cluster: StringChunked,
    pub(super) seed: Vec<i64>,
    pub(super) shown: Vec<i64>,
    pub(super) focal: Vec<bool>,
    pub(super) promoted: Vec<i64>,
    pub(super) click: Vec<f64>,
    pub(super) probability: Option<Vec<f64>>,
    pub(super) if_promoted: Option<Vec<f64>>,
    pub(super) if_control: Option<Vec<f64>>,
    pub(super) outcomes: Vec<Vec<f64>>,
    pub(super) covariates: Vec<Vec<f64>>,
    pub(super) target: Option<Vec<Option<i64>>>,
}

/// Reads the canonical columns of `frame` (the log's names), or says why the pass cannot.
pub(super) fn batch(
    frame: &DataFrame,
    config: &LogConfig,
    shape: &LogShape,
) -> Result<Batch, String> {
    let get = |name: &str| -> Result<&Column, String> {
        let column = frame
            .column(name)
            .map_err(|_| format!("no column `{name}`"))?;
        if column.null_count() > 0 {
            return Err(format!("column `{name}` has a null"));
        }
        Ok(column)
    };
    let canonical = |c: LogColumn| get(config.file_name_of(c));
    let ids = |c: LogColumn| -> Result<Ids, String> {
        Ids::of(canonical(c)?).ok_or_else(|| format!("column `{}`: ids of another type", c.name()))
    };
    let floats = |column: &Column| -> Result<Vec<f64>, String> {
        if !(column.dtype().is_primitive_numeric() || column.dtype().is_bool()) {
            return Err(format!("column `{}` is not numeric", column.name()));
        }
        let cast = column.cast(&DataType::Float64).map_err(|e| e.to_string())?;
        Ok(cast
            .f64()
            .map_err(|e| e.to_string())?
            .into_no_null_iter()
            .collect())
    };
    let integers = |c: LogColumn| -> Result<Vec<i64>, String> {
        let column = canonical(c)?;
        if !column.dtype().is_integer() {
            return Err(format!("column `{}` is not integers", c.name()));
        }
        let cast = column.cast(&DataType::Int64).map_err(|e| e.to_string())?;
        Ok(cast
            .i64()
            .map_err(|e| e.to_string())?
            .into_no_null_iter()
            .collect())
    };
    let flags = |c: LogColumn| -> Result<Vec<f64>, String> {
        let values = floats(canonical(c)?)?;
        if values.iter().any(|v| *v != 0.0 && *v != 1.0) {
            return Err(format!(
                "column `{}` holds a value other than 0 and 1",
                c.name()
            ));
        }
        Ok(values)
    };
    let cluster_column = canonical(LogColumn::ItemCluster)?;
    if !(cluster_column.dtype().is_string() || cluster_column.dtype().is_integer()) {
        return Err("column `item_cluster` is neither text nor integers".into());
    }
    let cluster = cluster_column
        .cast(&DataType::String)
        .map_err(|e| e.to_string())?
        .str()
        .map_err(|e| e.to_string())?
        .clone();
    let named = |names: &[String]| -> Result<Vec<Vec<f64>>, String> {
        names.iter().map(|n| floats(get(n)?)).collect()
    };
    let target = if shape.target {
        let column = frame
            .column(config.file_name_of(LogColumn::TargetPosition))
            .map_err(|e| e.to_string())?;
        if !(column.dtype().is_integer() || column.dtype().is_null()) {
            return Err("column `target_position` is not integers".into());
        }
        let cast = column.cast(&DataType::Int64).map_err(|e| e.to_string())?;
        Some(cast.i64().map_err(|e| e.to_string())?.iter().collect())
    } else {
        None
    };
    Ok(Batch {
        slate: ids(LogColumn::SlateId)?,
        unit: if shape.unit {
            Some(ids(LogColumn::UnitId)?)
        } else {
            None
        },
        user: if shape.user {
            Some(ids(LogColumn::UserId)?)
        } else {
            None
        },
        item: ids(LogColumn::ItemId)?,
        cluster,
        seed: integers(LogColumn::SeedPosition)?,
        shown: integers(LogColumn::ShownPosition)?,
        focal: flags(LogColumn::IsFocal)?
            .iter()
            .map(|v| *v == 1.0)
            .collect(),
        promoted: flags(LogColumn::Promoted)?
            .iter()
            .map(|v| *v as i64)
            .collect(),
        click: flags(LogColumn::Click)?,
        probability: if shape.probability {
            Some(floats(canonical(LogColumn::AssignmentProbability)?)?)
        } else {
            None
        },
        if_promoted: if shape.truth {
            Some(floats(canonical(LogColumn::ClickProbIfPromoted)?)?)
        } else {
            None
        },
        if_control: if shape.truth {
            Some(floats(canonical(LogColumn::ClickProbIfControl)?)?)
        } else {
            None
        },
        outcomes: named(&shape.outcomes)?,
        covariates: named(&shape.covariates)?,
        target,
    })
}
