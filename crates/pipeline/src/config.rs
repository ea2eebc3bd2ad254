//! The pipeline's configuration (one TOML file; every key optional) and the directories a run
//! reads and writes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use slate_estimate::EstimateConfig;
use slate_ingest::IngestConfig;
use slate_ingest::synthetic::SyntheticConfig;
use slate_models::ModelsConfig;
use slate_simulate::SimulationConfig;

/// The whole pipeline configuration (one TOML file; every key optional).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Ingest settings.
    pub ingest: IngestConfig,
    /// Synthetic data shape (used with `--synthetic`).
    pub synthetic: SyntheticConfig,
    /// Slates, design and click model.
    pub simulation: SimulationConfig,
    /// Estimators (bootstrap replicates and seed, cluster-effects support).
    pub estimate: EstimateConfig,
    /// Outcome models, cross-fitting and policies.
    pub models: ModelsConfig,
    /// How `analyze --log` reads a team's impression log.
    pub log: slate_log::LogConfig,
}

impl PipelineConfig {
    /// Loads a TOML config; the error names the file and the bad key.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let config: Self =
            toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))?;
        config
            .check()
            .with_context(|| format!("checking config {}", path.display()))?;
        Ok(config)
    }

    /// Validates every section.
    pub fn check(&self) -> Result<()> {
        self.simulation.check()?;
        self.synthetic.check()?;
        self.ingest.check()?;
        self.estimate.check()?;
        self.models.check()?;
        self.log.check()?;
        Ok(())
    }
}

/// The directories a run reads and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    /// Raw MovieLens folders (downloads, synthetic data).
    pub raw_dir: PathBuf,
    /// Processed tables.
    pub processed_dir: PathBuf,
    /// Report figures.
    pub figures_dir: PathBuf,
    /// The writeup: final summary and bullets, with the final tables in `tables/`.
    pub writeup_dir: PathBuf,
}

impl Paths {
    /// `data/raw`, `data/processed`, `writeup/figures` and `writeup` under `root`.
    pub fn under(root: &Path) -> Self {
        Self {
            raw_dir: root.join("data").join("raw"),
            processed_dir: root.join("data").join("processed"),
            figures_dir: root.join("writeup").join("figures"),
            writeup_dir: root.join("writeup"),
        }
    }
}

/// The environment variable naming the project directory (`cargo xtask` sets it to the
/// repository root).
pub const PROJECT_DIR_VAR: &str = "SLATE_PROJECT_DIR";

/// The directory the default paths (`data/`, `writeup/`) and the benchmarks (`bench/`) are
/// under: `$SLATE_PROJECT_DIR` when set, else the current directory.
pub fn project_root() -> PathBuf {
    std::env::var_os(PROJECT_DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_default_config_equals_built_in_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/default.toml");
        assert_eq!(
            PipelineConfig::load(&path).unwrap(),
            PipelineConfig::default()
        );
    }

    #[test]
    fn bad_config_value_names_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[simulation.design]\npromotion_probability = 1.0\n").unwrap();
        let message = format!("{:#}", PipelineConfig::load(&path).unwrap_err());
        assert!(
            message.contains("design.promotion_probability"),
            "{message}"
        );
        std::fs::write(&path, "[simulation.clicks]\nposition_decy = 1.0\n").unwrap();
        let message = format!("{:#}", PipelineConfig::load(&path).unwrap_err());
        assert!(message.contains("position_decy"), "{message}");
    }

    /// Every validated config field, one bad value each: the error names the field.
    #[test]
    fn every_bad_config_field_is_named() {
        let cases: &[(&str, &str, &str)] = &[
            ("ingest", "min_cluster_share = 1.5", "min_cluster_share"),
            ("synthetic", "users = 0", "users"),
            ("synthetic", "movies = 5", "movies"),
            ("synthetic", "ratings = 10", "ratings"),
            (
                "synthetic",
                "min_ratings_per_user = 0",
                "min_ratings_per_user",
            ),
            ("synthetic", "zipf_exponent = -1.0", "zipf_exponent"),
            ("synthetic", "favourite_share = 2.0", "favourite_share"),
            ("simulation.slates", "n_slates = 0", "slates.n_slates"),
            ("simulation.slates", "slate_size = 1", "slates.slate_size"),
            (
                "simulation.slates",
                "candidate_pool = 4",
                "slates.candidate_pool",
            ),
            (
                "simulation.slates",
                "exploration_temperature = 0.0",
                "slates.exploration_temperature",
            ),
            (
                "simulation.slates.relevance",
                "intercept = nan",
                "slates.relevance.intercept",
            ),
            (
                "simulation.slates.relevance",
                "quality_weight = inf",
                "slates.relevance.quality_weight",
            ),
            (
                "simulation.slates.relevance",
                "quality_prior_count = -1.0",
                "slates.relevance.quality_prior_count",
            ),
            (
                "simulation.slates.relevance",
                "popularity_weight = nan",
                "slates.relevance.popularity_weight",
            ),
            (
                "simulation.slates.relevance",
                "affinity_weight = nan",
                "slates.relevance.affinity_weight",
            ),
            (
                "simulation.slates.relevance",
                "affinity_prior_count = -2.0",
                "slates.relevance.affinity_prior_count",
            ),
            (
                "simulation.slates.relevance",
                "genre_share_weight = -inf",
                "slates.relevance.genre_share_weight",
            ),
            (
                "simulation.design",
                "focal_min_position = 1",
                "design.focal_min_position",
            ),
            (
                "simulation.design",
                "focal_max_position = 13",
                "design.focal_max_position",
            ),
            (
                "simulation.design",
                "promotion_probability = 0.0",
                "design.promotion_probability",
            ),
            (
                "simulation.design",
                "assignment = \"cluster\"",
                "assignment",
            ),
            (
                "simulation.clicks",
                "top_click_probability = 1.5",
                "clicks.top_click_probability",
            ),
            (
                "simulation.clicks",
                "position_decay = -0.1",
                "clicks.position_decay",
            ),
            (
                "simulation.clicks",
                "promotion_attention_cost = -1.0",
                "clicks.promotion_attention_cost",
            ),
            (
                "simulation.clicks",
                "substitution_penalty = 1.5",
                "clicks.substitution_penalty",
            ),
            (
                "simulation.clicks",
                "max_click_probability = 0.0",
                "clicks.max_click_probability",
            ),
            (
                "estimate",
                "bootstrap_replicates = 1",
                "estimate.bootstrap_replicates",
            ),
            (
                "estimate",
                "cluster_effects_min_rows = 0",
                "estimate.cluster_effects_min_rows",
            ),
            (
                "estimate",
                "coverage_replicates = 0",
                "estimate.coverage_replicates",
            ),
            (
                "estimate",
                "randomization_draws = 0",
                "estimate.randomization_draws",
            ),
            ("models", "folds = 1", "models.folds"),
            ("models", "test_share = 1.0", "models.test_share"),
            ("models", "propensity_clip = 0.5", "models.propensity_clip"),
            ("models.lightgbm", "rounds = 0", "models.lightgbm.rounds"),
            (
                "models.lightgbm",
                "learning_rate = 0.0",
                "models.lightgbm.learning_rate",
            ),
            (
                "models.lightgbm",
                "max_depth = 0",
                "models.lightgbm.max_depth",
            ),
            (
                "models.lightgbm",
                "max_leaves = 1",
                "models.lightgbm.max_leaves",
            ),
            (
                "models.xgboost",
                "min_rows_in_leaf = 0",
                "models.xgboost.min_rows_in_leaf",
            ),
            ("models.xgboost", "l2 = -1.0", "models.xgboost.l2"),
            (
                "models.xgboost",
                "subsample = 0.0",
                "models.xgboost.subsample",
            ),
            (
                "models.xgboost",
                "colsample = 1.5",
                "models.xgboost.colsample",
            ),
            ("models.xgboost", "threads = 0", "models.xgboost.threads"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        for (section, line, field) in cases {
            std::fs::write(&path, format!("[{section}]\n{line}\n")).unwrap();
            let message = format!("{:#}", PipelineConfig::load(&path).unwrap_err());
            assert!(
                message.contains(field),
                "[{section}] {line}: `{message}` should name `{field}`"
            );
        }
    }
}
