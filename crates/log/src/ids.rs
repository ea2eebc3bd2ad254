//! Identifiers: integer or string ids interned to dense codes in sorted id order, so that no
//! table is ever sized by the largest raw id and results never depend on row order.

/// The distinct ids of one kind (slates, units, users or items), sorted; an id's code is its
/// index here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdValues {
    /// Signed 64-bit integer ids.
    Int(Vec<i64>),
    /// String ids.
    Str(Vec<String>),
}

impl IdValues {
    /// Number of distinct ids.
    pub fn len(&self) -> usize {
        match self {
            IdValues::Int(v) => v.len(),
            IdValues::Str(v) => v.len(),
        }
    }

    /// Whether there is no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of `code` as the user wrote it.
    pub fn display(&self, code: u32) -> String {
        match self {
            IdValues::Int(v) => v[code as usize].to_string(),
            IdValues::Str(v) => v[code as usize].clone(),
        }
    }

    /// The value written to the analysis tables' id columns: the id itself when ids are
    /// integers, the dense code (sorted string order) when they are strings; the run's id
    /// dictionary maps codes back to strings.
    pub fn table_value(&self, code: u32) -> i64 {
        match self {
            IdValues::Int(v) => v[code as usize],
            IdValues::Str(_) => i64::from(code),
        }
    }

    /// Whether ids are strings (so the analysis tables hold codes).
    pub fn is_string(&self) -> bool {
        matches!(self, IdValues::Str(_))
    }
}

/// A column of raw ids, one per row, before interning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawIds {
    /// Integer ids.
    Int(Vec<i64>),
    /// String ids.
    Str(Vec<String>),
}

impl RawIds {
    /// The ids of a column of signed integers or strings; `None` for nulls or another type.
    pub fn of_column(column: &slate_table::polars::prelude::Column) -> Option<RawIds> {
        use slate_table::polars::prelude::DataType;
        if column.null_count() > 0 {
            return None;
        }
        let dtype = column.dtype();
        if dtype.is_integer() {
            let cast = column.strict_cast(&DataType::Int64).ok()?;
            Some(RawIds::Int(cast.i64().ok()?.no_null_iter().collect()))
        } else if dtype.is_string() {
            Some(RawIds::Str(
                column
                    .str()
                    .ok()?
                    .no_null_iter()
                    .map(str::to_string)
                    .collect(),
            ))
        } else if dtype.is_categorical() || dtype.is_enum() {
            // A dictionary-encoded column (pandas `category` written to parquet): its values,
            // not its codes, are the ids.
            RawIds::of_column(&column.cast(&DataType::String).ok()?)
        } else {
            None
        }
    }

    /// Interns the ids: the sorted distinct values and each row's code. Sorting is by value
    /// (numeric for integers, byte order for strings), never by first appearance.
    pub fn intern(&self) -> (IdValues, Vec<u32>) {
        match self {
            RawIds::Int(rows) => {
                let (values, codes) = intern(rows);
                (IdValues::Int(values), codes)
            }
            RawIds::Str(rows) => {
                let (values, codes) = intern(rows);
                (IdValues::Str(values), codes)
            }
        }
    }
}

/// Sorted distinct values and each row's code. A run of equal ids (a log in slate order repeats
/// each slate's, unit's and user's id on every row of the slate) is copied, sorted and
/// searched once, not once per row: at a million slates of twelve rows the binary searches of
/// the slate ids were most of the interning.
fn intern<T: Ord + Clone>(rows: &[T]) -> (Vec<T>, Vec<u32>) {
    let mut values: Vec<T> = Vec::new();
    for v in rows {
        if values.last() != Some(v) {
            values.push(v.clone());
        }
    }
    values.sort_unstable();
    values.dedup();
    // The copy had room for every run; the log keeps only the distinct values.
    values.shrink_to_fit();
    let mut codes = Vec::with_capacity(rows.len());
    let mut previous: Option<(&T, u32)> = None;
    for v in rows {
        let code = match previous {
            Some((p, code)) if p == v => code,
            _ => values.binary_search(v).expect("value is present") as u32,
        };
        previous = Some((v, code));
        codes.push(code);
    }
    (values, codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_equal_ids_get_the_code_of_their_value_wherever_they_recur() {
        let raw = RawIds::Int(vec![5, 5, 5, 2, 2, 5, 9, 9, 2]);
        let (values, codes) = raw.intern();
        assert_eq!(values, IdValues::Int(vec![2, 5, 9]));
        assert_eq!(codes, vec![1, 1, 1, 0, 0, 1, 2, 2, 0]);
        let raw = RawIds::Str(
            ["b", "b", "a", "c", "c", "a", "b"]
                .map(String::from)
                .to_vec(),
        );
        let (values, codes) = raw.intern();
        assert_eq!(
            values,
            IdValues::Str(["a", "b", "c"].map(String::from).to_vec())
        );
        assert_eq!(codes, vec![1, 1, 0, 2, 2, 0, 1]);
    }

    #[test]
    fn categorical_ids_are_their_values() {
        use slate_table::polars::prelude::*;
        let strings = Column::new("unit_id".into(), ["u2", "u1", "u2", "u3"]);
        let categorical = strings
            .cast(&DataType::from_categories(Categories::global()))
            .unwrap();
        assert!(categorical.dtype().is_categorical());
        assert_eq!(RawIds::of_column(&categorical), RawIds::of_column(&strings));
        assert!(RawIds::of_column(&categorical).is_some());
    }

    #[test]
    fn huge_sparse_ids_get_dense_codes_in_value_order() {
        let raw = RawIds::Int(vec![4_000_000_000, -3, 4_294_967_295, -3]);
        let (values, codes) = raw.intern();
        assert_eq!(
            values,
            IdValues::Int(vec![-3, 4_000_000_000, 4_294_967_295])
        );
        assert_eq!(codes, vec![1, 0, 2, 0]);
        assert_eq!(values.table_value(2), 4_294_967_295);
        assert_eq!(values.display(0), "-3");
    }

    #[test]
    fn string_ids_are_coded_in_byte_order() {
        let raw = RawIds::Str(vec!["b".into(), "a".into(), "b".into()]);
        let (values, codes) = raw.intern();
        assert_eq!(codes, vec![1, 0, 1]);
        assert_eq!(values.table_value(1), 1);
        assert_eq!(values.display(1), "b");
    }
}
