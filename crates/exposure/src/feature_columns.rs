//! The slates' covariate-derived features, held or on disk: at the slate level seven `f64`s
//! a slate per item-level covariate, read by few steps, so a stage at scale leaves them in a
//! file and reads them (whole, or a row group at a time) when a step needs them.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use slate_table::TableError;

use crate::schema::{Feature, FeatureKind, NamedColumn};
use crate::{ExposureError, SlateOutcomesFile};

/// A parquet file holding feature columns (and perhaps others), one row per slate, opened
/// without reading its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureFile {
    path: PathBuf,
    /// Each row group's rows, in file order.
    row_groups: Vec<Range<usize>>,
}

impl FeatureFile {
    /// The slate-outcomes table `file`.
    pub fn of(file: &SlateOutcomesFile) -> FeatureFile {
        FeatureFile {
            path: file.path().to_path_buf(),
            row_groups: file.row_groups().to_vec(),
        }
    }

    /// The file of features `features` written to `dir` as `file_name` (atomically), one row
    /// group per [`slate_table::ROW_GROUP_ROWS`] slates as every table of the run.
    pub fn write(
        features: &[Feature],
        dir: &Path,
        file_name: &'static str,
    ) -> Result<FeatureFile, ExposureError> {
        let schema = slate_table::TableSchema {
            file_name,
            columns: &[],
            description: "The slates' covariate-derived features, until the slate table is written.",
        };
        let extra: Vec<(&str, &[f64])> = features
            .iter()
            .map(|f| (f.column.name.as_str(), f.column.values.as_slice()))
            .collect();
        let path = slate_table::write_parquet_parts(&[(&schema, Vec::new())], &extra, dir)?;
        let rows = features.first().map_or(0, |f| f.column.values.len());
        let row_groups = (0..rows.div_ceil(slate_table::ROW_GROUP_ROWS))
            .map(|g| {
                g * slate_table::ROW_GROUP_ROWS..((g + 1) * slate_table::ROW_GROUP_ROWS).min(rows)
            })
            .collect();
        Ok(FeatureFile { path, row_groups })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Slates (rows).
    pub fn len(&self) -> usize {
        self.row_groups.last().map_or(0, |rows| rows.end)
    }

    /// Whether the file has no slate.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows of each row group, in file order.
    pub fn row_groups(&self) -> &[Range<usize>] {
        &self.row_groups
    }

    /// Columns `names` of rows `rows`, each as `f64`, in `names` order.
    pub fn f64_columns(
        &self,
        names: &[String],
        rows: Range<usize>,
    ) -> Result<Vec<Vec<f64>>, ExposureError> {
        crate::slate_file::f64_columns(&self.path, names, rows)
    }
}

/// The slates' covariate-derived features, held or left in a parquet file on disk (the
/// slate-outcomes table, or the reader's spill of them until that table is written).
///
/// At the slate level they are seven `f64`s a slate per item-level covariate (56 bytes, the
/// largest part of the held table), yet only Lin's adjustment and the balance check read them,
/// each for a moment: on disk, each reads them when it runs and lets them go after, so the
/// stages' other steps (the bootstraps, the truth views, the decomposition) do not hold them.
/// The values read back are the written `f64`s, so every result is the same.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureColumns {
    /// In memory, in column order.
    Held(Vec<Feature>),
    /// The columns of these names and kinds (in column order) of a file on disk.
    OnDisk {
        /// The file holding them, one row per slate.
        file: FeatureFile,
        /// Each feature's name and kind.
        names: Vec<(String, FeatureKind)>,
    },
}

impl Default for FeatureColumns {
    fn default() -> FeatureColumns {
        FeatureColumns::Held(Vec::new())
    }
}

impl FeatureColumns {
    /// Each feature's name and kind, in column order.
    pub fn names(&self) -> Vec<(String, FeatureKind)> {
        match self {
            FeatureColumns::Held(features) => features
                .iter()
                .map(|f| (f.column.name.clone(), f.kind))
                .collect(),
            FeatureColumns::OnDisk { names, .. } => names.clone(),
        }
    }

    /// Whether there is no feature.
    pub fn is_empty(&self) -> bool {
        match self {
            FeatureColumns::Held(features) => features.is_empty(),
            FeatureColumns::OnDisk { names, .. } => names.is_empty(),
        }
    }

    /// Every feature, whole: borrowed when held, else read from the table.
    pub fn load(&self) -> Result<Cow<'_, [Feature]>, ExposureError> {
        match self {
            FeatureColumns::Held(features) => Ok(Cow::Borrowed(features.as_slice())),
            FeatureColumns::OnDisk { file, names } => Ok(Cow::Owned(read_features(file, names)?)),
        }
    }

    /// The features whose kind `keep` takes, whole, in column order: each borrowed when held,
    /// else read from the table (only those).
    pub fn load_where(
        &self,
        keep: impl Fn(FeatureKind) -> bool,
    ) -> Result<Vec<Cow<'_, Feature>>, ExposureError> {
        self.load_filtered(|_, kind| keep(kind))
    }

    /// The features named `names`, whole, in column order: each borrowed when held, else read
    /// from the table (only those).
    pub fn load_named(&self, names: &[String]) -> Result<Vec<Cow<'_, Feature>>, ExposureError> {
        self.load_filtered(|name, _| names.iter().any(|n| n == name))
    }

    fn load_filtered(
        &self,
        keep: impl Fn(&str, FeatureKind) -> bool,
    ) -> Result<Vec<Cow<'_, Feature>>, ExposureError> {
        match self {
            FeatureColumns::Held(features) => Ok(features
                .iter()
                .filter(|f| keep(&f.column.name, f.kind))
                .map(Cow::Borrowed)
                .collect()),
            FeatureColumns::OnDisk { file, names } => {
                let kept: Vec<(String, FeatureKind)> = names
                    .iter()
                    .filter(|(name, kind)| keep(name, *kind))
                    .cloned()
                    .collect();
                Ok(read_features(file, &kept)?
                    .into_iter()
                    .map(Cow::Owned)
                    .collect())
            }
        }
    }
}

/// Features `names` of the slate-outcomes table `file`, each whole, read a row group at a time
/// into columns sized for the table (none read when there is none).
fn read_features(
    file: &FeatureFile,
    names: &[(String, FeatureKind)],
) -> Result<Vec<Feature>, ExposureError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let (names, kinds): (Vec<String>, Vec<FeatureKind>) = names.iter().cloned().unzip();
    let too_many = |_| {
        ExposureError::Table(TableError::Corrupt {
            path: file.path().to_path_buf(),
            format: "parquet",
            message: format!(
                "its footer counts {} rows, more than memory can hold",
                file.len()
            ),
        })
    };
    let mut columns: Vec<Vec<f64>> = names.iter().map(|_| Vec::new()).collect();
    for column in &mut columns {
        column.try_reserve_exact(file.len()).map_err(too_many)?;
    }
    for rows in file.row_groups() {
        for (column, part) in columns
            .iter_mut()
            .zip(file.f64_columns(&names, rows.clone())?)
        {
            column.extend(part);
        }
    }
    Ok(names
        .into_iter()
        .zip(kinds)
        .zip(columns)
        .map(|((name, kind), values)| Feature {
            column: NamedColumn { name, values },
            kind,
        })
        .collect())
}

impl FeatureColumns {
    /// Features `names` (in column order, as [`FeatureColumns::names`] lists them) of rows
    /// `rows`: copied when held, else read from the file.
    pub fn rows(
        &self,
        names: &[String],
        rows: Range<usize>,
    ) -> Result<Vec<Vec<f64>>, ExposureError> {
        match self {
            FeatureColumns::Held(features) => Ok(names
                .iter()
                .map(|name| {
                    features
                        .iter()
                        .find(|f| f.column.name == *name)
                        .map(|f| f.column.values[rows.clone()].to_vec())
                        .unwrap_or_default()
                })
                .collect()),
            FeatureColumns::OnDisk { .. } if names.is_empty() => Ok(Vec::new()),
            FeatureColumns::OnDisk { file, .. } => file.f64_columns(names, rows),
        }
    }
}
