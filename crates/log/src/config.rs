//! The `[log]` config section: how a user's file maps onto the canonical log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::LogError;
use crate::schema::LogColumn;

/// What to do with a slate that breaks a slate-level rule (see [`crate::read_log`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnBadSlate {
    /// Stop with an error naming the file, the slate (and row) and the column; nothing is
    /// written.
    #[default]
    Error,
    /// Drop the offending slates (all slates of a unit whose arm varies) and report each one.
    Drop,
}

/// The `[log]` section of the pipeline config.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Canonical column name → the name used in the user's file (only where they differ).
    pub columns: BTreeMap<String, String>,
    /// Further numeric outcomes besides `click`; each gets every contrast.
    pub outcomes: Vec<String>,
    /// Numeric pre-treatment covariates (slate- or item-level), used by the models stage.
    pub covariates: Vec<String>,
}

impl LogConfig {
    /// Checks the section: mapped names are canonical, no name is used twice.
    pub fn check(&self) -> Result<(), LogError> {
        let bad = |message: String| Err(LogError::Config { message });
        for canonical in self.columns.keys() {
            if LogColumn::from_name(canonical).is_none() {
                let names: Vec<&str> = LogColumn::ALL.iter().map(|c| c.name()).collect();
                return bad(format!(
                    "[log.columns] key `{canonical}` is not a canonical column (one of {})",
                    names.join(", ")
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for name in self.outcomes.iter().chain(&self.covariates) {
            if LogColumn::from_name(name).is_some() {
                return bad(format!(
                    "`{name}` is a canonical column; it cannot also be an outcome or covariate"
                ));
            }
            if !seen.insert(name) {
                return bad(format!(
                    "`{name}` is listed twice in outcomes and covariates"
                ));
            }
            if let Some((canonical, _)) = self.columns.iter().find(|(_, file)| *file == name) {
                return bad(format!(
                    "`{name}` is the log's column for canonical `{canonical}` ([log.columns]); it cannot also be an outcome or covariate"
                ));
            }
        }
        Ok(())
    }

    /// The name of `column` in the user's file.
    pub fn file_name_of(&self, column: LogColumn) -> &str {
        self.columns
            .get(column.name())
            .map_or(column.name(), String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks() {
        let config: LogConfig = toml::from_str(
            "outcomes = [\"watch_minutes\"]\ncovariates = [\"score\"]\n[columns]\nslate_id = \"impression\"\n",
        )
        .unwrap();
        config.check().unwrap();
        assert_eq!(config.file_name_of(LogColumn::SlateId), "impression");
        assert_eq!(config.file_name_of(LogColumn::Click), "click");

        let mut bad = config.clone();
        bad.columns.insert("slate".into(), "x".into());
        assert!(bad.check().unwrap_err().to_string().contains("`slate`"));
        let mut bad = config.clone();
        bad.covariates.push("click".into());
        assert!(bad.check().is_err());
        let mut bad = config.clone();
        bad.covariates.push("watch_minutes".into());
        assert!(bad.check().unwrap_err().to_string().contains("twice"));
        let mut bad = config;
        bad.covariates.push("impression".into());
        assert!(
            bad.check()
                .unwrap_err()
                .to_string()
                .contains("canonical `slate_id`")
        );
    }
}
