//! Running the simulation: the seeded random streams, the slates simulated in blocks, a
//! re-drawn randomization of the same slates, and the simulated slates on disk.

use std::path::{Path, PathBuf};

use rand::Rng;
use rand_pcg::Pcg64;
use rayon::prelude::*;
use slate_ingest::Dataset;

use crate::{
    SimulateError, SimulatedSlates, SimulationConfig, clicks, config, design, relevance, schema,
    slates,
};

/// Purposes of random streams: each draws from its own stream per slate.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Purpose {
    Users = 1,
    Session = 2,
    Focal = 3,
    Assignment = 4,
    Click = 5,
    UserShift = 6,
    SessionShift = 7,
}

/// The random stream for `purpose` and `index` (usually the slate id) under `seed`.
pub(crate) fn stream(seed: u64, purpose: Purpose, index: u64) -> Pcg64 {
    Pcg64::new(
        (u128::from(seed) << 64) | purpose as u128,
        u128::from(index),
    )
}

/// Slates simulated into one table at a time: any block size gives the same rows (tested), so
/// it is chosen for memory and parallelism. Blocks are as large as a share of the slates per
/// thread, between these bounds. The upper one matters at a million slates: a block of
/// 131,072 slates has 1.5 M rows, so its `u32` and wider columns (6 MB and more) are above the
/// 4 MiB from which glibc, under the `slate` binary's settings, maps a block on its own, and
/// each goes back to the system as soon as the blocks are concatenated. With blocks of 4,096
/// the freed columns stayed in the heap, and the 1 M-slate simulation peaked at twice its
/// table (3.53 GiB; 1.41 GiB now, with the batched log writer).
const SIMULATION_BLOCK: std::ops::RangeInclusive<usize> = 4096..=1 << 17;

/// Runs the whole simulation on a validated dataset.
pub fn simulate(
    dataset: &Dataset,
    config: &SimulationConfig,
) -> Result<SimulatedSlates, SimulateError> {
    let per_thread = config
        .slates
        .n_slates
        .div_ceil(rayon::current_num_threads().max(1));
    let block = per_thread.clamp(*SIMULATION_BLOCK.start(), *SIMULATION_BLOCK.end());
    simulate_in_blocks(dataset, config, block)
}

/// [`simulate`], `block` slates into one table at a time.
pub(crate) fn simulate_in_blocks(
    dataset: &Dataset,
    config: &SimulationConfig,
    block: usize,
) -> Result<SimulatedSlates, SimulateError> {
    config.check()?;
    let block_slates = block.max(1);
    let seed = config.seed.0;
    let model = relevance::RelevanceModel::fit(dataset, &config.slates.relevance);
    let built = slates::build(&model, &config.slates, seed)?;
    let focals = design::choose_focals(built.len(), &config.design, seed);
    let users: Vec<u32> = built.iter().map(|s| s.user_id).collect();
    let promoted = design::assign(&users, &config.design, seed);
    let promoted_count = promoted.iter().filter(|p| **p).count();
    if promoted_count == 0 {
        return Err(SimulateError::EmptyArm {
            arm: "promoted",
            slates: built.len(),
        });
    }
    if promoted_count == built.len() {
        return Err(SimulateError::EmptyArm {
            arm: "control",
            slates: built.len(),
        });
    }
    let n_items: usize = built.iter().map(|s| s.items.len()).sum();
    let reference_relevance = built
        .iter()
        .flat_map(|s| s.items.iter().map(|i| i.relevance))
        .sum::<f64>()
        / n_items as f64;

    let simulate_slate = |s: usize, slate: &slates::Slate, out: &mut SimulatedSlates| {
        let n = slate.items.len();
        let focal = &focals[s];
        let promotions = design::promotions(focal, &config.design);
        let relevance: Vec<f64> = slate.items.iter().map(|i| i.relevance).collect();
        // Per non-focal item, the focal items of its cluster (its promoted substitutes).
        let substitutes: Vec<u32> = slate
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                if focal.contains(&i) {
                    0
                } else {
                    focal
                        .iter()
                        .filter(|f| slate.items[**f].cluster == item.cluster)
                        .count() as u32
                }
            })
            .collect();
        // The correlated part of the population: one draw per user and per slate.
        let shift = clicks::normal_shift(
            &mut stream(seed, Purpose::UserShift, u64::from(slate.user_id)),
            config.clicks.user_logit_sd,
        ) + clicks::normal_shift(
            &mut stream(seed, Purpose::SessionShift, s as u64),
            config.clicks.session_logit_sd,
        );
        let control = clicks::click_probabilities(
            &relevance,
            &substitutes,
            &promotions,
            false,
            reference_relevance,
            shift,
            &config.clicks,
        );
        let treated = clicks::click_probabilities(
            &relevance,
            &substitutes,
            &promotions,
            true,
            reference_relevance,
            shift,
            &config.clicks,
        );
        let positions = clicks::final_positions(n, &promotions, promoted[s]);
        let mut rng = stream(seed, Purpose::Click, s as u64);
        for (i, item) in slate.items.iter().enumerate() {
            let expected = if promoted[s] { treated[i] } else { control[i] };
            out.slate_id.push(s as u32);
            out.user_id.push(slate.user_id);
            out.session.push(slate.session);
            out.movie_id.push(model.movie_id[item.movie as usize]);
            out.cluster
                .push(model.cluster_names[item.cluster as usize].clone());
            out.seed_position.push(i as u32 + 1);
            out.final_position.push(positions[i]);
            out.relevance.push(item.relevance);
            let target = promotions.iter().find(|p| p.seed as usize == i + 1);
            out.is_focal.push(target.is_some());
            // The lead focal movie: the first in seed order goes to the highest slot.
            out.focal_seed_position.push(focal[0] as u32 + 1);
            out.promotion_applied.push(promoted[s]);
            out.assignment_probability
                .push(config.design.promotion_probability);
            out.click_prob_if_control.push(control[i]);
            out.click_prob_if_promoted.push(treated[i]);
            out.observed_click.push(rng.random::<f64>() < expected);
            out.user_n_ratings.push(slate.user.n_ratings);
            out.user_mean_rating.push(slate.user.mean_rating);
            out.target_position.push(target.map_or(0, |p| p.target));
        }
    };
    // Slates are simulated in blocks, each block's rows in one table: a table per slate
    // (eighteen small vectors each) cost more memory than the rows themselves.
    let blocks: Vec<SimulatedSlates> = built
        .par_chunks(block_slates)
        .enumerate()
        .map(|(b, block)| {
            let rows = block.iter().map(|slate| slate.items.len()).sum();
            let mut out = SimulatedSlates::with_capacity(rows);
            for (k, slate) in block.iter().enumerate() {
                simulate_slate(b * block_slates + k, slate, &mut out);
            }
            out
        })
        .collect();
    Ok(SimulatedSlates::concat(blocks))
}

/// The same slates under a new randomization: re-draws the promotion of every slate (with
/// `design`'s assignment rule and unit) and every observed click from the stored click probabilities,
/// using `seed`'s streams. Slates, focal movies and both potential outcomes are kept, so the
/// true effects are unchanged; this is one replicate of a coverage study. With the seed and
/// design that produced `base`, it returns `base` exactly.
pub fn redraw(
    base: &SimulatedSlates,
    design: &config::DesignConfig,
    seed: u64,
) -> Result<SimulatedSlates, SimulateError> {
    let mut starts: Vec<usize> = (0..base.len())
        .filter(|r| *r == 0 || base.slate_id[*r] != base.slate_id[*r - 1])
        .collect();
    let n_slates = starts.len();
    starts.push(base.len());
    let users: Vec<u32> = starts[..n_slates]
        .iter()
        .map(|r| base.user_id[*r])
        .collect();
    let promoted = design::assign(&users, design, seed);
    let promoted_count = promoted.iter().filter(|p| **p).count();
    if promoted_count == 0 || promoted_count == n_slates {
        return Err(SimulateError::EmptyArm {
            arm: if promoted_count == 0 {
                "promoted"
            } else {
                "control"
            },
            slates: n_slates,
        });
    }
    let mut out = base.clone();
    for (s, rows) in starts.windows(2).enumerate() {
        let (start, end) = (rows[0], rows[1]);
        let promotions: Vec<slate_log::design::Promotion> = (start..end)
            .filter(|r| base.is_focal[*r])
            .map(|r| slate_log::design::Promotion {
                seed: base.seed_position[r],
                target: base.target_position[r],
            })
            .collect();
        let positions = clicks::final_positions(end - start, &promotions, promoted[s]);
        let mut rng = stream(seed, Purpose::Click, u64::from(base.slate_id[start]));
        for (r, position) in (start..end).zip(positions) {
            let p = if promoted[s] {
                base.click_prob_if_promoted[r]
            } else {
                base.click_prob_if_control[r]
            };
            out.final_position[r] = position;
            out.promotion_applied[r] = promoted[s];
            out.assignment_probability[r] = design.promotion_probability;
            out.observed_click[r] = rng.random::<f64>() < p;
        }
    }
    Ok(out)
}

/// Writes the simulated slates to `dir`; returns the path.
pub fn write(slates: &SimulatedSlates, dir: &Path) -> Result<PathBuf, SimulateError> {
    Ok(slates.write_parquet(dir)?)
}

/// Reads the simulated slates written by [`write`] from `dir`.
pub fn read(dir: &Path) -> Result<SimulatedSlates, SimulateError> {
    let path = dir.join(schema::SIMULATED_SLATES.file_name);
    let frame = slate_table::read_parquet(&path, &schema::SIMULATED_SLATES)?;
    Ok(SimulatedSlates::from_frame(
        &frame,
        &path.display().to_string(),
    )?)
}
