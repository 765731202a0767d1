//! The OpenAI Admin API: typed models, page envelopes, endpoint templates and the client.

mod call;
mod client;
mod error;
mod hedge;
pub mod models;
mod page;
pub(crate) mod retry;
mod retry_after;
mod stats;
mod wire;

pub use crate::endpoint::Endpoint;
pub use call::Call;
pub use client::{
    AdminClient, ClientConfig, DEFAULT_BASE_URL, MAX_PAGES_PER_LIST, PageItems, Pager,
};
pub use error::{ApiError, TransportKind};
pub use hedge::HedgePolicy;
pub use page::{Page, PageStyle, RawPage};
pub use stats::{ClientStats, EndpointCounts};
pub use wire::{InProcess, Transport, WireRequest, WireResponse};
