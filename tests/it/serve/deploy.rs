//! The deployment files read as Kubernetes and Docker would, checked against the binary: every
//! variable they set is one the command reads, the probes and the scrape path are routes that
//! answer (a service started with the manifest's own settings), the volume holds what the
//! variables point into, and the pod runs as the image's non-root user.

use super::*;
use clap::CommandFactory;
use openai_access_mock::Preset;
use serde_yaml::Value as Yaml;
use std::collections::BTreeSet;
use std::path::Path;

fn repo(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn yaml(p: &str) -> Yaml {
    let text = std::fs::read_to_string(repo(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The variables a subcommand reads (clap's `env`), plus those read by hand.
fn variables_of(sub: &str) -> BTreeSet<String> {
    let cli = openai_access::cli::Cli::command();
    let mut v: BTreeSet<String> = cli
        .get_arguments()
        .chain(
            cli.find_subcommand(sub)
                .unwrap_or_else(|| panic!("no subcommand {sub}"))
                .get_arguments(),
        )
        .filter_map(|a| a.get_env().and_then(|e| e.to_str()).map(str::to_owned))
        .collect();
    v.insert(openai_access::cli::serve::API_TOKEN_ENV.to_owned());
    v
}

fn str_of<'a>(v: &'a Yaml, path: &[&str]) -> &'a str {
    let mut at = v;
    for k in path {
        at = &at[*k];
    }
    at.as_str().unwrap_or_else(|| panic!("{path:?} in {v:?}"))
}

fn env_of(container: &Yaml) -> Vec<(String, Option<String>)> {
    container["env"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                str_of(e, &["name"]).to_owned(),
                e["value"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn the_kustomization_lists_every_manifest_and_each_parses() {
    let k = yaml("deploy/kubernetes/kustomization.yaml");
    let listed: Vec<&str> = k["resources"]
        .as_sequence()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().expect("path"))
        .collect();
    let kinds: BTreeSet<String> = listed
        .iter()
        .map(|f| str_of(&yaml(&format!("deploy/kubernetes/{f}")), &["kind"]).to_owned())
        .collect();
    let want: BTreeSet<String> = [
        "Namespace",
        "NetworkPolicy",
        "Secret",
        "PersistentVolumeClaim",
        "Deployment",
        "Service",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(kinds, want);
}

#[test]
fn the_manifests_name_only_variables_the_binary_reads_and_a_restrictive_pod() {
    let serve_vars = variables_of("serve");
    let secret = yaml("deploy/kubernetes/secret.yaml");
    let secret_name = str_of(&secret, &["metadata", "name"]);
    for (k, _) in secret["stringData"].as_mapping().expect("stringData") {
        let k = k.as_str().expect("name");
        assert!(
            serve_vars.contains(k),
            "the Secret sets {k}, which serve does not read"
        );
    }
    let d = yaml("deploy/kubernetes/deployment.yaml");
    let pod = &d["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    for (k, _) in env_of(c) {
        assert!(
            serve_vars.contains(&k),
            "the Deployment sets {k}, which serve does not read"
        );
    }
    // The secrets arrive as files of the Secret's volume, under the Secret's own key names.
    let env: std::collections::BTreeMap<String, Option<String>> = env_of(c).into_iter().collect();
    let volume = pod["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .find(|v| v["secret"]["secretName"].as_str() == Some(secret_name))
        .expect("the Secret is a volume");
    let mounted_at = c["volumeMounts"]
        .as_sequence()
        .expect("mounts")
        .iter()
        .find(|m| m["name"] == volume["name"])
        .map(|m| str_of(m, &["mountPath"]))
        .expect("the Secret is mounted");
    for (var, key) in [
        ("BATON_ADMIN_KEY_FILE", "BATON_OPENAI_ADMIN_KEY"),
        ("BATON_API_TOKEN_FILE", "BATON_API_TOKEN"),
    ] {
        assert!(
            secret["stringData"][key].is_string(),
            "the Secret holds {key}"
        );
        assert_eq!(
            env[var].as_deref(),
            Some(format!("{mounted_at}/{key}").as_str()),
            "{var}"
        );
    }
    // Restrictive: non-root, read-only root, no escalation, no capabilities, bounded.
    assert_eq!(pod["securityContext"]["runAsNonRoot"], Yaml::Bool(true));
    assert_eq!(
        c["securityContext"]["readOnlyRootFilesystem"],
        Yaml::Bool(true)
    );
    assert_eq!(
        c["securityContext"]["allowPrivilegeEscalation"],
        Yaml::Bool(false)
    );
    assert_eq!(
        c["securityContext"]["capabilities"]["drop"][0].as_str(),
        Some("ALL")
    );
    for kind in ["requests", "limits"] {
        for r in ["cpu", "memory"] {
            assert!(c["resources"][kind][r].as_str().is_some(), "{kind}.{r}");
        }
    }
    // The volume holds the state and the snapshot; it is the PVC's.
    let pvc = yaml("deploy/kubernetes/pvc.yaml");
    let claim = str_of(&pvc, &["metadata", "name"]);
    let mounts = c["volumeMounts"].as_sequence().expect("mounts");
    let volumes = pod["volumes"].as_sequence().expect("volumes");
    let state_volume = volumes
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"].as_str() == Some(claim))
        .expect("the PVC is a volume");
    let mount = mounts
        .iter()
        .find(|m| m["name"] == state_volume["name"])
        .expect("the PVC is mounted");
    let mount_path = str_of(mount, &["mountPath"]);
    for var in ["BATON_STATE", "BATON_FILE"] {
        let p = env[var].as_deref().expect(var);
        assert!(
            p.starts_with(&format!("{mount_path}/")),
            "{var}={p} is on the volume"
        );
    }
    // The port: the one it listens on, named as the Service and the probes name it.
    let listen = env["BATON_LISTEN"].as_deref().expect("listen");
    let port: u64 = listen
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert_eq!(c["ports"][0]["containerPort"].as_u64(), Some(port));
    let svc = yaml("deploy/kubernetes/service.yaml");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], c["ports"][0]["name"]);
    assert_eq!(
        str_of(
            &d["spec"]["template"]["metadata"],
            &["annotations", "prometheus.io/port"]
        ),
        port.to_string()
    );
}

#[test]
fn the_probes_and_the_scrape_path_answer_on_a_service_started_with_the_manifests_settings() {
    let d = yaml("deploy/kubernetes/deployment.yaml");
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let dir = tempfile::tempdir().expect("tmp");
    // The manifest's settings, but for where things go (a temp dir) and the address (a free
    // loopback port, given as a flag).
    let env: Vec<(String, String)> = env_of(c)
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .filter(|(k, v)| k != "BATON_LISTEN" && !v.starts_with('/'))
        .collect();
    let m = mock(Preset::Tiny);
    let s = Service::start_with_env(dir, &m.base_url(), &[], &env);
    let probe = |name: &str| str_of(&c[name]["httpGet"], &["path"]).to_owned();
    assert_eq!(s.get_anonymous(&probe("livenessProbe")).status, 200);
    assert_eq!(s.get_anonymous(&probe("startupProbe")).status, 200);
    s.until("the readiness probe to pass", |s| {
        s.get_anonymous(&probe("readinessProbe")).status == 200
    });
    let scrape = str_of(
        &d["spec"]["template"]["metadata"],
        &["annotations", "prometheus.io/path"],
    );
    let m = s.get_anonymous(scrape);
    assert_eq!(m.status, 200);
    assert!(m.text.contains("# TYPE openai_access_ready gauge"));
    // The manifest's log format is the one the service used.
    assert!(s.logs().lines().all(|l| l.starts_with('{')), "{}", s.logs());
}

#[test]
fn the_cronjob_runs_sync_with_variables_sync_reads() {
    let j = yaml("deploy/kubernetes/cronjob/cronjob.yaml");
    let c = &j["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["args"][0].as_str(), Some("sync"));
    let sync_vars = variables_of("sync");
    for (k, _) in env_of(c) {
        assert!(
            sync_vars.contains(&k),
            "the CronJob sets {k}, which sync does not read"
        );
    }
}

#[test]
fn the_image_is_multi_stage_non_root_and_serves_by_default() {
    let text = std::fs::read_to_string(repo("Dockerfile")).expect("Dockerfile");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("FROM ")).count(),
        2,
        "multi-stage"
    );
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("USER");
    let uid: u64 = user
        .split(':')
        .next()
        .and_then(|u| u.parse().ok())
        .expect("numeric");
    assert_ne!(uid, 0);
    let d = yaml("deploy/kubernetes/deployment.yaml");
    assert_eq!(
        d["spec"]["template"]["spec"]["securityContext"]["runAsUser"].as_u64(),
        Some(uid),
        "the pod runs as the image's user"
    );
    assert!(lines.contains(&r#"ENTRYPOINT ["/usr/local/bin/openai-access"]"#));
    assert!(
        lines.contains(&r#"CMD ["serve"]"#),
        "no arguments: the service"
    );
    let serve_vars = variables_of("serve");
    for l in &lines {
        for word in l.split_whitespace() {
            if let Some((k, _)) = word
                .split_once('=')
                .filter(|(k, _)| k.starts_with("BATON_"))
            {
                assert!(
                    serve_vars.contains(k),
                    "the image sets {k}, which serve does not read"
                );
            }
        }
    }
}
