//! The shapes of Slack's secrets, checked at start so that a value copied
//! from the README as written (`xoxb-…`), or left as a placeholder, stops the
//! program with one line instead of failing later, request by request.

/// Markers that only a placeholder has: an ellipsis, angle brackets, quotes,
/// white space, or words that ask to be replaced.
pub fn looks_like_placeholder(value: &str) -> bool {
    const MARKS: &[&str] =
        &["…", "...", "<", ">", "{", "}", "\"", "'", "your", "changeme", "change-me", "placeholder", "replace", "xxxx"];
    let lower = value.to_lowercase();
    value.chars().any(char::is_whitespace) || MARKS.iter().any(|mark| lower.contains(mark))
}

/// A signing secret: Slack's are 32 hexadecimal characters. Any long enough
/// run of letters and digits is taken (test and benchmark secrets are not
/// hex), but not a placeholder or something too short to be one.
pub fn signing_secret_problem(value: &str) -> Option<String> {
    if looks_like_placeholder(value) {
        return Some("looks like a placeholder, not a secret: copy the Signing Secret from your Slack app's Basic Information page (32 characters) into .env".into());
    }
    if value.len() < 16 || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Some(format!(
            "is not a signing secret ({} characters; Slack's are 32 letters and digits): copy it again from your Slack app's Basic Information page",
            value.chars().count()
        ));
    }
    None
}

/// A Slack token with its prefix (`xoxb-`, `xapp-`): the prefix, then letters,
/// digits and dashes (at least ten), and no placeholder.
pub fn token_problem(value: &str, prefix: &str, what: &str, page: &str) -> Option<String> {
    let Some(rest) = value.strip_prefix(prefix) else {
        return Some(format!("must be {what} starting with {prefix} ({page})"));
    };
    if looks_like_placeholder(rest) || rest.len() < 10 || !rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some(format!(
            "looks like a placeholder, not {what}: copy the whole token ({prefix}…) from {page} into .env"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readmes_placeholders_and_impossible_values_are_refused() {
        for secret in [
            "…",
            "...",
            "<signing secret>",
            "your-signing-secret",
            "s3cr3t",
            "abc def 0123456789abcdef",
            "0123456789abcdef0123456789abcde!",
        ] {
            assert!(signing_secret_problem(secret).is_some(), "{secret}");
        }
        for token in ["xoxb-…", "xoxb-...", "xoxb-your-bot-token", "xoxb-1-2-3", "xoxb-xxxx-xxxx-xxxx", "xoxb-<token>"]
        {
            assert!(token_problem(token, "xoxb-", "a bot token", "OAuth & Permissions").is_some(), "{token}");
        }
        let refused = token_problem("xoxp-1234567890-1234567890", "xoxb-", "a bot token", "p");
        assert!(refused.is_some_and(|problem| problem.contains("starting with xoxb-")));
        assert!(token_problem("xapp-…", "xapp-", "an app-level token", "p").is_some());
    }

    #[test]
    fn real_shapes_pass() {
        // Slack's documented example secret, the anchor kit's, and a hex one.
        for secret in [
            "8f742231b10e8888abcd99yyyzzz85a5",
            "0123456789abcdef0123456789abcdef",
            "test-signing-secret-0123456789abcdef",
        ] {
            assert_eq!(signing_secret_problem(secret), None, "{secret}");
        }
        assert_eq!(token_problem("xoxb-17653672481-19874698323-pdfBGSnrfdDxU", "xoxb-", "a bot token", "p"), None);
        assert_eq!(token_problem("xapp-1-A0APP00001-1234-abcdef", "xapp-", "an app-level token", "p"), None);
    }
}
