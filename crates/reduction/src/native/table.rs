//! The per-slate table being built, column by column, in the reduction's column order.

use slate_table::polars::prelude::*;

use super::batch::{Batch, IdOut};
use crate::columns::Fact;
use crate::sql::LogShape;

/// The per-slate table being built, column by column in [`LogShape::columns`] order.
pub(super) struct Table {
    pub(super) slate: IdOut,
    pub(super) unit: (IdOut, IdOut),
    pub(super) user: (IdOut, IdOut),
    pub(super) focal_item: IdOut,
    /// Each slate's lead focal row in the window's batch (its cluster is gathered from there).
    pub(super) focal_cluster: Vec<IdxSize>,
    /// Integer facts by name.
    pub(super) ints: Vec<(Fact, Vec<i64>)>,
    /// Floating facts (the probability's min and max).
    pub(super) floats: Vec<(Fact, Vec<f64>)>,
    /// The stat columns after the facts: (name, integer, values).
    pub(super) stats: Vec<(String, bool, Vec<f64>)>,
}

impl Table {
    pub(super) fn new(batch: &Batch, shape: &LogShape) -> Table {
        let user_ids = batch
            .user
            .as_ref()
            .or(batch.unit.as_ref())
            .unwrap_or(&batch.slate);
        let unit_ids = batch.unit.as_ref().unwrap_or(&batch.slate);
        let ints = shape
            .facts()
            .into_iter()
            .filter(|f| integer_fact(*f))
            .map(|f| (f, Vec::new()))
            .collect();
        let floats = shape
            .facts()
            .into_iter()
            .filter(|f| matches!(f, Fact::ProbabilityMin | Fact::ProbabilityMax))
            .map(|f| (f, Vec::new()))
            .collect();
        Table {
            slate: IdOut::for_ids(&batch.slate),
            unit: (IdOut::for_ids(unit_ids), IdOut::for_ids(unit_ids)),
            user: (IdOut::for_ids(user_ids), IdOut::for_ids(user_ids)),
            focal_item: IdOut::for_ids(&batch.item),
            focal_cluster: Vec::new(),
            ints,
            floats,
            stats: shape
                .stat_columns()
                .into_iter()
                .map(|(name, integer)| (name, integer, Vec::new()))
                .collect(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.focal_cluster.len()
    }

    /// The table so far as a frame with the reduction's column types; cleared for the next.
    pub(super) fn take_frame(
        &mut self,
        shape: &LogShape,
        batch: &Batch,
    ) -> Result<DataFrame, PolarsError> {
        let n = self.len();
        let mut columns = Vec::new();
        for (name, dtype) in shape.columns() {
            let fact = Fact::ALL.into_iter().find(|f| f.name() == name);
            let column = match fact {
                Some(Fact::SlateId) => take(&mut self.slate).column(&name),
                Some(Fact::UnitId) => take(&mut self.unit.0).column(&name),
                Some(Fact::UnitIdMax) => take(&mut self.unit.1).column(&name),
                Some(Fact::UserId) => take(&mut self.user.0).column(&name),
                Some(Fact::UserIdMax) => take(&mut self.user.1).column(&name),
                Some(Fact::FocalItemId) => take(&mut self.focal_item).column(&name),
                Some(Fact::FocalCluster) => {
                    let rows = IdxCa::from_vec("".into(), std::mem::take(&mut self.focal_cluster));
                    batch
                        .cluster
                        .take(&rows)?
                        .into_series()
                        .with_name(name.as_str().into())
                        .into_column()
                }
                Some(f) if integer_fact(f) => {
                    let values = self
                        .ints
                        .iter_mut()
                        .find(|(g, _)| *g == f)
                        .map(|(_, v)| std::mem::take(v))
                        .unwrap_or_default();
                    Column::new(name.as_str().into(), values)
                }
                Some(f) => {
                    let values = self
                        .floats
                        .iter_mut()
                        .find(|(g, _)| *g == f)
                        .map(|(_, v)| std::mem::take(v))
                        .unwrap_or_default();
                    Column::new(name.as_str().into(), values)
                }
                None => {
                    let (_, _, values) = self
                        .stats
                        .iter_mut()
                        .find(|(n, _, _)| *n == name)
                        .expect("every stat column is built");
                    Column::new(name.as_str().into(), std::mem::take(values))
                }
            };
            let column = match dtype {
                Some(dtype) => column.strict_cast(&dtype)?,
                None => column,
            };
            debug_assert_eq!(column.len(), n, "{name}");
            columns.push(column);
        }
        DataFrame::new(n, columns)
    }
}

/// `out`'s values, leaving an empty column of the same type.
fn take(out: &mut IdOut) -> IdOut {
    match out {
        IdOut::Int(v) => IdOut::Int(std::mem::take(v)),
        IdOut::Str(v) => IdOut::Str(std::mem::take(v)),
    }
}

/// Whether a fact is stored as an integer (not an id, not a probability).
fn integer_fact(f: Fact) -> bool {
    f.data_type().is_some_and(|t| t.is_integer())
}
