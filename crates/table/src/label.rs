//! Label columns: a closed set of values written as their display text.

use polars::prelude::{Column, DataFrame};

use crate::schema::{ColumnType, ColumnValue, column_str};
use crate::{Result, TableError};

/// A value of a label column (a contrast, an inference method, a learner, ...): one of a
/// closed set, written to a table as its display text and read back by that text. Code finds
/// rows by comparing values, never by matching text, and the text lives in one place: the
/// type's definition.
///
/// Enums derive their texts with strum (`IntoStaticStr`, `VariantArray`) and implement the
/// trait with [`crate::label!`]; a type whose values combine others (a method under a
/// clustering, a rule of a learner) implements it by hand.
pub trait Label: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// Every value, in table order.
    const ALL: &'static [Self];

    /// The text a table holds for this value.
    fn text(self) -> &'static str;

    /// The value whose text is `text`.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.text() == text)
    }
}

/// Implements [`Label`] and `Display` (its text) for enums that derive strum's
/// `IntoStaticStr` (the texts, from each variant's `#[strum(serialize = "...")]`) and
/// `VariantArray` (every value, in declaration order).
#[macro_export]
macro_rules! label {
    ($($ty:ty),+ $(,)?) => {$(
        impl $crate::Label for $ty {
            const ALL: &'static [Self] = <Self as $crate::strum::VariantArray>::VARIANTS;
            fn text(self) -> &'static str {
                self.into()
            }
        }
        $crate::label_display!($ty);
    )+};
}

/// Implements `Display` as the [`Label`] text, for types that implement the trait by hand.
#[macro_export]
macro_rules! label_display {
    ($($ty:ty),+ $(,)?) => {$(
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::Label::text(*self))
            }
        }
    )+};
}

impl<L: Label> ColumnValue for L {
    const TYPE: ColumnType = ColumnType::Str;

    fn to_column(name: &str, values: &[Self]) -> Column {
        Column::new(
            name.into(),
            values.iter().map(|v| v.text()).collect::<Vec<&str>>(),
        )
    }

    fn from_frame(df: &DataFrame, label: &str, name: &str) -> Result<Vec<Self>> {
        column_str(df, label, name)?
            .iter()
            .enumerate()
            .map(|(row, text)| {
                L::parse(text).ok_or_else(|| TableError::UnknownLabel {
                    table: label.to_string(),
                    column: name.to_string(),
                    row: row + 1,
                    value: text.clone(),
                    expected: L::ALL
                        .iter()
                        .map(|v| format!("\"{}\"", v.text()))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
    enum Arm {
        #[strum(serialize = "promoted arm")]
        Promoted,
        #[strum(serialize = "control arm")]
        Control,
    }
    crate::label!(Arm);

    /// A table with a label column (the macro's other methods are not used here).
    #[allow(dead_code)]
    mod demo {
        use super::Arm;

        crate::table! {
            /// Demo rows.
            pub struct Demo, schema DEMO = "demo.csv" {
                /// The arm.
                arm: Arm,
                /// A value.
                value: f64,
            }
        }
    }
    use demo::{DEMO, Demo};

    #[test]
    fn a_label_column_round_trips_through_its_text() {
        let demo = Demo {
            arm: vec![Arm::Control, Arm::Promoted],
            value: vec![1.0, 2.0],
        };
        let frame = demo.to_frame().unwrap();
        let texts = crate::column_str(&frame, "demo", "arm").unwrap();
        assert_eq!(texts, ["control arm", "promoted arm"]);
        assert_eq!(Demo::from_frame(&frame, "demo").unwrap(), demo);
        assert_eq!(DEMO.columns[0].ty, ColumnType::Str);
    }

    #[test]
    fn an_unknown_text_names_the_table_column_row_and_the_texts_expected() {
        let frame = DataFrame::new(
            2,
            vec![
                Column::new("arm".into(), ["control arm", "treated"]),
                Column::new("value".into(), [1.0, 2.0]),
            ],
        )
        .unwrap();
        let err = Demo::from_frame(&frame, "demo.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "demo.csv: column `arm`, row 2: \"treated\" is not one of \"promoted arm\", \"control arm\""
        );
    }
}
