//! Published petitions as the public reads them, held in memory for a second.

use std::sync::Arc;

use uuid::Uuid;

use super::service::{self, PetitionError, Petitions, Published};
use crate::domain::PublicRef;
use crate::moment::MomentCache;

/// Public petitions as last read, each trusted for a second while this process
/// changes no petition: a viral petition's page is read far more often than it
/// changes. Keyed by what names a petition, never by how a path spells it: one
/// entry per petition (by its id, however the id was written) and one per slug
/// that named a real one. A path naming nothing is not kept, so neither spellings
/// nor junk can fill the cache and push the real petitions out.
pub struct PublicPetitions {
    /// Shared, not copied: a hit hands out the petition without copying its text.
    by_id: MomentCache<Arc<Published>>,
    ids_by_slug: MomentCache<Uuid>,
}

impl Default for PublicPetitions {
    fn default() -> Self {
        let moment = std::time::Duration::from_secs(1);
        Self {
            by_id: MomentCache::new(moment, &service::PUBLIC_CHANGES),
            ids_by_slug: MomentCache::new(moment, &service::PUBLIC_CHANGES),
        }
    }
}

impl PublicPetitions {
    /// How many petitions, and how many slugs, are held (for `/metrics`).
    pub fn held(&self) -> (usize, usize) {
        (self.by_id.held(), self.ids_by_slug.held())
    }

    /// A public petition, from memory when it was read within the last second and
    /// this process has changed no petition since; else read by `petitions`.
    pub(super) async fn get(
        &self,
        petitions: &Petitions,
        reference: &PublicRef,
    ) -> Result<Arc<Published>, PetitionError> {
        let known = match reference {
            PublicRef::Id(id) => Some(*id),
            PublicRef::Slug(slug) => self.ids_by_slug.get(slug.as_ref()),
        };
        if let Some(petition) = known.and_then(|id| self.by_id.get(&id.to_string())) {
            return Ok(petition);
        }
        let changes = self.by_id.changes();
        let petition = Arc::new(petitions.read_public(reference).await?);
        let id = petition.petition.item.id;
        if let PublicRef::Slug(slug) = reference {
            self.ids_by_slug.put(slug.to_string(), id, changes);
        }
        self.by_id.put(id.to_string(), petition.clone(), changes);
        Ok(petition)
    }
}
