//! `--profile` must name a profile that exists: otherwise the SDK quietly
//! falls back to whatever else the chain finds (environment keys, say) and the
//! cockpit would show another account under the asked-for name.

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};
use color_eyre::Result;
use color_eyre::eyre::eyre;

/// Fails when `profile` is in neither the config nor the credentials file
/// (`AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` honoured), naming the
/// profiles that exist.
pub async fn ensure_exists(profile: &str) -> Result<()> {
    let set =
        aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
            .await
            .map_err(|e| eyre!("cannot read the AWS profile files: {e}"))?;
    check(&set, profile)
}

fn check(set: &ProfileSet, profile: &str) -> Result<()> {
    if set.get_profile(profile).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = set.profiles().collect();
    known.sort_unstable();
    let known = if known.is_empty() {
        "none (no ~/.aws/config or ~/.aws/credentials, or both empty)".to_string()
    } else {
        known.join(", ")
    };
    Err(eyre!(
        "no AWS profile named `{profile}`; profiles found: {known}. \
         Create it with `aws configure --profile {profile}` (or `aws configure sso`)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn set_from(config: &str, credentials: &str) -> ProfileSet {
        let fs = Fs::from_slice(&[
            ("/home/op/.aws/config", config),
            ("/home/op/.aws/credentials", credentials),
        ]);
        let env = Env::from_slice(&[("HOME", "/home/op")]);
        aws_config::profile::load(&fs, &env, &EnvConfigFiles::default(), None)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_profile_from_either_file_exists() {
        let set = set_from(
            "[default]\nregion = us-east-1\n[profile prod]\nsso_session = corp\n",
            "[staging]\naws_access_key_id = AKIA\n",
        )
        .await;
        for p in ["default", "prod", "staging"] {
            assert!(check(&set, p).is_ok(), "{p}");
        }
    }

    #[tokio::test]
    async fn an_unknown_profile_names_the_ones_that_exist() {
        let set = set_from("[profile prod]\nregion = ap-northeast-1\n", "[staging]\n").await;
        let err = check(&set, "nosuchprofile").unwrap_err().to_string();
        assert!(
            err.contains("no AWS profile named `nosuchprofile`"),
            "{err}"
        );
        assert!(err.contains("profiles found: prod, staging"), "{err}");
        let empty = set_from("", "").await;
        let err = check(&empty, "prod").unwrap_err().to_string();
        assert!(err.contains("profiles found: none"), "{err}");
    }
}
