//! ConductorOne's service mode, the connector's side: the wire protocol of
//! `c1.connectorapi.baton.v1.BatonService` (gRPC over TLS, authenticated by an Ed25519 client
//! assertion exchanged for a bearer token) and a faithful fake ConductorOne to test against.
//! Behaviour follows baton-sdk v0.25.0; each module names the SDK files it follows.
//!
//! | module | holds |
//! |---|---|
//! | `wire` | paths, limits and clamps both ends share |
//! | `proto` | hand-written prost messages |
//! | `credentials`, `jws` | client id and secret, the client assertion |
//! | `token` | the token exchange and its cache |
//! | `config`, `proxy`, `tls`, `transport` | where and how to connect |
//! | `client`, `upload` | `C1Client` |
//! | `host` | what Hello says about this program and machine |
//! | `fake` | the fake ConductorOne (`openai-access mock c1`) |

mod api_host;
pub mod client;
pub mod config;
pub mod credentials;
mod error;
pub mod fake;
pub mod host;
pub mod jws;
pub mod proto;
pub mod proxy;
mod tls;
mod token;
mod transport;
mod upload;
pub mod wire;

pub use client::{Beat, C1Client, Finish, Polled, PolledBatch};
pub use config::C1Config;
pub use credentials::{ClientId, ClientSecret, CredentialsError, Secret};
pub use error::C1Error;
pub use proxy::ProxySettings;
pub use tonic::Code;
pub use upload::Uploaded;
