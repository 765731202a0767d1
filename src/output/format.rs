//! The formats a sync's output is written in (`--format`, or the file's extension).

/// JSON (this project's own) or `.c1z` (Baton's).
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Json,
    C1z,
}

impl OutputFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Json => "json",
            OutputFormat::C1z => "c1z",
        }
    }
}
