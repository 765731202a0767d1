//! The mock OpenAI Admin API server (placeholder until it lands).
