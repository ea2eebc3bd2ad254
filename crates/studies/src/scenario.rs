//! The scenarios a study re-draws: each a named change to the run's simulation config, every
//! other setting kept. Their names are [`Scenario`]'s, the label of the studies' tables.

use slate_simulate::SimulationConfig;
use slate_simulate::config::RandomizationUnit;

pub use slate_estimate::tables::Scenario;

/// SD of the user's logit shift in the correlated scenario.
pub const USER_LOGIT_SD: f64 = 0.5;
/// SD of the slate's logit shift in the correlated scenario.
pub const SESSION_LOGIT_SD: f64 = 0.25;
/// Slates per user in the correlated scenario.
pub const SESSIONS_PER_USER: usize = 5;
/// Hero engagement β of the heterogeneous scenario.
pub const HERO_ENGAGEMENT: f64 = 0.15;

/// `base` changed into `scenario`:
/// - [`Scenario::Default`]: the run's config as it is (the calibrated default: clicks
///   independent given the slate, slate randomization);
/// - [`Scenario::CorrelatedUserRandomized`]: correlated outcomes under user randomization: a
///   user-level logit shift with SD [`USER_LOGIT_SD`] and a slate-level one with SD
///   [`SESSION_LOGIT_SD`], [`SESSIONS_PER_USER`] slates dealt to each user, all of a user's
///   slates in one arm. Item rows and the slates of one user are then correlated, as real
///   clicks are;
/// - [`Scenario::HeterogeneousPromotion`]: heterogeneous promotion value: hero engagement
///   β = [`HERO_ENGAGEMENT`], so slates with an appealing focal movie gain from promotion.
pub fn configure(scenario: Scenario, base: &SimulationConfig) -> SimulationConfig {
    let mut config = base.clone();
    match scenario {
        Scenario::Default => {}
        Scenario::CorrelatedUserRandomized => {
            config.clicks.user_logit_sd = USER_LOGIT_SD;
            config.clicks.session_logit_sd = SESSION_LOGIT_SD;
            config.slates.sessions_per_user = SESSIONS_PER_USER;
            config.design.unit = RandomizationUnit::User;
        }
        Scenario::HeterogeneousPromotion => {
            config.clicks.hero_engagement = HERO_ENGAGEMENT;
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scenario_changes_only_its_settings() {
        let base = SimulationConfig::default();
        assert_eq!(configure(Scenario::Default, &base), base);
        let correlated = configure(Scenario::CorrelatedUserRandomized, &base);
        correlated.check().unwrap();
        assert_eq!(correlated.design.unit, RandomizationUnit::User);
        assert_eq!(correlated.slates.sessions_per_user, SESSIONS_PER_USER);
        let mut back = correlated.clone();
        back.clicks.user_logit_sd = base.clicks.user_logit_sd;
        back.clicks.session_logit_sd = base.clicks.session_logit_sd;
        back.slates.sessions_per_user = base.slates.sessions_per_user;
        back.design.unit = base.design.unit;
        assert_eq!(back, base);
        let hetero = configure(Scenario::HeterogeneousPromotion, &base);
        assert_eq!(hetero.clicks.hero_engagement, HERO_ENGAGEMENT);
    }
}
