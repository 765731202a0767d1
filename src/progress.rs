//! Progress while a sync runs, fed by `GetProgress` queries to the engine: on a terminal, one
//! bar line (lists done of lists known, 429s, the ETA and the endpoint that decides it) that
//! fits the terminal's width; elsewhere, a log line every few seconds, so a pipeline or a pod's
//! log is never silent between start and end.

use indicatif::{ProgressBar, ProgressStyle};
use openai_access_actors::human::duration as human;
use openai_access_actors::{Progress, SyncRun};
use std::io::IsTerminal;
use std::time::Duration;
use tokio::time::Instant;

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// The bar on screen, if any: a log line is written with it cleared and then redrawn, so no
/// frame of it is left behind above the line.
static SHOWN: std::sync::Mutex<Option<ProgressBar>> = std::sync::Mutex::new(None);

fn shown() -> Option<ProgressBar> {
    SHOWN.lock().ok().and_then(|b| b.clone())
}

/// Where log lines go: stderr, around the bar when one is shown. A line is written whole, at
/// the end of its event.
pub struct LogWriter(Vec<u8>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let line = std::mem::take(&mut self.0);
        let write = || std::io::Write::write_all(&mut std::io::stderr().lock(), &line);
        match shown() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriterMaker {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> LogWriter {
        LogWriter(Vec::new())
    }
}

/// Makes a [`LogWriter`] per event, for `tracing_subscriber`.
pub struct LogWriterMaker;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Bar,
    /// A log line at this interval.
    Lines(Duration),
}

pub struct SyncProgress {
    bar: Option<ProgressBar>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// `GET /organization/users/{user_id}/roles` → `users/{user_id}/roles`: the part that tells
/// endpoints apart, short enough for a progress line.
pub fn short(template: &str) -> &str {
    let path = template.split_once(' ').map_or(template, |(_, p)| p);
    path.trim_start_matches("/organization/")
        .trim_start_matches('/')
}

/// `users/{u}/roles`: [`short`], with ids as one letter, for the bar.
fn tiny(template: &str) -> String {
    [
        "project",
        "user",
        "group",
        "role",
        "service_account",
        "api_key",
        "invite",
    ]
    .iter()
    .fold(short(template).to_owned(), |s, id| {
        s.replace(&format!("{{{id}_id}}"), &format!("{{{}}}", &id[..1]))
    })
}

/// `3h19m`, `9m30s`, `42s`: a duration in few columns.
fn compact(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// The bar's message: 429s, the ETA and the endpoint that decides it, in few columns.
fn bar_message(p: &Progress) -> String {
    let eta = match (p.eta, p.bottleneck) {
        (Some(t), Some(e)) => format!("ETA {} · {}", compact(t), tiny(e.template())),
        (Some(t), None) => format!("ETA {}", compact(t)),
        _ => "no ETA yet".to_owned(),
    };
    format!("lists · {} 429s · {eta}", p.rate_limited)
}

/// `about 3 h 19 min`, for the ETA.
fn eta(p: &Progress) -> String {
    match (p.eta, p.bottleneck) {
        (Some(t), Some(e)) => format!("ETA {} ({})", human(t), short(e.template())),
        (Some(t), None) => format!("ETA {}", human(t)),
        _ => "no ETA yet (it waits for a pace it can trust)".to_owned(),
    }
}

impl SyncProgress {
    pub fn start(run: SyncRun, mode: Mode) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let bar = (mode == Mode::Bar).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                // Fits 80 columns up to the message, which is cut at the terminal's width.
                ProgressStyle::with_template(
                    "{spinner} {elapsed:>4} [{bar:10}] {pos}/{len} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        if let (Some(b), Ok(mut slot)) = (&bar, SHOWN.lock()) {
            *slot = Some(b.clone());
        }
        let b = bar.clone();
        let every = match mode {
            Mode::Bar => Duration::from_millis(120),
            Mode::Lines(d) => d,
        };
        actix::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            let mut last = (Instant::now(), 0u64);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                let Some(p) = run.progress().await else {
                    break;
                };
                match &b {
                    Some(bar) => {
                        bar.set_length(p.lists_known);
                        bar.set_position(p.lists_done);
                        bar.set_message(bar_message(&p));
                    }
                    None => {
                        let minutes = last.0.elapsed().as_secs_f64() / 60.0;
                        let rpm = (p.requests - last.1) as f64 / minutes.max(1e-9);
                        last = (Instant::now(), p.requests);
                        tracing::info!(
                            lists_done = p.lists_done,
                            lists_known = p.lists_known,
                            pending = p.outstanding,
                            requests = p.requests,
                            rate_limited = p.rate_limited,
                            requests_per_min = rpm.round() as u64,
                            eta_s = p.eta.map(|d| d.as_secs()),
                            bottleneck = p.bottleneck.map(|e| e.template()),
                            "Progress: {}/{} lists, {} requests, {} 429s, {:.0} requests/min; {}.",
                            p.lists_done,
                            p.lists_known,
                            p.requests,
                            p.rate_limited,
                            rpm,
                            eta(&p)
                        );
                    }
                }
            }
        });
        Self { bar, stop }
    }

    pub fn finish(self) {
        let _ = self.stop.send(true);
        if let Ok(mut slot) = SHOWN.lock() {
            *slot = None;
        }
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_names_the_slowest_endpoint_in_few_columns() {
        assert_eq!(
            tiny("GET /projects/{project_id}/groups/{group_id}/roles"),
            "projects/{p}/groups/{g}/roles"
        );
        assert_eq!(compact(Duration::from_secs(11_970)), "3h19m");
        assert_eq!(compact(Duration::from_secs(570)), "9m30s");
    }

    #[test]
    fn endpoints_are_named_by_what_tells_them_apart() {
        assert_eq!(
            short("GET /organization/users/{user_id}/roles"),
            "users/{user_id}/roles"
        );
        assert_eq!(
            short("GET /projects/{project_id}/roles"),
            "projects/{project_id}/roles"
        );
    }
}
