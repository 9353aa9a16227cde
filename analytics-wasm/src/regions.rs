//! Administrative regions: province → prefecture → county.
//!
//! The table ships inside the crate (`data/regions.csv`, NBS 统计用区划代码 2023) so the
//! phone can check a county code offline with the same table the server seeds into its
//! database. Townships and villages below the county are free text on the survey.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::csv;

/// The administrative level of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省/自治区.
    Province,
    /// 地区/市/州.
    Prefecture,
    /// 县/区/市.
    County,
}

impl RegionLevel {
    /// The key used in the CSV and on the wire.
    pub fn key(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::Prefecture => "prefecture",
            RegionLevel::County => "county",
        }
    }

    /// Parses a key.
    pub fn from_key(key: &str) -> Option<RegionLevel> {
        match key {
            "province" => Some(RegionLevel::Province),
            "prefecture" => Some(RegionLevel::Prefecture),
            "county" => Some(RegionLevel::County),
            _ => None,
        }
    }
}

/// A rough bounding box, degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    /// Southern edge.
    pub min_lat: f64,
    /// Northern edge.
    pub max_lat: f64,
    /// Western edge.
    pub min_lon: f64,
    /// Eastern edge.
    pub max_lon: f64,
}

impl BoundingBox {
    /// Whether the point lies inside the box.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lon..=self.max_lon).contains(&lon)
    }
}

/// Mainland China, islands included, generously: a point outside is certainly wrong.
pub const CHINA: BoundingBox = BoundingBox {
    min_lat: 3.5,
    max_lat: 53.6,
    min_lon: 73.4,
    max_lon: 135.1,
};

/// One region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Division code, e.g. `542523`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The enclosing region's code; none for a province.
    pub parent_code: Option<String>,
    /// Administrative level.
    pub level: RegionLevel,
}

/// The region hierarchy, looked up by code.
#[derive(Debug, Clone, Default)]
pub struct RegionTable {
    by_code: BTreeMap<String, Region>,
}

/// The region table shipped with the product.
const BUILTIN_REGIONS_CSV: &str = include_str!("../data/regions.csv");

/// Rough extents of the prefectures we serve, from their published coordinate ranges,
/// widened by about 0.2°. A county is checked against its prefecture's box: county
/// outlines are not shipped, and a point outside the prefecture is wrong for any of its
/// counties. 海西's box reaches south to take in 格尔木's 唐古拉山镇 exclave.
const PREFECTURE_BOXES: [(&str, BoundingBox); 4] = [
    (
        "542500",
        BoundingBox {
            min_lat: 29.4,
            max_lat: 36.0,
            min_lon: 78.2,
            max_lon: 86.4,
        },
    ),
    (
        "630100",
        BoundingBox {
            min_lat: 36.0,
            max_lat: 37.7,
            min_lon: 100.6,
            max_lon: 102.1,
        },
    ),
    (
        "632700",
        BoundingBox {
            min_lat: 31.4,
            max_lat: 36.4,
            min_lon: 89.2,
            max_lon: 97.9,
        },
    ),
    (
        "632800",
        BoundingBox {
            min_lat: 32.5,
            max_lat: 39.5,
            min_lon: 89.5,
            max_lon: 99.9,
        },
    ),
];

impl RegionTable {
    /// The table shipped with the product.
    pub fn builtin() -> RegionTable {
        // The shipped file is checked by a unit test, so this cannot fail in practice;
        // an empty table would make every county unknown, which is loud, not silent.
        RegionTable::from_csv(BUILTIN_REGIONS_CSV).unwrap_or_default()
    }

    /// Parses `code,name_zh,name_en,parent_code,level` rows.
    pub fn from_csv(text: &str) -> Result<RegionTable, String> {
        let mut by_code = BTreeMap::new();
        for (line, row) in csv::records(text)?.into_iter().enumerate() {
            let field = |name: &str| row.get(name).cloned().unwrap_or_default();
            let level = RegionLevel::from_key(&field("level"))
                .ok_or_else(|| format!("row {}: unknown level {:?}", line + 2, field("level")))?;
            let parent = field("parent_code");
            let region = Region {
                code: field("code"),
                name_zh: field("name_zh"),
                name_en: field("name_en"),
                parent_code: (!parent.is_empty()).then_some(parent),
                level,
            };
            by_code.insert(region.code.clone(), region);
        }
        Ok(RegionTable { by_code })
    }

    /// Builds a table from regions (as read back from the database).
    pub fn from_regions(regions: impl IntoIterator<Item = Region>) -> RegionTable {
        RegionTable {
            by_code: regions.into_iter().map(|r| (r.code.clone(), r)).collect(),
        }
    }

    /// Every region, by code.
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.by_code.values()
    }

    /// The region with this code.
    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code)
    }

    /// The region and its ancestors, nearest first.
    pub fn lineage(&self, code: &str) -> Vec<&Region> {
        let mut chain = Vec::new();
        let mut next = self.get(code);
        while let Some(region) = next {
            // A cycle in a hand-edited table must not hang the caller.
            if chain.len() > 8 {
                break;
            }
            chain.push(region);
            next = region.parent_code.as_deref().and_then(|p| self.get(p));
        }
        chain
    }

    /// The ancestor (or the region itself) at `level`.
    pub fn ancestor_at(&self, code: &str, level: RegionLevel) -> Option<&Region> {
        self.lineage(code).into_iter().find(|r| r.level == level)
    }

    /// Whether `code` is `ancestor` or lies below it.
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        self.lineage(code).iter().any(|r| r.code == ancestor)
    }

    /// Every county at or below `code`.
    pub fn counties_within(&self, code: &str) -> Vec<&Region> {
        self.by_code
            .values()
            .filter(|r| r.level == RegionLevel::County && self.is_within(&r.code, code))
            .collect()
    }

    /// The rough box a survey in this county should fall in, if one is known.
    pub fn bounding_box(&self, county_code: &str) -> Option<BoundingBox> {
        let prefecture = self.ancestor_at(county_code, RegionLevel::Prefecture)?;
        PREFECTURE_BOXES
            .iter()
            .find(|(code, _)| *code == prefecture.code)
            .map(|(_, bbox)| *bbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_has_the_hierarchy() {
        let table = RegionTable::builtin();
        assert_eq!(table.iter().count(), 33);
        let gar = table.get("542523").map(|r| r.name_zh.as_str());
        assert_eq!(gar, Some("噶尔县"));
        let names: Vec<_> = table
            .lineage("542523")
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(names, ["542523", "542500", "540000"]);
        assert_eq!(table.counties_within("542500").len(), 7);
        assert_eq!(table.counties_within("630000").len(), 20);
        assert!(table.is_within("632801", "630000"));
        assert!(!table.is_within("632801", "540000"));
    }

    #[test]
    fn every_prefecture_has_a_box_inside_china() {
        let table = RegionTable::builtin();
        for region in table.iter().filter(|r| r.level == RegionLevel::County) {
            let bbox = table.bounding_box(&region.code);
            let Some(bbox) = bbox else {
                panic!("no box for {}", region.code)
            };
            assert!(CHINA.contains(bbox.min_lat, bbox.min_lon));
            assert!(CHINA.contains(bbox.max_lat, bbox.max_lon));
        }
        // 狮泉河镇, the seat of 噶尔县.
        assert!(
            table
                .bounding_box("542523")
                .is_some_and(|b| b.contains(32.5, 80.1))
        );
        // 西宁 is not in 阿里.
        assert!(
            table
                .bounding_box("542523")
                .is_some_and(|b| !b.contains(36.6, 101.8))
        );
    }
}
