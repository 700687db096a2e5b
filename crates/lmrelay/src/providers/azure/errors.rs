//! Azure errors: OpenAI's mapping, plus Azure's content filter (a 400 whose
//! error code is `content_filter`) as ContentPolicyViolation.

use reqwest::header::HeaderMap;

use crate::error::{Error, ErrorKind};
use crate::providers::{Target, openai_compat};

/// The error for a failure status.
pub fn map_error(target: &Target, status: u16, headers: &HeaderMap, body: &str) -> Error {
    let error = openai_compat::map_error(target, status, headers, body);
    let filtered =
        body.contains("\"content_filter\"") || body.contains("ResponsibleAIPolicyViolation");
    if status == 400 && filtered {
        return target
            .error(
                ErrorKind::ContentPolicyViolation,
                format!(
                    "{} (Azure's content filter refused the request)",
                    error.message()
                ),
            )
            .with_status(status)
            .with_body(error.body().unwrap_or_default().to_owned());
    }
    error
}
