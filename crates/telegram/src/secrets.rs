//! Keeps the bot token out of logs. Every error from the Bot API is logged through [`redact`]:
//! errors can carry request URLs, and those contain the token (`/bot<TOKEN>/SendMessage`).
//! teloxide already strips URLs from its network errors; this is the second belt.

use std::sync::Mutex;

/// Tokens of the bots running in this process (one in production; tests start several).
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a secret to mask in everything [`redact`] sees.
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
    }
}

/// `text` with every registered secret, and anything shaped like a token in a Bot API URL
/// (`/bot<digits>:<chars>`), replaced by `***`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for s in SECRETS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    mask_url_tokens(&out)
}

/// Replaces `<digits>:<token chars>` right after `/bot` with `***`.
fn mask_url_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("/bot") {
        let (before, after) = rest.split_at(at + 4);
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let tail = &after[digits..];
        if digits > 0 && tail.starts_with(':') {
            let chars = tail[1..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
                .count();
            out.push_str("***");
            rest = &tail[1 + chars..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_and_url_tokens_are_masked() {
        register("987654:registered-secret");
        assert_eq!(
            redact("token 987654:registered-secret here"),
            "token *** here"
        );
        assert_eq!(
            redact(
                "error sending request for url (https://api.telegram.org/bot111:AAbb_c-d/GetMe)"
            ),
            "error sending request for url (https://api.telegram.org/bot***/GetMe)"
        );
        assert_eq!(
            redact("a robot said /bot and /botx"),
            "a robot said /bot and /botx"
        );
    }
}
