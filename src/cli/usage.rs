//! `--usage-days` and `--no-usage`: how much usage `sync` and `serve` read after the grant
//! lists (see the engine's `usage`).

use openai_access_actors::usage::UsageOptions;

/// Usage flags, shared by `sync` and `serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct UsageArgs {
    /// Read usage (the Usage API: completions, embeddings, images, … by project, user and API
    /// key) for this many days, today included, as evidence of who uses their access: each
    /// key's, user's, service account's and project's last day of use and requests in the
    /// window. Read after the grant lists, at the lowest priority; with --state only the days
    /// not read before (and today) are read again.
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=366), env = "BATON_USAGE_DAYS")]
    pub usage_days: u32,

    /// Do not read usage: `stale` then judges by the Admin API's key times and sign-ins only.
    #[arg(long, env = "BATON_NO_USAGE", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub no_usage: bool,
}

impl UsageArgs {
    pub fn options(&self) -> Option<UsageOptions> {
        (!self.no_usage).then_some(UsageOptions::days(self.usage_days))
    }
}
