//! Turning flags and environment into the engine's configuration, in one place.

use crate::cli::{ConnectArgs, FaultKindArg, KeyPermissionsArg, MockKnobs, PlanArg};
use crate::exit::CliError;
use openai_access_actors::AdminKey;
use openai_access_actors::ClientConfig;
use openai_access_actors::ThrottleConfig;
use openai_access_mock::{
    FaultKind, Faults, KeyPermissions, MockConfig, MockServer, Plan, Preset, RateLimit,
};
use std::time::Duration;

/// Where the key comes from besides the flags (`--openai-admin-key`, which clap also reads
/// from `BATON_OPENAI_ADMIN_KEY`, and `--admin-key-file`).
pub const KEY_ENV: &str = "OPENAI_ADMIN_KEY";

/// Where the base URL comes from besides `--base-url` / `BATON_BASE_URL`.
pub const BASE_URL_ENV: &str = "OPENAI_BASE_URL";

pub use openai_access_mock::MOCK_KEY;

/// Where to find the key: `--admin-key-file`, then `--openai-admin-key` (or
/// `BATON_OPENAI_ADMIN_KEY`), then `OPENAI_ADMIN_KEY`. `None` if nowhere.
pub fn load_key(args: &ConnectArgs) -> Result<Option<AdminKey>, CliError> {
    if let Some(path) = &args.admin_key_file {
        let raw = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "cannot read --admin-key-file {}: {e}",
                path.display()
            ))
        })?;
        warn_if_others_can_read(path, "admin key");
        return AdminKey::new(raw).map(Some).ok_or_else(|| {
            CliError::usage(format!("--admin-key-file {} is empty", path.display()))
        });
    }
    if let Some(k) = args.admin_key.as_deref().and_then(AdminKey::new) {
        return Ok(Some(k));
    }
    Ok(std::env::var(KEY_ENV).ok().and_then(AdminKey::new))
}

/// The base URL: `--base-url` / `BATON_BASE_URL`, else `OPENAI_BASE_URL`, else the real API.
pub fn base_url(args: &ConnectArgs) -> String {
    args.base_url
        .clone()
        .or_else(|| std::env::var(BASE_URL_ENV).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| openai_access_actors::DEFAULT_BASE_URL.to_owned())
}

/// A secret file others can read is a secret others have: say so (it still works).
pub(crate) fn warn_if_others_can_read(path: &std::path::Path, what: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "The {what} file can be read by other users; restrict it (chmod 600)."
            );
        }
    }
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
    // The embedded mock gets its own key, never a real one from the environment or a file.
    let key = match &args.mock {
        Some(_) => {
            if args.admin_key_file.is_some()
                || args.admin_key.is_some()
                || std::env::var_os(KEY_ENV).is_some()
            {
                tracing::debug!(
                    "--mock: the admin key from the environment or file is not used; the embedded mock gets its own."
                );
            }
            AdminKey::new(MOCK_KEY)
        }
        None => load_key(args)?,
    };
    let (base_url, key, mock) = match &args.mock {
        Some(preset) => {
            let cfg = MockConfig {
                preset: parse_preset(preset)?,
                seed: args.mock_seed,
                ..MockConfig::default()
            };
            let server = MockServer::start(cfg)
                .map_err(|e| CliError::fatal(format!("cannot start the embedded mock: {e}")))?;
            (server.base_url(), key, Some(server))
        }
        None => (base_url(args), key, None),
    };
    let key = key.ok_or_else(|| {
        CliError::usage(format!(
            "no admin key: set {KEY_ENV} (or BATON_OPENAI_ADMIN_KEY), or pass --admin-key-file FILE. The connector needs an Admin API key created with All permissions."
        ))
    })?;
    let mut client = ClientConfig::new(base_url, key);
    client.allow_insecure_http = args.allow_insecure_http;
    client.timeout = Duration::from_secs(args.timeout);
    client.max_attempts = args.max_attempts;
    client.retry_budget = Duration::from_secs(args.retry_budget);
    if args.no_hedge {
        client.hedge = None;
    }
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
            kinds: if knobs.fault_kinds.is_empty() {
                FaultKind::ALL.to_vec()
            } else {
                knobs.fault_kinds.iter().map(|k| fault_kind(*k)).collect()
            },
            ..Faults::default()
        },
        plan: match knobs.plan {
            PlanArg::Free => Plan::Free,
            PlanArg::Paid => Plan::Paid,
        },
        key_permissions: match knobs.key_permissions {
            KeyPermissionsArg::All => KeyPermissions::All,
            KeyPermissionsArg::ReadOnly => KeyPermissions::ReadOnly,
            KeyPermissionsArg::NoUsage => KeyPermissions::NoUsage,
        },
        ..MockConfig::default()
    })
}

fn fault_kind(k: FaultKindArg) -> FaultKind {
    match k {
        FaultKindArg::Status500 => FaultKind::Status500,
        FaultKindArg::Status502 => FaultKind::Status502,
        FaultKindArg::Status503 => FaultKind::Status503,
        FaultKindArg::Truncated => FaultKind::Truncated,
        FaultKindArg::Malformed => FaultKind::Malformed,
        FaultKindArg::Slow => FaultKind::Slow,
        FaultKindArg::Dropped => FaultKind::Dropped,
    }
}

/// The message every command (and the service's API) explains itself with when provisioning
/// is off.
pub const PROVISIONING_DISABLED: &str = "provisioning is disabled, so nothing was changed. Enable it with --provisioning (-p) or BATON_PROVISIONING=true; add --dry-run to see the API calls first.";
