//! A digest of what pass 2 can learn from a model index, for the burndown's caches: two
//! commits whose indexes have the same digest resolve every usage the same way, so a blob
//! scanned under one needs no rescan under the other.

use super::ModelIndex;
use sha2::{Digest, Sha256};

impl ModelIndex {
    /// Hex SHA-256 of the index without declaration positions: an edit above a model moves
    /// its line (which only declaration findings carry, and those are counted from the
    /// index itself), not what code means by the model.
    pub fn digest_without_positions(&self) -> String {
        let mut models = self.models.clone();
        for m in &mut models {
            m.line = 0;
            m.column = 0;
            m.evidence.clear();
        }
        let mut h = Sha256::new();
        let mut part = |text: String| {
            h.update(text.as_bytes());
            h.update([0]);
        };
        part(format!("{models:?}"));
        part(format!("{:?}", self.cascades));
        part(format!("{:?}", self.related));
        part(format!("{:?}", self.manager_methods));
        part(format!("{:?}", self.manager_classes));
        part(format!("{:?}", self.gorm_naming));
        part(format!("{:?}", self.conventions));
        part(format!("{:?}", self.prisma_relations));
        part(format!("{:?}", self.sequelize_associations));
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}
