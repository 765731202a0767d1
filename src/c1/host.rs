//! What Hello says about the running program and its machine (baton-sdk
//! `pkg/tasks/c1api/hello.go` `collectBuildInfo`, `collectOSInfo`). ConductorOne refuses a Hello
//! whose OS fields are empty, so every field gets the SDK's fallback: virtualization `none`,
//! hostname and kernel version `unknown`, platform ← OS, family ← platform, platform version
//! ← kernel version, architecture ← the compile target's.
//!
//! The SDK asks gopsutil; this reads the same Linux sources directly (`/proc/sys/kernel`,
//! `/etc/os-release`), which is all a container image has anyway.

use super::proto::hello_request::{BuildInfo, OsInfo};

/// The program: `lang_version` is the crate's minimum Rust version (the exact compiler is not
/// known at run time without a build script), `package` the crate, `package_version` its version.
pub fn build_info() -> BuildInfo {
    BuildInfo {
        lang_version: concat!("rust", env!("CARGO_PKG_RUST_VERSION")).to_owned(),
        package: env!("CARGO_PKG_NAME").to_owned(),
        package_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// This machine, as far as it can be read.
pub fn os_info() -> OsInfo {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let facts = Facts {
        hostname: hostname(),
        os: std::env::consts::OS,
        os_release: &os_release,
        kernel_version: read_trimmed("/proc/sys/kernel/osrelease"),
        kernel_arch: std::env::consts::ARCH,
        in_container: std::path::Path::new("/.dockerenv").exists()
            || std::path::Path::new("/run/.containerenv").exists(),
    };
    facts.os_info()
}

/// The hostname (Linux: `/proc/sys/kernel/hostname`; elsewhere `HOSTNAME`), if known.
pub fn hostname() -> Option<String> {
    read_trimmed("/proc/sys/kernel/hostname")
        .or_else(|| std::env::var("HOSTNAME").ok())
        .filter(|h| !h.is_empty())
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The raw facts, separated from where they are read so the fallbacks can be tested.
struct Facts<'a> {
    hostname: Option<String>,
    os: &'a str,
    os_release: &'a str,
    kernel_version: Option<String>,
    kernel_arch: &'a str,
    in_container: bool,
}

impl Facts<'_> {
    fn os_info(&self) -> OsInfo {
        let release = |key: &str| {
            self.os_release.lines().find_map(|line| {
                let value = line.strip_prefix(key)?.strip_prefix('=')?;
                let value = value.trim().trim_matches('"').trim_matches('\'');
                (!value.is_empty()).then(|| value.to_owned())
            })
        };
        let kernel_version = self
            .kernel_version
            .clone()
            .unwrap_or_else(|| "unknown".into());
        let platform = release("ID").unwrap_or_else(|| self.os.to_owned());
        // gopsutil names the family after the distribution it derives from (debian, rhel…).
        let platform_family = release("ID_LIKE")
            .and_then(|like| like.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| platform.clone());
        OsInfo {
            hostname: self.hostname.clone().unwrap_or_else(|| "unknown".into()),
            os: self.os.to_owned(),
            platform_version: release("VERSION_ID").unwrap_or_else(|| kernel_version.clone()),
            platform,
            platform_family,
            kernel_version,
            kernel_arch: self.kernel_arch.to_owned(),
            virtualization_system: if self.in_container { "docker" } else { "none" }.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_os_release_and_fills_every_gap() {
        let facts = Facts {
            hostname: Some("box".into()),
            os: "linux",
            os_release: "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n",
            kernel_version: Some("6.8.0".into()),
            kernel_arch: "x86_64",
            in_container: true,
        };
        let info = facts.os_info();
        assert_eq!(
            (
                info.platform.as_str(),
                info.platform_family.as_str(),
                info.platform_version.as_str()
            ),
            ("ubuntu", "debian", "24.04")
        );
        assert_eq!(info.virtualization_system, "docker");

        let bare = Facts {
            hostname: None,
            os: "linux",
            os_release: "",
            kernel_version: None,
            kernel_arch: "aarch64",
            in_container: false,
        }
        .os_info();
        assert_eq!(bare.hostname, "unknown");
        assert_eq!(bare.platform, "linux");
        assert_eq!(bare.platform_family, "linux");
        assert_eq!(bare.kernel_version, "unknown");
        assert_eq!(bare.platform_version, "unknown");
        assert_eq!(bare.virtualization_system, "none");
        for field in [&bare.os, &bare.kernel_arch] {
            assert!(!field.is_empty());
        }
    }

    #[test]
    fn build_info_names_this_crate() {
        let info = build_info();
        assert_eq!(info.package, "openai-access");
        assert!(info.lang_version.starts_with("rust1."));
    }
}
