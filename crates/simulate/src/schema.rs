//! The simulation's output table: one row per (slate, item), with both potential outcomes.

slate_table::table! {
    /// `movielens_interference_simulated_slates.parquet`: every item of every slate, sorted by
    /// slate then seed position, with the randomized arm and the known truth in both arms.
    pub struct SimulatedSlates, schema SIMULATED_SLATES = "movielens_interference_simulated_slates.parquet" {
        /// Slate id, 0-based and dense.
        slate_id: u32,
        /// The user the slate was built for.
        user_id: u32,
        /// The user's session number (0 for the first slate of a user).
        session: u32,
        /// The movie.
        movie_id: u32,
        /// The movie's substitute cluster.
        cluster: slate_table::SharedStr,
        /// 1-based position in the seed (unpromoted) ranking.
        seed_position: u32,
        /// 1-based position actually shown (after promotion, if any).
        final_position: u32,
        /// Relevance score of the movie for the user, in (0, 1).
        relevance: f64,
        /// Whether this is one of the slate's focal movies.
        is_focal: bool,
        /// Seed position of the slate's (lead) focal movie.
        focal_seed_position: u32,
        /// Whether the slate was randomized to promote its focal movie.
        promotion_applied: bool,
        /// Probability the slate is promoted under the design.
        assignment_probability: f64,
        /// Click probability if the slate is not promoted (the baseline).
        click_prob_if_control: f64,
        /// Click probability if the slate is promoted.
        click_prob_if_promoted: f64,
        /// Simulated click drawn from the realized arm's probability.
        observed_click: bool,
        /// The user's number of ratings.
        user_n_ratings: u32,
        /// The user's mean rating.
        user_mean_rating: f64,
        /// The slot a focal movie is promoted to (0 for a non-focal movie).
        target_position: u32,
    }
}
