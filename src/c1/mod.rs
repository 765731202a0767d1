//! ConductorOne's service mode, the connector's side: the wire protocol of
//! `c1.connectorapi.baton.v1.BatonService` (gRPC over TLS, authenticated by an Ed25519 client
//! assertion exchanged for a bearer token). Behaviour follows baton-sdk v0.25.0; each module
//! names the SDK files it follows.
//!
//! | module | holds |
//! |---|---|
//! | `wire` | paths, limits and clamps both ends share |
//! | `proto` | hand-written prost messages |
//! | `credentials`, `jws` | client id and secret, the client assertion |

pub mod credentials;
pub mod jws;
pub mod proto;
pub mod wire;

pub use credentials::{ClientId, ClientSecret, CredentialsError, Secret};
