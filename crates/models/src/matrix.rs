//! The matrix a learner fits and predicts: dense, row-major, with named columns, the treatment
//! indicator last. Its own module, below both the feature layout that builds it
//! ([`crate::features`]) and the learners that read it ([`crate::learner`]).

/// A dense row-major matrix with named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Row-major values.
    pub values: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
    /// Column names.
    pub columns: Vec<String>,
}

impl Matrix {
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.columns.len()
    }

    /// A copy with the treatment column (the last) set to `promoted` on every row.
    pub fn with_treatment(&self, promoted: bool) -> Matrix {
        let mut out = self.clone();
        out.set_treatment(promoted);
        out
    }

    /// Sets the treatment column (the last) to `promoted` on every row, in place.
    pub fn set_treatment(&mut self, promoted: bool) {
        let k = self.cols();
        for row in self.values.chunks_mut(k) {
            row[k - 1] = f64::from(u8::from(promoted));
        }
    }

    /// Rows `rows` (indices into this matrix), in that order.
    pub fn select(&self, rows: &[usize]) -> Matrix {
        let k = self.cols();
        let mut values = Vec::with_capacity(rows.len() * k);
        for r in rows {
            values.extend_from_slice(&self.values[r * k..(r + 1) * k]);
        }
        Matrix {
            values,
            rows: rows.len(),
            columns: self.columns.clone(),
        }
    }

    /// A copy without the treatment column (for propensity models).
    pub fn without_treatment(&self) -> Matrix {
        let k = self.cols();
        let values = self
            .values
            .chunks(k)
            .flat_map(|row| row[..k - 1].iter().copied())
            .collect();
        Matrix {
            values,
            rows: self.rows,
            columns: self.columns[..k - 1].to_vec(),
        }
    }
}
