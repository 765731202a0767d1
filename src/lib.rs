//! The openai-access command line: clap, settings, one module per subcommand, output writers
//! and progress. The engine (`openai_access_actors`) knows nothing of it.

pub mod c1;
pub mod cli;
pub mod commands;
pub mod console;
pub mod exit;
pub mod interrupt;
pub mod output;
pub mod progress;
pub mod service;
pub mod settings;
pub mod state;
pub mod usage;
