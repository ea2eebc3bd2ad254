//! What a row of an estimate table measures: the click under one of its views, or one of a
//! logged experiment's further outcomes (the `outcome` column).

use slate_table::polars::prelude::{Column, DataFrame};
use slate_table::{ColumnType, ColumnValue, TableError, column_str};

use crate::contrasts::{Contrast, Items, OutcomeView};

/// What a row measures, per item row or as its slate total (as the row's contrast compares).
/// The click's labels are the seed notebooks' for a simulation ("Observed simulated click")
/// and plain for a logged experiment ("Observed click"); a further outcome is named by the
/// log ("dwell", and "total dwell" per slate).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The click under `view`.
    Click {
        /// The view (only a simulation's log has the truth views).
        view: OutcomeView,
        /// Whether the row sums a slate.
        slate_total: bool,
        /// Whether the log is a simulation's (it carries truth columns).
        simulated: bool,
    },
    /// A further outcome of the log.
    Further {
        /// Its name in the log.
        name: String,
        /// Whether the row sums a slate.
        slate_total: bool,
    },
}

impl Outcome {
    /// The click under `view` for the rows of `contrast` in a log whose items are `items`.
    pub fn click(contrast: Contrast, view: OutcomeView, items: Items<'_>) -> Self {
        Outcome::Click {
            view,
            slate_total: contrast.is_slate_level(),
            simulated: items.has_truth(),
        }
    }

    /// The log's further outcome `name` for the rows of `contrast`.
    pub fn further(contrast: Contrast, name: &str) -> Self {
        Outcome::Further {
            name: name.to_string(),
            slate_total: contrast.is_slate_level(),
        }
    }

    /// The click's view (`None` for a further outcome).
    pub fn view(&self) -> Option<OutcomeView> {
        match self {
            Outcome::Click { view, .. } => Some(*view),
            Outcome::Further { .. } => None,
        }
    }

    /// The click's label (kept from the seed notebooks), `None` for a further outcome.
    fn click_text(&self) -> Option<&'static str> {
        let Outcome::Click {
            view,
            slate_total,
            simulated,
        } = self
        else {
            return None;
        };
        Some(match (view, slate_total, simulated) {
            (OutcomeView::Observed, false, false) => "Observed click",
            (OutcomeView::Observed, true, false) => "Observed total clicks",
            (OutcomeView::Observed, false, true) => "Observed simulated click",
            (OutcomeView::Expected, false, _) => "Expected click probability",
            (OutcomeView::KnownLift, false, _) => "Known induced lift",
            (OutcomeView::Observed, true, true) => "Observed total simulated clicks",
            (OutcomeView::Expected, true, _) => "Expected total clicks",
            (OutcomeView::KnownLift, true, _) => "Known total induced lift",
        })
    }

    /// The text the table holds.
    pub fn text(&self) -> String {
        match self {
            Outcome::Click { .. } => self.click_text().unwrap_or_default().to_string(),
            Outcome::Further { name, slate_total } => {
                if *slate_total {
                    format!("total {name}")
                } else {
                    name.clone()
                }
            }
        }
    }

    /// Every click label, for reading a table back.
    fn clicks() -> impl Iterator<Item = Outcome> {
        OutcomeView::ALL.into_iter().flat_map(|view| {
            // A simulation's first: the truth views' labels do not say whether the log was.
            [(false, true), (true, true), (false, false), (true, false)]
                .into_iter()
                .map(move |(slate_total, simulated)| Outcome::Click {
                    view,
                    slate_total,
                    simulated,
                })
        })
    }

    /// The outcome a table's text names: a click label, else a further outcome ("total …" per
    /// slate). The text always round-trips; the value may not where the text cannot tell: a
    /// truth view reads back as a simulation's, a further outcome the log named like a click
    /// label as the click, and an item-level one named "total x" as the slate total of "x".
    pub fn parse(text: &str) -> Self {
        Self::clicks()
            .find(|o| o.click_text() == Some(text))
            .unwrap_or_else(|| match text.strip_prefix("total ") {
                Some(name) => Outcome::Further {
                    name: name.to_string(),
                    slate_total: true,
                },
                None => Outcome::Further {
                    name: text.to_string(),
                    slate_total: false,
                },
            })
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl ColumnValue for Outcome {
    const TYPE: ColumnType = ColumnType::Str;

    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(
            name.into(),
            values.iter().map(Outcome::text).collect::<Vec<String>>(),
        )
    }

    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>, TableError> {
        Ok(column_str(df, label, name)?
            .iter()
            .map(|text| Outcome::parse(text))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_from_its_text() {
        let mut all: Vec<Outcome> = Outcome::clicks()
            .filter(|o| {
                // A logged experiment has only the observed click.
                !matches!(o, Outcome::Click { view, simulated: false, .. } if *view != OutcomeView::Observed)
            })
            .collect();
        all.extend([
            Outcome::further(Contrast::DirectFocal, "dwell"),
            Outcome::further(Contrast::TotalSlate, "dwell"),
        ]);
        assert_eq!(all.len(), 10);
        for outcome in &all {
            assert_eq!(&Outcome::parse(&outcome.text()), outcome, "{outcome}");
        }
        assert_eq!(all[9].text(), "total dwell");
    }
}
