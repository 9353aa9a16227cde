//! The rules a new account's username and password meet, wherever the account is made:
//! the API (`POST /api/v1/users`, a password change) and `agriwaste user add`. Parsed
//! once into [`Username`] and [`NewPassword`], so no caller retypes a rule.

use std::ops::RangeInclusive;

use super::secrets::{hash_password, new_password};

/// How long a username may be, in characters (all of them ASCII).
pub const USERNAME_CHARS: RangeInclusive<usize> = 3..=64;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A sign-in name: 3–64 ASCII letters, digits, `-`, `_` or `.`, so that it reads the same
/// in every log, URL and spreadsheet it ends up in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// A username that breaks the rule of [`Username`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a username is 3–64 letters, digits, '-', '_' or '.'")]
pub struct InvalidUsername;

impl InvalidUsername {
    /// The rule, in Chinese (the English is the `Display`).
    pub fn message_zh(&self) -> &'static str {
        "用户名须为 3–64 个字母、数字或 - _ ."
    }
}

impl Username {
    /// The username typed, without the spaces around it, if it follows the rule.
    pub fn parse(typed: &str) -> Result<Username, InvalidUsername> {
        let name = typed.trim();
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-_.".contains(&b);
        if USERNAME_CHARS.contains(&name.len()) && name.bytes().all(allowed) {
            Ok(Username(name.to_owned()))
        } else {
            Err(InvalidUsername)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, owned (for storage).
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A password someone chose or was given, long enough to set. Its text is reachable
/// only to hash it or, for a generated one, to show it once; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

/// A password shorter than [`MIN_PASSWORD_CHARS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the password needs at least {MIN_PASSWORD_CHARS} characters")]
pub struct WeakPassword;

impl WeakPassword {
    /// The rule, in Chinese (the English is the `Display`).
    pub fn message_zh(&self) -> String {
        format!("密码至少需要 {MIN_PASSWORD_CHARS} 个字符")
    }
}

impl NewPassword {
    /// The password as given, if it is long enough (counted in characters, so a
    /// Chinese passphrase counts as it reads).
    pub fn parse(password: String) -> Result<NewPassword, WeakPassword> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            Err(WeakPassword)
        } else {
            Ok(NewPassword(password))
        }
    }

    /// A random password (see [`new_password`]), for accounts made without one.
    pub fn generate() -> NewPassword {
        NewPassword(new_password())
    }

    /// The Argon2id hash to store (slow on purpose: keep it off async workers).
    pub fn hash(&self) -> Result<String, argon2::password_hash::Error> {
        hash_password(&self.0)
    }

    /// The text, to show a generated password to the person it was made for, once.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_3_to_64_letters_digits_dashes_underscores_or_dots() {
        let check = |typed: &str, expected: Result<&str, InvalidUsername>| {
            assert_eq!(
                Username::parse(typed).map(Username::into_string),
                expected.map(str::to_owned),
                "{typed:?}"
            );
        };
        check("admin", Ok("admin"));
        check("tech-542523_01.b", Ok("tech-542523_01.b"));
        check("abc", Ok("abc"));
        check(&"a".repeat(64), Ok(&"a".repeat(64)));
        check("  reviewer-ali\n", Ok("reviewer-ali"));
        check("ab", Err(InvalidUsername));
        check(" ab ", Err(InvalidUsername));
        check(&"a".repeat(65), Err(InvalidUsername));
        check("", Err(InvalidUsername));
        check("two words", Err(InvalidUsername));
        check("bob@example.org", Err(InvalidUsername));
        check("管理员", Err(InvalidUsername));
        check("ädmin", Err(InvalidUsername));
    }

    #[test]
    fn passwords_need_ten_characters_counted_as_characters() {
        assert_eq!(
            NewPassword::parse("123456789".to_owned()),
            Err(WeakPassword)
        );
        assert!(NewPassword::parse("1234567890".to_owned()).is_ok());
        // Nine CJK characters are 27 bytes but still too short; ten are enough.
        assert_eq!(
            NewPassword::parse("青稞青稞青稞青稞青".to_owned()),
            Err(WeakPassword)
        );
        assert!(NewPassword::parse("青稞青稞青稞青稞青稞".to_owned()).is_ok());
        // Spaces count: a password is taken exactly as typed.
        assert!(NewPassword::parse("   a   b  ".to_owned()).is_ok());
    }

    #[test]
    fn generated_passwords_pass_the_rule_and_never_print() -> anyhow::Result<()> {
        let generated = NewPassword::generate();
        let reparsed = NewPassword::parse(generated.reveal().to_owned())?;
        assert_eq!(reparsed, generated);
        assert_eq!(format!("{generated:?}"), "NewPassword(..)");
        assert!(super::super::secrets::verify_password(
            generated.reveal(),
            Some(&generated.hash()?)
        ));
        Ok(())
    }

    #[test]
    fn refusals_say_the_rule_in_both_languages() {
        assert_eq!(
            InvalidUsername.to_string(),
            "a username is 3–64 letters, digits, '-', '_' or '.'"
        );
        assert_eq!(
            InvalidUsername.message_zh(),
            "用户名须为 3–64 个字母、数字或 - _ ."
        );
        assert_eq!(
            WeakPassword.to_string(),
            "the password needs at least 10 characters"
        );
        assert_eq!(WeakPassword.message_zh(), "密码至少需要 10 个字符");
    }
}
