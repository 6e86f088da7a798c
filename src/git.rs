//! libgit2's errors as sentences. git2 ends every message with its class and code
//! (`revspec 'nope' not found; class=Reference (4); code=NotFound (-3)`), which tells a user
//! nothing; `explain` keeps libgit2's message and, for the codes a user can act on, says
//! what to do. Used wherever cutover reads a repository (`audit --changed-since`, the
//! baseline's renames, `burndown`, the report's history).

use git2::ErrorCode;

/// `e` as an error whose message is a sentence.
pub fn explain(e: git2::Error) -> anyhow::Error {
    let message = e.message().trim_end_matches('.');
    let advice = match e.code() {
        ErrorCode::NotFound => "",
        ErrorCode::Ambiguous => {
            "the name matches more than one object: give a longer commit id or a full ref name"
        }
        ErrorCode::InvalidSpec => {
            "not a revision git understands (e.g. HEAD, main, origin/main, HEAD~3, a commit id)"
        }
        ErrorCode::UnbornBranch => "the branch has no commits yet",
        ErrorCode::Locked => "another git process holds the lock: retry when it has finished",
        ErrorCode::BareRepo => "the repository has no work tree",
        ErrorCode::Owner => {
            "the repository belongs to another user: if you trust it, run \
             `git config --global --add safe.directory <path>`"
        }
        ErrorCode::Auth | ErrorCode::Certificate => "the remote refused the credentials",
        _ => "",
    };
    if advice.is_empty() {
        anyhow::anyhow!("{message}")
    } else {
        anyhow::anyhow!("{message}: {advice}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_class_and_code() {
        let dir = tempfile::tempdir().unwrap();
        let Err(e) = git2::Repository::open(dir.path()) else {
            panic!("a temporary directory is a repository");
        };
        let text = format!("{:#}", explain(e));
        assert!(!text.contains("class="), "{text}");
        assert!(!text.contains("code="), "{text}");
        assert!(text.contains("could not find repository"), "{text}");
        let e = git2::Error::new(ErrorCode::InvalidSpec, git2::ErrorClass::Reference, "bad");
        assert!(
            explain(e)
                .to_string()
                .contains("not a revision git understands")
        );
    }
}
