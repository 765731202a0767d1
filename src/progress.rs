//! Progress on a terminal: one bar line with per-crawler counts, fed by `GetProgress` queries
//! to the coordinator. Off a terminal, structured logs say the same at the end.

use indicatif::{ProgressBar, ProgressStyle};
use openai_access_actors::SyncRun;
use std::io::IsTerminal;
use std::time::Duration;

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

pub struct SyncProgress {
    bar: ProgressBar,
    stop: tokio::sync::watch::Sender<bool>,
}

impl SyncProgress {
    pub fn start(run: SyncRun) -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let b = bar.clone();
        actix::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(120));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                let Some(p) = run.progress().await else {
                    break;
                };
                let parts: Vec<String> = p
                    .crawlers
                    .iter()
                    .map(|(k, v)| format!("{k} {}", v.items))
                    .collect();
                b.set_message(format!(
                    "{} lists pending | {}",
                    p.outstanding,
                    parts.join(" · ")
                ));
                b.tick();
            }
        });
        Self { bar, stop }
    }

    pub fn finish(self) {
        let _ = self.stop.send(true);
        self.bar.finish_and_clear();
    }
}
