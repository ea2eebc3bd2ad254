//! The tables the exposure stage writes. Names are kept from the original notebooks so that
//! existing users find them; the structs are the one place their columns are declared.

slate_table::table! {
    /// `movielens_interference_exposure_mapping.parquet`: one row per (slate, item).
    pub struct ExposureMapping, schema EXPOSURE_MAPPING = "movielens_interference_exposure_mapping.parquet" {
        /// Slate id (the randomized unit and the cluster for inference).
        slate_id: u32,
        /// User the slate was built for.
        user_id: u32,
        /// The movie.
        movie_id: u32,
        /// The movie's substitute cluster.
        cluster: String,
        /// The slate's focal movie.
        focal_movie_id: u32,
        /// The focal movie's cluster.
        focal_cluster: String,
        /// 1-based seed position.
        seed_position: u32,
        /// 1-based position shown.
        final_position: u32,
        /// `final_position − seed_position` (−(f−1) for a promoted focal, +1 for displaced items).
        position_shift: i64,
        /// Relevance for the user.
        relevance: f64,
        /// Whether this row is the focal movie.
        is_focal: bool,
        /// Whether the slate's focal movie was promoted (constant within a slate).
        promotion_applied: bool,
        /// Non-focal movie in the focal's cluster (defined in both arms).
        same_cluster_as_focal: bool,
        /// Non-focal movie seeded above the focal, so promotion pushes it down one place
        /// (defined in both arms).
        displaced_by_promotion: bool,
        /// Readable exposure label: role and arm, e.g. `same-cluster competitor | promoted`.
        exposure_condition: String,
        /// Click probability without promotion (the counterfactual baseline).
        baseline_click_prob: f64,
        /// Click probability under the realized arm.
        expected_click_prob: f64,
        /// Known induced lift: expected − baseline (0 in control slates).
        known_induced_lift: f64,
        /// Click probability if the slate were promoted (both arms: the oracle).
        click_prob_if_promoted: f64,
        /// Simulated click.
        observed_click: bool,
    }
}

slate_table::table! {
    /// `movielens_interference_slate_outcomes.parquet`: one row per slate.
    pub struct SlateOutcomes, schema SLATE_OUTCOMES = "movielens_interference_slate_outcomes.parquet" {
        /// Slate id.
        slate_id: u32,
        /// User.
        user_id: u32,
        /// The user's session number.
        session: u32,
        /// Whether the focal movie was promoted.
        promotion_applied: bool,
        /// Design probability of promotion.
        assignment_probability: f64,
        /// Focal movie.
        focal_movie_id: u32,
        /// Focal movie's cluster.
        focal_cluster: String,
        /// Focal movie's seed position.
        focal_seed_position: u32,
        /// Focal movie's relevance.
        focal_relevance: f64,
        /// Non-focal movies in the focal's cluster.
        n_same_cluster_competitors: u32,
        /// Non-focal movies seeded above the focal.
        n_displaced_items: u32,
        /// Movies that are both.
        n_same_cluster_displaced: u32,
        /// Observed clicks on the slate.
        total_observed_clicks: u32,
        /// Expected clicks under the realized arm.
        total_expected_clicks: f64,
        /// Expected clicks without promotion.
        total_baseline_clicks: f64,
        /// Known induced lift (expected − baseline; 0 in control).
        total_known_lift: f64,
        /// Expected clicks if promoted (both arms).
        total_expected_clicks_if_promoted: f64,
        /// Expected clicks if not promoted (both arms).
        total_expected_clicks_if_control: f64,
        /// Oracle slate effect of promotion: if_promoted − if_control.
        slate_promotion_effect: f64,
        /// Observed click on the focal movie.
        focal_observed_click: bool,
        /// Mean relevance of the slate's movies.
        mean_relevance: f64,
        /// Highest relevance on the slate.
        max_relevance: f64,
        /// Lowest relevance on the slate.
        min_relevance: f64,
        /// Standard deviation of relevance on the slate.
        relevance_std: f64,
        /// Mean relevance of seed positions 1–3.
        top3_mean_relevance: f64,
        /// Relevance of the top seed movie minus the focal's.
        focal_relevance_gap: f64,
        /// Distinct clusters on the slate.
        n_distinct_clusters: u32,
        /// Share of the slate in the focal's cluster (focal included).
        focal_cluster_share: f64,
        /// The user's number of ratings.
        user_n_ratings: u32,
        /// The user's mean rating.
        user_mean_rating: f64,
    }
}

slate_table::table! {
    /// `movielens_interference_assignment_table.parquet`: the randomized design, one row per slate.
    pub struct AssignmentTable, schema ASSIGNMENT = "movielens_interference_assignment_table.parquet" {
        /// Slate id.
        slate_id: u32,
        /// User.
        user_id: u32,
        /// Focal movie.
        focal_movie_id: u32,
        /// Focal movie's cluster.
        focal_cluster: String,
        /// Focal seed position.
        focal_seed_position: u32,
        /// Focal relevance.
        focal_relevance: f64,
        /// Whether the focal was promoted.
        promotion_applied: bool,
        /// Design probability of promotion.
        assignment_probability: f64,
    }
}

/// `movielens_interference_exposure_readiness.csv`.
pub const EXPOSURE_READINESS: slate_table::TableSchema = slate_table::readiness::schema(
    "movielens_interference_exposure_readiness.csv",
    "Exposure readiness: the exposure tables' invariants (roles, arms, support), each passed or not.",
);
