//! Summaries of repeated timings, and the markdown files they are written to.

use std::path::Path;

use anyhow::Result;
use statrs::statistics::{Data, OrderStatistics};

/// The median of `values` (statrs: the middle one of an odd count, the mean of the two middle
/// ones of an even count, as numpy's `median`); NaN for none.
pub(crate) fn median(values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    Data::new(values).median()
}

/// Writes the markdown to `path` atomically.
pub fn write_markdown(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    slate_table::write_bytes_atomically(dir, &name, text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![9.0, 5.0]), 7.0);
        assert_eq!(median(vec![5.0]), 5.0);
        assert!(median(Vec::new()).is_nan());
    }
}
