//! The exposure roles: where each item row stands relative to its slate's focal item, defined
//! once for every estimator.

use slate_log::ImpressionLog;

/// The display name of an exposure role, as written in `exposure_condition`.
pub(crate) fn role_name(role: RowRole) -> &'static str {
    match (role.is_focal, role.same_cluster, role.displaced) {
        (true, _, _) => "focal",
        (false, true, true) => "same-cluster competitor, displaced",
        (false, true, false) => "same-cluster competitor",
        (false, false, true) => "displaced item",
        (false, false, false) => "other item",
    }
}

/// Where one item row stands relative to its slate's focal item (defined from the seed
/// slate, so in both arms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRole {
    /// The row is the focal item.
    pub is_focal: bool,
    /// A non-focal item in the focal item's cluster.
    pub same_cluster: bool,
    /// A non-focal item seeded above the focal item (promotion moves it down one place).
    pub displaced: bool,
}

/// The role of every row of slate `s` of `log`, in row order, with the row.
pub fn row_roles(log: &ImpressionLog, s: usize) -> impl Iterator<Item = (usize, RowRole)> + '_ {
    let focal = log.focal_row[s];
    let focal_seed = log.seed_position[focal];
    let focal_cluster = &log.item_cluster[focal];
    log.slate_rows(s).map(move |r| {
        let is_focal = r == focal;
        (
            r,
            RowRole {
                is_focal,
                same_cluster: !is_focal && &log.item_cluster[r] == focal_cluster,
                displaced: !is_focal && log.seed_position[r] < focal_seed,
            },
        )
    })
}
