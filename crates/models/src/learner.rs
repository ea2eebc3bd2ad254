//! One small trait for gradient-boosted outcome models, with LightGBM and XGBoost behind it.
//! Estimators and policies only see [`OutcomeModel`] and [`Fitted`]; nothing else in the crate
//! calls a GBDT library.
//!
//! Both are seeded and run with a fixed thread count, and LightGBM in its deterministic mode,
//! so a given seed gives identical predictions on every run and machine thread count.

use serde_json::json;

use crate::ModelsError;
use crate::config::GbdtParams;
use crate::matrix::Matrix;

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// A continuous outcome, squared-error loss.
    Regression,
    /// A 0/1 outcome, logistic loss; predictions are probabilities.
    Classification,
}

/// A trained model.
pub trait Fitted {
    /// Predictions for every row of `x` (same columns as the training matrix).
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, ModelsError>;
}

/// A gradient-boosting library: the `model` column of the metrics and conditional-effects
/// tables, and the learner named in AIPW estimators and targeting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::VariantArray)]
pub enum Learner {
    /// LightGBM.
    #[strum(serialize = "LightGBM")]
    LightGbm,
    /// XGBoost.
    #[strum(serialize = "XGBoost")]
    XgBoost,
}

slate_table::label!(Learner);

/// A learner that can be fitted.
pub trait OutcomeModel: Sync {
    /// Which library it is.
    fn learner(&self) -> Learner;
    /// Fits `target` on `x`.
    fn fit(&self, x: &Matrix, target: &[f64], task: Task) -> Result<Box<dyn Fitted>, ModelsError>;
}

fn library_error(library: &'static str) -> impl Fn(String) -> ModelsError {
    move |message| ModelsError::Library { library, message }
}

fn check_shapes(x: &Matrix, target: &[f64]) -> Result<(), ModelsError> {
    if x.rows != target.len() || x.values.len() != x.rows * x.cols() {
        return Err(ModelsError::Shape {
            message: format!(
                "{} rows × {} columns with {} values and {} targets",
                x.rows,
                x.cols(),
                x.values.len(),
                target.len()
            ),
        });
    }
    if x.rows == 0 {
        return Err(ModelsError::Shape {
            message: "no training rows".into(),
        });
    }
    Ok(())
}

/// LightGBM (the `lightgbm3` binding, LightGBM 4.7 built from source).
#[derive(Debug, Clone)]
pub struct LightGbm {
    /// Hyper-parameters.
    pub params: GbdtParams,
    /// Seed for bagging and feature sampling.
    pub seed: u64,
}

struct LightGbmFitted(lightgbm3::Booster);

impl LightGbm {
    /// The parameter object passed to LightGBM.
    pub fn parameters(&self, task: Task) -> serde_json::Value {
        let p = &self.params;
        json!({
            "objective": match task { Task::Regression => "regression", Task::Classification => "binary" },
            "num_iterations": p.rounds,
            "learning_rate": p.learning_rate,
            "num_leaves": p.max_leaves,
            "max_depth": p.max_depth,
            "min_data_in_leaf": p.min_rows_in_leaf,
            "min_sum_hessian_in_leaf": 0.0,
            "lambda_l2": p.l2,
            "bagging_fraction": p.subsample,
            "bagging_freq": if p.subsample < 1.0 { 1 } else { 0 },
            "feature_fraction": p.colsample,
            "num_threads": p.threads,
            "seed": self.seed,
            "deterministic": true,
            "force_row_wise": true,
            "verbosity": -1,
        })
    }
}

impl OutcomeModel for LightGbm {
    fn learner(&self) -> Learner {
        Learner::LightGbm
    }

    fn fit(&self, x: &Matrix, target: &[f64], task: Task) -> Result<Box<dyn Fitted>, ModelsError> {
        check_shapes(x, target)?;
        let error = library_error("LightGBM");
        let label: Vec<f32> = target.iter().map(|v| *v as f32).collect();
        let dataset = lightgbm3::Dataset::from_slice(&x.values, &label, x.cols() as i32, true)
            .map_err(|e| error(e.to_string()))?;
        let booster = lightgbm3::Booster::train(dataset, &self.parameters(task))
            .map_err(|e| error(e.to_string()))?;
        Ok(Box::new(LightGbmFitted(booster)))
    }
}

impl Fitted for LightGbmFitted {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, ModelsError> {
        self.0
            .predict(&x.values, x.cols() as i32, true)
            .map_err(|e| library_error("LightGBM")(e.to_string()))
    }
}

/// XGBoost (the `xgb` binding, XGBoost 3.4 built from source), `hist` trees.
#[derive(Debug, Clone)]
pub struct XgBoost {
    /// Hyper-parameters.
    pub params: GbdtParams,
    /// Seed for row and column subsampling.
    pub seed: u64,
}

struct XgBoostFitted(xgb::Booster);

fn dmatrix(x: &Matrix) -> Result<xgb::DMatrix, ModelsError> {
    let values: Vec<f32> = x.values.iter().map(|v| *v as f32).collect();
    xgb::DMatrix::from_dense(&values, x.rows).map_err(|e| library_error("XGBoost")(e.to_string()))
}

impl XgBoost {
    /// The parameters passed to XGBoost, as (name, value) pairs.
    pub fn parameters(&self, task: Task) -> Vec<(&'static str, String)> {
        let p = &self.params;
        vec![
            (
                "objective",
                match task {
                    Task::Regression => "reg:squarederror",
                    Task::Classification => "binary:logistic",
                }
                .to_string(),
            ),
            ("tree_method", "hist".to_string()),
            ("eta", p.learning_rate.to_string()),
            ("max_depth", p.max_depth.to_string()),
            ("max_leaves", p.max_leaves.to_string()),
            ("min_child_weight", p.min_rows_in_leaf.to_string()),
            ("lambda", p.l2.to_string()),
            ("subsample", p.subsample.to_string()),
            ("colsample_bytree", p.colsample.to_string()),
            ("nthread", p.threads.to_string()),
            ("seed", self.seed.to_string()),
            ("verbosity", "0".to_string()),
        ]
    }
}

impl OutcomeModel for XgBoost {
    fn learner(&self) -> Learner {
        Learner::XgBoost
    }

    fn fit(&self, x: &Matrix, target: &[f64], task: Task) -> Result<Box<dyn Fitted>, ModelsError> {
        check_shapes(x, target)?;
        let error = library_error("XGBoost");
        let mut train = dmatrix(x)?;
        let label: Vec<f32> = target.iter().map(|v| *v as f32).collect();
        train.set_labels(&label).map_err(|e| error(e.to_string()))?;
        let mut booster = xgb::Booster::new_with_cached_dmats(
            &xgb::parameters::BoosterParameters::default(),
            &[&train],
        )
        .map_err(|e| error(e.to_string()))?;
        for (name, value) in self.parameters(task) {
            booster
                .set_param(name, &value)
                .map_err(|e| error(format!("{name}={value}: {e}")))?;
        }
        for round in 0..self.params.rounds {
            booster
                .update(&train, round as i32)
                .map_err(|e| error(e.to_string()))?;
        }
        Ok(Box::new(XgBoostFitted(booster)))
    }
}

impl Fitted for XgBoostFitted {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, ModelsError> {
        let data = dmatrix(x)?;
        let predictions = self
            .0
            .predict(&data)
            .map_err(|e| library_error("XGBoost")(e.to_string()))?;
        Ok(predictions.into_iter().map(f64::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use rand_pcg::Pcg64;
    use slate_table::Label;

    /// y = 2·x0 + x1² + noise on 600 rows, with a 0/1 column.
    fn data() -> (Matrix, Vec<f64>) {
        let mut rng = Pcg64::new(1, 2);
        let rows = 600;
        let mut values = Vec::new();
        let mut y = Vec::new();
        for _ in 0..rows {
            let (a, b, d): (f64, f64, bool) = (rng.random(), rng.random(), rng.random());
            values.extend([a, b, f64::from(u8::from(d))]);
            y.push(
                2.0 * a + b * b + if d { 0.5 } else { 0.0 } + 0.05 * (rng.random::<f64>() - 0.5),
            );
        }
        let columns = vec!["a".into(), "b".into(), "promoted".into()];
        (
            Matrix {
                values,
                rows,
                columns,
            },
            y,
        )
    }

    fn learners() -> Vec<Box<dyn OutcomeModel>> {
        let params = GbdtParams {
            rounds: 100,
            learning_rate: 0.1,
            max_depth: 4,
            max_leaves: 15,
            min_rows_in_leaf: 5,
            ..GbdtParams::default()
        };
        vec![
            Box::new(LightGbm {
                params: params.clone(),
                seed: 7,
            }),
            Box::new(XgBoost { params, seed: 7 }),
        ]
    }

    #[test]
    fn both_libraries_fit_a_smooth_function_and_are_deterministic() {
        let (x, y) = data();
        let var = {
            let m = y.iter().sum::<f64>() / y.len() as f64;
            y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / y.len() as f64
        };
        for learner in learners() {
            let first = learner
                .fit(&x, &y, Task::Regression)
                .unwrap()
                .predict(&x)
                .unwrap();
            let again = learner
                .fit(&x, &y, Task::Regression)
                .unwrap()
                .predict(&x)
                .unwrap();
            assert_eq!(
                first,
                again,
                "{} is not deterministic",
                learner.learner().text()
            );
            let mse = first
                .iter()
                .zip(&y)
                .map(|(p, t)| (p - t).powi(2))
                .sum::<f64>()
                / y.len() as f64;
            assert!(
                mse < 0.05 * var,
                "{}: in-sample MSE {mse} vs variance {var}",
                learner.learner().text()
            );
            // The treatment contrast recovers the +0.5 shift.
            let lift: f64 = learner
                .fit(&x, &y, Task::Regression)
                .unwrap()
                .predict(&x.with_treatment(true))
                .unwrap()
                .iter()
                .zip(
                    learner
                        .fit(&x, &y, Task::Regression)
                        .unwrap()
                        .predict(&x.with_treatment(false))
                        .unwrap(),
                )
                .map(|(a, b)| a - b)
                .sum::<f64>()
                / y.len() as f64;
            assert!(
                (lift - 0.5).abs() < 0.1,
                "{}: lift {lift}",
                learner.learner().text()
            );
        }
    }

    #[test]
    fn classification_predicts_probabilities() {
        let (x, _) = data();
        let d: Vec<f64> = x.values.chunks(3).map(|r| r[2]).collect();
        for learner in learners() {
            let p = learner
                .fit(&x.without_treatment(), &d, Task::Classification)
                .unwrap()
                .predict(&x.without_treatment())
                .unwrap();
            assert!(
                p.iter().all(|v| (0.0..=1.0).contains(v)),
                "{}",
                learner.learner().text()
            );
        }
    }

    #[test]
    fn mismatched_shapes_are_an_error_not_a_crash() {
        let (x, y) = data();
        for learner in learners() {
            let err = learner.fit(&x, &y[..10], Task::Regression).err().unwrap();
            assert!(
                matches!(err, ModelsError::Shape { .. }),
                "{}",
                learner.learner().text()
            );
        }
    }
}
