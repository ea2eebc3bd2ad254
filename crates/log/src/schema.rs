//! The canonical columns of an impression log: the one place their names live.

/// A canonical column of the impression log. A `[log.columns]` config section maps a user's own
/// column names onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogColumn {
    /// One slate impression (signed 64-bit integer or string).
    SlateId,
    /// The randomization unit (optional; defaults to the slate). Inference clusters by it.
    UnitId,
    /// The user who saw the slate (optional; defaults to the unit). Descriptive only.
    UserId,
    /// The item (signed 64-bit integer or string).
    ItemId,
    /// The item's substitute group (string).
    ItemCluster,
    /// 1-based position in the ranking without promotion, logged in both arms.
    SeedPosition,
    /// 1-based position displayed.
    ShownPosition,
    /// Whether the row is one of the slate's focal items, its promoted set (one or more per
    /// slate, marked in both arms).
    IsFocal,
    /// Whether the slate's focal item was promoted (constant within a slate and a unit).
    Promoted,
    /// The click (0/1, boolean or numeric).
    Click,
    /// The design probability of promotion (optional; constant across units).
    AssignmentProbability,
    /// Truth: the click probability had the slate been promoted (optional, a simulation's oracle).
    ClickProbIfPromoted,
    /// Truth: the click probability had the slate not been promoted (optional).
    ClickProbIfControl,
    /// The slot a focal item is promoted to (optional; 1 when absent; read on focal rows only,
    /// in both arms). Never below the item's seed position.
    TargetPosition,
}

impl LogColumn {
    /// Every canonical column, in the order a canonical log file lists them.
    pub const ALL: [LogColumn; 14] = [
        LogColumn::SlateId,
        LogColumn::UnitId,
        LogColumn::UserId,
        LogColumn::ItemId,
        LogColumn::ItemCluster,
        LogColumn::SeedPosition,
        LogColumn::ShownPosition,
        LogColumn::IsFocal,
        LogColumn::Promoted,
        LogColumn::Click,
        LogColumn::AssignmentProbability,
        LogColumn::ClickProbIfPromoted,
        LogColumn::ClickProbIfControl,
        LogColumn::TargetPosition,
    ];

    /// The canonical name.
    pub const fn name(self) -> &'static str {
        match self {
            LogColumn::SlateId => "slate_id",
            LogColumn::UnitId => "unit_id",
            LogColumn::UserId => "user_id",
            LogColumn::ItemId => "item_id",
            LogColumn::ItemCluster => "item_cluster",
            LogColumn::SeedPosition => "seed_position",
            LogColumn::ShownPosition => "shown_position",
            LogColumn::IsFocal => "is_focal",
            LogColumn::Promoted => "promoted",
            LogColumn::Click => "click",
            LogColumn::AssignmentProbability => "assignment_probability",
            LogColumn::ClickProbIfPromoted => "click_prob_if_promoted",
            LogColumn::ClickProbIfControl => "click_prob_if_control",
            LogColumn::TargetPosition => "target_position",
        }
    }

    /// Whether every log must carry the column.
    pub const fn required(self) -> bool {
        !matches!(
            self,
            LogColumn::UnitId
                | LogColumn::UserId
                | LogColumn::AssignmentProbability
                | LogColumn::ClickProbIfPromoted
                | LogColumn::ClickProbIfControl
                | LogColumn::TargetPosition
        )
    }

    /// The canonical column called `name`, if any.
    pub fn from_name(name: &str) -> Option<LogColumn> {
        LogColumn::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Version of the canonical log schema (written to every run manifest). Bump it when a
/// canonical column is added, removed or changes meaning. Version 2 added `target_position`
/// and let `is_focal` mark several items of a slate.
pub const LOG_SCHEMA_VERSION: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = LogColumn::ALL.iter().map(|c| c.name()).collect();
        for column in LogColumn::ALL {
            assert_eq!(LogColumn::from_name(column.name()), Some(column));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), LogColumn::ALL.len());
        assert_eq!(LogColumn::from_name("relevance"), None);
    }
}
