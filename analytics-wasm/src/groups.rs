//! Named groups of counties, shown beside the counties with their own figures and
//! progress: the Ali plan's input-recovery pilot (普兰, 札达, 日土, 噶尔; tasks 15 and 17)
//! ships as one, and admins define others the same way.
//!
//! A group's sums are the sums of its counties (every sum of the ratio estimator is
//! additive), so its rates and intervals are those of its households pooled. Its
//! targets and plan are those of the nearest region enclosing every member.

use serde::{Deserialize, Serialize};

use crate::csv;
use crate::regions::{RegionLevel, RegionTable};

/// The groups shipped with the product.
const BUILTIN_GROUPS_CSV: &str = include_str!("../data/groups.csv");

/// One named group of counties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionGroup {
    /// Stable key, lower-case letters, digits and hyphens (`ali-input-recovery-pilot`).
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The member counties' codes.
    pub members: Vec<String>,
    /// Why the group exists (the plan task, a decision).
    #[serde(default)]
    pub source: String,
}

impl RegionGroup {
    /// Whether `county_code` is a member.
    pub fn contains(&self, county_code: &str) -> bool {
        self.members.iter().any(|m| m == county_code)
    }

    /// The nearest region enclosing every member, whose targets and plan the group
    /// follows; none when the members share no region.
    pub fn enclosing_region<'a>(&self, regions: &'a RegionTable) -> Option<&'a str> {
        let mut members = self.members.iter();
        let first = members.next()?;
        let mut common: Vec<&'a str> = regions
            .lineage(first)
            .iter()
            .map(|r| r.code.as_str())
            .skip(1)
            .collect();
        for member in members {
            let lineage: Vec<&str> = regions
                .lineage(member)
                .iter()
                .map(|r| r.code.as_str())
                .collect();
            common.retain(|code| lineage.contains(code));
        }
        common.first().copied()
    }

    /// Checks a group an admin defines: a key, names, at least two distinct member
    /// counties that exist. Messages in Chinese and English, naming the field.
    pub fn check(&self, regions: &RegionTable) -> Result<(), (&'static str, String, String)> {
        let key_ok = !self.code.is_empty()
            && self.code.len() <= 64
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !key_ok {
            return Err((
                "code",
                "分组代码只能由小写字母、数字和连字符组成(最多 64 个字符)".to_owned(),
                "the group code may hold only lower-case letters, digits and hyphens (at most 64)"
                    .to_owned(),
            ));
        }
        if self.name_zh.trim().is_empty() || self.name_en.trim().is_empty() {
            return Err((
                "name_zh",
                "请填写分组的中文和英文名称".to_owned(),
                "give the group a Chinese and an English name".to_owned(),
            ));
        }
        let mut seen: Vec<&str> = Vec::new();
        for member in &self.members {
            let is_county = regions
                .get(member)
                .is_some_and(|r| r.level == RegionLevel::County);
            if !is_county {
                return Err((
                    "members",
                    format!("成员 {member} 不是已知的县级区划代码"),
                    format!("member {member:?} is not a known county code"),
                ));
            }
            if seen.contains(&member.as_str()) {
                return Err((
                    "members",
                    format!("成员 {member} 重复"),
                    format!("member {member} is listed twice"),
                ));
            }
            seen.push(member);
        }
        if seen.len() < 2 {
            return Err((
                "members",
                "一个分组至少需要两个县".to_owned(),
                "a group needs at least two counties".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Every group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupTable {
    /// The groups, in display order.
    pub groups: Vec<RegionGroup>,
}

impl GroupTable {
    /// The groups shipped with the product.
    pub fn builtin() -> GroupTable {
        // Checked by a unit test; an empty table shows no group, never a wrong one.
        GroupTable::from_csv(BUILTIN_GROUPS_CSV).unwrap_or_default()
    }

    /// Parses `code,name_zh,name_en,members,source` rows, members separated by spaces.
    pub fn from_csv(text: &str) -> Result<GroupTable, String> {
        let groups = csv::records(text)?
            .into_iter()
            .map(|row| {
                let field = |name: &str| row.get(name).cloned().unwrap_or_default();
                RegionGroup {
                    code: field("code"),
                    name_zh: field("name_zh"),
                    name_en: field("name_en"),
                    members: field("members")
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect(),
                    source: field("source"),
                }
            })
            .collect();
        Ok(GroupTable { groups })
    }

    /// The group with `code`.
    pub fn get(&self, code: &str) -> Option<&RegionGroup> {
        self.groups.iter().find(|g| g.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pilot_group_ships_and_follows_ali() {
        let groups = GroupTable::builtin();
        let regions = RegionTable::builtin();
        let pilot = groups.get("ali-input-recovery-pilot");
        let Some(pilot) = pilot else {
            panic!("no pilot group")
        };
        assert_eq!(pilot.members.len(), 4);
        assert!(pilot.contains("542523") && !pilot.contains("542525"));
        assert_eq!(pilot.enclosing_region(&regions), Some("542500"));
        assert_eq!(pilot.check(&regions), Ok(()));
    }

    #[test]
    fn a_group_across_provinces_has_no_enclosing_region() {
        let regions = RegionTable::builtin();
        let group = RegionGroup {
            code: "mixed".into(),
            name_zh: "混合".into(),
            name_en: "mixed".into(),
            members: vec!["542523".into(), "630102".into()],
            source: String::new(),
        };
        assert_eq!(group.enclosing_region(&regions), None);
        assert_eq!(group.check(&regions), Ok(()));
    }

    #[test]
    fn checks_name_the_field() {
        let regions = RegionTable::builtin();
        let mut group = RegionGroup {
            code: "Bad Key".into(),
            name_zh: "x".into(),
            name_en: "x".into(),
            members: vec!["542523".into(), "542521".into()],
            source: String::new(),
        };
        assert_eq!(group.check(&regions).map_err(|e| e.0), Err("code"));
        group.code = "ok".into();
        group.members = vec!["542523".into()];
        assert_eq!(group.check(&regions).map_err(|e| e.0), Err("members"));
        group.members = vec!["542523".into(), "542500".into()];
        assert_eq!(group.check(&regions).map_err(|e| e.0), Err("members"));
        group.members = vec!["542523".into(), "542523".into()];
        assert_eq!(group.check(&regions).map_err(|e| e.0), Err("members"));
    }
}
