//! What the models stage keeps of the slate table: each slate's id, arm, unit, observed total,
//! focal cluster and seed position, and the oracle's effect when known. The features are not
//! kept: [`crate::features::SlateFeatures`] builds them a block at a time, from the table in
//! memory or on disk.

use slate_estimate::dim::Sample;
use std::collections::HashMap;

use slate_exposure::{HeldTruth, SlateOutcomes, SlateOutcomesFile};
use slate_table::SharedStr;

use crate::ModelsError;
use crate::features::cluster_codes;

/// The per-slate columns the stage reads besides the features.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSlates {
    /// Slate ids (the conditional-effects table's key).
    pub slate_id: Vec<i64>,
    /// Whether the slate was promoted.
    pub treated: Vec<bool>,
    /// Observed clicks on the slate (the outcome).
    pub y: Vec<f64>,
    /// Dense unit index (folds and clustered errors).
    pub unit: Vec<u32>,
    /// The focal cluster's place among `clusters`.
    pub cluster: Vec<u32>,
    /// The distinct focal clusters, sorted.
    pub clusters: Vec<String>,
    /// The (lead) focal item's seed position.
    pub focal_seed_position: Vec<u32>,
    /// The oracle's slate effect of promotion, with truth (an evaluation target only).
    pub oracle: Option<Vec<f64>>,
    /// The design probability of promotion (the first slate's).
    pub probability: f64,
    /// Whether that probability is the log's own (the first slate's flag; `None` without
    /// slates).
    pub probability_logged: Option<bool>,
}

impl StageSlates {
    /// The columns of `slates`, in memory.
    pub fn of(slates: &SlateOutcomes) -> StageSlates {
        let (cluster, clusters) = cluster_codes(slates.focal_cluster.iter().map(|c| &**c));
        StageSlates {
            slate_id: slates.slate_id.clone(),
            treated: slates.promotion_applied.clone(),
            y: slates
                .total_observed_clicks
                .iter()
                .map(|c| f64::from(*c))
                .collect(),
            unit: slates.unit_index.clone(),
            cluster,
            clusters,
            focal_seed_position: slates.focal_seed_position.clone(),
            oracle: slates.truth.as_ref().map(HeldTruth::slate_promotion_effect),
            probability: slates
                .assignment_probability
                .first()
                .copied()
                .unwrap_or(0.0),
            probability_logged: slates.assignment_probability_logged.first().copied(),
        }
    }

    /// The columns of the slate table `file`, read a row group at a time (the features stay
    /// on disk).
    pub fn read(file: &SlateOutcomesFile) -> Result<StageSlates, ModelsError> {
        let n = file.len();
        let mut kept = StageSlates {
            slate_id: Vec::with_capacity(n),
            treated: Vec::with_capacity(n),
            y: Vec::with_capacity(n),
            unit: Vec::with_capacity(n),
            cluster: Vec::with_capacity(n),
            clusters: Vec::new(),
            focal_seed_position: Vec::with_capacity(n),
            oracle: file.has_truth().then(|| Vec::with_capacity(n)),
            probability: 0.0,
            probability_logged: None,
        };
        // Clusters are numbered as first met, then renumbered in sorted order.
        let mut first_met: HashMap<SharedStr, u32> = HashMap::new();
        for rows in file.row_groups() {
            let part = file.slate_rows(rows.clone())?;
            if kept.probability_logged.is_none() {
                kept.probability = part.assignment_probability.first().copied().unwrap_or(0.0);
                kept.probability_logged = part.assignment_probability_logged.first().copied();
            }
            kept.slate_id.extend(&part.slate_id);
            kept.treated.extend(&part.promotion_applied);
            kept.y
                .extend(part.total_observed_clicks.iter().map(|c| f64::from(*c)));
            kept.unit.extend(&part.unit_index);
            kept.focal_seed_position.extend(&part.focal_seed_position);
            for c in &part.focal_cluster {
                let next = first_met.len() as u32;
                kept.cluster
                    .push(*first_met.entry(SharedStr::clone(c)).or_insert(next));
            }
            if let (Some(oracle), Some(truth)) = (&mut kept.oracle, file.slate_truth(rows.clone())?)
            {
                oracle.extend(&truth.slate_promotion_effect);
            }
        }
        let mut names: Vec<(SharedStr, u32)> = first_met.into_iter().collect();
        names.sort();
        let mut place = vec![0u32; names.len()];
        for (sorted, (_, met)) in names.iter().enumerate() {
            place[*met as usize] = sorted as u32;
        }
        for c in &mut kept.cluster {
            *c = place[*c as usize];
        }
        kept.clusters = names
            .into_iter()
            .map(|(name, _)| name.to_string())
            .collect();
        Ok(kept)
    }

    /// Slates.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there is no slate.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The observed slate totals as a randomized sample clustered by unit (what
    /// `slate_estimate::contrasts::total_sample` builds from the table).
    pub fn total_sample(&self) -> Sample {
        Sample {
            y: self.y.clone(),
            treated: self.treated.clone(),
            cluster: self.unit.clone(),
            ..Sample::default()
        }
    }
}
