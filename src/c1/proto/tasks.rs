//! `c1.connectorapi.baton.v1.Task` (baton-sdk `proto/c1/connectorapi/baton/v1/baton.proto`)
//! with every variant of its `task_type` oneof (tags 100–123), so whatever ConductorOne sends
//! decodes and can at least be finished as unsupported.
//!
//! Fields whose messages this connector never reads (ticket requests and schemas, credential
//! issuance options) are kept as their encoded bytes: a nested message and a `bytes` field
//! share a wire type, so they decode and re-encode unchanged.

use super::{
    AccountInfo, Any, CredentialOptions, Duration, EncryptionConfig, Entitlement, Grant, Resource,
    ResourceId, Struct, Timestamp,
};

/// `baton.proto` `c1.connectorapi.baton.v1.Task`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Task {
    /// A KSUID (27 letters and digits); empty on a `none` task.
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(enumeration = "task::Status", tag = "2")]
    pub status: i32,
    #[prost(bool, tag = "3")]
    pub debug: bool,
    #[prost(
        oneof = "task::TaskType",
        tags = "100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123"
    )]
    pub task_type: Option<task::TaskType>,
}

impl Task {
    /// The oneof field's name (`sync_full`, `grant`, …), or `unknown` when none is set (a
    /// variant newer than these definitions decodes as none).
    pub fn type_name(&self) -> &'static str {
        self.task_type
            .as_ref()
            .map_or("unknown", task::TaskType::name)
    }

    /// Whether this is ConductorOne saying "nothing to do".
    pub fn is_none(&self) -> bool {
        matches!(self.task_type, Some(task::TaskType::None(_)))
    }
}

/// The nested messages of `c1.connectorapi.baton.v1.Task`.
pub mod task {
    use super::*;

    /// `c1.connectorapi.baton.v1.Task.Status`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum Status {
        Unspecified = 0,
        Pending = 1,
        Scheduled = 2,
        Running = 3,
        Finished = 4,
    }

    /// One list of the variants: the oneof, its field names and an empty task of each kind.
    macro_rules! task_types {
        ($($tag:literal $field:ident $variant:ident($message:ident)),* $(,)?) => {
            /// The `task_type` oneof of `c1.connectorapi.baton.v1.Task`.
            #[derive(Clone, PartialEq, prost::Oneof)]
            pub enum TaskType {
                $(#[prost(message, tag = $tag)] $variant($message),)*
            }

            impl TaskType {
                /// Every oneof field name, in tag order.
                pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

                /// The oneof field's name in the .proto (`sync_full`, `grant`, …).
                pub fn name(&self) -> &'static str {
                    match self {
                        $(TaskType::$variant(_) => stringify!($field),)*
                    }
                }

                /// A task of the kind named by its oneof field, with every field empty.
                pub fn empty(name: &str) -> Option<TaskType> {
                    match name {
                        $(stringify!($field) => Some(TaskType::$variant($message::default())),)*
                        _ => None,
                    }
                }
            }
        };
    }

    task_types! {
        "100" none None(NoneTask),
        "101" hello Hello(HelloTask),
        "102" sync_full SyncFull(SyncFullTask),
        "103" grant Grant(GrantTask),
        "104" revoke Revoke(RevokeTask),
        "105" create_account CreateAccount(CreateAccountTask),
        "106" create_resource CreateResource(CreateResourceTask),
        "107" delete_resource DeleteResource(DeleteResourceTask),
        "108" rotate_credentials RotateCredentials(RotateCredentialsTask),
        "109" event_feed EventFeed(EventFeedTask),
        "110" create_ticket_task CreateTicketTask(CreateTicketTask),
        "111" list_ticket_schemas ListTicketSchemas(ListTicketSchemasTask),
        "112" get_ticket GetTicket(GetTicketTask),
        "113" bulk_create_tickets BulkCreateTickets(BulkCreateTicketsTask),
        "114" bulk_get_tickets BulkGetTickets(BulkGetTicketsTask),
        "115" action_list_schemas ActionListSchemas(ActionListSchemasTask),
        "116" action_get_schema ActionGetSchema(ActionGetSchemaTask),
        "117" action_invoke ActionInvoke(ActionInvokeTask),
        "118" action_status ActionStatus(ActionStatusTask),
        "119" create_sync_diff CreateSyncDiff(CreateSyncDiffTask),
        "120" compact_syncs CompactSyncs(CompactSyncs),
        "121" list_event_feeds ListEventFeeds(ListEventFeedsTask),
        "122" list_events ListEvents(ListEventsTask),
        "123" issue_credential IssueCredential(IssueCredentialTask),
    }

    /// `Task.NoneTask`: nothing to do.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NoneTask {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
    }

    /// `Task.HelloTask`: say Hello again, naming this task.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct HelloTask {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
    }

    /// `Task.SyncFullTask`: sync and upload the `.c1z`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SyncFullTask {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
        #[prost(bool, tag = "2")]
        pub skip_expand_grants: bool,
        #[prost(bool, tag = "3")]
        pub skip_entitlements_and_grants: bool,
        #[prost(message, repeated, tag = "4")]
        pub targeted_sync_resources: Vec<Resource>,
        #[prost(string, repeated, tag = "5")]
        pub sync_resource_type_ids: Vec<String>,
        #[prost(bool, tag = "6")]
        pub skip_grants: bool,
        /// `pebble`, `sqlite` or empty.
        #[prost(string, tag = "7")]
        pub storage_engine: String,
    }

    /// `Task.EventFeedTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct EventFeedTask {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
        #[prost(message, optional, tag = "2")]
        pub start_at: Option<Timestamp>,
    }

    /// `Task.ListEventsTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListEventsTask {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
        #[prost(string, tag = "2")]
        pub cursor: String,
        #[prost(message, optional, tag = "3")]
        pub start_at: Option<Timestamp>,
        #[prost(string, tag = "4")]
        pub event_feed_id: String,
        #[prost(uint32, tag = "5")]
        pub page_size: u32,
    }

    /// `Task.ListEventFeedsTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListEventFeedsTask {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
    }

    /// `Task.GrantTask`: grant `entitlement` to `principal`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct GrantTask {
        #[prost(message, optional, tag = "1")]
        pub entitlement: Option<Entitlement>,
        #[prost(message, optional, tag = "2")]
        pub principal: Option<Resource>,
        #[prost(message, repeated, tag = "3")]
        pub annotations: Vec<Any>,
        /// For time-bound access; the SDK does not pass it on to the connector.
        #[prost(message, optional, tag = "4")]
        pub duration: Option<Duration>,
    }

    /// `Task.RevokeTask`: revoke `grant`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RevokeTask {
        #[prost(message, optional, tag = "1")]
        pub grant: Option<Grant>,
        #[prost(message, repeated, tag = "2")]
        pub annotations: Vec<Any>,
    }

    /// `Task.CreateAccountTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateAccountTask {
        #[prost(message, optional, tag = "1")]
        pub account_info: Option<AccountInfo>,
        #[prost(message, optional, tag = "2")]
        pub credential_options: Option<CredentialOptions>,
        #[prost(message, repeated, tag = "3")]
        pub encryption_configs: Vec<EncryptionConfig>,
        #[prost(string, tag = "4")]
        pub resource_type_id: String,
    }

    /// `Task.CreateResourceTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateResourceTask {
        #[prost(message, optional, tag = "1")]
        pub resource: Option<Resource>,
    }

    /// `Task.DeleteResourceTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct DeleteResourceTask {
        #[prost(message, optional, tag = "1")]
        pub resource_id: Option<ResourceId>,
        #[prost(message, optional, tag = "2")]
        pub parent_resource_id: Option<ResourceId>,
    }

    /// `Task.RotateCredentialsTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RotateCredentialsTask {
        #[prost(message, optional, tag = "1")]
        pub resource_id: Option<ResourceId>,
        #[prost(message, optional, tag = "2")]
        pub credential_options: Option<CredentialOptions>,
        #[prost(message, repeated, tag = "3")]
        pub encryption_configs: Vec<EncryptionConfig>,
    }

    /// `Task.IssueCredentialTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct IssueCredentialTask {
        #[prost(message, optional, tag = "1")]
        pub identity_id: Option<ResourceId>,
        /// An encoded `c1.connector.v2.CredentialIssueOptions` (not modelled).
        #[prost(bytes = "vec", tag = "2")]
        pub credential_options: Vec<u8>,
        #[prost(message, repeated, tag = "3")]
        pub encryption_configs: Vec<EncryptionConfig>,
        #[prost(message, optional, tag = "4")]
        pub expires_at: Option<Timestamp>,
    }

    /// `Task.CreateTicketTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateTicketTask {
        /// An encoded `c1.connector.v2.TicketRequest` (not modelled).
        #[prost(bytes = "vec", tag = "1")]
        pub ticket_request: Vec<u8>,
        /// An encoded `c1.connector.v2.TicketSchema` (not modelled).
        #[prost(bytes = "vec", tag = "2")]
        pub ticket_schema: Vec<u8>,
        #[prost(message, repeated, tag = "3")]
        pub annotations: Vec<Any>,
    }

    /// `Task.BulkCreateTicketsTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BulkCreateTicketsTask {
        #[prost(message, repeated, tag = "1")]
        pub ticket_requests: Vec<CreateTicketTask>,
    }

    /// `Task.BulkGetTicketsTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BulkGetTicketsTask {
        #[prost(message, repeated, tag = "1")]
        pub ticket_requests: Vec<GetTicketTask>,
    }

    /// `Task.ListTicketSchemasTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListTicketSchemasTask {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
    }

    /// `Task.GetTicketTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct GetTicketTask {
        #[prost(string, tag = "1")]
        pub ticket_id: String,
        #[prost(message, repeated, tag = "2")]
        pub annotations: Vec<Any>,
    }

    /// `Task.ActionListSchemasTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ActionListSchemasTask {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
        #[prost(string, tag = "2")]
        pub resource_type_id: String,
    }

    /// `Task.ActionGetSchemaTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ActionGetSchemaTask {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, repeated, tag = "2")]
        pub annotations: Vec<Any>,
    }

    /// `Task.ActionInvokeTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ActionInvokeTask {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub args: Option<Struct>,
        #[prost(message, repeated, tag = "3")]
        pub annotations: Vec<Any>,
        #[prost(string, tag = "4")]
        pub resource_type_id: String,
    }

    /// `Task.ActionStatusTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ActionStatusTask {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub id: String,
        #[prost(message, repeated, tag = "3")]
        pub annotations: Vec<Any>,
    }

    /// `Task.CreateSyncDiffTask`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CreateSyncDiffTask {
        #[prost(string, tag = "1")]
        pub base_sync_id: String,
        #[prost(string, tag = "2")]
        pub new_sync_id: String,
        #[prost(message, repeated, tag = "3")]
        pub annotations: Vec<Any>,
    }

    /// `Task.CompactSyncs`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CompactSyncs {
        #[prost(message, repeated, tag = "1")]
        pub compactable_syncs: Vec<CompactableSync>,
        #[prost(message, repeated, tag = "2")]
        pub annotations: Vec<Any>,
    }

    /// `Task.CompactSyncs.CompactableSync`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct CompactableSync {
        #[prost(string, tag = "1")]
        pub file_path: String,
        #[prost(string, tag = "2")]
        pub sync_id: String,
    }
}

#[cfg(test)]
mod tests {
    use super::task::TaskType;
    use super::*;
    use prost::Message;

    #[test]
    fn every_variant_has_a_name_and_round_trips_on_its_tag() {
        assert_eq!(TaskType::NAMES.len(), 24);
        for (i, name) in TaskType::NAMES.iter().enumerate() {
            let kind = TaskType::empty(name).expect("named variant");
            assert_eq!(kind.name(), *name);
            let task = Task {
                id: "0ujtsYcgvSTl8PAuAdqWYSMnLOv".into(),
                task_type: Some(kind),
                ..Task::default()
            };
            let bytes = task.encode_to_vec();
            // Field 100 + i, wire type 2 (a message), as a varint key after `id`.
            let key = ((100 + i as u64) << 3) | 2;
            let mut expected = Vec::new();
            prost::encoding::encode_varint(key, &mut expected);
            assert!(
                bytes.windows(expected.len()).any(|w| w == expected),
                "{name}"
            );
            assert_eq!(Task::decode(bytes.as_slice()).expect("decodes"), task);
        }
        assert!(TaskType::empty("nope").is_none());
    }

    #[test]
    fn an_unknown_variant_decodes_as_no_type() {
        // Field 124 (a task type newer than these definitions) holding an empty message.
        let mut bytes = Task {
            id: "0ujtsYcgvSTl8PAuAdqWYSMnLOv".into(),
            ..Task::default()
        }
        .encode_to_vec();
        prost::encoding::encode_varint((124 << 3) | 2, &mut bytes);
        bytes.push(0);
        let task = Task::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(task.type_name(), "unknown");
        assert_eq!(task.id, "0ujtsYcgvSTl8PAuAdqWYSMnLOv");
    }
}
