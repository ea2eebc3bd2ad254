//! Every simulation parameter, with its documented default. The pipeline reads these from the
//! `[simulation]` tables of the TOML config; a missing key takes its default.

use serde::{Deserialize, Serialize};

use crate::SimulateError;

/// The whole simulation: seed, slate construction, randomized design and click model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SimulationConfig {
    /// Seed of every random draw in slate sampling, focal choice, assignment and clicks.
    pub seed: Seed,
    /// How seed slates are built.
    pub slates: SlateConfig,
    /// The randomized promotion design.
    pub design: DesignConfig,
    /// The click model (data-generating process).
    pub clicks: ClickConfig,
}

/// A seed with the project default 20260428.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seed(pub u64);

impl Default for Seed {
    fn default() -> Self {
        Seed(20260428)
    }
}

/// Seed-slate construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlateConfig {
    /// Number of slates (default 3,000).
    pub n_slates: usize,
    /// Items per slate (default 12).
    pub slate_size: usize,
    /// A user is eligible with at least this many ratings (default 20, MovieLens' own floor).
    pub min_user_ratings: usize,
    /// A movie is a candidate only with at least this many ratings (default 10), so its
    /// quality estimate means something.
    pub min_movie_ratings: usize,
    /// Each user's top-N unrated movies form the pool slates are sampled from (default 60).
    pub candidate_pool: usize,
    /// Sessions dealt to each user (default 0: as few as the eligible users allow, i.e. one
    /// slate per user when there are enough users, else round-robin). With `k > 0`,
    /// `⌈n_slates / k⌉` users (at most every eligible user) are dealt slates round-robin, so
    /// each holds about `k` sessions on any dataset: what a user-randomized design needs.
    pub sessions_per_user: usize,
    /// Plackett–Luce temperature for sampling a session's 12 movies from the pool: weights are
    /// `relevance^(1/temperature)` (default 0.25; smaller is closer to a deterministic top-12).
    pub exploration_temperature: f64,
    /// The relevance model's weights.
    pub relevance: RelevanceConfig,
}

impl Default for SlateConfig {
    fn default() -> Self {
        Self {
            n_slates: 3_000,
            slate_size: 12,
            min_user_ratings: 20,
            min_movie_ratings: 10,
            candidate_pool: 60,
            sessions_per_user: 0,
            exploration_temperature: 0.25,
            relevance: RelevanceConfig::default(),
        }
    }
}

/// The popularity × user-genre-affinity relevance model (see [`crate::relevance`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelevanceConfig {
    /// Intercept of the logistic link.
    pub intercept: f64,
    /// Weight of the movie's shrunken mean rating (centred at the global mean, in stars).
    pub quality_weight: f64,
    /// Pseudo-count shrinking a movie's mean rating towards the global mean.
    pub quality_prior_count: f64,
    /// Weight of the movie's log-popularity (scaled to `[0, 1]`).
    pub popularity_weight: f64,
    /// Weight of the user's mean centred rating on the movie's genres.
    pub affinity_weight: f64,
    /// Pseudo-count shrinking a user's genre affinity towards zero.
    pub affinity_prior_count: f64,
    /// Weight of the share of the user's ratings that fall in the movie's genres.
    pub genre_share_weight: f64,
}

impl Default for RelevanceConfig {
    fn default() -> Self {
        Self {
            intercept: -2.0,
            quality_weight: 1.5,
            quality_prior_count: 10.0,
            popularity_weight: 2.0,
            affinity_weight: 1.0,
            affinity_prior_count: 5.0,
            genre_share_weight: 2.0,
        }
    }
}

/// How promotion is randomized across slates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// Each slate is promoted independently with the promotion probability.
    Bernoulli,
    /// Exactly `round(p · n)` slates are promoted, chosen uniformly.
    Complete,
}

/// What promotion is randomized over: the cluster every estimator then clusters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RandomizationUnit {
    /// Each slate on its own (the default; the log's unit is the slate).
    #[default]
    Slate,
    /// All of a user's slates in one arm (the log's unit is the user).
    User,
}

/// The randomized promotion design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DesignConfig {
    /// Lowest (best) seed position a focal movie may have, 1-based (default 5).
    pub focal_min_position: usize,
    /// Highest (worst) seed position a focal movie may have (default 12).
    pub focal_max_position: usize,
    /// Probability that a slate's focal movie is promoted (default 0.5).
    pub promotion_probability: f64,
    /// Bernoulli (default) or complete randomization.
    pub assignment: Assignment,
    /// The randomization unit: `slate` (default) or `user`.
    pub unit: RandomizationUnit,
    /// Focal movies per slate, k (default 1): promoted together to slots `t..t+k−1` in seed
    /// order.
    pub focals_per_slate: usize,
    /// The slot t the first focal movie is promoted to (default 1, the top). The focal window
    /// moves with it: every focal movie is drawn from seed positions at least `t + k`, so each
    /// starts below its slot.
    pub target_position: usize,
}

impl DesignConfig {
    /// The seed positions focal movies are drawn from: `focal_min_position..=focal_max_position`,
    /// its start raised to `target_position + focals_per_slate` so that every focal movie starts
    /// below its slot (unchanged for one focal movie promoted to the top).
    pub fn focal_window(&self) -> std::ops::RangeInclusive<usize> {
        self.focal_min_position
            .max(self.target_position + self.focals_per_slate)..=self.focal_max_position
    }
}

impl Default for DesignConfig {
    fn default() -> Self {
        Self {
            focal_min_position: 5,
            focal_max_position: 12,
            promotion_probability: 0.5,
            assignment: Assignment::Bernoulli,
            unit: RandomizationUnit::Slate,
            focals_per_slate: 1,
            target_position: 1,
        }
    }
}

/// The click model (see [`crate::clicks`] for the equation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClickConfig {
    /// Click probability at position 1 for an item of average relevance in an ordinary slate.
    pub top_click_probability: f64,
    /// Position-bias exponent η: examination at position k is `k^-η`.
    pub position_decay: f64,
    /// Attention the promoted hero tile absorbs, in units of a position-1 examination (ψ).
    pub promotion_attention_cost: f64,
    /// Extra proportional loss of non-focal movies in the promoted focal's cluster (γ).
    pub substitution_penalty: f64,
    /// Upper bound on any click probability.
    pub max_click_probability: f64,
    /// Standard deviation σ_u of a user's shift of click propensity on the logit scale
    /// (default 0: clicks independent given the slate). Every click of the user's slates, in
    /// both arms, shares the shift: the correlation a user-randomized analysis must cluster on.
    pub user_logit_sd: f64,
    /// Standard deviation σ_s of a session's (slate's) shift of click propensity on the logit
    /// scale (default 0), shared by the slate's items in both arms.
    pub session_logit_sd: f64,
    /// Hero-tile engagement β (default 0: promotion helps no slate as a whole). On a promoted
    /// slate every item's click probability is multiplied by `1 + β · v_f / v̄`: the promoted
    /// focal movie draws the user into the whole slate in proportion to its appeal, so slates
    /// with a strong focal gain from promotion and targeting has something to find.
    pub hero_engagement: f64,
}

impl Default for ClickConfig {
    fn default() -> Self {
        Self {
            top_click_probability: 0.39,
            position_decay: 0.4,
            promotion_attention_cost: 0.8,
            substitution_penalty: 0.08,
            max_click_probability: 0.95,
            user_logit_sd: 0.0,
            session_logit_sd: 0.0,
            hero_engagement: 0.0,
        }
    }
}

impl SimulationConfig {
    /// Checks every field; the error names the field and its bad value.
    pub fn check(&self) -> Result<(), SimulateError> {
        let bad = |field: &str, message: String| {
            Err(SimulateError::Config {
                field: field.to_string(),
                message,
            })
        };
        let s = &self.slates;
        let d = &self.design;
        let c = &self.clicks;
        if s.n_slates == 0 {
            return bad("slates.n_slates", "must be at least 1".into());
        }
        if s.slate_size < 2 {
            return bad("slates.slate_size", format!("{} < 2", s.slate_size));
        }
        if s.candidate_pool < s.slate_size {
            return bad(
                "slates.candidate_pool",
                format!(
                    "{} is smaller than slate_size {}",
                    s.candidate_pool, s.slate_size
                ),
            );
        }
        if !(s.exploration_temperature.is_finite() && s.exploration_temperature > 0.0) {
            return bad(
                "slates.exploration_temperature",
                format!("{} must be > 0", s.exploration_temperature),
            );
        }
        let r = &s.relevance;
        for (field, value) in [
            ("slates.relevance.intercept", r.intercept),
            ("slates.relevance.quality_weight", r.quality_weight),
            ("slates.relevance.popularity_weight", r.popularity_weight),
            ("slates.relevance.affinity_weight", r.affinity_weight),
            ("slates.relevance.genre_share_weight", r.genre_share_weight),
        ] {
            if !value.is_finite() {
                return bad(field, format!("{value} is not finite"));
            }
        }
        for (field, value) in [
            (
                "slates.relevance.quality_prior_count",
                r.quality_prior_count,
            ),
            (
                "slates.relevance.affinity_prior_count",
                r.affinity_prior_count,
            ),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return bad(field, format!("{value} must be >= 0"));
            }
        }
        if d.focal_min_position < 2 {
            return bad(
                "design.focal_min_position",
                format!(
                    "{} < 2 (a focal at position 1 cannot be promoted)",
                    d.focal_min_position
                ),
            );
        }
        if d.focal_max_position < d.focal_min_position || d.focal_max_position > s.slate_size {
            return bad(
                "design.focal_max_position",
                format!(
                    "{} must be in focal_min_position ({})..=slate_size ({})",
                    d.focal_max_position, d.focal_min_position, s.slate_size
                ),
            );
        }
        if d.focals_per_slate == 0 {
            return bad(
                "design.focals_per_slate",
                "0: a slate promotes at least one focal movie".into(),
            );
        }
        if d.target_position == 0 {
            return bad("design.target_position", "0: slots count from 1".into());
        }
        let window = d.focal_window();
        if window.clone().count() < d.focals_per_slate {
            return bad(
                "design.target_position",
                format!(
                    "{} focal movies promoted to slots {}..={} must start below their slots, at seed positions {}..={}: fewer than {} positions (raise design.focal_max_position or lower the slot)",
                    d.focals_per_slate,
                    d.target_position,
                    d.target_position + d.focals_per_slate - 1,
                    window.start(),
                    window.end(),
                    d.focals_per_slate
                ),
            );
        }
        if !(d.promotion_probability > 0.0 && d.promotion_probability < 1.0) {
            return bad(
                "design.promotion_probability",
                format!(
                    "{} must be strictly between 0 and 1 (both arms are needed)",
                    d.promotion_probability
                ),
            );
        }
        if !(c.top_click_probability > 0.0 && c.top_click_probability <= 1.0) {
            return bad(
                "clicks.top_click_probability",
                format!("{} must be in (0, 1]", c.top_click_probability),
            );
        }
        if !(c.position_decay.is_finite() && c.position_decay >= 0.0) {
            return bad(
                "clicks.position_decay",
                format!("{} must be >= 0", c.position_decay),
            );
        }
        if !(c.promotion_attention_cost.is_finite() && c.promotion_attention_cost >= 0.0) {
            return bad(
                "clicks.promotion_attention_cost",
                format!("{} must be >= 0", c.promotion_attention_cost),
            );
        }
        if !(0.0..=1.0).contains(&c.substitution_penalty) {
            return bad(
                "clicks.substitution_penalty",
                format!("{} must be in [0, 1]", c.substitution_penalty),
            );
        }
        for (field, value) in [
            ("clicks.user_logit_sd", c.user_logit_sd),
            ("clicks.session_logit_sd", c.session_logit_sd),
            ("clicks.hero_engagement", c.hero_engagement),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return bad(field, format!("{value} must be >= 0"));
            }
        }
        if !(c.max_click_probability > 0.0 && c.max_click_probability <= 1.0) {
            return bad(
                "clicks.max_click_probability",
                format!("{} must be in (0, 1]", c.max_click_probability),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip_through_toml() {
        let config = SimulationConfig::default();
        config.check().unwrap();
        let text = toml::to_string(&config).unwrap();
        let back: SimulationConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn partial_toml_takes_defaults_and_unknown_keys_are_rejected() {
        let config: SimulationConfig =
            toml::from_str("[design]\npromotion_probability = 0.3\n").unwrap();
        assert_eq!(config.design.promotion_probability, 0.3);
        assert_eq!(config.slates.n_slates, 3_000);
        assert!(toml::from_str::<SimulationConfig>("[design]\npromotion_prob = 0.3\n").is_err());
    }

    fn field_of(config: SimulationConfig) -> String {
        match config.check() {
            Err(SimulateError::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn each_bad_value_names_its_field() {
        let mut c = SimulationConfig::default();
        c.design.promotion_probability = 1.0;
        assert_eq!(field_of(c), "design.promotion_probability");
        let mut c = SimulationConfig::default();
        c.design.promotion_probability = 0.0;
        assert_eq!(field_of(c), "design.promotion_probability");
        let mut c = SimulationConfig::default();
        c.design.focal_max_position = 13;
        assert_eq!(field_of(c), "design.focal_max_position");
        let mut c = SimulationConfig::default();
        c.design.focal_min_position = 1;
        assert_eq!(field_of(c), "design.focal_min_position");
        let mut c = SimulationConfig::default();
        c.slates.candidate_pool = 5;
        assert_eq!(field_of(c), "slates.candidate_pool");
        let mut c = SimulationConfig::default();
        c.clicks.substitution_penalty = 1.5;
        assert_eq!(field_of(c), "clicks.substitution_penalty");
        let mut c = SimulationConfig::default();
        c.slates.exploration_temperature = 0.0;
        assert_eq!(field_of(c), "slates.exploration_temperature");
    }
}
