//! `openai-access config`: every setting of the Baton mode, where its value comes from, and
//! what it resolves to now (secrets shown only as set or not).

use crate::cli::values::go_bool;
use crate::cli::{Cli, ConfigArgs, SECRET_ARGS};
use crate::exit::{self, CliError};
use crate::settings::{BASE_URL_ENV, KEY_ENV};
use clap::CommandFactory;
use clap::parser::ValueSource;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Setting {
    setting: String,
    flag: String,
    env: Option<String>,
    default: Option<String>,
    value: Option<String>,
    source: &'static str,
}

pub fn run(args: &ConfigArgs, matches: &clap::ArgMatches) -> Result<exit::Exit, CliError> {
    let mut cmd = Cli::command();
    // Built, so the global flags (--log-format, --log-level) are listed with the others.
    cmd.build();
    let Some(config) = cmd.find_subcommand("config") else {
        return Ok(exit::USAGE);
    };
    let mut settings = Vec::new();
    for arg in config.get_arguments() {
        let id = arg.get_id().as_str();
        let Some(long) = arg.get_long() else { continue };
        if matches!(id, "help" | "version" | "verbose") {
            continue;
        }
        let flag = match arg.get_short() {
            Some(s) => format!("-{s}, --{long}"),
            None => format!("--{long}"),
        };
        let default = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .reduce(|a, b| format!("{a},{b}"));
        let raw = matches.get_raw(id).map(|vs| {
            vs.map(|v| v.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",")
        });
        let mut source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => "command line",
            Some(ValueSource::EnvVariable) => "environment",
            Some(ValueSource::DefaultValue) => "default",
            _ => "unset",
        };
        let mut value = raw;
        // Two settings have a fallback of their own outside clap.
        if source == "unset" {
            let fallback = match id {
                "base_url" => Some(BASE_URL_ENV),
                "admin_key" => Some(KEY_ENV),
                _ => None,
            };
            if let Some(var) = fallback
                && let Ok(v) = std::env::var(var)
            {
                value = Some(v);
                source = if var == KEY_ENV {
                    "environment (OPENAI_ADMIN_KEY)"
                } else {
                    "environment (OPENAI_BASE_URL)"
                };
            } else if id == "base_url" {
                value = Some(openai_access_actors::DEFAULT_BASE_URL.to_owned());
                source = "default";
            }
        }
        // A boolean is shown as it is read (`1`, `T`… are `true`).
        let boolean = default.as_deref() == Some("false");
        if boolean && let Some(b) = value.as_deref().and_then(|v| go_bool(v).ok()) {
            value = Some(b.to_string());
        }
        if SECRET_ARGS.contains(&id) {
            value = value.map(|_| "(set, not shown)".to_owned());
        }
        settings.push(Setting {
            setting: id.to_owned(),
            flag,
            env: arg.get_env().map(|e| e.to_string_lossy().into_owned()),
            default,
            value,
            source,
        });
    }
    let mut out = std::io::stdout().lock();
    let written = if args.baton.provision.json {
        let text = serde_json::to_string_pretty(&settings).unwrap_or_default();
        writeln!(out, "{text}")
    } else {
        let row = |out: &mut std::io::StdoutLock<'_>,
                   flag: &str,
                   env: &str,
                   source: &str,
                   value: &str| {
            writeln!(out, "{flag:<34} {env:<32} {source:<15} {value}")
        };
        row(&mut out, "FLAG", "VARIABLE", "SOURCE", "VALUE").and_then(|()| {
            settings.iter().try_for_each(|s| {
                row(
                    &mut out,
                    &s.flag,
                    s.env.as_deref().unwrap_or("-"),
                    s.source,
                    s.value.as_deref().unwrap_or("-"),
                )
            })
        })
    };
    written.map_err(|e| CliError::io("stdout", e))?;
    Ok(exit::OK)
}
