//! The validation rules ConductorOne applies to requests: the PGV rules of baton-sdk's
//! `baton.proto` and `connector.proto`, plus the one `hello.go` documents (every OS field of a
//! Hello must be non-empty). A broken rule is INVALID_ARGUMENT, as protoc-gen-validate's
//! interceptor answers.
//!
//! Hello's `task_id` pattern in the .proto is `^[a-zA-Z0-9]{27}|$`, which, unparenthesised,
//! matches any string; the fake enforces what it plainly means: empty or a task id.

use crate::c1::proto::{Any, BatonServiceHelloRequest, ConnectorMetadata, hello_request::OsInfo};
use crate::c1::wire::{
    DISPLAY_NAME_MAX, HOST_ID_MAX, MAX_ANNOTATIONS, MAX_TASKS_PER_CALL, MAX_UPLOAD_CHUNK,
    SHA256_LEN, is_task_id,
};
use tonic::Status;

const INFO_FIELD_MAX: usize = 256;
const HELP_URL_MAX: usize = 1024;
const DESCRIPTION_MAX: usize = 4096;

fn invalid(message: impl Into<String>) -> Status {
    Status::invalid_argument(message.into())
}

pub(crate) fn host_id(host_id: &str) -> Result<(), Status> {
    let chars = host_id.chars().count();
    if chars == 0 || chars > HOST_ID_MAX {
        return Err(invalid(format!(
            "host_id must be 1..{HOST_ID_MAX} characters"
        )));
    }
    Ok(())
}

pub(crate) fn task_id(field: &str, id: &str) -> Result<(), Status> {
    if !is_task_id(id) {
        return Err(invalid(format!("{field} must match ^[a-zA-Z0-9]{{27}}$")));
    }
    Ok(())
}

pub(crate) fn annotations(field: &str, annotations: &[Any]) -> Result<(), Status> {
    if annotations.len() > MAX_ANNOTATIONS {
        return Err(invalid(format!(
            "{field}: at most {MAX_ANNOTATIONS} annotations"
        )));
    }
    Ok(())
}

pub(crate) fn task_ids(field: &str, ids: &[String]) -> Result<(), Status> {
    if ids.len() > MAX_TASKS_PER_CALL {
        return Err(invalid(format!(
            "{field}: at most {MAX_TASKS_PER_CALL} task ids"
        )));
    }
    ids.iter().try_for_each(|id| task_id(field, id))
}

pub(crate) fn hello(request: &BatonServiceHelloRequest) -> Result<(), Status> {
    host_id(&request.host_id)?;
    if !request.task_id.is_empty() {
        task_id("task_id", &request.task_id)?;
    }
    annotations("annotations", &request.annotations)?;
    let metadata = request
        .connector_metadata
        .as_ref()
        .ok_or_else(|| invalid("connector_metadata is required"))?;
    connector_metadata(metadata)?;
    if let Some(build) = &request.build_info {
        for value in [&build.lang_version, &build.package, &build.package_version] {
            max_chars("build_info", value, INFO_FIELD_MAX)?;
        }
    }
    os_info(request.os_info.as_ref())
}

fn connector_metadata(metadata: &ConnectorMetadata) -> Result<(), Status> {
    let name = metadata.display_name.len();
    if name == 0 || name > DISPLAY_NAME_MAX {
        return Err(invalid(format!(
            "connector_metadata.display_name must be 1..{DISPLAY_NAME_MAX} bytes"
        )));
    }
    let url = &metadata.help_url;
    if !url.is_empty() && (!url.starts_with("https://") || url.len() > HELP_URL_MAX) {
        return Err(invalid(
            "connector_metadata.help_url must be an https:// URL of at most 1024 bytes",
        ));
    }
    if metadata.description.len() > DESCRIPTION_MAX {
        return Err(invalid(format!(
            "connector_metadata.description must be at most {DESCRIPTION_MAX} bytes"
        )));
    }
    Ok(())
}

fn os_info(info: Option<&OsInfo>) -> Result<(), Status> {
    let info = info.ok_or_else(|| invalid("os_info is required"))?;
    let fields = [
        ("hostname", &info.hostname),
        ("os", &info.os),
        ("platform", &info.platform),
        ("platform_version", &info.platform_version),
        ("platform_family", &info.platform_family),
        ("kernel_version", &info.kernel_version),
        ("kernel_arch", &info.kernel_arch),
        ("virtualization_system", &info.virtualization_system),
    ];
    for (name, value) in fields {
        if value.is_empty() {
            return Err(invalid(format!("os_info.{name} must not be empty")));
        }
        max_chars("os_info", value, INFO_FIELD_MAX)?;
    }
    Ok(())
}

fn max_chars(field: &str, value: &str, max: usize) -> Result<(), Status> {
    if value.chars().count() > max {
        return Err(invalid(format!(
            "{field}: values of at most {max} characters"
        )));
    }
    Ok(())
}

pub(crate) fn page_size(size: u32) -> Result<(), Status> {
    if size == 0 || size as usize > MAX_TASKS_PER_CALL {
        return Err(invalid(format!(
            "page_size must be 1..{MAX_TASKS_PER_CALL}"
        )));
    }
    Ok(())
}

pub(crate) fn chunk(data: &[u8]) -> Result<(), Status> {
    if data.is_empty() || data.len() > MAX_UPLOAD_CHUNK {
        return Err(invalid(format!(
            "data must be 1..{MAX_UPLOAD_CHUNK} bytes (got {})",
            data.len()
        )));
    }
    Ok(())
}

pub(crate) fn checksum(sha256: &[u8]) -> Result<(), Status> {
    if sha256.len() != SHA256_LEN {
        return Err(invalid(format!(
            "sha256_checksum must be {SHA256_LEN} bytes (got {})",
            sha256.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c1::host;

    fn hello() -> BatonServiceHelloRequest {
        BatonServiceHelloRequest {
            host_id: "h".into(),
            build_info: Some(host::build_info()),
            os_info: Some(host::os_info()),
            connector_metadata: Some(ConnectorMetadata {
                display_name: "OpenAI".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_hello_passes_and_each_gap_is_named() {
        assert!(super::hello(&hello()).is_ok());
        let cases: Vec<(BatonServiceHelloRequest, &str)> = vec![
            (
                BatonServiceHelloRequest {
                    host_id: String::new(),
                    ..hello()
                },
                "host_id",
            ),
            (
                BatonServiceHelloRequest {
                    host_id: "h".repeat(257),
                    ..hello()
                },
                "host_id",
            ),
            (
                BatonServiceHelloRequest {
                    task_id: "warmup".into(),
                    ..hello()
                },
                "task_id",
            ),
            (
                BatonServiceHelloRequest {
                    connector_metadata: None,
                    ..hello()
                },
                "connector_metadata",
            ),
            (
                BatonServiceHelloRequest {
                    connector_metadata: Some(ConnectorMetadata::default()),
                    ..hello()
                },
                "display_name",
            ),
            (
                BatonServiceHelloRequest {
                    os_info: None,
                    ..hello()
                },
                "os_info",
            ),
            (
                BatonServiceHelloRequest {
                    annotations: vec![Any::default(); 17],
                    ..hello()
                },
                "annotations",
            ),
        ];
        for (request, field) in cases {
            let status = super::hello(&request).expect_err(field);
            assert_eq!(status.code(), tonic::Code::InvalidArgument);
            assert!(status.message().contains(field), "{}", status.message());
        }
    }

    #[test]
    fn chunks_and_checksums_have_fixed_bounds() {
        assert!(chunk(&[0; MAX_UPLOAD_CHUNK]).is_ok());
        assert!(chunk(&vec![0; MAX_UPLOAD_CHUNK + 1]).is_err());
        assert!(chunk(&[]).is_err());
        assert!(checksum(&[0; 32]).is_ok());
        assert!(checksum(&[0; 31]).is_err());
        assert!(page_size(100).is_ok() && page_size(0).is_err() && page_size(101).is_err());
    }
}
