//! The exposure roles: where each item row stands relative to its slate's focal items, defined
//! once for every estimator from the seed slate and the promotion design.

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

/// Where one item row stands relative to its slate's focal items (defined from the seed slate
/// and the design, so in both arms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRole {
    /// The row is a focal (promoted) item.
    pub is_focal: bool,
    /// A non-focal item that shares a cluster with a focal item of its slate.
    pub same_cluster: bool,
    /// A non-focal item that promotion pushes down (`displacement > 0`).
    pub displaced: bool,
    /// How many places promotion pushes a non-focal item down: its position under the design
    /// less its seed position (0 for a focal item). With one focal item promoted to the top,
    /// 1 for the items seeded above it and 0 below.
    pub displacement: u32,
}

/// The role of every row of slate `s` of `log`, in row order, with the row.
pub fn row_roles(log: &ImpressionLog, s: usize) -> impl Iterator<Item = (usize, RowRole)> + '_ {
    let focals = log.focals(s);
    let mut positions = Vec::new();
    log.promoted_positions(s, &mut positions);
    let rows = log.slate_rows(s);
    let start = rows.start;
    rows.map(move |r| {
        let is_focal = focals.contains(&r);
        let displacement = if is_focal {
            0
        } else {
            // Non-focal items never move up (see `slate_log::design`).
            positions[r - start] - log.seed_position[r]
        };
        (
            r,
            RowRole {
                is_focal,
                same_cluster: !is_focal
                    && focals
                        .iter()
                        .any(|f| log.item_cluster[*f] == log.item_cluster[r]),
                displaced: displacement > 0,
                displacement,
            },
        )
    })
}
