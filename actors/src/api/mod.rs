//! The OpenAI Admin API: typed models, page envelopes, endpoint templates and the client.

pub mod client;
pub mod endpoint;
pub mod error;
pub mod models;
pub mod mutations;
pub mod page;
pub mod request;
pub mod stats;

pub use client::{AdminClient, ClientConfig, DEFAULT_BASE_URL, PageItems, Pager};
pub use endpoint::Endpoint;
pub use error::{ApiError, TransportKind};
pub use page::{Page, PageStyle, RawPage};
pub use request::ListRequest;
pub use stats::{ClientStats, EndpointCounts};
