//! The ten usage types of `spec/openapi-usage.yaml`, and what each can be grouped by: eight
//! by project, user and API key; vector stores and code interpreter sessions by project only.

use crate::endpoint::Endpoint;

/// One usage type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    pub endpoint: Endpoint,
    /// Its name, as in its path (`completions`, …) and in the state.
    pub name: &'static str,
    /// Grouped by user and API key too, not only by project.
    pub by_key: bool,
    /// Whether its totals count use: a vector store's bytes are storage held, not a request.
    pub counts_use: bool,
}

const fn kind(endpoint: Endpoint, name: &'static str, by_key: bool, counts_use: bool) -> Kind {
    Kind {
        endpoint,
        name,
        by_key,
        counts_use,
    }
}

/// Every usage type, in the spec's order.
pub const KINDS: [Kind; 10] = [
    kind(Endpoint::UsageCompletions, "completions", true, true),
    kind(Endpoint::UsageEmbeddings, "embeddings", true, true),
    kind(Endpoint::UsageImages, "images", true, true),
    kind(Endpoint::UsageAudioSpeeches, "audio_speeches", true, true),
    kind(
        Endpoint::UsageAudioTranscriptions,
        "audio_transcriptions",
        true,
        true,
    ),
    kind(Endpoint::UsageModerations, "moderations", true, true),
    kind(Endpoint::UsageVectorStores, "vector_stores", false, false),
    kind(
        Endpoint::UsageCodeInterpreterSessions,
        "code_interpreter_sessions",
        false,
        true,
    ),
    kind(
        Endpoint::UsageFileSearchCalls,
        "file_search_calls",
        true,
        true,
    ),
    kind(
        Endpoint::UsageWebSearchCalls,
        "web_search_calls",
        true,
        true,
    ),
];

impl Kind {
    /// The `group_by` values asked for.
    pub fn group_by(self) -> &'static [&'static str] {
        if self.by_key {
            &["project_id", "user_id", "api_key_id"]
        } else {
            &["project_id"]
        }
    }
}

const _: () = assert!(KINDS.len() == crate::graph::usage::TYPES);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_usage_endpoint_is_one_kind_named_by_its_path() {
        let usage: Vec<Endpoint> = Endpoint::ALL
            .iter()
            .copied()
            .filter(|e| e.is_usage())
            .collect();
        assert_eq!(usage, KINDS.map(|k| k.endpoint).to_vec());
        for k in KINDS {
            assert_eq!(
                k.endpoint.path_template(),
                format!("/organization/usage/{}", k.name)
            );
        }
    }
}
