//! Who may do what, decided in one place.
//!
//! Every request to the API (but sign-in and the region list) carries a credential; the
//! security schemes in `api::security` turn it into a [`Principal`], and handlers ask
//! the principal, never a role name directly. Reads outside the caller's scope are
//! answered 404, like ids that do not exist, so scope never leaks which ids exist.
//!
//! What a decision yields, the author of a write ([`Actor`]) and the surveys a caller
//! may see ([`SurveyScope`]), are this module's own types, which storage takes as
//! arguments: access rules depend on no storage type.

pub mod account;
pub mod secrets;

use agriwaste_analytics::{RegionLevel, RegionTable};

/// Who performs a write, and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Username, or `api-key:NAME`, or `system`.
    pub name: String,
    /// `user`, `api_key` or `system`.
    pub kind: &'static str,
    /// The client's address.
    pub address: Option<String>,
    /// The request's id, to find the matching log lines.
    pub request_id: Option<String>,
}

impl Actor {
    /// Writes done by the server itself (demo data, command line).
    pub fn system(name: &str) -> Actor {
        Actor {
            name: name.to_owned(),
            kind: "system",
            address: None,
            request_id: None,
        }
    }
}

/// What a caller may see at all, whatever they ask for (see [`Principal::survey_scope`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyScope {
    /// Only surveys in this region.
    pub region: Option<(String, RegionLevel)>,
    /// Only surveys in these counties.
    pub counties: Option<Vec<String>>,
    /// Only surveys by this technician.
    pub technician: Option<String>,
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Submits surveys; sees and corrects their own, in their assigned counties.
    Technician,
    /// Reads surveys and aggregates in a region.
    Viewer,
    /// A viewer who also sets review states in the region.
    Reviewer,
    /// Manages users, keys, targets and coefficients; sees everything.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Technician, Role::Viewer, Role::Reviewer, Role::Admin];

    /// Wire and storage key.
    pub fn key(self) -> &'static str {
        match self {
            Role::Technician => "technician",
            Role::Viewer => "viewer",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    /// Parses a key.
    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    /// Whether a user of this role keeps a region scope (`scope_code`): viewers and
    /// reviewers read within one; a scope given to anyone else is dropped.
    pub fn keeps_region_scope(self) -> bool {
        matches!(self, Role::Viewer | Role::Reviewer)
    }

    /// Whether a user of this role keeps assigned counties: technicians submit in them;
    /// counties given to anyone else are dropped.
    pub fn keeps_counties(self) -> bool {
        self == Role::Technician
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User id, or API key id.
    pub id: String,
    /// Username, or `api-key:NAME`.
    pub name: String,
    /// The role; `None` for an API key.
    pub role: Option<Role>,
    /// The credential used, so a session can sign itself out.
    pub credential_id: String,
    /// Region covered (viewer, reviewer, API key); `None` with an admin means everywhere.
    pub region_scope: Option<String>,
    /// Counties a technician works in.
    pub counties: Vec<String>,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The role may not do this at all: 403.
    Role,
    /// A technician submitting in a county they are not assigned to: 403 naming it.
    County(String),
    /// Outside the caller's scope: answered as not found.
    OutOfScope,
}

impl Principal {
    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Some(Role::Admin)
    }

    /// Whether the caller authenticated with an API key.
    pub fn is_api_key(&self) -> bool {
        self.role.is_none()
    }

    /// Whether the caller's surveys are recorded under the caller's name, whatever the
    /// phone typed as technician: a technician files only their own surveys, while an
    /// admin may file one on a technician's behalf.
    pub fn authors_own_surveys(&self) -> bool {
        self.role == Some(Role::Technician)
    }

    /// The author recorded on writes.
    pub fn actor(&self, address: Option<String>, request_id: &str) -> Actor {
        Actor {
            name: self.name.clone(),
            kind: if self.is_api_key() { "api_key" } else { "user" },
            address,
            request_id: Some(request_id.to_owned()),
        }
    }

    /// Whether the caller may see a survey of this county by this technician.
    pub fn can_see(&self, county_code: &str, technician: &str, regions: &RegionTable) -> bool {
        match self.role {
            Some(Role::Admin) => true,
            Some(Role::Technician) => {
                technician == self.name && self.counties.iter().any(|c| c == county_code)
            }
            Some(Role::Viewer | Role::Reviewer) | None => self
                .region_scope
                .as_deref()
                .is_some_and(|scope| regions.is_within(county_code, scope)),
        }
    }

    /// Whether the caller may submit a survey for this county.
    pub fn may_submit(&self, county_code: &str) -> Result<(), Denied> {
        match self.role {
            Some(Role::Admin) => Ok(()),
            Some(Role::Technician) if self.counties.iter().any(|c| c == county_code) => Ok(()),
            Some(Role::Technician) => Err(Denied::County(county_code.to_owned())),
            _ => Err(Denied::Role),
        }
    }

    /// Whether the caller may correct a survey they can see.
    pub fn may_correct(&self) -> Result<(), Denied> {
        match self.role {
            Some(Role::Admin | Role::Technician) => Ok(()),
            _ => Err(Denied::Role),
        }
    }

    /// Whether the caller may set review states (in their scope).
    pub fn may_review(&self) -> Result<(), Denied> {
        match self.role {
            Some(Role::Admin | Role::Reviewer) => Ok(()),
            _ => Err(Denied::Role),
        }
    }

    /// Whether the caller may manage users, keys, targets and coefficients.
    pub fn may_administer(&self) -> Result<(), Denied> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Denied::Role)
        }
    }

    /// What a listing must be limited to for this caller.
    pub fn survey_scope(&self, regions: &RegionTable) -> SurveyScope {
        match self.role {
            Some(Role::Admin) => SurveyScope::default(),
            Some(Role::Technician) => SurveyScope {
                counties: Some(self.counties.clone()),
                technician: Some(self.name.clone()),
                ..SurveyScope::default()
            },
            Some(Role::Viewer | Role::Reviewer) | None => match self
                .region_scope
                .as_deref()
                .and_then(|code| regions.get(code))
            {
                Some(region) => SurveyScope {
                    region: Some((region.code.clone(), region.level)),
                    ..SurveyScope::default()
                },
                // A scope that names no known region sees nothing.
                None => SurveyScope {
                    counties: Some(Vec::new()),
                    ..SurveyScope::default()
                },
            },
        }
    }
}

/// Checks that a role's scope settings make sense: viewers, reviewers and API keys need a
/// region; technicians need counties; admins need neither.
pub fn check_scope(
    role: Option<Role>,
    scope_code: Option<&str>,
    counties: &[String],
    regions: &RegionTable,
) -> Result<(), (&'static str, String, String)> {
    match role {
        Some(Role::Technician) => {
            if counties.is_empty() {
                return Err((
                    "counties",
                    "农技员至少需要分配一个县".to_owned(),
                    "a technician needs at least one county".to_owned(),
                ));
            }
            for county in counties {
                if regions
                    .get(county)
                    .is_none_or(|r| r.level != RegionLevel::County)
                {
                    return Err((
                        "counties",
                        format!("{county} 不是县级区划代码"),
                        format!("{county} is not a county code"),
                    ));
                }
            }
            Ok(())
        }
        Some(Role::Viewer | Role::Reviewer) | None => match scope_code {
            Some(code) if regions.get(code).is_some() => Ok(()),
            Some(code) => Err((
                "scope_code",
                format!("区划代码 {code} 不存在"),
                format!("region {code} is not known"),
            )),
            None => Err((
                "scope_code",
                "该角色需要指定管辖区域".to_owned(),
                "this role needs a region".to_owned(),
            )),
        },
        Some(Role::Admin) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Option<Role>, scope: Option<&str>, counties: &[&str]) -> Principal {
        Principal {
            id: "1".to_owned(),
            name: "tech-a".to_owned(),
            role,
            credential_id: "c".to_owned(),
            region_scope: scope.map(str::to_owned),
            counties: counties.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn scopes_cover_everything_below() {
        let regions = RegionTable::builtin();
        let reviewer = principal(Some(Role::Reviewer), Some("542500"), &[]);
        assert!(reviewer.can_see("542523", "anyone", &regions));
        assert!(!reviewer.can_see("630102", "anyone", &regions));
        let province = principal(None, Some("630000"), &[]);
        assert!(province.can_see("632801", "x", &regions));
        let tech = principal(Some(Role::Technician), None, &["542523"]);
        assert!(tech.can_see("542523", "tech-a", &regions));
        assert!(!tech.can_see("542523", "tech-b", &regions));
        assert!(!tech.can_see("542524", "tech-a", &regions));
        assert_eq!(
            tech.may_submit("542524"),
            Err(Denied::County("542524".to_owned()))
        );
        assert_eq!(reviewer.may_submit("542523"), Err(Denied::Role));
        assert!(reviewer.may_review().is_ok() && reviewer.may_correct().is_err());
        assert!(tech.authors_own_surveys());
        assert!(!reviewer.authors_own_surveys());
        assert!(!principal(Some(Role::Admin), None, &[]).authors_own_surveys());
        assert!(principal(Some(Role::Admin), None, &[]).can_see("630102", "x", &regions));
    }

    #[test]
    fn only_the_roles_that_use_them_keep_a_scope_or_counties() {
        let kept: Vec<(Role, bool, bool)> = Role::ALL
            .into_iter()
            .map(|r| (r, r.keeps_region_scope(), r.keeps_counties()))
            .collect();
        assert_eq!(
            kept,
            [
                (Role::Technician, false, true),
                (Role::Viewer, true, false),
                (Role::Reviewer, true, false),
                (Role::Admin, false, false),
            ]
        );
    }

    #[test]
    fn scope_settings_are_checked() {
        let regions = RegionTable::builtin();
        assert!(check_scope(Some(Role::Technician), None, &[], &regions).is_err());
        assert!(
            check_scope(
                Some(Role::Technician),
                None,
                &["542500".to_owned()],
                &regions
            )
            .is_err()
        );
        assert!(
            check_scope(
                Some(Role::Technician),
                None,
                &["542523".to_owned()],
                &regions
            )
            .is_ok()
        );
        assert!(check_scope(Some(Role::Viewer), None, &[], &regions).is_err());
        assert!(check_scope(Some(Role::Viewer), Some("999999"), &[], &regions).is_err());
        assert!(check_scope(None, Some("630000"), &[], &regions).is_ok());
        assert!(check_scope(Some(Role::Admin), None, &[], &regions).is_ok());
    }
}
