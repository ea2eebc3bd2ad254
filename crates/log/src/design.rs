//! The promotion design of one slate: where each item is shown when the slate is promoted.
//!
//! A slate's focal items (one or more) go to their target slots; the other items keep their
//! seed order and fill the remaining slots from the top. Promotion never moves a focal item
//! down (its target is at or above its seed position), so a non-focal item is never moved up:
//! its displacement, the number of places promotion pushes it down, is zero or more.

/// One focal item of a slate: its seed position and the slot it is promoted to (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promotion {
    /// The focal item's seed position.
    pub seed: u32,
    /// The slot it is promoted to.
    pub target: u32,
}

/// The positions under promotion of a slate of `n` items whose focal items are `focals`
/// (targets distinct, in 1..=n and at or above their seed positions): `out[p - 1]` is where
/// the item seeded at `p` is shown. `out` is cleared and refilled (callers reuse it across
/// slates).
pub fn promoted_positions(n: usize, focals: &[Promotion], out: &mut Vec<u32>) {
    out.clear();
    out.resize(n, 0);
    // `out` first marks the focal seeds (with their targets) and the taken slots ...
    let mut taken = vec![false; n];
    for f in focals {
        out[f.seed as usize - 1] = f.target;
        taken[f.target as usize - 1] = true;
    }
    // ... then the other items fill the free slots in seed order.
    let mut free = taken
        .iter()
        .enumerate()
        .filter(|(_, t)| !**t)
        .map(|(i, _)| i as u32 + 1);
    for position in out.iter_mut() {
        if *position == 0 {
            *position = free.next().expect("one free slot per non-focal item");
        }
    }
}

/// Whether promoting `focals` in a slate of `n` items is a valid design, else what is wrong
/// with the first focal (in the order given) that breaks it: its index and the reason.
pub fn check_promotions(n: usize, focals: &[Promotion]) -> Result<(), (usize, String)> {
    let mut seen = vec![false; n];
    for (i, f) in focals.iter().enumerate() {
        if f.target < 1 || f.target as usize > n {
            return Err((
                i,
                format!(
                    "target position {} is outside the slate (1..={n})",
                    f.target
                ),
            ));
        }
        if f.target > f.seed {
            return Err((
                i,
                format!(
                    "target position {} is below the focal item's seed position {}: promotion never moves an item down",
                    f.target, f.seed
                ),
            ));
        }
        if std::mem::replace(&mut seen[f.target as usize - 1], true) {
            return Err((
                i,
                format!(
                    "two focal items of the slate share target position {}",
                    f.target
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(n: usize, focals: &[(u32, u32)]) -> Vec<u32> {
        let focals: Vec<Promotion> = focals
            .iter()
            .map(|(seed, target)| Promotion {
                seed: *seed,
                target: *target,
            })
            .collect();
        let mut out = Vec::new();
        promoted_positions(n, &focals, &mut out);
        out
    }

    #[test]
    fn one_focal_to_the_top_pushes_the_items_above_it_down_one_place() {
        assert_eq!(positions(5, &[(4, 1)]), [2, 3, 4, 1, 5]);
        assert_eq!(positions(3, &[(1, 1)]), [1, 2, 3]);
    }

    #[test]
    fn several_focals_go_to_their_slots_and_the_others_keep_seed_order() {
        // Two focals seeded at 5 and 6, promoted to slots 2 and 3.
        assert_eq!(positions(6, &[(5, 2), (6, 3)]), [1, 4, 5, 6, 2, 3]);
        // Targets need not follow seed order.
        assert_eq!(positions(4, &[(3, 2), (4, 1)]), [3, 4, 2, 1]);
    }

    #[test]
    fn no_item_moves_up() {
        // Every design of two focals in a slate of six.
        let n = 6u32;
        for a in 1..=n {
            for b in 1..=n {
                for ta in 1..=a {
                    for tb in 1..=b {
                        if a == b || ta == tb {
                            continue;
                        }
                        let focals = [
                            Promotion {
                                seed: a,
                                target: ta,
                            },
                            Promotion {
                                seed: b,
                                target: tb,
                            },
                        ];
                        assert_eq!(check_promotions(n as usize, &focals), Ok(()));
                        let mut out = Vec::new();
                        promoted_positions(n as usize, &focals, &mut out);
                        for (i, p) in out.iter().enumerate() {
                            let seed = i as u32 + 1;
                            if seed != a && seed != b {
                                assert!(*p >= seed, "{focals:?}: {out:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn broken_designs_name_the_focal_and_the_rule() {
        let p = |seed, target| Promotion { seed, target };
        assert!(
            check_promotions(4, &[p(3, 5)])
                .unwrap_err()
                .1
                .contains("outside the slate")
        );
        assert!(
            check_promotions(4, &[p(3, 0)])
                .unwrap_err()
                .1
                .contains("outside the slate")
        );
        assert!(
            check_promotions(4, &[p(2, 3)])
                .unwrap_err()
                .1
                .contains("never moves an item down")
        );
        assert_eq!(
            check_promotions(4, &[p(3, 1), p(4, 1)]).unwrap_err(),
            (
                1,
                "two focal items of the slate share target position 1".to_string()
            )
        );
    }
}
