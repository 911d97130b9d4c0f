//! Every credential the SDK resolves (environment, profile, SSO, assume-role,
//! and each refresh of them) is handed to `crate::redact` before the SDK can
//! use it, so the log scrubs its exact values wherever they would appear.

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};

use crate::redact::register_secret;

/// `sdk` with its credentials provider wrapped so that what it resolves is redacted.
pub fn redact_resolved(sdk: SdkConfig) -> SdkConfig {
    match sdk.credentials_provider() {
        Some(inner) => sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(Registering(inner)))
            .build(),
        None => sdk,
    }
}

#[derive(Debug)]
struct Registering(SharedCredentialsProvider);

fn register(creds: &Credentials) {
    register_secret(creds.access_key_id());
    register_secret(creds.secret_access_key());
    if let Some(token) = creds.session_token() {
        register_secret(token);
    }
}

impl ProvideCredentials for Registering {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let creds = self.0.provide_credentials().await?;
            register(&creds);
            Ok(creds)
        })
    }

    fn fallback_on_interrupt(&self) -> Option<Credentials> {
        let creds = self.0.fallback_on_interrupt()?;
        register(&creds);
        Some(creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolved_credentials_are_redacted_from_then_on() {
        let creds = Credentials::new(
            "ASIARESOLVEDMARKER01",
            "resolved-secret-marker",
            Some("resolved-token-marker".into()),
            None,
            "test",
        );
        let sdk = SdkConfig::builder()
            .credentials_provider(SharedCredentialsProvider::new(creds))
            .build();
        let line = "rejected resolved-token-marker with resolved-secret-marker";
        assert_eq!(crate::redact::scrub(line), line);
        let provider = redact_resolved(sdk).credentials_provider().unwrap();
        provider.provide_credentials().await.unwrap();
        assert_eq!(
            crate::redact::scrub(line),
            "rejected [redacted] with [redacted]"
        );
    }
}
