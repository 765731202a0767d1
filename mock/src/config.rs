//! The mock's knobs: which org to serve and how badly to behave while serving it.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The one key a mock accepts unless told otherwise (documented in README).
pub const MOCK_KEY: &str = "sk-admin-mock-key";

/// Everything `MockServer::start` needs.
#[derive(Clone, Debug)]
pub struct MockConfig {
    pub preset: Preset,
    pub seed: u64,
    /// 0 = any free port.
    pub port: u16,
    /// The one key accepted as `Authorization: Bearer <admin_key>`.
    pub admin_key: String,
    /// Every `/v1` request sleeps `latency ± uniform(latency_jitter)` before answering.
    pub latency: Duration,
    pub latency_jitter: Duration,
    pub rate_limit: Option<RateLimit>,
    pub faults: Faults,
    pub plan: Plan,
    pub key_permissions: KeyPermissions,
    /// Any request whose path contains one of these answers 500, every time.
    pub fail_paths: Vec<String>,
    /// The audit log: on (as once an owner switched it on), or off (the endpoint refuses);
    /// entries older than the retention window are gone.
    pub audit: AuditConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditConfig {
    pub enabled: bool,
    pub retention: Option<Duration>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            retention: None,
        }
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            preset: Preset::Tiny,
            seed: 0,
            port: 0,
            admin_key: MOCK_KEY.to_owned(),
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            rate_limit: None,
            faults: Faults::default(),
            plan: Plan::Paid,
            key_permissions: KeyPermissions::All,
            fail_paths: Vec::new(),
            audit: AuditConfig::default(),
        }
    }
}

/// A per-endpoint-template request budget: each `Endpoint` has its own bucket of `burst`
/// tokens refilled at `rpm` per minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub rpm: u32,
    pub burst: u32,
    /// Whether 429s carry `Retry-After` (the spec allows leaving it out).
    pub retry_after: bool,
}

/// Fault injection on GET requests only: mutations must stay exactly-once, or provisioning
/// tests could not tell a connector bug from a fault the mock made up (a 502 after the write
/// happened would invite a retry that is then a duplicate).
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// Share (0..=1) of GET requests that get a fault.
    pub rate: f64,
    /// The faults to choose from, uniformly; empty = all of them.
    pub kinds: Vec<FaultKind>,
    /// How long `FaultKind::Slow` stalls before answering normally.
    pub slow: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            rate: 0.0,
            kinds: FaultKind::ALL.to_vec(),
            slow: Duration::from_secs(2),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum FaultKind {
    Status500,
    Status502,
    Status503,
    /// 200 with the body cut in half; `Content-Length` matches the cut body.
    Truncated,
    /// 200 with a body that is not JSON.
    Malformed,
    /// Sleep `Faults::slow`, then answer normally.
    Slow,
    /// The connection closes part-way through the body.
    Dropped,
}

impl FaultKind {
    pub const ALL: &'static [FaultKind] = &[
        FaultKind::Status500,
        FaultKind::Status502,
        FaultKind::Status503,
        FaultKind::Truncated,
        FaultKind::Malformed,
        FaultKind::Slow,
        FaultKind::Dropped,
    ];
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Plan {
    /// Group member listing is refused (403 `plan_upgrade_required`).
    Free,
    #[default]
    Paid,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum KeyPermissions {
    #[default]
    All,
    /// Every mutation answers 403 naming the missing scope.
    ReadOnly,
    /// Everything but the Usage API, which answers 403 naming its scope (`api.usage.read`).
    NoUsage,
}

/// The named org shapes `generate` knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Hand-built: every resource type and edge case, a handful of each.
    #[default]
    Tiny,
    /// ~100 users, 10 projects.
    Small,
    /// ~2,000 users, 200 projects.
    Medium,
    /// ~20,000 users, 2,000 projects (the org maximum).
    Large,
}

impl Preset {
    pub const ALL: &'static [Preset] =
        &[Preset::Tiny, Preset::Small, Preset::Medium, Preset::Large];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Small => "small",
            Preset::Medium => "medium",
            Preset::Large => "large",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .iter()
            .copied()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown preset {s:?}: expected tiny, small, medium or large"))
    }
}
