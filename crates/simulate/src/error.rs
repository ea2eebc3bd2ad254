//! What can go wrong simulating.

use slate_table::TableError;

/// What can go wrong simulating.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// A configuration value is invalid; names the field.
    #[error("invalid simulation config `{field}`: {message}")]
    Config {
        /// Dotted field path, e.g. `design.promotion_probability`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// No user can receive a slate.
    #[error(
        "no eligible users: {users} users, {too_few_ratings} with fewer than {min_user_ratings} ratings, \
         {too_few_candidates} with fewer than {slate_size} candidate movies"
    )]
    NoEligibleUsers {
        /// Users in the data.
        users: usize,
        /// Users below the rating floor.
        too_few_ratings: usize,
        /// Users with fewer candidates than the slate size.
        too_few_candidates: usize,
        /// The rating floor.
        min_user_ratings: usize,
        /// The slate size.
        slate_size: usize,
    },
    /// The realized assignment left one arm empty.
    #[error(
        "assignment left the {arm} arm empty ({slates} slates); use more slates or another seed"
    )]
    EmptyArm {
        /// "promoted" or "control".
        arm: &'static str,
        /// Number of slates.
        slates: usize,
    },
    /// Reading or writing a table failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The simulated slates do not form a valid impression log (an invariant was broken).
    #[error(transparent)]
    Log(#[from] slate_log::LogError),
}
