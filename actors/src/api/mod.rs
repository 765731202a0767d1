//! The OpenAI Admin API: typed models, page envelopes, endpoint templates and the client.

pub mod endpoint;
pub mod models;
pub mod page;

pub use endpoint::Endpoint;
pub use page::{Page, PageStyle, RawPage};
