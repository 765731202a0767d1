//! Turning flags and environment into the engine's configuration, in one place.

use crate::cli::{ConnectArgs, KeyPermissionsArg, MockKnobs, PlanArg};
use crate::exit::CliError;
use openai_access_actors::AdminKey;
use openai_access_actors::ClientConfig;
use openai_access_actors::ThrottleConfig;
use openai_access_actors::mock::{
    FaultKind, Faults, KeyPermissions, MockConfig, MockServer, Plan, Preset, RateLimit,
};
use std::time::Duration;

/// The environment variables the key may come from, in order.
pub const KEY_ENV: [&str; 2] = ["OPENAI_ADMIN_KEY", "BATON_OPENAI_ADMIN_KEY"];

pub use openai_access_actors::mock::MOCK_KEY;

/// Where to find the key: `--admin-key-file`, then the environment. `None` if nowhere.
pub fn load_key(args: &ConnectArgs) -> Result<Option<AdminKey>, CliError> {
    if let Some(path) = &args.admin_key_file {
        let raw = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "cannot read --admin-key-file {}: {e}",
                path.display()
            ))
        })?;
        return AdminKey::new(raw).map(Some).ok_or_else(|| {
            CliError::usage(format!("--admin-key-file {} is empty", path.display()))
        });
    }
    Ok(KEY_ENV
        .iter()
        .find_map(|name| std::env::var(name).ok().and_then(AdminKey::new)))
}

/// A connection: the client configuration, and the embedded mock when `--mock` is used
/// (kept alive for as long as the connection is).
pub struct Connection {
    pub client: ClientConfig,
    pub org_id: Option<openai_access_actors::ids::OrgId>,
    pub mock: Option<MockServer>,
}

pub fn parse_preset(s: &str) -> Result<Preset, CliError> {
    s.parse::<Preset>().map_err(|_| {
        CliError::usage(format!(
            "unknown preset {s:?}: expected tiny, small, medium or large"
        ))
    })
}

/// Resolves `ConnectArgs` into a client configuration, starting the embedded mock if asked.
pub fn connect(args: &ConnectArgs) -> Result<Connection, CliError> {
    let key = load_key(args)?;
    let (base_url, key, mock) = match &args.mock {
        Some(preset) => {
            let cfg = MockConfig {
                preset: parse_preset(preset)?,
                seed: args.mock_seed,
                ..MockConfig::default()
            };
            let server = MockServer::start(cfg)
                .map_err(|e| CliError::fatal(format!("cannot start the embedded mock: {e}")))?;
            let key = key.or_else(|| AdminKey::new(MOCK_KEY));
            (server.base_url(), key, Some(server))
        }
        None => (args.base_url.clone(), key, None),
    };
    let key = key.ok_or_else(|| {
        CliError::usage(format!(
            "no admin key: set {} (or {}), or pass --admin-key-file FILE. The connector needs an Admin API key created with All permissions.",
            KEY_ENV[0], KEY_ENV[1]
        ))
    })?;
    let mut client = ClientConfig::new(base_url, key);
    client.allow_insecure_http = args.allow_insecure_http;
    client.timeout = Duration::from_secs(args.timeout);
    client.max_attempts = args.max_attempts;
    client.retry_budget = Duration::from_secs(args.retry_budget);
    client.throttle = ThrottleConfig {
        max_in_flight: args.max_in_flight as usize,
        rpm: args.rpm,
        burst: args.burst,
        ..ThrottleConfig::default()
    };
    client.check().map_err(|e| CliError::usage(e.to_string()))?;
    Ok(Connection {
        client,
        org_id: args.org_id.clone(),
        mock,
    })
}

/// The mock configuration the knobs describe.
pub fn mock_config(knobs: &MockKnobs) -> Result<MockConfig, CliError> {
    if !(0.0..=1.0).contains(&knobs.fault_rate) {
        return Err(CliError::usage(format!(
            "--fault-rate {} is not between 0 and 1",
            knobs.fault_rate
        )));
    }
    Ok(MockConfig {
        preset: parse_preset(&knobs.preset)?,
        seed: knobs.seed,
        latency: Duration::from_millis(knobs.latency_ms),
        latency_jitter: Duration::from_millis(knobs.latency_jitter_ms),
        rate_limit: knobs.limit_rpm.map(|rpm| RateLimit {
            rpm,
            burst: knobs.limit_burst,
            retry_after: !knobs.no_retry_after,
        }),
        faults: Faults {
            rate: knobs.fault_rate,
            kinds: FaultKind::ALL.to_vec(),
            ..Faults::default()
        },
        plan: match knobs.plan {
            PlanArg::Free => Plan::Free,
            PlanArg::Paid => Plan::Paid,
        },
        key_permissions: match knobs.key_permissions {
            KeyPermissionsArg::All => KeyPermissions::All,
            KeyPermissionsArg::ReadOnly => KeyPermissions::ReadOnly,
        },
        ..MockConfig::default()
    })
}
