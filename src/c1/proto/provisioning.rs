//! What provisioning tasks carry and what the connector answers with, from baton-sdk
//! `proto/c1/connector/v2/resource.proto` (accounts, credentials, encryption, deletion) and
//! `grant.proto` (grant and revoke responses). The responses are packed into
//! `FinishTask.success.response` as `google.protobuf.Any`.

use super::{Any, Grant, Resource, Struct, Timestamp};

/// `resource.proto` `c1.connector.v2.AccountInfo`: who to create.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountInfo {
    #[prost(message, repeated, tag = "1")]
    pub emails: Vec<account_info::Email>,
    #[prost(string, tag = "2")]
    pub login: String,
    #[prost(string, repeated, tag = "3")]
    pub login_aliases: Vec<String>,
    #[prost(message, optional, tag = "4")]
    pub profile: Option<Struct>,
}

/// The nested messages of `c1.connector.v2.AccountInfo`.
pub mod account_info {
    /// `c1.connector.v2.AccountInfo.Email`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Email {
        #[prost(string, tag = "1")]
        pub address: String,
        #[prost(bool, tag = "2")]
        pub is_primary: bool,
    }
}

/// `resource.proto` `c1.connector.v2.CredentialOptions`: how the new account logs in.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CredentialOptions {
    #[prost(bool, tag = "1")]
    pub force_change_at_next_login: bool,
    #[prost(oneof = "credential_options::Options", tags = "100, 101, 102, 103")]
    pub options: Option<credential_options::Options>,
}

/// The nested messages of `c1.connector.v2.CredentialOptions`.
pub mod credential_options {
    use super::{EncryptedData, PasswordConstraint};

    /// The `options` oneof.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Options {
        #[prost(message, tag = "100")]
        RandomPassword(RandomPassword),
        #[prost(message, tag = "101")]
        NoPassword(NoPassword),
        #[prost(message, tag = "102")]
        Sso(Sso),
        #[prost(message, tag = "103")]
        EncryptedPassword(EncryptedPassword),
    }

    /// `c1.connector.v2.CredentialOptions.RandomPassword`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RandomPassword {
        #[prost(int64, tag = "1")]
        pub length: i64,
        #[prost(message, repeated, tag = "2")]
        pub constraints: Vec<PasswordConstraint>,
    }

    /// `c1.connector.v2.CredentialOptions.NoPassword`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NoPassword {}

    /// `c1.connector.v2.CredentialOptions.SSO`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Sso {
        #[prost(string, tag = "1")]
        pub sso_provider: String,
    }

    /// `c1.connector.v2.CredentialOptions.EncryptedPassword`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct EncryptedPassword {
        #[prost(message, repeated, tag = "1")]
        pub encrypted_passwords: Vec<EncryptedData>,
    }
}

/// `resource.proto` `c1.connector.v2.PasswordConstraint`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PasswordConstraint {
    #[prost(string, tag = "1")]
    pub char_set: String,
    #[prost(uint32, tag = "2")]
    pub min_count: u32,
}

/// `resource.proto` `c1.connector.v2.EncryptionConfig`: a key to encrypt generated
/// credentials for.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EncryptionConfig {
    #[prost(message, optional, tag = "1")]
    pub principal: Option<Resource>,
    #[prost(string, tag = "2")]
    pub provider: String,
    #[prost(string, tag = "3")]
    pub key_id: String,
    #[prost(oneof = "encryption_config::Config", tags = "100, 101")]
    pub config: Option<encryption_config::Config>,
}

/// The nested messages of `c1.connector.v2.EncryptionConfig`.
pub mod encryption_config {
    /// The `config` oneof.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Config {
        #[prost(message, tag = "100")]
        JwkPublicKeyConfig(JwkPublicKeyConfig),
        #[prost(message, tag = "101")]
        AgeRecipientConfig(AgeRecipientConfig),
    }

    /// `c1.connector.v2.EncryptionConfig.JWKPublicKeyConfig`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct JwkPublicKeyConfig {
        #[prost(bytes = "vec", tag = "1")]
        pub pub_key: Vec<u8>,
    }

    /// `c1.connector.v2.EncryptionConfig.AgeRecipientConfig`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct AgeRecipientConfig {
        #[prost(string, tag = "1")]
        pub recipient: String,
    }
}

/// `resource.proto` `c1.connector.v2.EncryptedData`: a generated credential, encrypted.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EncryptedData {
    #[prost(string, tag = "1")]
    pub provider: String,
    /// Deprecated in the .proto (superseded by `key_ids`).
    #[prost(string, tag = "2")]
    pub key_id: String,
    #[prost(string, tag = "3")]
    pub name: String,
    #[prost(string, tag = "4")]
    pub description: String,
    #[prost(string, tag = "5")]
    pub schema: String,
    #[prost(bytes = "vec", tag = "6")]
    pub encrypted_bytes: Vec<u8>,
    #[prost(string, repeated, tag = "7")]
    pub key_ids: Vec<String>,
}

// ---- responses --------------------------------------------------------------------------------

/// `grant.proto` `c1.connector.v2.GrantManagerServiceGrantResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantManagerServiceGrantResponse {
    #[prost(message, repeated, tag = "1")]
    pub annotations: Vec<Any>,
    #[prost(message, repeated, tag = "2")]
    pub grants: Vec<Grant>,
}

/// `grant.proto` `c1.connector.v2.GrantManagerServiceRevokeResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantManagerServiceRevokeResponse {
    #[prost(message, repeated, tag = "1")]
    pub annotations: Vec<Any>,
}

/// `resource.proto` `c1.connector.v2.DeleteResourceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DeleteResourceResponse {
    #[prost(message, repeated, tag = "1")]
    pub annotations: Vec<Any>,
}

/// `resource.proto` `c1.connector.v2.CreateAccountResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CreateAccountResponse {
    #[prost(oneof = "create_account_response::Result", tags = "100, 101, 102, 103")]
    pub result: Option<create_account_response::Result>,
    #[prost(message, repeated, tag = "2")]
    pub encrypted_data: Vec<EncryptedData>,
    #[prost(message, repeated, tag = "3")]
    pub annotations: Vec<Any>,
}

/// The nested messages of `c1.connector.v2.CreateAccountResponse`.
pub mod create_account_response {
    use super::{Resource, Timestamp};

    /// The `result` oneof: what became of the account.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Result {
        #[prost(message, tag = "100")]
        Success(SuccessResult),
        #[prost(message, tag = "101")]
        ActionRequired(ActionRequiredResult),
        #[prost(message, tag = "102")]
        AlreadyExists(AlreadyExistsResult),
        #[prost(message, tag = "103")]
        InProgress(InProgressResult),
    }

    impl Result {
        /// The oneof field's name in the .proto.
        pub fn name(&self) -> &'static str {
            match self {
                Result::Success(_) => "success",
                Result::ActionRequired(_) => "action_required",
                Result::AlreadyExists(_) => "already_exists",
                Result::InProgress(_) => "in_progress",
            }
        }
    }

    /// `c1.connector.v2.CreateAccountResponse.SuccessResult`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SuccessResult {
        #[prost(message, optional, tag = "1")]
        pub resource: Option<Resource>,
        #[prost(bool, tag = "2")]
        pub is_create_account_result: bool,
        /// When an invitation (rather than an account) was made: when it expires.
        #[prost(message, optional, tag = "3")]
        pub invitation_expires_at: Option<Timestamp>,
    }

    /// `c1.connector.v2.CreateAccountResponse.ActionRequiredResult`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ActionRequiredResult {
        #[prost(message, optional, tag = "1")]
        pub resource: Option<Resource>,
        #[prost(string, tag = "2")]
        pub message: String,
        #[prost(bool, tag = "3")]
        pub is_create_account_result: bool,
    }

    /// `c1.connector.v2.CreateAccountResponse.AlreadyExistsResult`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct AlreadyExistsResult {
        #[prost(message, optional, tag = "1")]
        pub resource: Option<Resource>,
        #[prost(bool, tag = "2")]
        pub is_create_account_result: bool,
    }

    /// `c1.connector.v2.CreateAccountResponse.InProgressResult`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct InProgressResult {
        #[prost(message, optional, tag = "1")]
        pub resource: Option<Resource>,
        #[prost(bool, tag = "2")]
        pub is_create_account_result: bool,
    }
}
